"""``kbnn-client --lang en`` for the document commands (issue 8): unit, import, validate,
render, words, vouchers, payroll, staff and catalogue print, fail and explain themselves in
English; without ``--lang`` they stay Vietnamese. Everything runs in-process through
``client.cli.main`` over a real SQLite data folder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from client.cli import main
from tests.unit.test_core_i18n import VIETNAMESE
from tests.unit.test_payroll_cli import register_workbook
from tests.unit.test_vouchers_import import form_like_workbook

UNIT = ["unit", "set", "--code", "1047665", "--name", "Trường Tiểu học Kim Đồng", "--treasury",
        "KBNN Đống Đa", "--account", "9523.1.1047665", "--account-kind", "estimate",
        "--prepared-by", "Đỗ Thị Hằng"]
ORDER = ["--payment-order", "GRDT-12:2026-10-20", "--order-line", "6501=1.250.000",
         "--order-line", "6502=480.500", "--order-line", "6551=3.450.000"]
BUDGET = ["--chapter", "622", "--sector", "072", "--source", "13", "--date", "2026-10-20"]



def run(home: Path, *args: str, lang: str | None = "en") -> int:
    return main(["--home", str(home), *(["--lang", lang] if lang else []), *args])


@pytest.fixture
def home(tmp_path: Path, capsys) -> Path:
    home = tmp_path / "home"
    assert run(home, *UNIT) == 0
    assert capsys.readouterr().out == ("Saved the unit details 1047665 — Trường Tiểu học Kim Đồng."
                                       "\n")
    return home


def test_unit_show_in_english_and_in_vietnamese(home, capsys):
    assert run(home, "unit", "show") == 0
    assert capsys.readouterr().out.splitlines() == [
        "Unit code:     1047665", "Unit name:     Trường Tiểu học Kim Đồng",
        "Treasury:      KBNN Đống Đa", "Account:       9523.1.1047665 (budget estimate)",
        "Prepared by:   Đỗ Thị Hằng"]
    assert run(home, "unit", "show", lang=None) == 0
    assert "Tài khoản:     9523.1.1047665 (dự toán)" in capsys.readouterr().out


def test_voucher_list_import_summary_and_errors_in_english(home, tmp_path, capsys):
    form_like_workbook(tmp_path / "bk.xlsx")
    out = tmp_path / "bk.json"
    assert run(home, "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o", str(out),
               *BUDGET, *ORDER) == 0
    text = capsys.readouterr().out
    assert (f"Created {out}: 3 vouchers, total 5.180.500 VND (NDKT catalogue version "
            "2026.1-partial).") in text
    assert "Đã tạo" not in text

    assert run(home, "vouchers", "summary", str(out)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("Budget withdrawal order lines from the statement (NDKT catalogue "
                        "version 2026.1-partial):")
    assert lines[1].split()[:2] == ["6501", "1.250.000"]
    assert lines[1].endswith("  order: 1.250.000")
    assert lines[-1] == "  Grand total 5.180.500 VND"
    assert run(home, "vouchers", "summary", str(out), lang=None) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "  Tổng cộng 5.180.500 đồng"

    assert run(home, "vouchers", "advances", "--today", "2026-10-20") == 0
    assert capsys.readouterr().out == "No unsettled advances.\n"

    code = run(home, "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o", str(out),
               "--order-line", "6501=1.250.000")
    assert code == 2
    assert capsys.readouterr().err == ("kbnn-client: --order-line needs --payment-order "
                                       "NUMBER:YYYY-MM-DD as well.\n")
    assert run(home, "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o", str(out),
               "--payment-order", "GRDT-12:2026-10-20", "--order-line", "6501:5", lang=None) == 2
    assert "phải có dạng MÃ_NDKT=SỐ_TIỀN" in capsys.readouterr().err


def test_staff_and_payroll_in_english(home, tmp_path, capsys):
    assert run(home, "staff", "list") == 0
    assert capsys.readouterr().out == ("The staff register is empty: use «kbnn-client staff "
                                       "import FILE».\n")
    book = register_workbook(tmp_path / "can-bo.xlsx")
    assert run(home, "staff", "import", str(book)) == 0
    assert (f"Loaded 3 people from «{book}»: 3 added, 0 updated, 0 no longer paid."
            in capsys.readouterr().out)

    assert run(home, "staff", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3
    assert listed[1].startswith("   2. Trần Thị Bình — 101020203030 (VietinBank) — ")
    assert "; dependants 2; insurance " in listed[1] and "NPT" not in listed[1]

    out = tmp_path / "luong.json"
    code = run(home, "payroll", "compute", "--month", "2026-10", "-o", str(out),
               "--date", "2026-10-20")
    text = capsys.readouterr().out
    assert code == 0, text
    assert re.search(rf"^Created {re.escape(str(out))}: 3 people, total [0-9.]+ VND "
                     r"\(draft #\d+\)\.$", text, re.MULTILINE), text
    assert re.search(r"^Base salary [0-9.]+ VND \(", text, re.MULTILINE), text

    assert run(home, "validate", str(out)) in (0, 1)
    verdict = capsys.readouterr().out.splitlines()[-1]
    assert verdict.startswith(f"«{out}»: ") and not VIETNAMESE.search(verdict), verdict

    code = run(home, "payroll", "compute", "--month", "2026-11", "-o", str(out), lang=None)
    assert code in (0, 1) and "Đã tạo " in capsys.readouterr().out


def test_render_and_words_errors_in_english(home, tmp_path, capsys):
    form_like_workbook(tmp_path / "bk.xlsx")
    doc = tmp_path / "bk.json"
    assert run(home, "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o", str(doc),
               *BUDGET, *ORDER, "--json") == 0
    capsys.readouterr()
    code = run(home, "render", str(doc), "-o", str(tmp_path / "bk.pdf"), "--c02a",
               str(tmp_path / "c02a.pdf"))
    assert code == 1
    assert capsys.readouterr().err == (
        f"kbnn-client: Document «{doc}» was not computed from the staff register on this "
        "computer (kbnn-client payroll compute), so it has no C02a-HD table.\n")

    assert run(home, "render", str(doc), "-o", str(tmp_path / "bk.pdf")) == 0
    assert capsys.readouterr().out == f"Printed to {tmp_path / 'bk.pdf'}.\n"

    assert run(home, "words", "12x") == 2
    assert capsys.readouterr().err == "kbnn-client: «12x» is not an amount (whole dong).\n"
    assert run(home, "words", "12x", lang=None) == 2
    assert capsys.readouterr().err == ("kbnn-client: «12x» không phải là số tiền (số nguyên "
                                       "đồng).\n")


def test_catalogue_show_in_english(home, capsys):
    assert run(home, "catalogue", "show", "650") == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"NDKT catalogue version 2026\.1-partial \(.+\): \d+ codes, \d+ "
                        r"sub-items, \d+ codes checked against the legal text\.", lines[0])
    assert lines[1:] and all(re.search(r"  \[(checked|not checked|official)\]$", x)
                             for x in lines[1:]), lines
    assert run(home, "catalogue", "show", "zzzz") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "No sub-item matches «zzzz»."
    assert run(home, "catalogue", "show", "650", lang=None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Danh mục NDKT phiên bản 2026.1-partial (")
    assert all(re.search(r"  \[(đã đối chiếu|chưa đối chiếu|chính thức)\]$", x) for x in lines[1:])


@pytest.mark.parametrize(("argv", "english", "vietnamese"), [
    (["import", "salary", "--help"],
     ["--payment-order-amount AMOUNT", "name or number of the sheet in the file",
      "forget the remembered column mapping"],
     ["--payment-order-amount SỐ_TIỀN", "tên hoặc số thứ tự trang trong tệp"]),
    (["import", "vouchers", "--help"],
     ["--map FIELD=COLUMN", "--order-line NDKT=AMOUNT", "state budget source code (2 digits)"],
     ["--map TRƯỜNG=CỘT", "mã nguồn NSNN (2 chữ số)"]),
    (["payroll", "--help"],
     ["compute the month's payroll (C02a-HD) and prepare Form 09"],
     ["tính lương tháng (C02a-HD) và lập Mẫu 09"]),
    (["catalogue", "show", "--help"],
     ["a code or part of a name, e.g. 65 or «dien»"],
     ["mã hoặc một phần tên, ví dụ 65 hoặc «điện»"]),
])
def test_help_follows_the_language(tmp_path, capsys, monkeypatch, argv, english, vietnamese):
    monkeypatch.setenv("COLUMNS", "100")
    home = tmp_path / "home"
    for lang, wanted in (("en", english), (None, vietnamese)):
        with pytest.raises(SystemExit) as info:
            run(home, *argv, lang=lang)
        assert info.value.code == 0
        text = " ".join(capsys.readouterr().out.split())  # argparse wraps the lines
        for phrase in wanted:
            assert phrase in text, (lang, phrase, text)
    english_text = json.dumps(english, ensure_ascii=False)
    assert not VIETNAMESE.search(english_text)
