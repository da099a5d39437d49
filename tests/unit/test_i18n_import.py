"""The importers' messages in English (issue 8): workbooks, pasted cells, ``--map``, voucher
lists' budget codes, and ``kbnn-client --lang en import vouchers`` end to end.

The column headings the importers recognise in a unit's workbook are data and stay
Vietnamese; only the field names the messages show are translated (``spec.FIELD_LABELS``).
"""

from __future__ import annotations

import pytest

from client.cli import main
from client.errors import InvalidInput, UsageError
from client.i18n import set_language
from client.importers.clipboard import paste_values
from client.importers.salary import SALARY_SPEC, read_salary_table
from client.importers.spec import FIELD_LABELS, Field, parse_mapping, shown_label
from client.vouchers.importer import VOUCHER_SPEC, budget_codes, read_voucher_table

UNIT = ["--code", "1047665", "--name", "Trường Tiểu học Kim Đồng", "--treasury", "KBNN Đống Đa",
        "--account", "9523.1.1047665", "--account-kind", "estimate", "--prepared-by",
        "Đỗ Thị Hằng"]
# an accounting package's export: the budget codes are columns of the file
VOUCHERS_CSV = (
    "Ngày chứng từ;Số chứng từ;Diễn giải;Số tiền;Chương;Khoản;Nguồn;Tiểu mục\n"
    "05/10/2026;PC00125;Tiền điện T9/2026;1.250.000;622;072;13;6501\n"
    "07/10/2026;PC00126;Văn phòng phẩm;3.450.000;622;073;13;6551\n"
)



def _error(call, *args, **kw) -> str:
    with pytest.raises((InvalidInput, UsageError)) as info:
        call(*args, **kw)
    return info.value.message


def test_header_not_found_names_the_fields_in_the_language(tmp_path) -> None:
    path = tmp_path / "luong.csv"
    path.write_text("Họ và tên;Ghi chú\nNguyễn Văn An;x\n", encoding="utf-8")
    set_language("en")
    message = _error(read_salary_table, path)
    assert message == ("No header row found in file «luong.csv»: the columns «Full name», "
                       "«Account number», «Bank name» are needed (missing «Account number», "
                       "«Bank name», «Total»). You can name the columns with --map FIELD=COLUMN "
                       "(for example --map amount=E).")
    set_language(None)
    message = _error(read_salary_table, path)
    assert message.startswith("Không tìm thấy dòng tiêu đề trong tệp «luong.csv»: cần các cột "
                              "«Họ và tên», «Số tài khoản», «Tên ngân hàng» (thiếu ")


def test_headings_still_match_in_english_and_the_report_shows_english_labels(tmp_path) -> None:
    path = tmp_path / "luong.csv"
    path.write_text("Họ và tên;Số tài khoản;Ngân hàng;Thực lĩnh\n"
                    "Nguyễn Văn An;0071 000 123 456;Vietcombank;15.801.368\n", encoding="utf-8")
    set_language("en")
    lines, report = read_salary_table(path)
    assert lines[0]["amount"] == 15_801_368 and lines[0]["account"] == "0071000123456"
    assert report.columns["amount"] == {"column": "D", "heading": "Thực lĩnh", "label": "Total"}
    assert report.columns["name"]["label"] == "Full name"
    set_language(None)
    _lines, report = read_salary_table(path)
    assert report.columns["amount"]["label"] == "Tổng số"


def test_map_lists_the_fields_in_the_language() -> None:
    set_language("en")
    message = _error(parse_mapping, ["lunch=E"], SALARY_SPEC)
    assert message.startswith("--map: there is no field «lunch». The fields: no (No.), "
                              "group (Group), name (Full name), account (Account number)")
    assert "parts.bonus (Bonus), " in message and message.endswith("note (Note).")
    # a Vietnamese label still names a field whatever the language
    assert parse_mapping(["Họ và tên=B", "Số tài khoản=C"], SALARY_SPEC) == {
        "name": "B", "account": "C"}
    set_language(None)
    message = _error(parse_mapping, ["lunch=E"], SALARY_SPEC)
    assert "name (Họ và tên), account (Số tài khoản)" in message


