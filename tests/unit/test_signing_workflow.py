"""The signing workflow: document → chief accountant → head of unit, and its refusals."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from client.errors import InvalidInput, TokenError
from client.signing import workflow
from client.signing.asice import Package, manifest_name, signature_name
from client.signing.verify import verify_package
from client.signing.workflow import SignerSpec, prepare, sign, sign_prepared, write_atomic
from tests.unit.pkihelp import NOW, ec_key, make_signer, raw_signer
from tests.unit.test_cades_verify import DOC, DOC_BYTES, PKI

CHIEF, HEAD = "chief-accountant", "head-of-unit"


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


@pytest.fixture(autouse=True)
def _render(monkeypatch):
    """Use the real renderer when it is there; a stand-in otherwise (it is built concurrently)."""
    try:
        from client.render import render_pdf
        render_pdf(DOC)
    except Exception:  # noqa: BLE001
        import client.render as render_mod
        monkeypatch.setattr(render_mod, "render_pdf",
                            lambda doc: b"%PDF-1.4 stub " + json.dumps(doc).encode(), raising=False)


class Counting:
    def __init__(self, key, scheme):
        self.inner = raw_signer(key, scheme)
        self.calls = 0

    def __call__(self, data: bytes, hash_name: str) -> bytes:
        self.calls += 1
        return self.inner(data, hash_name)


def spec(who, scheme="pkcs1v15", chain=None, pki=None) -> SignerSpec:
    return SignerSpec(cert_der=who.der, chain=chain if chain is not None else [pki.ca.der],
                      scheme=scheme, raw_sign=Counting(who.key, scheme))


@pytest.fixture(scope="module")
def chief_signed(pki) -> bytes:
    return sign(DOC_BYTES, CHIEF, spec(pki.chief, pki=pki), trust=pki.trust)


def test_chief_then_head(pki, chief_signed):
    rep = verify_package(chief_signed, pki.trust)
    assert rep.valid and not rep.complete, rep.problems
    both = sign(chief_signed, HEAD, spec(pki.head, pki=pki), trust=pki.trust)
    rep = verify_package(both, pki.trust, require_complete=True)
    assert rep.valid and rep.complete, rep.problems
    assert [(s.role, s.signer_name) for s in rep.signatures] == [
        (CHIEF, "Phạm Thị Kế Toán"), (HEAD, "Hoàng Văn Thủ Trưởng")]
    pkg = Package.from_bytes(both)
    # the JSON bytes are exactly as given (never re-serialised), the first signature untouched
    assert pkg.entries["document.json"] == DOC_BYTES
    first = Package.from_bytes(chief_signed)
    for name in ("document.pdf", manifest_name(1), signature_name(1)):
        assert pkg.entries[name] == first.entries[name]
    assert b"META-INF/signature001.p7s" in pkg.entries[manifest_name(2)]


def test_prepared_pdf_is_the_package_pdf(pki):
    prepared = prepare(DOC_BYTES, trust=pki.trust)
    assert prepared.next_role == CHIEF and prepared.existing is None
    assert prepared.document["total"] == DOC["total"]
    data = sign_prepared(prepared, CHIEF, spec(pki.chief, pki=pki))
    assert Package.from_bytes(data).entries["document.pdf"] == prepared.pdf
    assert prepared.pdf.startswith(b"%PDF")


def test_prepare_package_for_second_signature(pki, chief_signed):
    prepared = prepare(chief_signed, trust=pki.trust)
    assert prepared.next_role == HEAD
    assert prepared.existing is not None and prepared.existing.valid
    assert prepared.pdf == Package.from_bytes(chief_signed).entries["document.pdf"]


def test_role_twice_refused(pki, chief_signed):
    signer = spec(pki.head, pki=pki)
    with pytest.raises(InvalidInput) as exc:
        sign(chief_signed, CHIEF, signer, trust=pki.trust)
    assert exc.value.problems[0].code == "role-repeated"
    assert "Kế toán trưởng đã ký" in exc.value.message
    assert signer.raw_sign.calls == 0


def test_out_of_order_refused(pki):
    signer = spec(pki.head, pki=pki)
    with pytest.raises(InvalidInput) as exc:
        sign(DOC_BYTES, HEAD, signer, trust=pki.trust)
    assert exc.value.problems[0].code == "role-order"
    assert signer.raw_sign.calls == 0


def test_complete_package_refused(pki, chief_signed):
    both = sign(chief_signed, HEAD, spec(pki.head, pki=pki), trust=pki.trust)
    with pytest.raises(InvalidInput) as exc:
        prepare(both, trust=pki.trust)
    assert exc.value.problems[0].code == "already-complete"


def test_invalid_document_refused(pki):
    bad = dict(DOC, total=DOC["total"] + 1)
    with pytest.raises(InvalidInput) as exc:
        prepare(json.dumps(bad, ensure_ascii=False).encode(), trust=pki.trust)
    assert exc.value.problems and all(p.severity == "error" for p in exc.value.problems)


def test_document_changed_after_prepare_is_checked_again(pki):
    """sign_prepared() trusts prepare()'s validation only for the very bytes it validated."""
    prepared = prepare(DOC_BYTES, trust=pki.trust)
    bad = dict(DOC, total=DOC["total"] + 1)
    prepared.package.entries["document.json"] = json.dumps(bad, ensure_ascii=False).encode()
    with pytest.raises(InvalidInput) as exc:
        sign_prepared(prepared, CHIEF, spec(pki.chief, pki=pki))
    assert "document-invalid" in {p.code for p in exc.value.problems}
    # untouched, the same prepared document signs
    assert verify_package(sign_prepared(prepare(DOC_BYTES, trust=pki.trust), CHIEF,
                                        spec(pki.chief, pki=pki)), pki.trust).valid


