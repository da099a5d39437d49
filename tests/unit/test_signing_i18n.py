"""English texts of signing, tokens, the transport and the outbox (issue 8).

``kbnn-client --lang en`` runs in-process through ``client.cli.main``; the other
tests call the core functions with the language set to English and check that the
default language still gives the Vietnamese texts, byte for byte.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from cryptography.hazmat.primitives.asymmetric import ec

from client.cli import main
from client.errors import InvalidInput
from client.i18n import set_language
from client.signing.certs import cert_info, check_usable
from client.signing.preflight import (
    OnlineFacts,
    clock_problem,
    pin_problems_before_asking,
)
from client.signing.tokens import pin_incorrect_error
from client.training.pki import create_ca, issue_signer_cert
from client.transport.api import problem_message, unreachable
from client.transport.outbox import OutboxNotice

NOW = datetime(2026, 10, 25, 3, 0, tzinfo=UTC)



def test_cli_queue_cancel_of_an_unknown_item_in_english_and_by_default(capsys, tmp_path):
    home = str(tmp_path / "home")
    assert main(["--home", home, "--lang", "en", "queue", "cancel", "999"]) == InvalidInput.exit_code
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: Item #999 not found in the send queue.")
    assert main(["--home", home, "queue", "cancel", "999"]) == InvalidInput.exit_code
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: Không tìm thấy mục #999 trong hàng đợi gửi.")


def test_expired_certificate_in_english():
    ca = create_ca()
    end = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 2 March in Vietnam
    der = issue_signer_cert(ca, ec.generate_private_key(ec.SECP256R1()).public_key(),
                            name="NGUYỄN VĂN AN", organisation="Trường A", unit_code="1047665",
                            not_before=end - timedelta(days=700), not_after=end)
    info = cert_info(der)
    vi = check_usable(info, NOW)[0].message
    assert vi.startswith("Chứng thư số đã hết hạn ngày 02/03/2026; không thể dùng để ký.")
    set_language("en")
    problems = check_usable(info, NOW)
    assert [p.code for p in problems] == ["cert-expired"]
    assert problems[0].message == ("The certificate expired on 02/03/2026; it cannot be used to "
                                   "sign. Contact the digital signature provider to renew it.")


def test_clock_and_pin_warnings_in_english():
    token = SimpleNamespace(label="KTT", pin_locked=False, pin_final_try=True, pin_count_low=True)
    ahead = timedelta(hours=1, minutes=10)
    assert clock_problem(ahead).message.startswith(
        "Đồng hồ máy tính đang nhanh 1 giờ 10 phút so với giờ của Kho bạc.")
    set_language("en")
    assert clock_problem(ahead).message.startswith(
        "The computer clock is 1 h 10 min ahead of the treasury's time.")
    assert clock_problem(-timedelta(days=2)).message.startswith(
        "The computer clock is 2 d behind the treasury's time.")
    [final] = pin_problems_before_asking(token)
    assert final.code == "pin-final-try" and final.message == (
        "WARNING: this is the last PIN attempt. A wrong PIN will lock the token.")
    assert OnlineFacts.not_checked("x").problems[0].message.startswith(
        "Could not check with the treasury (x): ")


def test_pin_and_transport_errors_in_english():
    assert pin_incorrect_error(None).message.startswith("Mã PIN không đúng. Token có thể vẫn")
    assert unreachable("dns-error").message.startswith("Không tìm thấy máy chủ Kho bạc")
    set_language("en")
    err = pin_incorrect_error(None)
    assert err.code == "pin-incorrect" and err.message.startswith(
        "Wrong PIN. The token may still have a few tries left")
    err = unreachable("dns-error")
    assert err.failure == "dns-error" and err.message == (
        "The treasury server was not found (DNS name resolution error). Check the network "
        "connection and the server address.")
    assert problem_message(b"", 503) == ("The treasury server is overloaded (HTTP 503); "
                                         "will retry later.")
    # the treasury's own words are never translated
    assert problem_message({"title": "Từ chối", "detail": "Sai mã"}, 422) == "Từ chối: Sai mã"


def test_outbox_notice_in_english():
    notice = OutboxNotice(id=1, local_id=7, kind="paid", document_number="HD-01", doc_kind="x",
                          total=1_500_000, old_status="accepted", new_status="paid", reason=None,
                          receipt=True, at="2026-10-25T03:00:00Z")
    assert (notice.title, notice.text) == (
        "Hồ sơ đã được thanh toán",
        "Chứng từ số HD-01 (1.500.000 đ): Đã thanh toán — đã có chứng từ báo Nợ.")
    set_language("en")
    assert notice.title == "The document has been paid"
    assert notice.text == "Document no. HD-01 (1.500.000 VND): Paid — debit advice available."


def test_verification_report_text_in_english():
    from client.errors import Problem
    from client.signing.verify import format_report

    sig = SimpleNamespace(file="META-INF/signature1.p7s", role="chief-accountant",
                          signer_name="NGUYỄN VĂN AN", signing_time=None, verdict="valid")
    report = SimpleNamespace(valid=True, complete=False, signatures=[sig],
                             problems=[Problem("x-code", "chi tiết", "", "warning")])
    assert format_report(report).splitlines()[:2] == [
        "Gói HỢP LỆ.", "Gói chưa đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị."]
    set_language("en")
    lines = format_report(report).splitlines()
    assert lines[0] == "Package VALID."
    assert lines[2] == ("  META-INF/signature1.p7s: chief accountant — NGUYỄN VĂN AN — signed at ? "
                        "— valid")
    assert lines[3].startswith("  [Note] x-code: ")


def test_module_probe_child_answers_in_the_callers_language(tmp_path):
    from client.signing.tokens import probe_module

    bogus = tmp_path / "libbogus.so"
    bogus.write_bytes(b"\x7fELF garbage")
    res = probe_module(str(bogus))
    assert not res.ok and res.message.startswith("Không nạp được mô-đun PKCS#11 «")
    set_language("en")
    res = probe_module(str(bogus))  # loaded in a child process
    assert not res.ok and res.message.startswith("Cannot load the PKCS#11 module «")
    assert "The module may be 32-bit while the application runs 64-bit" in res.message
    assert probe_module(str(tmp_path / "missing.so")).message == (
        f"The PKCS#11 module file «{tmp_path / 'missing.so'}» was not found.")


def test_package_verification_problems_in_english():
    import io
    import zipfile

    from client.signing.verify import verify_package

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.etsi.asic-e+zip", compress_type=zipfile.ZIP_STORED)
    data = buf.getvalue()
    vi = {p.code: p.message for p in verify_package(data, []).problems}
    assert vi["role-missing"] == "Gói thiếu chữ ký số của Kế toán trưởng."
    set_language("en")
    en = {p.code: p.message for p in verify_package(data, []).problems}
    assert en["document-missing"] == "The package lacks the file document.json."
    assert en["role-missing"] == "The package lacks the signature of the chief accountant."
