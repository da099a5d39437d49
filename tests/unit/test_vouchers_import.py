"""Importing voucher lists: workbooks as units build them, an accounting package's CSV, the CLI."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pytest

from client.cli import main
from client.errors import InvalidInput, UsageError
from client.vouchers.importer import import_vouchers, import_vouchers_report

UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Đồng", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}
DOC_ID = "0b9f1d3e-6c1a-4d52-8f36-2a9e5b7c4d10"


def _header(purpose: str = "payment", budget: dict | None = None, order: dict | None = None
            ) -> dict:
    return {"format": "kbnn-document/1", "kind": "voucher-list", "id": DOC_ID,
            "number": "BK-10/2026", "date": "2026-10-20", "unit": UNIT, "payment_order": order,
            "currency": "VND", "prepared_by": "Đỗ Thị Hằng", "purpose": purpose,
            "budget": budget or {"chapter": "622", "sector": "072", "source": "13",
                                 "program": "00000"}}


def _line(no: int, number: str, date: str, description: str, ndkt: str, amount: int) -> dict:
    return {"no": no, "voucher": {"number": number, "date": date}, "description": description,
            "ndkt": ndkt, "amount": amount}


def _import(path, **kw) -> dict:
    args = dict(unit=UNIT, number="BK-10/2026", date="2026-10-20", purpose="payment",
                budget={"chapter": "622", "sector": "072", "source": "13", "program": None},
                prepared_by="Đỗ Thị Hằng")
    args.update(kw)
    doc = import_vouchers(path, **args)
    doc["id"] = DOC_ID
    return doc


def form_like_workbook(path) -> None:
    """The Mẫu 07 layout itself: titles, merged "Chứng từ" over "Số | Ngày", column numbers,
    dates as dates and as text, NDKT as numbers, amounts as numbers and as text, Tổng cộng,
    signatures."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bảng kê"
    ws["A1"] = "TRƯỜNG TIỂU HỌC KIM ĐỒNG"
    ws.merge_cells("A1:F1")
    ws["A2"] = "BẢNG KÊ CHỨNG TỪ THANH TOÁN THÁNG 10/2026"
    ws.merge_cells("A2:F2")
    ws.append([])
    ws.append(["STT", "Chứng từ", None, "Nội dung chi", "Mã NDKT", "Số tiền"])
    ws.append([None, "Số", "Ngày", None, None, None])
    for rng in ("B4:C4", "A4:A5", "D4:D5", "E4:E5", "F4:F5"):
        ws.merge_cells(rng)
    ws.append([1, 2, 3, 4, 5, 6])
    ws.append([1, "HĐ 0001234", dt.datetime(2026, 10, 5), "Tiền điện tháng 9/2026", 6501, 1250000])
    ws.append([2, 871, "07/10/2026", "Văn phòng phẩm quý IV", "6551", "3.450.000"])
    ws.append([3, "PC-15", dt.datetime(2026, 10, 12), "Tiền nước tháng 9/2026", 6502, 480500])
    ws.append([None, None, None, "Tổng cộng", None, 5180500])
    ws.append([None, "Người lập", None, "Kế toán trưởng", None, "Thủ trưởng đơn vị"])
    ws.append([None, None, None, "Ghi chú nội bộ", 6501, 999])
    wb.save(path)


def test_form_like_workbook_gives_the_exact_document(tmp_path):
    form_like_workbook(tmp_path / "bk.xlsx")
    doc = _import(tmp_path / "bk.xlsx")
    assert doc == {
        **_header(),
        "lines": [_line(1, "HĐ 0001234", "2026-10-05", "Tiền điện tháng 9/2026", "6501", 1_250_000),
                  _line(2, "871", "2026-10-07", "Văn phòng phẩm quý IV", "6551", 3_450_000),
                  _line(3, "PC-15", "2026-10-12", "Tiền nước tháng 9/2026", "6502", 480_500)],
        "total": 5_180_500,
        "total_in_words": "Năm triệu một trăm tám mươi nghìn năm trăm đồng",
    }


