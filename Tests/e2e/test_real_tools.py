"""LoRAs written at test time by the real `safetensors` library (its numpy API, the
package PyPI ships), copied in with `cp`: legit ones are stored byte for byte and read
back (through mmap too) with the xattrs their header implies; the same files corrupted
afterwards are refused with EINVAL, as the README says of "a corrupt or truncated file",
with the exact reason in `.lorafs/errors`, and leave nothing behind.

loragen.py writes the safetensors format by hand; these files come from the library
that trainers and ComfyUI use, so the validators see its padding, tensor order and
metadata as they really are.

No torch here: PyPI's torch for Linux x86_64 is the CUDA build (a 539 MB wheel that
pulls several GB of CUDA libraries), so real `torch.save` output stays checked in:
Tests/LoRAFormatsTests/Fixtures, made by make_fixtures.py, used by
test_ckpt_hostile.py and RealTorchFixtureTests.swift."""
import json
import os
import struct

import pytest

from conftest import run, sha256_file
from test_refused import assert_refused

PINNED = {"safetensors": "0.7.0", "numpy": "2.4.6"}  # as installed by scripts/lib/common.sh


@pytest.fixture(scope="module")
def tools():
    """(numpy, safetensors.numpy); a missing package fails the test, never skips it."""
    try:
        import numpy
        import safetensors
        import safetensors.numpy
    except ImportError as e:
        pytest.fail(f"{e}: scripts/test installs safetensors and numpy (PIP_PACKAGES in scripts/lib/common.sh)")
    assert {"safetensors": safetensors.__version__, "numpy": numpy.__version__} == PINNED
    return numpy, safetensors.numpy


MODULES = [f"{a}.{m}" for a in ("self_attn", "cross_attn") for m in ("q", "k", "v", "o")]


def wan_kohya(np, rank, hidden, blocks, seed):
    """ComfyUI/kohya names for WAN: diffusion_model.blocks.N.self_attn.q.lora_down.weight
    [rank, hidden], lora_up [hidden, rank] (float16) and a scalar float32 alpha."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for b in range(blocks):
        for m in MODULES:
            base = f"diffusion_model.blocks.{b}.{m}"
            tensors[f"{base}.lora_down.weight"] = rng.standard_normal((rank, hidden), dtype=np.float32).astype(np.float16)
            tensors[f"{base}.lora_up.weight"] = rng.standard_normal((hidden, rank), dtype=np.float32).astype(np.float16)
            tensors[f"{base}.alpha"] = np.array(rank, dtype=np.float32)
    return tensors


def musubi(np, rank, hidden, blocks, seed):
    """musubi-tuner's flattened kohya names: lora_unet_blocks_N_self_attn_q.lora_down.weight."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for b in range(blocks):
        for m in MODULES:
            base = f"lora_unet_blocks_{b}_{m.replace('.', '_')}"
            tensors[f"{base}.lora_down.weight"] = rng.standard_normal((rank, hidden), dtype=np.float32).astype(np.float16)
            tensors[f"{base}.lora_up.weight"] = np.zeros((hidden, rank), dtype=np.float16)
            tensors[f"{base}.alpha"] = np.array(rank / 2, dtype=np.float32)
    return tensors


# name -> (tensors builder args, __metadata__, expected xattrs besides sha256/object_key)
LEGIT = {
    # 32 pairs of [16, 5120] float16: 10 MiB, a multipart upload (8 MiB parts).
    "wan22-a14b-high.safetensors": (
        (wan_kohya, 16, 5120, 4),
        {"ss_network_dim": "16", "ss_network_alpha": "16", "modelspec.architecture": "wan2.2-t2v-a14b/lora",
         "modelspec.timestep_range": "875,1000", "modelspec.trigger_phrase": "paper boat, storm"},
        {"rank": "16", "hidden_size": "5120", "base_model": "wan2.2-t2v-a14b/lora",
         "timestep_range": "875,1000", "trigger_phrase": "paper boat, storm"}),
    # 16 pairs of [32, 3072] float16: 3 MiB, one PUT.
    "ti2v-5b-musubi.safetensors": (
        (musubi, 32, 3072, 2),
        {"ss_network_dim": "32", "ss_network_alpha": "16", "ss_base_model_version": "wan22_5b",
         "modelspec.architecture": "wan2.2-ti2v-5b/lora"},
        {"rank": "32", "hidden_size": "3072", "base_model": "wan22_5b"}),
}


def write_legit(tools, directory, name):
    np, st = tools
    (builder, *args), metadata, _ = LEGIT[name]
    tensors = builder(np, *args, seed=len(name))
    path = directory / name
    st.save_file(tensors, str(path), metadata=metadata)
    return path, tensors


