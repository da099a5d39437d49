"""Document checks and spreadsheet import in English (issue 8), Vietnamese by default.

Runs ``kbnn-client`` in-process through ``client.cli.main`` with a fresh data folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.cli import main
from client.documents.checks import CheckInputs, run_checks
from client.i18n import set_language


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    assert main(["--home", str(home), "unit", "set", "--code", "1047665", "--name",
                 "Trường Tiểu học Kim Liên", "--treasury", "KBNN Đống Đa", "--account",
                 "9523.1.1047665", "--account-kind", "estimate"]) == 0
    return home


def run(capsys, home: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_import_errors_follow_the_language(capsys, home, tmp_path):
    missing = str(tmp_path / "khong-co.csv")
    out_file = str(tmp_path / "bang.json")
    code, out = run(capsys, home, "--lang", "en", "import", "salary", "-o", out_file, missing)
    assert code == 1 and "File «khong-co.csv» not found." in out
    assert "Không tìm thấy" not in out
    code, out = run(capsys, home, "import", "salary", "-o", out_file, missing)
    assert code == 1 and "Không tìm thấy tệp «khong-co.csv»." in out

    csv = tmp_path / "luong.csv"
    csv.write_text("Họ và tên,Số tài khoản,Ngân hàng,Số tiền\nNguyễn Văn An,0123456789,"
                   "Vietcombank,1000000\n", encoding="utf-8")
    code, out = run(capsys, home, "--lang", "en", "import", "salary", "-o", out_file,
                    "--map", "xyz=E", str(csv))
    assert code != 0 and "--map: there is no field «xyz». The fields: " in out
    code, out = run(capsys, home, "import", "salary", "-o", out_file, "--map", "xyz=E", str(csv))
    assert code != 0 and "--map: không có trường «xyz». Các trường: " in out


def test_validate_problems_follow_the_language(capsys, home, tmp_path):
    doc = tmp_path / "bang.json"
    doc.write_text(json.dumps({"format": "x", "kind": "salary-table", "lines": []}), "utf-8")
    _code, out = run(capsys, home, "--lang", "en", "validate", str(doc))
    assert "Field «Format»: must be «kbnn-document/1» (is «x»)." in out
    assert "Field «Detail lines»: the table must have at least 1 line." in out
    assert "Field «Date prepared»: this information is missing." in out
    assert "thiếu thông tin này" not in out and "Mục «" not in out
    _code, out = run(capsys, home, "validate", str(doc))
    assert "Mục «Định dạng»: phải là «kbnn-document/1» (đang là «x»)." in out
    assert "Mục «Các dòng chi tiết»: bảng phải có ít nhất 1 dòng." in out
    assert "Field «" not in out


def _message(problems, code: str) -> str:
    return next(p.message for p in problems if p.code == code)


def test_line_problems_name_the_file_row_in_both_languages():
    doc = {"kind": "salary-table", "lines": [{"no": 1, "account": "12", "amount": -5}]}
    inputs = CheckInputs(source_rows=[7])
    vi = run_checks(doc, inputs)
    assert _message(vi, "account-invalid") == (
        "Dòng 1 (dòng 7 trong tệp), cột «Số tài khoản»: số tài khoản phải có 6–19 chữ số "
        "(đang là «12»).")
    set_language("en")
    en = run_checks(doc, inputs)
    assert _message(en, "account-invalid") == (
        "Line 1 (row 7 in the file), column «Account number»: the account number must have "
        "6–19 digits (is «12»).")
    assert _message(en, "amount-not-positive").startswith(
        "Line 1 (row 7 in the file), column «Total»: the amount must be greater than 0 (is ")
    name = next(p.message for p in en if p.where == "lines[0].name")
    assert name == "Line 1 (row 7 in the file), column «Full name»: this information is missing."
    assert [p.code for p in en] == [p.code for p in vi]  # codes never change
