"""A small, real OCSP responder (RFC 6960) over loopback HTTP, for revocation tests.

``OcspResponder`` runs a ``ThreadingHTTPServer`` on ``127.0.0.1``. It answers
``POST`` (``application/ocsp-request``) and ``GET /<base64 request>``: the request
is parsed with ``cryptography.x509.ocsp.load_der_ocsp_request``, the issuing CA is
found by the request's issuer key hash, and the answer is built with
``OCSPResponseBuilder``, signed by that CA or by a delegated responder certificate
(id-kp-OCSPSigning, id-pkix-ocsp-nocheck) issued by it. The status of each serial
number is set per test (``good`` / ``revoked`` with time and reason / ``unknown``);
the nonce of the request is echoed. ``mode`` switches the whole server to a failure
(HTTP 500, garbage bytes, an OCSP ``tryLater``, a response signed by a stranger's
key). Every request is recorded. ``files`` (path → bytes) are served on ``GET``
too, so the same server can publish CRLs.
"""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from client.training.pki import TrainingCA

MODES = ("answer", "http-500", "garbage", "try-later", "forged")


@dataclass
class Status:
    """What the responder says about one serial number."""

    state: str = "good"  # good | revoked | unknown
    revoked_at: datetime | None = None
    reason: x509.ReasonFlags | None = None


@dataclass
class Seen:
    """One request as the responder received it."""

    method: str
    path: str
    serial: int | None = None
    issuer_key_hash: bytes | None = None
    nonce: bytes | None = None
    content_type: str | None = None


@dataclass
class _Issuer:
    ca: TrainingCA
    signer_cert: x509.Certificate  # the CA itself, or its delegated responder
    signer_key: Any
    delegated: bool


