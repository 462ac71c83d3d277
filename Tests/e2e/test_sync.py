"""One workspace, many mounts: each with its own state directory, all on one
bucket. What one mount changes reaches the others through the bucket's change
log at their next refresh; the last writer of a name wins everywhere, and the
mount that lost says so; objects nothing names are deleted only after the delay;
a mount whose state is gone rebuilds its catalog from the bucket by itself."""
import os
import shutil
import subprocess
import time

from conftest import run, sha256_file, wait_until


def pair(lorafs, *extra):
    a = lorafs(extra_args=["--refresh-interval", "0", *extra])
    b = lorafs(workspace=a.workspace, extra_args=["--refresh-interval", "0", *extra])
    return a, b


def refresh(m):
    """`touch MOUNT/.lorafs/refresh`: the refresh is done when touch returns."""
    r = run(["touch", m.p(".lorafs/refresh")])
    assert r.returncode == 0, r.stderr
    return m.status()


def same_view(*mounts):
    views = [{n: (os.stat(m.p(n)).st_size, m.catalog()[n]["sha256"], m.catalog()[n]["object_key"]) for n in m.listing()}
             for m in mounts]
    assert all(v == views[0] for v in views), views
    return views[0]


def test_uploads_overwrites_renames_and_deletes_reach_the_other_mount(lorafs, src):
    a, b = pair(lorafs)
    assert a.cp(src.small, "one.safetensors").returncode == 0
    assert a.cp(src.ckpt, "two.ckpt").returncode == 0
    a.wait_published()
    status = refresh(b)
    assert status["last_refresh_changes"] == "2", status
    assert b.listing() == ["one.safetensors", "two.ckpt"]
    assert sha256_file(b.p("one.safetensors")) == sha256_file(src.small)
    # Overwrite, rename and delete in b this time; a follows.
    assert b.cp(src.small2, "one.safetensors").returncode == 0
    os.rename(b.p("one.safetensors"), b.p("renamed.safetensors"))
    os.unlink(b.p("two.ckpt"))
    b.wait_published()
    r = run([str(a.bin), "refresh", str(a.mnt)])
    # Four names changed: one overwritten, two by the rename, one removed.
    assert r.returncode == 0 and "last_refresh_changes: 4" in r.stdout, (r.returncode, r.stdout, r.stderr)
    view = same_view(a, b)
    assert list(view) == ["renamed.safetensors"]
    assert sha256_file(a.p("renamed.safetensors")) == sha256_file(src.small2)
    # The overwritten and removed objects go (delay 0 here); the renamed one stays.
    assert wait_until(lambda: set(a.objects()) == {view["renamed.safetensors"][2]}), a.objects()


def test_a_refresh_interval_brings_changes_without_asking(lorafs, src):
    a = lorafs(extra_args=["--refresh-interval", "0"])
    b = lorafs(workspace=a.workspace, extra_args=["--refresh-interval", "0.5"])
    t0 = time.monotonic()
    assert a.cp(src.small, "pushed.safetensors").returncode == 0
    assert wait_until(lambda: "pushed.safetensors" in b.listing(), 10), b.status()
    print(f"an upload through one mount listed by the other after {time.monotonic() - t0:.2f} s (interval 0.5 s)")
    assert b.status()["last_refresh"] != "never"


def test_two_mounts_writing_one_name_keep_the_last_and_the_loser_says_so(lorafs, src):
    a, b = pair(lorafs)
    first, second = src.valid("first.safetensors", seed=31), src.valid("second.safetensors", seed=32)
    ca = subprocess.Popen(["cp", str(first), str(a.p("same.safetensors"))])
    cb = subprocess.Popen(["cp", str(second), str(b.p("same.safetensors"))])
    assert ca.wait(60) == 0 and cb.wait(60) == 0
    a.wait_published()
    b.wait_published()
    refresh(a)
    refresh(b)
    view = same_view(a, b)
    winner = sha256_file(a.p("same.safetensors"))
    assert winner in (sha256_file(first), sha256_file(second))
    loser = b if winner == sha256_file(first) else a
    lines = [l for l in loser.errors() if " same.safetensors: a later change from mount " in l]
    assert lines and lines[-1].endswith("(ECANCELED)"), loser.errors()[-3:]
    keeper = a if loser is b else b
    assert not [l for l in keeper.errors() if "same.safetensors" in l], keeper.errors()
    # Neither copy is corrupt: the one kept is whole; the other's object goes.
    assert wait_until(lambda: set(a.objects()) == {view["same.safetensors"][2]}), a.objects()


def test_a_rename_here_and_a_write_there_of_one_name_agree_after_one_refresh(lorafs, src):
    a, b = pair(lorafs)
    assert a.cp(src.small, "x.safetensors").returncode == 0
    a.wait_published()
    refresh(b)
    os.rename(a.p("x.safetensors"), a.p("y.safetensors"))
    assert b.cp(src.small2, "y.safetensors").returncode == 0
    a.wait_published()
    b.wait_published()
    refresh(a)
    refresh(b)
    view = same_view(a, b)
    assert "x.safetensors" not in view and "y.safetensors" in view, view


def test_a_removed_object_stays_for_the_delete_delay(lorafs, src):
    a, b = pair(lorafs, "--delete-delay", "4")
    assert a.cp(src.small, "slow.safetensors").returncode == 0
    a.wait_published()
    refresh(b)
    key = b.catalog()["slow.safetensors"]["object_key"]
    with open(b.p("slow.safetensors"), "rb") as reader:
        os.unlink(a.p("slow.safetensors"))
        a.wait_published()
        refresh(b)
        assert "slow.safetensors" not in b.listing()
        # b opened it before the removal reached it: it reads on, whole.
        time.sleep(1)
        assert a.head(key) is not None
        data = reader.read()
    assert len(data) == src.small.stat().st_size
    assert wait_until(lambda: a.head(key) is None, 15), "the object outlived its delete delay"


def test_a_mount_whose_state_is_gone_rebuilds_its_catalog_from_the_bucket(lorafs, src):
    a, b = pair(lorafs)
    for n, f in (("k1.safetensors", src.small), ("k2.safetensors", src.small2), ("k3.ckpt", src.ckpt)):
        assert a.cp(f, n).returncode == 0
    os.rename(a.p("k2.safetensors"), a.p("k2-final.safetensors"))
    a.wait_published()
    assert b.unmount() == 0
    shutil.rmtree(b.state_dir)
    b.start()
    assert b.listing() == ["k1.safetensors", "k2-final.safetensors", "k3.ckpt"]
    same_view(a, b)
    assert sha256_file(b.p("k2-final.safetensors")) == sha256_file(src.small2)
    assert "catalog rebuilt from the bucket" in b.log()
