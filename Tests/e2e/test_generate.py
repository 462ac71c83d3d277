"""Video generation from the mount (issue 3): JSON specs written into `generate/` become
jobs at a RunPod-protocol backend (scripts/local-worker), whose status and video appear
under `jobs/`. Everything is real: the mount, SeaweedFS, the worker (which downloads each
LoRA through its presigned URL and checks size and SHA-256) and ffmpeg's MP4.

The worker records what it received (`local_worker.jobs()`), so the tests check the
request itself, not only the files in `jobs/`.
"""
from __future__ import annotations

import calendar
import errno
import json
import os
import re
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

import loragen
from conftest import Mount, generator_args, run, sha256_file, wait_until
from worker import LocalWorker

JOB_TIMEOUT = 30.0
ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
STATES = {"queued", "running", "completed", "failed", "cancelled"}
OBJECT_RE = r"workspaces/{ws}/loras/[0-9a-fA-F-]{{36}}\.safetensors"
DEFAULT_EXPIRY = 10800
HAVE_FFPROBE = shutil.which("ffprobe") is not None


# ---------------------------------------------------------------------------
# LoRAs of the workspace

@pytest.fixture(scope="module")
def loras(tmp_path_factory):
    d = tmp_path_factory.mktemp("gen-loras")
    k = 128 * 1024

    class L:
        dir = d
        style = loragen.write_valid(d / "style.safetensors", 200 * 1024, "kohya", seed=11)
        other = loragen.write_valid(d / "other.safetensors", 160 * 1024, "peft", seed=12)
        boat_high = loragen.write_valid(d / "boat_high_noise.safetensors", k, "kohya", seed=13)
        boat_low = loragen.write_valid(d / "boat_low_noise.safetensors", k + 8, "kohya", seed=14)
        ti2v = loragen.write_valid(d / "ti2v-style.safetensors", k, "kohya", seed=15, hidden=3072)
        wan21_small = loragen.write_valid(d / "wan21-small.safetensors", k, "kohya", seed=16, hidden=1536)
        wan21_i2v = loragen.write_valid(d / "wan21-i2v.safetensors", k, "kohya", seed=17, image_keys=True)
        all = [style, other, boat_high, boat_low, ti2v, wan21_small, wan21_i2v]

    return L


def copy_loras(m: Mount, paths):
    for p in paths:
        r = m.cp(p)
        assert r.returncode == 0, r.stderr + m.log()


@pytest.fixture(scope="module")
def gen(lorafs_bin, s3, bucket, local_worker, loras, tmp_path_factory):
    """One mount for most tests, pointed at the module's worker, with every LoRA copied in."""
    d = tmp_path_factory.mktemp("gen-mount")
    m = Mount(lorafs_bin, s3, bucket, f"gen-{uuid.uuid4().hex[:8]}", d / "mnt", d / "state",
              d / "lorafs.log", generator_args(local_worker))
    m.start()
    try:
        copy_loras(m, loras.all)
        yield m
    finally:
        try:
            code = m.unmount()
        finally:
            m._kill()
        assert code == 0, f"lorafs exited {code}\n{m.log()}"


# ---------------------------------------------------------------------------
# helpers

def spec(prompt="a paper boat on a stormy sea, cinematic", **kw) -> dict:
    s = {"model": "t2v-A14B", "prompt": prompt, "resolution": "480p", "frames": 17, "steps": 4}
    s.update(kw)
    return {k: v for k, v in s.items() if v is not None}


def new_name(hint="job") -> str:
    return f"{hint}-{uuid.uuid4().hex[:8]}"


