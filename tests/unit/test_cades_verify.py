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
from pathlib import Path
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


def test_verification_parses_the_claimed_role_without_warnings(pki, signed2, caplog):
    """pyHanko parses claimed attributes itself; our UTF8String role must not make it
    log "Failed to parse claimed attribute of type 'role'" (with a traceback) on every
    verification, and nothing of ours may hide such a warning."""
    import logging

    caplog.set_level(logging.WARNING)
    rep = verify(signed2, pki)
    assert rep.valid, rep.problems
    noisy = [r for r in caplog.records if r.name.startswith("pyhanko") and r.levelno >= logging.WARNING]
    assert noisy == [], [r.getMessage() for r in noisy]
    for name in ("pyhanko.sign.validation.status", "pyhanko.sign.validation"):
        assert logging.getLogger(name).filters == []


def test_claimed_role_reads_both_syntaxes():
    """The value we write (UTF8String, CAdES practice) and RFC 5755 RoleSyntax both parse."""
    from asn1crypto import cms as acms
    from asn1crypto import x509 as ax509

    attr = cades.role_attribute(HEAD)
    # SEQUENCE { OID 2.5.4.72, SET { UTF8String "head-of-unit" } }
    assert attr.dump() == bytes.fromhex("3015060355044831 0e0c0c".replace(" ", "")) + HEAD.encode()
    again = acms.AttCertAttribute.load(attr.dump())
    assert [v.native for v in again["values"]] == [HEAD]
    assert again["values"][0].chosen.tag == 12  # UTF8String
    rfc5755 = acms.AttCertAttribute({
        "type": "role",
        "values": [cades.ClaimedRole(name="role_syntax", value=acms.RoleSyntax({
            "role_name": ax509.GeneralName(name="uniform_resource_identifier",
                                           value="urn:example:head-of-unit")}))],
    })
    parsed = acms.AttCertAttribute.load(rfc5755.dump())
    assert parsed["values"][0].name == "role_syntax"
    assert parsed["values"][0].chosen["role_name"].native == "urn:example:head-of-unit"


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


def test_signature_by_untrusted_ca(pki, caplog):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.rogue, pki, chain=[pki.rogue_ca.der])
    rep = verify(pkg.to_bytes(), pki)
    _assert_invalid(rep, "certificate-untrusted")
    assert rep.signatures[0].verdict == "indeterminate"
    # named once, as a Problem: pyHanko's own warning + traceback stays out of the user's log
    noisy = [r for r in caplog.records if r.name.startswith("pyhanko") and r.levelno >= 30]
    assert noisy == [], [r.getMessage() for r in noisy]
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


# ---- the verify command ---------------------------------------------------


def _cli_verify(tmp_path, capsys, data: bytes, ca_pem: bytes, *extra: str) -> tuple[int, str, str]:
    from client.cli import main

    (tmp_path / "p.asice").write_bytes(data)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    rc = main(["--home", str(tmp_path / "home"), "verify", str(tmp_path / "p.asice"),
               "--trust", str(tmp_path / "ca.pem"), *extra])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_verify_json_gives_a_verdict_and_vietnamese_reasons_per_signature(pki, signed2, tmp_path,
                                                                          capsys):
    tampered = mutate(signed2, lambda e: e.__setitem__(
        signature_name(2), flip(e[signature_name(2)], len(e[signature_name(2)]) - 1)))
    rc, out, _ = _cli_verify(tmp_path, capsys, tampered, pki.ca.pem, "--json")
    assert rc == 1
    rep = json.loads(out)
    assert rep["valid"] is False
    first, second = rep["signatures"]
    assert (first["role"], first["role_name"], first["signer_name"]) == \
        (CHIEF, "Kế toán trưởng", "Phạm Thị Kế Toán")
    assert first["signing_time"] and first["certificate"]["issuer"] == "KBNN Test CA"
    assert (first["verdict"], first["verdict_vi"]) == ("valid", "hợp lệ")
    assert (second["verdict"], second["verdict_vi"]) == ("invalid", "không hợp lệ")
    [bad] = [r for r in second["reasons"] if r["severity"] == "error"]
    assert bad["code"] == "signature-invalid" and bad["where"] == signature_name(2)
    assert bad["message"].startswith("Chữ ký số của Thủ trưởng đơn vị")
    # offline, a valid signature carries a named revocation warning, never a silent pass
    [warn] = [r for r in first["reasons"] if r["code"] == "revocation-not-checked"]
    assert warn["severity"] == "warning" and "chưa kiểm tra tình trạng thu hồi" in warn["message"]


