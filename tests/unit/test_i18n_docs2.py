"""Documents, confirmations, the document store, the transport and training in English (issue 8).

``kbnn-client --lang en validate`` runs in-process on broken ``document.json`` files; the
rest calls the core under ``set_language("en")`` with a real SQLite database. The default
language stays Vietnamese, byte for byte.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from client.cli import main
from client.documents.checks import KIND_SALARY, KIND_VOUCHERS, registered
from client.documents.confirmations import Gate, refuse_unless_ok
from client.errors import InvalidInput, Problem, UsageError
from client.home import Home
from client.i18n import set_language
from client.store.db import connect
from client.store.documents import DocumentRepo
from client.training.token import softhsm_install_hint
from client.transport.network import NetworkSettings, client_for_home, proxy_config
from client.transport.sync import SyncReport, SyncService

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)



def validate(capsys, tmp_path: Path, data: bytes, *lang: str) -> tuple[int, str]:
    doc = tmp_path / "document.json"
    doc.write_bytes(data)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    code = main(["--home", str(home), *lang, "validate", str(doc)])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_validate_broken_document_speaks_english(capsys, tmp_path):
    code, text = validate(capsys, tmp_path, b"\xef\xbb\xbf{}", "--lang", "en")
    assert code == 1
    assert "The file document.json must not start with a BOM." in text
    assert "The file starts with a BOM (U+FEFF)." in text
    _code, text = validate(capsys, tmp_path, b'{"a": 1, "a": 2}', "--lang", "en")
    assert "The file document.json is not valid." in text and "key «a» appears twice." in text
    _code, text = validate(capsys, tmp_path, b'{"a": 1,', "--lang", "en")
    assert "The file document.json is not valid JSON." in text
    assert "Syntax error at line 1, column 9: " in text
    _code, text = validate(capsys, tmp_path, b"[1]", "--lang", "en")
    assert "The file document.json must be a JSON object ({…})." in text
    assert "tệp" not in text.lower() and "Nội dung" not in text


def test_validate_broken_document_stays_vietnamese_by_default(capsys, tmp_path):
    code, text = validate(capsys, tmp_path, b"\xef\xbb\xbf{}")
    assert code == 1
    assert "Tệp document.json không được bắt đầu bằng dấu BOM." in text
    assert "Tệp bắt đầu bằng dấu BOM (U+FEFF)." in text
    _code, text = validate(capsys, tmp_path, b'{"a": 1,')
    assert "Lỗi cú pháp ở dòng 1, cột 9: " in text


def test_check_titles_follow_the_language():
    vi = {c.code: c.title for c in registered(KIND_SALARY)}
    assert vi["bank-unknown"] == "Tên ngân hàng nhận ra được"
    set_language("en")
    en = {c.code: c.title for c in registered(KIND_SALARY) + registered(KIND_VOUCHERS)}
    assert en["bank-unknown"] == "Bank names are recognised"
    assert en["legacy-text"] == "No text left in old encodings (TCVN3, VNI)"
    assert en["voucher-duplicate"] == "Each voucher is listed only once"
    for code, title in en.items():
        assert title and not VIETNAMESE.search(title), (code, title)


def test_signing_gate_refusals_in_english_and_vietnamese():
    error = Problem("amount-not-positive", "x", "lines[0].amount")
    warning = Problem("bank-unknown", "y", "lines[0].bank", "warning")
    set_language("en")
    with pytest.raises(InvalidInput) as info:
        refuse_unless_ok(Gate(errors=[error]))
    assert info.value.message == "Cannot sign yet: the document still has 1 error(s) to fix."
    with pytest.raises(InvalidInput) as info:
        refuse_unless_ok(Gate(unconfirmed=[warning, warning]))
    assert info.value.message == ("Cannot sign yet: 2 warning(s) not confirmed yet "
                                  "(bank-unknown).")
    set_language(None)
    with pytest.raises(InvalidInput) as info:
        refuse_unless_ok(Gate(errors=[error]))
    assert info.value.message == "Chưa ký được: tài liệu còn 1 lỗi phải sửa."


def test_document_store_refusals_speak_the_language(tmp_path):
    conn = connect(tmp_path / "kbnn.sqlite3")
    try:
        repo = DocumentRepo(conn)
        local_id = repo.add_draft(b"{}", {"kind": KIND_SALARY, "number": "BL-7", "total": 5})
        repo.set_state(local_id, "queued")
        set_language("en")
        with pytest.raises(InvalidInput, match=r"^Document #99 not found\.$"):
            repo.get(99)
        with pytest.raises(InvalidInput) as info:
            repo.delete(local_id)
        assert info.value.message == "Only drafts can be deleted; document no. BL-7 is signed."
        with pytest.raises(InvalidInput) as info:
            repo.set_package(local_id, b"zip", "signed")
        assert info.value.message.startswith("Document no. BL-7 is already in the queue")
        with pytest.raises(InvalidInput, match=r"^The document.s total must be a whole number"):
            repo.add_draft(b"{}", {"kind": KIND_SALARY, "total": "5"})
        set_language(None)
        with pytest.raises(InvalidInput) as info:
            repo.delete(local_id)
        assert info.value.message == "Chỉ xóa được bản nháp; chứng từ số BL-7 đã ký."
    finally:
        conn.close()


def test_sync_without_login_reports_in_english(tmp_path):
    home = Home(tmp_path / "home")
    service = SyncService(tmp_path / "kbnn.sqlite3", lambda: client_for_home(home, lambda: None))
    set_language("en")
    report = service.run_once()
    assert report.connectivity == "not-configured"
    assert report.text == "Treasury server not configured"
    assert report.detail.startswith("Not logged in to the treasury. Run: kbnn-client login")
    waiting = SyncReport("no-network", report.text, waiting=2, needs_attention=1)
    assert waiting.status_line() == ("Treasury server not configured · 2 dossier(s) waiting to "
                                     "be sent · 1 dossier(s) need attention")
    set_language(None)
    report = service.run_once()
    assert report.text == "Chưa cấu hình máy chủ Kho bạc"
    assert report.detail.startswith("Chưa đăng nhập Kho bạc. Hãy chạy:")


def test_network_settings_and_softhsm_hint_in_english():
    bad = NetworkSettings(proxy="manual", proxy_host="proxy-no-port", connect_timeout=0)
    set_language("en")
    assert bad.problems() == [
        "A manual proxy needs an address of the form host:port, e.g. proxy.so-tc.vn:3128.",
        "The connect and read timeouts must be greater than 0 seconds."]
    assert NetworkSettings(proxy="x").problems() == [
        "Proxy mode «x» is not valid (system, none or manual)."]
    with pytest.raises(UsageError, match="^Proxy mode «x» is not valid"):
        proxy_config(NetworkSettings(proxy="x"))
    hint = softhsm_install_hint()
    assert hint.startswith("SoftHSM2 — the software token of training mode — is not installed.")
    assert not VIETNAMESE.search(hint)
    if sys.platform.startswith("linux"):
        assert "sudo apt-get install softhsm2" in hint
    set_language(None)
    assert softhsm_install_hint().startswith("Chưa cài SoftHSM2 — token mềm")