def write_spec(m: Mount, name: str, content) -> None:
    """open/write/close of generate/NAME.json with raw syscalls (so the errno is close()'s)."""
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    fd = os.open(m.p(f"generate/{name}.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        n = os.write(fd, data)
        assert n == len(data)
    except BaseException:
        try:
            os.close(fd)
        except OSError:
            pass
        raise
    os.close(fd)


def submit(m: Mount, content, hint="job") -> str:
    name = new_name(hint)
    write_spec(m, name, content)
    return name


def submit_refused(m: Mount, name: str, content) -> OSError:
    """Writes a spec that must be refused at close(); returns the close() error."""
    data = content if isinstance(content, bytes) else json.dumps(content).encode()
    fd = os.open(m.p(f"generate/{name}.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        assert os.write(fd, data) == len(data)
    except OSError:
        os.close(fd)
        raise
    with pytest.raises(OSError) as e:
        os.close(fd)
    return e.value


def job_dir(m: Mount, name: str) -> Path:
    return m.p(f"jobs/{name}")


def status(m: Mount, name: str) -> dict:
    return json.loads(job_dir(m, name).joinpath("status.json").read_text())


def job_spec(m: Mount, name: str) -> dict:
    return json.loads(job_dir(m, name).joinpath("spec.json").read_text())


def wait_state(m: Mount, name: str, states, timeout=JOB_TIMEOUT) -> dict:
    states = {states} if isinstance(states, str) else set(states)
    deadline = time.monotonic() + timeout
    st = {}
    while time.monotonic() < deadline:
        st = status(m, name)
        if st.get("state") in states:
            return st
        time.sleep(0.1)
    raise AssertionError(f"jobs/{name}: state {st.get('state')!r}, not {sorted(states)} after {timeout}s: {st}\n"
                         f"{m.log(40)}")


def record_of(w: LocalWorker, m: Mount, name: str) -> dict:
    bid = status(m, name)["backend_id"]
    rec = w.job(bid)
    assert rec is not None, f"the worker never received backend_id {bid!r} of jobs/{name}"
    return rec


def wait_record(w: LocalWorker, bid: str, statuses, timeout=JOB_TIMEOUT) -> dict:
    statuses = {statuses} if isinstance(statuses, str) else set(statuses)
    rec = wait_until(lambda: (lambda r: r if r and r["status"] in statuses else None)(w.job(bid)), timeout)
    assert rec, f"worker job {bid}: {w.job(bid)}"
    return rec


def assert_mp4(data: bytes, where=""):
    assert len(data) > 100, f"{where}: {len(data)} bytes"
    assert data[4:8] == b"ftyp", f"{where}: no ftyp box at offset 4: {data[:16]!r}"


def ffprobe_ok(path) -> None:
    if not HAVE_FFPROBE:
        return
    r = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=codec_type,width,height",
             "-of", "json", path])
    assert r.returncode == 0, r.stderr
    streams = json.loads(r.stdout)["streams"]
    assert streams and streams[0]["codec_type"] == "video" and streams[0]["width"] > 0, streams


def assert_status_shape(st: dict, name=""):
    assert st["state"] in STATES, st
    assert st.get("backend") == "local", st
    assert isinstance(st.get("backend_id"), str) and st["backend_id"], st
    assert ISO_RE.match(st["created_at"]) and ISO_RE.match(st["updated_at"]), st
    assert st["updated_at"] >= st["created_at"], st
    assert "error" in st, st


def error_lines(m: Mount, name: str) -> list[str]:
    return [l for l in m.errors() if f"generate/{name}.json:" in l]


def read_all_json(text: str) -> list:
    """Parses concatenated JSON documents (`cat a.json b.json`)."""
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def schema_enums(node) -> set[str]:
    """Every string in every `enum` of a JSON Schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "enum" and isinstance(v, list):
                found |= {x for x in v if isinstance(x, str)}
            else:
                found |= schema_enums(v)
    elif isinstance(node, list):
        for v in node:
            found |= schema_enums(v)
    return found


def check_received_lora(rec_lora: dict, check: dict, src: Path, m: Mount, expiry: int):
    """One LoRA of the request: a real presigned URL the worker fetched successfully."""
    assert rec_lora["name"] == src.name, rec_lora
    assert rec_lora["size"] == src.stat().st_size, rec_lora
    assert rec_lora["sha256"] == sha256_file(src), rec_lora
    row = m.catalog()[src.name]
    assert rec_lora["s3_uri"] == f"s3://{m.bucket}/{row['object_key']}", rec_lora
    assert re.fullmatch(OBJECT_RE.format(ws=re.escape(m.workspace)), row["object_key"]), row
    url = urllib.parse.urlsplit(rec_lora["url"])
    assert url.path.endswith(".safetensors"), rec_lora["url"]
    q = urllib.parse.parse_qs(url.query)
    assert q.get("X-Amz-Algorithm") == ["AWS4-HMAC-SHA256"], q
    assert q.get("X-Amz-Signature") and q.get("X-Amz-Credential") and q.get("X-Amz-Date"), q
    assert q.get("X-Amz-Expires") == [str(expiry)], q
    assert 0 < int(q["X-Amz-Expires"][0]) <= 604800, q
    assert check["name"] == src.name and check["status"] == "ok", check
    assert check["fetched_bytes"] == src.stat().st_size, check
    assert check["url_expires"] == str(expiry), check
    signed = calendar.timegm(time.strptime(check["url_date"], "%Y%m%dT%H%M%SZ"))
    assert abs(signed - time.time()) < 600, check["url_date"]


# ---------------------------------------------------------------------------
# the worker alone (no mount): the protocol the Swift side talks to

@pytest.mark.harness
def test_worker_protocol_against_real_presigned_urls(s3, tmp_path):
    bucket = s3.new_bucket("worker")
    src = loragen.write_valid(tmp_path / "w.safetensors", 100 * 1024, "kohya", seed=5)
    key = "workspaces/w/loras/x y+z.safetensors"
    s3.client.put_object(Bucket=bucket, Key=key, Body=src.read_bytes())
    import boto3
    from botocore.config import Config
    signer = boto3.client("s3", endpoint_url=s3.endpoint, aws_access_key_id=s3.access_key,
                          aws_secret_access_key=s3.secret_key, region_name=s3.region,
                          config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    url = signer.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900)
    lora = {"name": src.name, "url": url, "s3_uri": f"s3://{bucket}/{key}", "sha256": sha256_file(src),
            "size": src.stat().st_size, "scale": 0.7, "expert": "high"}
    w = LocalWorker(tmp_path / "rec", api_key="sekrit").start()
    try:
        # authorization
        req = urllib.request.Request(w.url + "/run", data=b'{"input": {}}', method="POST")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 401
        with pytest.raises(urllib.error.HTTPError) as e:
            w.status("no-such-job")
        assert e.value.code == 404

        base = {"model": "t2v-A14B", "width": 1280, "height": 720, "fps": 16}
        ok = w.submit(dict(base, prompt="it's 100% a: boat, [x] \\ {}", loras=[lora]))
        bad = w.submit(dict(base, prompt="bad sha", loras=[dict(lora, sha256="0" * 64)]))
        short = w.submit(dict(base, prompt="bad size", loras=[dict(lora, size=lora["size"] + 1)]))
        fail = w.submit(dict(base, prompt="[fail]"))
        tmo = w.submit(dict(base, prompt="[timeout]"))
        b64 = w.submit(dict(base, prompt="[base64]"))
        shp = w.submit(dict(base, prompt="[shape:video.url]"))
        slow = w.submit(dict(base, prompt="[slow:30]"))
        queued = w.submit(dict(base, prompt="[queue:30]"))

        st = w.wait_status(ok, "COMPLETED")
        assert st["status"] == "COMPLETED", st
        video = urllib.request.urlopen(st["output"]["video_url"], timeout=10).read()
        assert_mp4(video, "video_url")
        (tmp_path / "v.mp4").write_bytes(video)
        ffprobe_ok(tmp_path / "v.mp4")
        rec = w.job(ok)
        assert rec["lora_checks"][0]["status"] == "ok" and rec["lora_checks"][0]["url_expires"] == "900"
        assert "Authorization" not in rec["headers"] and "authorization" not in rec["headers"]
        assert (tmp_path / "rec" / f"{ok}.json").is_file()

        for bid, needle in ((bad, "sha256"), (short, "size")):
            st = w.wait_status(bid, "FAILED")
            assert st["status"] == "FAILED" and src.name in st["error"] and needle in st["error"], st
        assert w.wait_status(fail, "FAILED")["error"] == "simulated failure"
        assert w.wait_status(tmo, "TIMED_OUT")["status"] == "TIMED_OUT"
        st = w.wait_status(b64, "COMPLETED")
        import base64
        assert base64.b64decode(st["output"]["video"]) == w.video(b64)
        st = w.wait_status(shp, "COMPLETED")
        assert urllib.request.urlopen(st["output"]["video"]["url"], timeout=10).read() == w.video(shp)

        assert w.wait_status(slow, "IN_PROGRESS")["status"] == "IN_PROGRESS"
        assert w.status(queued)["status"] == "IN_QUEUE"
        for bid in (slow, queued):
            assert w.cancel(bid)["status"] == "CANCELLED"
            assert w.status(bid)["status"] == "CANCELLED"
        time.sleep(0.3)
        assert w.status(slow)["status"] == "CANCELLED"
        assert [j["status"] for j in w.jobs()] == ["COMPLETED", "FAILED", "FAILED", "FAILED", "TIMED_OUT",
                                                    "COMPLETED", "COMPLETED", "CANCELLED", "CANCELLED"]
    finally:
        w.stop()


# ---------------------------------------------------------------------------
# layout and schema

def test_layout_and_schema(gen, loras):
    root = os.listdir(gen.p(""))
    assert "generate" in root and "jobs" in root, root
    assert gen.p("generate").is_dir() and gen.p("jobs").is_dir()
    assert "schema.json" in os.listdir(gen.p("generate"))
    schema = json.loads(gen.p("generate/schema.json").read_text())
    assert isinstance(schema, dict) and schema.get("type") == "object", schema
    names = schema_enums(schema)
    for p in loras.all:
        assert p.name in names, (p.name, sorted(names))
    assert {"t2v-A14B", "i2v-A14B", "ti2v-5B"} <= names
    # read-only
    with pytest.raises(OSError):
        with open(gen.p("generate/schema.json"), "w") as f:
            f.write("{}")
    assert json.loads(gen.p("generate/schema.json").read_text()) == schema
    # the LoRAs at the root are still just the LoRAs
    assert sorted(n for n in gen.listing() if n.endswith(".safetensors")) == sorted(p.name for p in loras.all)


def test_schema_lists_loras_live(gen, loras, tmp_path):
    fresh = loragen.write_valid(tmp_path / f"fresh-{uuid.uuid4().hex[:6]}.safetensors", 64 * 1024, "kohya", seed=21)
    assert fresh.name not in schema_enums(json.loads(gen.p("generate/schema.json").read_text()))
    copy_loras(gen, [fresh])
    assert fresh.name in schema_enums(json.loads(gen.p("generate/schema.json").read_text()))
    os.unlink(gen.p(fresh.name))
    assert fresh.name not in schema_enums(json.loads(gen.p("generate/schema.json").read_text()))


# ---------------------------------------------------------------------------
# accepted jobs

def test_job_with_one_lora_completes_with_a_real_video(gen, loras, local_worker, tmp_path):
    w = local_worker
    t0 = time.time()
    name = submit(gen, spec(loras=[{"name": "style.safetensors", "scale": 0.8}]), "one")
    # close() returned: the backend has the job, jobs/NAME exists at once
    assert name in os.listdir(gen.p("jobs")), os.listdir(gen.p("jobs"))
    st = status(gen, name)
    assert_status_shape(st)
    assert st["state"] in ("queued", "running", "completed") and st["error"] is None, st
    rec = w.job(st["backend_id"])
    assert rec is not None, f"backend_id {st['backend_id']} unknown to the worker: {[j['id'] for j in w.jobs()]}"
    assert t0 - 1 <= rec["received_at"] <= time.time() + 1

    # the accepted spec: normalized, defaults applied, LoRA resolved
    sp = job_spec(gen, name)
    assert sp["model"] == "t2v-A14B" and sp["prompt"] == "a paper boat on a stormy sea, cinematic", sp
    assert sp["frames"] == 17 and sp["steps"] == 4, sp
    for key in ("fps", "guidance_scale", "width", "height"):
        assert key in sp, (key, sp)
    assert (sp["width"], sp["height"]) == (832, 480), sp
    [sl] = sp["loras"]
    assert sl["name"] == "style.safetensors" and sl["scale"] == 0.8 and sl["expert"] == "both", sl
    assert sl["sha256"] == sha256_file(loras.style), sl

    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed" and st["error"] is None, (st, w.job(st["backend_id"]))
    assert_status_shape(st)
    assert st["updated_at"] >= st["created_at"]
    assert "output.mp4" in os.listdir(job_dir(gen, name))
    out = job_dir(gen, name).joinpath("output.mp4").read_bytes()
    assert_mp4(out, "output.mp4")
    assert os.stat(job_dir(gen, name) / "output.mp4").st_size == len(out)
    local = tmp_path / "out.mp4"
    shutil.copyfile(job_dir(gen, name) / "output.mp4", local)
    ffprobe_ok(local)
    assert out == w.video(st["backend_id"]), "output.mp4 differs from the worker's video"
    # copied into the workspace's own prefix
    key = f"workspaces/{gen.workspace}/jobs/{name}/output.mp4"
    assert gen.s3.client.get_object(Bucket=gen.bucket, Key=key)["Body"].read() == out

    # what the worker received
    rec = w.job(st["backend_id"])
    inp = rec["input"]
    assert inp["version"] == 1 and inp["model"] == "t2v-A14B", inp
    assert inp["prompt"] == sp["prompt"] and (inp["width"], inp["height"]) == (832, 480), inp
    assert inp["frames"] == 17 and inp["steps"] == 4, inp
    for key in ("fps", "guidance_scale", "shift"):
        assert key in inp, (key, inp)
    assert isinstance(rec["policy"]["executionTimeout"], int) and rec["policy"]["executionTimeout"] >= 600_000, rec
    [rl] = inp["loras"]
    assert rl["scale"] == 0.8 and rl["expert"] == "both", rl
    check_received_lora(rl, rec["lora_checks"][0], loras.style, gen, DEFAULT_EXPIRY)
    assert rec["status"] == "COMPLETED"


def test_two_loras_on_different_experts(gen, loras, local_worker):
    name = submit(gen, spec("two experts", loras=[{"name": "style.safetensors", "scale": 0.8, "expert": "high"},
                                                   {"name": "other", "scale": 0.5, "expert": "low"}]), "two")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    sp = job_spec(gen, name)
    assert [(l["name"], l["scale"], l["expert"]) for l in sp["loras"]] == [
        ("style.safetensors", 0.8, "high"), ("other.safetensors", 0.5, "low")], sp
    rec = record_of(local_worker, gen, name)
    got = rec["input"]["loras"]
    assert [(l["name"], l["scale"], l["expert"]) for l in got] == [
        ("style.safetensors", 0.8, "high"), ("other.safetensors", 0.5, "low")], got
    for rl, check, src in zip(got, rec["lora_checks"], (loras.style, loras.other)):
        check_received_lora(rl, check, src, gen, DEFAULT_EXPIRY)


def test_shorthand_lora_means_the_high_low_pair(gen, loras, local_worker):
    name = submit(gen, spec("boat pair", lora="boat"), "pair")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    rec = record_of(local_worker, gen, name)
    got = sorted((l["name"], l["expert"], l["scale"]) for l in rec["input"]["loras"])
    assert got == [("boat_high_noise.safetensors", "high", 1.0), ("boat_low_noise.safetensors", "low", 1.0)], got
    by_name = {c["name"]: c for c in rec["lora_checks"]}
    for rl in rec["input"]["loras"]:
        src = loras.boat_high if "high" in rl["name"] else loras.boat_low
        check_received_lora(rl, by_name[rl["name"]], src, gen, DEFAULT_EXPIRY)
    assert sorted((l["name"], l["expert"]) for l in job_spec(gen, name)["loras"]) == [
        ("boat_high_noise.safetensors", "high"), ("boat_low_noise.safetensors", "low")]


def test_file_name_convention_gives_the_expert(gen, local_worker):
    name = submit(gen, spec("one of the pair", loras=[{"name": "boat_low_noise.safetensors"}]), "conv")
    rec = record_of(local_worker, gen, name)
    assert [(l["name"], l["expert"], l["scale"]) for l in rec["input"]["loras"]] == [
        ("boat_low_noise.safetensors", "low", 1.0)]
    assert wait_state(gen, name, {"completed", "failed"})["state"] == "completed"


def test_job_without_lora(gen, local_worker):
    name = submit(gen, spec("plain WAN 2.2, no LoRA"), "plain")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    rec = record_of(local_worker, gen, name)
    assert rec["input"].get("loras", []) == [] and rec["lora_checks"] == [], rec
    assert job_spec(gen, name).get("loras", []) == []
    assert_mp4(job_dir(gen, name).joinpath("output.mp4").read_bytes())


def test_ti2v_5b_with_its_own_lora(gen, loras, local_worker):
    name = submit(gen, {"model": "ti2v-5B", "prompt": "5B", "frames": 17, "steps": 4,
                        "loras": [{"name": "ti2v-style.safetensors", "scale": 1.2}]}, "ti2v")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    rec = record_of(local_worker, gen, name)
    assert rec["input"]["model"] == "ti2v-5B"
    [rl] = rec["input"]["loras"]
    assert rl["scale"] == 1.2
    check_received_lora(rl, rec["lora_checks"][0], loras.ti2v, gen, DEFAULT_EXPIRY)


@pytest.mark.parametrize("marker", ["[base64]", "[shape:video.url]", "[shape:url]"])
def test_output_shapes_give_output_mp4(gen, local_worker, marker):
    name = submit(gen, spec(f"shape {marker}"), "shape")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    out = job_dir(gen, name).joinpath("output.mp4").read_bytes()
    assert_mp4(out)
    assert out == local_worker.video(st["backend_id"])


def test_queued_then_running_then_completed(gen, local_worker):
    name = submit(gen, spec("wait in line [queue:2] [slow:2]"), "states")
    assert status(gen, name)["state"] == "queued"
    assert "output.mp4" not in os.listdir(job_dir(gen, name))
    wait_state(gen, name, "running", timeout=10)
    assert "output.mp4" not in os.listdir(job_dir(gen, name))
    assert wait_state(gen, name, {"completed", "failed"})["state"] == "completed"


# ---------------------------------------------------------------------------
# failing jobs

@pytest.mark.parametrize("marker,needle", [("[fail]", "simulated failure"), ("[timeout]", "")])
def test_failing_job_is_failed_with_its_error(gen, local_worker, marker, needle):
    name = submit(gen, spec(f"this one breaks {marker}"), "fail")
    st = wait_state(gen, name, {"completed", "failed"})
    assert st["state"] == "failed", st
    assert isinstance(st["error"], str) and st["error"] and needle in st["error"], st
    assert "output.mp4" not in os.listdir(job_dir(gen, name))
    assert not gen.s3.objects(gen.bucket, f"workspaces/{gen.workspace}/jobs/{name}/output")


# ---------------------------------------------------------------------------
# refused specs: EINVAL at close(), nothing submitted, the reason names the field

I2V_IMAGE = "https://example.com/first-frame.png"
REFUSED = [
    # (id, spec, field the reason starts with, words it must contain)
    ("bad-json", b'{"model": "t2v-A14B", "prompt": "x",', "", ["JSON"]),
    ("repeated-key", b'{"model": "t2v-A14B", "prompt": "x",\n "steps": 20, "steps": 40}', "steps",
     ['repeated key "steps"', "line 2, column 15"]),
    ("repeated-lora-key", b'{"model": "t2v-A14B", "prompt": "x", "loras": [{"name": "style.safetensors", "name": "x"}]}',
     "loras[0].name", ["repeated key"]),
    ("not-an-object", b'["t2v-A14B"]', "", []),
    ("unknown-field", spec(num_frames=81), "num_frames", []),
    ("unknown-lora-field", spec(loras=[{"name": "style.safetensors", "weight": 1}]), "loras[0].weight", []),
    ("unknown-model", spec(model="t2v-B99"), "model", ["t2v-B99"]),
    ("missing-model", {"prompt": "x"}, "model", []),
    ("missing-prompt", {"model": "t2v-A14B"}, "prompt", []),
    ("prompt-not-string", spec(prompt=42), "prompt", []),
    ("version-2", spec(version=2), "version", []),
    ("lora-not-in-workspace", spec(loras=[{"name": "nope.safetensors"}]), "loras[0]", ["nope.safetensors"]),
    ("shorthand-not-in-workspace", spec(lora="nope"), "lora", ["nope"]),
    ("lora-and-loras", spec(lora="boat", loras=[{"name": "style.safetensors"}]), "lora", []),
    ("ti2v-lora-on-a14b", spec(loras=[{"name": "ti2v-style.safetensors"}]), "loras[0]", ["3072", "5120"]),
    ("a14b-lora-on-ti2v", {"model": "ti2v-5B", "prompt": "x", "loras": [{"name": "style.safetensors"}]},
     "loras[0]", ["5120", "3072"]),
    ("wan21-1.3b-lora", spec(loras=[{"name": "wan21-small.safetensors"}]), "loras[0]", ["1536", "5120"]),
    ("wan21-i2v-lora", spec(model="i2v-A14B", image=I2V_IMAGE, loras=[{"name": "wan21-i2v.safetensors"}]),
     "loras[0]", ["k_img"]),
    ("shorthand-pair-on-ti2v", {"model": "ti2v-5B", "prompt": "x", "lora": "boat"}, "lora", []),
    ("frames-not-4n+1", spec(frames=80), "frames", ["80"]),
    ("frames-too-many", spec(frames=165), "frames", ["165"]),
    ("frames-too-few", spec(frames=13), "frames", ["13"]),
    ("frames-not-integer", spec(frames="81"), "frames", []),
    ("fps-zero", spec(fps=0), "fps", []),
    ("steps-huge", spec(steps=1000), "steps", []),
    ("guidance-too-high", spec(guidance_scale=50), "guidance_scale", []),
    ("seed-negative", spec(seed=-1), "seed", []),
    ("scale-too-high", spec(loras=[{"name": "style.safetensors", "scale": 10}]), "loras[0].scale", []),
    ("bad-expert", spec(loras=[{"name": "style.safetensors", "expert": "middle"}]), "loras[0].expert", ["middle"]),
    ("expert-on-ti2v", {"model": "ti2v-5B", "prompt": "x",
                        "loras": [{"name": "ti2v-style.safetensors", "expert": "high"}]}, "loras[0].expert", []),
    ("width-too-small", spec(resolution=None, width=128, height=480), "width", []),
    ("width-not-multiple", spec(resolution=None, width=830, height=480), "width", []),
    ("unknown-resolution", spec(resolution="1080p"), "resolution", ["1080p"]),
    ("image-on-t2v", spec(image=I2V_IMAGE), "image", []),
    ("i2v-without-image", spec(model="i2v-A14B"), "image", []),
]


@pytest.mark.parametrize("spec_bytes,field,words", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_spec(gen, local_worker, spec_bytes, field, words):
    name = new_name("bad")
    before = len(local_worker.jobs())
    jobs_before = set(os.listdir(gen.p("jobs")))
    e = submit_refused(gen, name, spec_bytes)
    assert e.errno == errno.EINVAL, f"close() failed with {e!r}, expected EINVAL"
    # the reason, naming the field
    lines = wait_until(lambda: error_lines(gen, name), 3.0)
    assert lines, f"no line for generate/{name}.json in .lorafs/errors: {gen.errors()[-5:]}"
    m = re.fullmatch(rf"(\S+) generate/{re.escape(name)}\.json: (.+) \(EINVAL\)", lines[-1])
    assert m, lines[-1]
    assert ISO_RE.match(m.group(1)), lines[-1]
    reason = m.group(2)
    if field:
        assert reason.startswith(field + ":") or reason.startswith(field + "."), \
            f"reason does not name {field!r}: {reason!r}"
    for word in words:
        assert word in reason, f"{word!r} not in {reason!r}"
    # nothing submitted, no job
    time.sleep(0.2)
    assert len(local_worker.jobs()) == before, local_worker.jobs()[before:]
    assert set(os.listdir(gen.p("jobs"))) == jobs_before
    assert name not in os.listdir(gen.p("jobs"))
    assert not os.path.exists(gen.p(f"jobs/{name}"))


def test_refused_spec_with_cp_fails_to_close_and_frees_the_name(gen, local_worker, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec(frames=80)))
    name = new_name("cp")
    before = len(local_worker.jobs())
    r = run(["cp", bad, gen.p(f"generate/{name}.json")])
    assert r.returncode != 0
    assert "failed to close" in r.stderr and "Invalid argument" in r.stderr, r.stderr
    assert len(local_worker.jobs()) == before
    assert any(l.endswith("(EINVAL)") and "frames" in l for l in error_lines(gen, name)), gen.errors()[-3:]
    # the name was not used up: a good spec under it is accepted
    good = tmp_path / "good.json"
    good.write_text(json.dumps(spec("after a refusal")))
    r = run(["cp", good, gen.p(f"generate/{name}.json")])
    assert r.returncode == 0, r.stderr + gen.log(30)
    assert len(local_worker.jobs()) == before + 1
    assert wait_state(gen, name, {"completed", "failed"})["state"] == "completed"


def test_reused_name_is_eexist(gen, local_worker):
    name = submit(gen, spec("first"), "dup")
    before = len(local_worker.jobs())
    with pytest.raises(OSError) as e:
        write_spec(gen, name, spec("second"))
    assert e.value.errno == errno.EEXIST, e.value
    assert len(local_worker.jobs()) == before
    assert job_spec(gen, name)["prompt"] == "first"
    wait_state(gen, name, {"completed", "failed"})
    with pytest.raises(OSError) as e:
        write_spec(gen, name, spec("third"))
    assert e.value.errno == errno.EEXIST, e.value
    assert job_spec(gen, name)["prompt"] == "first"


# ---------------------------------------------------------------------------
# concurrency, listing

def test_concurrent_submissions(gen, local_worker):
    names = [new_name(f"par{i}") for i in range(8)]
    errors: list = []
    barrier = threading.Barrier(len(names))

    def one(i, name):
        try:
            barrier.wait(10)
            write_spec(gen, name, spec(f"parallel job {i}"))
        except BaseException as e:  # noqa: BLE001
            errors.append((name, e))

    threads = [threading.Thread(target=one, args=(i, n)) for i, n in enumerate(names)]
    for t in threads:
        t.start()
    # ls and cat work while jobs are being submitted and polled
    for _ in range(5):
        r = run(["sh", "-c", f"ls {gen.mnt}/generate {gen.mnt}/jobs >/dev/null && cat {gen.mnt}/jobs/*/status.json"])
        assert r.returncode == 0, r.stderr
        for st in read_all_json(r.stdout):
            assert st["state"] in STATES, st
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    assert not errors, errors
    listed = set(os.listdir(gen.p("jobs")))
    assert set(names) <= listed, set(names) - listed
    ids = {}
    for i, name in enumerate(names):
        st = wait_state(gen, name, {"completed", "failed"})
        assert st["state"] == "completed", st
        ids[name] = st["backend_id"]
        rec = local_worker.job(st["backend_id"])
        assert rec and rec["input"]["prompt"] == f"parallel job {i}", (name, rec and rec["input"]["prompt"])
        assert job_spec(gen, name)["prompt"] == f"parallel job {i}"
        assert_mp4(job_dir(gen, name).joinpath("output.mp4").read_bytes(), name)
    assert len(set(ids.values())) == 8, ids
    r = run(["sh", "-c", f"cat {gen.mnt}/jobs/*/status.json"])
    assert r.returncode == 0 and len(read_all_json(r.stdout)) == len(os.listdir(gen.p("jobs"))), r.stderr


# ---------------------------------------------------------------------------
# cancellation and remount (own mounts: they are remounted)

def test_rm_cancels_a_running_and_a_queued_job(lorafs, local_worker, loras):
    m = lorafs(extra_args=generator_args(local_worker))
    copy_loras(m, [loras.style])
    running = submit(m, spec("long one [slow:30]", loras=[{"name": "style.safetensors"}]), "cancel-run")
    queued = submit(m, spec("waits [queue:30]"), "cancel-queue")
    bid_run, bid_q = status(m, running)["backend_id"], status(m, queued)["backend_id"]
    wait_state(m, running, "running", timeout=10)
    assert status(m, queued)["state"] == "queued"

    for name, bid in ((running, bid_run), (queued, bid_q)):
        r = run(["rm", "-r", m.p(f"jobs/{name}")])
        assert r.returncode == 0, r.stderr + m.log(30)
        assert name not in os.listdir(m.p("jobs"))
        assert not os.path.exists(m.p(f"jobs/{name}"))
        rec = wait_record(local_worker, bid, "CANCELLED", timeout=5)
        assert rec["status"] == "CANCELLED", rec
    # a finished job can be removed too (nothing to cancel)
    done = submit(m, spec("short"), "cancel-done")
    wait_state(m, done, {"completed", "failed"})
    assert run(["rm", "-r", m.p(f"jobs/{done}")]).returncode == 0
    assert done not in os.listdir(m.p("jobs"))

    m.remount()
    listed = os.listdir(m.p("jobs"))
    assert running not in listed and queued not in listed and done not in listed, listed


def test_remount_with_a_job_in_flight(lorafs, local_worker, loras):
    m = lorafs(extra_args=generator_args(local_worker))
    copy_loras(m, [loras.style])
    done = submit(m, spec("finished before the remount"), "before")
    assert wait_state(m, done, {"completed", "failed"})["state"] == "completed"
    done_video = job_dir(m, done).joinpath("output.mp4").read_bytes()
    name = submit(m, spec("in flight [slow:3]", loras=[{"name": "style.safetensors", "scale": 0.6}]), "flight")
    st0 = wait_state(m, name, "running", timeout=10)
    m.remount()
    assert {done, name} <= set(os.listdir(m.p("jobs"))), os.listdir(m.p("jobs"))
    st = status(m, name)
    assert st["backend_id"] == st0["backend_id"] and st["created_at"] == st0["created_at"], (st0, st)
    assert job_spec(m, name)["loras"][0]["scale"] == 0.6
    st = wait_state(m, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    out = job_dir(m, name).joinpath("output.mp4").read_bytes()
    assert_mp4(out)
    assert out == local_worker.video(st["backend_id"])
    # the job finished before the remount kept its state and video
    assert status(m, done)["state"] == "completed"
    assert job_dir(m, done).joinpath("output.mp4").read_bytes() == done_video
    # one job at the worker per submission: the remount did not resubmit it
    assert [j["id"] for j in local_worker.jobs() if j["input"].get("prompt") == "in flight [slow:3]"] \
        == [st["backend_id"]]


def test_output_survives_remount_even_when_the_worker_forgot_it(lorafs, local_worker, tmp_path):
    """output.mp4 comes from the workspace's S3 copy, not from the provider (which deletes
    outputs after 30-60 minutes): here the worker's file is gone before the remount."""
    m = lorafs(extra_args=generator_args(local_worker))
    name = submit(m, spec("keep me"), "keep")
    st = wait_state(m, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    video = job_dir(m, name).joinpath("output.mp4").read_bytes()
    key = f"workspaces/{m.workspace}/jobs/{name}/output.mp4"
    assert wait_until(lambda: m.head(key), 5.0), f"{key} not in S3"
    rec = local_worker.job(st["backend_id"])
    os.unlink(rec["video_path"])
    m.remount()
    assert status(m, name)["state"] == "completed"
    assert job_dir(m, name).joinpath("output.mp4").read_bytes() == video


# ---------------------------------------------------------------------------
# presigned URLs: expiry and a fetch by the test itself

def test_presign_expiry_and_a_fresh_fetch(lorafs, local_worker, loras):
    m = lorafs(extra_args=generator_args(local_worker, "--presign-expiry", "600"))
    copy_loras(m, [loras.style, loras.other])
    name = submit(m, spec("expiry", loras=[{"name": "style.safetensors"}, {"name": "other.safetensors"}]), "exp")
    st = wait_state(m, name, {"completed", "failed"})
    assert st["state"] == "completed", st
    rec = record_of(local_worker, m, name)
    for rl, check, src in zip(rec["input"]["loras"], rec["lora_checks"], (loras.style, loras.other)):
        check_received_lora(rl, check, src, m, 600)
    # the test fetches one URL itself: SeaweedFS checks the signature, the bytes are the LoRA's
    url = rec["input"]["loras"][0]["url"]
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.read() == loras.style.read_bytes()
    # ... and refuses a tampered one (so the check above means something)
    parts = urllib.parse.urlsplit(url)
    q = urllib.parse.parse_qsl(parts.query)
    q = [(k, (v[:-1] + ("0" if v[-1] != "0" else "1")) if k == "X-Amz-Signature" else v) for k, v in q]
    bad = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q)))
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(bad, timeout=10)
    assert e.value.code == 403


