"""Real ASiC-E packages, good and bad, for the sandbox's package checks (package-format §4).

Software EC keys, the client's own ``asice``/``cades`` building blocks, so each
package breaks exactly one rule: a bad package is signed as it is, not broken
afterwards, unless breaking it afterwards is the point (digests, coverage).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client import documents
from client.signing import asice, cades

UNIT_CODE = "1047665"
PDF = b"%PDF-1.4\n% sandbox test form\n%%EOF\n"
MIMETYPE = b"application/vnd.etsi.asic-e+zip"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trường Tiểu học A"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass
class Signer:
    key: ec.EllipticCurvePrivateKey
    der: bytes

    def spec(self, manifest: bytes, role: str, when: datetime) -> bytes:
        def raw_sign(data: bytes, hash_name: str) -> bytes:
            return self.key.sign(data, ec.ECDSA({"sha256": hashes.SHA256(),
                                                 "sha384": hashes.SHA384()}[hash_name]))

        return cades.sign_manifest(manifest, cert_der=self.der, chain=[], role=role,
                                   raw_sign=raw_sign, scheme="ecdsa", signing_time=when)


class Pki:
    """A CA and signers it issues (or not: ``untrusted=True`` uses a CA nobody trusts)."""

    def __init__(self) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = self._ca(self.ca_key, "Sandbox Test CA")
        self.other_key = ec.generate_private_key(ec.SECP256R1())
        self.other_ca = self._ca(self.other_key, "CA Lạ")
        self.ca_der = self.ca.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _ca(key: ec.EllipticCurvePrivateKey, cn: str) -> x509.Certificate:
        now = datetime.now(UTC)
        return (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - timedelta(days=400))
                .not_valid_after(now + timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))

    def signer(self, cn: str, *, signing_usage: bool = True, untrusted: bool = False,
               not_before: datetime | None = None, not_after: datetime | None = None) -> Signer:
        key = ec.generate_private_key(ec.SECP256R1())
        ca_key, ca = (self.other_key, self.other_ca) if untrusted else (self.ca_key, self.ca)
        now = datetime.now(UTC)
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(not_before or now - timedelta(days=10))
                .not_valid_after(not_after or now + timedelta(days=365))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    ca_key.public_key()), critical=False)
                .add_extension(x509.KeyUsage(
                    digital_signature=signing_usage, content_commitment=signing_usage,
                    key_encipherment=not signing_usage, data_encipherment=False,
                    key_agreement=False, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False), critical=True)
                .sign(ca_key, hashes.SHA256()))
        return Signer(key, cert.public_bytes(serialization.Encoding.DER))


def salary_document(number: str = "BL-10/2026", *, unit_code: str = UNIT_CODE,
                    date: str = "2026-10-25", payment_order: dict | None = None) -> dict:
    parts = {k: 0 for k in documents.PART_KEYS}
    lines = [
        {"group": "I. Công chức", "name": "Nguyễn Văn An", "account": "0011001234567",
         "bank": "Vietcombank - CN Hà Nội", "parts": dict(parts, salary=8_500_000), "note": ""},
        {"group": "I. Công chức", "name": "Trần Thị Bình", "account": "19034567890123",
         "bank": "Techcombank - CN Đống Đa", "parts": dict(parts, salary=7_200_000, bonus=500_000),
         "note": ""},
    ]
    unit = {"code": unit_code, "name": "Trường Tiểu học Nguyễn Du", "treasury": "KBNN Đống Đa",
            "account": f"9523.1.{unit_code}", "account_kind": "estimate"}
    return documents.new_salary_table(unit=unit, number=number, date=date,
                                      period={"year": 2026, "month": 10}, lines=lines,
                                      prepared_by="Lê Thị Lập", payment_order=payment_order)


def sign_into(entries: dict[str, bytes], index: int, role: str, signer: Signer, *,
              cover_earlier: bool = True, when: datetime | None = None) -> None:
    """Add manifest/signature ``index`` (as ``role``) to ``entries`` in place."""
    data_names = [n for n in entries if asice.is_data_name(n)]
    first = [n for n in (asice.DOCUMENT_JSON, asice.DOCUMENT_PDF) if n in entries]
    data_names = first + sorted(n for n in data_names if n not in first)
    earlier = sorted(n for n in entries if asice.SIGNATURE_RE.match(n)) if cover_earlier else []
    manifest = asice.build_manifest(index, entries, data_names, earlier)
    entries[asice.manifest_name(index)] = manifest
    entries[asice.signature_name(index)] = signer.spec(
        manifest, role, (when or datetime.now(UTC)).replace(microsecond=0))


def signed_entries(doc: dict | bytes, sigs: list[tuple[str, Signer]], *,
                   cover_earlier: bool = True, when: datetime | None = None) -> dict[str, bytes]:
    """Entries of a package with ``sigs`` ((role, signer), in signing order)."""
    data = doc if isinstance(doc, bytes) else documents.serialize(doc)
    entries = {"mimetype": MIMETYPE, "document.json": data, "document.pdf": PDF}
    for i, (role, signer) in enumerate(sigs, 1):
        sign_into(entries, i, role, signer, cover_earlier=cover_earlier or i == 1, when=when)
    return entries


def zip_of(entries: dict[str, bytes] | list[tuple[str, bytes]], *,
           mimetype_method: int = zipfile.ZIP_STORED, mimetype_first: bool = True) -> bytes:
    """Zip ``entries`` as they are (names unchecked, order kept, duplicates allowed)."""
    items = list(entries.items()) if isinstance(entries, dict) else list(entries)
    mime = [(n, d) for n, d in items if n == "mimetype"]
    rest = [(n, d) for n, d in items if n != "mimetype"]
    ordered = (mime + rest) if mimetype_first else (rest[:1] + mime + rest[1:])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in ordered:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = mimetype_method if name == "mimetype" else zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()