def test_tampered_package_refused(pki, chief_signed):
    pkg = Package.from_bytes(chief_signed)
    pkg.entries["document.pdf"] = pkg.entries["document.pdf"] + b"\n% changed"
    with pytest.raises(InvalidInput) as exc:
        prepare(pkg.to_bytes(), trust=pki.trust)
    assert "manifest-digest-mismatch" in {p.code for p in exc.value.problems}


def test_untrusted_first_signature_refused(pki, chief_signed):
    with pytest.raises(InvalidInput) as exc:
        prepare(chief_signed, trust=[pki.rogue_ca.der])
    assert "certificate-untrusted" in {p.code for p in exc.value.problems}


def test_expired_certificate_refused_before_token(pki):
    signer = SignerSpec(cert_der=pki.expired.der, chain=[pki.ca.der], scheme="ecdsa",
                        raw_sign=Counting(pki.expired.key, "ecdsa"))
    with pytest.raises(TokenError) as exc:
        sign(DOC_BYTES, CHIEF, signer, trust=pki.trust)
    assert exc.value.code == "cert-unusable"
    assert signer.raw_sign.calls == 0


def test_certificate_without_key_usage_refused_before_token(pki):
    signer = SignerSpec(cert_der=pki.no_ku.der, chain=[pki.ca.der], scheme="ecdsa",
                        raw_sign=Counting(pki.no_ku.key, "ecdsa"))
    with pytest.raises(TokenError) as exc:
        sign(DOC_BYTES, CHIEF, signer, trust=pki.trust)
    assert exc.value.code == "cert-unusable"
    assert signer.raw_sign.calls == 0


def test_wrong_key_is_caught_by_defensive_verification(pki):
    """A token answering with another key's signature never yields a package."""
    signer = SignerSpec(cert_der=pki.chief.der, chain=[pki.ca.der], scheme="pkcs1v15",
                        raw_sign=raw_signer(pki.head.key, "pkcs1v15"))
    with pytest.raises(InvalidInput) as exc:
        sign(DOC_BYTES, CHIEF, signer, trust=pki.trust)
    assert "signature-invalid" in {p.code for p in exc.value.problems}


def test_ecdsa_and_pss_signers_and_attachments(pki):
    ec = make_signer(pki.ca, "EC Signer", ec_key("p256"))
    data = sign(DOC_BYTES, CHIEF, spec(ec, "ecdsa", pki=pki), trust=pki.trust,
                attachments={"Giấy rút dự toán.pdf": b"%PDF-1.4 att"})
    data = sign(data, HEAD, spec(pki.head, "pss", pki=pki), trust=pki.trust)
    rep = verify_package(data, pki.trust)
    assert rep.valid and rep.complete, rep.problems
    assert "attachments/Giấy rút dự toán.pdf" in Package.from_bytes(data).entries
    with pytest.raises(InvalidInput):
        prepare(data, trust=pki.trust, attachments={"late.pdf": b"%PDF"})


def test_signing_time_is_now(pki):
    when = NOW - timedelta(hours=2)
    data = sign_prepared(prepare(DOC_BYTES, trust=pki.trust), CHIEF, spec(pki.chief, pki=pki),
                         now=when)
    rep = verify_package(data, pki.trust)
    assert rep.signatures[0].signing_time == when


def test_write_atomic(tmp_path):
    target = tmp_path / "goi.asice"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["goi.asice"]
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["goi.asice"]


def test_role_names():
    assert workflow.ROLE_NAMES_VI[CHIEF] == "Kế toán trưởng"
    assert workflow.ROLE_NAMES_VI[HEAD] == "Thủ trưởng đơn vị"


def test_intermediates_from_the_trust_store_go_into_the_signature():
    """package-format §1: the signature carries the intermediates the token *or the
    configured trust store* has, so a verifier that knows only the root accepts it."""
    from asn1crypto import cms

    from client.training.pki import create_ca, create_intermediate_ca, issue_signer_cert

    root = create_ca("Gốc Quốc Gia Thử", path_length=1)
    sub = create_intermediate_ca(root, "CA Trung Gian Thử")
    other = create_ca("CA Không Liên Quan")
    key = ec_key()
    cert = issue_signer_cert(sub, key.public_key(), name="NGƯỜI KÝ QUA TRUNG GIAN",
                             organisation="Trường Tiểu học Kim Liên", unit_code="1047665")
    signer = SignerSpec(cert_der=cert, chain=[], scheme="ecdsa", raw_sign=raw_signer(key, "ecdsa"))
    # the token holds no CA certificate; the trust store has root, intermediate and another CA
    package = sign(DOC_BYTES, CHIEF, signer,
                   trust=[root.cert_der, other.cert_der, sub.cert_der])
    sd = cms.ContentInfo.load(Package.from_bytes(package).entries[signature_name(1)])["content"]
    embedded = {c.chosen.dump() for c in sd["certificates"]}
    assert sub.cert_der in embedded
    assert root.cert_der not in embedded and other.cert_der not in embedded
    rep = verify_package(package, [root.cert_der])  # the treasury knows only the root
    assert rep.valid, rep.problems