def test_invoice_ledger_workbook_with_groups_subtotals_and_hidden_column(tmp_path):
    """A unit's own ledger: "Số HĐ", "Ngày HĐ", "Nội dung", "Tiểu mục"; a group heading per
    NDKT with its "Cộng" row, a hidden working column, a hidden (cancelled) row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["SỔ THEO DÕI HÓA ĐƠN QUÝ IV/2026"])
    ws.append(["STT", "Số HĐ", "Ngày HĐ", "Nội dung", "Ghi chú KT", "Tiểu mục", "Số tiền (đồng)"])
    ws.append(["I", "Dịch vụ công cộng"])
    ws.append([1, "0004512", "03/10/2026", "Tiền điện", "đã đối chiếu", "6501", 2_100_000])
    ws.append([2, "0004513", "03/10/2026", "Tiền điện (hủy)", "hủy", "6501", 50_000])
    ws.append([3, "0000227", "09/10/2026", "Tiền nước", "", "6502", 310_000])
    ws.append([None, "Cộng", None, None, None, None, 2_410_000])
    ws.append(["II", "Công tác phí"])
    ws.append([1, "VT-88", "15/10/2026", "Vé tàu Hà Nội - Huế", "", "6701", 1_200_000])
    ws.append([None, "Cộng", None, None, None, None, 1_200_000])
    ws.append([None, "Tổng cộng", None, None, None, None, 3_610_000])
    ws.column_dimensions["E"].hidden = True
    ws.row_dimensions[5].hidden = True
    wb.save(tmp_path / "so.xlsx")
    doc, report = import_vouchers_report(
        tmp_path / "so.xlsx", unit=UNIT, number="BK-10/2026", date="2026-10-20",
        purpose="advance", budget={"chapter": "622", "sector": "072", "source": "13"},
        prepared_by="Đỗ Thị Hằng", payment_order={"number": "GRDT-77", "date": "2026-10-20"})
    doc["id"] = DOC_ID
    assert doc == {
        **_header("advance", order={"number": "GRDT-77", "date": "2026-10-20"}),
        "lines": [_line(1, "0004512", "2026-10-03", "Tiền điện", "6501", 2_100_000),
                  _line(2, "0000227", "2026-10-09", "Tiền nước", "6502", 310_000),
                  _line(3, "VT-88", "2026-10-15", "Vé tàu Hà Nội - Huế", "6701", 1_200_000)],
        "total": 3_610_000,
        "total_in_words": "Ba triệu sáu trăm mười nghìn đồng",
    }
    assert report.source_rows == [4, 6, 9]
    assert any(s["row"] == 5 and s["reason"] == "hidden" for s in report.skipped)


ACCOUNTING_CSV = (
    "\ufeffNgày hạch toán;Ngày chứng từ;Số chứng từ;Diễn giải;TK Nợ;TK Có;Số tiền;Chương;Khoản;"
    "Nguồn;Mục;Tiểu mục\n"
    "31/10/2026;05/10/2026;PC00125;Thanh toán tiền điện T9/2026;6612;1121;1.250.000;622;072;13;"
    "6500;6501\n"
    "31/10/2026;07/10/2026;PC00126;Mua văn phòng phẩm;6612;1121;3.450.000;622;072;13;6550;6551\n"
    "31/10/2026;12/10/2026;PC00131;Cước Internet tháng 9;6612;1121;480.500;622;072;13;6600;6605\n"
)


def test_accounting_package_csv_gives_the_exact_document(tmp_path):
    (tmp_path / "misa.csv").write_text(ACCOUNTING_CSV, encoding="utf-8")
    doc = _import(tmp_path / "misa.csv", budget={})
    assert doc == {
        **_header(),
        "lines": [
            _line(1, "PC00125", "2026-10-05", "Thanh toán tiền điện T9/2026", "6501", 1_250_000),
            _line(2, "PC00126", "2026-10-07", "Mua văn phòng phẩm", "6551", 3_450_000),
            _line(3, "PC00131", "2026-10-12", "Cước Internet tháng 9", "6605", 480_500)],
        "total": 5_180_500,
        "total_in_words": "Năm triệu một trăm tám mươi nghìn năm trăm đồng",
    }


def test_budget_codes_must_be_one_per_list(tmp_path):
    mixed = ACCOUNTING_CSV.replace(";622;072;13;6550", ";622;073;13;6550")
    (tmp_path / "mixed.csv").write_text(mixed, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        _import(tmp_path / "mixed.csv", budget={})
    assert exc.value.problems[0].code == "budget-code-mixed" and "072, 073" in exc.value.message
    (tmp_path / "misa.csv").write_text(ACCOUNTING_CSV, encoding="utf-8")
    with pytest.raises(UsageError, match="Mã chương ghi 999 nhưng tệp ghi 622"):
        _import(tmp_path / "misa.csv", budget={"chapter": "999"})


def test_unreadable_cell_is_named_by_row_and_column(tmp_path):
    bad = ACCOUNTING_CSV.replace("1.250.000", "một triệu")
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        _import(tmp_path / "bad.csv", budget={})
    assert "dòng 2" in exc.value.message and "(G)" in exc.value.message


def test_map_names_columns_the_importer_does_not_know(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã phiếu", "Lập ngày", "Việc chi", "Mã chi", "Thành tiền"])
    ws.append(["X-1", "01/10/2026", "Mua mực in", "6551", 640_000])
    wb.save(tmp_path / "la.xlsx")
    with pytest.raises(InvalidInput, match="Không tìm thấy dòng tiêu đề"):
        _import(tmp_path / "la.xlsx")
    from client.vouchers.importer import voucher_mapping

    doc = _import(tmp_path / "la.xlsx", mapping=voucher_mapping(
        ["voucher.number=A", "voucher.date=B", "description=C", "ndkt=D"]))
    assert doc["lines"] == [_line(1, "X-1", "2026-10-01", "Mua mực in", "6551", 640_000)]


# -- the command -----------------------------------------------------------------------------

def _unit(home) -> None:
    assert main(["--home", str(home), "unit", "set", "--code", "1047665", "--name",
                 "Trường Tiểu học Kim Đồng", "--treasury", "KBNN Đống Đa", "--account",
                 "9523.1.1047665", "--account-kind", "estimate", "--prepared-by",
                 "Đỗ Thị Hằng"]) == 0


def test_cli_import_vouchers(tmp_path, capsys):
    home = tmp_path / "home"
    _unit(home)
    form_like_workbook(tmp_path / "bk.xlsx")
    out = tmp_path / "bk.json"
    rc = main(["--home", str(home), "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o", str(out),
               "--chapter", "622", "--sector", "072", "--source", "13", "--date", "2026-10-20",
               "--payment-order", "GRDT-12:2026-10-20", "--order-line", "6501=1.250.000",
               "--order-line", "6502=480.500", "--order-line", "6551=3.450.000", "--json"])
    assert rc == 0
    captured = capsys.readouterr().out
    report = json.loads(captured[captured.index("{"):])
    assert report["catalogue"] == "2026.1-partial" and report["problems"] == []
    assert [s["ndkt"] for s in report["subtotals"]] == ["6501", "6502", "6551"]
    doc = json.loads(out.read_text("utf-8"))
    assert doc["number"] == "BK-10/2026" and doc["budget"]["program"] == "00000"
    assert doc["payment_order"]["lines"][1] == {"ndkt": "6502", "amount": 480_500}

    assert main(["--home", str(home), "vouchers", "summary", str(out)]) == 0
    summary = capsys.readouterr().out.splitlines()
    assert summary[1].split() == ["6501", "1.250.000", "Thanh", "toán", "tiền", "điện", "GRDT:",
                                  "1.250.000"]
    assert summary[-1].strip() == "Tổng cộng 5.180.500 đồng"

    # a payment order that disagrees: the file is written, the errors are named, exit 1
    rc = main(["--home", str(home), "import", "vouchers", str(tmp_path / "bk.xlsx"), "-o",
               str(tmp_path / "bad.json"), "--chapter", "622", "--sector", "072", "--source",
               "13", "--date", "2026-10-20", "--payment-order", "GRDT-12:2026-10-20",
               "--order-line", "6501=1250000"])
    captured = capsys.readouterr()
    assert rc == 1 and (tmp_path / "bad.json").exists()
    assert "Giấy rút dự toán không có dòng mã này" in captured.err
    assert "NDKT 6502" in captured.err and "NDKT 6551" in captured.err
    assert "danh mục NDKT phiên bản 2026.1-partial" in captured.out


def test_cli_advances_reminder(tmp_path, capsys):
    from client.store.db import connect
    from client.store.documents import DocumentRepo
    from tests.unit.test_vouchers import vouchers

    home = tmp_path / "home"
    _unit(home)
    from client.home import Home

    conn = connect(Home(home).db_path)
    repo = DocumentRepo(conn)
    from client.documents import serialize

    adv = vouchers(number="TU-01", date="2026-08-10", purpose="advance")
    local = repo.add_draft(serialize(adv), {"id": adv["id"], "kind": "voucher-list",
                                            "number": "TU-01", "total": adv["total"]})
    repo.set_state(local, "paid")
    conn.close()
    assert main(["--home", str(home), "vouchers", "advances", "--today", "2026-10-20"]) == 0
    text = capsys.readouterr().out
    assert "Tạm ứng số TU-01" in text and "hạn thanh toán 2026-09-30 (QUÁ HẠN 20 ngày)" in text


def test_workbook_typed_in_tcvn3_is_converted_and_reported(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Sè chøng tõ", "Ngµy", "Néi dung chi", "M· NDKT", "Sè tiÒn"])
    ws.append(["0001", "05/10/2026", "Mua v¨n phßng phÈm", "6551", 120_000])
    wb.save(tmp_path / "cu.xlsx")
    doc, report = import_vouchers_report(
        tmp_path / "cu.xlsx", unit=UNIT, number="BK-10/2026", date="2026-10-20",
        purpose="payment", budget={"chapter": "622", "sector": "072", "source": "13"},
        prepared_by="Đỗ Thị Hằng")
    assert doc["lines"] == [_line(1, "0001", "2026-10-05", "Mua văn phòng phẩm", "6551", 120_000)]
    assert report.legacy.startswith("TCVN3")
    assert any(c.after == "Mua văn phòng phẩm" for c in report.conversions)


def test_cli_voucher_map_is_remembered_for_the_next_list(tmp_path, capsys):
    """An accounting package's export with its own headings: mapped once with --map, then
    the unit's next export is read the same way without it; --forget-map drops it."""
    home = tmp_path / "home"
    _unit(home)

    def export(name: str, amount: str):
        path = tmp_path / name
        path.write_text("SoCT;NgayCT;DienGiai;TieuMuc;PhatSinhNo\n"
                        f"HD 0001234;05/10/2026;Tiền điện tháng 9;6501;{amount}\n", encoding="utf-8")
        return path

    base = ["--home", str(home), "import", "vouchers", "--chapter", "622", "--sector", "072",
            "--source", "13", "--date", "2026-10-20"]
    first = export("t10.csv", "1250000")
    assert main(base + [str(first), "-o", str(tmp_path / "a.json")]) == 1  # headings unknown
    mapping = ["--map", "voucher.number=A", "--map", "voucher.date=B", "--map", "description=C",
               "--map", "ndkt=D", "--map", "amount=E"]
    assert main(base + [str(first), "-o", str(tmp_path / "a.json")] + mapping) == 0
    assert "Đã ghi nhớ cách ghép cột" in capsys.readouterr().out
    second = export("t11.csv", "980000")
    assert main(base + [str(second), "-o", str(tmp_path / "b.json")]) == 0
    assert "Dùng cách ghép cột đã ghi nhớ" in capsys.readouterr().out
    doc = json.loads((tmp_path / "b.json").read_text("utf-8"))
    assert [(x["voucher"]["number"], x["ndkt"], x["amount"]) for x in doc["lines"]] == [
        ("HD 0001234", "6501", 980_000)]
    assert main(base + [str(second), "-o", str(tmp_path / "c.json"), "--forget-map"]) == 1
