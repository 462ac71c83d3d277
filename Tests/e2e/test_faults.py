"""A faulty S3: an HTTP-aware fault proxy (faultproxy.py) between lorafs and
SeaweedFS drops, resets, stalls, truncates or answers 500/503 to a share of the
requests. Uploads still all arrive with the right SHA-256 (checked on the object
read straight from SeaweedFS), stored exactly once; reads never return wrong
bytes; with S3 down every cp fails within the deadline and the catalog stays as
it was. LORAFS_SOAK=1 runs the long version (scripts/soak-faults)."""
import hashlib
import os
import random
import subprocess
import time
from urllib.parse import urlparse

import pytest

from conftest import sha256_file
from faultproxy import KINDS, FaultProxy

MiB = 1024 * 1024
SOAK = os.environ.get("LORAFS_SOAK") == "1"
TIMEOUT = 30  # --s3-timeout of the faulty mounts: room for retries
DOWN_TIMEOUT = 6  # --s3-timeout of the mounts whose S3 goes away
LORAS = r"^\S+ /\S*/loras/[^?]+"  # a request on a LoRA object (not a manifest)


def mount_through(lorafs, s3, timeout, http):
    u = urlparse(s3.endpoint)
    proxy = FaultProxy(u.hostname, u.port, http=http)
    m = lorafs(start=False, extra_args=["--s3-timeout", str(timeout)])
    m.endpoint = proxy.endpoint
    m.start()
    return m, proxy


@pytest.fixture
def faulty(lorafs, s3):
    m, proxy = mount_through(lorafs, s3, TIMEOUT, http=True)
    yield m, proxy
    print(f"fault proxy: {proxy.requests} requests, injected {dict(proxy.injected)}")
    proxy.faults(0)
    proxy.close()


def stored_sha256(m, name) -> str:
    """SHA-256 of the object behind `name`, read from SeaweedFS directly."""
    key = m.catalog()[name]["object_key"]
    body = m.s3.client.get_object(Bucket=m.bucket, Key=key)["Body"]
    h = hashlib.sha256()
    for chunk in iter(lambda: body.read(MiB), b""):
        h.update(chunk)
    return h.hexdigest()


def assert_stored_once(m, name, path):
    """Stored (assert_stored), its bytes in S3 are the source's, and nothing else
    of it is left in the bucket: one object per row, no open multipart upload."""
    m.assert_stored(name, path)
    assert stored_sha256(m, name) == sha256_file(path), name
    assert set(m.objects()) == {row["object_key"] for row in m.catalog().values()}


@pytest.mark.timeout(1800 if SOAK else 300)
def test_uploads_through_ten_percent_faults_all_arrive_intact(faulty, src):
    m, proxy = faulty
    rng = random.Random(2024)
    if SOAK:
        sizes = [rng.randint(20 * MiB, 200 * MiB) for _ in range(20)]
    else:  # CI: fast, and both paths (one PUT under 8 MiB, multipart above)
        sizes = [rng.randint(20 * MiB, 64 * MiB) for _ in range(6)] + [300 * 1024, 5 * MiB]
    files = [src.valid(f"faulty-{i:02d}.safetensors", size, seed=100 + i) for i, size in enumerate(sizes)]
    proxy.faults(share=0.1, seed=7)
    t0 = time.monotonic()
    for f in files:
        r = m.cp(f)
        assert r.returncode == 0, (f.name, r.stderr, proxy.log[-5:], m.errors()[-3:])
    took = time.monotonic() - t0
    proxy.faults(0)
    for f in files:
        assert_stored_once(m, f.name, f)
    assert m.uploads() == []
    print(f"{len(files)} uploads, {sum(sizes) / MiB:.0f} MiB in {took:.1f} s; "
          f"{proxy.requests} requests, injected {dict(proxy.injected)}")
    # Not vacuous: the faults were there, on the uploads.
    assert sum(proxy.injected.values()) >= (20 if SOAK else 3), proxy.injected
    assert len(proxy.injected) >= (len(KINDS) if SOAK else 3), proxy.injected


