"""CAdES-BES signing (pyHanko) and package verification (package-format §4).

Software keys only: a test CA and signer certificates from ``pkihelp``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest
from asn1crypto import cms

from client.errors import Problem
from client.signing import asice, cades
from client.signing.asice import Package, build_manifest, manifest_name, signature_name
from client.signing.verify import verify_package
from tests.unit import pkihelp
from tests.unit.pkihelp import NOW, ec_key, make_ca, make_signer, raw_signer, rsa_key

DOC = {
    "format": "kbnn-document/1", "kind": "salary-table",
    "id": "5b0f6f55-8a43-4f7e-9a55-1f3b2b7f0c11", "number": "09/2025", "date": "2025-01-25",
    "period": {"year": 2025, "month": 1},
    "unit": {"code": "1047665", "name": "Trường Tiểu học Kim Liên", "treasury": "KBNN Đống Đa",
             "account": "9523.1.1047665", "account_kind": "estimate"},
    "payment_order": None, "currency": "VND", "prepared_by": "Lê Thị Lan",
    "lines": [
        {"no": 1, "group": "I. Công chức", "name": "Nguyễn Thị Hoa", "account": "0011004123456",
         "bank": "Vietcombank - CN Hà Nội", "amount": 8000000,
         "parts": {"salary": 8000000, "contract_wage": 0, "extra_income": 0, "bonus": 0,
                   "other_allowance": 0, "lump_sum": 0, "scholarship": 0}, "note": ""},
        {"no": 2, "group": "I. Công chức", "name": "Trần Văn Minh", "account": "0451000123456",
         "bank": "Vietcombank - CN Thành Công", "amount": 7500000,
         "parts": {"salary": 7000000, "contract_wage": 0, "extra_income": 0, "bonus": 500000,
                   "other_allowance": 0, "lump_sum": 0, "scholarship": 0}, "note": ""},
    ],
    "changes": None, "total": 15500000, "total_in_words": "Mười lăm triệu năm trăm nghìn đồng",
}
DOC_BYTES = json.dumps(DOC, ensure_ascii=False, indent=1).encode("utf-8")
PDF = b"%PDF-1.4\n% stand-in for the rendered form\n" + bytes(range(256)) * 8
CHIEF, HEAD = asice.ROLES


def stub_check(doc: dict) -> list[Problem]:
    """Document check independent of client.documents: totals add up."""
    if sum(line["amount"] for line in doc["lines"]) != doc["total"]:
        return [Problem("total-mismatch", "Tổng cộng không khớp.", "total")]
    return []


class PKI:
    def __init__(self) -> None:
        self.ca = make_ca("KBNN Test CA")
        self.chief = make_signer(self.ca, "Phạm Thị Kế Toán", rsa_key(0))
        self.head = make_signer(self.ca, "Hoàng Văn Thủ Trưởng", rsa_key(1))
        self.ec = make_signer(self.ca, "EC P-256", ec_key("p256"))
        self.ec384 = make_signer(self.ca, "EC P-384", ec_key("p384"))
        self.rogue_ca = make_ca("Rogue CA")
        self.rogue = make_signer(self.rogue_ca, "Kẻ Giả Mạo", ec_key())
        self.expired = make_signer(self.ca, "Hết Hạn", ec_key(),
                                   not_before=NOW - timedelta(days=400),
                                   not_after=NOW - timedelta(days=10))
        self.no_ku = make_signer(self.ca, "Không KeyUsage", ec_key(), key_usage=False)
        self.trust = [self.ca.der]


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


def _scheme(who: pkihelp.Issued) -> str:
    return "ecdsa" if hasattr(who.key, "curve") else "pkcs1v15"


def add_signature(pkg: Package, role: str, who: pkihelp.Issued, pki: PKI, *,
                  scheme: str | None = None, when=None, earlier: list[str] | None = None,
                  chain: list[bytes] | None = None) -> Package:
    scheme = scheme or _scheme(who)
    idx = pkg.next_index()
    man = build_manifest(idx, pkg.entries, pkg.data_entries(),
                         pkg.signature_names() if earlier is None else earlier)
    sig = cades.sign_manifest(man, cert_der=who.der, chain=[pki.ca.der] if chain is None else chain,
                              role=role, raw_sign=raw_signer(who.key, scheme), scheme=scheme,
                              signing_time=when)
    pkg.entries[manifest_name(idx)] = man
    pkg.entries[signature_name(idx)] = sig
    return pkg


def build(pki: PKI, signers=((CHIEF, "chief"), (HEAD, "head")), doc: bytes = DOC_BYTES,
          attachments=None) -> bytes:
    pkg = Package.new(doc, PDF, attachments)
    for role, attr in signers:
        add_signature(pkg, role, getattr(pki, attr), pki)
    return pkg.to_bytes()


def verify(data: bytes, pki: PKI, **kw):
    kw.setdefault("check_document", stub_check)
    return verify_package(data, pki.trust, **kw)


def mutate(data: bytes, fn) -> bytes:
    pkg = Package.from_bytes(data)
    fn(pkg.entries)
    return pkg.to_bytes()


def flip(content: bytes, pos: int | None = None) -> bytes:
    pos = len(content) // 2 if pos is None else pos
    return content[:pos] + bytes([content[pos] ^ 0x01]) + content[pos + 1:]


@pytest.fixture(scope="module")
def signed2(pki) -> bytes:
    return build(pki, attachments={"Hóa đơn 01.pdf": b"%PDF-1.4 attachment"})


# ---- good packages --------------------------------------------------------


def test_two_signatures_valid_and_complete(pki, signed2):
    rep = verify(signed2, pki)
    assert rep.valid, rep.problems
    assert rep.complete
    assert [s.role for s in rep.signatures] == [CHIEF, HEAD]
    assert [s.verdict for s in rep.signatures] == ["valid", "valid"]
    assert rep.signatures[0].signer_name == "Phạm Thị Kế Toán"
    assert rep.signatures[0].cert_der == pki.chief.der
    assert rep.signatures[0].cert_sha256 == hashlib.sha256(pki.chief.der).hexdigest()
    assert rep.signatures[1].signing_time is not None
    assert rep.document["total"] == 15500000 and rep.document_bytes == DOC_BYTES
    # revocation is never a silent pass, but only a warning
    warn = [p for p in rep.problems if p.code == "revocation-not-checked"]
    assert len(warn) == 2 and all(p.severity == "warning" for p in warn)
    js = rep.to_json()
    json.dumps(js)  # JSON-safe
    assert js["signatures"][1]["role"] == HEAD and isinstance(js["signatures"][1]["signing_time"], str)


def test_default_document_check_is_client_documents(pki, signed2):
    pytest.importorskip("client.documents")
    rep = verify_package(signed2, pki.trust)
    assert rep.valid, rep.problems


def test_first_signature_only_is_valid_but_incomplete(pki):
    data = build(pki, signers=((CHIEF, "chief"),))
    rep = verify(data, pki)
    assert rep.valid and not rep.complete
    rep = verify(data, pki, require_complete=True)
    assert not rep.valid and "incomplete" in rep.codes()


def test_openssl_verifies_each_signature(pki, signed2, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    pkg = Package.from_bytes(signed2)
    (tmp_path / "ca.pem").write_bytes(pki.ca.pem)
    for idx in (1, 2):
        (tmp_path / "sig.p7s").write_bytes(pkg.entries[signature_name(idx)])
        (tmp_path / "man.xml").write_bytes(pkg.entries[manifest_name(idx)])
        cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER",
               "-in", str(tmp_path / "sig.p7s"), "-content", str(tmp_path / "man.xml"),
               "-CAfile", str(tmp_path / "ca.pem"), "-purpose", "any", "-out", "/dev/null"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        # and it fails over the other manifest
        (tmp_path / "man.xml").write_bytes(pkg.entries[manifest_name(3 - idx)])
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert res.returncode != 0


def test_manifest_digests_match_entries_independently(signed2):
    ns = {"asic": "http://uri.etsi.org/02918/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    pkg = Package.from_bytes(signed2)
    for idx, expected in ((1, {"document.json", "document.pdf", "attachments/Hóa đơn 01.pdf"}),
                          (2, {"document.json", "document.pdf", "attachments/Hóa đơn 01.pdf",
                               "META-INF/signature001.p7s"})):
        root = ET.fromstring(pkg.entries[manifest_name(idx)])
        seen = set()
        for ref in root.findall("asic:DataObjectReference", ns):
            name = unquote(ref.get("URI"))
            seen.add(name)
            digest = hashlib.sha256(pkg.entries[name]).digest()
            assert base64.b64decode(ref.find("ds:DigestValue", ns).text) == digest
        assert seen == expected


def test_cades_attributes(pki, signed2):
    pkg = Package.from_bytes(signed2)
    ci = cms.ContentInfo.load(pkg.entries[signature_name(1)])
    sd = ci["content"]
    assert sd["encap_content_info"]["content"].native is None  # detached
    si = sd["signer_infos"][0]
    names = {a["type"].native for a in si["signed_attrs"]}
    assert {"content_type", "message_digest", "signing_time", "signing_certificate_v2",
            "signer_attributes_v2"} <= names
    assert cades.claimed_roles(si) == [CHIEF]
    # the role value is a UTF8String (DirectoryString) under id-at-role 2.5.4.72
    attr = [a for a in si["signed_attrs"] if a["type"].native == "signer_attributes_v2"][0]
    claimed = attr["values"][0]["claimed_attributes"][0]
    assert claimed["type"].dotted == "2.5.4.72"
    assert b"\x0c\x10chief-accountant" in claimed.dump()
    certs = {c.chosen.dump() for c in sd["certificates"]}
    assert pki.chief.der in certs and pki.ca.der in certs


@pytest.mark.parametrize("attr,scheme,mech", [
    ("chief", "pss", "rsassa_pss"),
    ("ec", "ecdsa", "sha256_ecdsa"),
    ("ec384", "ecdsa", "sha384_ecdsa"),
])
def test_pss_and_ecdsa_verify(pki, attr, scheme, mech):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, getattr(pki, attr), pki, scheme=scheme)
    data = pkg.to_bytes()
    rep = verify(data, pki)
    assert rep.valid, rep.problems
    si = cms.ContentInfo.load(pkg.entries[signature_name(1)])["content"]["signer_infos"][0]
    assert si["signature_algorithm"]["algorithm"].native == mech


def test_ecdsa_raw_rs_signature_is_converted(pki):
    """A token answering PKCS#11-style r||s still gives a DER CMS signature."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    inner = raw_signer(pki.ec.key, "ecdsa")

    def raw(data: bytes, hash_name: str) -> bytes:
        r, s = decode_dss_signature(inner(data, hash_name))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    pkg = Package.new(DOC_BYTES, PDF)
    man = build_manifest(1, pkg.entries, pkg.data_entries(), [])
    pkg.entries[manifest_name(1)] = man
    pkg.entries[signature_name(1)] = cades.sign_manifest(
        man, cert_der=pki.ec.der, chain=[], role=CHIEF, raw_sign=raw, scheme="ecdsa")
    assert verify(pkg.to_bytes(), pki).valid


