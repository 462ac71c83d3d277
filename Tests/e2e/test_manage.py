"""Managing LoRAs with plain tools: mv, rm, rsync, temp-then-rename writers,
remounts, workspaces, `lorafs ls`, mount-time checks and clean-up."""
import json
import os
import re
import shutil
import time
import uuid
from datetime import datetime

import pytest

from conftest import is_fuse_mounted, processes_mentioning, run, sha256_file, wait_until


def test_mv_renames_in_the_catalog_only(mnt, src):
    assert mnt.cp(src.small, "a.safetensors").returncode == 0
    row = mnt.assert_stored("a.safetensors", src.small)
    objects = mnt.objects()
    r = run(["mv", mnt.p("a.safetensors"), mnt.p("b.safetensors")])
    assert r.returncode == 0, r.stderr
    assert mnt.listing() == ["b.safetensors"]
    cat = mnt.catalog()
    assert "a.safetensors" not in cat
    assert cat["b.safetensors"]["object_key"] == row["object_key"]
    assert cat["b.safetensors"]["sha256"] == row["sha256"]
    assert mnt.objects() == objects  # no re-upload, no copy
    assert run(["sha256sum", mnt.p("b.safetensors")]).stdout.split()[0] == sha256_file(src.small)


def test_mv_to_non_lora_name_is_refused(mnt, src):
    assert mnt.cp(src.small, "a.safetensors").returncode == 0
    row = mnt.catalog()["a.safetensors"]
    r = run(["mv", mnt.p("a.safetensors"), mnt.p("a.txt")])
    assert r.returncode != 0
    assert "Operation not permitted" in r.stderr, r.stderr
    assert mnt.listing() == ["a.safetensors"]
    assert mnt.catalog() == {"a.safetensors": row}


def test_rm_deletes_object_and_row(mnt, src):
    assert mnt.cp(src.small, "gone.safetensors").returncode == 0
    assert mnt.cp(src.small2, "stays.safetensors").returncode == 0
    key = mnt.catalog()["gone.safetensors"]["object_key"]
    r = run(["rm", mnt.p("gone.safetensors")])
    assert r.returncode == 0, r.stderr
    assert mnt.listing() == ["stays.safetensors"]
    assert "gone.safetensors" not in mnt.catalog()
    # The object goes once no mount's name points at it, after --delete-delay (0 here).
    assert wait_until(lambda: mnt.head(key) is None), key
    assert list(mnt.objects()) == [mnt.catalog()["stays.safetensors"]["object_key"]]


def test_unlink_while_open_leaves_no_fuse_hidden(mnt, src):
    assert mnt.cp(src.small, "open.safetensors").returncode == 0
    with open(mnt.p("open.safetensors"), "rb") as f:
        f.read(10)
        os.unlink(mnt.p("open.safetensors"))
        assert not [n for n in mnt.listing_all() if n.startswith(".fuse_hidden")]
    assert not [n for n in mnt.listing_all() if n.startswith(".fuse_hidden")]
    assert mnt.catalog() == {}
    assert wait_until(lambda: mnt.objects() == {}, 10)


def test_rsync_a_of_several_files(mnt, src, tmp_path):
    d = tmp_path / "rs"
    d.mkdir()
    files = [shutil.copy(src.small, d / "one.safetensors"), shutil.copy(src.small2, d / "two.safetensors"),
             shutil.copy(src.ckpt, d / "three.ckpt")]
    r = run(["rsync", "-a", f"{d}/", f"{mnt.p('')}/"])
    assert r.returncode == 0, r.stderr + mnt.log()
    assert mnt.listing_all() == ["one.safetensors", "three.ckpt", "two.safetensors"]
    for f in files:
        mnt.assert_stored(os.path.basename(f), f)
    assert len(mnt.objects()) == 3 and mnt.uploads() == []
    assert set(mnt.catalog()) == {"one.safetensors", "two.safetensors", "three.ckpt"}
    # Metadata names the final name, never rsync's temp name.
    for row in mnt.catalog().values():
        md = mnt.head(row["object_key"])["Metadata"]
        assert not md["lorafs-name"].startswith(".")


def test_rsync_of_corrupt_file_fails_and_leaves_nothing(mnt, src):
    bad = src.corrupt("truncated", "rsync-bad.safetensors")
    r = run(["rsync", bad, f"{mnt.p('')}/"])
    assert r.returncode in (11, 23), (r.returncode, r.stderr)
    assert mnt.listing_all() == []
    mnt.assert_absent("rsync-bad.safetensors", {})


@pytest.mark.parametrize("tmpname", [".final.safetensors.Ab12Cd", "final.safetensors.tmp.1700000000.42",
                                     "final.safetensors.part", "final.tmp", "final.partial",
                                     "final.incomplete", "final.safetensors~"])
