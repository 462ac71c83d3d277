"""Trust (issue 7, first part): one writer per name, no silent success for empty
files, names normalized to NFC and non-UTF-8 names refused, private state files.
Each test breaks the promise on purpose through the real mount."""
import errno
import os
import stat
import subprocess
import unicodedata

import pytest

from conftest import ERRORS_LINE_RE, run, sha256_file, wait_until


def test_two_concurrent_copies_to_one_name_never_mix(mnt, src):
    """Rounds of two `cp` of different files to one name at once: the stored bytes
    are always exactly one of them, and a writer that lost got EBUSY."""
    a = src.valid("writer-a.safetensors", 24 * 1024 * 1024, seed=11)
    b = src.valid("writer-b.safetensors", 24 * 1024 * 1024, seed=12)
    digests = {sha256_file(a): "a", sha256_file(b): "b"}
    busy_rounds = 0
    for i in range(8):
        name = f"contested-{i}.safetensors"
        procs = [subprocess.Popen(["cp", str(f), str(mnt.p(name))], stderr=subprocess.PIPE, text=True)
                 for f in (a, b)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        codes = [rc for rc, _ in results]
        assert 0 in codes, results
        stored = digests.get(sha256_file(mnt.p(name)))
        assert stored is not None, f"round {i}: the stored bytes are neither file ({results})"
        row = mnt.catalog()[name]
        assert digests.get(row["sha256"]) == stored, (row, stored)
        if codes.count(0) == 1:
            busy_rounds += 1
            winner = "ab"[codes.index(0)]
            assert stored == winner, f"round {i}: {winner} succeeded but {stored} is stored"
            loser_err = results[1 - codes.index(0)][1]
            assert "Device or resource busy" in loser_err, loser_err
            assert any(f" {name}: another process is writing this name" in l and l.endswith("(EBUSY)")
                       for l in mnt.errors()), mnt.errors()[-3:]
    # Copies of 24 MiB started together overlap: most rounds must have seen the conflict.
    assert busy_rounds >= 4, f"only {busy_rounds} of 8 rounds overlapped"
    assert not mnt.wait_no_uploads(), mnt.uploads()


def test_a_rename_onto_a_name_being_written_is_ebusy(mnt, src):
    assert mnt.cp(src.small, "first.safetensors").returncode == 0
    fd = os.open(mnt.p("target.safetensors"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, src.small.read_bytes()[:1000])
        child = run(["mv", mnt.p("first.safetensors"), mnt.p("target.safetensors")])
        assert child.returncode != 0 and "busy" in child.stderr.lower(), child.stderr
    finally:
        with pytest.raises(OSError):  # a truncated copy: refused at close
            os.close(fd)
    assert "first.safetensors" in mnt.listing()


def test_an_empty_lora_fails_close_with_einval_and_says_why(mnt, tmp_path):
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    r = mnt.cp(empty)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, (r.returncode, r.stderr)
    assert "empty.safetensors" not in mnt.listing() and "empty.safetensors" not in mnt.catalog()
    line = wait_until(lambda: [l for l in mnt.errors() if " empty.safetensors: empty file" in l], 3.0)
    assert line and ERRORS_LINE_RE.match(line[-1]) and line[-1].endswith("(EINVAL)"), mnt.errors()[-3:]
    assert not mnt.objects()


def test_a_shell_redirection_into_a_lora_name_still_stores_it(mnt, src):
    """The shell closes an empty descriptor before `cat` writes: that close is not the copy's."""
    r = run(["bash", "-c", f"cat '{src.small}' > '{mnt.p('redirected.safetensors')}'"])
    assert r.returncode == 0, r.stderr
    mnt.assert_stored("redirected.safetensors", src.small)


def test_an_empty_spec_fails_close_with_einval(mnt):
    fd = os.open(mnt.p("generate/nothing.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    with pytest.raises(OSError) as e:
        os.close(fd)
    assert e.value.errno == errno.EINVAL
    assert wait_until(lambda: any("generate/nothing.json: the spec is empty" in l for l in mnt.errors()), 3.0), \
        mnt.errors()[-3:]
    assert "nothing" not in os.listdir(mnt.p("jobs"))


def test_nfc_and_nfd_spellings_are_one_name(mnt, src):
    nfc = unicodedata.normalize("NFC", "café-style.safetensors")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    assert mnt.cp(src.small, nfd).returncode == 0
    assert mnt.cp(src.small2, nfc).returncode == 0  # an overwrite, not a second LoRA
    assert [n for n in mnt.listing() if n.startswith("caf")] == [nfc]
    names = [n for n in mnt.catalog() if n.startswith("caf")]
    assert names == [nfc], [n.encode() for n in names]
    assert sha256_file(mnt.p(nfd)) == sha256_file(src.small2)
    os.unlink(mnt.p(nfd))
    assert not [n for n in mnt.catalog() if n.startswith("caf")]
    assert wait_until(lambda: not mnt.objects()), mnt.objects()


def test_a_name_that_is_not_utf8_is_refused_with_einval(mnt, src):
    bad = os.fsencode(str(mnt.p(""))) + b"/bad\xff.safetensors"
    with pytest.raises(OSError) as e:
        os.open(bad, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    assert e.value.errno == errno.EINVAL
    assert any("the name is not valid UTF-8" in l and l.endswith("(EINVAL)") for l in mnt.errors()), mnt.errors()[-3:]
    assert not mnt.catalog()


def test_the_state_directory_and_its_files_are_private(lorafs, src, tmp_path):
    state = tmp_path / "open-state"
    state.mkdir(mode=0o755)
    (state / "catalog.sqlite").touch(mode=0o644)  # as an earlier version left it
    m = lorafs(state_dir=state)
    assert m.cp(src.small).returncode == 0
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for f in state.iterdir():
        mode = stat.S_IMODE(f.stat().st_mode)
        assert mode & 0o077 == 0, f"{f.name} is {oct(mode)}"


def test_touch_of_a_stored_lora_succeeds_and_changes_nothing(mnt, src):
    assert mnt.cp(src.small).returncode == 0
    before = mnt.catalog()[src.small.name]
    r = run(["touch", mnt.p(src.small.name)])
    assert r.returncode == 0, r.stderr
    assert mnt.catalog()[src.small.name] == before
    assert sha256_file(mnt.p(src.small.name)) == sha256_file(src.small)
    r = run(["bash", "-c", f"set -o pipefail; echo more | tee -a '{mnt.p(src.small.name)}' >/dev/null"])
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, r.stderr
    assert mnt.catalog()[src.small.name] == before


@pytest.mark.parametrize("flag", ["-s", ""])
def test_links_are_refused_with_eperm(mnt, src, flag):
    assert mnt.cp(src.small).returncode == 0
    r = run(["ln", *([flag] if flag else []), mnt.p(src.small.name), mnt.p("link.safetensors")])
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, r.stderr
    assert "link.safetensors" not in mnt.listing_all()
    assert any(" link.safetensors: links are not supported" in l for l in mnt.errors()), mnt.errors()[-3:]


@pytest.mark.parametrize("name", ["x.safetensors.bak", ".safetensors", ".hidden", "generate/x.safetensors"])
def test_names_no_rename_would_follow_are_refused_at_create(mnt, src, name):
    """Not taken as temporary files and dropped in silence: cp fails at once."""
    r = run(["cp", src.small, mnt.p(name)])
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, (r.returncode, r.stderr)
    assert any(f" {name}: " in l and l.endswith("(EPERM)") for l in mnt.errors()), mnt.errors()[-3:]
    assert mnt.catalog() == {} and not mnt.objects()


TEMP_NAMES = [".final.safetensors.Ab12Cd", "final.safetensors.tmp.1700000000.42", "final.safetensors.part",
              "final.partial", "final.incomplete", "final.safetensors~", "tmpa1b2c3d4"]


def test_every_temporary_name_of_the_readme_is_reported_when_never_renamed(lorafs, src):
    """The other way round from test_write_then_rename_commits_only_the_final_name: the
    same names, never renamed, are discarded at unmount with a line each."""
    m = lorafs()
    for name in TEMP_NAMES:
        assert m.cp(src.small, name).returncode == 0
    assert m.unmount() == 0
    log = m.log_path.read_text(errors="replace")
    for name in TEMP_NAMES:
        assert f"{name}: a temporary file never renamed to a LoRA name; discarded at unmount" in log, name
    m.start()
    assert m.catalog() == {} and m.objects() == {} and m.uploads() == []