def test_scheme_key_mismatch_refused(pki):
    with pytest.raises(ValueError):
        cades.sign_manifest(b"<m/>", cert_der=pki.ec.der, chain=[], role=CHIEF,
                            raw_sign=raw_signer(pki.ec.key, "ecdsa"), scheme="pkcs1v15")


def test_cert_expired_now_but_valid_at_signing_time(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.expired, pki, when=NOW - timedelta(days=100))
    rep = verify(pkg.to_bytes(), pki)
    assert rep.valid, rep.problems


# ---- tampering matrix -----------------------------------------------------


def _assert_invalid(rep, code):
    assert not rep.valid
    assert code in rep.codes(), [(p.code, p.where, p.message) for p in rep.problems]


@pytest.mark.parametrize("entry,code", [
    ("document.json", "manifest-digest-mismatch"),
    ("document.pdf", "manifest-digest-mismatch"),
    ("attachments/Hóa đơn 01.pdf", "manifest-digest-mismatch"),
    ("META-INF/ASiCManifest001.xml", "signature-invalid"),
    ("META-INF/ASiCManifest002.xml", "signature-invalid"),
    ("META-INF/signature001.p7s", "signature-invalid"),
    ("META-INF/signature002.p7s", "signature-invalid"),
])
def test_byte_changed_in_entry(pki, signed2, entry, code):
    pos = -1 if entry.endswith(".p7s") else None  # last byte of a .p7s: the signature value

    def fn(e):
        content = e[entry]
        e[entry] = flip(content, len(content) - 1 if pos == -1 else None)

    rep = verify(mutate(signed2, fn), pki)
    _assert_invalid(rep, code)
    if entry == "META-INF/signature001.p7s":
        # signature002 covers signature001, so it reports the change too
        assert any(p.code == "manifest-digest-mismatch" and p.where == entry
                   for p in rep.problems)


