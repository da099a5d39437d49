"""A real two-signature package: client.documents + client.signing.workflow with software keys.

Imported with ``pytest.importorskip`` so the sandbox tests still run while the
signing stack is being written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client import documents
from client.signing.asice import Package
from client.signing.workflow import SignerSpec, sign

UNIT_CODE = "1047665"


@dataclass
class Built:
    unit_code: str
    package: bytes  # both signatures
    partial: bytes  # chief accountant only
    tampered: bytes  # both signatures, document.pdf changed afterwards
    total: int
    signers: list[tuple[str, str, bytes]]
    trust: list[bytes]
    summary: dict


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trường Tiểu học A"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("Sandbox Test CA"))
            .issuer_name(_name("Sandbox Test CA")).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _signer(ca_key, ca_cert, cn: str) -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=10)).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                encipher_only=False, decipher_only=False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.DER)


def _spec(key, der: bytes, ca_der: bytes) -> SignerSpec:
    def raw_sign(data: bytes, hash_name: str) -> bytes:
        h = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
        return key.sign(data, ec.ECDSA(h))

    return SignerSpec(cert_der=der, chain=[ca_der], scheme="ecdsa", raw_sign=raw_sign)


def salary_document(number: str = "BL-10/2026") -> dict:
    parts = {k: 0 for k in documents.PART_KEYS}
    lines = [
        {"group": "I. Công chức", "name": "Nguyễn Văn An", "account": "0011001234567",
         "bank": "Vietcombank - CN Hà Nội", "parts": dict(parts, salary=8_500_000), "note": ""},
        {"group": "I. Công chức", "name": "Trần Thị Bình", "account": "19034567890123",
         "bank": "Techcombank - CN Đống Đa", "parts": dict(parts, salary=7_200_000, bonus=500_000),
         "note": ""},
    ]
    unit = {"code": UNIT_CODE, "name": "Trường Tiểu học Nguyễn Du", "treasury": "KBNN Đống Đa",
            "account": "9523.1.1047665", "account_kind": "estimate"}
    doc = documents.new_salary_table(unit=unit, number=number, date="2026-10-25",
                                     period={"year": 2026, "month": 10}, lines=lines,
                                     prepared_by="Lê Thị Lập")
    errors = [p for p in documents.validate(doc) if p.severity == "error"]
    assert not errors, errors
    return doc


def build_signed_package(folder: Path, number: str = "BL-10/2026") -> Built:
    ca_key, ca_cert = _ca()
    ca_der = ca_cert.public_bytes(serialization.Encoding.DER)
    chief_key, chief_der = _signer(ca_key, ca_cert, "Phạm Thị Kế Toán")
    head_key, head_der = _signer(ca_key, ca_cert, "Hoàng Văn Thủ Trưởng")
    doc = salary_document(number)
    data = documents.serialize(doc)
    partial = sign(data, "chief-accountant", _spec(chief_key, chief_der, ca_der), trust=[ca_der])
    both = sign(partial, "head-of-unit", _spec(head_key, head_der, ca_der), trust=[ca_der])
    pkg = Package.from_bytes(both)
    pkg.entries["document.pdf"] = pkg.entries["document.pdf"] + b"\n% changed"
    return Built(
        unit_code=UNIT_CODE, package=both, partial=partial, tampered=pkg.to_bytes(),
        total=doc["total"],
        signers=[(UNIT_CODE, "chief-accountant", chief_der), (UNIT_CODE, "head-of-unit", head_der)],
        trust=[ca_der], summary=documents.summary(doc),
    )
