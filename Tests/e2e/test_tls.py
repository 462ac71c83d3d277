"""S3 over HTTPS: certificates are verified, and every connection speaks HTTP/1.1.

A TLS front (Python's ssl, a throwaway certificate for 127.0.0.1 and localhost)
terminates HTTPS and relays the bytes to the session's SeaweedFS. It offers h2
and http/1.1 by ALPN and records what each connection chose: libcurl 7.88
would pick h2, whose uploads spin in poll while they wait on the server's
flow-control window (13 s of CPU per GiB copied), so lorafs must never offer it.
"""
from __future__ import annotations

import socket
import ssl
import threading
import urllib.parse

import pytest

import loragen
import seaweed
from faultproxy import pump
from conftest import run, sha256_file, wait_until

MIB = 1 << 20


class TLSFront:
    def __init__(self, upstream: str, directory, host="127.0.0.1"):
        self.cert, key = seaweed.self_signed_certificate(directory)  # for 127.0.0.1 and localhost
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.context.set_alpn_protocols(["h2", "http/1.1"])
        self.listener = socket.create_server((host, 0))
        self.host = host
        self.port = self.listener.getsockname()[1]
        self.chosen: list[str | None] = []  # the ALPN protocol of each completed handshake
        self.failed_handshakes = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def endpoint(self) -> str:
        return f"https://{self.host}:{self.port}"

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket):
        try:
            client = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.failed_handshakes += 1
            raw.close()
            return
        with self.lock:
            self.chosen.append(client.selected_alpn_protocol())
        server = socket.create_connection(self.upstream)
        threading.Thread(target=pump, args=(server, client), daemon=True).start()
        pump(client, server)

    def close(self):
        self.listener.close()


@pytest.fixture(scope="module")
def front(s3, tmp_path_factory):
    f = TLSFront(s3.endpoint, tmp_path_factory.mktemp("tls"))
    yield f
    f.close()


def test_a_multipart_copy_over_https_is_stored_and_read_back_over_http_1_1(lorafs, front, s3, bucket, tmp_path):
    m = lorafs(start=False)
    m.endpoint = front.endpoint()
    m.extra_env["AWS_CA_BUNDLE"] = str(front.cert)
    m.start()
    src = tmp_path / "over-tls.safetensors"
    loragen.write_valid(src, 40 * MIB, "kohya", seed=7)  # several parts
    dst = m.mnt / "over-tls.safetensors"
    run(["cp", src, dst], check=True)
    assert dst.stat().st_size == src.stat().st_size
    assert sha256_file(dst) == sha256_file(src)
    key = next(k for k in s3.objects(bucket, f"workspaces/{m.workspace}/") if k.endswith(".safetensors"))
    assert s3.objects(bucket)[key] == src.stat().st_size
    with front.lock:
        chosen = list(front.chosen)
    assert chosen, "no connection reached the TLS front"
    assert set(chosen) == {"http/1.1"}, f"ALPN choices: {chosen}"


def test_an_untrusted_certificate_refuses_the_mount_with_its_reason(lorafs, front):
    m = lorafs(start=False)
    m.endpoint = front.endpoint()  # no AWS_CA_BUNDLE: the throwaway certificate is not trusted
    with pytest.raises(AssertionError):
        m.start(timeout=30)
    assert m.start_failed not in (None, 0)
    assert "certificate" in m.log().lower()
    assert wait_until(lambda: front.failed_handshakes >= 1, timeout=5)


def test_a_certificate_for_another_address_is_refused(lorafs, s3, tmp_path):
    # The certificate names 127.0.0.1 and localhost and is trusted; the server answers at 127.0.0.2.
    other = TLSFront(s3.endpoint, tmp_path, host="127.0.0.2")
    try:
        m = lorafs(start=False)
        m.endpoint = other.endpoint()
        m.extra_env["AWS_CA_BUNDLE"] = str(other.cert)
        with pytest.raises(AssertionError):
            m.start(timeout=30)
        assert m.start_failed not in (None, 0)
        log = m.log().lower()
        assert "certificate" in log and "127.0.0.2" in log, log[-2000:]
    finally:
        other.close()
