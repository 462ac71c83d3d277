"""End-to-end fixtures: a real SeaweedFS S3 server, real lorafs mounts, and
helpers that look at what really happened (S3 objects, multipart uploads, the
SQLite catalog, `.lorafs/errors`).

Environment:
  LORAFS_BIN            the lorafs binary (default: .build/debug/lorafs)
  LORAFS_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
                        use this running server (scripts/test sets them);
                        otherwise a private SeaweedFS is started for the session.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path
from urllib.parse import unquote

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import loragen  # noqa: E402
import seaweed  # noqa: E402

KEY_RE = r"workspaces/{ws}/loras/[0-9a-fA-F]{{8}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{4}}-[0-9a-fA-F]{{12}}\.{ext}"
ERRORS_LINE_RE = re.compile(r"^(\S+) (.+): (.+) \((E[A-Z0-9]+)\)$")
MOUNT_TIMEOUT = 30.0


# ---------------------------------------------------------------------------
# small utilities

def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd, check=False, timeout=300, **kw) -> subprocess.CompletedProcess:
    """Run a command with C locale messages; returns text output."""
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.update(kw.pop("env", {}) or {})
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout, env=env, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def mountinfo_fstype(mnt) -> str | None:
    """The fstype of the mount exactly at `mnt` (last one wins), or None."""
    target = os.path.realpath(mnt)
    found = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            if len(fields) < 5:
                continue
            mp = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
            if mp == target:
                found = right.split()[0]
    return found


def is_fuse_mounted(mnt) -> bool:
    t = mountinfo_fstype(mnt)
    return bool(t and t.startswith("fuse"))


def wait_until(pred, timeout=10.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def processes_mentioning(text: str) -> list[int]:
    out = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        if text in cmd and stat.rsplit(")", 1)[1].split()[0] != "Z":
            out.append(int(d))
    return out


# ---------------------------------------------------------------------------
# S3 server and buckets

class S3:
    def __init__(self, endpoint, access_key, secret_key, region="us-east-1"):
        self.endpoint, self.access_key, self.secret_key, self.region = endpoint, access_key, secret_key, region
        self.client = seaweed.s3_client(endpoint, access_key, secret_key, region)

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}

    def new_bucket(self, hint="t") -> str:
        name = f"lorafs-{hint}-{uuid.uuid4().hex[:10]}".lower()[:63]
        self.client.create_bucket(Bucket=name)
        return name

    def objects(self, bucket, prefix="") -> dict[str, int]:
        out = {}
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                out[o["Key"]] = o["Size"]
        return out

    def uploads(self, bucket, prefix="") -> list[dict]:
        r = self.client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
        return [{"Key": u["Key"], "UploadId": u["UploadId"]} for u in r.get("Uploads", [])]

    def head(self, bucket, key) -> dict | None:
        try:
            return self.client.head_object(Bucket=bucket, Key=key)
        except self.client.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise


@pytest.fixture(scope="session")
def s3(tmp_path_factory):
    ep = os.environ.get("LORAFS_S3_ENDPOINT")
    ak, sk = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if ep and ak and sk:
        yield S3(ep, ak, sk, os.environ.get("AWS_REGION", "us-east-1"))
        return
    data = tmp_path_factory.mktemp("seaweed")
    server = seaweed.start(data)
    try:
        yield S3(server.endpoint, server.access_key, server.secret_key, server.region)
    finally:
        seaweed.stop(data)


@pytest.fixture(scope="session")
def pg():
    """A PostgreSQL cluster for the whole run (started at the first test that asks)."""
    import pgcluster
    cluster = pgcluster.PGCluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def bucket(s3, request):
    hint = re.sub(r"[^a-z0-9]", "", request.module.__name__.split(".")[-1].lower())[:20] or "t"
    return s3.new_bucket(hint)


@pytest.fixture(scope="session")
def lorafs_bin() -> Path:
    p = Path(os.environ.get("LORAFS_BIN") or REPO / ".build" / "debug" / "lorafs")
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.fail(f"lorafs binary not found at {p}: build it (swift build) or set LORAFS_BIN")
    return p


# ---------------------------------------------------------------------------
# mounts

class Mount:
    """One lorafs mount of a workspace, with views of its S3 objects and catalog."""

    def __init__(self, bin_path: Path, s3: S3, bucket: str, workspace: str, mnt: Path,
                 state_dir: Path, log_path: Path, extra_args=(), max_size=None):
        self.bin, self.s3, self.bucket, self.workspace = bin_path, s3, bucket, workspace
        self.mnt, self.state_dir, self.log_path = mnt, state_dir, log_path
        self.extra_args, self.max_size = list(extra_args), max_size
        self.proc: subprocess.Popen | None = None
        self.exit_codes: list[int] = []
        self.start_failed: int | None = None  # exit code of a mount that never came up
        self.endpoint: str | None = None  # mount through another endpoint (a fault proxy); checks still use s3
        self.extra_env: dict[str, str] = {}  # for the daemon only (LORAFS_CRASH_AT=...)

    # --- lifecycle -------------------------------------------------------
    def args(self, foreground=True) -> list[str]:
        a = [str(self.bin), "mount", str(self.mnt), "--bucket", self.bucket,
             "--endpoint", self.endpoint or self.s3.endpoint, "--workspace", self.workspace,
             "--state-dir", str(self.state_dir)]
        if foreground:
            a.append("--foreground")
        if self.max_size is not None:
            a += ["--max-size", str(self.max_size)]
        # Objects nothing names are deleted at once here (tests of the delay pass their own,
        # which comes later and wins).
        a += ["--delete-delay", "0"]
        return a + self.extra_args

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.s3.env())
        env.update(LC_ALL="C", LANG="C")
        env.update(self.extra_env)
        return env

    def start(self, timeout=MOUNT_TIMEOUT) -> "Mount":
        self.mnt.mkdir(parents=True, exist_ok=True)
        assert not is_fuse_mounted(self.mnt), f"{self.mnt} is already mounted"
        log = open(self.log_path, "ab")
        log.write(f"\n=== {' '.join(self.args())}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(self.args(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.env())
        log.close()
        deadline = time.monotonic() + timeout
        while not is_fuse_mounted(self.mnt):
            if self.proc.poll() is not None:
                self.start_failed, self.proc = self.proc.returncode, None
                raise AssertionError(f"lorafs mount exited with {self.start_failed} before mounting\n"
                                     f"{self.log()}")
            if time.monotonic() > deadline:
                self._kill()
                raise AssertionError(f"{self.mnt} not mounted after {timeout}s\n{self.log()}")
            time.sleep(0.02)
        return self

    def unmount(self, use="lorafs", timeout=20.0) -> int:
        """Unmount and return the daemon's exit code (asserts it exits)."""
        if is_fuse_mounted(self.mnt):
            if use == "lorafs":
                r = run([self.bin, "unmount", self.mnt], env=self.env(), timeout=60)
                if r.returncode != 0 or is_fuse_mounted(self.mnt):
                    run(["fusermount3", "-u", self.mnt])
            else:
                run(["fusermount3", "-u", self.mnt], check=True)
        if is_fuse_mounted(self.mnt):
            run(["fusermount3", "-u", "-z", self.mnt])
        assert not is_fuse_mounted(self.mnt), f"{self.mnt} still mounted"
        code = 0
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(f"lorafs daemon did not exit {timeout}s after unmount\n{self.log()}")
            self.exit_codes.append(code)
            self.proc = None
        return code

    def remount(self) -> "Mount":
        assert self.unmount() == 0, self.log()
        return self.start()

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if is_fuse_mounted(self.mnt):
            run(["fusermount3", "-u", "-z", self.mnt])

    def log(self, n=80) -> str:
        text = "--- lorafs log (last lines) ---\n" + seaweed.tail(self.log_path, n)
        # A crash's own words come before its backtrace, which would push them out of the tail.
        lines = self.log_path.read_text(errors="replace").splitlines() if self.log_path.exists() else []
        crash = []
        for i, l in enumerate(lines):
            if "fatal error" in l.lower() or "crashed" in l.lower():
                crash += lines[max(0, i - 3):i + 12]
        return text + ("\n--- crash ---\n" + "\n".join(crash[:60]) if crash else "")

    # --- inside the mount -------------------------------------------------
    def p(self, name: str) -> Path:
        assert is_fuse_mounted(self.mnt), f"{self.mnt} is not a FUSE mount (daemon died?)\n{self.log()}"
        return self.mnt / name

    # The mount's own folders at the root: control files and the generation side.
    FOLDERS = {".lorafs", "generate", "jobs"}

    def listing(self) -> list[str]:
        """Visible (non-hidden) files at the root: the LoRAs."""
        return sorted(n for n in os.listdir(self.p("")) if not n.startswith(".") and n not in self.FOLDERS)

    def listing_all(self) -> list[str]:
        """Every file at the root, hidden ones included, without the mount's own folders."""
        return sorted(n for n in os.listdir(self.p("")) if n not in self.FOLDERS)

    def errors(self) -> list[str]:
        """The lines of `.lorafs/errors` (the file is always there: a missing one is a failure)."""
        return self.p(".lorafs/errors").read_text().splitlines()

    def cp(self, src, name=None, *flags) -> subprocess.CompletedProcess:
        dst = self.p(name if name else Path(src).name)
        return run(["cp", *flags, src, dst])

    # --- S3 and catalog ---------------------------------------------------
    @property
    def prefix(self) -> str:
        return f"workspaces/{self.workspace}/"

    def objects(self) -> dict[str, int]:
        """The LoRA objects (workspaces/<ws>/loras/) and their sizes."""
        return self.s3.objects(self.bucket, self.prefix + "loras/")

    def all_objects(self) -> dict[str, int]:
        """Everything under the workspace prefix (LoRAs and anything else lorafs keeps there)."""
        return self.s3.objects(self.bucket, self.prefix)

    def uploads(self) -> list[dict]:
        return self.s3.uploads(self.bucket, self.prefix)

    def head(self, key):
        return self.s3.head(self.bucket, key)

    def catalog(self) -> dict[str, dict]:
        db = self.state_dir / "catalog.sqlite"
        # Every mount creates its catalog: a missing one is a failure, not an empty catalog.
        assert db.exists(), f"no catalog at {db}"
        con = sqlite3.connect(str(db), timeout=10)
        try:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT name, object_key, size, sha256, uploaded_at, kind FROM loras").fetchall()
        finally:
            con.close()
        return {r["name"]: dict(r) for r in rows}

    def status(self) -> dict[str, str]:
        """`.lorafs/status` as key: value pairs (top-level lines only)."""
        lines = self.p(".lorafs/status").read_text().splitlines()
        return dict(l.split(": ", 1) for l in lines if ": " in l and not l.startswith(" "))

    def wait_published(self, timeout=15.0):
        """Until this mount's changes are all in the bucket's change log."""
        assert wait_until(lambda: self.status()["changes_not_yet_published"] == "0", timeout), self.status()

    def wait_no_uploads(self, timeout=15.0) -> list[dict]:
        wait_until(lambda: not self.uploads(), timeout)
        return self.uploads()

    # --- composite assertions ---------------------------------------------
    def assert_stored(self, name: str, src, object_name: str | None = None) -> dict:
        """`name` is listed with src's size, readable, and backed by one object with
        full metadata and one catalog row; returns the catalog row. `object_name`:
        the name in the object's metadata when it differs (a staging file uploaded
        at its close under the name it had)."""
        src = Path(src)
        size, digest = src.stat().st_size, sha256_file(src)
        st = os.stat(self.p(name))
        assert st.st_size == size, f"{name}: st_size {st.st_size} != {size}"
        assert st.st_mode & 0o777 == 0o644, oct(st.st_mode)
        assert st.st_uid == os.getuid() and st.st_gid == os.getgid()
        row = self.catalog().get(name)
        assert row, f"no catalog row for {name}: {list(self.catalog())}"
        assert row["size"] == size and row["sha256"] == digest, row
        ext = name.rsplit(".", 1)[1]
        assert re.fullmatch(KEY_RE.format(ws=re.escape(self.workspace), ext=ext), row["object_key"]), row
        assert abs(st.st_mtime - row["uploaded_at"]) < 2, (st.st_mtime, row["uploaded_at"])
        h = self.head(row["object_key"])
        assert h is not None, f"object {row['object_key']} missing"
        assert h["ContentLength"] == size
        md = h["Metadata"]
        assert unquote(md.get("lorafs-name", "")) == (object_name or name), md
        assert md.get("lorafs-workspace") == self.workspace, md
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", md.get("lorafs-uploaded-at", "")), md
        # SHA-256 and size: on the object itself when it went up in one PUT; a
        # multipart object's metadata is fixed before its hash is known, so for
        # every object the manifest beside it carries them (and follows renames).
        if "lorafs-sha256" in md:
            assert md["lorafs-sha256"].lower() == digest, md
            assert md.get("lorafs-size") == str(size), md
        manifest = self.manifest(row["object_key"])
        assert manifest["name"] == name and manifest["workspace"] == self.workspace, manifest
        assert manifest["sha256"] == digest and manifest["size"] == size, manifest
        assert manifest["object_key"] == row["object_key"], manifest
        return row

    def manifest(self, object_key: str) -> dict:
        """The manifest `workspaces/WS/manifests/ID.json` of a LoRA object. A rename
        writes it in the background after the row: give it a few seconds."""
        ident = object_key.rsplit("/", 1)[1].split(".", 1)[0]
        key = f"workspaces/{self.workspace}/manifests/{ident}.json"
        assert wait_until(lambda: self.head(key) is not None, 5), f"no manifest {key}"
        body = self.s3.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return json.loads(body)

    def assert_absent(self, name: str, before_objects: dict | None = None):
        """Nothing of `name`: not listed, no catalog row, no new object (of any kind,
        anywhere under the workspace prefix, compared with `before_objects` taken
        from all_objects()), no open multipart upload."""
        assert name not in self.listing_all(), self.listing_all()
        assert name not in self.catalog()
        if before_objects is not None:
            assert self.all_objects() == before_objects
        assert self.wait_no_uploads() == []