def test_every_kind_of_fault_on_every_step_of_an_upload(faulty, src):
    """Each kind in turn on the create, a part and the complete of a multipart
    upload, and on a single PUT: every cp succeeds and stores its file exactly
    once. A complete whose answer was lost is retried, sees NoSuchUpload and
    finds its object (HEAD); a create whose answer was lost adopts its upload."""
    m, proxy = faulty
    big = src.valid("steps-big.safetensors", 20 * MiB, seed=31)
    small = src.valid("steps-small.safetensors", 1 * MiB, seed=32)
    for kind in KINDS:
        proxy.fault_next(kind, LORAS + r"\?uploads")
        proxy.fault_next(kind, LORAS + r"\?partNumber=2&")
        proxy.fault_next(kind, r"^POST " + LORAS[5:] + r"\?uploadId=")
        r = m.cp(big, f"{kind}-big.safetensors")
        assert r.returncode == 0, (kind, r.stderr, m.errors()[-3:])
        assert proxy.pending() == 0, (kind, proxy.pending())
        proxy.fault_next(kind, r"^PUT " + LORAS[5:] + "$")
        r = m.cp(small, f"{kind}-small.safetensors")
        assert r.returncode == 0, (kind, r.stderr, m.errors()[-3:])
        assert proxy.pending() == 0, (kind, proxy.pending())
    for kind in KINDS:
        assert_stored_once(m, f"{kind}-big.safetensors", big)
        assert_stored_once(m, f"{kind}-small.safetensors", small)
    assert m.uploads() == []
    assert all(proxy.injected[k] == 4 for k in KINDS), proxy.injected


def test_reads_through_faults_return_the_right_bytes_or_an_error(faulty, src):
    m, proxy = faulty
    lora = src.valid("read-me.safetensors", 64 * MiB, seed=41)
    assert m.cp(lora).returncode == 0
    want = sha256_file(lora)
    proxy.faults(share=0.1, seed=11, match=r"^GET ")
    for _ in range(3):  # at 10 % the retries always win
        assert sha256_file(m.p(lora.name)) == want
    ten = sum(proxy.injected.values())
    assert ten >= 1, proxy.injected
    # Far beyond what retries can hide: an error is fine, wrong bytes are not.
    proxy.faults(share=0.6, seed=12, match=r"^GET ", kinds=("drop", "reset-response", "truncate", "503"))
    outcomes = []
    for _ in range(3):
        r = subprocess.run(["sha256sum", str(m.p(lora.name))], capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C"), timeout=4 * TIMEOUT)
        if r.returncode == 0:
            assert r.stdout.split()[0] == want, "wrong bytes read"
            outcomes.append("right")
        else:
            assert "Input/output error" in r.stderr, r.stderr
            outcomes.append("EIO")
    print(f"reads: 3 right at 10 % ({ten} faults), at 60 %: {outcomes}; injected {dict(proxy.injected)}")
    assert sum(proxy.injected.values()) - ten >= 5, proxy.injected
    proxy.faults(0)
    assert sha256_file(m.p(lora.name)) == want


@pytest.mark.parametrize("down", ["refuse", "stall"])
def test_with_s3_down_every_cp_fails_in_time_and_the_catalog_is_unchanged(lorafs, s3, src, down):
    m, proxy = mount_through(lorafs, s3, DOWN_TIMEOUT, http=False)
    try:
        old = src.valid(f"keep-{down}.safetensors", 12 * MiB, seed=51)
        assert m.cp(old).returncode == 0
        m.wait_published()
        catalog, objects = m.catalog(), m.all_objects()
        newer = src.valid(f"keep-{down}-v2.safetensors", 20 * MiB, seed=52)
        copies = [(src.small, src.small.name), (src.big, src.big.name), (newer, old.name)]
        proxy.set(down)
        t0 = time.monotonic()
        procs = [subprocess.Popen(["cp", str(f), str(m.p(n))], stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, LC_ALL="C")) for f, n in copies]
        results = [(p.wait(timeout=60), p.stderr.read(), time.monotonic() - t0) for p in procs]
        for (f, n), (rc, err, took) in zip(copies, results):
            assert rc != 0 and "Input/output error" in err, (n, rc, err)
            assert took < 3 * DOWN_TIMEOUT + 5, f"cp {n} took {took:.1f} s against a {DOWN_TIMEOUT} s deadline"
        assert m.catalog() == catalog
        assert sorted(m.listing()) == [old.name]
        assert os.stat(m.p(old.name)).st_size == old.stat().st_size
        proxy.set("pass")
        # A create that a hung S3 held and ran after lorafs gave up leaves an empty
        # multipart upload nobody knows of (its answer went nowhere): the next mount
        # aborts what is left under the workspace.
        m.remount()
        assert not m.wait_no_uploads(timeout=4 * DOWN_TIMEOUT), m.uploads()
        assert m.catalog() == catalog
        after = m.all_objects()
        assert all(after.get(k) == size for k, size in objects.items()), (objects, after)
        # A PUT a hung S3 held and ran after lorafs gave up may leave its object: an
        # orphan with no row (fsck reports it); never with refused connections.
        extra = set(after) - set(objects)
        assert not extra if down == "refuse" else all("/loras/" in k for k in extra), extra
        assert sha256_file(m.p(old.name)) == sha256_file(old)  # the old version, whole
        print(f"S3 {down}: {len(copies)} cps failed in {max(t for *_, t in results):.1f} s")
    finally:
        proxy.set("pass")
        proxy.close()
