"""A TCP proxy for the tests that break S3 on purpose: it forwards between lorafs
and SeaweedFS, and on command stalls every connection (accepts and stops
answering, as a hung server does), refuses new ones, or resets them.

HTTP-aware faults: `faults(share=, kinds=, seed=)` (or `http=True` at creation)
makes every new connection parsed as HTTP/1.1, request by request (keep-alive;
requests with Content-Length bodies, responses with Content-Length, chunked or
no body), and breaks a `share` of the requests with one of KINDS, drawn by a
seeded generator (the same seed gives the same draws in request arrival order):

  drop            close the connection before forwarding anything
  reset-request   RST half-way through the request body (its head, if bodiless)
  reset-response  forward the request, then RST half-way through the response
  stall           hold the request `stall_seconds`, then forward it normally
  500, 503        answer an S3 `InternalError` / `SlowDown` document (the
                  request is read but never forwarded; the connection stays)
  truncate        forward the request, send half the response, then close

`fault_next(kind, match=REGEX)` breaks the next request whose "METHOD /path?query"
matches, whatever the share. `injected` counts what was done, per kind; `log` has
(kind, request line) for each."""
import collections
import random
import re
import socket
import threading
import time

KINDS = ("drop", "reset-request", "reset-response", "stall", "500", "503", "truncate")
ERRORS = {"500": (500, "Internal Server Error", "InternalError", "We encountered an internal error."),
          "503": (503, "Slow Down", "SlowDown", "Please reduce your request rate.")}
LINGER_RST = b"\x01\x00\x00\x00\x00\x00\x00\x00"  # SO_LINGER on, 0 s: close() sends RST


class Broken(Exception):
    """The exchange ended early (a peer closed, or a fault ended it)."""