def test_manifest_digest_edited_consistently_still_fails(pki, signed2):
    """Re-pointing the manifest digest at a changed document breaks the CMS signature."""
    new_doc = DOC_BYTES.replace(b"8000000", b"9000000")

    def fn(e):
        old = base64.b64encode(hashlib.sha256(e["document.json"]).digest())
        new = base64.b64encode(hashlib.sha256(new_doc).digest())
        e["document.json"] = new_doc
        for i in (1, 2):
            e[manifest_name(i)] = e[manifest_name(i)].replace(old, new)

    rep = verify(mutate(signed2, fn), pki)
    _assert_invalid(rep, "signature-invalid")
    assert "document-invalid" in rep.codes()  # and the totals no longer add up


def test_signature_removed(pki, signed2):
    rep = verify(mutate(signed2, lambda e: e.pop(signature_name(1))), pki)
    _assert_invalid(rep, "role-missing")
    assert {"manifest-invalid", "entry-missing"} <= rep.codes()

    rep = verify(mutate(signed2, lambda e: e.pop(signature_name(2))), pki)
    _assert_invalid(rep, "manifest-invalid")


@pytest.mark.parametrize("name", ["attachments/extra.pdf", "notes.txt"])
def test_entry_added(pki, signed2, name):
    rep = verify(mutate(signed2, lambda e: e.__setitem__(name, b"%PDF-1.4 added later")), pki)
    _assert_invalid(rep, "entry-not-covered")
    assert any(p.where == name for p in rep.problems if p.code == "entry-not-covered")