def test_verify_text_names_untrusted_as_undetermined_and_warns_offline(pki, tmp_path, capsys):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.rogue, pki, chain=[pki.rogue_ca.der])
    rc, out, err = _cli_verify(tmp_path, capsys, pkg.to_bytes(), pki.ca.pem)
    assert rc == 1
    text = out + err
    assert "KHÔNG HỢP LỆ" in text and "CHƯA XÁC ĐỊNH" in text
    assert "không được cấp bởi tổ chức chứng thực tin cậy" in text
    assert "chưa kiểm tra tình trạng thu hồi" in text

    rc, out, err = _cli_verify(tmp_path, capsys, build(pki, signers=((CHIEF, "chief"),)),
                               pki.ca.pem)
    assert rc == 0
    assert "HỢP LỆ (chưa đủ chữ ký)" in out and "HỢP LỆ" in out
    assert "[Lưu ý]" in out + err and "chưa kiểm tra tình trạng thu hồi" in out + err


# ---- the other rules of package-format §1/§4 --------------------------------


def _sign_outside_profile(manifest: bytes, who: pkihelp.Issued, md: str, mech: str) -> bytes:
    """A CMS signature made with pyHanko directly, outside what cades.sign_manifest allows."""
    from asn1crypto import algos
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = ax509.Certificate.load(who.der)
    h = {"sha256": hashes.SHA256(), "sha512": hashes.SHA512()}[md]

    def raw(data: bytes, _hash: str) -> bytes:
        return who.key.sign(data, padding.PKCS1v15(), h)

    signer = cades.CallbackSigner(cert, [], raw, algos.SignedDigestAlgorithm({"algorithm": mech}))
    attrs = cades.PdfCMSSignedAttributes(
        signing_time=pkihelp.NOW,
        cades_signed_attrs=cades.CAdESSignedAttrSpec(signer_attributes=cades.SignerAttrSpec(
            claimed_attrs=[cades.role_attribute(CHIEF)], certified_attrs=[])))
    return cades.run_sync(signer.async_sign_general_data(
        manifest, md, detached=True, use_cades=True, signed_attr_settings=attrs)).dump()


@pytest.mark.parametrize("key_bits,md,mech", [
    (2048, "sha512", "sha512_rsa"),  # SHA-512 is not in version 1
    (1024, "sha256", "sha256_rsa"),  # RSA below 2048 bits
])
def test_algorithm_outside_the_profile_is_refused(pki, key_bits, md, mech):
    who = make_signer(pki.ca, f"RSA {key_bits}", rsa_key(7, key_bits))
    pkg = Package.new(DOC_BYTES, PDF)
    man = build_manifest(1, pkg.entries, pkg.data_entries(), [])
    pkg.entries[manifest_name(1)] = man
    pkg.entries[signature_name(1)] = _sign_outside_profile(man, who, md, mech)
    rep = verify(pkg.to_bytes(), pki)
    _assert_invalid(rep, "algorithm-not-allowed")
    [p] = [p for p in rep.problems if p.code == "algorithm-not-allowed"]
    assert "thuật toán không được phép" in p.message and p.where == signature_name(1)
    assert rep.signatures[0].verdict == "invalid"


def test_signing_time_in_the_future_is_a_warning(pki):
    pkg = Package.new(DOC_BYTES, PDF)
    add_signature(pkg, CHIEF, pki.chief, pki, when=NOW + timedelta(days=2))
    rep = verify(pkg.to_bytes(), pki, now=NOW)
    [p] = [p for p in rep.problems if p.code == "signing-time-in-future"]
    assert p.severity == "warning" and "tương lai" in p.message
    assert rep.valid  # a wrong PC clock is named, not a forgery


def test_pdf_that_is_not_a_pdf_and_unexpected_entries_are_named(pki):
    pkg = Package.new(DOC_BYTES, b"this is not a PDF")
    add_signature(pkg, CHIEF, pki.chief, pki)
    rep = verify(pkg.to_bytes(), pki)
    _assert_invalid(rep, "pdf-invalid")

    signed = build(pki, signers=((CHIEF, "chief"),))
    rep = verify(mutate(signed, lambda e: e.__setitem__("META-INF/ghi-chu.txt", b"x")), pki)
    _assert_invalid(rep, "entry-unexpected")
    assert any(p.where == "META-INF/ghi-chu.txt" for p in rep.problems
               if p.code == "entry-unexpected")


