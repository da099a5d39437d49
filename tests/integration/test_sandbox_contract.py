"""The sandbox against treasury-api.md, over loopback HTTP, with the client's real verifier.

Every §4 check of package-format.md gives ``422`` naming it (the sandbox is as
strict as the treasury), plus ``signer-not-registered`` and ``incomplete``;
idempotency keys live 30 days; every endpoint's answers and problem codes.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
import warnings
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import requests

from client.sandbox.server import start_sandbox
from client.transport.api import TreasuryClient
from tests.integration import sandbox_packages as sp
from tests.integration.sandbox_support import FakeVerifier, document, fake_package, signers_for

USER, PASSWORD = "ketoan01", "mật-khẩu"
OTHER = ("1099999", "ketoan02", "khac-123")


@pytest.fixture(scope="module")
def pki():
    return sp.Pki()


@pytest.fixture(scope="module")
def people(pki):
    return {"chief": pki.signer("Phạm Thị Kế Toán"), "head": pki.signer("Hoàng Văn Thủ Trưởng"),
            "stranger": pki.signer("Người Lạ Cùng CA")}


@pytest.fixture(scope="module")
def real(tmp_path_factory, pki, people):
    srv = start_sandbox(
        data_dir=tmp_path_factory.mktemp("contract") / "sb", advance=0,
        units=[(sp.UNIT_CODE, USER, PASSWORD), OTHER],
        signers=[(sp.UNIT_CODE, "chief-accountant", people["chief"].der),
                 (sp.UNIT_CODE, "head-of-unit", people["head"].der)],
        trust=[pki.ca_der])
    yield srv
    srv.stop()


def _api(srv, unit=sp.UNIT_CODE, user=USER, password=PASSWORD) -> TreasuryClient:
    return TreasuryClient(srv.base_url, unit_code=unit, username=user, password=lambda: password,
                          timeout=(2.0, 20.0))


def _token(srv, unit=sp.UNIT_CODE, user=USER, password=PASSWORD) -> str:
    r = requests.post(srv.base_url + "/sessions", timeout=5,
                      json={"unit_code": unit, "username": user, "password": password})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _digest(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


def _is_problem(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"https://kbnn.example/problems/{code}"
    assert body["title"] and any(ch in body["title"] for ch in "ăâđêôơưáàảãạéèóòúùíì")
    return body


# -- §4: every reason a package is refused, named ------------------------------------------

def _cases(pki, people) -> dict[str, tuple[bytes, str]]:
    chief, head = people["chief"], people["head"]
    good = [("chief-accountant", chief), ("head-of-unit", head)]
    doc = sp.salary_document()
    ok = sp.signed_entries(doc, good)
    cases: dict[str, tuple[bytes, str]] = {}

    cases["mimetype missing"] = (sp.zip_of({k: v for k, v in ok.items() if k != "mimetype"}),
                                 "mimetype-invalid")
    cases["mimetype not first"] = (sp.zip_of(ok, mimetype_first=False), "mimetype-invalid")
    cases["mimetype compressed"] = (sp.zip_of(ok, mimetype_method=zipfile.ZIP_DEFLATED),
                                    "mimetype-invalid")
    cases["mimetype wrong"] = (sp.zip_of(dict(ok, mimetype=b"application/zip")), "mimetype-invalid")
    cases["entry name with .."] = (sp.zip_of(dict(ok, **{"attachments/../evil.txt": b"x"})),
                                   "entry-name-unsafe")
    cases["absolute entry name"] = (sp.zip_of(dict(ok, **{"/etc/passwd": b"x"})), "entry-name-unsafe")
    cases["duplicate entry"] = (sp.zip_of(list(ok.items()) + [("document.pdf", sp.PDF)]),
                                "entry-duplicate")

    bad_total = dict(doc, total=doc["total"] + 1)
    cases["total does not add up"] = (sp.zip_of(sp.signed_entries(bad_total, good)),
                                      "document-invalid")
    bad_words = dict(doc, total_in_words="Một đồng")
    cases["amount in words wrong"] = (sp.zip_of(sp.signed_entries(bad_words, good)),
                                      "document-invalid")

    changed = dict(ok, **{"document.pdf": sp.PDF + b"% changed\n"})
    cases["digest mismatch"] = (sp.zip_of(changed), "manifest-digest-mismatch")
    extra = dict(ok, **{"attachments/hoa-don.pdf": sp.PDF})
    cases["entry not covered"] = (sp.zip_of(extra), "entry-not-covered")
    tampered = dict(ok)
    tampered["META-INF/ASiCManifest001.xml"] = ok["META-INF/ASiCManifest001.xml"].replace(
        b"</asic:ASiCManifest>", b"<!-- x --></asic:ASiCManifest>")
    cases["signature does not verify"] = (sp.zip_of(tampered), "signature-invalid")

    past = datetime.now(UTC) - timedelta(days=100)
    expired = pki.signer("Chứng Thư Hết Hạn", not_before=past - timedelta(days=30),
                         not_after=past)
    cases["certificate expired at signing time"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", expired), ("head-of-unit", head)])),
        "certificate-expired-at-signing")
    no_usage = pki.signer("Chỉ Mã Hóa", signing_usage=False)
    cases["certificate lacks signing key usage"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", no_usage), ("head-of-unit", head)])),
        "certificate-key-usage")
    foreign = pki.signer("CA Khác Cấp", untrusted=True)
    cases["certificate does not chain to a trust anchor"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", foreign), ("head-of-unit", head)])),
        "certificate-untrusted")
    cases["role missing (head signs first)"] = (
        sp.zip_of(sp.signed_entries(doc, [("head-of-unit", head)])), "role-order")
    cases["role repeated"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", chief), ("chief-accountant", chief)])),
        "role-repeated")
    cases["roles out of order"] = (
        sp.zip_of(sp.signed_entries(doc, [("head-of-unit", head), ("chief-accountant", chief)])),
        "role-order")
    cases["later manifest does not cover the earlier signature"] = (
        sp.zip_of(sp.signed_entries(doc, good, cover_earlier=False)),
        "earlier-signature-not-covered")
    cases["signer not registered"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", people["stranger"]),
                                          ("head-of-unit", head)])),
        "signer-not-registered")
    cases["registered in the other role"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", chief), ("head-of-unit", chief)])),
        "signer-not-registered")
    cases["incomplete (chief accountant only)"] = (
        sp.zip_of(sp.signed_entries(doc, [("chief-accountant", chief)])), "incomplete")
    return cases


@pytest.fixture(scope="module")
def cases(pki, people):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate on purpose
        return _cases(pki, people)


CASE_NAMES = [
    "mimetype missing", "mimetype not first", "mimetype compressed", "mimetype wrong",
    "entry name with ..", "absolute entry name", "duplicate entry", "total does not add up",
    "amount in words wrong", "digest mismatch", "entry not covered", "signature does not verify",
    "certificate expired at signing time", "certificate lacks signing key usage",
    "certificate does not chain to a trust anchor", "role missing (head signs first)",
    "role repeated", "roles out of order", "later manifest does not cover the earlier signature",
    "signer not registered", "registered in the other role", "incomplete (chief accountant only)",
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_every_package_check_is_named(real, cases, name):
    data, code = cases[name]
    answer = _api(real).submit(data, str(uuid.uuid4()))
    assert answer.status == 422, (name, answer.status, answer.body)
    codes = [e["code"] for e in answer.body["errors"]]
    assert code in codes, (name, codes)
    assert all(e["message"] for e in answer.body["errors"])
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_a_good_package_is_accepted_and_nothing_refused_was_kept(real, people):
    doc = sp.salary_document(number="BL-TỐT")
    good = sp.zip_of(sp.signed_entries(doc, [("chief-accountant", people["chief"]),
                                             ("head-of-unit", people["head"])]))
    api = _api(real)
    answer = api.submit(good, str(uuid.uuid4()))
    assert answer.status == 201, answer.body
    assert answer.body["document"] == {"kind": "salary-table", "number": "BL-TỐT",
                                       "total": doc["total"]}
    numbers = [i["document"]["number"] for i in api.changes(None)]
    assert numbers.count("BL-TỐT") == 1 and len(numbers) == 1


def test_not_a_zip_is_400(real):
    answer = _api(real).submit(b"%PDF-1.4 not a package", str(uuid.uuid4()))
    assert answer.status == 400 and answer.code == "not-a-package"


# -- the endpoints, one by one ---------------------------------------------------------------

def test_health_says_sandbox(real):
    r = requests.get(real.base_url + "/health", timeout=5)
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok" and body["api_version"] == "1"
    assert body["sandbox"] is True
    assert abs(datetime.fromisoformat(body["time"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_sessions_answers(real):
    url = real.base_url + "/sessions"
    _is_problem(requests.post(url, data=b"not json", timeout=5,
                              headers={"Content-Type": "application/json"}), 400, "bad-request")
    _is_problem(requests.post(url, json={"unit_code": sp.UNIT_CODE}, timeout=5), 400, "bad-request")
    _is_problem(requests.post(url, json={"unit_code": sp.UNIT_CODE, "username": USER,
                                         "password": "x" * 70_000}, timeout=5), 413, "too-large")
    _is_problem(requests.post(url, json={"unit_code": "0000000", "username": "ai",
                                         "password": "x"}, timeout=5), 401, "bad-credentials")
    ok = requests.post(url, timeout=5, json={"unit_code": sp.UNIT_CODE, "username": USER,
                                             "password": PASSWORD,
                                             "client": {"name": "t", "version": "1", "machine": "m"}})
    assert ok.status_code == 201 and len(ok.json()["token"]) >= 32
    assert datetime.fromisoformat(ok.json()["expires_at"]) > datetime.now(UTC)
    token = ok.json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.delete(real.base_url + "/sessions/current", headers=auth, timeout=5).status_code == 204
    _is_problem(requests.delete(real.base_url + "/sessions/current", headers=auth, timeout=5),
                401, "not-logged-in")
    _is_problem(requests.delete(real.base_url + "/sessions/current", timeout=5), 401, "not-logged-in")


def test_login_throttling_is_per_user_and_says_when(tmp_path):
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=FakeVerifier(),
                        units=[(sp.UNIT_CODE, USER, PASSWORD), OTHER])
    try:
        url = srv.base_url + "/sessions"
        bad = {"unit_code": sp.UNIT_CODE, "username": USER, "password": "sai"}
        for _ in range(5):
            _is_problem(requests.post(url, json=bad, timeout=5), 401, "bad-credentials")
        r = requests.post(url, json=dict(bad, password=PASSWORD), timeout=5)
        body = _is_problem(r, 429, "too-many-attempts")
        assert 14 * 60 <= int(r.headers["Retry-After"]) <= 15 * 60 + 1
        assert "phút" in body["detail"]
        # the same username in another case is the same person
        _is_problem(requests.post(url, json=dict(bad, username=USER.upper(), password=PASSWORD),
                                  timeout=5), 429, "too-many-attempts")
        ok = requests.post(url, json={"unit_code": OTHER[0], "username": OTHER[1],
                                      "password": OTHER[2]}, timeout=5)
        assert ok.status_code == 201
    finally:
        srv.stop()


def test_submission_answers_in_contract_order(real, people):
    token = _token(real)
    url = real.base_url + "/submissions"
    auth = {"Authorization": f"Bearer {token}"}
    pkg = sp.zip_of(sp.signed_entries(sp.salary_document(number="BL-THỨ-TỰ"),
                                      [("chief-accountant", people["chief"]),
                                       ("head-of-unit", people["head"])]))
    asice_type = {"Content-Type": "application/vnd.etsi.asic-e+zip"}
    _is_problem(requests.post(url, data=pkg, timeout=5, headers=asice_type), 401, "not-logged-in")
    _is_problem(requests.post(url, data=pkg, timeout=5, headers=auth | asice_type | {
        "Content-Digest": _digest(pkg)}), 400, "idempotency-key-missing")
    key = str(uuid.uuid4())
    _is_problem(requests.post(url, data=pkg, timeout=5, headers=auth | asice_type | {
        "Idempotency-Key": key}), 400, "digest-mismatch")
    _is_problem(requests.post(url, data=pkg, timeout=5, headers=auth | {
        "Idempotency-Key": key, "Content-Digest": _digest(pkg),
        "Content-Type": "application/zip"}), 400, "not-a-package")
    _is_problem(requests.put(url, data=pkg, timeout=5, headers=auth), 405, "method-not-allowed")
    first = requests.post(url, data=pkg, timeout=20, headers=auth | asice_type | {
        "Idempotency-Key": key, "Content-Digest": _digest(pkg)})
    assert first.status_code == 201
    sid = first.json()["id"]
    assert first.headers["Location"].endswith(f"/api/v1/submissions/{sid}")
    again = requests.post(url, data=pkg, timeout=20, headers=auth | asice_type | {
        "Idempotency-Key": key, "Content-Digest": _digest(pkg)})
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    other = sp.zip_of(sp.signed_entries(sp.salary_document(number="BL-KHÁC"),
                                        [("chief-accountant", people["chief"]),
                                         ("head-of-unit", people["head"])]))
    body = _is_problem(requests.post(url, data=other, timeout=20, headers=auth | asice_type | {
        "Idempotency-Key": key, "Content-Digest": _digest(other)}), 422, "key-reused")
    assert body["errors"][0]["where"] == "Idempotency-Key"

    # status, list, receipt — and the other unit sees none of it
    rec = requests.get(f"{url}/{sid}", headers=auth, timeout=5).json()
    assert rec["status"] == "received" and rec["status_text"] == "Đã tiếp nhận"
    assert rec["reason"] is None and rec["history"][0]["status"] == "received"
    _is_problem(requests.get(f"{url}/{sid}/receipt", headers=auth, timeout=5), 404, "receipt-not-ready")
    _is_problem(requests.get(f"{url}/no-such-id", headers=auth, timeout=5), 404, "not-found")
    other_auth = {"Authorization": f"Bearer {_token(real, *OTHER)}"}
    _is_problem(requests.get(f"{url}/{sid}", headers=other_auth, timeout=5), 404, "not-found")
    _is_problem(requests.get(f"{url}/{sid}/receipt", headers=other_auth, timeout=5), 404, "not-found")
    assert requests.get(url, headers=other_auth, timeout=5).json() == {"items": [], "next": None}
    listing = requests.get(url, params={"limit": 1}, headers=auth, timeout=5).json()
    cursor = listing["next"]
    if cursor:  # another unit's session cannot use this unit's cursor
        _is_problem(requests.get(url, params={"cursor": cursor}, headers=other_auth, timeout=5),
                    400, "bad-request")
    for bad in ({"limit": 501}, {"limit": "x"}, {"updated_since": "hôm qua"}, {"cursor": "!!"}):
        _is_problem(requests.get(url, params=bad, headers=auth, timeout=5), 400, "bad-request")
    _is_problem(requests.get(real.base_url + f"/units/{OTHER[0]}/signers", headers=auth, timeout=5),
                403, "unit-mismatch")


def test_package_of_another_unit_is_403(real, people):
    doc = sp.salary_document(unit_code=OTHER[0])
    pkg = sp.zip_of(sp.signed_entries(doc, [("chief-accountant", people["chief"]),
                                            ("head-of-unit", people["head"])]))
    answer = _api(real).submit(pkg, str(uuid.uuid4()))
    assert answer.status == 403 and answer.code == "unit-mismatch"


def test_too_large_package_is_413_before_verification(tmp_path):
    verifier = FakeVerifier()
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=verifier,
                        units=[(sp.UNIT_CODE, USER, PASSWORD)], signers=signers_for(sp.UNIT_CODE))
    try:
        big = fake_package(padding=b"\0" * 10) + b"\0" * (20 * 1024 * 1024)
        answer = _api(srv).submit(big, str(uuid.uuid4()))
        assert answer.status == 413 and answer.code == "too-large"
        assert verifier.calls == 0
    finally:
        srv.stop()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_idempotency_keys_are_kept_30_days(tmp_path):
    clock = Clock()
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=FakeVerifier(), clock=clock,
                        units=[(sp.UNIT_CODE, USER, PASSWORD)], signers=signers_for(sp.UNIT_CODE))
    try:
        api = _api(srv)
        package, key = fake_package(document(number="BL-30")), str(uuid.uuid4())
        first = api.submit(package, key)
        assert first.status == 201
        clock.now += timedelta(days=29, hours=23)  # sessions expire meanwhile: the client logs in again
        replay = api.submit(package, key)
        assert replay.status == 200 and replay.body == first.body
        assert api.submit(fake_package(document(number="BL-31")), key).code == "key-reused"
        # after a restart too
        srv.stop()
        srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=FakeVerifier(), clock=clock)
        api = _api(srv)
        assert api.submit(package, key).body["id"] == first.body["id"]
        clock.now += timedelta(days=1, hours=2)  # now past 30 days: the key is forgotten
        later = api.submit(fake_package(document(number="BL-32")), key)
        assert later.status == 201 and later.body["id"] != first.body["id"]
    finally:
        srv.stop()


def test_everything_survives_a_restart(tmp_path):
    sb = tmp_path / "sb"
    srv = start_sandbox(data_dir=sb, advance=0, verifier=FakeVerifier(),
                        units=[(sp.UNIT_CODE, USER, PASSWORD, "Trường A")],
                        signers=signers_for(sp.UNIT_CODE), trainer=("gv", "mk-1"),
                        payment_orders=[(sp.UNIT_CODE, "GRDT-1", 5_000_000, "2026-10-01")])
    admin = srv.base_url + "/_admin"
    assert requests.post(admin + "/blocked-accounts", timeout=5,
                         json={"account": "123-456-789", "note": "phong tỏa"}).status_code == 201
    sid = _api(srv).submit(fake_package(), str(uuid.uuid4())).body["id"]
    assert requests.post(admin + f"/submissions/{sid}/status", timeout=5,
                         json={"status": "rejected", "reason": "Sai mẫu"}).status_code == 200
    chief_sha = hashlib.sha256(signers_for()[0][2]).hexdigest()
    assert requests.post(admin + "/signers/withdraw", timeout=5, json={
        "unit_code": sp.UNIT_CODE, "certificate_sha256": chief_sha}).status_code == 200
    srv.stop()
    srv = start_sandbox(data_dir=sb, advance=0, verifier=FakeVerifier())
    try:
        assert srv.sandbox.trainer_user == "gv" and srv.sandbox.trainer_password == "mk-1"
        api = _api(srv)
        rec = api.get(sid)
        assert rec["status"] == "rejected" and rec["reason"] == "Sai mẫu"
        assert [s["role"] for s in api.signers()] == ["head-of-unit"]
        orders = requests.get(srv.base_url + "/_admin/payment-orders", timeout=5).json()["items"]
        assert [(o["number"], o["amount"]) for o in orders] == [("GRDT-1", 5_000_000)]
        units = requests.get(srv.base_url + "/_admin/submissions", timeout=5).json()["items"]
        assert units[0]["unit_name"] == "Trường A"
    finally:
        srv.stop()
