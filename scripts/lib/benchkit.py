"""What the benchmark drivers (scripts/lib/bench.py, bench_mounts.py) share: logging,
medians, a sampler of a process tree's CPU and memory, SeaweedFS's request counters,
and a workspace of many LoRAs seeded as a snapshot in the bucket."""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
import urllib.request
import uuid

TICKS = os.sysconf("SC_CLK_TCK")


def log(text):
    print(f"==> {text}", file=sys.stderr, flush=True)


def median(values):
    return statistics.median(values) if values else float("nan")


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def cpu_seconds(pid: int) -> float:
    """user + sys of a live process (its threads included; not its children)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except OSError:
        return 0.0


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler:
    """Samples, every 20 ms until `stop()`, the summed RSS of the process trees of
    `pids()` (a daemon, or a command and its children) and their CPU time, so a
    command's CPU is known even after it exited (its last sample)."""

    def __init__(self, pids):
        self.pids, self.peak_kib, self._cpu, self._stop = pids, 0, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            total = 0
            for root in self.pids():
                for p in tree(root):
                    total += rss_kib(p)
                    c = cpu_seconds(p)
                    if c:
                        self._cpu[p] = c
            self.peak_kib = max(self.peak_kib, total)
            if self._stop.wait(0.02):
                return

    def stop(self) -> tuple[float, float]:
        """(peak RSS MiB, CPU seconds seen)."""
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024, sum(self._cpu.values())


class RequestCounter:
    """SeaweedFS's Prometheus counters (`weed mini -metricsPort`): S3 requests by bucket."""

    def __init__(self, url: str):
        self.url = url

    def by_bucket(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with urllib.request.urlopen(self.url, timeout=10) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("SeaweedFS_s3_request_total{"):
                    labels, value = line[len("SeaweedFS_s3_request_total{"):].rsplit("}", 1)
                    bucket = dict(kv.split("=", 1) for kv in labels.split(",")).get("bucket", '""').strip('"')
                    counts[bucket] = counts.get(bucket, 0) + int(float(value))
        return counts

    def count(self, bucket: str) -> int:
        return self.by_bucket().get(bucket, 0)


def seed_snapshot(s3, bucket: str, workspace: str, count: int) -> None:
    """A workspace of `count` LoRAs as a snapshot in the bucket (objects not needed for listing):
    a mount with a new state directory starts from it."""
    now_ms = int(time.time() * 1000)
    cursor = f"{now_ms - 1000:013d}-000000000000-00000001"
    loras = [{"name": f"lora-{i:06d}.safetensors", "object_key": f"workspaces/{workspace}/loras/{uuid.UUID(int=i)}.safetensors",
              "size": 16384, "sha256": "%064x" % i, "uploaded_at": 1.7e9 + i, "kind": "safetensors",
              "has_image_cross_attention": False} for i in range(count)]
    body = json.dumps({"version": 1, "workspace": workspace, "cursor": cursor, "revisions": {}, "applied": [],
                       "loras": loras}).encode()
    s3.put_object(Bucket=bucket, Key=f"workspaces/{workspace}/snapshots/{cursor}.json", Body=body)