@pytest.fixture
def lorafs(lorafs_bin, s3, bucket, tmp_path, request):
    """Factory: lorafs(workspace=None, bucket=None, max_size=None, extra_args=(),
    state_dir=None, start=True) -> Mount. Every mount is unmounted at teardown
    and its daemon must exit 0."""
    mounts: list[Mount] = []

    def make(workspace=None, bucket_name=None, max_size=None, extra_args=(), state_dir=None,
             start=True) -> Mount:
        i = len(mounts)
        ws = workspace or f"ws-{uuid.uuid4().hex[:8]}"
        m = Mount(lorafs_bin, s3, bucket_name or bucket, ws, tmp_path / f"mnt{i}",
                  Path(state_dir) if state_dir else tmp_path / f"state{i}",
                  tmp_path / f"lorafs{i}.log", extra_args, max_size)
        mounts.append(m)
        return m.start() if start else m

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    problems = []
    for m in mounts:
        try:
            code = m.unmount()
            if code != 0:
                problems.append(f"lorafs daemon for {m.mnt} exited {code}\n{m.log()}")
        except AssertionError as e:
            problems.append(str(e))
        finally:
            m._kill()
        if failed:
            print(m.log(120))
    if problems and not failed:
        pytest.fail("\n".join(problems))


@pytest.fixture
def mnt(lorafs) -> Mount:
    return lorafs()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# ---------------------------------------------------------------------------
