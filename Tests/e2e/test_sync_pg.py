"""A team's shared catalog: mounts on one PostgreSQL database (`--catalog
postgresql://...`) see each other's changes within a second, pushed by
LISTEN/NOTIFY, with no refresh asked; `lorafs catalog migrate` moves a
workspace between SQLite and PostgreSQL and back, losing nothing."""
import json
import os
import time

from conftest import generator_args, run, sha256_file, wait_until


def pg_mounts(lorafs, pg, n=2, *extra):
    first = lorafs(extra_args=["--catalog", pg.url(), "--refresh-interval", "0", *extra])
    return [first] + [lorafs(workspace=first.workspace, extra_args=["--catalog", pg.url(), "--refresh-interval", "0", *extra])
                      for _ in range(n - 1)]


def ls_json(m, catalog):
    r = run([str(m.bin), "ls", "--json", "--workspace", m.workspace, "--catalog", catalog])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def timed_until(pred, timeout):
    t0 = time.monotonic()
    assert wait_until(pred, timeout, interval=0.01), f"not within {timeout} s"
    return time.monotonic() - t0


def test_a_change_through_one_mount_is_listed_by_the_others_within_a_second(lorafs, pg, src):
    a, b, c = pg_mounts(lorafs, pg, 3)
    assert a.cp(src.small, "team.safetensors").returncode == 0
    took = [timed_until(lambda m=m: "team.safetensors" in m.listing(), 1.0) for m in (b, c)]
    print(f"upload listed by the other mounts after {max(took) * 1000:.0f} ms (PostgreSQL NOTIFY)")
    assert sha256_file(c.p("team.safetensors")) == sha256_file(src.small)
    os.rename(b.p("team.safetensors"), b.p("renamed.safetensors"))
    timed_until(lambda: a.listing() == ["renamed.safetensors"] and c.listing() == ["renamed.safetensors"], 1.0)
    key = ls_json(a, pg.url())[0]["object_key"]
    os.unlink(c.p("renamed.safetensors"))
    timed_until(lambda: a.listing() == [] and b.listing() == [], 1.0)
    assert wait_until(lambda: a.head(key) is None), "the removed object stayed"
    # The rows are in PostgreSQL, the workspace's and no other's.
    assert pg.psql(f"SELECT count(*) FROM lorafs_loras WHERE workspace = '{a.workspace}'", database="lorafs") == "0"


def test_catalog_migrate_from_sqlite_to_postgresql_and_back_loses_nothing(lorafs, pg, src, tmp_path):
    m = lorafs()
    for name, f in (("a.safetensors", src.small), ("b.safetensors", src.small2), ("c.ckpt", src.ckpt)):
        assert m.cp(f, name).returncode == 0
    before = ls_json(m, f"sqlite:{m.state_dir}/catalog.sqlite")
    assert len(before) == 3
    assert m.unmount() == 0
    r = run([str(m.bin), "catalog", "migrate", "--workspace", m.workspace,
             "--from", f"sqlite:{m.state_dir}/catalog.sqlite", "--to", pg.url()])
    assert r.returncode == 0 and "3 LoRA(s)" in r.stdout, (r.stdout, r.stderr)
    assert ls_json(m, pg.url()) == before
    # A second run refuses to overwrite what is there.
    r = run([str(m.bin), "catalog", "migrate", "--workspace", m.workspace,
             "--from", f"sqlite:{m.state_dir}/catalog.sqlite", "--to", pg.url()])
    assert r.returncode != 0 and "--replace" in r.stderr, (r.returncode, r.stderr)
    # Mounted on PostgreSQL: the same LoRAs, readable.
    shared = lorafs(workspace=m.workspace, extra_args=["--catalog", pg.url()])
    assert shared.listing() == ["a.safetensors", "b.safetensors", "c.ckpt"]
    assert sha256_file(shared.p("b.safetensors")) == sha256_file(src.small2)
    assert shared.unmount() == 0
    # fsck checks the PostgreSQL catalog against the bucket.
    r = run([str(m.bin), "fsck", "--bucket", m.bucket, "--endpoint", m.s3.endpoint, "--workspace", m.workspace,
             "--catalog", pg.url()], env=m.env())
    assert r.returncode == 0 and "catalog matches the bucket" in r.stdout, (r.returncode, r.stdout, r.stderr)
    # fsck --rebuild rewrites a damaged PostgreSQL catalog from the bucket.
    pg.psql(f"DELETE FROM lorafs_loras WHERE workspace = '{m.workspace}' AND name = 'b.safetensors'", database="lorafs")
    fsck = [str(m.bin), "fsck", "--bucket", m.bucket, "--endpoint", m.s3.endpoint, "--workspace", m.workspace,
            "--catalog", pg.url()]
    r = run(fsck, env=m.env())
    assert r.returncode == 2 and "missing from the catalog: 1" in r.stdout, (r.returncode, r.stdout, r.stderr)
    r = run(fsck + ["--rebuild"], env=m.env())
    assert r.returncode == 0 and "catalog rebuilt: 3 row(s)" in r.stdout, (r.returncode, r.stdout, r.stderr)
    assert [(x["name"], x["sha256"], x["object_key"]) for x in ls_json(m, pg.url())] == \
        [(x["name"], x["sha256"], x["object_key"]) for x in before]
    back = tmp_path / "back.sqlite"
    r = run([str(m.bin), "catalog", "migrate", "--workspace", m.workspace, "--from", pg.url(), "--to", f"sqlite:{back}"])
    assert r.returncode == 0, r.stderr
    assert ls_json(m, f"sqlite:{back}") == before


