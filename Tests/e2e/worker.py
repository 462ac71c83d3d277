"""Start and query `scripts/local-worker` (the RunPod-protocol generation worker) for tests.

    w = LocalWorker(record_dir).start()     # picks a free port
    w.url                                   # http://127.0.0.1:PORT (what --generator local: takes)
    w.jobs()                                # /debug/jobs: every job's record, oldest first
    w.job(backend_id)                       # one record (or None)
    w.status(backend_id)                    # the RunPod /status answer
    w.stop()
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
WORKER = REPO / "scripts" / "local-worker"


class LocalWorker:
    def __init__(self, record_dir, api_key: str | None = None, queue_delay: float = 0.0,
                 render_seconds: float = 1.0, extra_args=()):
        self.record_dir = Path(record_dir)
        self.api_key, self.queue_delay, self.render_seconds = api_key, queue_delay, render_seconds
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.log_path = self.record_dir.parent / f"{self.record_dir.name}.log"

    def start(self, timeout=20.0) -> "LocalWorker":
        self.record_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(WORKER), "--port", "0", "--record", str(self.record_dir),
               "--queue-delay", str(self.queue_delay), "--render-seconds", str(self.render_seconds)]
        if self.api_key:
            cmd += ["--api-key", self.api_key]
        cmd += self.extra_args
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(b"listening on "):
                self.url = line.decode().split()[-1]
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise AssertionError(f"local-worker did not start: {line!r}\n{self.log()}")

    def stop(self, timeout=10.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def log(self, n=60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-n:]
        except OSError:
            lines = []
        return "--- local-worker log ---\n" + "\n".join(lines)

    # --- HTTP -----------------------------------------------------------------
    def _get(self, path: str, auth=True):
        req = urllib.request.Request(self.url + path)
        if auth and self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def jobs(self) -> list[dict]:
        return json.loads(self._get("/debug/jobs"))

    def job(self, backend_id: str) -> dict | None:
        return next((j for j in self.jobs() if j["id"] == backend_id), None)

    def status(self, backend_id: str) -> dict:
        return json.loads(self._get(f"/status/{backend_id}"))

    def video(self, backend_id: str) -> bytes:
        return self._get(f"/videos/{backend_id}.mp4", auth=False)

    def submit(self, inp: dict) -> str:
        req = urllib.request.Request(self.url + "/run", data=json.dumps({"input": inp}).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["id"]

    def cancel(self, backend_id: str) -> dict:
        req = urllib.request.Request(self.url + f"/cancel/{backend_id}", data=b"", method="POST")
        if self.api_key:
            req.add_header("Authorization", f"Bearer {self.api_key}")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def wait_status(self, backend_id: str, statuses, timeout=20.0) -> dict:
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        deadline = time.monotonic() + timeout
        while True:
            st = self.status(backend_id)
            if st["status"] in statuses or time.monotonic() > deadline:
                return st
            time.sleep(0.05)
