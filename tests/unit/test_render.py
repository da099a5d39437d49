"""client.render: Mẫu 09 / Mẫu 07 PDFs, read back with poppler (pdftotext, pdffonts, pdfinfo)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from client.documents import new_salary_table, new_voucher_list, validate
from client.errors import InvalidInput
from client.importers import read_salary_lines
from client.money import format_vnd
from client.render import render_pdf

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "salary" / "demo.csv"
UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Đồng", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}
DOC_ID = "5f2b8e0a-9d4c-4b7e-8a1f-3c6d2e9b7a01"


def salary_doc(lines: list[dict] | None = None, **kw: object) -> dict:
    args: dict = dict(unit=UNIT, number="09/2026", date="2026-10-25",
                      period={"year": 2026, "month": 10},
                      lines=lines if lines is not None else read_salary_lines(DEMO),
                      prepared_by="Đỗ Thị Hằng",
                      payment_order={"number": "GRDT-158", "date": "2026-10-26"},
                      changes={"explanation": "Tăng 1 hợp đồng bảo trì.", "difference": 1_500_000},
                      doc_id=DOC_ID)
    args.update(kw)
    doc = new_salary_table(**args)
    assert validate(doc) == []
    return doc


def voucher_doc(n: int = 3) -> dict:
    lines = [{"voucher": {"number": f"HĐ-{i:05d}", "date": "2026-10-05"},
              "description": f"Mua văn phòng phẩm đợt {i} phục vụ công tác chuyên môn",
              "ndkt": "6551", "amount": 1_250_000 + i} for i in range(1, n + 1)]
    doc = new_voucher_list(unit=UNIT, number="BK-07/10", date="2026-10-20", purpose="advance",
                           budget={"chapter": "622", "sector": "072", "source": "13",
                                   "program": "00000"},
                           lines=lines, prepared_by="Đỗ Thị Hằng", doc_id=DOC_ID)
    assert validate(doc) == []
    return doc


def poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    cmd = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def demo_pdf() -> tuple[dict, bytes]:
    doc = salary_doc()
    return doc, render_pdf(doc)


def test_salary_table_text(demo_pdf: tuple[dict, bytes], tmp_path: Path) -> None:
    doc, pdf = demo_pdf
    assert pdf.startswith(b"%PDF-")
    text = poppler("pdftotext", pdf, tmp_path, "-layout")
    words = flat(text)
    for needle in ["Mẫu số 09", "Số: 09/2026", "BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG",
                   "Tháng 10 năm 2026",
                   "(Kèm theo Giấy rút dự toán/Ủy nhiệm chi số GRDT-158 ngày 26 tháng 10 năm 2026)",
                   "Tài khoản dự toán ☒", "Tài khoản tiền gửi ☐",
                   "1. Đơn vị sử dụng ngân sách: Trường Tiểu học Kim Đồng",
                   "2. Mã đơn vị: 1047665",
                   "3. Tài khoản thanh toán của đơn vị: 9523.1.1047665 mở tại: KBNN Đống Đa",
                   "I. Nội dung đề nghị thanh toán", "(Đơn vị: đồng)",
                   "Họ và tên", "Tên ngân hàng", "Trong đó", "Tổng số", "Ghi chú",
                   "I. Công chức", "II. Hợp đồng lao động", "Cộng", "Tổng cộng",
                   "II. Phần thuyết minh thay đổi so với tháng trước",
                   "Tăng 1 hợp đồng bảo trì.", "+1.500.000",
                   "NGƯỜI LẬP BẢNG", "KẾ TOÁN TRƯỞNG", "THỦ TRƯỞNG ĐƠN VỊ", "Đỗ Thị Hằng",
                   "CHUYÊN VIÊN KIỂM SOÁT CHI", "GIÁM ĐỐC KBNN", "Ngày 25 tháng 10 năm 2026"]:
        assert needle in words, needle
    for line in doc["lines"]:
        assert line["name"] in words
        assert line["account"] in words
        assert format_vnd(line["amount"]) in words
    assert format_vnd(doc["total"]) == "77.162.900"
    total_row = next(t for t in text.splitlines() if "Tổng cộng" in t)
    assert "77.162.900" in total_row
    assert f"Tổng số tiền bằng chữ: {doc['total_in_words']}" in words
    # group subtotals: I = 56.222.900, II = 20.940.000
    cong_rows = [t for t in text.splitlines() if re.search(r"^\s*Cộng\b", t)]
    assert ["56.222.900" in cong_rows[0], "20.940.000" in cong_rows[1]] == [True, True]
    # numbered column row 1 … 13
    assert re.search(r"\b1\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9\s+10\s+11\s+12\s+13\b", text)


def test_page_is_a4_landscape_and_fonts_embedded(demo_pdf: tuple[dict, bytes],
                                                 tmp_path: Path) -> None:
    _, pdf = demo_pdf
    info = poppler("pdfinfo", pdf, tmp_path)
    assert re.search(r"Page size:\s+841\.89 x 595\.27\d pts \(A4\)", info)
    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts, "no fonts"
    for row in fonts:
        assert "DejaVu" in row, row          # no unembedded Helvetica
        assert re.search(r"\byes\s+yes\s+yes\b", row), row  # embedded, subset, unicode map


def test_deterministic_bytes(demo_pdf: tuple[dict, bytes]) -> None:
    doc, pdf = demo_pdf
    assert render_pdf(doc) == pdf
    assert render_pdf(dict(reversed(list(doc.items())))) == pdf


def test_deterministic_across_processes_and_clock(demo_pdf: tuple[dict, bytes],
                                                  tmp_path: Path) -> None:
    """Another interpreter, with SOURCE_DATE_EPOCH set, still gives the same bytes."""
    doc, pdf = demo_pdf
    out = tmp_path / "other.pdf"
    script = (
        "import json, sys; from pathlib import Path\n"
        "from client.render import render_pdf\n"
        f"doc = json.loads(Path({str(tmp_path / 'doc.json')!r}).read_text('utf-8'))\n"
        f"Path({str(out)!r}).write_bytes(render_pdf(doc))\n")
    import json
    (tmp_path / "doc.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1234567890", "TZ": "America/New_York"}
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, env=env)
    assert out.read_bytes() == pdf


def test_pdf_dates_and_id_come_from_the_document(demo_pdf: tuple[dict, bytes],
                                                 tmp_path: Path) -> None:
    doc, pdf = demo_pdf
    assert b"/CreationDate (D:20261025000000+07'00')" in pdf
    other = dict(doc, number="10/2026")
    other_pdf = render_pdf(other)
    ids = [re.search(rb"/ID\s*\[\s*<([0-9a-fA-F]+)>", p).group(1) for p in (pdf, other_pdf)]
    assert ids[0] != ids[1]
    assert "Số: 10/2026" in flat(poppler("pdftotext", other_pdf, tmp_path))


def test_headings_repeat_and_pages_numbered(tmp_path: Path) -> None:
    lines = [{"name": f"Nguyễn Văn Người {i}", "account": f"{1000000 + i}",
              "bank": "Vietcombank - CN Hà Nội", "amount": 5_000_000 + i,
              "group": "I. Công chức" if i < 150 else "II. Hợp đồng lao động"}
             for i in range(200)]
    doc = salary_doc(lines)
    pdf = render_pdf(doc)
    pages = poppler("pdftotext", pdf, tmp_path, "-layout").split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 5
    for number, page in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in page
        if "Nguyễn Văn Người" in page:
            assert "Họ và tên" in page and "Tên ngân hàng" in page, number
    text = flat("\n".join(pages))
    for i in (0, 77, 149, 150, 199):
        assert f"Nguyễn Văn Người {i} " in text
    assert format_vnd(doc["total"]) in text


def test_no_groups_means_no_group_rows(tmp_path: Path) -> None:
    doc = salary_doc([{"name": "Vũ Đức Thắng", "account": "0451000392847", "bank": "VCB",
                       "amount": 6_593_600}], changes=None, payment_order=None)
    text = poppler("pdftotext", render_pdf(doc), tmp_path, "-layout")
    assert not re.search(r"^\s*Cộng\b", text, re.M)
    assert "Tổng cộng" in text and "6.593.600" in text
    assert "Sáu triệu năm trăm chín mươi ba nghìn sáu trăm đồng" in flat(text)
    assert "Không có thay đổi so với tháng trước." in flat(text)
    assert "Ủy nhiệm chi số ……" in flat(text)


def test_voucher_list(tmp_path: Path) -> None:
    doc = voucher_doc(3)
    pdf = render_pdf(doc)
    assert render_pdf(doc) == pdf
    text = poppler("pdftotext", pdf, tmp_path, "-layout")
    words = flat(text)
    for needle in ["Mẫu số 07", "Số: BK-07/10", "BẢNG KÊ NỘI DUNG THANH TOÁN/TẠM ỨNG",
                   "Thanh toán ☐", "Tạm ứng ☒", "Mã chương: 622", "Mã ngành kinh tế: 072",
                   "Mã nguồn NSNN: 13", "Mã CTMT, dự án: 00000", "STT", "Chứng từ",
                   "Nội dung chi", "NDKT", "Số tiền", "HĐ-00002", "05/10/2026", "6551",
                   "Mua văn phòng phẩm đợt 3", "Tổng cộng", "3.750.006",
                   f"Tổng số tiền ghi bằng chữ: {doc['total_in_words']}",
                   "NGƯỜI LẬP", "KẾ TOÁN TRƯỞNG", "THỦ TRƯỞNG ĐƠN VỊ", "Trang 1/1"]:
        assert needle in words, needle
    info = poppler("pdfinfo", pdf, tmp_path)
    assert re.search(r"Page size:\s+595\.27\d x 841\.89 pts \(A4\)", info)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Mẫu 09 và Mẫu 07"):
        render_pdf({"kind": "receipt"})


def test_long_table_pages_and_totals(tmp_path: Path) -> None:
    """A 3 000-line table (speed is measured in benchmarks/bench_salary.py, not here)."""
    lines = [{"name": f"Trần Thị Thanh Hương {i}", "account": f"{10**11 + i}",
              "bank": "Ngân hàng TMCP Ngoại thương Việt Nam - CN Đống Đa",
              "group": ("I. Công chức", "II. Hợp đồng lao động")[i % 2],
              "parts": {"salary": 7_000_000 + i, "bonus": 300_000 * (i % 3)}}
             for i in range(3_000)]
    doc = salary_doc(lines)
    pdf = render_pdf(doc)
    text = poppler("pdftotext", pdf, tmp_path, "-layout")
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) > 50
    assert f"Trang {len(pages)}/{len(pages)}" in pages[-1]
    assert all("Họ và tên" in p for p in pages[:-1])  # headings repeated on every table page
    assert "100000002999" in text and "100000000000" in text
    assert format_vnd(doc["total"]) in text


# -- C02a-HD, xlsx, first-page picture ------------------------------------------------------------

def _payroll_sheet(month: int = 7):
    from client.payroll.compute import compute_month
    from client.payroll.rules import load_rules
    from tests.unit.test_payroll import UNIT as PAYROLL_UNIT
    from tests.unit.test_payroll import people

    sheet = compute_month(people(), 2026, month, load_rules())
    sheet.unit = dict(PAYROLL_UNIT)
    return sheet


def test_c02a_sheet_pdf(tmp_path: Path) -> None:
    from client.money import amount_in_words
    from client.render.c02a import render_c02a

    sheet = _payroll_sheet()
    pdf = render_c02a(sheet, date="2026-07-25", number="07/2026-BTT")
    assert render_c02a(sheet, date="2026-07-25", number="07/2026-BTT") == pdf  # deterministic
    info = poppler("pdfinfo", pdf, tmp_path)
    assert re.search(r"Page size:\s+841\.89 x 595\.27\d pts \(A4\)", info)
    for row in poppler("pdffonts", pdf, tmp_path).splitlines()[2:]:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row
    text = poppler("pdftotext", pdf, tmp_path, "-layout")
    words = flat(text)
    for needle in ["Mẫu số C02a-HD", "BẢNG THANH TOÁN TIỀN LƯƠNG VÀ CÁC KHOẢN PHỤ CẤP THEO LƯƠNG,",
                   "Tháng 07 năm 2026", "Lương cơ sở: 2.530.000 đồng (áp dụng từ 01/07/2026",
                   "chưa kiểm chứng", "Các khoản trừ vào lương", "Các khoản trích vào chi phí",
                   "Số thực", "I. Công chức", "III. Hợp đồng lao động", "Tổng cộng",
                   "NGƯỜI LẬP BẢNG", "Trang 1/1"]:
        assert needle in words, needle
    for row in sheet.rows:
        assert row.name in words
        assert format_vnd(row.net) in words
    # A: HSL 4,98 and PC công vụ 1,32 as coefficients; C: the capped BHXH 4.048.000.
    nguyen = next(t for t in text.splitlines() if "Nguyễn Văn An" in t)
    assert "4,98" in nguyen and "1,32" in nguyen and "15.801.368" in nguyen
    assert "4.048.000" in next(t for t in text.splitlines() if "Lê Văn Cường" in t)
    net = sum(r.net for r in sheet.rows)
    total_row = next(t for t in text.splitlines() if "Tổng cộng" in t)
    assert format_vnd(net) in total_row
    assert f"Tổng số tiền thực lĩnh bằng chữ: {amount_in_words(net)}" in words


def test_mau09_xlsx_reads_back_as_the_same_lines(demo_pdf: tuple[dict, bytes],
                                                 tmp_path: Path) -> None:
    import openpyxl

    from client.export import mau09_xlsx
    from client.importers.salary import read_salary_table

    doc, _ = demo_pdf
    path = tmp_path / "mau09.xlsx"
    path.write_bytes(mau09_xlsx(doc))
    ws = openpyxl.load_workbook(path).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG" in cells
    assert doc["total"] in cells  # a number Excel can add up, not text
    assert f"Tổng số tiền bằng chữ: {doc['total_in_words']}" in cells
    assert ws.print_title_rows  # headings repeat when printed
    lines, report = read_salary_table(path)  # our own importer takes it back unchanged
    assert report.two_row_header
    strip = [{k: v for k, v in line.items() if k != "no"} for line in doc["lines"]]
    assert [{k: line[k] for k in strip[0]} for line in lines] == strip


def test_c02a_xlsx(tmp_path: Path) -> None:
    import openpyxl

    from client.export import c02a_xlsx

    sheet = _payroll_sheet()
    path = tmp_path / "c02a.xlsx"
    path.write_bytes(c02a_xlsx(sheet))
    ws = openpyxl.load_workbook(path).active
    rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    person = next(r for r in rows if "Nguyễn Văn An" in r)
    assert 15_801_368 in person and 1_068_672 in person
    assert any(str(c) == "4.98" for c in person)
    total = next(r for r in rows if "Tổng cộng" in r)
    assert sum(r.net for r in sheet.rows) in total


def test_first_page_png(demo_pdf: tuple[dict, bytes], tmp_path: Path) -> None:
    """The first page of Mẫu 09 as a picture, for review: build/screenshots/mau09-page1.png."""
    _, pdf = demo_pdf
    src = tmp_path / "mau09.pdf"
    src.write_bytes(pdf)
    out_dir = ROOT / "build" / "screenshots"
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                    str(src), str(out_dir / "mau09-page1")], check=True)
    png = (out_dir / "mau09-page1.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > height  # landscape