def test_two_mounts_writing_one_name_keep_the_last_commit_and_the_loser_says_so(lorafs, pg, src):
    a, b = pg_mounts(lorafs, pg)
    first, second = src.valid("pg-first.safetensors", seed=41), src.valid("pg-second.safetensors", seed=42)
    assert a.cp(first, "same.safetensors").returncode == 0
    assert b.cp(second, "same.safetensors").returncode == 0  # commits after a's: it wins
    assert wait_until(lambda: sha256_file(a.p("same.safetensors")) == sha256_file(second), 2)
    assert sha256_file(b.p("same.safetensors")) == sha256_file(second)
    lines = [l for l in a.errors() if " same.safetensors: a later change from another mount replaced the copy stored here" in l]
    assert lines and lines[-1].endswith("(ECANCELED)"), a.errors()[-3:]
    assert not [l for l in b.errors() if "same.safetensors" in l], b.errors()
    # a's copy goes (delay 0 here); b's stays.
    key = ls_json(b, pg.url())[0]["object_key"]
    assert wait_until(lambda: set(a.objects()) == {key}), a.objects()


def job_status(m, name):
    try:
        with open(m.p(f"jobs/{name}/status.json")) as f:
            return json.load(f)["state"]
    except (OSError, ValueError, KeyError):
        return None


def test_jobs_are_listed_by_every_mount_and_polled_by_exactly_one(lorafs, pg, src, local_worker):
    # The two mounts reach the one worker by two host names: its count of status
    # requests by Host header tells which mount polled.
    a = lorafs(extra_args=["--catalog", pg.url(), "--refresh-interval", "0", *generator_args(local_worker)])
    b_url = local_worker.url.replace("127.0.0.1", "localhost")
    assert b_url != local_worker.url
    b = lorafs(workspace=a.workspace, extra_args=["--catalog", pg.url(), "--refresh-interval", "0",
                                                 "--generator", f"local:{b_url}", "--poll-interval", "0.2"])
    host_a, host_b = local_worker.url.split("//")[1], b_url.split("//")[1]
    assert a.cp(src.small, "style.safetensors").returncode == 0
    spec = {"model": "t2v-A14B", "prompt": "a boat [slow:2]", "lora": "style"}
    with open(a.p("generate/boat.json"), "w") as f:
        json.dump(spec, f)
    took = timed_until(lambda: "boat" in os.listdir(b.p("jobs")), 1.0)
    print(f"job listed by the other mount after {took * 1000:.0f} ms")
    assert wait_until(lambda: job_status(b, "boat") == "completed", 30), (job_status(a, "boat"), a.log(), b.log())
    with open(a.p("jobs/boat/output.mp4"), "rb") as fa, open(b.p("jobs/boat/output.mp4"), "rb") as fb:
        video = fa.read()
        assert video[4:8] == b"ftyp" and fb.read() == video
    (record,) = [j for j in local_worker.jobs() if j["input"]["prompt"] == spec["prompt"]]
    assert set(record["polls"]) == {host_a}, record["polls"]
    assert record["polls"][host_a] >= 2

    # The poller unmounts while its job runs: the other mount takes the job at once and finishes it.
    spec2 = {"model": "t2v-A14B", "prompt": "a ship [slow:3]", "lora": "style"}
    with open(a.p("generate/ship.json"), "w") as f:
        json.dump(spec2, f)
    assert wait_until(lambda: job_status(b, "ship") == "running", 10), (job_status(b, "ship"), a.log())
    (record,) = [j for j in local_worker.jobs() if j["input"]["prompt"] == spec2["prompt"]]
    assert set(record["polls"]) == {host_a}, record["polls"]
    assert a.unmount() == 0
    assert wait_until(lambda: job_status(b, "ship") == "completed", 20), (job_status(b, "ship"), b.log())
    (record,) = [j for j in local_worker.jobs() if j["input"]["prompt"] == spec2["prompt"]]
    assert record["polls"].get(host_b, 0) >= 1, record["polls"]
    # Removing a job through one mount removes it from every mount.
    c = lorafs(workspace=a.workspace, extra_args=["--catalog", pg.url(), "--refresh-interval", "0"])
    assert sorted(os.listdir(c.p("jobs"))) == ["boat", "ship"]
    run(["rm", "-r", b.p("jobs/boat")])
    timed_until(lambda: os.listdir(c.p("jobs")) == ["ship"], 1.0)
