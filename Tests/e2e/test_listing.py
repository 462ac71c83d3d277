"""Listing a big workspace: every name exactly once, chunk by chunk, and `ls -l`
answered by READDIRPLUS without a LOOKUP per name.

The workspace comes from a snapshot in the bucket (as `scripts/bench` fills
it), so 5,000 LoRAs cost one PUT; a fresh state directory restores from it.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))
import benchkit  # noqa: E402

from conftest import run  # noqa: E402

COUNT = 5000
FUSE_LOOKUP, FUSE_READDIR, FUSE_READDIRPLUS = 1, 28, 44


def seeded(lorafs, s3, bucket):
    m = lorafs(start=False)
    benchkit.seed_snapshot(s3.client, bucket, m.workspace, COUNT)
    return m.start()


def fuse_opcodes(pid: int, action) -> dict[int, int]:
    """The FUSE requests the daemon reads from /dev/fuse while `action()` runs, by opcode."""
    trace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=read", "-e", "read=none", "-s", "8", "-x",
                              "-p", str(pid)], stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # attached to every thread
    try:
        action()
        time.sleep(0.3)
    finally:
        trace.send_signal(signal.SIGINT)
        _, err = trace.communicate(timeout=30)
    counts: dict[int, int] = {}
    for m in re.finditer(r'"((?:\\x[0-9a-f]{2}){8})', err):
        raw = bytes.fromhex(m.group(1).replace("\\x", ""))
        opcode = int.from_bytes(raw[4:8], "little")
        if int.from_bytes(raw[0:4], "little") >= 40 and opcode < 64:
            counts[opcode] = counts.get(opcode, 0) + 1
    return counts


def test_every_name_once_with_sizes(lorafs, s3, bucket):
    m = seeded(lorafs, s3, bucket)
    names = [n for n in os.listdir(m.mnt) if n.endswith(".safetensors")]
    assert len(names) == COUNT and len(set(names)) == COUNT
    assert set(names) == {f"lora-{i:06d}.safetensors" for i in range(COUNT)}
    # A reader that starts over on the same descriptor (rewinddir) gets the whole listing again.
    fd = os.open(m.mnt, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with os.scandir(fd) as first:
            a = sorted(e.name for e in first)
        with os.scandir(fd) as again:
            b = sorted(e.name for e in again)
    finally:
        os.close(fd)
    assert a == b and len([n for n in a if n.endswith(".safetensors")]) == COUNT
    r = run(["ls", "-l", m.mnt])
    assert r.returncode == 0, r.stderr
    sizes = [line.split()[4] for line in r.stdout.splitlines() if line.endswith(".safetensors")]
    assert len(sizes) == COUNT and set(sizes) == {"16384"}


def test_ls_l_needs_no_lookup_per_name(lorafs, s3, bucket):
    m = seeded(lorafs, s3, bucket)
    result = {}

    def ls_l():
        result["r"] = run(["ls", "-l", m.mnt])

    ops = fuse_opcodes(m.proc.pid, ls_l)
    assert result["r"].returncode == 0 and result["r"].stdout.count(".safetensors") == COUNT
    # READDIRPLUS all the way (the kernel's "auto" mode asked it for the first chunk only),
    # and entries the kernel keeps: it used to send one LOOKUP per name.
    assert ops.get(FUSE_READDIRPLUS, 0) >= 1, ops
    assert ops.get(FUSE_READDIR, 0) == 0, ops
    assert ops.get(FUSE_LOOKUP, 0) < 50, ops
