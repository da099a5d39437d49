"""The sandbox's control rules and its payment receipt, over loopback HTTP.

Each rejection rule of ``rules_vi.json`` rejects a dossier with its Vietnamese
reason when the dossier leaves ``received`` by itself; a clean dossier goes on
to ``paid`` and then has a payment receipt (báo Nợ) signed under the sandbox's
own CA. Time is a test clock: no sleeping.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from client.sandbox.server import start_sandbox
from client.transport.api import TreasuryClient
from tests.integration.sandbox_support import (
    CHIEF_CERT,
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    make_cert,
    signers_for,
)

STEP = 60.0  # seconds between automatic moves (on the test clock)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def pass_(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return Clock()


def _start(data_dir: Path, clock: Clock, **kw):
    kw.setdefault("units", [(UNIT, USER, PASSWORD, "Trường Tiểu học A")])
    kw.setdefault("signers", signers_for(UNIT))
    return start_sandbox(data_dir=data_dir, advance=STEP, verifier=FakeVerifier(), clock=clock,
                         payment_orders=[(UNIT, "GRDT-0125", 15_000_000, "2026-10-25")], **kw)


@pytest.fixture
def sandbox(tmp_path, clock):
    srv = _start(tmp_path / "sb", clock)
    yield srv
    srv.stop()


def _api(srv) -> TreasuryClient:
    return TreasuryClient(srv.base_url, unit_code=UNIT, username=USER, password=lambda: PASSWORD,
                          timeout=(2.0, 10.0))


def _doc(**changes) -> dict:
    doc = document(number=changes.pop("number", "BL-10/2026"), total=changes.pop("total", 15_000_000))
    doc["payment_order"] = {"number": "GRDT-0125", "date": "2026-10-25"}
    doc["lines"] = [{"no": 1, "name": "Nguyễn Văn An", "account": "0011001234567",
                     "amount": doc["total"]}]
    doc.update(changes)
    return doc


def _submit(api: TreasuryClient, doc: dict) -> str:
    answer = api.submit(fake_package(doc), str(uuid.uuid4()))
    assert answer.status == 201, answer.body
    return answer.body["id"]


def _after_control(api: TreasuryClient, clock: Clock, sid: str) -> dict:
    assert api.get(sid)["status"] == "received"
    clock.pass_(STEP + 1)
    return api.get(sid)


def test_a_clean_dossier_is_accepted_then_paid_with_a_receipt_under_the_sandbox_ca(
        sandbox, clock, tmp_path):
    api = _api(sandbox)
    sid = _submit(api, _doc())
    rec = _after_control(api, clock, sid)
    assert rec["status"] == "accepted" and rec["reason"] is None
    r = requests.get(f"{sandbox.base_url}/submissions/{sid}/receipt", timeout=5,
                     headers={"Authorization": "Bearer " + _token(sandbox)})
    assert r.status_code == 404 and r.json()["code"] == "receipt-not-ready"
    clock.pass_(STEP)
    rec = api.get(sid)
    assert rec["status"] == "paid" and rec["status_text"] == "Đã thanh toán"

    data = api.receipt(sid)
    assert data is not None
    signed = cms.ContentInfo.load(data)["content"]
    content = json.loads(signed["encap_content_info"]["content"].native)
    assert content["title"] == "Chứng từ báo Nợ" and content["status"] == "paid"
    assert content["id"] == sid and content["document"]["total"] == 15_000_000
    assert len(content["package_sha256"]) == 64
    # The signer certificate is issued by the sandbox's CA, which the sandbox serves.
    ca_pem = requests.get(sandbox.base_url + "/receipt-ca.pem", timeout=5).content
    ca = x509.load_pem_x509_certificate(ca_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    certs = [x509.load_der_x509_certificate(c.chosen.dump()) for c in signed["certificates"]]
    leaf = next(c for c in certs if c.subject != ca.subject)
    assert leaf.issuer == ca.subject
    ca.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                           ec.ECDSA(leaf.signature_hash_algorithm))
    if shutil.which("openssl"):
        (tmp_path / "r.p7m").write_bytes(data)
        (tmp_path / "ca.pem").write_bytes(ca_pem)
        ok = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in",
                             str(tmp_path / "r.p7m"), "-CAfile", str(tmp_path / "ca.pem"),
                             "-purpose", "any"], capture_output=True, timeout=30)
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["id"] == sid
        # ...and not under another CA
        stranger = tmp_path / "stranger.pem"
        stranger.write_bytes(x509.load_der_x509_certificate(make_cert("CA Lạ")).public_bytes(
            serialization.Encoding.PEM))
        bad = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in",
                              str(tmp_path / "r.p7m"), "-CAfile", str(stranger), "-purpose", "any"],
                             capture_output=True, timeout=30)
        assert bad.returncode != 0


def _token(srv) -> str:
    r = requests.post(srv.base_url + "/sessions", timeout=5,
                      json={"unit_code": UNIT, "username": USER, "password": PASSWORD})
    return r.json()["token"]


def test_total_differing_from_the_payment_order_is_rejected(sandbox, clock):
    api = _api(sandbox)
    sid = _submit(api, _doc(total=15_500_000))
    rec = _after_control(api, clock, sid)
    assert rec["status"] == "rejected" and rec["status_text"] == "Bị từ chối"
    assert rec["reason"] == ("Tổng số tiền trên bảng kê (15.500.000 đồng) khác số tiền trên Giấy "
                             "rút dự toán/Ủy nhiệm chi số GRDT-0125 (15.000.000 đồng).")
    assert rec["history"][-1] == {"status": "rejected", "at": rec["updated_at"],
                                  "note": rec["reason"]}


def test_a_blocked_beneficiary_account_is_rejected(sandbox, clock):
    api = _api(sandbox)
    doc = _doc()
    doc["lines"] = [{"no": 1, "name": "Nguyễn Văn An", "account": "0011001234567",
                     "amount": 10_000_000},
                    {"no": 2, "name": "Trần Thị Bình", "account": "9999999999", "amount": 5_000_000}]
    rec = _after_control(api, clock, _submit(api, doc))
    assert rec["status"] == "rejected"
    assert "Tài khoản thụ hưởng 9999999999 của Trần Thị Bình (dòng 2)" in rec["reason"]
    assert "phong tỏa" in rec["reason"]


def test_an_account_blocked_by_the_trainer_is_rejected(sandbox, clock):
    r = requests.post(sandbox.base_url + "/_admin/blocked-accounts", timeout=5,
                      json={"account": "0011-001-234567", "note": "chủ tài khoản đã nghỉ hưu"})
    assert r.status_code == 201
    api = _api(sandbox)
    rec = _after_control(api, clock, _submit(api, _doc()))
    assert rec["status"] == "rejected" and "chủ tài khoản đã nghỉ hưu" in rec["reason"]


def test_a_date_in_the_future_is_rejected(sandbox, clock):
    api = _api(sandbox)
    rec = _after_control(api, clock, _submit(api, _doc(date="2026-12-01")))
    assert rec["status"] == "rejected"
    assert rec["reason"] == "Bảng kê ghi ngày 01/12/2026, sau ngày Kho bạc kiểm soát (02/11/2026)."


def test_a_signer_withdrawn_before_control_is_rejected(sandbox, clock):
    api = _api(sandbox)
    sid = _submit(api, _doc())
    r = requests.post(sandbox.base_url + "/_admin/signers/withdraw", timeout=5, json={
        "unit_code": UNIT, "certificate_sha256": hashlib.sha256(CHIEF_CERT).hexdigest()})
    assert r.status_code == 200
    rec = _after_control(api, clock, sid)
    assert rec["status"] == "rejected"
    assert "Chữ ký của Kế toán trưởng" in rec["reason"]
    assert "không phải chữ ký đã đăng ký mẫu với Kho bạc cho đơn vị 1047665" in rec["reason"]


def test_the_same_table_sent_twice_is_rejected_the_second_time(sandbox, clock):
    api = _api(sandbox)
    first = _submit(api, _doc())
    second = _submit(api, _doc())  # another document id, same number: a new submission
    assert first != second
    clock.pass_(STEP + 1)
    assert api.get(first)["status"] == "accepted"
    rec = api.get(second)
    assert rec["status"] == "rejected"
    assert rec["reason"].startswith("Bảng kê số BL-10/2026 của đơn vị đã được Kho bạc tiếp nhận")
    assert first in rec["reason"]


def test_every_finding_is_listed_in_the_reason(sandbox, clock):
    api = _api(sandbox)
    rec = _after_control(api, clock, _submit(api, _doc(total=1_000_000, date="2027-01-02")))
    assert rec["status"] == "rejected"
    lines = rec["reason"].split("\n")
    assert len(lines) == 2 and lines[0].startswith("Tổng số tiền") and "02/01/2027" in lines[1]


def test_a_rule_turned_off_in_the_rule_file_does_not_reject(tmp_path, clock):
    from client.sandbox.rules import RULES_FILE

    rules = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    for rule in rules["rules"]:
        if rule["code"] == "date-in-future":
            rule["enabled"] = False
        if rule["code"] == "total-differs-from-payment-order":
            rule["reason"] = "Lệch tiền: {total} ≠ {order_amount}."
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    srv = _start(tmp_path / "sb", clock, rules=path)
    try:
        api = _api(srv)
        assert _after_control(api, clock, _submit(api, _doc(date="2026-12-01")))["status"] == \
            "accepted"
        rec = _after_control(api, clock, _submit(api, _doc(number="BL-2", total=1)))
        assert rec["reason"] == "Lệch tiền: 1 ≠ 15.000.000."
    finally:
        srv.stop()


def test_the_trainer_sees_what_the_rules_will_say_before_they_run(sandbox, clock):
    api = _api(sandbox)
    sid = _submit(api, _doc(total=15_500_000))
    items = requests.get(sandbox.base_url + "/_admin/submissions", timeout=5).json()["items"]
    mine = next(i for i in items if i["id"] == sid)
    assert mine["status"] == "received"
    assert [c["code"] for c in mine["checks"]] == ["total-differs-from-payment-order"]
