"""The sandbox treasury and the API client, over real loopback HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import ssl
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client.errors import Rejected, Unreachable
from client.sandbox.server import start_sandbox
from client.transport.api import AuthError, TreasuryClient
from tests.integration.sandbox_support import (
    HEAD_CERT,
    OTHER_PASSWORD,
    OTHER_UNIT,
    OTHER_USER,
    PASSWORD,
    STRANGER_CERT,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    sha,
    signers_for,
)


def _start(data_dir: Path, **kw):
    kw.setdefault("advance", 0)
    kw.setdefault("verifier", FakeVerifier())
    kw.setdefault("units", [(UNIT, USER, PASSWORD), (OTHER_UNIT, OTHER_USER, OTHER_PASSWORD)])
    kw.setdefault("signers", signers_for(UNIT) + signers_for(OTHER_UNIT))
    return start_sandbox(data_dir=data_dir, **kw)


@pytest.fixture
def sandbox(tmp_path):
    srv = _start(tmp_path / "sandbox")
    yield srv
    srv.stop()


def _client(srv, unit=UNIT, user=USER, password=PASSWORD, **kw) -> TreasuryClient:
    return TreasuryClient(srv.base_url, unit_code=unit, username=user,
                          password=lambda: password, timeout=(2.0, 10.0), **kw)


def _raw_token(srv, unit=UNIT, user=USER, password=PASSWORD) -> str:
    r = requests.post(srv.base_url + "/sessions", timeout=5,
                      json={"unit_code": unit, "username": user, "password": password})
    assert r.status_code == 201
    return r.json()["token"]


def _digest(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def _admin(srv, path: str, body: dict) -> requests.Response:
    return requests.post(srv.base_url + "/_admin" + path, json=body, timeout=5)


# -- health, sessions -----------------------------------------------------------------

def test_health_without_login(sandbox):
    h = _client(sandbox, password=None).health()
    assert h["status"] == "ok" and h["api_version"] == "1"
    assert abs(dt.datetime.fromisoformat(h["time"]) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_login_ok_and_logout(sandbox):
    api = _client(sandbox)
    api.login()
    assert api.logged_in and api.token_expires_at
    assert "token" not in repr(api) and PASSWORD not in repr(api)
    token = api._token
    api.logout()
    assert not api.logged_in
    # the old token no longer works
    r = requests.get(sandbox.base_url + f"/units/{UNIT}/signers", timeout=5,
                     headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "not-logged-in"
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_login_bad_password_then_throttled(sandbox):
    bad = _client(sandbox, password="sai")
    for _ in range(5):
        with pytest.raises(AuthError) as exc:
            bad.login()
        assert exc.value.code == "bad-credentials"
        assert exc.value.exit_code == 1
        assert "mật khẩu" in exc.value.message
    # sixth try within 15 minutes: refused even with the right password
    with pytest.raises(AuthError) as exc:
        _client(sandbox).login()
    assert exc.value.code == "too-many-attempts"
    assert exc.value.retry_after is not None and 0 < int(exc.value.retry_after) <= 15 * 60
    # another user is not affected
    _client(sandbox, unit=OTHER_UNIT, user=OTHER_USER, password=OTHER_PASSWORD).login()


def test_login_without_password_asks_nothing_of_server(sandbox):
    with pytest.raises(AuthError) as exc:
        _client(sandbox, password=None).login()
    assert exc.value.code == "no-password"


def test_unknown_unit_is_bad_credentials(sandbox):
    with pytest.raises(AuthError):
        _client(sandbox, unit="1234567").login()


def test_token_expired_logs_in_again_by_itself(sandbox):
    logins = []

    def password():
        logins.append(1)
        return PASSWORD

    api = TreasuryClient(sandbox.base_url, unit_code=UNIT, username=USER, password=password)
    api.signers()
    first_token = api._token
    assert len(logins) == 1
    assert _admin(sandbox, "/sessions/expire", {}).status_code == 204
    # raw: the server now says token-expired
    r = requests.get(sandbox.base_url + f"/units/{UNIT}/signers", timeout=5,
                     headers={"Authorization": f"Bearer {first_token}"})
    assert r.status_code == 401 and r.json()["code"] == "token-expired"
    # the client logs in again once and repeats the call
    assert len(api.signers()) == 2
    assert len(logins) == 2 and api._token != first_token
    # submit too
    _admin(sandbox, "/sessions/expire", {})
    answer = api.submit(fake_package(), str(uuid.uuid4()))
    assert answer.status == 201 and len(logins) == 3


def test_short_session_lifetime_expires(tmp_path):
    srv = _start(tmp_path / "sb", session_lifetime=0.3)
    try:
        token = _raw_token(srv)
        time.sleep(0.5)
        r = requests.get(srv.base_url + f"/units/{UNIT}/signers", timeout=5,
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401 and r.json()["code"] == "token-expired"
    finally:
        srv.stop()


# -- signers -----------------------------------------------------------------------------

def test_signers_list(sandbox):
    signers = _client(sandbox).signers()
    by_role = {s["role"]: s for s in signers}
    assert set(by_role) == {"chief-accountant", "head-of-unit"}
    assert by_role["head-of-unit"]["certificate_sha256"] == sha(HEAD_CERT)
    assert by_role["chief-accountant"]["name"] == "Nguyễn Thị Kế Toán"
    assert dt.datetime.fromisoformat(by_role["head-of-unit"]["not_after"]) > dt.datetime.now(dt.UTC)


def test_signers_of_another_unit_refused(sandbox):
    with pytest.raises(Rejected) as exc:
        _client(sandbox).signers(OTHER_UNIT)
    assert exc.value.code == "unit-mismatch" and exc.value.status == 403
    assert "đơn vị" in exc.value.message


def test_admin_registers_unit_and_signer(sandbox):
    r = _admin(sandbox, "/units", {"code": "1000001", "name": "Xã A", "username": "u",
                                   "password": "p"})
    assert r.status_code == 201
    pem = x509.load_der_x509_certificate(STRANGER_CERT).public_bytes(serialization.Encoding.PEM)
    r = _admin(sandbox, "/signers", {"unit_code": "1000001", "role": "head-of-unit",
                                     "certificate": pem.decode()})
    assert r.status_code == 201 and r.json()["certificate_sha256"] == sha(STRANGER_CERT)
    signers = _client(sandbox, unit="1000001", user="u", password="p").signers()
    assert [(s["role"], s["name"]) for s in signers] == [("head-of-unit", "Người Lạ")]
    bad = _admin(sandbox, "/signers", {"unit_code": "1000001", "role": "boss", "certificate": "x"})
    assert bad.status_code == 400


# -- submitting ------------------------------------------------------------------------

def test_submit_created_then_replay_then_key_reused(sandbox):
    api = _client(sandbox)
    package = fake_package(document(number="BL-01", total=1_234_567))
    key = str(uuid.uuid4())
    first = api.submit(package, key)
    assert first.status == 201
    body = first.body
    assert body["status"] == "received" and body["package_sha256"] == hashlib.sha256(package).hexdigest()
    assert body["document"] == {"kind": "salary-table", "number": "BL-01", "total": 1_234_567}
    assert first.headers["Location"].endswith(f"/api/v1/submissions/{body['id']}")

    replay = api.submit(package, key)
    assert replay.status == 200 and replay.body == body

    other = api.submit(fake_package(document(number="BL-02")), key)
    assert other.status == 422 and other.code == "key-reused"
    assert other.body["title"].startswith("Khóa")
    # still exactly one submission
    assert [i["id"] for i in api.changes(None)] == [body["id"]]


def test_submit_digest_mismatch_and_missing_key(sandbox):
    token = _raw_token(sandbox)
    package = fake_package()
    headers = {"Authorization": f"Bearer {token}",
               "Content-Type": "application/vnd.etsi.asic-e+zip"}
    r = requests.post(sandbox.base_url + "/submissions", data=package, timeout=5,
                      headers=headers | {"Idempotency-Key": str(uuid.uuid4()),
                                         "Content-Digest": _digest(package + b"x")})
    assert r.status_code == 400 and r.json()["code"] == "digest-mismatch"
    r = requests.post(sandbox.base_url + "/submissions", data=package, timeout=5,
                      headers=headers | {"Content-Digest": _digest(package)})
    assert r.status_code == 400 and r.json()["code"] == "idempotency-key-missing"
    assert r.headers["Content-Type"].startswith("application/problem+json")
    r = requests.post(sandbox.base_url + "/submissions", data=b"not a zip", timeout=5,
                      headers=headers | {"Content-Digest": _digest(b"not a zip"),
                                         "Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 400 and r.json()["code"] == "not-a-package"
    # nothing was recorded
    assert _client(sandbox).changes(None) == []


def test_submit_without_login_is_401(sandbox):
    package = fake_package()
    r = requests.post(sandbox.base_url + "/submissions", data=package, timeout=5,
                      headers={"Idempotency-Key": str(uuid.uuid4()),
                               "Content-Digest": _digest(package)})
    assert r.status_code == 401 and r.json()["code"] == "not-logged-in"


def test_submit_other_units_package_is_403(sandbox):
    answer = _client(sandbox).submit(fake_package(document(unit=OTHER_UNIT)), str(uuid.uuid4()))
    assert answer.status == 403 and answer.code == "unit-mismatch"
    assert OTHER_UNIT in answer.body["detail"]


def test_submit_too_large_is_413(sandbox):
    big = fake_package(padding=b"\0" * 50) + b"\0" * (20 * 1024 * 1024 + 10)
    answer = _client(sandbox).submit(big, str(uuid.uuid4()))
    assert answer.status == 413 and answer.code == "too-large"


def test_submit_invalid_package_lists_every_reason(sandbox):
    package = fake_package(
        signatures=[("chief-accountant", STRANGER_CERT)],
        problems=[{"code": "digest-mismatch", "where": "document.pdf",
                   "message": "Mã băm của document.pdf không khớp"},
                  {"code": "weak", "where": "x", "message": "cảnh báo", "severity": "warning"}])
    answer = _client(sandbox).submit(package, str(uuid.uuid4()))
    assert answer.status == 422
    codes = [e["code"] for e in answer.body["errors"]]
    assert codes == ["digest-mismatch", "signer-not-registered", "incomplete"]
    assert answer.body["title"] == "Hồ sơ không hợp lệ"
    assert "Kế toán trưởng" in answer.body["errors"][1]["message"]


def test_signer_registered_in_other_role_is_refused(sandbox):
    package = fake_package(signatures=[("chief-accountant", HEAD_CERT), ("head-of-unit", HEAD_CERT)])
    answer = _client(sandbox).submit(package, str(uuid.uuid4()))
    assert answer.status == 422
    assert [e["code"] for e in answer.body["errors"]] == ["signer-not-registered"]
    assert answer.code == "signer-not-registered"


def test_invalid_then_fixed_with_same_key(sandbox):
    """A refused package does not hold its key: the same key may be used once it is fixed."""
    api = _client(sandbox)
    key = str(uuid.uuid4())
    bad = api.submit(fake_package(signatures=[("chief-accountant", STRANGER_CERT)]), key)
    assert bad.status == 422
    assert api.submit(fake_package(), key).status == 201


def test_in_progress_409(tmp_path):
    verifier = FakeVerifier()
    verifier.gate = threading.Event()
    srv = _start(tmp_path / "sb", verifier=verifier)
    try:
        api1, api2 = _client(srv), _client(srv)
        api1.login()
        api2.login()
        package, key = fake_package(), str(uuid.uuid4())
        results = {}
        t = threading.Thread(target=lambda: results.setdefault("first", api1.submit(package, key)))
        t.start()
        assert verifier.entered.wait(5)
        second = api2.submit(package, key)
        assert second.status == 409 and second.code == "in-progress"
        assert second.retry_after is not None
        verifier.gate.set()
        t.join(10)
        assert results["first"].status == 201
        third = api2.submit(package, key)
        assert third.status == 200 and third.body["id"] == results["first"].body["id"]
    finally:
        verifier.gate.set()
        srv.stop()


# -- status, changes, receipt ---------------------------------------------------------------

def test_other_units_submission_is_404(sandbox):
    answer = _client(sandbox).submit(fake_package(), str(uuid.uuid4()))
    other = _client(sandbox, unit=OTHER_UNIT, user=OTHER_USER, password=OTHER_PASSWORD)
    with pytest.raises(Rejected) as exc:
        other.get(answer.body["id"])
    assert exc.value.status == 404
    assert other.receipt(answer.body["id"]) is None
    assert other.changes(None) == []


def test_status_advances_and_receipt(tmp_path):
    step = 0.4
    srv = _start(tmp_path / "sb", advance=step)
    try:
        api = _client(srv)
        created = api.submit(fake_package(), str(uuid.uuid4())).body
        sid = created["id"]
        t0 = dt.datetime.fromisoformat(created["received_at"])

        def at(fraction: float) -> None:  # sleep until t0 + fraction * step
            wait = (t0 + dt.timedelta(seconds=fraction * step) - dt.datetime.now(dt.UTC))
            time.sleep(max(0.0, wait.total_seconds()))

        rec = api.get(sid)
        assert rec["status"] == "received" and rec["status_text"] == "Đã tiếp nhận"
        assert api.receipt(sid) is None
        at(1.5)
        rec = api.get(sid)
        assert rec["status"] == "accepted" and rec["status_text"] == "Đã kiểm soát, chờ thanh toán"
        assert api.receipt(sid) is None
        at(2.2)
        rec = api.get(sid)
        assert rec["status"] == "paid"
        hist = rec["history"]
        assert [h["status"] for h in hist] == ["received", "accepted", "paid"]
        times = [dt.datetime.fromisoformat(h["at"]) for h in hist]
        assert times[1] - times[0] == dt.timedelta(seconds=step) == times[2] - times[1]
        # the same answer however often it is read
        time.sleep(0.1)
        assert api.get(sid) == rec

        data = api.receipt(sid)
        assert data is not None and api.receipt(sid) == data
        info = cms.ContentInfo.load(data)
        assert info["content_type"].native == "signed_data"
        content = json.loads(info["content"]["encap_content_info"]["content"].native)
        assert content["id"] == sid and content["status"] == "paid"
        assert content["unit_code"] == UNIT and content["document"]["number"] == "BL-10/2026"
        # the signature verifies under the sandbox's own CA
        cert = tmp_path / "sb" / "receipt-ca.pem"
        if shutil.which("openssl"):
            p7 = tmp_path / "r.p7m"
            p7.write_bytes(data)
            out = subprocess.run(
                ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(p7), "-CAfile",
                 str(cert), "-purpose", "any"], capture_output=True, timeout=30)
            assert out.returncode == 0, out.stderr
            assert json.loads(out.stdout)["id"] == sid
    finally:
        srv.stop()


def test_trainer_actions(sandbox):
    api = _client(sandbox)
    sid = api.submit(fake_package(), str(uuid.uuid4())).body["id"]
    r = _admin(sandbox, f"/submissions/{sid}/status", {"status": "rejected",
                                                        "reason": "Sai số tài khoản dòng 3"})
    assert r.status_code == 200
    rec = api.get(sid)
    assert rec["status"] == "rejected" and rec["reason"] == "Sai số tài khoản dòng 3"
    assert rec["history"][-1]["note"] == "Sai số tài khoản dòng 3"
    # final: cannot move on
    assert _admin(sandbox, f"/submissions/{sid}/status", {"status": "paid"}).status_code == 409
    assert _admin(sandbox, "/submissions/nope/status", {"status": "paid"}).status_code == 404


def test_changes_follow_the_cursor(sandbox):
    api = _client(sandbox)
    ids = [api.submit(fake_package(document(number=f"BL-{i}")), str(uuid.uuid4())).body["id"]
           for i in range(5)]
    # raw paging: 2 per page, 3 pages, oldest first
    token = _raw_token(sandbox)
    seen, params, pages = [], {"limit": 2}, 0
    while True:
        r = requests.get(sandbox.base_url + "/submissions", params=params, timeout=5,
                         headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
        pages += 1
        seen += [i["id"] for i in r.json()["items"]]
        if not r.json()["next"]:
            break
        params = {"limit": 2, "cursor": r.json()["next"]}
    assert pages == 3 and seen == ids
    # the client follows the cursor by itself
    assert [i["id"] for i in api.changes(None, limit=2)] == ids
    # updated_since: only what changed later
    mark = dt.datetime.now(dt.UTC).isoformat()
    _admin(sandbox, f"/submissions/{ids[1]}/status", {"status": "accepted"})
    later = api.changes(mark, limit=2)
    assert [(i["id"], i["status"]) for i in later] == [(ids[1], "accepted")]
    bad = requests.get(sandbox.base_url + "/submissions", params={"limit": 0}, timeout=5,
                       headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400


def test_persistence_across_restart(tmp_path):
    data_dir = tmp_path / "sb"
    srv = _start(data_dir)
    api = _client(srv)
    package, key = fake_package(), str(uuid.uuid4())
    sid = api.submit(package, key).body["id"]
    _admin(srv, f"/submissions/{sid}/status", {"status": "accepted"})
    srv.stop()
    with pytest.raises(Unreachable):
        _client(srv).health()
    # no units, no signers given this time: all of it is in data_dir
    srv2 = start_sandbox(data_dir=data_dir, advance=0, verifier=FakeVerifier())
    try:
        api2 = _client(srv2)
        rec = api2.get(sid)
        assert rec["status"] == "accepted"
        replay = api2.submit(package, key)
        assert replay.status == 200 and replay.body["id"] == sid
        assert len(api2.signers()) == 2
    finally:
        srv2.stop()


def test_unreachable_and_timeouts(tmp_path):
    srv = _start(tmp_path / "sb")
    url = srv.base_url
    srv.stop()
    api = TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: PASSWORD,
                         timeout=(0.5, 1.0))
    with pytest.raises(Unreachable) as exc:
        api.submit(b"x", str(uuid.uuid4()))
    assert exc.value.exit_code == 3


# -- TLS -------------------------------------------------------------------------------------

def _tls_files(folder: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Treasury CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return ca_pem, cert_pem, key_pem


def test_https_verified_with_configured_ca_only(tmp_path):
    ca_pem, cert_pem, key_pem = _tls_files(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert_pem), str(key_pem))
    srv = _start(tmp_path / "sb", ssl_context=ctx)
    try:
        assert srv.base_url.startswith("https://")
        with pytest.raises(Unreachable) as exc:  # unknown CA: refused, never skipped
            _client(srv).health()
        assert "TLS" in exc.value.message
        api = _client(srv, ca_file=str(ca_pem))
        assert api.health()["status"] == "ok"
        assert api.submit(fake_package(), str(uuid.uuid4())).status == 201
    finally:
        srv.stop()


# -- the real verifier ----------------------------------------------------------------------

def test_real_verifier_accepts_real_package(tmp_path):
    """A package signed by client.signing.workflow with software keys, checked by verify_package."""
    real = pytest.importorskip("tests.integration._real_package",
                               reason="client.signing.verify/workflow not available yet")
    built = real.build_signed_package(tmp_path)
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0,
                        units=[(built.unit_code, USER, PASSWORD)],
                        signers=built.signers, trust=built.trust)
    try:
        api = TreasuryClient(srv.base_url, unit_code=built.unit_code, username=USER,
                             password=lambda: PASSWORD)
        answer = api.submit(built.package, str(uuid.uuid4()))
        assert answer.status == 201, answer.body
        assert answer.body["document"]["total"] == built.total
        # one signature only: not complete
        partial = api.submit(built.partial, str(uuid.uuid4()))
        assert partial.status == 422
        assert "incomplete" in [e["code"] for e in partial.body["errors"]]
        # tampered: an entry changed after signing
        tampered = api.submit(built.tampered, str(uuid.uuid4()))
        assert tampered.status == 422, tampered.body
    finally:
        srv.stop()