def test_manifests_swapped(pki, signed2):
    def fn(e):
        e[manifest_name(1)], e[manifest_name(2)] = e[manifest_name(2)], e[manifest_name(1)]

    _assert_invalid(verify(mutate(signed2, fn), pki), "signature-invalid")


def test_signatures_reordered(pki, signed2):
    def fn(e):
        for a, b in ((manifest_name(1), manifest_name(2)), (signature_name(1), signature_name(2))):
            e[a], e[b] = e[b], e[a]

    _assert_invalid(verify(mutate(signed2, fn), pki), "role-order")


def test_head_signing_first_is_role_order(pki):
    data = build(pki, signers=((HEAD, "head"), (CHIEF, "chief")))
    rep = verify(data, pki)
    _assert_invalid(rep, "role-order")
    assert not rep.complete
    # each signature is cryptographically fine: the failure is the order only
    assert all(p.code in ("role-order", "revocation-not-checked") for p in rep.problems)


def test_role_repeated(pki):
    data = build(pki, signers=((CHIEF, "chief"), (CHIEF, "head")))
    _assert_invalid(verify(data, pki), "role-repeated")


def test_head_only(pki):
    rep = verify(build(pki, signers=((HEAD, "head"),)), pki)
    _assert_invalid(rep, "role-order")
    assert "role-missing" in rep.codes()


def test_later_manifest_not_covering_earlier_signature(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.chief, pki)
    add_signature(pkg, HEAD, pki.head, pki, earlier=[])
    _assert_invalid(verify(pkg.to_bytes(), pki), "earlier-signature-not-covered")


def test_signature_by_untrusted_ca(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.rogue, pki, chain=[pki.rogue_ca.der])
    rep = verify(pkg.to_bytes(), pki)
    _assert_invalid(rep, "certificate-untrusted")
    assert rep.signatures[0].verdict == "indeterminate"
    # trusted once its CA is an anchor
    assert verify_package(pkg.to_bytes(), [pki.rogue_ca.der], check_document=stub_check).valid


def test_cert_expired_at_signing_time(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.expired, pki, when=NOW)
    rep = verify(pkg.to_bytes(), pki)
    _assert_invalid(rep, "certificate-expired-at-signing")
    assert "certificate-untrusted" not in rep.codes()


def test_cert_without_key_usage(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.no_ku, pki)
    _assert_invalid(verify(pkg.to_bytes(), pki), "certificate-key-usage")


def test_document_invalid_is_reported(pki):
    bad = json.loads(DOC_BYTES)
    bad["total"] = 15500001
    data = build(pki, doc=json.dumps(bad, ensure_ascii=False).encode())
    rep = verify(data, pki)
    _assert_invalid(rep, "document-invalid")
    assert rep.signatures[0].verdict == "valid"  # the signatures themselves are fine


def test_missing_document_and_pdf(pki, signed2):
    rep = verify(mutate(signed2, lambda e: (e.pop("document.json"), e.pop("document.pdf"))), pki)
    _assert_invalid(rep, "document-missing")
    assert {"pdf-missing", "entry-missing"} <= rep.codes()


def test_structural_problems_reach_the_report(pki, signed2):
    import io
    import zipfile
    rep = verify(b"not a zip", pki)
    _assert_invalid(rep, "not-a-zip")

    pkg = Package.from_bytes(signed2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), asice.MIMETYPE, compress_type=zipfile.ZIP_DEFLATED)
        for name, content in pkg.entries.items():
            if name != "mimetype":
                zf.writestr(name, content)
        zf.writestr("../x", b"evil")
    rep = verify(buf.getvalue(), pki)
    _assert_invalid(rep, "mimetype-invalid")
    assert "entry-name-unsafe" in rep.codes()

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in pkg.entries.items():
            if name != "mimetype":
                zf.writestr(name, content)
        zf.writestr("mimetype", asice.MIMETYPE)
    _assert_invalid(verify(buf.getvalue(), pki), "mimetype-invalid")


def test_messages_are_vietnamese_and_located(pki, signed2):
    def fn(e):
        e[manifest_name(1)] = e[manifest_name(1)].replace(b"</asic:ASiCManifest>",
                                                          b"<!-- x --></asic:ASiCManifest>")

    rep = verify(mutate(signed2, fn), pki)
    p = [p for p in rep.problems if p.code == "signature-invalid"][0]
    assert p.message == ("Chữ ký số của Kế toán trưởng không khớp với nội dung bảng kê "
                         "(META-INF/signature001.p7s).")
    assert p.where == "META-INF/signature001.p7s"
