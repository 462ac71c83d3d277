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


# Per kind: whether the write that completes the header fails (then, sticky, the close
# too), or only the close; and the exact reason in .lorafs/errors.
CORRUPT = {
    "truncated": ("close", "file is 99036 bytes but its header describes 164576 bytes (truncated copy?)"),
    "bad-header": ("write", "header is not valid JSON: expected ',' or '}' after an object member at byte 128"),
    "overlap": ("write", 'tensor "diffusion_model.blocks.0.self_attn.q.lora_up.weight": data_offsets [40944, 81904] '
                         "overlap the previous tensor"),
    "no-lora": ("write", "no LoRA tensors found (expected names like ...lora_up.weight or ...lora_A.weight); "
                         "is this a full model rather than a LoRA?"),
    "huge-header": ("write", "header length 200000000 exceeds the 100000000-byte limit (is this really a safetensors file?)"),
    "html": ("write", "header length 5789751444030890300 exceeds the 100000000-byte limit (is this really a safetensors file?)"),
    "gap": ("write", 'tensor "diffusion_model.blocks.0.self_attn.q.lora_up.weight": data_offsets [41024, 81984] '
                     "leave a gap after the previous tensor, which ends at 40960"),
    "duplicate": ("write", 'tensor name "diffusion_model.blocks.0.self_attn.q.lora_down.weight" appears more than once in the header'),
    "bad-dtype": ("write", 'tensor "diffusion_model.blocks.0.self_attn.q.lora_down.weight": dtype "BF17" is not a safetensors dtype'),
    "shape-mismatch": ("write", 'tensor "diffusion_model.blocks.0.self_attn.q.lora_down.weight": shape [4, 5120] of BF16 '
                                "needs 40960 bytes but data_offsets span 40958"),
    "trailing": ("close", "file is 164636 bytes but its header describes only 164536 bytes (100 unexpected trailing bytes)"),
    "metadata-not-string": ("write", '"__metadata__" value for "ss_network_dim" is not a string'),
    "not-object": ("write", 'header does not start with "{" (it starts with bytes 5b 7b 22 64); not a safetensors file'),
    "offset-not-zero": ("write", 'tensor "diffusion_model.blocks.0.self_attn.q.lora_down.weight": data_offsets [16, 40976] '
                                 "do not start at 0 (the first tensor must begin the data section)"),
    "tiny": ("close", "file is 3 bytes, too short for the 8-byte header length of a safetensors file"),
}


def test_every_corrupt_kind_has_its_expectation():
    assert sorted(CORRUPT) == sorted(loragen.CORRUPT_KINDS)


@pytest.mark.parametrize("kind", loragen.CORRUPT_KINDS)
def test_corrupt_safetensors_is_refused_with_einval(mnt, src, kind):
    bad = src.corrupt(kind)
    before = mnt.all_objects()
    r = mnt.cp(bad)
    assert_refused(mnt, r, bad.name, {"EINVAL"}, before)
    when, reason = CORRUPT[kind]
    if when == "write":  # a bad header fails the write that completes it (each file's header is in cp's first write)
        assert r.stderr.startswith("cp: error writing"), r.stderr
    else:  # a header that parses, or no header at all: the close finds the problem
        assert "failed to close" in r.stderr and "error writing" not in r.stderr, r.stderr
    mine = [line for line in mnt.errors() if f" {bad.name}: " in line]
    assert [line.split(" ", 1)[1] for line in mine] == [f"{bad.name}: {reason} (EINVAL)"], mine


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
    # README: a .ckpt whose pickle imports anything outside the allow-list is EACCES; so is a
    # pickle protocol torch.save never writes (the walker knows only protocols 0-2).
    for f, reason in ((raw, 'pickle imports "posix.system", which is not allowed in a checkpoint'),
                      (p4, "protocol")):
        r = mnt.cp(f)
        assert_refused(mnt, r, f.name, {"EACCES"}, {})
        mine = [line for line in mnt.errors() if f" {f.name}: " in line]
        assert reason in mine[-1], mine[-1]


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
