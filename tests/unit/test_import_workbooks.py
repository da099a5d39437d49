"""Importing salary workbooks built the way units really build them, each with the exact document
expected: merged title rows, a two-row header ("Trong đó"), a column-number row, group headings
and "Cộng" subtotals, a hidden column and a hidden row, TCVN3, VNI and NFD names, account numbers
with spaces, dots and dashes, amounts stored as text with thousands separators, "Tổng cộng",
the amount in words and the signature rows. Then the CLI: --sheet, --map (remembered per unit),
--json.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from client import cli
from client.documents import PART_KEYS, validate
from client.documents.checks import CheckInputs, run_checks
from client.errors import InvalidInput
from client.importers.salary import import_salary_report, read_salary_table

UNIT = {"code": "1047665", "name": "Trường Tiểu học Hòa Bình", "treasury": "KBNN Quận 1",
        "account": "9523.1.1047665", "account_kind": "estimate"}
PART_HEADINGS = ["Lương và phụ cấp theo lương", "Tiền công hợp đồng", "Thu nhập tăng thêm",
                 "Tiền thưởng", "Phụ cấp khác", "Tiền khoán", "Học bổng"]
NFD_NAME = unicodedata.normalize("NFD", "Lê Văn Cường")


def parts(**values: int) -> dict:
    out = {k: 0 for k in PART_KEYS}
    out.update(values)
    return out


def unit_workbook(path: Path) -> Path:
    """Mẫu 09 as a school's accountant keeps it in Excel."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lương T7"
    ws["A1"] = "UBND QUẬN 1"
    ws.merge_cells("A1:E1")
    ws["F1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws.merge_cells("F1:N1")
    ws["A2"] = "TRƯỜNG TIỂU HỌC HÒA BÌNH"
    ws.merge_cells("A2:E2")
    ws["A4"] = "BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG"
    ws.merge_cells("A4:N4")
    ws["A5"] = "Tháng 07 năm 2026"
    ws.merge_cells("A5:N5")
    ws["M6"] = "Đơn vị tính: đồng"
    # Row 7-8: the header. C is last month's amount, hidden: it must not be taken for "Số tiền".
    ws.append(["STT", "Họ và tên", "Số tiền", "Số TK", "Nơi mở TK", "Thực lĩnh", "Trong đó",
               None, None, None, None, None, None, "Ghi chú"])
    ws.append([None] * 6 + PART_HEADINGS + [None])
    ws.merge_cells("G7:M7")
    for col in "ABCDEFN":
        ws.merge_cells(f"{col}7:{col}8")
    ws.append(list(range(1, 15)))  # row 9: column numbers
    ws.column_dimensions["C"].hidden = True
    ws.append([None, "I. Công chức"])  # row 10
    ws.append([1, "NguyÔn V¨n An", 14_614_704, "0071 000 123 456", "Vietcombank - CN Sài Gòn",
               "15.801.368", "15.801.368"])  # row 11: TCVN3 name, amounts as text
    ws.append([2, "Nguyeãn Thò Mai", 10_906_764, "1010-2020-3030", "NH TMCP Công thương VN",
               11_792_355, 11_792_355, None, None, None, None, None, None, "Nghỉ 2 ngày"])  # VNI
    ws.append([None, "Cộng", None, None, None, "27.593.723", "27.593.723"])  # row 13
    ws.append([None, "II. Hợp đồng lao động"])  # row 14
    ws.append([3, NFD_NAME, 51_674_800, "'19036677889900", "Techcombank", "51.336.600", None,
               "51.336.600"])  # row 15: NFD name, account kept as text with a leading quote
    ws.append([4, "Người Đã Nghỉ", 1, "999999999", "BIDV", 1_000_000, None, 1_000_000])  # 16
    ws.row_dimensions[16].hidden = True
    ws.append([5, "Phạm Thu Hà", 6_000_000, "0011.0043.87215", "BIDV", "6.000.000", None,
               "5.000.000", None, "1.000.000"])  # row 17
    ws.append([None, "Cộng", None, None, None, "57.336.600"])  # row 18
    ws.append([None, "Tổng cộng", None, None, None, "84.930.323"])  # row 19
    ws.append([None, "Số tiền bằng chữ: Tám mươi tư triệu chín trăm ba mươi nghìn ba trăm "
                     "hai mươi ba đồng"])  # row 20
    ws.append([])
    ws.append([None, "Người lập bảng", None, "Kế toán trưởng", None, "Thủ trưởng đơn vị"])
    ws.append([None, "(Ký, ghi rõ họ tên)"])
    wb.save(path)
    return path


EXPECTED_LINES = [
    {"no": 1, "group": "I. Công chức", "name": "Nguyễn Văn An", "account": "0071000123456",
     "bank": "Vietcombank - CN Sài Gòn", "amount": 15_801_368,
     "parts": parts(salary=15_801_368), "note": ""},
    {"no": 2, "group": "I. Công chức", "name": "Nguyễn Thị Mai", "account": "101020203030",
     "bank": "NH TMCP Công thương VN", "amount": 11_792_355, "parts": parts(salary=11_792_355),
     "note": "Nghỉ 2 ngày"},
    {"no": 3, "group": "II. Hợp đồng lao động", "name": "Lê Văn Cường",
     "account": "19036677889900", "bank": "Techcombank", "amount": 51_336_600,
     "parts": parts(contract_wage=51_336_600), "note": ""},
    {"no": 4, "group": "II. Hợp đồng lao động", "name": "Phạm Thu Hà", "account": "0011004387215",
     "bank": "BIDV", "amount": 6_000_000, "parts": parts(contract_wage=5_000_000,
                                                           bonus=1_000_000), "note": ""},
]


def test_unit_workbook_gives_the_exact_document(tmp_path: Path) -> None:
    path = unit_workbook(tmp_path / "luong-t7.xlsx")
    doc, report = import_salary_report(path, unit=UNIT, number="07/2026-BTT", date="2026-07-25",
                                       period={"year": 2026, "month": 7}, prepared_by="Hằng")
    assert doc["lines"] == EXPECTED_LINES
    assert doc["total"] == 84_930_323
    assert doc["total_in_words"] == ("Tám mươi tư triệu chín trăm ba mươi nghìn ba trăm hai "
                                     "mươi ba đồng")
    assert validate(doc) == []
    # What the importer did, for the user.
    assert report.header_row == 7 and report.two_row_header
    assert report.columns["amount"]["column"] == "F"  # not the hidden "Số tiền" in C
    assert report.columns["parts.bonus"]["column"] == "J"
    assert report.hidden_columns == [{"column": "C", "heading": "Số tiền", "used": False}]
    assert report.stopped == {"row": 19, "reason": "total", "text": "Tổng cộng"}
    assert report.source_rows == [11, 12, 15, 17]
    skipped = {(s["row"], s["reason"]) for s in report.skipped}
    assert {(9, "numbering"), (10, "group"), (13, "subtotal"), (16, "hidden"),
            (18, "subtotal")} <= skipped
    converted = {(c.cell, c.encoding, c.after) for c in report.conversions}
    assert ("B11", "TCVN3 (ABC)", "Nguyễn Văn An") in converted
    assert ("B12", "VNI", "Nguyễn Thị Mai") in converted
    assert ("B15", "NFD", "Lê Văn Cường") in converted
    cleaned = {c["cell"]: (c["before"], c["after"]) for c in report.accounts_cleaned}
    assert cleaned["D11"] == ("0071 000 123 456", "0071000123456")
    assert cleaned["D12"] == ("1010-2020-3030", "101020203030")
    assert cleaned["D17"] == ("0011.0043.87215", "0011004387215")
    banks = {b["text"]: (b["recognised"] or {}).get("short_name") for b in report.extra["banks"]}
    assert banks["NH TMCP Công thương VN"] == "VietinBank"
    assert banks["Vietcombank - CN Sài Gòn"] == "Vietcombank"
    notes = " ".join(report.notes)
    assert "cột ẩn: C «Số tiền»" in notes and "dòng ẩn: 16" in notes
    hidden_warning = [p for p in report.problems if p.code == "hidden-rows-skipped"]
    assert hidden_warning and hidden_warning[0].severity == "warning"


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "salary"


@pytest.mark.parametrize("name", ["luong-t7.xls", "luong-t7.ods"])
def test_the_same_workbook_saved_as_xls_and_ods(name: str) -> None:
    """``unit_workbook`` saved by LibreOffice Calc as .xls (BIFF8) and .ods: same document,
    same hidden column and row recognised (xlrd reads the .xls formatting records)."""
    if name.endswith(".xls"):
        pytest.importorskip("xlrd", reason="xlrd reads which .xls columns are hidden")
    lines, report = read_salary_table(FIXTURES / name)
    assert lines == [
        {k: v for k, v in x.items() if k != "no"} for x in EXPECTED_LINES]
    assert report.hidden_known
    assert report.hidden_columns == [{"column": "C", "heading": "Số tiền", "used": False}]
    assert [s["row"] for s in report.skipped if s["reason"] == "hidden"] == [16]
    assert {(c.cell, c.encoding) for c in report.conversions} >= {
        ("B11", "TCVN3 (ABC)"), ("B12", "VNI"), ("B15", "NFD")}


def test_checks_name_row_and_column_in_the_file(tmp_path: Path) -> None:
    path = unit_workbook(tmp_path / "luong-t7.xlsx")
    doc, report = import_salary_report(path, unit=UNIT, number="07/2026-BTT", date="2026-07-25",
                                       period={"year": 2026, "month": 7}, prepared_by="Hằng")
    doc["lines"][3]["account"] = "0011-00"  # as if typed wrong in the file
    problems = run_checks(doc, CheckInputs(payment_order_amount=84_000_000,
                                           source_rows=report.source_rows))
    by_code = {p.code: p for p in problems}
    account = next(p for p in problems if p.where == "lines[3].account")
    assert account.severity == "error"
    assert account.message.startswith("Dòng 4 (dòng 17 trong tệp), cột «Số tài khoản")
    mismatch = by_code["payment-order-amount-mismatch"]
    assert mismatch.severity == "error" and "84.000.000" in mismatch.message


def test_sheet_choice_and_two_sheets(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "Tháng 6"
    first.append(["Họ tên", "STK", "Ngân hàng", "Số tiền"])
    first.append(["Nguyễn Văn An", "0071000123456", "VCB", "14.614.704"])
    second = wb.create_sheet("Tháng 7")
    second.append(["Họ và tên người hưởng", "Số tài khoản người hưởng", "Tên ngân hàng",
                   "Tổng số"])
    second.append(["Nguyễn Văn An", "0071000123456", "VCB", "15.801.368"])
    path = tmp_path / "hai-thang.xlsx"
    wb.save(path)
    lines, report = read_salary_table(path)
    assert report.sheet == "Tháng 6" and lines[0]["amount"] == 14_614_704
    lines, report = read_salary_table(path, sheet="tháng 7")
    assert report.sheet == "Tháng 7" and lines[0]["amount"] == 15_801_368
    lines, _ = read_salary_table(path, sheet=2)
    assert lines[0]["amount"] == 15_801_368
    with pytest.raises(InvalidInput, match="không có trang «Tháng 8». Các trang: «Tháng 6», "
                                           "«Tháng 7»"):
        read_salary_table(path, sheet="Tháng 8")


def _odd_headings(path: Path, amount: str = "15.801.368") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BẢNG KÊ CHUYỂN KHOẢN"])
    ws.append(["Cột 1", "Cột 2", "Cột 3", "Cột 4", "Cột 5"])
    ws.append([1, "Nguyễn Văn An", "0071000123456", "Vietcombank", amount])
    ws.append([2, "Trần Thị Bình", "101020203030", "VietinBank", "11.792.355"])
    ws.append([None, "Tổng cộng", None, None, "27.593.723"])
    wb.save(path)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert cli.main(["--home", str(home), "unit", "set", "--code", "1047665", "--name",
                     UNIT["name"], "--treasury", UNIT["treasury"], "--account", UNIT["account"],
                     "--account-kind", "estimate", "--prepared-by", "Đỗ Thị Hằng"]) == 0
    return home


def test_cli_map_is_remembered_for_next_month(home: Path, tmp_path: Path, capsys) -> None:
    path = _odd_headings(tmp_path / "t7.xlsx")
    out = tmp_path / "t7.json"
    base = ["--home", str(home), "import", "salary", str(path), "-o", str(out),
            "--period", "2026-07", "--date", "2026-07-25"]
    assert cli.main(base) == 1
    assert "Không tìm thấy dòng tiêu đề" in capsys.readouterr().err
    assert cli.main(base + ["--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["output"] is None and data["problems"][0]["code"] == "header-not-found"
    assert "--map TRƯỜNG=CỘT" in data["error"]
    assert cli.main(base + ["--map", "name=B", "--map", "Số tài khoản=C", "--map", "bank=D",
                            "--map", "amount=Cột 5"]) == 0
    doc = json.loads(out.read_text("utf-8"))
    assert [(x["name"], x["amount"]) for x in doc["lines"]] == [("Nguyễn Văn An", 15_801_368),
                                                                ("Trần Thị Bình", 11_792_355)]
    capsys.readouterr()
    # August: the same layout, no --map: the unit's remembered mapping is used.
    path8 = _odd_headings(tmp_path / "t8.xlsx", amount="15.900.000")
    out8 = tmp_path / "t8.json"
    assert cli.main(["--home", str(home), "import", "salary", str(path8), "-o", str(out8),
                     "--period", "2026-08", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["report"]["mapping_source"] == "remembered"
    assert data["report"]["mapping"] == {"name": "B", "account": "C", "bank": "D",
                                         "amount": "Cột 5"}
    assert data["document"]["total"] == 15_900_000 + 11_792_355
    # --forget-map: back to headings alone, which this file does not have.
    assert cli.main(["--home", str(home), "import", "salary", str(path8), "-o", str(out8),
                     "--forget-map"]) == 1


def test_cli_json_report_and_refusal_on_errors(home: Path, tmp_path: Path, capsys) -> None:
    path = unit_workbook(tmp_path / "luong.xlsx")
    out = tmp_path / "luong.json"
    assert cli.main(["--home", str(home), "import", "salary", str(path), "-o", str(out),
                     "--period", "2026-07", "--sheet", "Lương T7", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == str(out) and data["document"]["total"] == 84_930_323
    cells = {c["cell"]: c["encoding"] for c in data["report"]["converted_cells"]}
    assert cells["B11"] == "TCVN3 (ABC)" and cells["B12"] == "VNI" and cells["B15"] == "NFD"
    assert [(p["code"], p["severity"]) for p in data["problems"]] == [
        ("hidden-rows-skipped", "warning")]
    assert json.loads(out.read_text("utf-8"))["lines"] == EXPECTED_LINES
    # A payment order of another amount: an error, nothing written.
    out.unlink()
    assert cli.main(["--home", str(home), "import", "salary", str(path), "-o", str(out),
                     "--period", "2026-07", "--payment-order-amount", "84.930.000",
                     "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["output"] is None and not out.exists()
    assert any(p["code"] == "payment-order-amount-mismatch" for p in data["problems"])


def test_csv_export_of_the_same_table(tmp_path: Path) -> None:
    """The CSV a unit exports from its payroll program: semicolons, amounts with dots."""
    text = ("STT;Họ và tên;Số tài khoản;Ngân hàng;Thực lĩnh;Ghi chú\n"
            "1;Nguyễn Văn An;0071 000 123 456;Vietcombank - CN Sài Gòn;15.801.368;\n"
            "2;Trần Thị Bình;1010-2020-3030;VietinBank;11.792.355;Nghỉ 2 ngày\n"
            ";Tổng cộng;;;27.593.723;\n")
    path = tmp_path / "luong.csv"
    path.write_text(text, encoding="utf-8-sig")
    lines, report = read_salary_table(path)
    assert [(x["account"], x["amount"]) for x in lines] == [("0071000123456", 15_801_368),
                                                            ("101020203030", 11_792_355)]
    assert report.stopped["reason"] == "total"


def test_lines_under_the_total_are_not_lost_silently(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Số tài khoản", "Ngân hàng", "Số tiền"])
    ws.append(["Nguyễn Văn An", "0071000123456", "Vietcombank", 1_000_000])
    ws.append(["Tổng cộng", None, None, 1_000_000])
    ws.append(["Trần Thị Bình", "101020203030", "VietinBank", 2_000_000])  # added after the total
    path = tmp_path / "sau-tong.xlsx"
    wb.save(path)
    lines, report = read_salary_table(path)
    assert [x["name"] for x in lines] == ["Nguyễn Văn An"]
    (warning,) = [p for p in report.problems if p.code == "rows-after-total"]
    assert warning.severity == "warning" and "dòng 4" in warning.message