def test_write_then_rename_commits_only_the_final_name(mnt, src, tmpname):
    shutil.copyfile(src.small, mnt.p(tmpname))
    # The temp file's close uploaded it (so the rename need not wait on S3): one
    # object, no manifest, no row, nothing listed under the final name.
    assert mnt.catalog() == {}
    uploaded = list(mnt.objects())
    assert len(uploaded) == 1 and "/loras/" in uploaded[0] and "final.safetensors" not in mnt.listing(), uploaded
    os.rename(mnt.p(tmpname), mnt.p("final.safetensors"))
    assert mnt.listing() == ["final.safetensors"]
    assert tmpname not in mnt.listing_all()
    # The object's metadata names what the close guessed (the final name, when the
    # temp name tells it); the manifest written after the rename has the final name.
    guessed = "final.safetensors" if tmpname.startswith(("final.safetensors", ".final.safetensors")) else tmpname
    row = mnt.assert_stored("final.safetensors", src.small, object_name=guessed)
    assert list(mnt.objects()) == [row["object_key"]] == uploaded


def test_staging_file_never_renamed_uploads_nothing(lorafs, src):
    m = lorafs()
    shutil.copyfile(src.small, m.p("abandoned.safetensors.part"))
    assert m.remount() is m
    assert m.listing_all() == []
    assert m.catalog() == {} and m.all_objects() == {} and m.uploads() == []
    # Not in silence: the unmount that threw it away said so.
    assert "abandoned.safetensors.part: a temporary file never renamed to a LoRA name; discarded at unmount" \
        in m.log_path.read_text(errors="replace"), m.log()


def test_remount_shows_same_names_sizes_mtimes(lorafs, src):
    m = lorafs()
    for f in (src.small, src.small2, src.ckpt):
        assert m.cp(f).returncode == 0
    def snapshot():
        return {n: (os.stat(m.p(n)).st_size, int(os.stat(m.p(n)).st_mtime)) for n in m.listing()}
    before = snapshot()
    assert len(before) == 3
    m.remount()
    assert snapshot() == before


def test_second_workspace_sees_nothing_of_the_first(lorafs, src):
    a = lorafs()
    assert a.cp(src.small).returncode == 0
    b = lorafs()
    assert b.listing() == []
    assert b.cp(src.small2).returncode == 0
    assert a.listing() == [src.small.name] and b.listing() == [src.small2.name]
    assert set(a.all_objects()).isdisjoint(b.all_objects())
    assert all(k.startswith(f"workspaces/{b.workspace}/") for k in b.all_objects())
    # A name present in a only cannot be removed through b.
    assert run(["rm", b.p(src.small.name)]).returncode != 0
    assert a.listing() == [src.small.name]


def test_lorafs_ls_json_lists_the_catalog_without_mounting(lorafs, lorafs_bin, src):
    m = lorafs()
    for f in (src.small, src.ckpt):
        assert m.cp(f).returncode == 0
    catalog = m.catalog()
    assert m.unmount() == 0
    r = run([lorafs_bin, "ls", "--workspace", m.workspace, "--state-dir", m.state_dir, "--json"])
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)
    assert isinstance(items, list) and len(items) == 2
    by_name = {i["name"]: i for i in items}
    assert set(by_name) == set(catalog)
    for name, row in catalog.items():
        i = by_name[name]
        assert (i["size"], i["sha256"], i["object_key"]) == (row["size"], row["sha256"], row["object_key"])
        ts = datetime.fromisoformat(i["uploaded_at"].replace("Z", "+00:00"))
        assert abs(ts.timestamp() - row["uploaded_at"]) < 2
    # The plain listing names them too.
    r = run([lorafs_bin, "ls", "--workspace", m.workspace, "--state-dir", m.state_dir])
    assert r.returncode == 0 and all(n in r.stdout for n in catalog), r.stdout


def test_stale_multipart_uploads_are_aborted_at_mount(lorafs, s3, bucket):
    ws, other = f"ws-{uuid.uuid4().hex[:8]}", f"ws-{uuid.uuid4().hex[:8]}"
    mine = s3.client.create_multipart_upload(Bucket=bucket, Key=f"workspaces/{ws}/loras/{uuid.uuid4()}.safetensors")
    s3.client.upload_part(Bucket=bucket, Key=mine["Key"], UploadId=mine["UploadId"], PartNumber=1,
                          Body=b"\0" * (5 * 1024 * 1024))
    theirs = s3.client.create_multipart_upload(Bucket=bucket, Key=f"workspaces/{other}/loras/{uuid.uuid4()}.safetensors")
    m = lorafs(workspace=ws)
    assert m.wait_no_uploads(15) == []
    # Another workspace's uploads are not ours to touch.
    assert [u["UploadId"] for u in s3.uploads(bucket, f"workspaces/{other}/")] == [theirs["UploadId"]]
    s3.client.abort_multipart_upload(Bucket=bucket, Key=theirs["Key"], UploadId=theirs["UploadId"])


def test_plain_http_to_non_loopback_is_refused(lorafs_bin, s3, bucket, tmp_path):
    mp = tmp_path / "m"
    mp.mkdir()
    # A name under .invalid never resolves: nothing is ever sent anywhere.
    r = run([lorafs_bin, "mount", mp, "--bucket", bucket, "--endpoint", "http://s3.lorafs-test.invalid:9000",
             "--workspace", "w", "--state-dir", tmp_path / "st", "--foreground"],
            env=s3.env(), timeout=60)
    assert r.returncode != 0
    assert not is_fuse_mounted(mp)
    assert "http" in (r.stderr + r.stdout).lower()


