"""``kbnn-client`` in English: the help texts (the parser is built once the language is
known: ``--lang``, else ``ui.language`` of the data folder), the usage and error leads,
and the console lines of settings, backup/restore, doctor and sandbox.

Everything runs in-process through ``client.cli.main`` with a fresh data folder; the
default language must stay Vietnamese.
"""

from __future__ import annotations

import pytest

from client.cli import main, preparse

CHECK_ONLY = "disk"  # a doctor check that needs neither network nor token



@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # --help and usage errors leave through argparse
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_top_level_help_in_english_and_by_default_in_vietnamese(capsys, home):
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "--help")
    assert code == 0
    assert "Prepare, digitally sign and send payment documents to the State Treasury." in out
    assert "interface language" in out and "run the sandbox treasury" in out
    assert "show and change settings" in out and "check the computer: tokens" in out
    assert "xem và thay đổi cài đặt" not in out and "Lập, ký số" not in out

    code, out, _err = run(capsys, "--home", str(home), "--help")
    assert code == 0
    assert "Lập, ký số và gửi hồ sơ thanh toán tới Kho bạc Nhà nước." in out
    assert "xem và thay đổi cài đặt" in out and "chạy Kho bạc mô phỏng" in out
    assert "show and change settings" not in out


def test_settings_help_in_english(capsys, home):
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "settings", "--help")
    assert code == 0
    assert "list the settings" in out
    assert "set one setting, e.g.: settings set ui.language en" in out
    assert "remove one setting (back to its default)" in out
    assert "liệt kê" not in out
    code, out, _err = run(capsys, "--home", str(home), "settings", "--help")
    assert "liệt kê các mục cài đặt" in out and "list the settings" not in out


def test_help_follows_the_settings_language_and_the_flag_wins(capsys, home):
    (home / "settings.ini").write_text("[ui]\nlanguage = en\n", encoding="utf-8")
    _code, out, _err = run(capsys, "--home", str(home), "sandbox", "--help")
    assert "seconds between states (0 = no automatic change)" in out
    assert "--accept-after SECONDS" in out and "GIÂY" not in out
    _code, out, _err = run(capsys, "--home", str(home), "--lang", "vi", "sandbox", "--help")
    assert "giây giữa các trạng thái (0 = không tự chuyển)" in out
    assert "--accept-after GIÂY" in out


def test_help_does_not_create_the_data_folder(capsys, tmp_path):
    missing = tmp_path / "not-yet"
    code, out, _err = run(capsys, "--home", str(missing), "doctor", "--help")
    assert code == 0 and "in báo cáo dạng JSON" in out
    assert not missing.exists()


def test_preparse_reads_only_the_global_options():
    assert preparse(["--lang", "en", "settings", "show"]) == ("en", None)
    assert preparse(["--home=/x", "--lang=vi", "doctor", "--json"]) == ("vi", "/x")
    assert preparse(["doctor", "--only", "disk"]) == (None, None)
    assert preparse(["--lang"]) == (None, None)  # left for the full parser to report


def test_usage_error_lead(capsys, home):
    code, _out, err = run(capsys, "--home", str(home), "--lang", "en", "settings", "bogus")
    assert code == 2 and "kbnn-client: wrong usage: argument settings_cmd" in err
    code, _out, err = run(capsys, "--home", str(home), "settings", "bogus")
    assert code == 2 and "kbnn-client: sai cú pháp: argument settings_cmd" in err


def test_missing_file_and_problem_lines(capsys, home, tmp_path):
    missing = tmp_path / "khong-co.json"
    code, _out, err = run(capsys, "--home", str(home), "--lang", "en", "validate", str(missing))
    assert code == 1 and f"kbnn-client: Document «{missing}» not found." in err
    code, _out, err = run(capsys, "--home", str(home), "validate", str(missing))
    assert f"kbnn-client: Không tìm thấy tài liệu «{missing}»." in err

    empty = tmp_path / "empty.json"
    empty.write_text("{}", encoding="utf-8")
    code, _out, err = run(capsys, "--home", str(home), "--lang", "en", "validate", str(empty))
    assert code == 1 and err.startswith("  - Error [format]: ") and "Lỗi" not in err
    code, _out, err = run(capsys, "--home", str(home), "validate", str(empty))
    assert err.startswith("  - Lỗi [format]: ")


def test_settings_set_unset_and_show(capsys, home):
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "settings", "set",
                          "words.four", "bốn")
    assert code == 0 and out == "Saved words.four = bốn\n"
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "settings", "unset",
                          "words.four")
    assert out == "Removed words.four\n"
    _code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "settings", "show")
    assert "(not set)" in out and "(default)" in out and "chưa đặt" not in out
    code, out, _err = run(capsys, "--home", str(home), "settings", "set", "words.four", "bốn")
    assert out == "Đã lưu words.four = bốn\n"
    _code, out, _err = run(capsys, "--home", str(home), "settings", "show")
    assert "(chưa đặt)" in out and "(mặc định)" in out


def test_backup_and_restore_lines(capsys, home, tmp_path):
    zip_path = tmp_path / "sao-luu.zip"
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "backup", str(zip_path))
    assert code == 0 and out.startswith("Backed up 0 documents, 0 queue items (")
    assert out.rstrip().endswith(f"MB) to {zip_path}")
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "restore", str(zip_path))
    assert code == 0 and out.startswith("Restored 0 documents, 0 queue items (backup made at ")
    assert "\n  Previous data kept at: " in out
    code, out, _err = run(capsys, "--home", str(home), "restore", str(zip_path))
    assert out.startswith("Đã khôi phục 0 hồ sơ, 0 mục hàng đợi (bản sao lưu lúc ")


def test_doctor_support_bundle_line(capsys, home, tmp_path):
    bundle = tmp_path / "ho-tro.zip"
    code, out, _err = run(capsys, "--home", str(home), "--lang", "en", "doctor", "--only",
                          CHECK_ONLY, "--bundle", str(bundle))
    assert code == 0 and f"Support bundle saved: {bundle}" in out
    _code, out, _err = run(capsys, "--home", str(home), "doctor", "--only", CHECK_ONLY,
                           "--bundle", str(bundle))
    assert f"Đã lưu gói hỗ trợ: {bundle}" in out


def test_sandbox_argument_errors(capsys, home):
    code, _out, err = run(capsys, "--home", str(home), "--lang", "en", "sandbox",
                          "--payment-order", "bad")
    assert code == 2
    assert err == ("kbnn-client: --payment-order «bad» must look like "
                   "UNIT_CODE:NUMBER:AMOUNT[:YYYY-MM-DD].\n")
    code, _out, err = run(capsys, "--home", str(home), "--lang", "en", "sandbox", "--trainer", "x")
    assert err == "kbnn-client: --trainer must look like USERNAME:PASSWORD.\n"
    code, _out, err = run(capsys, "--home", str(home), "sandbox", "--unit", "1:2")
    assert err == "kbnn-client: --unit «1:2» phải có dạng MÃ:TÊN_ĐĂNG_NHẬP:MẬT_KHẨU.\n"
