"""The test harness itself: the generator writes what it claims, and the S3 server
checks signatures and supports what the other tests rely on. No mount needed."""
import json
import pickletools
import struct
import zipfile

import pytest

import loragen
from conftest import S3

pytestmark = pytest.mark.harness


def parse_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    return n, header, len(raw) - 8 - n


@pytest.mark.parametrize("size", [4096, 256 * 1024, 3 * 1024 * 1024 + 7])
@pytest.mark.parametrize("convention", ["kohya", "peft"])
def test_valid_safetensors_has_exact_size_and_contiguous_offsets(tmp_path, size, convention):
    p = loragen.write_valid(tmp_path / "a.safetensors", size, convention)
    assert p.stat().st_size == size
    n, header, data_len = parse_safetensors(p)
    assert n % 8 == 0
    md = header.pop("__metadata__")
    assert all(isinstance(v, str) for v in md.values())
    spans = sorted(tuple(t["data_offsets"]) for t in header.values())
    assert spans[0][0] == 0 and spans[-1][1] == data_len
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    for t in header.values():
        numel = 1
        for d in t["shape"]:
            numel *= d
        assert t["data_offsets"][1] - t["data_offsets"][0] == numel * loragen.DTYPE_SIZE[t["dtype"]]
    marker = "lora_down" if convention == "kohya" else "lora_A"
    assert any(marker in k for k in header)


@pytest.mark.parametrize("kind", loragen.CORRUPT_KINDS)
def test_corrupt_kinds_are_written(tmp_path, kind):
    p = loragen.write_corrupt(tmp_path / f"{kind}.safetensors", kind)
    assert p.stat().st_size > 0


def test_ckpt_is_a_stored_zip_with_a_protocol2_state_dict(tmp_path):
    p = loragen.write_ckpt(tmp_path / "x.ckpt")
    with zipfile.ZipFile(p) as z:
        names = z.namelist()
        assert "x/data.pkl" in names and "x/byteorder" in names and "x/data/0" in names
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        pkl = z.read("x/data.pkl")
    ops = list(pickletools.genops(pkl))
    assert max(op.proto for op, _, _ in ops) <= 2
    globals_ = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    assert globals_ == {"collections OrderedDict", "torch._utils _rebuild_tensor_v2", "torch FloatStorage"}


@pytest.mark.parametrize("glob", ["posix.system", "builtins.eval", "subprocess.Popen"])
def test_evil_ckpt_reaches_its_global(tmp_path, glob):
    p = loragen.write_evil_ckpt(tmp_path / "e.ckpt", glob, str(tmp_path / "pwned"))
    pkl = zipfile.ZipFile(p).read("archive/data.pkl")
    globals_ = {arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"}
    assert " ".join(glob.rsplit(".", 1)) in globals_


def test_s3_server_refuses_a_wrong_secret(s3):
    bad = S3(s3.endpoint, s3.access_key, s3.secret_key + "x")
    with pytest.raises(Exception) as e:
        bad.client.list_buckets()
    assert "403" in str(e.value) or "SignatureDoesNotMatch" in str(e.value) or "AccessDenied" in str(e.value)


def test_s3_server_lists_and_aborts_multipart_uploads(s3, bucket):
    key = "workspaces/harness/loras/00000000-0000-0000-0000-000000000000.safetensors"
    up = s3.client.create_multipart_upload(Bucket=bucket, Key=key)
    assert [u["Key"] for u in s3.uploads(bucket, "workspaces/harness/")] == [key]
    s3.client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"])
    assert s3.uploads(bucket, "workspaces/harness/") == []
