"""The driver of scripts/bench-mounts: see there for what it measures."""
from __future__ import annotations

import os
import random
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "e2e"))
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import loragen  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from benchkit import log, seed_snapshot  # noqa: E402
import pgcluster  # noqa: E402

BIN, WORK = sys.argv[1], Path(sys.argv[2])
ENDPOINT = os.environ["LORAFS_S3_ENDPOINT"]
SECONDS = float(os.environ.get("LORAFS_BENCH_SECONDS", "60"))
LORAS = int(os.environ.get("LORAFS_BENCH_LORAS", "100000"))
SAMPLES = int(os.environ.get("LORAFS_BENCH_SAMPLES", "20"))
S3 = boto3.client("s3", endpoint_url=ENDPOINT, config=Config(s3={"addressing_style": "path"}))
BUCKET = "bench-mounts"
S3.create_bucket(Bucket=BUCKET)


class Mount:
    def __init__(self, name, workspace, *extra, endpoint=ENDPOINT):
        self.mnt, self.state = WORK / f"mnt-{name}", WORK / f"state-{name}"
        self.mnt.mkdir(parents=True, exist_ok=True)
        self.workspace, self.extra, self.endpoint = workspace, list(extra), endpoint
        self.proc = None

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen([BIN, "mount", str(self.mnt), "--bucket", BUCKET, "--endpoint", self.endpoint,
                                      "--workspace", self.workspace, "--state-dir", str(self.state), "--foreground",
                                      *self.extra], stdout=open(WORK / f"{self.mnt.name}.log", "ab"),
                                     stderr=subprocess.STDOUT)
        while not os.path.ismount(self.mnt):
            assert self.proc.poll() is None, (WORK / f"{self.mnt.name}.log").read_text()[-3000:]
            time.sleep(0.01)
        return time.monotonic() - t0

    def stop(self):
        subprocess.run(["fusermount3", "-u", str(self.mnt)], check=True)
        assert self.proc.wait(120) == 0

    def p(self, name):
        return self.mnt / name

    def listing(self):
        return sorted(n for n in os.listdir(self.mnt) if n.endswith((".safetensors", ".ckpt")))

    def status(self):
        lines = (self.mnt / ".lorafs" / "status").read_text().splitlines()
        return dict(l.split(": ", 1) for l in lines if ": " in l and not l.startswith(" "))

    def refresh(self):
        subprocess.run(["touch", str(self.mnt / ".lorafs" / "refresh")], check=True)

    def catalog(self):
        con = sqlite3.connect(f"file:{self.state}/catalog.sqlite?mode=ro", uri=True)
        try:
            return {r[0]: (r[1], r[2]) for r in con.execute("SELECT name, object_key, sha256 FROM loras")}
        finally:
            con.close()


def wait(pred, timeout=30.0, interval=0.01):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def lora_files(n):
    folder = WORK / "src"
    folder.mkdir(exist_ok=True)
    files = []
    for i in range(n):
        path = folder / f"src-{i}.safetensors"
        loragen.write_valid(path, size=16384, seed=i)
        files.append(path)
    return files


