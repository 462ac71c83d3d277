"""Copying LoRAs in: each upload lands as one object with full metadata and one
catalog row before close() returns, and reads back byte for byte."""
import os
import shutil
import stat
import time

from conftest import run, sha256_file, wait_until


def test_empty_workspace_lists_no_lora(mnt):
    assert mnt.listing() == []
    assert mnt.all_objects() == {}
    assert (mnt.p(".lorafs/status")).is_file()


def test_cp_small_kohya_lora_is_uploaded_and_catalogued(mnt, src):
    t0 = time.time()
    r = mnt.cp(src.small)
    assert r.returncode == 0, r.stderr + mnt.log()
    name = src.small.name
    assert mnt.listing() == [name]
    row = mnt.assert_stored(name, src.small)
    assert t0 - 2 <= row["uploaded_at"] <= time.time() + 2
    assert list(mnt.objects()) == [row["object_key"]]
    assert mnt.uploads() == []


def test_ls_stat_and_find_agree(mnt, src):
    assert mnt.cp(src.small).returncode == 0
    name, size = src.small.name, src.small.stat().st_size
    ls = run(["ls", "-l", "--time-style=+%s", mnt.mnt], check=True).stdout.splitlines()
    line = [l for l in ls if l.endswith(" " + name)]
    assert line, ls
    fields = line[0].split()
    assert fields[0] == "-rw-r--r--" and int(fields[4]) == size
    st = run(["stat", "-c", "%s %a %u %Y", mnt.p(name)], check=True).stdout.split()
    assert st[:3] == [str(size), "644", str(os.getuid())]
    assert int(fields[5]) == int(st[3])
    found = run(["find", mnt.mnt, "-maxdepth", "1", "-type", "f", "-name", "*.safetensors", "-printf", "%f %s\n"],
                check=True).stdout.split("\n")
    assert f"{name} {size}" in found


def test_cp_multipart_peft_lora_round_trips(mnt, src):
    r = mnt.cp(src.big)
    assert r.returncode == 0, r.stderr + mnt.log()
    mnt.assert_stored(src.big.name, src.big)
    assert mnt.uploads() == []
    # Read back: sha256sum, cat and cp out all give the same bytes.
    out = run(["sha256sum", mnt.p(src.big.name)], check=True).stdout.split()[0]
    assert out == sha256_file(src.big)
    back = src.dir / "readback.bin"
    assert run(["cp", mnt.p(src.big.name), back]).returncode == 0
    assert run(["cmp", back, src.big]).returncode == 0
    back.unlink()


def test_cat_of_small_lora_matches_source(mnt, src):
    assert mnt.cp(src.small).returncode == 0
    r = run(["sh", "-c", f"cat '{mnt.p(src.small.name)}' | sha256sum"], check=True)
    assert r.stdout.split()[0] == sha256_file(src.small)
    # A read in the middle (ranged GET).
    with open(mnt.p(src.small.name), "rb") as f, open(src.small, "rb") as g:
        f.seek(100_003)
        g.seek(100_003)
        assert f.read(4096) == g.read(4096)


def test_valid_ckpt_is_accepted(mnt, src):
    r = mnt.cp(src.ckpt)
    assert r.returncode == 0, r.stderr + mnt.log()
    mnt.assert_stored(src.ckpt.name, src.ckpt)


def test_unicode_name_is_percent_encoded_in_metadata(mnt, src):
    name = "mon style été ✓.safetensors"
    r = mnt.cp(src.small, name)
    assert r.returncode == 0, r.stderr
    mnt.assert_stored(name, src.small)
    raw = mnt.head(mnt.catalog()[name]["object_key"])["Metadata"]["lorafs-name"]
    assert raw.isascii(), raw


def test_non_lora_name_is_refused_with_eperm(mnt, src):
    before = mnt.all_objects()
    r = mnt.cp(src.small, "notes.txt")
    assert r.returncode != 0
    assert "Operation not permitted" in r.stderr, r.stderr
    mnt.assert_absent("notes.txt", before)


def test_install_and_shutil_copy2_and_shell_redirection(mnt, src):
    r = run(["install", "-m", "644", src.small, mnt.p("installed.safetensors")])
    assert r.returncode == 0, r.stderr
    mnt.assert_stored("installed.safetensors", src.small)
    shutil.copy2(src.small2, mnt.p("copied2.safetensors"))
    mnt.assert_stored("copied2.safetensors", src.small2)
    r = run(["sh", "-c", f"cat '{src.small}' > '{mnt.p('redirected.safetensors')}'"])
    assert r.returncode == 0, r.stderr
    mnt.assert_stored("redirected.safetensors", src.small)
    r = run(["cp", "-p", src.small, mnt.p("preserved.safetensors")])
    assert r.returncode == 0, r.stderr
    mnt.assert_stored("preserved.safetensors", src.small)
    assert len(mnt.objects()) == 4 and mnt.uploads() == []


def test_ftruncate_then_write_and_fsync(mnt, src):
    """safetensors 0.7 save_file: create, ftruncate to the final size, write, fsync."""
    data = src.small2.read_bytes()
    fd = os.open(mnt.p("prealloc.safetensors"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.ftruncate(fd, len(data))
        view = memoryview(data)
        while view:
            n = os.write(fd, view[:1 << 20])
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
    mnt.assert_stored("prealloc.safetensors", src.small2)


def test_chmod_chown_utime_succeed(mnt, src):
    assert mnt.cp(src.small).returncode == 0
    p = mnt.p(src.small.name)
    os.chmod(p, 0o600)
    os.chown(p, os.getuid(), os.getgid())
    os.utime(p, (1_600_000_000, 1_600_000_000))
    assert stat.S_ISREG(os.stat(p).st_mode)


def test_statfs_reports_ample_space(mnt):
    v = os.statvfs(mnt.p(""))
    assert v.f_bavail * v.f_frsize >= 6 * 1024 ** 3
    assert v.f_favail >= 1000 or v.f_ffree >= 1000


def test_overwrite_with_valid_file_replaces(mnt, src):
    assert mnt.cp(src.small, "x.safetensors").returncode == 0
    old_key = mnt.catalog()["x.safetensors"]["object_key"]
    r = mnt.cp(src.small2, "x.safetensors")
    assert r.returncode == 0, r.stderr
    row = mnt.assert_stored("x.safetensors", src.small2)
    # Only the new object remains.
    assert wait_until(lambda: list(mnt.objects()) == [row["object_key"]], 10), (old_key, mnt.objects())
