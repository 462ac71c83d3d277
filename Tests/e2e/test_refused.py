"""Bad input fails loudly at close (or earlier) and leaves nothing behind: no
listed file, no object, no open multipart upload, no catalog row; the reason is
readable from `.lorafs/errors`."""
import os
import re
import subprocess
import sys
import time

import pytest

import loragen
from conftest import ERRORS_LINE_RE, run, sha256_file, wait_until

STRERROR = {"EINVAL": "Invalid argument", "EACCES": "Permission denied", "EFBIG": "File too large",
            "EPERM": "Operation not permitted"}


def assert_error_logged(m, name, errnos):
    lines = m.errors()
    mine = [l for l in lines if f" {name}: " in l]
    assert mine, f"no line about {name} in .lorafs/errors: {lines[-5:]}"
    match = ERRORS_LINE_RE.match(mine[-1])
    assert match, f"bad .lorafs/errors line format: {mine[-1]!r}"
    assert match.group(4) in errnos, mine[-1]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", match.group(1)), mine[-1]


def assert_refused(m, r, name, errnos, before):
    assert r.returncode != 0, f"cp of {name} succeeded\n{m.log()}"
    assert any(STRERROR[e] in r.stderr for e in errnos), r.stderr
    m.assert_absent(name, before)
    assert_error_logged(m, name, errnos)


@pytest.mark.parametrize("kind", loragen.CORRUPT_KINDS)
def test_corrupt_safetensors_is_refused_with_einval(mnt, src, kind):
    bad = src.corrupt(kind)
    before = mnt.all_objects()
    r = mnt.cp(bad)
    assert_refused(mnt, r, bad.name, {"EINVAL"}, before)
    if kind not in ("bad-header", "huge-header", "html", "not-object", "bad-dtype"):
        # A content problem found at the end surfaces at close().
        assert "failed to close" in r.stderr or "Invalid argument" in r.stderr, r.stderr


def test_truncated_big_copy_is_refused(mnt, src):
    """A 40 MiB multipart upload cut short: refused at close, multipart aborted."""
    cut = src.dir / "cut-short.safetensors"
    with open(src.big, "rb") as f, open(cut, "wb") as g:
        g.write(f.read(30 * 1024 * 1024))
    r = mnt.cp(cut)
    assert_refused(mnt, r, cut.name, {"EINVAL"}, {})
    assert "failed to close" in r.stderr, r.stderr
    cut.unlink()


@pytest.mark.parametrize("glob", ["posix.system", "os.system", "builtins.eval", "builtins.exec",
                                  "subprocess.Popen", "pydoc.locate", "importlib.import_module"])
def test_malicious_ckpt_is_refused_with_eacces(mnt, src, tmp_path, glob):
    marker = tmp_path / "pwned"
    evil = loragen.write_evil_ckpt(src.dir / f"evil-{glob}.ckpt", glob, str(marker))
    before = mnt.all_objects()
    r = mnt.cp(evil)
    assert_refused(mnt, r, evil.name, {"EACCES"}, before)
    assert not marker.exists()


def test_bare_malicious_pickle_and_protocol4_are_refused(mnt, src, tmp_path):
    raw = loragen.write_evil_ckpt(src.dir / "evil-raw.ckpt", "posix.system", str(tmp_path / "x"), raw=True)
    p4 = loragen.write_proto4_ckpt(src.dir / "proto4.ckpt")
    for f in (raw, p4):
        r = mnt.cp(f)
        assert_refused(mnt, r, f.name, {"EACCES", "EINVAL"}, {})


def test_overwrite_with_corrupt_file_keeps_the_old_lora(mnt, src):
    assert mnt.cp(src.small, "keep.safetensors").returncode == 0
    row = mnt.assert_stored("keep.safetensors", src.small)
    objects = mnt.all_objects()
    bad = src.corrupt("truncated")
    r = mnt.cp(bad, "keep.safetensors")
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r.stderr
    assert mnt.catalog()["keep.safetensors"] == row
    assert mnt.all_objects() == objects
    assert mnt.wait_no_uploads() == []
    assert run(["sha256sum", mnt.p("keep.safetensors")]).stdout.split()[0] == sha256_file(src.small)
    mnt.assert_stored("keep.safetensors", src.small)


def test_truncate_past_5gib_fails_with_efbig(mnt):
    r = run(["truncate", "-s", "6G", mnt.p("huge.safetensors")])
    assert r.returncode != 0 and "File too large" in r.stderr, r.stderr
    wait_until(lambda: "huge.safetensors" not in mnt.listing_all(), 5)
    mnt.assert_absent("huge.safetensors", {})


def test_write_past_5gib_fails_at_once_with_efbig(mnt):
    t0 = time.monotonic()
    r = run(["dd", "if=/dev/zero", f"of={mnt.p('far.safetensors')}", "bs=1M", "count=1",
             "seek=5120", "status=none"])
    assert r.returncode != 0 and "File too large" in r.stderr, r.stderr
    assert time.monotonic() - t0 < 20
    wait_until(lambda: "far.safetensors" not in mnt.listing_all(), 5)
    mnt.assert_absent("far.safetensors", {})


