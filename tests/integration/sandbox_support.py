"""Helpers shared by the sandbox and outbox tests: certificates, fake packages, a fake verifier.

The fake verifier reads a ``fake/report.json`` entry that the test puts into a
(otherwise ordinary) zip, so tests can say which signatures and problems the
"verification" finds without needing the real signing stack.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client.errors import Problem

UNIT = "1047665"
OTHER_UNIT = "1099999"
USER, PASSWORD = "ketoan01", "mật-khẩu-đúng"
OTHER_USER, OTHER_PASSWORD = "ketoan02", "khac-123"


def make_cert(cn: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


CHIEF_CERT = make_cert("Nguyễn Thị Kế Toán")
HEAD_CERT = make_cert("Trần Văn Thủ Trưởng")
STRANGER_CERT = make_cert("Người Lạ")


def sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def signers_for(unit: str = UNIT) -> list[tuple[str, str, bytes]]:
    return [(unit, "chief-accountant", CHIEF_CERT), (unit, "head-of-unit", HEAD_CERT)]


def document(number: str = "BL-10/2026", total: int = 15_000_000, unit: str = UNIT) -> dict:
    return {"format": "kbnn-document/1", "kind": "salary-table", "id": str(uuid.uuid4()),
            "number": number, "date": "2026-10-25", "unit": {"code": unit, "name": "Trường"},
            "period": {"year": 2026, "month": 10}, "currency": "VND", "total": total,
            "lines": [{"no": 1, "amount": total}]}


def fake_package(doc: dict | None = None, *, signatures: list[tuple[str, bytes]] | None = None,
                 problems: list[dict] | None = None, complete: bool | None = None,
                 padding: bytes = b"") -> bytes:
    """A zip the fake verifier understands. ``signatures``: (role, cert DER)."""
    doc = doc or document()
    if signatures is None:
        signatures = [("chief-accountant", CHIEF_CERT), ("head-of-unit", HEAD_CERT)]
    if complete is None:
        complete = {r for r, _ in signatures} == {"chief-accountant", "head-of-unit"}
    report = {
        "signatures": [{"role": r, "cert_sha256": sha(c), "signer_name": f"người ký {r}"}
                       for r, c in signatures],
        "problems": problems or [],
        "complete": complete,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.etsi.asic-e+zip")
        z.writestr("document.json", json.dumps(doc, ensure_ascii=False))
        z.writestr("fake/report.json", json.dumps(report))
        if padding:
            z.writestr("attachments/padding.bin", padding)
    return buf.getvalue()


@dataclass
class FakeSig:
    role: str
    cert_sha256: str
    signer_name: str


@dataclass
class FakeReport:
    valid: bool
    complete: bool
    problems: list[Problem] = field(default_factory=list)
    signatures: list[FakeSig] = field(default_factory=list)
    document: dict | None = None


class FakeVerifier:
    """Stands in for ``verify_package``; can be made to block to test ``in-progress``."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate: threading.Event | None = None
        self.entered = threading.Event()

    def __call__(self, data: bytes, trust: list[bytes], *, require_complete: bool = False) -> FakeReport:
        self.calls += 1
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            doc = json.loads(z.read("document.json"))
            rep = json.loads(z.read("fake/report.json"))
        problems = [Problem(p["code"], p["message"], p.get("where", ""), p.get("severity", "error"))
                    for p in rep["problems"]]
        valid = not any(p.severity == "error" for p in problems)
        if require_complete and not rep["complete"]:
            valid = False
        return FakeReport(valid=valid, complete=rep["complete"], problems=problems,
                          signatures=[FakeSig(**s) for s in rep["signatures"]], document=doc)