def test_allow_http_flag_is_accepted_on_loopback(lorafs, src):
    m = lorafs(extra_args=["--allow-http"])
    assert m.cp(src.small).returncode == 0
    m.assert_stored(src.small.name, src.small)


def test_daemon_mode_detaches_and_lorafs_unmount_stops_it(lorafs_bin, s3, bucket, tmp_path, src):
    mp = tmp_path / f"daemon-{uuid.uuid4().hex[:6]}"
    mp.mkdir()
    from conftest import Mount
    m = Mount(lorafs_bin, s3, bucket, f"ws-{uuid.uuid4().hex[:8]}", mp, tmp_path / "st",
              tmp_path / "daemon.log")
    try:
        r = run(m.args(foreground=False), env=m.env(), timeout=60)
        assert r.returncode == 0, r.stderr + r.stdout
        assert is_fuse_mounted(mp), "the mount must be ready when `lorafs mount` returns"
        assert processes_mentioning(str(mp)), "no daemon process left running"
        assert m.cp(src.small).returncode == 0
        m.assert_stored(src.small.name, src.small)
        r = run([lorafs_bin, "unmount", mp], timeout=60)
        assert r.returncode == 0, r.stderr
        assert not is_fuse_mounted(mp)
        assert wait_until(lambda: not processes_mentioning(str(mp)), 15), "daemon did not exit"
    finally:
        if is_fuse_mounted(mp):
            run(["fusermount3", "-u", "-z", mp])


def test_fusermount_unmount_is_clean(lorafs, src):
    m = lorafs()
    assert m.cp(src.small).returncode == 0
    assert m.unmount(use="fusermount3") == 0, m.log()
    m.start()
    m.assert_stored(src.small.name, src.small)


def test_status_file_tells_what_the_mount_is_and_does(mnt, src):
    assert mnt.cp(src.small).returncode == 0
    fields = dict(l.split(": ", 1) for l in mnt.p(".lorafs/status").read_text().splitlines() if not l.startswith("  "))
    assert fields["workspace"] == mnt.workspace and fields["bucket"] == mnt.bucket
    assert fields["endpoint"].rstrip("/") == mnt.s3.endpoint.rstrip("/")
    assert fields["prefix"] == f"workspaces/{mnt.workspace}/"
    assert fields["loras"] == "1" and fields["bytes"] == str(src.small.stat().st_size)
    assert fields["uploads_in_progress"] == "0"
    assert re.match(r"\d{4}-\d\d-\d\dT", fields["mounted_at"]), fields


def test_secrets_never_appear_in_logs_or_errors(lorafs, s3, src):
    m = lorafs()
    assert m.cp(src.small).returncode == 0
    assert m.cp(src.corrupt("truncated", "secret-check.safetensors")).returncode != 0
    texts = [m.p(".lorafs/errors").read_text(), m.p(".lorafs/status").read_text()]
    assert m.unmount() == 0
    texts.append(m.log_path.read_text(errors="replace"))
    texts += [p.read_text(errors="replace") for p in m.state_dir.rglob("*.log")]
    for t in texts:
        assert s3.secret_key not in t


def test_a_wrong_secret_fails_the_mount_loudly(lorafs, s3):
    """The bucket check at mount refuses bad credentials (a copy into S3 that goes
    away after the mount is tests/e2e/test_hang.py's)."""
    from conftest import S3
    bad = S3(s3.endpoint, s3.access_key, s3.secret_key[::-1])
    m = lorafs(start=False)
    m.s3 = bad
    with pytest.raises(AssertionError) as e:
        m.start(timeout=60)
    assert m.start_failed not in (None, 0), f"the mount came up with a wrong secret: {e.value}"
    assert bad.secret_key not in str(e.value) and bad.secret_key not in m.log()
    assert "403" in m.log() or "SignatureDoesNotMatch" in m.log() or "InvalidAccessKeyId" in m.log(), m.log()


def test_a_long_upload_does_not_stall_ls_or_stat(mnt, src, tmp_path):
    """While a 200 MiB copy streams to S3 (and while its close() waits for the last
    parts), listing and stat of other LoRAs answer at once."""
    import subprocess
    assert mnt.cp(src.small).returncode == 0
    big = src.valid("long-upload.safetensors", 200 * 1024 * 1024, "peft", seed=7)
    copy = subprocess.Popen(["cp", str(big), str(mnt.p(big.name))])
    slowest = 0.0
    try:
        while copy.poll() is None:
            t0 = time.monotonic()
            names = os.listdir(mnt.p(""))
            os.stat(mnt.p(src.small.name))
            slowest = max(slowest, time.monotonic() - t0)
            assert src.small.name in names
            time.sleep(0.05)
    finally:
        copy.wait(timeout=300)
    assert copy.returncode == 0, mnt.log()
    assert slowest < 1.0, f"ls/stat took {slowest:.3f} s during the upload"
    mnt.assert_stored(big.name, big)
    big.unlink()