def closed_port_url(path: str = "/ocsp") -> str:
    """A loopback URL where nothing listens (the port of a socket closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def issue_responder_cert(ca: TrainingCA, key: Any, name: str = "OCSP Responder") -> x509.Certificate:
    """A delegated OCSP responder certificate issued by ``ca`` (id-kp-OCSPSigning,
    id-pkix-ocsp-nocheck), valid for 30 days."""
    now = datetime.now(UTC).replace(microsecond=0)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                                 x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                       critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def _key_hashes(cert_der: bytes) -> set[bytes]:
    key = asn1_x509.Certificate.load(cert_der).public_key
    return {key.sha1, key.sha256}


class OcspResponder:
    """The responder; ``add_issuer`` each CA it answers for, then ``set`` statuses."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.modes: dict[str, str] = {}  # URL path → mode, overriding ``mode`` there
        self.default = Status("good")
        self.statuses: dict[int, Status] = {}
        self.requests: list[Seen] = []
        self.files: dict[str, bytes] = {}
        self._issuers: list[_Issuer] = []
        self._impostors: dict[bytes, tuple[x509.Certificate, Any]] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer._handle(self, "POST", body, self.headers.get("Content-Type"))

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                if self.path in outer.files:
                    outer._record(Seen("GET", self.path))
                    self._send(200, "application/pkix-crl", outer.files[self.path])
                    return
                encoded = urllib.parse.unquote(self.path.rsplit("/", 1)[-1])
                try:
                    body = base64.b64decode(encoded, validate=True)
                except ValueError:
                    outer._record(Seen("GET", self.path))
                    self._send(404, "text/plain", b"not found")
                    return
                outer._handle(self, "GET", body, None)

            def _send(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._handler = Handler
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    # ---- configuration -------------------------------------------------------

    def url(self, path: str = "/ocsp") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add_issuer(self, ca: TrainingCA, *, delegated: bool = False) -> x509.Certificate | None:
        """Answer for certificates issued by ``ca``: signed by ``ca`` itself, or (``delegated``)
        by a responder certificate issued by ``ca``, which is returned."""
        if delegated:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            cert = issue_responder_cert(ca, key)
            self._issuers.append(_Issuer(ca, cert, key, True))
            return cert
        self._issuers.append(_Issuer(ca, ca.cert, ca.key, False))
        return None

    def set(self, cert_der: bytes, state: str, *, revoked_at: datetime | None = None,
            reason: x509.ReasonFlags | None = None) -> None:
        """The status answered for the certificate ``cert_der`` (by serial number)."""
        if state not in ("good", "revoked", "unknown"):
            raise ValueError(state)
        serial = x509.load_der_x509_certificate(cert_der).serial_number
        if state == "revoked" and revoked_at is None:
            revoked_at = datetime.now(UTC) - timedelta(days=1)
        self.statuses[serial] = Status(state, revoked_at, reason)

    def reset(self) -> None:
        self.mode = "answer"
        self.modes.clear()
        self.requests.clear()

    def serials_asked(self) -> set[int]:
        return {r.serial for r in self.requests if r.serial is not None}

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> OcspResponder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- answering -------------------------------------------------------------

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _handle(self, handler: Any, method: str, body: bytes, ctype: str | None) -> None:
        seen = Seen(method, handler.path, content_type=ctype)
        try:
            req = ocsp.load_der_ocsp_request(body)
        except ValueError:
            self._record(seen)
            handler._send(400, "text/plain", b"malformed OCSP request")
            return
        seen.serial = req.serial_number
        seen.issuer_key_hash = req.issuer_key_hash
        try:
            seen.nonce = req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            pass
        self._record(seen)
        mode = self.modes.get(handler.path.split("?")[0], self.mode)
        if method == "GET":
            mode = self.modes.get(handler.path.rsplit("/", 1)[0] or "/", mode)
        if mode == "http-500":
            handler._send(500, "text/plain", b"internal server error")
            return
        if mode == "garbage":
            handler._send(200, "application/ocsp-response", b"<html>Service Unavailable</html>")
            return
        if mode == "try-later":
            handler._send(200, "application/ocsp-response", _der(
                ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)))
            return
        issuer = next((i for i in self._issuers
                       if req.issuer_key_hash in _key_hashes(i.ca.cert_der)), None)
        if issuer is None:
            handler._send(200, "application/ocsp-response", _der(
                ocsp.OCSPResponseBuilder.build_unsuccessful(
                    ocsp.OCSPResponseStatus.UNAUTHORIZED)))
            return
        handler._send(200, "application/ocsp-response",
                      self._response(req, issuer, seen.nonce, forged=mode == "forged"))

    def _response(self, req: ocsp.OCSPRequest, issuer: _Issuer, nonce: bytes | None, *,
                  forged: bool) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        status = self.statuses.get(req.serial_number, self.default)
        cert_status = {"good": ocsp.OCSPCertStatus.GOOD, "revoked": ocsp.OCSPCertStatus.REVOKED,
                       "unknown": ocsp.OCSPCertStatus.UNKNOWN}[status.state]
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=req.issuer_name_hash, issuer_key_hash=req.issuer_key_hash,
            serial_number=req.serial_number, algorithm=req.hash_algorithm,
            cert_status=cert_status, this_update=now - timedelta(minutes=5),
            next_update=now + timedelta(days=1),
            revocation_time=status.revoked_at if status.state == "revoked" else None,
            revocation_reason=status.reason if status.state == "revoked" else None)
        if forged:  # an impostor with the CA's name and its own key
            cert, key = self._impostor(issuer.ca)
            builder = builder.responder_id(ocsp.OCSPResponderEncoding.NAME, cert)
            builder = builder.certificates([cert])
        else:
            cert, key = issuer.signer_cert, issuer.signer_key
            builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, cert)
            if issuer.delegated:
                builder = builder.certificates([cert])
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        return _der(builder.sign(key, hashes.SHA256()))

    def _impostor(self, ca: TrainingCA) -> tuple[x509.Certificate, Any]:
        if ca.cert_der not in self._impostors:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            now = datetime.now(UTC).replace(microsecond=0)
            cert = (x509.CertificateBuilder().subject_name(ca.cert.subject)
                    .issuer_name(ca.cert.subject).public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - timedelta(days=1))
                    .not_valid_after(now + timedelta(days=30))
                    .sign(key, hashes.SHA256()))
            self._impostors[ca.cert_der] = (cert, key)
        return self._impostors[ca.cert_der]


def _der(response: ocsp.OCSPResponse) -> bytes:
    return response.public_bytes(serialization.Encoding.DER)
