"""The driver of scripts/bench: lorafs beside `aws s3 cp`, s3fs-fuse and `rclone mount`
on one SeaweedFS over HTTPS (see scripts/bench for what it measures).

Every tool gets a bucket of its own, so SeaweedFS's request counters tell each one's
requests. Runs alternate the tools (the order rotates every run). Every timed copy is
checked afterwards: the stored object's size and SHA-256, read back with boto3."""
from __future__ import annotations

import concurrent.futures
import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import loragen  # noqa: E402
from benchkit import RequestCounter, Sampler, cpu_seconds, log, median, seed_snapshot, tree  # noqa: E402

BIN, WORK = sys.argv[1], Path(sys.argv[2])
HTTPS = os.environ["LORAFS_S3_HTTPS_ENDPOINT"]
CA = os.environ["LORAFS_S3_CA"]
KEY, SECRET = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
COUNTER = RequestCounter(os.environ["LORAFS_S3_METRICS"])
RUNS = int(os.environ.get("LORAFS_BENCH_RUNS", "3"))
MIB = 1 << 20
SIZE = int(os.environ.get("LORAFS_BENCH_SIZE_MIB", "1024")) * MIB
BIG = int(os.environ.get("LORAFS_BENCH_BIG_MIB", "5120")) * MIB
LISTS = [int(n) for n in os.environ.get("LORAFS_BENCH_LISTS", "2000,20000,100000").split(",") if n]
PEER_LIST_MAX = int(os.environ.get("LORAFS_BENCH_PEER_LIST_MAX", "20000"))
SMALL = int(os.environ.get("LORAFS_BENCH_SMALL", "1000"))
MANY = int(os.environ.get("LORAFS_BENCH_MANY_MIB", "50")) * MIB
TOOLS = os.environ.get("LORAFS_BENCH_TOOLS", "lorafs,aws,s3fs,rclone").split(",")
AWS = str(Path(sys.executable).parent / "aws")
S3 = boto3.client("s3", endpoint_url=HTTPS, verify=CA, region_name="us-east-1",
                  config=Config(s3={"addressing_style": "path"}, max_pool_connections=32))
ENV = {**{k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}, "AWS_CA_BUNDLE": CA}

rows: list[dict] = []  # every figure: workload, tool, and the medians


def sh(cmd, env=None, **kw):
    return subprocess.run(cmd, check=True, env=env or ENV, **kw)


def sha256_object(bucket, key) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    for chunk in S3.get_object(Bucket=bucket, Key=key)["Body"].iter_chunks(8 * MIB):
        h.update(chunk)
        n += len(chunk)
    return n, h.hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 * MIB):
            h.update(chunk)
    return h.hexdigest()


def vacuum():
    """Has SeaweedFS reclaim what deleted objects hold (it keeps it until a vacuum)."""
    try:
        urllib.request.urlopen(os.environ["LORAFS_SEAWEED_MASTER"] + "/vol/vacuum?garbageThreshold=0.01", timeout=600).read()
    except Exception as e:  # only disk space is at stake
        log(f"vacuum failed: {e}")


