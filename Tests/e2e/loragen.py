#!/usr/bin/env python3
"""Generate WAN 2.2 LoRA test files: valid and corrupt safetensors, .ckpt archives,
and malicious pickles. No torch, no numpy: standard library only.

CLI:
  loragen.py valid OUT [--size BYTES] [--convention kohya|peft] [--seed N] [--fill random|zero]
                       [--hidden 5120|3072|1536|...] [--name-keys k_img]
  loragen.py corrupt OUT --kind KIND          (KIND: see CORRUPT_KINDS)
  loragen.py ckpt OUT [--tensors N]
  loragen.py evil-ckpt OUT [--global posix.system] [--marker PATH] [--raw]

As a module: write_valid(), write_corrupt(), write_ckpt(), write_evil_ckpt() and
friends; every writer returns the path written.

Valid safetensors: 8-byte little-endian header length, a JSON header padded with
spaces to a multiple of 8, then the tensors' bytes back to back. Tensor names
follow the WAN conventions, e.g. kohya
`diffusion_model.blocks.0.self_attn.q.lora_down.weight` [rank, 5120] BF16 with
`lora_up` [5120, rank] and a scalar F32 `alpha`, or peft `...lora_A.weight` /
`...lora_B.weight`. With --size the file is exactly that many bytes (a final U8
`lorafs_test.padding` tensor takes up the rest). --hidden fixes the hidden size the
tensors target (default: 5120, the A14B models, or smaller when --size is too small
for it); --name-keys k_img starts with `cross_attn.k_img`/`v_img` pairs, the keys of a
Wan 2.1 I2V LoRA.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import struct
import sys
import zipfile
from pathlib import Path

CHUNK = 8 << 20
DTYPE_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
              "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
MODULES = [f"{a}.{m}" for a in ("self_attn", "cross_attn") for m in ("q", "k", "v", "o")]
IMAGE_MODULES = ["cross_attn.k_img", "cross_attn.v_img"] + MODULES  # a Wan 2.1 I2V LoRA
BLOCKS = 40
CORRUPT_KINDS = ["truncated", "bad-header", "overlap", "no-lora", "huge-header", "html",
                 "gap", "duplicate", "bad-dtype", "shape-mismatch", "trailing",
                 "metadata-not-string", "not-object", "offset-not-zero", "tiny"]


# ---------------------------------------------------------------------------
# safetensors

def _numel(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _pair_names(convention: str, block: int, module: str) -> tuple[str, str, str | None]:
    base = f"diffusion_model.blocks.{block}.{module}"
    if convention == "kohya":
        return f"{base}.lora_down.weight", f"{base}.lora_up.weight", f"{base}.alpha"
    if convention == "peft":
        return f"{base}.lora_A.weight", f"{base}.lora_B.weight", None
    raise ValueError(f"unknown convention {convention!r} (kohya|peft)")


def lora_tensors(convention="kohya", rank=4, dim=5120, pairs=1, modules=None):
    """[(name, dtype, shape)] for `pairs` LoRA pairs in data order."""
    modules = modules or MODULES
    out = []
    for i in range(pairs):
        down, up, alpha = _pair_names(convention, i // len(modules), modules[i % len(modules)])
        out.append((down, "BF16", [rank, dim]))
        out.append((up, "BF16", [dim, rank]))
        if alpha:
            out.append((alpha, "F32", []))
    return out


def build_header(tensors, metadata=None, pad_to: int | None = None) -> bytes:
    """JSON header bytes (space padded to a multiple of 8, or to pad_to) and the
    data length implied by contiguous offsets."""
    hdr: dict = {}
    if metadata is not None:
        hdr["__metadata__"] = metadata
    off = 0
    for name, dtype, shape in tensors:
        n = _numel(shape) * DTYPE_SIZE[dtype]
        hdr[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    raw = json.dumps(hdr, separators=(",", ":")).encode()
    target = pad_to if pad_to is not None else (len(raw) + 7) // 8 * 8
    if len(raw) > target:
        raise ValueError("header longer than pad_to")
    return raw + b" " * (target - len(raw))


def data_size(tensors) -> int:
    return sum(_numel(s) * DTYPE_SIZE[d] for _, d, s in tensors)


def _write_data(f, nbytes: int, fill: str, seed: int) -> None:
    rng = random.Random(seed)
    zero = bytes(min(CHUNK, nbytes)) if fill == "zero" else b""
    left = nbytes
    while left > 0:
        n = min(CHUNK, left)
        f.write(zero[:n] if fill == "zero" else rng.randbytes(n))
        left -= n


def plan_valid(size: int | None = None, convention: str = "kohya", rank: int | None = None,
               metadata: dict | None = None, hidden: int | None = None, image_keys: bool = False):
    """Choose tensors (and padding) so the file is exactly `size` bytes. Returns
    (tensors, header_bytes)."""
    md = {"ss_base_model_version": "wan", "modelspec.architecture": "wan2.1/lora",
          "lorafs_test.generator": "loragen.py"}
    if metadata:
        md.update(metadata)
    modules = IMAGE_MODULES if image_keys else MODULES
    if size is None:
        r = rank or 4
        tensors = lora_tensors(convention, r, hidden or 5120, 2, modules)
        md.setdefault("ss_network_dim", str(r))
        return tensors, build_header(tensors, md)
    max_pairs = len(modules) * BLOCKS
    per_pair_header = 330
    for dim in ((hidden,) if hidden else (5120, 3072, 1536, 512, 64, 8)):
        ranks = [rank] if rank else [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048]
        for r in ranks:
            pair_bytes = data_size(lora_tensors(convention, r, dim, 1, modules))
            pairs = (size - 8 - 1024) // (pair_bytes + per_pair_header)
            if pairs < 1:
                break  # a larger rank will not fit either: try a smaller dim
            if pairs > max_pairs and r != ranks[-1]:
                continue  # too many tensors: use a larger rank
            pairs = min(pairs, max_pairs)
            md_r = dict(md, ss_network_dim=str(r), ss_network_alpha=str(r))
            while pairs >= 1:
                res = _fit(lora_tensors(convention, r, dim, pairs, modules), md_r, size)
                if res:
                    return res
                pairs = pairs - 1 if pairs < 16 else int(pairs * 0.9)
    raise ValueError(f"size {size} is too small for a valid LoRA")


def _fit(tensors, md, size):
    pad_name = "lorafs_test.padding"
    base = data_size(tensors)
    # Header with a padding tensor whose length has as many digits as it could have.
    probe = tensors + [(pad_name, "U8", [size])]
    hlen = (len(build_header(probe, md)) + 64 + 7) // 8 * 8
    left = size - 8 - hlen - base
    if left < 0:
        return None
    final = tensors + ([(pad_name, "U8", [left])] if left > 0 else [])
    try:
        header = build_header(final, md, pad_to=hlen)
    except ValueError:
        return None
    assert 8 + len(header) + data_size(final) == size
    return final, header


def write_safetensors(out, tensors, header: bytes | None = None, metadata=None,
                      fill="random", seed=0, data_len: int | None = None) -> Path:
    """Write header + data. data_len overrides the amount of data written."""
    out = Path(out)
    if header is None:
        header = build_header(tensors, metadata)
    n = data_size(tensors) if data_len is None else data_len
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        _write_data(f, n, fill, seed)
    return out


def write_valid(out, size: int | None = None, convention: str = "kohya", seed: int = 0,
                fill: str = "random", rank: int | None = None, metadata: dict | None = None,
                hidden: int | None = None, image_keys: bool = False) -> Path:
    tensors, header = plan_valid(size, convention, rank, metadata, hidden, image_keys)
    return write_safetensors(out, tensors, header, fill=fill, seed=seed)


def _raw_header(entries: dict | list, extra: bytes = b"") -> bytes:
    raw = entries if isinstance(entries, bytes) else json.dumps(entries).encode()
    raw += extra
    return raw + b" " * ((8 - len(raw) % 8) % 8)


def write_corrupt(out, kind: str, seed: int = 0) -> Path:
    """A file that a safetensors validator must refuse, of the given kind."""
    out = Path(out)
    r, dim = 4, 5120
    tensors = lora_tensors("kohya", r, dim, 2)
    n = _numel([r, dim]) * 2  # bytes of one down/up tensor
    down, up, _ = _pair_names("kohya", 0, "self_attn.q")

    def entry(dtype, shape, a, b):
        return {"dtype": dtype, "shape": shape, "data_offsets": [a, b]}

    if kind == "truncated":
        # A valid header, but the copy stopped at 60% of the data.
        header = build_header(tensors, {"ss_network_dim": "4"})
        return write_safetensors(out, tensors, header, seed=seed,
                                 data_len=int(data_size(tensors) * 0.6))
    if kind == "bad-header":
        header = _raw_header(b'{"' + down.encode() + b'": {"dtype": "BF16", "shape": [4, 5120], '
                             b'"data_offsets": [0, 40960]')  # JSON cut short
        return _write_raw(out, header, n, seed)
    if kind == "overlap":
        header = _raw_header({down: entry("BF16", [r, dim], 0, n),
                              up: entry("BF16", [dim, r], n - 16, 2 * n - 16)})
        return _write_raw(out, header, 2 * n - 16, seed)
    if kind == "gap":
        header = _raw_header({down: entry("BF16", [r, dim], 0, n),
                              up: entry("BF16", [dim, r], n + 64, 2 * n + 64)})
        return _write_raw(out, header, 2 * n + 64, seed)
    if kind == "offset-not-zero":
        header = _raw_header({down: entry("BF16", [r, dim], 16, n + 16),
                              up: entry("BF16", [dim, r], n + 16, 2 * n + 16)})
        return _write_raw(out, header, 2 * n + 16, seed)
    if kind == "no-lora":
        t = [("diffusion_model.blocks.0.self_attn.q.weight", "BF16", [64, 64]),
             ("diffusion_model.blocks.0.self_attn.q.bias", "BF16", [64])]
        return write_safetensors(out, t, metadata={"format": "pt"}, seed=seed)
    if kind == "huge-header":
        with open(out, "wb") as f:
            f.write(struct.pack("<Q", 200_000_000))
            f.write(b'{"' + b"x" * 4096)
        return out
    if kind == "html":
        body = (b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>\n"
                b"<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
                b"</body></html>\n") * 20
        out.write_bytes(body)
        return out
    if kind == "duplicate":
        e1 = json.dumps(entry("BF16", [r, dim], 0, n))
        e2 = json.dumps(entry("BF16", [r, dim], n, 2 * n))
        raw = ('{"%s": %s, "%s": %s}' % (down, e1, down, e2)).encode()
        return _write_raw(out, _raw_header(raw), 2 * n, seed)
    if kind == "bad-dtype":
        header = _raw_header({down: entry("BF17", [r, dim], 0, n),
                              up: entry("BF16", [dim, r], n, 2 * n)})
        return _write_raw(out, header, 2 * n, seed)
    if kind == "shape-mismatch":
        header = _raw_header({down: entry("BF16", [r, dim], 0, n - 2),
                              up: entry("BF16", [dim, r], n - 2, 2 * n - 2)})
        return _write_raw(out, header, 2 * n - 2, seed)
    if kind == "trailing":
        header = build_header(tensors)
        return write_safetensors(out, tensors, header, seed=seed, data_len=data_size(tensors) + 100)
    if kind == "metadata-not-string":
        header = _raw_header({"__metadata__": {"ss_network_dim": 4},
                              down: entry("BF16", [r, dim], 0, n),
                              up: entry("BF16", [dim, r], n, 2 * n)})
        return _write_raw(out, header, 2 * n, seed)
    if kind == "not-object":
        header = _raw_header(b'[{"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}]')
        return _write_raw(out, header, 8, seed)
    if kind == "tiny":
        out.write_bytes(b"\x10\x00\x00")
        return out
    raise ValueError(f"unknown corruption {kind!r}; one of {', '.join(CORRUPT_KINDS)}")


def _write_raw(out, header: bytes, nbytes: int, seed: int) -> Path:
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        _write_data(f, nbytes, "random", seed)
    return Path(out)


# ---------------------------------------------------------------------------
# pickles, built from raw opcodes (protocol 2)

class Pickle:
    """A tiny protocol-2 pickle assembler."""

    def __init__(self):
        self.b = io.BytesIO()
        self.b.write(b"\x80\x02")  # PROTO 2

    def op(self, raw: bytes):
        self.b.write(raw)
        return self

    def global_(self, module: str, name: str):
        return self.op(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def str_(self, s: str):
        e = s.encode()
        return self.op(b"X" + struct.pack("<I", len(e)) + e)  # BINUNICODE

    def int_(self, v: int):
        if 0 <= v < 256:
            return self.op(b"K" + bytes([v]))  # BININT1
        if 0 <= v < 65536:
            return self.op(b"M" + struct.pack("<H", v))  # BININT2
        return self.op(b"J" + struct.pack("<i", v))  # BININT

    def tuple_of_ints(self, vals):
        self.op(b"(")
        for v in vals:
            self.int_(v)
        return self.op(b"t")

    mark = lambda self: self.op(b"(")  # noqa: E731
    tuple_ = lambda self: self.op(b"t")  # noqa: E731
    reduce = lambda self: self.op(b"R")  # noqa: E731
    empty_tuple = lambda self: self.op(b")")  # noqa: E731
    empty_dict = lambda self: self.op(b"}")  # noqa: E731
    setitems = lambda self: self.op(b"u")  # noqa: E731
    newfalse = lambda self: self.op(b"\x89")  # noqa: E731
    binpersid = lambda self: self.op(b"Q")  # noqa: E731

    def stop(self) -> bytes:
        self.b.write(b".")
        return self.b.getvalue()


def state_dict_pickle(tensors) -> bytes:
    """OrderedDict(name -> torch._utils._rebuild_tensor_v2(storage, 0, size, stride,
    False, OrderedDict())) with storages as persistent ids ('storage', FloatStorage,
    key, 'cpu', numel) — what torch.save writes for float32 tensors."""
    p = Pickle()
    p.global_("collections", "OrderedDict").empty_tuple().reduce()
    p.mark()
    for key, (name, shape) in enumerate(tensors):
        p.str_(name)
        p.global_("torch._utils", "_rebuild_tensor_v2")
        p.mark()
        p.mark().str_("storage").global_("torch", "FloatStorage").str_(str(key)).str_("cpu")
        p.int_(_numel(shape)).tuple_().binpersid()
        p.int_(0)
        p.tuple_of_ints(shape)
        strides = [_numel(shape[i + 1:]) for i in range(len(shape))]
        p.tuple_of_ints(strides)
        p.newfalse()
        p.global_("collections", "OrderedDict").empty_tuple().reduce()
        p.tuple_().reduce()
    p.setitems()
    return p.stop()


def evil_pickle(global_: str = "posix.system", marker: str = "/tmp/lorafs-pwned") -> bytes:
    """A pickle that would run code if unpickled (it touches `marker`)."""
    module, _, name = global_.rpartition(".")
    cmd = f"touch {marker}"
    p = Pickle()
    p.empty_dict().mark().str_("diffusion_model.blocks.0.self_attn.q.lora_down.weight")
    if global_ in ("builtins.eval", "builtins.exec"):
        p.global_(module, name).mark().str_(f"__import__('os').system({cmd!r})").tuple_().reduce()
    elif module == "subprocess":
        p.global_(module, name).mark().op(b"]").mark().str_("touch").str_(marker).op(b"e") \
            .tuple_().reduce()
    elif global_ == "pydoc.locate":
        p.global_("pydoc", "locate").mark().str_("os.system").tuple_().reduce()
        p.mark().str_(cmd).tuple_().reduce()
    elif global_ in ("importlib.import_module", "builtins.__import__"):
        p.global_(module, name).mark().str_("os").tuple_().reduce()
    else:
        p.global_(module, name).mark().str_(cmd).tuple_().reduce()
    p.setitems()
    return p.stop()


def _zip_checkpoint(out, data_pkl: bytes, storages: dict[str, bytes], archive="archive") -> Path:
    out = Path(out)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{archive}/data.pkl", data_pkl)
        z.writestr(f"{archive}/byteorder", "little")
        for key, blob in storages.items():
            z.writestr(f"{archive}/data/{key}", blob)
        z.writestr(f"{archive}/version", "3\n")
    return out


def write_ckpt(out, rank: int = 4, dim: int = 64, pairs: int = 2, seed: int = 0) -> Path:
    """A PyTorch zip checkpoint of a small kohya-style LoRA (float32)."""
    rng = random.Random(seed)
    tensors = []
    for name, _dt, shape in lora_tensors("kohya", rank, dim, pairs):
        tensors.append((name, shape if shape else [1]))
    storages = {str(i): rng.randbytes(4 * _numel(s)) for i, (_, s) in enumerate(tensors)}
    return _zip_checkpoint(out, state_dict_pickle(tensors), storages, Path(out).stem or "archive")


def write_evil_ckpt(out, global_: str = "posix.system", marker: str = "/tmp/lorafs-pwned",
                    raw: bool = False) -> Path:
    """A checkpoint whose data.pkl reaches `global_` (or a bare pickle with raw=True)."""
    pkl = evil_pickle(global_, marker)
    if raw:
        Path(out).write_bytes(pkl)
        return Path(out)
    return _zip_checkpoint(out, pkl, {"0": b"\0" * 16})


def write_proto4_ckpt(out) -> Path:
    """An otherwise harmless state dict pickled with protocol 4 opcodes (refused: > 2)."""
    import pickle
    return _zip_checkpoint(out, pickle.dumps({"a.lora_up.weight": 1}, protocol=4), {})


# ---------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("valid")
    v.add_argument("out")
    v.add_argument("--size", type=int)
    v.add_argument("--convention", choices=["kohya", "peft"], default="kohya")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--rank", type=int)
    v.add_argument("--fill", choices=["random", "zero"], default="random")
    v.add_argument("--hidden", type=int, help="hidden size the tensors target (5120 A14B, 3072 TI2V-5B, 1536 Wan 2.1 1.3B)")
    v.add_argument("--name-keys", choices=["k_img"], help="k_img: include cross_attn.k_img/v_img keys (Wan 2.1 I2V)")
    c = sub.add_parser("corrupt")
    c.add_argument("out")
    c.add_argument("--kind", choices=CORRUPT_KINDS, required=True)
    c.add_argument("--seed", type=int, default=0)
    k = sub.add_parser("ckpt")
    k.add_argument("out")
    k.add_argument("--pairs", type=int, default=2)
    k.add_argument("--seed", type=int, default=0)
    e = sub.add_parser("evil-ckpt")
    e.add_argument("out")
    e.add_argument("--global", dest="global_", default="posix.system")
    e.add_argument("--marker", default="/tmp/lorafs-pwned")
    e.add_argument("--raw", action="store_true", help="a bare pickle instead of a zip archive")
    a = ap.parse_args(argv)
    try:
        p = _run(a)
    except ValueError as e:
        ap.error(str(e))
    print(f"{p} {os.path.getsize(p)}")
    return 0


def _run(a) -> Path:
    if a.cmd == "valid":
        p = write_valid(a.out, a.size, a.convention, a.seed, a.fill, a.rank,
                        hidden=a.hidden, image_keys=a.name_keys == "k_img")
    elif a.cmd == "corrupt":
        p = write_corrupt(a.out, a.kind, a.seed)
    elif a.cmd == "ckpt":
        p = write_ckpt(a.out, pairs=a.pairs, seed=a.seed)
    else:
        p = write_evil_ckpt(a.out, a.global_, a.marker, a.raw)
    return p


if __name__ == "__main__":
    sys.exit(main())