def convergence(n_mounts, files):
    workspace = f"conv{n_mounts}-{uuid.uuid4().hex[:6]}"
    mounts = [Mount(f"c{n_mounts}-{i}", workspace, "--refresh-interval", "2", "--delete-delay", "0") for i in range(n_mounts)]
    for m in mounts:
        m.start()
    names = [f"n{i:02d}.safetensors" for i in range(24)]
    counts = {"cp": 0, "mv": 0, "rm": 0, "failed": 0}
    stop_at = time.monotonic() + SECONDS

    def worker(m, seed):
        rnd = random.Random(seed)
        while time.monotonic() < stop_at:
            op = rnd.choices(["cp", "mv", "rm"], weights=[6, 2, 2])[0]
            try:
                if op == "cp":
                    subprocess.run(["cp", str(rnd.choice(files)), str(m.p(rnd.choice(names)))], check=True,
                                   capture_output=True)
                elif op == "mv":
                    present = m.listing()
                    if not present:
                        continue
                    os.rename(m.p(rnd.choice(present)), m.p(rnd.choice(names)))
                else:
                    present = m.listing()
                    if not present:
                        continue
                    os.unlink(m.p(rnd.choice(present)))
                counts[op] += 1
            except (OSError, subprocess.CalledProcessError):
                counts["failed"] += 1  # a name another mount's refresh just moved: fine, and counted

    threads = [threading.Thread(target=worker, args=(m, i)) for i, m in enumerate(mounts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m in mounts:
        assert wait(lambda: m.status()["changes_not_yet_published"] == "0", 60), m.status()
    for m in mounts:
        m.refresh()
    listings = [m.listing() for m in mounts]
    catalogs = [m.catalog() for m in mounts]
    named = {key for key, _ in catalogs[0].values()}
    wait(lambda: {o["Key"] for o in S3.list_objects_v2(Bucket=BUCKET, Prefix=f"workspaces/{workspace}/loras/").get("Contents", [])} == named, 30)
    bucket = {o["Key"] for o in S3.list_objects_v2(Bucket=BUCKET, Prefix=f"workspaces/{workspace}/loras/").get("Contents", [])}
    agree = all(l == listings[0] for l in listings) and all(c == catalogs[0] for c in catalogs) and bucket == named
    if not agree:
        for i, (l, c) in enumerate(zip(listings, catalogs)):
            diff = {n: (c.get(n), catalogs[0].get(n)) for n in set(c) | set(catalogs[0]) if c.get(n) != catalogs[0].get(n)}
            log(f"mount {i}: listing {'==' if l == listings[0] else '!='} mount 0's; catalog differs on {diff}")
        log(f"objects named but missing: {sorted(named - bucket)}; in the bucket, unnamed: {sorted(bucket - named)}")
    for m in mounts:
        m.stop()
    return counts, len(listings[0]), agree


def propagation(catalog_args, label):
    workspace = f"prop-{uuid.uuid4().hex[:6]}"
    interval = [] if catalog_args else ["--refresh-interval", "2"]
    a = Mount(f"pa-{label}", workspace, *catalog_args, *interval)
    b = Mount(f"pb-{label}", workspace, *catalog_args, *interval)
    a.start()
    b.start()
    src = lora_files(1)[0]
    times = []
    for i in range(SAMPLES):
        name = f"p{i}.safetensors"
        subprocess.run(["cp", str(src), str(a.p(name))], check=True)
        t0 = time.monotonic()
        assert wait(lambda: name in os.listdir(b.mnt), 30, 0.002), f"{name} never reached the other mount"
        times.append(time.monotonic() - t0)
        time.sleep(random.uniform(0, 2.0))  # a random phase against the refresh interval
    a.stop()
    b.stop()
    times.sort()
    return statistics.median(times), times[-1]


def ls_times(m):
    """`ls -l` of the mount: the first after mounting, then warm (the median of three)."""
    def once():
        t0 = time.monotonic()
        subprocess.run(["ls", "-l", str(m.mnt)], check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - t0
    first = once()
    return first, statistics.median(once() for _ in range(3))


def big_workspace(pg):
    workspace = f"big-{uuid.uuid4().hex[:6]}"
    log(f"seeding a workspace of {LORAS} LoRAs (a snapshot in the bucket)")
    seed_snapshot(S3, BUCKET, workspace, LORAS)
    # In HTTP mode, with no faults asked for, the fault proxy only forwards and counts requests.
    host, port = ENDPOINT.split("//")[1].split(":")
    proxy = FaultProxy(host, int(port), http=True)
    writer = Mount("big-writer", workspace, "--refresh-interval", "0")
    reader = Mount("big-reader", workspace, "--refresh-interval", "0", endpoint=proxy.endpoint)
    first_mount = reader.start()
    writer.start()
    src = lora_files(1)[0]
    for i in range(10):
        subprocess.run(["cp", str(src), str(writer.p(f"change-{i}.safetensors"))], check=True)
    assert wait(lambda: writer.status()["changes_not_yet_published"] == "0", 60)
    before = proxy.requests
    t0 = time.monotonic()
    reader.refresh()
    refresh_ms = (time.monotonic() - t0) * 1000
    requests = proxy.requests - before
    status = reader.status()
    assert len(reader.listing()) == LORAS + 10
    figures = {"refresh": (requests, refresh_ms, status.get("last_refresh_changes"), status.get("last_refresh_ms"))}
    # ls -l and mount time, SQLite
    reader.stop()
    writer.stop()
    remount = reader.start()
    figures["sqlite"] = (first_mount, remount, *ls_times(reader))
    reader.stop()
    # PostgreSQL: the same catalog migrated
    r = subprocess.run([BIN, "catalog", "migrate", "--workspace", workspace, "--from",
                        f"sqlite:{reader.state}/catalog.sqlite", "--to", pg.url()], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    shared = Mount("big-pg", workspace, "--catalog", pg.url())
    pg_mount = shared.start()
    figures["postgresql"] = (pg_mount, pg_mount, *ls_times(shared))
    shared.stop()
    return figures


def main():
    pg = pgcluster.PGCluster()
    try:
        files = lora_files(8)
        rows = []
        for n in (2, 4):
            log(f"{n} mounts, {SECONDS:.0f} s of concurrent cp/mv/rm")
            counts, names, agree = convergence(n, files)
            rows.append((f"{n} mounts, {SECONDS:.0f} s of cp/mv/rm ({counts['cp']} cp, {counts['mv']} mv, {counts['rm']} rm; "
                         f"{counts['failed']} lost a race)", f"{names} names", "listings, catalogs, bucket agree" if agree else "DISAGREE"))
        log("propagation through the bucket's log (refresh every 2 s)")
        med, worst = propagation([], "s3")
        rows.append((f"upload listed by another mount, S3 log, interval 2 s ({SAMPLES} samples)", f"median {med * 1000:.0f} ms", f"max {worst * 1000:.0f} ms"))
        log("propagation through PostgreSQL")
        med, worst = propagation(["--catalog", pg.url()], "pg")
        rows.append((f"upload listed by another mount, PostgreSQL NOTIFY ({SAMPLES} samples)", f"median {med * 1000:.0f} ms", f"max {worst * 1000:.0f} ms"))
        big = big_workspace(pg)
        requests, ms, changes, daemon_ms = big["refresh"]
        rows.append((f"refresh with {LORAS} LoRAs and 10 changes", f"{requests} S3 requests", f"{ms:.0f} ms ({daemon_ms} ms in the daemon, {changes} names)"))
        for engine in ("sqlite", "postgresql"):
            first, remount, ls_first, ls_warm = big[engine]
            rows.append((f"{LORAS} LoRAs, {engine}: mount (first / again)", f"{first:.2f} s / {remount:.2f} s", ""))
            rows.append((f"{LORAS} LoRAs, {engine}: ls -l (first / warm)", f"{ls_first:.2f} s / {ls_warm:.2f} s", ""))
        print(f"\nlorafs bench-mounts ({time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, {os.cpu_count()} cores, "
              "SeaweedFS and PostgreSQL on loopback)")
        for a, b, c in rows:
            print(f"{a:<92} {b:<22} {c}")
    finally:
        pg.stop()


main()