def header_of(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return raw, n, json.loads(raw[8:8 + n])


@pytest.mark.parametrize("name", sorted(LEGIT))
def test_a_lora_the_safetensors_library_wrote_is_stored_byte_for_byte(tools, mnt, tmp_path, name):
    np, st = tools
    src, tensors = write_legit(tools, tmp_path, name)
    r = mnt.cp(src)
    assert r.returncode == 0, r.stderr + mnt.log()
    row = mnt.assert_stored(name, src)
    assert mnt.uploads() == []
    dst = mnt.p(name)
    # Read back: the same bytes, and the library itself loads them from the mount.
    assert run(["sha256sum", dst], check=True).stdout.split()[0] == sha256_file(src) == row["sha256"]
    assert run(["cmp", src, dst]).returncode == 0
    back = st.load_file(str(dst))
    assert sorted(back) == sorted(tensors)
    assert all(np.array_equal(back[k], tensors[k]) and back[k].dtype == tensors[k].dtype for k in tensors)
    # What the header says, as xattrs, and nothing more.
    want = dict(LEGIT[name][2], sha256=row["sha256"], object_key=row["object_key"])
    got = {a.removeprefix("user.lorafs."): os.getxattr(dst, a).decode()
           for a in os.listxattr(dst) if a.startswith("user.lorafs.")}
    assert got == want


def _rewrite_header(raw, n, header, change):
    """The file with its header JSON changed by `change`, padded back to the same length."""
    change(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= n, "the change must not lengthen the header"
    return raw[:8] + text + b" " * (n - len(text)) + raw[8 + n:]


def _first_down_weight(header):
    """The down weight that comes first in the data (the library orders tensors its own way)."""
    downs = [k for k in header if k.endswith("lora_down.weight")]
    return min(downs, key=lambda k: header[k]["data_offsets"][0])


def _hostile(case, path):
    """(bytes, exact reason, refused at write) for one corruption of a real file."""
    raw, n, header = header_of(path)
    size = len(raw)
    first = _first_down_weight(header)
    entry = header[first]
    span = entry["data_offsets"][1] - entry["data_offsets"][0]
    shape = entry["shape"]
    if case == "truncated-after-header":
        return raw[:8 + n], f"file is {8 + n} bytes but its header describes {size} bytes (truncated copy?)", False
    if case == "truncated-mid-data":
        cut = size * 9 // 10
        return raw[:cut], f"file is {cut} bytes but its header describes {size} bytes (truncated copy?)", False
    if case == "trailing-bytes":
        return raw + b"\0" * 100, f"file is {size + 100} bytes but its header describes only {size} bytes (100 unexpected trailing bytes)", False
    if case == "header-length-past-the-end":
        return struct.pack("<Q", size) + raw[8:], f"file is {size} bytes, too short for its {8 + size}-byte header (truncated copy?)", False
    if case == "header-length-short":
        # The JSON is cut 8 bytes before its end: refused as soon as those bytes have arrived.
        return struct.pack("<Q", n - 8) + raw[8:], "header is not valid JSON: ", True
    if case == "dtype-wider-than-its-offsets":
        def f32(h):
            h[first]["dtype"] = "F32"
        shape_text = ", ".join(map(str, shape))
        return (_rewrite_header(raw, n, header, f32),
                f'tensor "{first}": shape [{shape_text}] of F32 needs {2 * span} bytes but data_offsets span {span}', True)
    if case == "shape-larger-than-its-offsets":
        def wider(h):
            h[first]["shape"] = [shape[0], shape[1] + 1]
        return (_rewrite_header(raw, n, header, wider),
                f'tensor "{first}": shape [{shape[0]}, {shape[1] + 1}] of F16 needs {span + 2 * shape[0]} bytes but data_offsets span {span}', True)
    raise ValueError(case)


HOSTILE = ["truncated-after-header", "truncated-mid-data", "trailing-bytes", "header-length-past-the-end",
           "header-length-short", "dtype-wider-than-its-offsets", "shape-larger-than-its-offsets"]


@pytest.mark.parametrize("case", HOSTILE)
def test_a_real_lora_corrupted_afterwards_is_refused_with_einval(tools, mnt, tmp_path, case):
    # The multipart-sized WAN file: truncations are found at close, after parts went up.
    good, _ = write_legit(tools, tmp_path, "wan22-a14b-high.safetensors")
    data, reason, at_write = _hostile(case, good)
    bad = tmp_path / f"{case}.safetensors"
    bad.write_bytes(data)
    before = mnt.all_objects()
    r = mnt.cp(bad)
    assert_refused(mnt, r, bad.name, {"EINVAL"}, before)
    if at_write:  # a bad header fails the write that completes it (and, sticky, the close after it)
        assert r.stderr.startswith("cp: error writing"), r.stderr
    else:  # a header that parses is refused only once the whole file is there: at close
        assert "failed to close" in r.stderr and "error writing" not in r.stderr, r.stderr
    mine = [line for line in mnt.errors() if f" {bad.name}: " in line]
    assert len(mine) == 1, mine
    assert mine[0].split(" ", 1)[1].startswith(f"{bad.name}: {reason}") and mine[0].endswith(" (EINVAL)"), (mine[0], reason)
    if not reason.endswith(": "):  # exact, not only a prefix
        assert mine[0].split(" ", 1)[1] == f"{bad.name}: {reason} (EINVAL)", mine[0]
