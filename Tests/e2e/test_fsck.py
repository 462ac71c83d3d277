"""`lorafs fsck`: the catalog checked against, and rebuilt from, the bucket alone."""
import shutil

from conftest import run, sha256_file


def fsck(m, *flags):
    return run([m.bin, "fsck", "--bucket", m.bucket, "--endpoint", m.s3.endpoint,
                "--workspace", m.workspace, "--state-dir", m.state_dir, *flags], env=m.env())


def rows(catalog: dict) -> dict:
    return {n: (r["object_key"], r["size"], r["sha256"], int(r["uploaded_at"])) for n, r in catalog.items()}


def test_a_lost_catalog_is_rebuilt_from_the_bucket_alone(lorafs, src):
    m = lorafs()
    for f in (src.small, src.big, src.ckpt):
        assert m.cp(f).returncode == 0, m.log()
    # A rename is a catalog update; the manifest follows it.
    assert run(["mv", m.p(src.small.name), m.p("renamed.safetensors")]).returncode == 0
    before = rows(m.catalog())
    assert m.unmount() == 0

    r = fsck(m)
    assert r.returncode == 0 and "catalog matches the bucket" in r.stdout, r.stdout + r.stderr

    shutil.rmtree(m.state_dir)
    r = fsck(m)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "missing from the catalog: 3" in r.stdout, r.stdout
    r = fsck(m, "--rebuild")
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows(m.catalog()) == before

    # The rebuilt catalog serves the same files, byte for byte.
    m.start()
    assert m.listing() == sorted(["renamed.safetensors", src.big.name, src.ckpt.name])
    out = run(["sha256sum", m.p("renamed.safetensors")], check=True).stdout.split()[0]
    assert out == sha256_file(src.small)


def test_fsck_reports_a_row_whose_object_is_gone(lorafs, src):
    m = lorafs()
    assert m.cp(src.small2).returncode == 0
    key = m.catalog()[src.small2.name]["object_key"]
    assert m.unmount() == 0
    m.s3.client.delete_object(Bucket=m.bucket, Key=key)
    r = fsck(m)
    assert r.returncode == 2 and "gone from the bucket: 1" in r.stdout and src.small2.name in r.stdout, r.stdout
    # The rebuild drops the row; the object's manifest is left in place (fsck deletes
    # nothing), so it is still a problem found: exit 2.
    r = fsck(m, "--rebuild")
    assert r.returncode == 2 and "stale manifests: 1" in r.stdout and "catalog rebuilt: 0 row(s)" in r.stdout, r.stdout
    assert m.catalog() == {}


def test_after_a_rebuild_the_next_mount_lets_the_change_log_win(lorafs, src):
    # A LoRA removed within the delete delay keeps its manifest, so the rebuild brings
    # its row back; the workspace's log knows it was removed, and the next mount says so.
    m = lorafs(extra_args=["--delete-delay", "600"])
    assert m.cp(src.small, "kept.safetensors").returncode == 0
    assert m.cp(src.small2, "removed.safetensors").returncode == 0
    assert run(["rm", m.p("removed.safetensors")]).returncode == 0
    assert m.unmount() == 0
    r = fsck(m, "--rebuild")
    assert r.returncode == 0 and "catalog rebuilt: 2 row(s)" in r.stdout, r.stdout + r.stderr
    assert "the next mount applies the workspace's change log" in r.stdout, r.stdout
    m.start()
    assert m.listing() == ["kept.safetensors"], m.log()
    assert sha256_file(m.p("kept.safetensors")) == sha256_file(src.small)
    assert sorted(m.catalog()) == ["kept.safetensors"]
