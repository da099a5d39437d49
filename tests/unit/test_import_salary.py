"""client.importers.salary: CSV and XLSX payroll sheets -> salary lines / salary-table."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
import pytest

from client.documents import PART_KEYS, validate
from client.errors import InvalidInput
from client.importers import import_salary, read_salary_lines

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "salary"
UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Đồng", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}


def zero_parts(**values: int) -> dict:
    parts = {k: 0 for k in PART_KEYS}
    parts.update(values)
    return parts


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def cp1258(text: str) -> bytes:
    """Windows-1258 the way Windows writes Vietnamese: base letter (â, ơ …) + a tone mark."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            tones = [m for m in marks if m in "\u0300\u0301\u0303\u0309\u0323"]
            others = "".join(m for m in marks if m not in tones)
            out += unicodedata.normalize("NFC", base + others).encode("cp1258")
            out += "".join(tones).encode("cp1258")
    return bytes(out)


def simple_workbook(path: Path, amount_cell: object = "1.234.567") -> Path:
    """Title rows and merged cells above the header; a "Tổng cộng" row and signatures below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lương T10"
    ws["A1"] = "SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"
    ws.merge_cells("A1:C1")
    ws["A2"] = "TRƯỜNG TIỂU HỌC KIM ĐỒNG"
    ws.merge_cells("A2:C2")
    ws["D1"] = "Mẫu số 09"
    ws["A4"] = "BẢNG THANH TOÁN TIỀN LƯƠNG THÁNG 10 NĂM 2026"
    ws.merge_cells("A4:G4")
    ws.append([])
    ws.append(["STT", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Số tiền", "Ghi chú"])  # row 6
    ws.append([1, "Nguyễn Văn An", "0123 456-789", "Vietcombank - CN Hà Nội", amount_cell, None])
    ws.append([2, "Trần Thị Bình", 101867204519, "VietinBank", 5_000_000, "Nghỉ phép"])
    ws.append([3, "  Lê   Văn Cường ", "'0011004387215", "BIDV", 4_500_000.0, ""])
    ws.append([None, "Tổng cộng", None, None, 10_734_567])
    ws.append([])
    ws.append([None, "Người lập bảng", "Kế toán trưởng", "Thủ trưởng đơn vị"])
    wb.save(path)
    return path


def test_xlsx_with_titles_merged_cells_and_total_row(tmp_path: Path) -> None:
    lines = read_salary_lines(simple_workbook(tmp_path / "luong.xlsx"))
    assert lines == [
        {"name": "Nguyễn Văn An", "account": "0123456789", "bank": "Vietcombank - CN Hà Nội",
         "group": "", "note": "", "amount": 1_234_567},
        {"name": "Trần Thị Bình", "account": "101867204519", "bank": "VietinBank",
         "group": "", "note": "Nghỉ phép", "amount": 5_000_000},
        {"name": "Lê Văn Cường", "account": "0011004387215", "bank": "BIDV",
         "group": "", "note": "", "amount": 4_500_000},
    ]


def test_import_salary_builds_a_valid_document(tmp_path: Path) -> None:
    doc = import_salary(simple_workbook(tmp_path / "luong.xlsx"), unit=UNIT, number="09/2026",
                        date="2026-10-25", period={"year": 2026, "month": 10},
                        prepared_by="Đỗ Thị Hằng", payment_order={"number": "15",
                                                                  "date": "2026-10-25"})
    assert validate(doc) == []
    assert doc["total"] == 10_734_567
    assert doc["lines"][0]["parts"] == zero_parts(salary=1_234_567)
    assert doc["payment_order"] == {"number": "15", "date": "2026-10-25"}


def test_unreadable_amount_names_file_row_and_column(tmp_path: Path) -> None:
    path = simple_workbook(tmp_path / "luong.xlsx", amount_cell="abc")
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    message = info.value.message
    assert "«luong.xlsx»" in message
    assert "dòng 7" in message
    assert "«Số tiền»" in message
    assert "abc" in message
    assert info.value.problems[0].code == "amount-unreadable"


@pytest.mark.parametrize("cell", ["12,5", 1234.5, "1.234,56"])
def test_non_integer_amount_is_refused(tmp_path: Path, cell: object) -> None:
    with pytest.raises(InvalidInput, match="dòng 7, cột «Số tiền»"):
        read_salary_lines(simple_workbook(tmp_path / "luong.xlsx", amount_cell=cell))


def test_several_bad_cells_reported_together(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv",
                     "Họ và tên,STK,Ngân hàng,Thực lĩnh\n"
                     "Nguyễn Văn An,123456789,ACB,x1\n"
                     "Trần Thị Bình,123456780,ACB,1.000\n"
                     "Lê Văn Cường,123456781,ACB,2.5\n")
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    assert [p.where for p in info.value.problems] == ["bad.csv!D2", "bad.csv!D4"]
    assert "«Thực lĩnh»" in info.value.problems[1].message
    assert "và 1 lỗi khác" in info.value.message


def test_mau09_shaped_workbook_with_parts_groups_and_subtotals(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG"])
    ws.merge_cells("A1:M1")
    ws.append(["STT", "Họ và tên", "Số tài khoản người hưởng", "Tên ngân hàng", "Tổng số",
               "Trong đó", None, None, None, None, None, None, "Ghi chú"])
    ws.merge_cells("F2:L2")
    ws.append([None, None, None, None, None, "Lương và phụ cấp theo lương",
               "Tiền công lao động thường xuyên theo hợp đồng", "Tiền thu nhập tăng thêm",
               "Tiền thưởng", "Tiền phụ cấp và trợ cấp khác", "Tiền khoán", "Tiền học bổng",
               None])
    ws.append(list(range(1, 14)))
    ws.append([None, "I. Công chức"])
    ws.append([1, "Nguyễn Văn An", "0011004387215", "Vietcombank", 10_000_000, 9_000_000,
               None, 1_000_000, None, None, None, None, None])
    ws.append([2, "Trần Thị Bình", "101867204519", "VietinBank", None, "7.000.000", None,
               "500.000", None, "200.000", None, None, "Phó HT"])
    ws.append([None, "Cộng", None, None, 17_700_000])
    ws.append([None, "II. Hợp đồng lao động"])
    ws.append([3, "Bùi Văn Toàn", "0301000587412", "Vietcombank", 5_150_000, None, 5_150_000])
    ws.append([None, "Cộng", None, None, 5_150_000])
    ws.append([None, "Tổng cộng", None, None, 22_850_000])
    path = tmp_path / "mau09.xlsx"
    wb.save(path)
    lines = read_salary_lines(path)
    assert lines == [
        {"name": "Nguyễn Văn An", "account": "0011004387215", "bank": "Vietcombank",
         "group": "I. Công chức", "note": "",
         "parts": zero_parts(salary=9_000_000, extra_income=1_000_000), "amount": 10_000_000},
        {"name": "Trần Thị Bình", "account": "101867204519", "bank": "VietinBank",
         "group": "I. Công chức", "note": "Phó HT",
         "parts": zero_parts(salary=7_000_000, extra_income=500_000, other_allowance=200_000),
         "amount": 7_700_000},
        {"name": "Bùi Văn Toàn", "account": "0301000587412", "bank": "Vietcombank",
         "group": "II. Hợp đồng lao động", "note": "",
         "parts": zero_parts(contract_wage=5_150_000), "amount": 5_150_000},
    ]


def test_demo_fixture(tmp_path: Path) -> None:
    lines = read_salary_lines(FIXTURES / "demo.csv")
    assert len(lines) == 12
    assert {line["group"] for line in lines} == {"I. Công chức", "II. Hợp đồng lao động"}
    assert lines[0]["name"] == "Nguyễn Văn Hùng"
    assert lines[0]["parts"]["salary"] > 0
    doc = import_salary(FIXTURES / "demo.csv", unit=UNIT, number="1", date="2026-10-25",
                        period={"year": 2026, "month": 10}, prepared_by="Đỗ Thị Hằng")
    assert validate(doc) == []


def test_csv_bom_variants_and_text_amounts(tmp_path: Path) -> None:
    text = ("Bảng lương tháng 10\n"
            "\n"
            "Họ tên,Số TK,Ngân hàng,Số tiền,Bộ phận\n"
            "Nguyễn Văn An,0123 456 789,ACB,\"1,234,567\",Văn phòng\n"
            "Trần Thị Bình,987-654-321,MBBank,\"2.000.000 đ\",\n"
            ",,,,\n")
    path = write_csv(tmp_path / "luong.csv", "\ufeff" + text)
    assert read_salary_lines(path) == [
        {"name": "Nguyễn Văn An", "account": "0123456789", "bank": "ACB", "group": "Văn phòng",
         "note": "", "amount": 1_234_567},
        {"name": "Trần Thị Bình", "account": "987654321", "bank": "MBBank", "group": "",
         "note": "", "amount": 2_000_000},
    ]


def test_csv_semicolon_and_cp1258(tmp_path: Path) -> None:
    text = "Họ và tên;Số tài khoản;Ngân hàng;Số tiền\nĐặng Thị Hằng;123456789;Agribank;1.500.000\n"
    path = tmp_path / "ansi.csv"
    path.write_bytes(cp1258(text))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    (line,) = read_salary_lines(path)
    assert line["name"] == "Đặng Thị Hằng"
    assert unicodedata.is_normalized("NFC", line["name"])
    assert line["amount"] == 1_500_000


def test_nfd_text_becomes_nfc(tmp_path: Path) -> None:
    text = unicodedata.normalize("NFD", "Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n"
                                        "Nguyễn Thị Hằng,123456789,Ngân hàng Đông Á,1000\n")
    (line,) = read_salary_lines(write_csv(tmp_path / "nfd.csv", text))
    assert line["name"] == "Nguyễn Thị Hằng"
    assert line["bank"] == "Ngân hàng Đông Á"


def test_blank_row_between_groups_does_not_lose_lines(tmp_path: Path) -> None:
    text = ("Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n"
            "A Nguyễn,123456789,ACB,1000\n"
            ",,,\n"
            "B Trần,123456780,ACB,2000\n"
            ",,,\n"
            "Người lập bảng,,,\n")
    lines = read_salary_lines(write_csv(tmp_path / "gap.csv", text))
    assert [line["name"] for line in lines] == ["A Nguyễn", "B Trần"]


def test_header_not_found(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "khac.csv", "Họ và tên,Ngày sinh,Số tiền\nA,1990-01-01,1000\n")
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    assert "«khac.csv»" in info.value.message
    assert "«Số tài khoản»" in info.value.message and "thiếu" in info.value.message


def test_no_lines_under_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "rong.csv", "Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n")
    with pytest.raises(InvalidInput, match="không có dòng nào"):
        read_salary_lines(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="Không tìm thấy tệp «khong-co.xlsx»"):
        read_salary_lines(tmp_path / "khong-co.xlsx")


@pytest.mark.parametrize("name", ["luong.pdf", "luong"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"whatever")
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    assert f"«{name}»" in info.value.message and ".xlsx" in info.value.message


@pytest.mark.parametrize("name,data", [("luong.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100),
                                       ("luong.ods", b"whatever")])
def test_broken_xls_and_ods_name_the_file(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    assert f"«{name}»" in info.value.message and "bị hỏng" in info.value.message


def test_corrupt_workbook(tmp_path: Path) -> None:
    path = tmp_path / "hong.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InvalidInput) as info:
        read_salary_lines(path)
    assert "«hong.xlsx»" in info.value.message
    assert info.value.problems[0].code == "file-corrupt"


def test_header_found_on_second_sheet(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active["A1"] = "Điền bảng lương ở trang sau"
    ws = wb.create_sheet("Dữ liệu")
    ws.append(["Họ và tên", "STK", "Ngân hàng", "Số tiền"])
    ws.append(["Ngô Minh Tuấn", "21510003987624", "BIDV", "4.960.000"])
    path = tmp_path / "hai-trang.xlsx"
    wb.save(path)
    (line,) = read_salary_lines(path)
    assert line["account"] == "21510003987624" and line["amount"] == 4_960_000


# -- legacy encodings (reference/domain.md, "Legacy Vietnamese text in old workbooks") -------

def test_tcvn3_and_vni_converters() -> None:
    from client.importers.legacy import tcvn3_to_unicode, vni_to_unicode

    assert tcvn3_to_unicode("NguyÔn V¨n An") == "Nguyễn Văn An"   # domain.md examples
    assert tcvn3_to_unicode("§ç ThÞ H»ng") == "Đỗ Thị Hằng"
    assert tcvn3_to_unicode("Tr\xadêng TiÓu häc") == "Trường Tiểu học"  # ư is the soft hyphen
    assert tcvn3_to_unicode("NGUYÔN V¡N AN") == "NGUYỄN VĂN AN"   # uppercase font
    assert vni_to_unicode("Nguyeãn Vaên An") == "Nguyễn Văn An"
    assert vni_to_unicode("Ñoã Thò Haèng") == "Đỗ Thị Hằng"
    assert vni_to_unicode("Tröôøng Tieåu hoïc") == "Trường Tiểu học"
    assert vni_to_unicode("NGUYEÃN VAÊN AN") == "NGUYỄN VĂN AN"


def test_tcvn3_workbook_is_converted_and_reported(tmp_path: Path) -> None:
    from client.importers import read_salary

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["B¶ng l\xad¬ng th¸ng 10"])
    ws.append(["Hä vµ tªn", "Sè tµi kho¶n", "Ng©n hµng", "Sè tiÒn", "Ghi chó"])
    ws.append(["NguyÔn V¨n An", "0011004387215", "Vietcombank", 5_000_000, "Tr\xadëng phßng"])
    ws.append(["§ç ThÞ H»ng", "101867204519", "VietinBank", 4_000_000, None])
    path = tmp_path / "cu.xlsx"
    wb.save(path)
    lines, notes = read_salary(path)
    assert [line["name"] for line in lines] == ["Nguyễn Văn An", "Đỗ Thị Hằng"]
    assert lines[0]["note"] == "Trưởng phòng"
    assert len(notes) == 1 and "TCVN3" in notes[0] and "«cu.xlsx»" in notes[0]


def test_vni_csv_bytes_are_converted(tmp_path: Path) -> None:
    from client.importers import read_salary

    text = ("Hoï vaø teân,Soá taøi khoaûn,Ngaân haøng,Soá tieàn\n"
            "Nguyeãn Vaên An,0011004387215,Vietcombank,5.000.000\n"
            "Ñoã Thò Haèng,101867204519,VietinBank,4.000.000\n")
    path = tmp_path / "vni.csv"
    path.write_bytes(text.encode("latin-1"))
    lines, notes = read_salary(path)
    assert [line["name"] for line in lines] == ["Nguyễn Văn An", "Đỗ Thị Hằng"]
    assert "VNI" in notes[0]


def test_unicode_sheet_is_never_converted(tmp_path: Path) -> None:
    from client.importers import read_salary

    text = ("Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n"
            "Hà Tú,123456789,ACB,1000\n"
            "Tô Bá,123456780,ACB,2000\n")
    lines, notes = read_salary(write_csv(tmp_path / "u.csv", text))
    assert [line["name"] for line in lines] == ["Hà Tú", "Tô Bá"] and notes == []
