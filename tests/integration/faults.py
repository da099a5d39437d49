"""A fault-injecting treasury double: a real HTTP server on loopback in front of the real
sandbox, and a tiny HTTP forward proxy.

``FaultyTreasury(backend)`` forwards every request to the sandbox (a
``SandboxServer``) unless a planned :class:`Fault` matches it, and then:

* ``reset``        — reads the request and resets the TCP connection (RST) without
                     forwarding: the treasury never saw it;
* ``commit-drop``  — forwards (the treasury commits) and then resets the connection
                     instead of answering;
* ``status``       — answers ``status`` itself (problem+json unless ``body`` is given,
                     with ``headers`` such as ``Retry-After``), without forwarding;
* ``slow``         — forwards, then waits ``delay`` seconds before answering (longer than
                     the client's read timeout: the treasury committed, the client gave up);
* ``expire``       — expires every session at the sandbox, then forwards (the sandbox
                     answers ``401 token-expired`` in the middle of whatever was going on);
* ``respond``      — answers ``body`` (JSON) with ``status`` itself.

``pause()`` closes the listening socket (connection refused) and ``resume()`` opens
it again on the same port. ``hits`` records every request and what was done.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}


@dataclass
class Fault:
    action: str
    method: str = "POST"
    path: str = "/api/v1/submissions"  # exact path (query ignored)
    times: int = 1  # how many matching requests get the fault
    after: int = 0  # let this many matching requests through first
    status: int = 500
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    delay: float = 0.0
    seen: int = 0
    applied: int = 0

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and path == self.path

    def take(self) -> bool:
        """Count one matching request; True when the fault applies to it."""
        self.seen += 1
        if self.seen <= self.after or self.applied >= self.times:
            return False
        self.applied += 1
        return True


@dataclass
class Hit:
    method: str
    path: str
    key: str | None
    action: str  # "pass" or the fault's action
    status: int | None  # what the client was answered (None: no answer)


def _problem(status: int, code: str, title: str) -> bytes:
    return json.dumps({"type": f"https://kbnn.example/problems/{code}", "status": status,
                       "code": code, "title": title}, ensure_ascii=False).encode("utf-8")


PROBLEM_FOR = {
    400: ("digest-mismatch", "Mã băm nội dung không khớp (Content-Digest)"),
    401: ("token-expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại"),
    403: ("unit-mismatch", "Hồ sơ không thuộc đơn vị đang đăng nhập"),
    409: ("in-progress", "Hồ sơ với khóa này đang được xử lý, vui lòng thử lại sau"),
    413: ("too-large", "Gói hồ sơ vượt quá dung lượng cho phép (20 MiB)"),
    429: ("too-many-requests", "Hệ thống đang quá tải, vui lòng thử lại sau"),
    500: ("internal-error", "Lỗi máy chủ Kho bạc"),
    503: ("unavailable", "Hệ thống Kho bạc đang bảo trì hoặc quá tải"),
}


class _Front(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultyTreasury:
    """See the module docstring. ``backend`` is a ``SandboxServer`` (or anything with
    ``base_url``)."""

    def __init__(self, backend, host: str = "127.0.0.1", port: int = 0) -> None:
        self.backend = backend
        parts = urlsplit(backend.base_url)
        self._backend_addr = (parts.hostname, parts.port)
        self.faults: list[Fault] = []
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self.host = host
        self._server: _Front | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self._start()
        self.base_url = f"http://{host}:{self.port}/api/v1"

    # -- lifecycle -------------------------------------------------------------------
    def _start(self) -> None:
        outer = self

        class Handler(_FaultHandler):
            front = outer

        self._server = _Front((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop listening: new connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def resume(self) -> None:
        if self._server is None:
            self._start()

    def stop(self) -> None:
        self.pause()

    def __enter__(self) -> FaultyTreasury:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- plan and record ---------------------------------------------------------------
    def add(self, action: str, **kw) -> Fault:
        f = Fault(action, **kw)
        with self._lock:
            self.faults.append(f)
        return f

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def count(self, method: str = "POST", path: str = "/api/v1/submissions",
              action: str | None = None) -> int:
        with self._lock:
            return sum(1 for h in self.hits if h.method == method and h.path == path
                       and (action is None or h.action == action))

    def _plan(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.matches(method, path) and f.take():
                    return f
        return None

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    # -- forwarding --------------------------------------------------------------------
    def forward(self, method: str, target: str, headers: dict, body: bytes
                ) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self._backend_addr, timeout=60)
        try:
            conn.request(method, target, body=body or None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.getheaders(), data
        finally:
            conn.close()

    def expire_sessions(self) -> None:
        status, _, _ = self.forward("POST", "/api/v1/_admin/sessions/expire", {}, b"")
        assert status == 204, status


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    front: FaultyTreasury

    def log_message(self, format: str, *args) -> None:  # quiet
        return None

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (no answer at all)."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()
        self.close_connection = True
        self._dead = True

    def finish(self) -> None:
        if getattr(self, "_dead", False):
            return
        try:
            super().finish()
        except OSError:
            pass

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> bool:
        try:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return True
        except OSError:  # the client gave up (read timeout) meanwhile
            return False

    def _handle(self) -> None:
        front = self.front
        path = urlsplit(self.path).path
        method = self.command
        body = self._read_body()
        key = self.headers.get("Idempotency-Key")
        fault = front._plan(method, path)
        fwd_headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        action = fault.action if fault else "pass"
        if fault is None or fault.action in ("slow", "commit-drop", "expire"):
            if fault is not None and fault.action == "expire":
                front.expire_sessions()
            status, headers, data = front.forward(method, self.path, fwd_headers, body)
            if fault is not None and fault.action == "commit-drop":
                front._record(Hit(method, path, key, action, None))
                self._reset()
                return
            if fault is not None and fault.action == "slow":
                time.sleep(fault.delay)
            delivered = self._send(status, headers, data)
            front._record(Hit(method, path, key, action, status if delivered else None))
            return
        if fault.action == "reset":
            front._record(Hit(method, path, key, action, None))
            self._reset()
            return
        if fault.action in ("status", "respond"):
            if fault.body is not None:
                data = json.dumps(fault.body, ensure_ascii=False).encode("utf-8")
                ctype = "application/json" if fault.action == "respond" else \
                    "application/problem+json"
            else:
                code, title = PROBLEM_FOR.get(fault.status, ("error", "Lỗi"))
                data = _problem(fault.status, code, title)
                ctype = "application/problem+json"
            headers = [("Content-Type", ctype)] + list(fault.headers.items())
            self._send(fault.status, headers, data)
            front._record(Hit(method, path, key, action, fault.status))
            return
        raise AssertionError(f"unknown fault action {fault.action}")

    do_GET = do_POST = do_DELETE = do_PUT = _handle


# -- a tiny forward proxy (http:// targets only, no CONNECT) ---------------------------------

class ForwardProxy:
    """An HTTP forward proxy on loopback that wants ``Proxy-Authorization: Basic``
    (when ``user`` is given) and counts what it forwarded."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.user, self.password = user, password
        self.forwarded: list[str] = []
        self.refused = 0
        self.auth_seen: list[str | None] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args) -> None:
                return None

            def _handle(self) -> None:
                auth = self.headers.get("Proxy-Authorization")
                outer.auth_seen.append(auth)
                if outer.user is not None:
                    want = "Basic " + base64.b64encode(
                        f"{outer.user}:{outer.password}".encode()).decode()
                    if auth != want:
                        outer.refused += 1
                        self.send_response(407)
                        self.send_header("Proxy-Authenticate", 'Basic realm="so-tai-chinh"')
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                target = urlsplit(self.path)
                if target.scheme != "http" or not target.hostname:
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in HOP_BY_HOP}
                conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
                try:
                    path = target.path + (f"?{target.query}" if target.query else "")
                    conn.request(self.command, path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except OSError:  # the target reset or refused: a proxy answers 502
                    self.send_response(502)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                finally:
                    conn.close()
                outer.forwarded.append(f"{self.command} {target.path}")
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _handle

        self._server = _Front(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# -- the outbox side: queue packages, and check the client agrees with the treasury ---------

def queue_packages(conn, count: int, prefix: str = "BL", *, with_documents: bool = True,
                   signatures=None) -> list[int]:
    """Queue ``count`` distinct fake packages (numbers ``{prefix}-1``…); their local ids."""
    from client.store.documents import DocumentRepo
    from client.transport.outbox import Outbox
    from tests.integration.sandbox_support import document, fake_package

    ids = []
    for n in range(1, count + 1):
        doc = document(number=f"{prefix}-{n}", total=1_000_000 * n)
        summary = {"kind": doc["kind"], "number": doc["number"], "total": doc["total"],
                   "period": doc.get("period"), "lines": len(doc["lines"]), "id": doc["id"]}
        package = fake_package(doc, signatures=signatures)
        local = None
        if with_documents:
            docs = DocumentRepo(conn)
            local = docs.add_draft(json.dumps(doc).encode(), summary, title=doc["number"])
            docs.set_package(local, package, "signed")
        ids.append(Outbox(conn).enqueue(package, summary, document_local_id=local))
    return ids


def server_records(api) -> list[dict]:
    """Every submission of the unit at the treasury (all pages)."""
    return api.changes(None, limit=500)


def assert_agrees(conn, api) -> dict[str, int]:
    """Every package is at the treasury exactly once, and the client's state agrees.

    * each ``sent`` item's id is at the treasury, with its document number and status;
    * no document number appears twice at the treasury;
    * the treasury has nothing the client does not know as ``sent``;
    * ``needs-attention`` and ``cancelled`` items are not at the treasury;
    * a document's state follows its outbox item.
    Returns counts by local state.
    """
    from collections import Counter

    from client.transport.outbox import DOCUMENT_STATE, Outbox

    records = server_records(api)
    by_id = {r["id"]: r for r in records}
    numbers = Counter(r["document"]["number"] for r in records)
    dup = [n for n, c in numbers.items() if c > 1]
    assert not dup, f"duplicated at the treasury: {dup}"
    items = Outbox(conn).items()
    sent_ids = set()
    for item in items:
        if item.state == "sent":
            assert item.submission_id in by_id, f"#{item.local_id} not at the treasury"
            rec = by_id[item.submission_id]
            assert rec["document"]["number"] == item.document_number
            assert rec["document"]["total"] == item.total
            assert item.treasury_status == rec["status"] or item.treasury_status == "received"
            assert not item.delivery_uncertain
            sent_ids.add(item.submission_id)
        else:
            assert item.submission_id is None
            assert numbers[item.document_number] == 0, (
                f"#{item.local_id} ({item.state}) is at the treasury")
        if item.document_local_id is not None:
            doc_state = conn.execute("SELECT state FROM documents WHERE local_id = ?",
                                     (item.document_local_id,)).fetchone()[0]
            expected = {"queued": "queued", "sending": "queued", "needs-attention": "rejected",
                        "cancelled": "signed"}.get(item.state) or DOCUMENT_STATE.get(
                item.treasury_status or "received")
            assert doc_state == expected, (item, doc_state)
    assert set(by_id) == sent_ids, f"unknown to the client: {set(by_id) - sent_ids}"
    return dict(Counter(i.state for i in items))
