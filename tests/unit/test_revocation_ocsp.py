"""Revocation through OCSP, for real: a loopback OCSP responder named in the certificates.

Vietnamese CAs (VNPT-CA, Viettel-CA, FPT-CA…) publish OCSP responders in the
Authority Information Access extension. A two-level training PKI (root →
intermediate → signers) names ``http://127.0.0.1:PORT/…`` responders
(``tests.ocsp_responder``): the root's for the intermediate, the intermediate's
(signing itself, or through a delegated responder certificate) for the signers.
Some signers also name a CRL, published by the same server.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509 import ocsp

from client.i18n import set_language
from client.signing import asice, cades
from client.signing.asice import Package, build_manifest
from client.signing.verify import verify_package
from client.training.pki import create_ca, create_intermediate_ca, issue_crl, issue_signer_cert
from tests.ocsp_responder import OcspResponder, closed_port_url
from tests.unit.pkihelp import raw_signer
from tests.unit.test_cades_verify import DOC_BYTES, PDF, stub_check

CHIEF = "chief-accountant"
NOW = datetime.now(UTC).replace(microsecond=0)
KW = {"organisation": "Trường Tiểu học Kim Liên", "unit_code": "1047665",
      "not_before": NOW - timedelta(days=30)}


def _serial(der: bytes) -> int:
    return x509.load_der_x509_certificate(der).serial_number


class World:
    def __init__(self, responder: OcspResponder) -> None:
        self.responder = r = responder
        self.root = create_ca("Gốc Thử Nghiệm OCSP", path_length=1)
        self.sub = create_intermediate_ca(self.root, "Trung Gian OCSP", ocsp_url=r.url("/root"))
        # a second intermediate whose OCSP answers are signed by a delegated responder
        self.sub_d = create_intermediate_ca(self.root, "Trung Gian OCSP Ủy Quyền",
                                            ocsp_url=r.url("/root"))
        r.add_issuer(self.root)
        r.add_issuer(self.sub)
        self.responder_cert = r.add_issuer(self.sub_d, delegated=True)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key()
        ocsp_sub = r.url("/sub")
        self.good = issue_signer_cert(self.sub, pub, name="NGƯỜI TỐT", ocsp_url=ocsp_sub, **KW)
        self.revoked = issue_signer_cert(self.sub, pub, name="NGƯỜI BỊ THU HỒI",
                                         ocsp_url=ocsp_sub, **KW)
        self.late = issue_signer_cert(self.sub, pub, name="THU HỒI SAU KHI KÝ",
                                      ocsp_url=ocsp_sub, **KW)
        self.dead = issue_signer_cert(self.sub, pub, name="OCSP TẮT",
                                      ocsp_url=closed_port_url(), **KW)
        # OCSP and CRL: the responder is down, the CRL is published (and says "good" …
        self.both = issue_signer_cert(self.sub, pub, name="CÓ CẢ HAI", ocsp_url=closed_port_url(),
                                      crl_url=r.url("/sub.crl"), **KW)
        # … or lists it as revoked)
        self.both_revoked = issue_signer_cert(self.sub, pub, name="CẢ HAI THU HỒI",
                                              ocsp_url=closed_port_url(),
                                              crl_url=r.url("/sub.crl"), **KW)
        # OCSP answering, CRL server down
        self.both_crl_dead = issue_signer_cert(self.sub, pub, name="CRL TẮT", ocsp_url=ocsp_sub,
                                               crl_url=closed_port_url("/gone.crl"), **KW)
        self.delegated = issue_signer_cert(self.sub_d, pub, name="ỦY QUYỀN TỐT",
                                           ocsp_url=r.url("/sub-d"), **KW)
        self.delegated_revoked = issue_signer_cert(self.sub_d, pub, name="ỦY QUYỀN THU HỒI",
                                                   ocsp_url=r.url("/sub-d"), **KW)
        # CRL only, revoked an hour ago: after a signing time claimed three hours ago
        self.crl_late = issue_signer_cert(self.sub, pub, name="CRL THU HỒI SAU KHI KÝ",
                                          crl_url=r.url("/sub.crl"), **KW)
        self.revoked_at = NOW - timedelta(days=1)
        r.files["/sub.crl"] = issue_crl(self.sub, [(_serial(self.both_revoked), self.revoked_at),
                                                   (_serial(self.crl_late),
                                                    NOW - timedelta(hours=1))])
        self.trust = [self.root.cert_der]

    def configure(self) -> None:
        """Every test starts from this: all answer, these statuses."""
        r = self.responder
        r.reset()
        r.statuses.clear()
        for cert in (self.revoked, self.delegated_revoked):
            r.set(cert, "revoked", revoked_at=self.revoked_at,
                  reason=x509.ReasonFlags.key_compromise)
        r.set(self.late, "revoked", revoked_at=NOW - timedelta(hours=1))

    def package(self, cert_der: bytes, *, signing_time: datetime | None = None) -> bytes:
        issuer = self.sub_d if cert_der in (self.delegated, self.delegated_revoked) else self.sub
        pkg = Package.new(DOC_BYTES, PDF)
        man = build_manifest(1, pkg.entries, pkg.data_entries(), [])
        sig = cades.sign_manifest(man, cert_der=cert_der, chain=[issuer.cert_der], role=CHIEF,
                                  raw_sign=raw_signer(self.key), scheme="pkcs1v15",
                                  signing_time=signing_time)
        pkg.entries[asice.manifest_name(1)] = man
        pkg.entries[asice.signature_name(1)] = sig
        return pkg.to_bytes()


@pytest.fixture(scope="module")
def world():
    with OcspResponder() as responder:
        yield World(responder)


@pytest.fixture(autouse=True)
def _fresh(request):
    if "world" in request.fixturenames:
        request.getfixturevalue("world").configure()
    set_language(None)
    yield
    set_language(None)


def verify(world: World, data: bytes):
    return verify_package(data, world.trust, check_document=stub_check, online=True,
                          fetch_timeout=2)


def warnings(rep) -> list:
    return [p for p in rep.problems if p.code == "revocation-not-checked"]


# ---- the responder answers -------------------------------------------------------


def test_good_certificate_is_valid_and_the_responder_was_asked(world):
    rep = verify(world, world.package(world.good))
    assert rep.valid, rep.problems
    assert rep.signatures[0].verdict == "valid"
    assert "revocation-not-checked" not in rep.codes()
    asked = world.responder.requests
    # the signer (intermediate's responder) and the intermediate (root's responder)
    assert world.responder.serials_asked() == {_serial(world.good), _serial(world.sub.cert_der)}
    assert {(r.method, r.path, r.content_type) for r in asked} == {
        ("POST", "/sub", "application/ocsp-request"), ("POST", "/root", "application/ocsp-request")}
    assert all(r.nonce for r in asked)  # pyHanko sends a nonce; the responder echoes it


def test_revoked_before_signing_is_invalid(world):
    rep = verify(world, world.package(world.revoked))
    assert not rep.valid
    sig = rep.signatures[0]
    assert sig.verdict == "invalid"
    [problem] = [p for p in sig.reasons if p.code == "certificate-revoked"]
    assert problem.severity == "error"
    vn_time = world.revoked_at.astimezone(timezone(timedelta(hours=7)))
    assert problem.message == ("Chữ ký số của Kế toán trưởng: chứng thư số của NGƯỜI BỊ THU HỒI "
                               f"đã bị thu hồi từ ngày {vn_time:%d/%m/%Y %H:%M}.")
    assert "revocation-not-checked" not in rep.codes()  # revoked says it all
    assert _serial(world.revoked) in world.responder.serials_asked()


def test_delegated_responder_certificate_is_accepted(world):
    """Answers signed by a responder certificate (id-kp-OCSPSigning) the CA issued."""
    assert world.responder_cert is not None
    good = verify(world, world.package(world.delegated))
    assert good.valid and "revocation-not-checked" not in good.codes(), good.problems
    bad = verify(world, world.package(world.delegated_revoked))
    assert not bad.valid and "certificate-revoked" in bad.codes()


# ---- the responder fails: soft-fail, always named ---------------------------------


@pytest.mark.parametrize(("mode", "names"), [
    ("down", "Failed to fetch OCSP response from http://127.0.0.1:"),
    ("http-500", "Failed to fetch OCSP response from http://127.0.0.1:"),
    ("garbage", "Failed to parse response from OCSP server"),
])
def test_responder_failure_is_a_named_warning_not_a_silent_pass(world, mode, names):
    if mode == "down":
        cert = world.dead
    else:
        cert = world.good
        world.responder.modes["/sub"] = mode
    rep = verify(world, world.package(cert))
    [warn] = warnings(rep)
    assert warn.severity == "warning"
    assert "không trả lời" in warn.message and names in warn.message
    assert "chưa xác nhận được chứng thư số không bị thu hồi" in warn.message
    # soft fail: the signature itself is fine, and says it was not confirmed
    assert rep.valid and rep.signatures[0].verdict == "valid"
    assert warn in rep.signatures[0].reasons
    if mode != "down":
        assert _serial(world.good) in world.responder.serials_asked()


def test_intermediate_responder_down_is_named_too(world):
    world.responder.modes["/root"] = "http-500"
    rep = verify(world, world.package(world.good))
    [warn] = warnings(rep)
    assert "/root" in warn.message
    assert rep.valid


@pytest.mark.parametrize(("mode", "status", "detail"), [
    ("try-later", None, "try_later"),
    ("answer", "unknown", "OCSP: unknown"),
    ("forged", None, "unauthorized certificate"),
])
def test_answer_that_does_not_settle_the_status_is_named_not_called_untrusted(
        world, mode, status, detail):
    """tryLater, "unknown" and a response signed by an impostor: pyHanko rejects the path;
    the verifier says why (revocation-unknown), not that the CA is untrusted."""
    world.responder.modes["/sub"] = mode
    if status:
        world.responder.set(world.good, status)
    rep = verify(world, world.package(world.good))
    assert not rep.valid
    assert rep.signatures[0].verdict == "indeterminate"
    assert "certificate-untrusted" not in rep.codes()
    [problem] = [p for p in rep.problems if p.code == "revocation-unknown"]
    assert problem.severity == "error"
    assert "không xác định được tình trạng thu hồi của chứng thư số của" in problem.message
    assert detail in problem.message


def test_intermediate_answer_that_does_not_settle_names_the_ca(world):
    world.responder.modes["/root"] = "try-later"
    rep = verify(world, world.package(world.good))
    [problem] = [p for p in rep.problems if p.code == "revocation-unknown"]
    assert "tổ chức cấp (CA) trong chuỗi" in problem.message and "/root" in problem.message


def test_revoked_after_the_claimed_signing_time_is_not_valid(world):
    """Revoked an hour ago, signature claims three hours ago (no timestamp proves it):
    pyHanko does not accept the OCSP answer as "good" at the signing time."""
    rep = verify(world, world.package(world.late, signing_time=NOW - timedelta(hours=3)))
    assert not rep.valid and rep.signatures[0].verdict == "indeterminate"
    [problem] = [p for p in rep.problems if p.code == "revocation-unknown"]
    assert "after the signing time" in problem.message


def test_crl_revoked_after_the_claimed_signing_time_is_not_valid_either(world):
    """The same case through a CRL: pyHanko accepts the path (at the claimed time the
    certificate was good); nothing proves that time, so the verdict is indeterminate."""
    rep = verify(world, world.package(world.crl_late, signing_time=NOW - timedelta(hours=3)))
    assert not rep.valid and rep.signatures[0].verdict == "indeterminate", rep.problems
    [problem] = [p for p in rep.problems if p.code == "revocation-unknown"]
    assert "CRL THU HỒI SAU KHI KÝ" in problem.message and "sau thời điểm ký" in problem.message
    # the same CRL, a certificate it does not list: valid
    rep = verify(world, world.package(world.both))
    assert rep.valid, rep.problems


# ---- OCSP and CRL together ----------------------------------------------------------


def test_ocsp_down_but_crl_published_settles_it_without_a_warning(world):
    """pyHanko records the OCSP failure as a soft-fail although the CRL then settled the
    status; the verifier checks again from the fetched answers and says nothing."""
    rep = verify(world, world.package(world.both))
    assert rep.valid and rep.signatures[0].verdict == "valid", rep.problems
    assert "revocation-not-checked" not in rep.codes()
    assert any(r.path == "/sub.crl" for r in world.responder.requests)


def test_ocsp_down_and_crl_lists_it_revoked(world):
    rep = verify(world, world.package(world.both_revoked))
    assert not rep.valid and "certificate-revoked" in rep.codes()


def test_ocsp_good_is_enough_and_the_crl_is_not_fetched(world):
    rep = verify(world, world.package(world.both_crl_dead))
    assert rep.valid and "revocation-not-checked" not in rep.codes(), rep.problems
    assert _serial(world.both_crl_dead) in world.responder.serials_asked()


def test_ocsp_unsettled_and_crl_down_is_still_a_warning(world):
    """An impostor's OCSP answer and an unreachable CRL: pyHanko soft-fails on the CRL;
    the verifier warns (it never passes silently)."""
    world.responder.modes["/sub"] = "forged"
    rep = verify(world, world.package(world.both_crl_dead))
    [warn] = warnings(rep)
    assert "Failure to fetch CRL" in warn.message


# ---- the command line ------------------------------------------------------------------


def _cli(world, tmp_path, capsys, cert: bytes, *lang: str) -> tuple[int, str]:
    from client.cli import main

    (tmp_path / "p.asice").write_bytes(world.package(cert))
    (tmp_path / "root.pem").write_bytes(world.root.cert_pem())
    rc = main(["--home", str(tmp_path / "home"), *lang, "verify", str(tmp_path / "p.asice"),
               "--trust", str(tmp_path / "root.pem"), "--online", "--timeout", "2"])
    return rc, capsys.readouterr().out


def test_cli_verify_online_revoked_in_vietnamese_and_english(world, tmp_path, capsys):
    rc, out = _cli(world, tmp_path, capsys, world.revoked)
    assert rc == 1
    assert "KHÔNG HỢP LỆ" in out
    assert "[Lỗi] Chữ ký số của Kế toán trưởng: chứng thư số của NGƯỜI BỊ THU HỒI đã bị thu hồi " \
           "từ ngày" in out
    rc, out = _cli(world, tmp_path, capsys, world.revoked, "--lang", "en")
    assert rc == 1
    assert "certificate of NGƯỜI BỊ THU HỒI has been revoked since" in out
    assert "đã bị thu hồi" not in out


def test_cli_verify_online_responder_down_in_vietnamese_and_english(world, tmp_path, capsys):
    rc, out = _cli(world, tmp_path, capsys, world.dead)
    assert rc == 0
    assert "[Lưu ý] Chữ ký số của Kế toán trưởng: không lấy được thông tin thu hồi chứng thư số " \
           "(máy chủ OCSP/CRL không trả lời: Failed to fetch OCSP response" in out
    rc, out = _cli(world, tmp_path, capsys, world.dead, "--lang", "en")
    assert rc == 0
    assert "revocation information could not be fetched (the OCSP/CRL server did not answer: " \
           "Failed to fetch OCSP response" in out


def test_cli_verify_online_unsettled_answer_in_english(world, tmp_path, capsys):
    world.responder.set(world.good, "unknown")
    rc, out = _cli(world, tmp_path, capsys, world.good, "--lang", "en")
    assert rc == 1
    assert "the revocation status of the certificate of NGƯỜI TỐT could not be established" in out
    assert "(OCSP: unknown)" in out


# ---- the responder itself ----------------------------------------------------------------


def test_responder_answers_rfc6960_get_requests_too(world):
    """pyHanko POSTs; RFC 6960 also allows GET /<base64 request>, which the responder serves."""
    cert = x509.load_der_x509_certificate(world.revoked)
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, world.sub.cert, hashes.SHA1()).build()
    encoded = base64.b64encode(req.public_bytes(serialization.Encoding.DER)).decode()
    resp = requests.get(world.responder.url("/sub/") + requests.utils.quote(encoded, safe=""),
                        timeout=2)
    answer = ocsp.load_der_ocsp_response(resp.content)
    assert resp.headers["Content-Type"] == "application/ocsp-response"
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert answer.revocation_reason == x509.ReasonFlags.key_compromise
    assert answer.serial_number == cert.serial_number
    assert world.responder.requests[-1].method == "GET"