def test_fallocate_past_5gib_fails_with_efbig(mnt):
    r = run(["fallocate", "-l", "6G", mnt.p("alloc.safetensors")])
    assert r.returncode != 0 and "File too large" in r.stderr, r.stderr
    wait_until(lambda: "alloc.safetensors" not in mnt.listing_all(), 5)
    mnt.assert_absent("alloc.safetensors", {})


def test_max_size_limit(lorafs, src):
    m = lorafs(max_size=1024 * 1024)
    two = src.valid("two-mib.safetensors", 2 * 1024 * 1024)
    r = m.cp(two)
    assert r.returncode != 0 and "File too large" in r.stderr, r.stderr
    m.assert_absent(two.name, {})
    assert m.cp(src.small).returncode == 0
    m.assert_stored(src.small.name, src.small)


def test_writer_killed_mid_copy_leaves_nothing(mnt, src):
    dst = mnt.p("killed.safetensors")
    code = (
        "import os\n"
        f"s = open({str(src.big)!r}, 'rb'); d = open({str(dst)!r}, 'wb')\n"
        "d.write(s.read(10 << 20)); d.flush()\n"
        "os.kill(os.getpid(), 9)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert p.returncode == -9
    assert wait_until(lambda: "killed.safetensors" not in mnt.listing_all(), 15), mnt.listing_all()
    assert mnt.wait_no_uploads(20) == []
    mnt.assert_absent("killed.safetensors", {})
    assert mnt.all_objects() == {}


@pytest.mark.parametrize("kind", ["bad-header", "huge-header", "html"])
def test_bad_header_fails_fast_at_write(mnt, src, kind):
    """The issue: "a bad header is refused as soon as the header has arrived, not after
    the upload". Write the bad header then 40 MiB more: a write() must fail with EINVAL
    long before the end, and nothing reaches S3."""
    import errno
    bad = src.corrupt(kind).read_bytes()
    dst = mnt.p(f"fast-{kind}.safetensors")
    written, err = 0, None
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        chunk = bad + b"\0" * (1024 * 1024 - len(bad) % (1024 * 1024))
        filler = b"\0" * (1024 * 1024)
        for i in range(41):
            os.write(fd, chunk if i == 0 else filler)
            written += 1024 * 1024
    except OSError as e:
        err = e
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    assert err is not None and err.errno == errno.EINVAL, f"no EINVAL from write() after {written} bytes"
    # The first 1 MiB write holds the whole (bad) header: that very write fails.
    assert written == 0, f"refused only after {written} bytes: the write that completed the header succeeded"
    reasons = [l for l in mnt.errors() if f" {dst.name}: " in l]
    assert reasons and reasons[-1].endswith("(EINVAL)"), mnt.errors()[-3:]
    mnt.assert_absent(dst.name, {})


def test_file_being_written_is_invisible_to_other_processes(mnt, src):
    """Until close() commits it, another process does not list or read a half-written LoRA."""
    dst = mnt.p("inflight.safetensors")
    data = src.big.read_bytes()
    with open(dst, "wb") as f:
        f.write(data[: 10 * 1024 * 1024])
        f.flush()
        ls = run(["ls", "-a", mnt.p("")]).stdout.split()
        r = run(["sh", "-c", f"cat '{dst}' >/dev/null"])
        # (finish the copy before asserting, so a failure leaves no writer behind)
        f.write(data[10 * 1024 * 1024:])
    assert "inflight.safetensors" not in ls, ls
    assert r.returncode != 0, "another process could read a half-written LoRA"
    mnt.assert_stored("inflight.safetensors", src.big)


def test_another_process_closing_the_file_does_not_commit_it(mnt, src):
    """flush() comes once per close() of any descriptor: another process's close of
    the writer's own descriptor (handed to it, as fork/exec does) must not commit or
    refuse a copy still being written."""
    dst = mnt.p("shared.safetensors")
    data = src.big.read_bytes()
    with open(dst, "wb") as f:
        f.write(data[: 10 * 1024 * 1024])
        f.flush()
        # The child gets the very descriptor and closes it mid-copy: a FLUSH from another pid.
        child = run([sys.executable, "-c", f"import os; os.close({f.fileno()}); print('closed')"],
                    pass_fds=(f.fileno(),))
        assert child.returncode == 0 and "closed" in child.stdout, child.stderr
        # Nothing was committed by the foreign close: no row, no object yet.
        assert "shared.safetensors" not in mnt.catalog(), "a foreign close committed a half-written copy"
        assert not [l for l in mnt.errors() if " shared.safetensors: " in l], mnt.errors()[-3:]
        f.write(data[10 * 1024 * 1024:])
    row = mnt.catalog().get("shared.safetensors")
    assert row and row["size"] == len(data), (row, mnt.errors()[-3:])
    assert run(["sha256sum", dst]).stdout.split()[0] == sha256_file(src.big)