def test_presign_expiry_bounds(lorafs, local_worker, loras):
    too_long = lorafs(extra_args=generator_args(local_worker, "--presign-expiry", "604801"), start=False)
    with pytest.raises(AssertionError):
        too_long.start(timeout=15)
    assert too_long.start_failed not in (None, 0), too_long.log()
    m = lorafs(extra_args=generator_args(local_worker, "--presign-expiry", "604800"))
    copy_loras(m, [loras.style])
    name = submit(m, spec("a week", loras=[{"name": "style.safetensors"}]), "week")
    assert wait_state(m, name, {"completed", "failed"})["state"] == "completed"
    rec = record_of(local_worker, m, name)
    check_received_lora(rec["input"]["loras"][0], rec["lora_checks"][0], loras.style, m, 604800)


# ---------------------------------------------------------------------------
# the runpod: kind sends the key; the key stays out of the log

def test_runpod_kind_sends_bearer_key(lorafs, tmp_path, monkeypatch):
    key = f"rp-{uuid.uuid4().hex}"
    w = LocalWorker(tmp_path / "rp-rec", api_key=key).start()
    try:
        monkeypatch.setenv("RUNPOD_API_KEY", key)
        m = lorafs(extra_args=["--generator", f"runpod:{w.url}", "--poll-interval", "0.2"])
        name = submit(m, spec("with a key"), "rp")
        st = wait_state(m, name, {"completed", "failed"})
        assert st["state"] == "completed", (st, w.log())
        assert w.job(st["backend_id"]) is not None
        assert key not in m.log_path.read_text(errors="replace")
        assert key not in m.p(".lorafs/status").read_text()
    finally:
        w.stop()


