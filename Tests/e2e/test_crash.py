"""kill -9 of the daemon at each step of an upload, a rename, a delete and a job
submission (LORAFS_CRASH_AT makes the daemon kill itself exactly there), then a new
mount: no row without its object, no multipart upload left open, and what the
bucket holds beyond the catalog is reported by fsck and either rebuilt or collected."""
import json
import os
import time

import pytest

from conftest import generator_args, is_fuse_mounted, run, sha256_file, wait_until
from test_fsck import fsck


def crash(m, action):
    """Runs `action` against a mount armed to die; returns its result once the daemon is gone."""
    result = action()
    assert m.proc is not None
    code = m.proc.wait(timeout=30)
    assert code == -9, f"the daemon exited {code}, not killed at {m.extra_env}\n{m.log()}"
    m.proc = None
    if not wait_until(lambda: not is_fuse_mounted(m.mnt), 5):  # auto_unmount normally does it
        run(["fusermount3", "-u", "-z", m.mnt])
    m.extra_env = {}
    return result


def arm(m, point):
    if m.proc is not None:
        assert m.unmount() == 0
    m.extra_env = {"LORAFS_CRASH_AT": point}
    m.start()


def assert_consistent(m):
    """After a remount: every row's object is there with its size; no upload open."""
    assert m.wait_no_uploads(timeout=10) == [], m.uploads()
    objects = m.objects()
    for name, row in m.catalog().items():
        assert objects.get(row["object_key"]) == row["size"], f"{name}: row without its object"


@pytest.mark.parametrize("point,after", [
    ("upload.created", "nothing"),
    ("upload.part", "nothing"),
    ("upload.completed", "orphan"),
    ("upload.manifest", "recoverable"),
    ("upload.recorded", "stored"),
])
def test_a_crash_during_an_upload(lorafs, src, point, after):
    m = lorafs(start=False)
    arm(m, point)
    r = crash(m, lambda: m.cp(src.big))
    assert r.returncode != 0, "cp reported success from a daemon that died before answering"
    m.start()
    assert_consistent(m)
    name = src.big.name
    assert (name in m.catalog()) == (after == "stored"), m.catalog()
    assert m.unmount() == 0
    check = fsck(m)
    if after == "nothing":
        assert check.returncode == 0 and m.objects() == {}, check.stdout
    elif after == "orphan":
        assert check.returncode == 2 and "orphaned objects (left in place): 1" in check.stdout, check.stdout
        collected = fsck(m, "--collect", "--grace", "0")
        assert collected.returncode == 0 and "collected: 1" in collected.stdout, collected.stdout
        assert m.objects() == {}
    elif after == "recoverable":
        assert check.returncode == 2 and "missing from the catalog: 1" in check.stdout, check.stdout
        assert fsck(m, "--rebuild").returncode == 0
    else:
        assert check.returncode == 0, check.stdout
    m.start()
    assert_consistent(m)
    if after in ("recoverable", "stored"):
        assert sha256_file(m.p(name)) == sha256_file(src.big)


def test_a_crash_after_a_rename_is_committed(lorafs, src):
    m = lorafs()
    assert m.cp(src.small, "before.safetensors").returncode == 0
    arm(m, "rename.recorded")
    r = crash(m, lambda: run(["mv", m.p("before.safetensors"), m.p("after.safetensors")]))
    assert r.returncode != 0
    m.start()
    assert_consistent(m)
    listed = [n for n in m.listing() if n in ("before.safetensors", "after.safetensors")]
    assert listed == ["after.safetensors"], listed  # the catalog committed the rename
    assert sha256_file(m.p("after.safetensors")) == sha256_file(src.small)
    assert m.unmount() == 0
    # The manifest still says the old name: fsck reports the disagreement. A rebuild
    # takes the manifests' word, and the next mount the change log's, which holds the
    # committed rename: it stands, and that mount rewrites the manifest, so fsck agrees.
    assert fsck(m).returncode == 2
    assert fsck(m, "--rebuild").returncode == 0
    m.start()
    assert [n for n in m.listing() if n.endswith(".safetensors")] == ["after.safetensors"]
    assert sha256_file(m.p("after.safetensors")) == sha256_file(src.small)
    assert m.unmount() == 0
    r = fsck(m)
    assert r.returncode == 0 and "catalog matches the bucket" in r.stdout, r.stdout


def test_a_crash_after_a_removal_took_the_row(lorafs, src):
    m = lorafs()
    assert m.cp(src.small, "doomed.safetensors").returncode == 0
    arm(m, "delete.row")
    r = crash(m, lambda: run(["rm", m.p("doomed.safetensors")]))
    assert r.returncode != 0
    m.start()
    assert_consistent(m)
    assert "doomed.safetensors" not in m.listing()
    assert m.unmount() == 0
    # rm never returned 0: the object and manifest are still there, and fsck says so.
    check = fsck(m)
    assert check.returncode == 2 and "missing from the catalog: 1" in check.stdout, check.stdout
    key = json.loads(m.s3.client.get_object(Bucket=m.bucket, Key=manifest_keys(m)[0])["Body"].read())["object_key"]
    # A rebuild brings the row back from the manifest; the next mount applies the change
    # log, where the committed removal is: the LoRA stays removed, its object goes after
    # the delete delay, and fsck then agrees.
    assert fsck(m, "--rebuild").returncode == 0
    m.start()
    assert "doomed.safetensors" not in m.listing()
    assert wait_until(lambda: m.head(key) is None, 20), "the removed LoRA's object stayed"
    assert m.unmount() == 0
    r = fsck(m)
    assert r.returncode == 0 and "catalog matches the bucket" in r.stdout, r.stdout


def manifest_keys(m):
    listed = m.s3.client.list_objects_v2(Bucket=m.bucket, Prefix=f"workspaces/{m.workspace}/manifests/")
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_crash_after_the_backend_accepted_a_job(lorafs, local_worker, src):
    m = lorafs(start=False, extra_args=generator_args(local_worker))
    m.start()
    assert m.cp(src.small).returncode == 0
    arm(m, "job.submitted")
    spec = {"model": "t2v-A14B", "prompt": "after the crash", "resolution": "480p", "frames": 17, "steps": 4,
            "loras": [{"name": src.small.name, "scale": 0.8}]}

    def write():
        try:
            (m.mnt / "generate" / "lost.json").write_text(json.dumps(spec))
        except OSError as e:
            return e
        return None

    assert isinstance(crash(m, write), OSError)
    m.start()
    assert_consistent(m)
    assert "lost" not in os.listdir(m.p("jobs"))  # never recorded, so no mount polls it
    # The workspace still takes jobs.
    (m.mnt / "generate" / "again.json").write_text(json.dumps(spec))
    assert wait_until(lambda: "again" in os.listdir(m.p("jobs")), 10)