# source files (generated once per session)

@pytest.fixture(scope="session")
def src(tmp_path_factory):
    d = tmp_path_factory.mktemp("src")

    class Src:
        dir = d
        small = loragen.write_valid(d / "style-small.safetensors", 256 * 1024, "kohya", seed=1)
        small2 = loragen.write_valid(d / "other-small.safetensors", 300 * 1024, "peft", seed=2)
        big = loragen.write_valid(d / "motion-big.safetensors", 40 * 1024 * 1024, "peft", seed=3)
        ckpt = loragen.write_ckpt(d / "classic.ckpt", seed=4)

        @staticmethod
        def valid(name, size=128 * 1024, convention="kohya", seed=None):
            return loragen.write_valid(d / name, size, convention,
                                       seed=seed if seed is not None else zlib.crc32(name.encode()))

        @staticmethod
        def corrupt(kind, name=None):
            return loragen.write_corrupt(d / (name or f"bad-{kind}.safetensors"), kind)

    return Src


# ---------------------------------------------------------------------------
# generation: the local RunPod-protocol worker (scripts/local-worker)

@pytest.fixture(scope="module")
def local_worker(tmp_path_factory):
    """One `scripts/local-worker` per test module, on a free port, recording every job
    (`local_worker.jobs()`); `--generator local:{local_worker.url}` points a mount at it."""
    import worker as worker_mod
    w = worker_mod.LocalWorker(tmp_path_factory.mktemp("worker") / "records").start()
    try:
        yield w
    finally:
        w.stop()


def generator_args(worker, *more) -> list[str]:
    """Mount arguments that send jobs to `worker` and poll fast."""
    return ["--generator", f"local:{worker.url}", "--poll-interval", "0.2", *more]