def _tsa(ca: pkihelp.Issued, name: str) -> pkihelp.Issued:
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa_key(8)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.cert.subject).public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=30)).not_valid_after(NOW + timedelta(days=365))
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(cx509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                       critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return pkihelp.Issued(key, cert)


def _timestamped_package(pki: PKI, tsa: pkihelp.Issued) -> bytes:
    from asn1crypto import keys as akeys
    from asn1crypto import x509 as ax509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    stamper = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(tsa.der),
        tsa_key=akeys.PrivateKeyInfo.load(tsa.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))
    pkg = Package.new(DOC_BYTES, PDF)
    man = build_manifest(1, pkg.entries, pkg.data_entries(), [])
    cert = cades.x509.Certificate.load(pki.chief.der)
    signer = cades.CallbackSigner(cert, [], raw_signer(pki.chief.key),
                                  cades.signature_mechanism(cert, "pkcs1v15", "sha256"))
    attrs = cades.PdfCMSSignedAttributes(
        signing_time=NOW,
        cades_signed_attrs=cades.CAdESSignedAttrSpec(signer_attributes=cades.SignerAttrSpec(
            claimed_attrs=[cades.role_attribute(CHIEF)], certified_attrs=[])))
    sig = cades.run_sync(signer.async_sign_general_data(
        man, "sha256", detached=True, use_cades=True, timestamper=stamper,
        signed_attr_settings=attrs)).dump()
    pkg.entries[manifest_name(1)] = man
    pkg.entries[signature_name(1)] = sig
    return pkg.to_bytes()


def test_signature_timestamp_when_present_must_verify(pki):
    """package-format §1: an RFC 3161 signature timestamp is optional; present, it must verify."""
    good = _timestamped_package(pki, _tsa(pki.ca, "TSA tin cậy"))
    si = cms.ContentInfo.load(Package.from_bytes(good).entries[signature_name(1)])["content"][
        "signer_infos"][0]
    assert [a["type"].native for a in si["unsigned_attrs"]] == ["signature_time_stamp_token"]
    rep = verify(good, pki)
    assert rep.valid and "timestamp-invalid" not in rep.codes(), rep.problems

    rogue = _timestamped_package(pki, _tsa(pki.rogue_ca, "TSA lạ"))
    rep = verify(rogue, pki)
    _assert_invalid(rep, "timestamp-invalid")
    assert rep.signatures[0].verdict == "indeterminate"
    assert "dấu thời gian" in next(p.message for p in rep.problems if p.code == "timestamp-invalid")


def test_trust_anchors_national_roots_training_ca_settings_and_flag(pki, tmp_path, monkeypatch,
                                                                   capsys):
    """Where the verifier's anchors come from: resources/trust/, the training CA (only in
    training mode, never the signer certificates beside it), settings.ini, --trust."""
    from client.cli import main
    from client.home import Home
    from client.signing import trust as trust_mod

    package = build(pki, signers=((CHIEF, "chief"),))
    (tmp_path / "p.asice").write_bytes(package)

    def verify_in(home: Path, *extra: str) -> int:
        rc = main(["--home", str(home), "verify", str(tmp_path / "p.asice"), "--json", *extra])
        return rc if json.loads(capsys.readouterr().out)["valid"] == (rc == 0) else -1

    # a real home knows nothing of the test CA
    real = tmp_path / "real"
    assert verify_in(real) == 1
    # --trust
    (tmp_path / "ca.pem").write_bytes(pki.ca.pem)
    assert verify_in(real, "--trust", str(tmp_path / "ca.pem")) == 0
    # settings.ini [signing] trust
    home = Home(real)
    home.set("signing", "trust", str(tmp_path / "ca.pem"))
    home.save()
    assert verify_in(real) == 0

    # training mode: training-data/pki/ca.pem is an anchor, a signer certificate there is not
    training = tmp_path / "training"
    home = Home(training)
    home.set("profile", "mode", "training")
    home.save()
    pki_dir = home.training_dir / "pki"
    pki_dir.mkdir(parents=True)
    (pki_dir / "chief.pem").write_bytes(pki.chief.pem)
    assert trust_mod.trust_anchors(Home(training)) == []
    assert verify_in(training) == 1
    (pki_dir / "ca.pem").write_bytes(pki.ca.pem)
    assert trust_mod.trust_anchors(Home(training)) == [pki.ca.der]
    assert verify_in(training) == 0

    # the national roots: every certificate file in resources/trust/
    shipped = tmp_path / "resources-trust"
    shipped.mkdir()
    (shipped / "README.md").write_text("not a certificate")
    (shipped / "root.pem").write_bytes(pki.ca.pem)
    monkeypatch.setattr(trust_mod, "resource", lambda *parts: shipped)
    assert trust_mod.national_roots() == [pki.ca.der]
    assert verify_in(tmp_path / "other") == 0