def wait_until(predicate, timeout, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def object_size(bucket, key):
    try:
        return S3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except S3.exceptions.ClientError:
        return None


# ---------------------------------------------------------------------------
# the tools


class Tool:
    """One way of getting files into the bucket: a mount (lorafs, s3fs, rclone) or a command (aws)."""
    name = ""
    mounted = True

    def __init__(self):
        self.bucket = f"bench-{self.name}"
        S3.create_bucket(Bucket=self.bucket)
        self.mnt = WORK / f"mnt-{self.name}"
        self.mnt.mkdir(exist_ok=True)
        self.proc = None

    def daemon(self) -> list[int]:
        return [self.proc.pid] if self.proc else []

    def path(self, name) -> Path:
        return self.mnt / name

    def key(self, name) -> str:
        return name

    def stored(self, name, size) -> bool:
        """Whether `name` is in the bucket (what `close()` returning means for every mount but rclone's)."""
        return True

    def start(self, *args):
        log_file = open(WORK / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(self.command(*args), stdout=log_file, stderr=subprocess.STDOUT,
                                     env=self.environment(), start_new_session=True)
        t0 = time.monotonic()
        if not wait_until(lambda: os.path.ismount(self.mnt) or self.proc.poll() is not None, 60, 0.005) \
                or not os.path.ismount(self.mnt):
            raise RuntimeError(f"{self.name} did not mount:\n" + (WORK / f"{self.name}.log").read_text()[-3000:])
        return time.monotonic() - t0

    def stop(self):
        subprocess.run(["fusermount3", "-u", str(self.mnt)], check=True)
        try:
            self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def environment(self):
        return ENV


class LoRAFS(Tool):
    name = "lorafs"

    def __init__(self):
        super().__init__()
        self.state = WORK / "state-lorafs"
        self.workspace = "bench"

    def command(self, workspace=None, state=None):
        return [BIN, "mount", str(self.mnt), "--bucket", self.bucket, "--endpoint", HTTPS,
                "--workspace", workspace or self.workspace, "--state-dir", str(state or self.state), "--foreground",
                "--delete-delay", "0", "--refresh-interval", "0"]

    def key(self, name):
        return os.getxattr(self.path(name), "user.lorafs.object_key").decode()


class S3FS(Tool):
    name = "s3fs"

    def command(self, prefix=""):
        passwd = WORK / "s3fs.passwd"
        passwd.write_text(f"{KEY}:{SECRET}\n")
        passwd.chmod(0o600)
        return ["s3fs", f"{self.bucket}{':/' + prefix if prefix else ''}", str(self.mnt), "-f",
                "-o", f"url={HTTPS},use_path_request_style,passwd_file={passwd},endpoint=us-east-1"]

    def environment(self):
        return {**ENV, "CURL_CA_BUNDLE": CA}


class Rclone(Tool):
    """`rclone mount --vfs-cache-mode writes`: `close()` returns once the file is in the
    cache; the copy counts until the object is in the bucket."""
    name = "rclone"

    def __init__(self):
        super().__init__()
        self.prefix = ""

    def command(self, prefix=""):
        self.prefix = prefix
        return ["rclone", "mount", f"bench:{self.bucket}/{prefix}", str(self.mnt), "--vfs-cache-mode", "writes",
                "--cache-dir", str(WORK / "rclone-cache"), "--ca-cert", CA, "--use-server-modtime"]

    def environment(self):
        env = {k: v for k, v in ENV.items() if k != "AWS_CA_BUNDLE"}
        env.update(RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other", RCLONE_CONFIG_BENCH_ENDPOINT=HTTPS,
                   RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=KEY, RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=SECRET,
                   RCLONE_CONFIG_BENCH_REGION="us-east-1", RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true")
        return env

    def key(self, name):
        return f"{self.prefix}{name}"

    def stored(self, name, size):
        return wait_until(lambda: object_size(self.bucket, self.key(name)) == size, 300, 0.05)


class AwsCli(Tool):
    name = "aws"
    mounted = False

    def __init__(self):
        self.bucket = "bench-aws"
        S3.create_bucket(Bucket=self.bucket)
        self.proc = None

    def cp(self, src, name):
        return [AWS, "--endpoint-url", HTTPS, "s3", "cp", "--only-show-errors", str(src), f"s3://{self.bucket}/{name}"]


class Local(Tool):
    name = "local disk"
    mounted = False

    def __init__(self):
        self.mnt = WORK / "local"
        self.mnt.mkdir(exist_ok=True)
        self.proc = None


def make_tools():
    kinds = {"lorafs": LoRAFS, "aws": AwsCli, "s3fs": S3FS, "rclone": Rclone}
    return [kinds[t]() for t in TOOLS]


# ---------------------------------------------------------------------------
# measuring


def measure(tool, action, names_and_sizes=()):
    """Runs `action()` (a command line, or a callable) for `tool`: wall time until the
    files are stored, CPU seconds of the daemon (or the command and its children),
    peak RSS of the same, and S3 requests to the tool's bucket."""
    daemon = tool.daemon()
    requests0 = COUNTER.count(tool.bucket) if hasattr(tool, "bucket") else 0
    cpu0 = sum(cpu_seconds(p) for d in daemon for p in tree(d))
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    box = {}
    sampler = Sampler(lambda: daemon or box.get("pids", []))
    t0 = time.monotonic()
    if callable(action):
        action()
    else:
        p = subprocess.Popen(action, env=tool.environment() if tool.mounted else ENV, stdout=subprocess.DEVNULL)
        box["pids"] = [p.pid]
        if p.wait() != 0:
            raise RuntimeError(f"{tool.name}: {action[:6]} exited {p.returncode}")
    for name, size in names_and_sizes:
        if not tool.stored(name, size):
            raise RuntimeError(f"{tool.name}: {name} never reached the bucket")
    wall = time.monotonic() - t0
    peak, _ = sampler.stop()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if daemon:
        cpu = sum(cpu_seconds(p) for d in daemon for p in tree(d)) - cpu0
    else:
        cpu = (children1.ru_utime - children0.ru_utime) + (children1.ru_stime - children0.ru_stime)
    requests = (COUNTER.count(tool.bucket) - requests0) if hasattr(tool, "bucket") else 0
    return {"wall": wall, "cpu": cpu, "rss": peak, "requests": requests}


def record(workload, tool, samples, nbytes=0, note=""):
    row = {"workload": workload, "tool": tool, "runs": len(samples), "note": note}
    for k in ("wall", "cpu", "rss", "requests"):
        row[k] = median([s[k] for s in samples]) if samples else None
    row["mbps"] = nbytes / MIB / row["wall"] if nbytes and row["wall"] else None
    rows.append(row)
    log(f"{workload} / {tool}: {row['wall']:.3f} s, cpu {row['cpu']:.2f} s, rss {row['rss']:.0f} MiB, "
        f"{row['requests']} requests")


def check_stored(tool, name, src_sha, size):
    key = tool.key(name) if tool.mounted else name
    n, digest = sha256_object(tool.bucket, key)
    if (n, digest) != (size, src_sha):
        raise RuntimeError(f"{tool.name}: {name} stored as {n} bytes, sha256 {digest}; expected {size}, {src_sha}")


def rotate(items, run):
    k = run % len(items)
    return items[k:] + items[:k]


# ---------------------------------------------------------------------------
# workloads


def copy_in(tools, src, label, runs):
    size, digest = src.stat().st_size, sha256_file(src)
    samples = {t.name: [] for t in tools}
    for run in range(runs):
        for tool in rotate(tools, run):
            name = f"copy-{run}-{uuid.uuid4().hex[:6]}.safetensors"
            sh(["sync"])
            if tool.mounted:
                s = measure(tool, ["cp", str(src), str(tool.path(name))], [(name, size)])
            else:
                s = measure(tool, tool.cp(src, name))
            check_stored(tool, name, digest, size)
            samples[tool.name].append(s)
            if tool.mounted:
                os.unlink(tool.path(name))
            else:
                S3.delete_object(Bucket=tool.bucket, Key=name)
    for tool in tools:
        record(label, tool.name, samples[tool.name], size)


def ceiling_intake(src_size):
    """The server's own intake: a 16-thread multipart upload of bytes already in memory."""
    body = os.urandom(8 * MIB)
    bucket = "bench-ceiling"
    S3.create_bucket(Bucket=bucket)
    samples = []
    for _ in range(RUNS):
        t0 = time.monotonic()
        upload = S3.create_multipart_upload(Bucket=bucket, Key="raw")["UploadId"]
        parts = src_size // len(body)

        def put(i):
            return {"PartNumber": i, "ETag": S3.upload_part(Bucket=bucket, Key="raw", UploadId=upload, PartNumber=i,
                                                            Body=body)["ETag"]}
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            done = list(pool.map(put, range(1, parts + 1)))
        S3.complete_multipart_upload(Bucket=bucket, Key="raw", UploadId=upload, MultipartUpload={"Parts": done})
        samples.append({"wall": time.monotonic() - t0, "cpu": float("nan"), "rss": float("nan"), "requests": parts + 2})
    record(f"copy in {src_size // MIB} MiB", "ceiling: S3 intake (16 threads, from memory)", samples, src_size)


def ceiling_fuse(src):
    """The FUSE ceiling: `dd` of the same file into nullfs (scripts/lib/nullfs.c), a libfuse
    filesystem that keeps nothing, so no spool, hash or S3 behind the kernel and libfuse."""
    nullfs = os.environ.get("LORAFS_BENCH_NULLFS")
    if not nullfs:
        return
    mnt = WORK / "nullfs"
    mnt.mkdir(exist_ok=True)
    proc = subprocess.Popen([nullfs, str(mnt)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_until(lambda: any(l.split()[4] == str(mnt) for l in open("/proc/self/mountinfo")), 10):
            raise RuntimeError("nullfs did not mount")
        size = src.stat().st_size
        samples = []
        for _ in range(RUNS):
            t0 = time.monotonic()
            sh(["dd", f"if={src}", f"of={mnt / 'x'}", "bs=1M", "status=none"])
            wall = time.monotonic() - t0
            if os.stat(mnt / "x").st_size != size:
                raise RuntimeError("nullfs: the file's size is not what dd wrote")
            samples.append({"wall": wall, "cpu": float("nan"), "rss": float("nan"), "requests": 0})
            os.unlink(mnt / "x")
        record(f"copy in {size // MIB} MiB", "ceiling: FUSE (dd into a null libfuse fs)", samples, size)
    finally:
        subprocess.run(["fusermount3", "-u", str(mnt)])
        proc.wait(timeout=10)


def many_files(tools, files, label, parallel):
    size = sum(f.stat().st_size for f in files)
    samples = {t.name: [] for t in tools}
    for run in range(RUNS):
        for tool in rotate(tools, run):
            tag = f"many-{run}-{uuid.uuid4().hex[:4]}"
            if tool.mounted:
                folder = tool.path("")
                cmd = ["bash", "-c", f'printf "%s\\n" "$@" | xargs -P {parallel} -I{{}} sh -c \'cp "$1" "{folder}/{tag}-$(basename "$1")"\' _ {{}}',
                       "_", *map(str, files)]
                s = measure(tool, cmd, [(f"{tag}-{f.name}", f.stat().st_size) for f in files])
            else:
                base = " ".join(tool.cp("SRC", "DST")[:-2])
                cmd = ["bash", "-c", f'printf "%s\\n" "$@" | xargs -P {parallel} -I{{}} sh -c \'{base} "$1" "s3://{tool.bucket}/{tag}-$(basename "$1")"\' _ {{}}',
                       "_", *map(str, files)]
                s = measure(tool, cmd)
            samples[tool.name].append(s)
            for f in files[:: max(1, len(files) // 3)]:
                check_stored(tool, f"{tag}-{f.name}", sha256_file(f), f.stat().st_size)
            for f in files:
                if tool.mounted:
                    os.unlink(tool.path(f"{tag}-{f.name}"))
                else:
                    S3.delete_object(Bucket=tool.bucket, Key=f"{tag}-{f.name}")
    for tool in tools:
        record(label, tool.name, samples[tool.name], size)


def small_files(tools, folder):
    files = sorted(folder.iterdir())
    size = sum(f.stat().st_size for f in files)
    samples = {t.name: [] for t in tools}
    for run in range(RUNS):
        for tool in rotate(tools, run):
            tag = f"small{run}"
            if tool.mounted:
                cmd = ["bash", "-c", f'ls "{folder}" | xargs -P 8 -I{{}} cp "{folder}/{{}}" "{tool.mnt}/{tag}-{{}}"']
                s = measure(tool, cmd, [(f"{tag}-{f.name}", f.stat().st_size) for f in files])
                for f in files:
                    os.unlink(tool.path(f"{tag}-{f.name}"))
            else:
                s = measure(tool, [AWS, "--endpoint-url", HTTPS, "s3", "cp", "--recursive", "--only-show-errors",
                                   str(folder), f"s3://{tool.bucket}/{tag}/"])
                listed = S3.list_objects_v2(Bucket=tool.bucket, Prefix=f"{tag}/")["KeyCount"]
                if listed < min(len(files), 1000):
                    raise RuntimeError(f"aws: {listed} of {len(files)} small files stored")
                sh([AWS, "--endpoint-url", HTTPS, "s3", "rm", "--recursive", "--only-show-errors", f"s3://{tool.bucket}/{tag}/"])
            samples[tool.name].append(s)
    label = f"{len(files)} small LoRAs, 8 at a time" + ("" if "aws" not in TOOLS else " (aws: cp --recursive)")
    for tool in tools:
        record(label, tool.name, samples[tool.name], size)


def put_many(bucket, prefix, count):
    body = b"\0" * 16

    def put(i):
        S3.put_object(Bucket=bucket, Key=f"{prefix}lora-{i:06d}.safetensors", Body=body)
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(put, range(count)))


def ls_l(path) -> float:
    t0 = time.monotonic()
    sh(["ls", "-l", str(path)], stdout=subprocess.DEVNULL)
    return time.monotonic() - t0


def listings(tools):
    lorafs = next((t for t in tools if t.name == "lorafs"), None)
    peers = [t for t in tools if t.mounted and t.name != "lorafs"]
    for count in LISTS:
        # local disk: the same number of files
        local = WORK / f"local-list-{count}"
        local.mkdir()
        for i in range(count):
            (local / f"lora-{i:06d}.safetensors").touch()
        first = ls_l(local)
        warm = median([ls_l(local) for _ in range(3)])
        rows.append({"workload": f"ls -l of {count:,} (first / warm)", "tool": "local disk", "wall": warm, "first": first})
        shutil.rmtree(local)
        if lorafs:
            workspace = f"list{count}"
            seed_snapshot(S3, lorafs.bucket, workspace, count)
            state = WORK / f"state-list{count}"
            mount_first = lorafs.start(workspace, state)
            first = ls_l(lorafs.mnt)
            warm = median([ls_l(lorafs.mnt) for _ in range(3)])
            rss = Sampler(lambda: lorafs.daemon())
            time.sleep(0.1)
            peak, _ = rss.stop()
            lorafs.stop()
            mount_again = lorafs.start(workspace, state)
            after = ls_l(lorafs.mnt)
            lorafs.stop()
            lorafs.start(workspace, state)
            t0 = time.monotonic()
            os.stat(lorafs.path(f"lora-{count // 2:06d}.safetensors"))
            stat_one = time.monotonic() - t0
            lorafs.stop()
            rows.append({"workload": f"ls -l of {count:,} (first / warm)", "tool": "lorafs", "wall": warm, "first": after,
                         "note": f"first with a new state dir {first * 1000:.0f} ms"})
            rows.append({"workload": f"mount with {count:,} LoRAs (new state dir / again)", "tool": "lorafs",
                         "wall": mount_again, "first": mount_first, "rss": peak})
            rows.append({"workload": f"stat of one among {count:,}, first after mount", "tool": "lorafs", "wall": stat_one})
        if count > PEER_LIST_MAX or not peers:
            continue
        prefix = f"list{count}/"
        for peer in peers:
            put_many(peer.bucket, prefix, count)
            peer.start(prefix.rstrip("/"))
            first = ls_l(peer.mnt)
            warm = median([ls_l(peer.mnt) for _ in range(3)])
            peer.stop()
            peer.start(prefix.rstrip("/"))
            t0 = time.monotonic()
            os.stat(peer.path(f"lora-{count // 2:06d}.safetensors"))
            stat_one = time.monotonic() - t0
            peer.stop()
            rows.append({"workload": f"ls -l of {count:,} (first / warm)", "tool": peer.name, "wall": warm, "first": first})
            rows.append({"workload": f"stat of one among {count:,}, first after mount", "tool": peer.name, "wall": stat_one})
        if "aws" in TOOLS:
            t0 = time.monotonic()
            sh([AWS, "--endpoint-url", HTTPS, "s3", "ls", f"s3://{peers[0].bucket}/{prefix}"], stdout=subprocess.DEVNULL)
            rows.append({"workload": f"ls -l of {count:,} (first / warm)", "tool": "aws", "wall": None,
                         "first": time.monotonic() - t0, "note": "aws s3 ls"})


def read_back(tools, src, label):
    size, digest = src.stat().st_size, sha256_file(src)
    stored = {}
    for tool in tools:
        name = f"read-{size // MIB}.safetensors"
        if tool.mounted:
            sh(["cp", str(src), str(tool.path(name))])
            if not tool.stored(name, size):
                raise RuntimeError(f"{tool.name}: {name} not stored")
            stored[tool.name] = tool.key(name)
        else:
            sh(tool.cp(src, name))
            stored[tool.name] = name
    samples = {t.name: [] for t in tools}
    gets = []
    for run in range(RUNS):
        for tool in rotate(tools, run):
            name = f"read-{size // MIB}.safetensors"
            if tool.mounted:
                tool.stop()
                tool.start(*([] if tool.name == "lorafs" else [""]))
                out = WORK / "read.out"
                s = measure(tool, ["cp", str(tool.path(name)), str(out)])
            else:
                out = WORK / "read.out"
                s = measure(tool, [AWS, "--endpoint-url", HTTPS, "s3", "cp", "--only-show-errors",
                                   f"s3://{tool.bucket}/{name}", str(out)])
            if sha256_file(out) != digest:
                raise RuntimeError(f"{tool.name}: read back wrong bytes")
            out.unlink()
            samples[tool.name].append(s)
        t0 = time.monotonic()
        n = 0
        for chunk in S3.get_object(Bucket=tools[0].bucket, Key=stored[tools[0].name])["Body"].iter_chunks(8 * MIB):
            n += len(chunk)
        assert n == size
        gets.append({"wall": time.monotonic() - t0, "cpu": float("nan"), "rss": float("nan"), "requests": 1})
    for tool in tools:
        record(label, tool.name, samples[tool.name], size)
    record(label, "ceiling: one whole-object GET (boto3)", gets, size)
    for tool in tools:
        if tool.mounted:
            os.unlink(tool.path(f"read-{size // MIB}.safetensors"))


def deletes(tools, small):
    samples = {t.name: [] for t in tools}
    for run in range(RUNS):
        for tool in rotate(tools, run):
            names = [f"del{run}-{i:03d}.safetensors" for i in range(100)]
            if tool.mounted:
                for name in names:
                    sh(["cp", str(small), str(tool.path(name))])
                for name in names:
                    tool.stored(name, small.stat().st_size)
                s = measure(tool, ["rm", *[str(tool.path(n)) for n in names]])
            else:
                for name in names:
                    S3.put_object(Bucket=tool.bucket, Key=f"del{run}/{name}", Body=small.read_bytes())
                s = measure(tool, [AWS, "--endpoint-url", HTTPS, "s3", "rm", "--recursive", "--only-show-errors",
                                   f"s3://{tool.bucket}/del{run}/"])
            samples[tool.name].append(s)
    for tool in tools:
        record("delete 100", tool.name, samples[tool.name])


# ---------------------------------------------------------------------------
# the report


def report():
    print()
    print(f"lorafs benchmark ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} cores, "
          f"SeaweedFS over HTTPS on loopback, medians of {RUNS})")
    print(f"{'workload':<44} {'tool':<44} {'wall':>9} {'MiB/s':>7} {'cpu s':>7} {'RSS MiB':>8} {'requests':>8}  note")
    order = []
    for r in rows:
        if r["workload"] not in order:
            order.append(r["workload"])
    for workload in order:
        group = [r for r in rows if r["workload"] == workload]
        for r in group:
            wall = r.get("wall")
            first = r.get("first")
            def seconds(v):
                return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
            shown = seconds(wall) if wall is not None else "-"
            if first is not None:
                shown = f"{first * 1000:.0f}/{wall * 1000:.0f} ms" if wall is not None else seconds(first)
            fmt = lambda v, f: (f.format(v) if isinstance(v, (int, float)) and v == v else "")  # noqa: E731
            print(f"{workload:<44} {r['tool']:<44} {shown:>9} {fmt(r.get('mbps'), '{:.0f}'):>7} {fmt(r.get('cpu'), '{:.2f}'):>7} "
                  f"{fmt(r.get('rss'), '{:.0f}'):>8} {fmt(r.get('requests'), '{:.0f}'):>8}  {r.get('note', '')}")
        ours = next((r for r in group if r["tool"] == "lorafs"), None)
        peers = [r for r in group if r["tool"] not in ("lorafs", "local disk") and not r["tool"].startswith("ceiling") and r.get("wall")]
        if ours and ours.get("wall") and peers:
            best = min(peers, key=lambda r: r["wall"])
            print(f"{'':<44} {'ratio lorafs / best peer (' + best['tool'] + ')':<44} {ours['wall'] / best['wall']:>8.2f}x")
        local = next((r for r in group if r["tool"] == "local disk" and r.get("wall")), None)
        if ours and ours.get("wall") and local:
            print(f"{'':<44} {'ratio lorafs / local disk (warm)':<44} {ours['wall'] / local['wall']:>8.2f}x")
        for ceiling in (r for r in group if r["tool"].startswith("ceiling")):
            if ours and ours.get("wall"):
                which = ceiling["tool"].split(":")[1].split("(")[0].strip()
                print(f"{'':<44} {'lorafs as a share of the ceiling (' + which + ')':<44} "
                      f"{ceiling['wall'] / ours['wall'] * 100:>8.0f}%")


def main():
    tools = make_tools()
    log("generating the LoRAs")
    src = WORK / "copy.safetensors"
    loragen.write_valid(src, SIZE, "kohya", seed=1)
    for tool in tools:
        if tool.mounted:
            tool.start()
    copy_in(tools, src, f"copy in {SIZE // MIB} MiB", RUNS)
    vacuum()
    ceiling_intake(SIZE)
    ceiling_fuse(src)
    lorafs = next((t for t in tools if t.name == "lorafs"), None)
    if lorafs:
        # Daemon CPU from the first copy to the tenth on one mount.
        cpus = []
        for i in range(10):
            name = f"flat-{i}.safetensors"
            s = measure(lorafs, ["cp", str(src), str(lorafs.path(name))])
            cpus.append(s["cpu"])
            os.unlink(lorafs.path(name))
        vacuum()
        rows.append({"workload": "lorafs daemon CPU, copies 1..10 of one mount", "tool": "lorafs", "wall": None,
                     "note": " ".join(f"{c:.2f}" for c in cpus) + " s"})
    if BIG:
        big = WORK / "big.safetensors"
        loragen.write_valid(big, BIG, "kohya", seed=2)
        copy_in(tools, big, f"copy in {BIG // MIB} MiB", 1)
        big.unlink()
        vacuum()
    files = []
    for i in range(20):
        f = WORK / "fifty" / f"f{i:02d}.safetensors"
        f.parent.mkdir(exist_ok=True)
        loragen.write_valid(f, MANY, "kohya", seed=10 + i)
        files.append(f)
    many_files(tools, files, f"20 x {MANY // MIB} MiB, one at a time", 1)
    vacuum()
    many_files(tools, files, f"20 x {MANY // MIB} MiB, 4 at a time", 4)
    shutil.rmtree(WORK / "fifty")
    vacuum()
    small_dir = WORK / "small"
    small_dir.mkdir()
    for i in range(SMALL):
        loragen.write_valid(small_dir / f"s{i:04d}.safetensors", 16384, "kohya", seed=1000 + i)
    small_files(tools, small_dir)
    read_src = WORK / "read256.safetensors"
    loragen.write_valid(read_src, 256 * MIB, "kohya", seed=3)
    read_back(tools, read_src, "read back 256 MiB")
    read_back(tools, src, f"read back {SIZE // MIB} MiB")
    deletes(tools, next(small_dir.iterdir()))
    for tool in tools:
        if tool.mounted and tool.proc:
            tool.stop()
    listings(tools)
    report()


if __name__ == "__main__":
    try:
        main()
    finally:
        for line in open("/proc/self/mountinfo"):
            mp = line.split()[4]
            if mp.startswith(str(WORK)):
                subprocess.run(["fusermount3", "-u", "-z", mp])
