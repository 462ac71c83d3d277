"""Hostile .ckpt files that torch.load would read differently from a naive scan: each is
refused through a real mount (EACCES when torch would run code or import something outside
the allow-list, EINVAL when the container is not what torch.save writes) and nothing is
stored. Real torch.save output (Tests/LoRAFormatsTests/Fixtures, made by torch 2.13) is stored."""
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

import loragen
from test_refused import assert_refused

FIXTURES = Path(__file__).resolve().parent.parent / "LoRAFormatsTests" / "Fixtures"
MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e"
TENSORS = [("diffusion_model.blocks.0.self_attn.q.lora_down.weight", [4, 64]),
           ("diffusion_model.blocks.0.self_attn.q.lora_up.weight", [64, 4])]


def _zip(out: Path, entries, flag_patch: int | None = None) -> Path:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries:
            z.writestr(name, data)
    if flag_patch is not None:  # set a flag bit in the first local and central header
        raw = bytearray(out.read_bytes())
        raw[6] |= flag_patch
        first = raw.find(b"PK\x01\x02")
        raw[first + 8] |= flag_patch
        out.write_bytes(bytes(raw))
    return out


def _good_entries(folder="archive"):
    storages = {str(i): b"\0" * (4 * loragen._numel(s)) for i, (_, s) in enumerate(TENSORS)}
    return ([(f"{folder}/data.pkl", loragen.state_dict_pickle(TENSORS)), (f"{folder}/byteorder", b"little")]
            + [(f"{folder}/data/{k}", v) for k, v in storages.items()] + [(f"{folder}/version", b"3\n")])


def _legacy(tail: bytes = b"") -> bytes:
    """A legacy checkpoint (6-item persistent ids, storage keys, raw storages) plus `tail`."""
    p = loragen.Pickle()
    p.global_("collections", "OrderedDict").empty_tuple().reduce().mark()
    for key, (name, shape) in enumerate(TENSORS):
        p.str_(name).global_("torch._utils", "_rebuild_tensor_v2").mark()
        p.mark().str_("storage").global_("torch", "FloatStorage").str_(str(key)).str_("cpu")
        p.int_(loragen._numel(shape)).op(b"N").tuple_().binpersid().int_(0)
        p.tuple_of_ints(shape).tuple_of_ints([shape[1], 1]).newfalse()
        p.global_("collections", "OrderedDict").empty_tuple().reduce().tuple_().reduce()
    p.setitems()
    out = MAGIC + pickle.dumps(1001, protocol=2)
    out += pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2)
    out += p.stop() + pickle.dumps([str(k) for k in range(len(TENSORS))], protocol=2)
    for _, shape in TENSORS:
        out += struct.pack("<q", loragen._numel(shape)) + b"\0" * (4 * loragen._numel(shape))
    return out + tail


def _cases(d: Path):
    evil = loragen.evil_pickle("posix.system", str(d / "pwned"))
    legacy_tar = bytearray(_legacy())
    legacy_tar[257:262] = b"ustar"
    return {
        "torchscript-constants": (_zip(d / "ts.ckpt", _good_entries() + [("archive/constants.pkl", b"\x80\x02).")]),
                                  "EACCES", "TorchScript archive, not a LoRA"),
        "evil-second-pickle": (_zip(d / "second.ckpt", _good_entries() + [("archive/extra.pkl", evil)]),
                               "EACCES", "posix.system"),
        "first-folder-wins": (_zip(d / "first.ckpt", [("evil/version", b"3\n"), ("evil/data.pkl", evil)]),
                              "EACCES", "posix.system"),
        "case-twins": (_zip(d / "twins.ckpt", _good_entries() + [("archive/Data.PKL", evil)]),
                       "EINVAL", "the same name up to case"),
        "encrypted-flag": (_zip(d / "enc.ckpt", _good_entries(), flag_patch=0x01), "EINVAL", "is encrypted"),
        "legacy-trailing-pickle": (_write(d / "trail.ckpt", _legacy(evil)), "EINVAL", "trailing bytes after the last pickle"),
        "legacy-tar-polyglot": (_write(d / "tar.ckpt", bytes(legacy_tar)), "EINVAL", "legacy tar checkpoint"),
        "protocol0-without-magic": (_write(d / "p0.ckpt", b"cposix\nsystem\n(S'touch /tmp/x'\ntR."), "EINVAL", "not a PyTorch checkpoint"),
        "real-torchscript": (_copy(FIXTURES / "torchscript.pt", d / "real-ts.ckpt"), "EACCES", "TorchScript archive"),
        "real-reduce-system": (_copy(FIXTURES / "zip-reduce-system.ckpt", d / "real-evil.ckpt"), "EACCES", "posix.system"),
    }


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


def _copy(a: Path, b: Path) -> Path:
    shutil.copyfile(a, b)
    return b


CASES = ["torchscript-constants", "evil-second-pickle", "first-folder-wins", "case-twins", "encrypted-flag",
         "legacy-trailing-pickle", "legacy-tar-polyglot", "protocol0-without-magic", "real-torchscript",
         "real-reduce-system"]


@pytest.mark.parametrize("case", CASES)
def test_hostile_ckpt_is_refused(mnt, src, tmp_path, case):
    path, errno_name, reason = _cases(tmp_path)[case]
    before = mnt.all_objects()
    r = mnt.cp(path)
    assert_refused(mnt, r, path.name, {errno_name}, before)
    mine = [line for line in mnt.errors() if f" {path.name}: " in line]
    assert reason in mine[-1], mine[-1]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("name", ["zip-bf16.ckpt", "zip-module.ckpt", "zip-parameter.ckpt", "legacy-bf16.ckpt"])
def test_real_torch_save_output_is_stored(mnt, tmp_path, name):
    f = _copy(FIXTURES / name, tmp_path / name)
    r = mnt.cp(f)
    assert r.returncode == 0, r.stderr
    mnt.assert_stored(name, f)


def test_the_legacy_builder_here_is_accepted(mnt, tmp_path):
    f = _write(tmp_path / "legacy-ok.ckpt", _legacy())
    assert mnt.cp(f).returncode == 0
    mnt.assert_stored(f.name, f)