# ---------------------------------------------------------------------------
# more ways in, and the backend's own word

def test_utf8_prompt_round_trips(gen, local_worker):
    prompt = "ein Papierboot \U0001F6A3 auf stürmischer See, \"quoted\" and \\ backslash"
    name = submit(gen, json.dumps(spec(prompt), ensure_ascii=False).encode(), "utf8")
    rec = record_of(local_worker, gen, name)
    assert rec["input"]["prompt"] == prompt
    assert job_spec(gen, name)["prompt"] == prompt
    assert wait_state(gen, name, {"completed", "failed"})["state"] == "completed"


def test_spec_written_in_several_writes(gen, local_worker):
    name = new_name("chunks")
    data = json.dumps(spec("written in three pieces")).encode()
    fd = os.open(gen.p(f"generate/{name}.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for i in range(0, len(data), len(data) // 3 + 1):
        os.write(fd, data[i:i + len(data) // 3 + 1])
    os.close(fd)
    assert record_of(local_worker, gen, name)["input"]["prompt"] == "written in three pieces"


@pytest.mark.parametrize("shell", ["cat > {path}", "printf '%s\\n' \"$(cat)\" > {path}"], ids=["cat", "printf"])
def test_spec_written_by_a_shell_redirect(gen, local_worker, shell):
    """`echo '{...}' > MNT/generate/x.json`: the shell opens the file, dup2()s it onto
    stdout and closes the original fd (a FLUSH with nothing written yet) before the
    command writes; the job is submitted at the last close, once the spec is there."""
    name = new_name("redirect")
    before = len(local_worker.jobs())
    r = run(["sh", "-c", shell.format(path=f"{gen.mnt}/generate/{name}.json")], input=json.dumps(spec("from a shell")))
    assert r.returncode == 0, r.stderr + gen.log(20)
    assert name in os.listdir(gen.p("jobs")), (gen.errors()[-3:], gen.log(10))
    assert len(local_worker.jobs()) == before + 1
    assert record_of(local_worker, gen, name)["input"]["prompt"] == "from a shell"
    assert not error_lines(gen, name), error_lines(gen, name)


def test_refusal_reason_is_in_the_log(gen):
    name = new_name("logged")
    e = submit_refused(gen, name, spec(steps=1000))
    assert e.errno == errno.EINVAL
    assert wait_until(lambda: any(name in l and "steps" in l for l in
                                  gen.log_path.read_text(errors="replace").splitlines()), 3.0), gen.log(20)


def test_cancelled_at_the_backend_shows_as_cancelled(gen, local_worker):
    name = submit(gen, spec("someone else cancels [slow:30]"), "extcancel")
    bid = status(gen, name)["backend_id"]
    local_worker.wait_status(bid, "IN_PROGRESS", timeout=10)
    assert local_worker.cancel(bid)["status"] == "CANCELLED"
    st = wait_state(gen, name, {"cancelled", "failed", "completed"}, timeout=10)
    assert st["state"] == "cancelled", st
    assert "output.mp4" not in os.listdir(job_dir(gen, name))


def test_backend_down_listing_works_and_submission_fails(lorafs, tmp_path):
    w = LocalWorker(tmp_path / "down-rec").start()
    try:
        m = lorafs(extra_args=generator_args(w))
        name = submit(m, spec("running when the worker dies [slow:60]"), "down")
        wait_state(m, name, "running", timeout=10)
    finally:
        w.stop()
    # the mount keeps answering: listing and status never wait on the backend
    for _ in range(3):
        t0 = time.monotonic()
        r = run(["sh", "-c", f"ls {m.mnt}/generate {m.mnt}/jobs && cat {m.mnt}/jobs/*/status.json"], timeout=30)
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - t0 < 2.0, f"ls/cat took {time.monotonic() - t0:.1f}s with the backend down"
        assert name in r.stdout
        [st] = read_all_json(r.stdout[r.stdout.index("{"):])  # after ls's lines: the one status.json
        assert st["state"] in STATES, st
        time.sleep(0.3)
    # a new spec cannot be accepted: close() fails (EIO, like S3 being unreachable), no job appears
    other = new_name("nobackend")
    with pytest.raises(OSError) as e:
        write_spec(m, other, spec("nobody listens"))
    assert e.value.errno == errno.EIO, e.value
    assert other not in os.listdir(m.p("jobs"))
    assert any(f"generate/{other}.json" in l for l in m.errors()), m.errors()[-3:]
