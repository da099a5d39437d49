"""Revocation for real: CRLs served by a loopback HTTP server named in the certificates.

A two-level training PKI (root → intermediate → signers); the intermediate's
CRL distribution point and the signers' point at ``http://127.0.0.1:PORT/…``.
"""

from __future__ import annotations

import http.server
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from client.signing import asice, cades
from client.signing.asice import Package, build_manifest
from client.signing.verify import verify_package
from client.training.pki import create_ca, create_intermediate_ca, issue_crl, issue_signer_cert
from tests.unit.pkihelp import raw_signer
from tests.unit.test_cades_verify import DOC_BYTES, PDF, stub_check

CHIEF = "chief-accountant"


class CrlServer:
    """``http.server`` in a thread serving ``files`` (path → bytes); counts requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _free_dead_url() -> str:
    """A loopback URL where nothing listens (the server of a closed socket)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.crl"


class World:
    def __init__(self, server: CrlServer) -> None:
        self.server = server
        self.root = create_ca("Gốc Thử Nghiệm", path_length=1)
        self.sub = create_intermediate_ca(self.root, "Trung Gian Thử Nghiệm",
                                          crl_url=server.url("/root.crl"))
        self.good_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.bad_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kw = {"organisation": "Trường Tiểu học Kim Liên", "unit_code": "1047665"}
        self.good = issue_signer_cert(self.sub, self.good_key.public_key(), name="NGƯỜI TỐT",
                                      crl_url=server.url("/sub.crl"), **kw)
        self.revoked = issue_signer_cert(self.sub, self.bad_key.public_key(), name="NGƯỜI BỊ THU HỒI",
                                         crl_url=server.url("/sub.crl"), **kw)
        self.dead = issue_signer_cert(self.sub, self.good_key.public_key(), name="MÁY CHỦ TẮT",
                                      crl_url=_free_dead_url(), **kw)
        self.no_dp = issue_signer_cert(self.sub, self.good_key.public_key(), name="KHÔNG CÓ CRL", **kw)
        serial = x509.load_der_x509_certificate(self.revoked).serial_number
        server.files["/root.crl"] = issue_crl(self.root)
        server.files["/sub.crl"] = issue_crl(
            self.sub, [(serial, datetime.now(UTC) - timedelta(days=1))])
        self.trust = [self.root.cert_der]

    def package(self, cert_der: bytes, key) -> bytes:
        pkg = Package.new(DOC_BYTES, PDF)
        man = build_manifest(1, pkg.entries, pkg.data_entries(), [])
        sig = cades.sign_manifest(man, cert_der=cert_der, chain=[self.sub.cert_der], role=CHIEF,
                                  raw_sign=raw_signer(key), scheme="pkcs1v15")
        pkg.entries[asice.manifest_name(1)] = man
        pkg.entries[asice.signature_name(1)] = sig
        return pkg.to_bytes()


@pytest.fixture(scope="module")
def world():
    server = CrlServer()
    try:
        yield World(server)
    finally:
        server.stop()


def verify(world: World, data: bytes, **kw):
    return verify_package(data, world.trust, check_document=stub_check, fetch_timeout=2, **kw)


def test_good_certificate_checked_online_has_no_revocation_warning(world):
    world.server.requests.clear()
    rep = verify(world, world.package(world.good, world.good_key), online=True)
    assert rep.valid, rep.problems
    assert "revocation-not-checked" not in rep.codes()
    assert rep.signatures[0].verdict == "valid"
    # Both CRLs (signer's issuer, and the root's covering the intermediate) were fetched.
    assert {"/sub.crl", "/root.crl"} <= set(world.server.requests)


def test_revoked_certificate_is_invalid_online(world):
    rep = verify(world, world.package(world.revoked, world.bad_key), online=True)
    assert not rep.valid
    assert "certificate-revoked" in rep.codes()
    sig = rep.signatures[0]
    assert sig.verdict == "invalid"
    assert any("thu hồi" in p.message for p in sig.reasons if p.code == "certificate-revoked")


def test_revoked_certificate_offline_is_valid_with_a_warning(world):
    rep = verify(world, world.package(world.revoked, world.bad_key))
    assert rep.valid  # nothing fetched: cannot know …
    warn = [p for p in rep.problems if p.code == "revocation-not-checked"]
    assert warn and warn[0].severity == "warning"  # … and says so
    assert "ngoại tuyến" in warn[0].message


def test_crl_server_down_is_a_warning_not_a_silent_pass(world):
    rep = verify(world, world.package(world.dead, world.good_key), online=True)
    warn = [p for p in rep.problems if p.code == "revocation-not-checked"]
    assert warn, rep.problems
    assert warn[0].severity == "warning" and "không trả lời" in warn[0].message
    assert rep.valid and rep.signatures[0].verdict == "valid"


def test_certificate_without_distribution_point_is_named(world):
    rep = verify(world, world.package(world.no_dp, world.good_key), online=True)
    warn = [p for p in rep.problems if p.code == "revocation-not-checked"]
    assert warn and "KHÔNG CÓ CRL" in warn[0].message


def test_crl_server_answering_404_is_a_warning(world):
    saved = world.server.files.pop("/sub.crl")
    try:
        rep = verify(world, world.package(world.good, world.good_key), online=True)
    finally:
        world.server.files["/sub.crl"] = saved
    assert "revocation-not-checked" in rep.codes()
    assert rep.valid


@pytest.mark.timeout(60)
def test_crl_server_that_never_answers_is_given_up_and_named(world):
    """Online checks use short timeouts: a server that accepts the connection and then says
    nothing must not hold the verification (the CLI, the GUI, the sandbox) forever."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)  # read nothing, answer nothing

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/silent.crl"
        cert = issue_signer_cert(world.sub, world.good_key.public_key(), name="MÁY CHỦ IM LẶNG",
                                 organisation="Trường Tiểu học Kim Liên", unit_code="1047665",
                                 crl_url=url)
        rep = verify_package(world.package(cert, world.good_key), world.trust,
                             check_document=stub_check, online=True, fetch_timeout=0.5)
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()
    assert held, "the CRL server was never asked"
    warn = [p for p in rep.problems if p.code == "revocation-not-checked"]
    assert warn and warn[0].severity == "warning" and "không trả lời" in warn[0].message
    assert rep.valid and rep.signatures[0].verdict == "valid"