class _Reader:
    """Buffered reads from one socket."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise Broken("peer closed")
        self.buf += data

    def until(self, mark: bytes, limit=1 << 20) -> bytes:
        while mark not in self.buf:
            if len(self.buf) > limit:
                raise Broken("head too long")
            self._fill()
        i = self.buf.index(mark) + len(mark)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def pieces(self, n: int):
        """Up to n bytes, in pieces as they arrive."""
        while n > 0:
            if not self.buf:
                self._fill()
            out, self.buf = self.buf[:n], self.buf[n:]
            n -= len(out)
            yield out

    def exactly(self, n: int) -> bytes:
        return b"".join(self.pieces(n))


def _headers(head: bytes) -> dict[str, str]:
    out = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    return out


def _rst(*socks):
    for s in socks:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
            s.close()
        except OSError:
            pass


def pump(src: socket.socket, dst: socket.socket, hold=lambda: None):
    """Copies bytes from `src` to `dst` until either side closes, then shuts both down;
    `hold()` runs before each read and each write (a stalled proxy waits in it)."""
    try:
        while True:
            hold()
            data = src.recv(65536)
            if not data:
                break
            hold()
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class FaultProxy:
    MODES = ("pass", "stall", "refuse")

    def __init__(self, upstream_host: str, upstream_port: int, http=False):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.http = http
        self.connections = 0
        self.requests = 0
        self.injected: collections.Counter = collections.Counter()
        self.log: list[tuple[str, str]] = []
        self.share, self.kinds, self.stall_seconds = 0.0, KINDS, 2.0
        self.match: re.Pattern | None = None
        self._rng = random.Random(0)
        self._next: list[tuple[str, re.Pattern]] = []
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, mode: str):
        assert mode in self.MODES, mode
        self.mode = mode
        if mode == "refuse":  # drop what is open too
            with self._lock:
                _rst(*self._sockets)
                self._sockets.clear()

    def faults(self, share: float, kinds=KINDS, seed=0, stall_seconds=2.0, match: str | None = None):
        """Break `share` (0..1) of the requests (those matching `match`, if given) with
        one of `kinds`; applies to connections opened from now on (HTTP mode)."""
        assert 0 <= share <= 1 and kinds and all(k in KINDS for k in kinds), (share, kinds)
        with self._lock:
            self.http = True
            self.share, self.kinds, self.stall_seconds = share, tuple(kinds), stall_seconds
            self.match = re.compile(match) if match else None
            self._rng = random.Random(seed)

    def fault_next(self, kind: str, match: str = "", count=1):
        """Break the next `count` requests whose "METHOD target" matches `match` with `kind`."""
        assert kind in KINDS, kind
        with self._lock:
            self.http = True
            self._next += [(kind, re.compile(match))] * count

    def pending(self) -> int:
        """Queued fault_next faults not yet injected."""
        with self._lock:
            return len(self._next)

    def close(self):
        self._closed = True
        self.set("refuse")
        self._listener.close()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            # A request's head and body, or a response's, go out in separate sends: with
            # Nagle's algorithm and the peer's delayed ACK each exchange would wait 40 ms.
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, server]
                self.connections += 1
            if self.http:
                threading.Thread(target=self._serve_http, args=(client, server), daemon=True).start()
                continue
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _hold(self):
        while self.mode == "stall":
            time.sleep(0.05)  # hold the bytes: the peer sees a server that stopped answering

    def _pump(self, src: socket.socket, dst: socket.socket):
        pump(src, dst, hold=self._hold)

    # --- HTTP mode ------------------------------------------------------------

    def _draw(self, line: str) -> str | None:
        with self._lock:
            self.requests += 1
            for i, (kind, pattern) in enumerate(self._next):
                if pattern.search(line):
                    del self._next[i]
                    break
            else:
                if self.match and not self.match.search(line):
                    return None
                if self.share <= 0 or self._rng.random() >= self.share:
                    return None
                kind = self._rng.choice(self.kinds)
            self.injected[kind] += 1
            self.log.append((kind, line))
            return kind

    def _serve_http(self, client: socket.socket, server: socket.socket):
        cin, sin = _Reader(client), _Reader(server)
        try:
            while True:
                self._hold()
                head = cin.until(b"\r\n\r\n")
                line = head.split(b"\r\n", 1)[0].decode("latin-1")
                method, target = (line.split(" ") + ["", ""])[:2]
                length = int(_headers(head).get("content-length", "0"))
                fault = self._draw(f"{method} {target}")
                if fault == "drop":
                    raise Broken("drop")
                if fault in ERRORS:
                    cin.exactly(length)
                    client.sendall(self._error(fault, target))
                    continue
                if fault == "stall":
                    time.sleep(self.stall_seconds)
                if fault == "reset-request":
                    if length < 2:
                        server.sendall(head[: len(head) // 2])
                    else:
                        server.sendall(head + cin.exactly(length // 2))
                    _rst(client, server)
                    raise Broken("reset")
                server.sendall(head)
                for piece in cin.pieces(length):
                    self._hold()
                    server.sendall(piece)
                if not self._relay_response(sin, client, method, fault):
                    break
        except (Broken, OSError, ValueError):
            pass
        finally:
            with self._lock:
                self._sockets = [s for s in self._sockets if s not in (client, server)]
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass

    def _relay_response(self, sin: _Reader, client: socket.socket, method: str, fault: str | None) -> bool:
        """Forwards one response; False when the connection must end after it."""
        self._hold()
        head = sin.until(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        h = _headers(head)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = iter(())
            size = 0
        elif "chunked" in h.get("transfer-encoding", "").lower():
            body, size = self._chunks(sin), None
        elif "content-length" in h:
            size = int(h["content-length"])
            body = sin.pieces(size)
        else:  # until the server closes
            body, size = self._until_close(sin), None
        chunked = "chunked" in h.get("transfer-encoding", "").lower()
        if fault in ("truncate", "reset-response"):
            if size is None or size >= 2:  # the head and part of the body
                budget = 16 if size is None else size // 2
                client.sendall(head)
                for piece in body:
                    client.sendall(piece[:budget])
                    budget -= len(piece)
                    if budget <= 0:
                        break
            else:  # no body to cut: cut the head
                client.sendall(head[: len(head) // 2])
            if fault == "reset-response":
                _rst(client)
            raise Broken(fault)
        client.sendall(head)
        for piece in body:
            self._hold()
            client.sendall(piece)
        return (size is not None or chunked) and h.get("connection", "").lower() != "close"

    @staticmethod
    def _chunks(sin: _Reader):
        while True:
            line = sin.until(b"\r\n")
            n = int(line.split(b";")[0], 16)
            yield line
            if n == 0:
                while True:  # trailers, then the empty line
                    t = sin.until(b"\r\n")
                    yield t
                    if t == b"\r\n":
                        return
            yield from sin.pieces(n + 2)

    @staticmethod
    def _until_close(sin: _Reader):
        while True:
            try:
                if not sin.buf:
                    sin._fill()
            except Broken:
                return
            out, sin.buf = sin.buf, b""
            yield out

    @staticmethod
    def _error(kind: str, target: str) -> bytes:
        status, reason, code, message = ERRORS[kind]
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}'
                f'</Message><Resource>{target.split("?")[0]}</Resource><RequestId>faultproxy</RequestId>'
                f'</Error>').encode()
        return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\n"
                f"Content-Length: {len(body)}\r\nx-amz-request-id: faultproxy\r\n\r\n").encode() + body