def test_pasted_cell_errors_in_the_language() -> None:
    text = "Nguyễn Văn An\t0071000123456\tBIDV\tabc\n"
    set_language("en")
    (problem,) = paste_values(text, ["name", "account", "bank", "amount"], SALARY_SPEC).problems
    assert problem.message == "Pasted row 1, column D («Total»): «abc» is not a valid amount."
    set_language(None)
    (problem,) = paste_values(text, ["name", "account", "bank", "amount"], SALARY_SPEC).problems
    assert problem.message == ("Dòng dán thứ 1, cột D («Tổng số»): «abc» không phải là số tiền "
                               "hợp lệ.")


def test_voucher_budget_codes_in_the_language(tmp_path) -> None:
    path = tmp_path / "misa.csv"
    path.write_text(VOUCHERS_CSV, encoding="utf-8")
    set_language("en")
    message = _error(read_voucher_table, path)
    assert message == ("File «misa.csv»: column «Economic sector code (khoan)» holds different "
                       "values (072, 073); a list may have only one Economic sector code (khoan) "
                       "— split it into separate lists")
    assert _error(budget_codes, {"chapter": "999"}, {"chapter": "622"}) == (
        "Chapter code is given as 999 but the file says 622: please check.")
    set_language(None)
    message = _error(read_voucher_table, path)
    assert message == ("Tệp «misa.csv»: cột «Mã ngành kinh tế (khoản)» có nhiều giá trị khác "
                       "nhau (072, 073); mỗi bảng kê chỉ một Mã ngành kinh tế (khoản) — hãy tách "
                       "thành các bảng kê riêng")
    assert _error(budget_codes, {"chapter": "999"}, {"chapter": "622"}) == (
        "Mã chương ghi 999 nhưng tệp ghi 622: hãy kiểm tra lại.")


def test_voucher_missing_amounts_in_the_language(tmp_path) -> None:
    path = tmp_path / "thieu.csv"
    path.write_text("Số chứng từ;Ngày chứng từ;Mã NDKT;Số tiền\nPC1;05/10/2026;6501;\n"
                    "PC2;06/10/2026;6501;\nPC3;07/10/2026;6501;100.000\n", encoding="utf-8")
    set_language("en")
    assert _error(read_voucher_table, path) == (
        "File «thieu.csv», row 2, column «Số tiền»: no amount. (and 1 more errors)")
    set_language(None)
    assert _error(read_voucher_table, path) == (
        "Tệp «thieu.csv», dòng 2, cột «Số tiền»: chưa có số tiền. (và 1 lỗi khác)")


def test_cli_import_vouchers_in_english(tmp_path, capsys) -> None:
    home = tmp_path / "home"
    assert main(["--home", str(home), "unit", "set", *UNIT]) == 0
    path = tmp_path / "misa.csv"
    path.write_text(VOUCHERS_CSV.replace(";073;", ";072;"), encoding="utf-8")
    capsys.readouterr()
    args = ["import", "vouchers", str(path), "-o", str(tmp_path / "bk.json"), "--date",
            "2026-10-20", "--chapter", "999"]
    code = main(["--home", str(home), "--lang", "en", *args])
    err = capsys.readouterr().err
    assert code != 0 and "Chapter code is given as 999 but the file says 622" in err
    assert not (tmp_path / "bk.json").exists()
    code = main(["--home", str(home), *args])
    assert code != 0 and "Mã chương ghi 999 nhưng tệp ghi 622" in capsys.readouterr().err


def test_every_shipped_label_is_shown_in_the_language() -> None:
    for spec in (SALARY_SPEC, VOUCHER_SPEC):
        for f in spec.fields:
            assert f.label in FIELD_LABELS, (spec.name, f.key)
    set_language("en")
    assert VOUCHER_SPEC.field("ndkt").shown == "NDKT code"
    assert SALARY_SPEC.field("parts.salary").shown != SALARY_SPEC.field("parts.salary").label
    # a label the rules file names is shown as written
    assert Field("coef.x", "Hệ số phụ cấp khu vực").shown == "Hệ số phụ cấp khu vực"
    assert shown_label("Hệ số lương") == "Hệ số lương"
    set_language(None)
    assert VOUCHER_SPEC.field("ndkt").shown == "Mã NDKT"
