"""Voucher lists (Mẫu 07): every check, advances, subtotals, the printed form and the .xlsx."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest

from client.catalogue import shipped
from client.documents import new_voucher_list, serialize
from client.documents.checks import CheckInputs, errors, run_checks, warnings
from client.documents.confirmations import inputs_for, signing_gate
from client.store.db import connect
from client.store.documents import DocumentRepo
from client.vouchers import advance_due, subtotals, unsettled_advances

UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Đồng", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}
BUDGET = {"chapter": "622", "sector": "072", "source": "13", "program": "00000"}


def line(number: str, date: str, ndkt: str, amount: int, description: str = "Chi mua vật tư"
         ) -> dict:
    return {"voucher": {"number": number, "date": date}, "description": description,
            "ndkt": ndkt, "amount": amount}


def vouchers(lines: list[dict] | None = None, **kw) -> dict:
    args = dict(unit=UNIT, number="BK-10/2026", date="2026-10-20", purpose="payment",
                budget=BUDGET, prepared_by="Đỗ Thị Hằng",
                lines=lines or [line("0001234", "2026-10-05", "6501", 1_250_000),
                                line("0000871", "2026-10-07", "6551", 3_450_000),
                                line("PC-15", "2026-10-12", "6501", 480_500)])
    args.update(kw)
    return new_voucher_list(**args)


def found(problems, code: str) -> list:
    return [p for p in problems if p.code == code]


def test_clean_list_has_no_problems():
    assert run_checks(vouchers()) == []


def test_subtotals_by_ndkt():
    assert subtotals(vouchers()) == [{"ndkt": "6501", "amount": 1_730_500, "lines": 2},
                                     {"ndkt": "6551", "amount": 3_450_000, "lines": 1}]


# -- catalogue ---------------------------------------------------------------------------------

def test_code_missing_from_catalogue_is_flagged_with_the_version():
    doc = vouchers([line("1", "2026-10-01", "6598", 100_000)])
    (p,) = found(run_checks(doc), "ndkt-unknown")
    assert p.severity == "warning" and p.where == "lines[0].ndkt"
    assert "2026.1-partial" in p.message and "mục 6550" in p.message
    assert p.message.startswith("Dòng 1, cột «Mã NDKT»")


def test_group_code_where_a_tieu_muc_is_needed_is_an_error():
    (p,) = found(run_checks(vouchers([line("1", "2026-10-01", "6500", 100_000)])), "ndkt-group")
    assert p.severity == "error" and "tiểu mục" in p.message


def test_malformed_code_is_named_once_by_the_contract():
    problems = run_checks(vouchers([line("1", "2026-10-01", "65O1", 100_000)]))
    assert [p.code for p in problems if p.where == "lines[0].ndkt"] == ["ndkt-invalid"]


# -- the payment order ---------------------------------------------------------------------------

def test_payment_order_lines_agree_ndkt_by_ndkt():
    order = {"number": "GRDT-12", "date": "2026-10-20",
             "lines": [{"ndkt": "6501", "amount": 1_730_500}, {"ndkt": "6551", "amount": 3_450_000}]}
    assert run_checks(vouchers(payment_order=order)) == []


def test_payment_order_mismatch_missing_and_extra():
    order = {"number": "GRDT-12", "date": "2026-10-20",
             "lines": [{"ndkt": "6501", "amount": 1_730_000}, {"ndkt": "6701", "amount": 3_450_500}]}
    problems = run_checks(vouchers(payment_order=order))
    (mismatch,) = found(problems, "payment-order-ndkt-mismatch")
    assert "6501" in mismatch.message and "1.730.500" in mismatch.message \
        and "1.730.000" in mismatch.message and "chênh lệch 500" in mismatch.message
    (missing,) = found(problems, "payment-order-ndkt-missing")
    assert "6551" in missing.message
    (extra,) = found(problems, "payment-order-ndkt-extra")
    assert "6701" in extra.message and extra.where == "payment_order.lines[1]"
    assert mismatch.message.startswith("Giấy rút dự toán/Ủy nhiệm chi, dòng 1")
    assert all(p.severity == "error" for p in problems)


def test_every_code_missing_from_the_order_is_named():
    order = {"number": "GRDT-12", "date": "2026-10-20", "lines": [{"ndkt": "6701", "amount": 1}]}
    doc = vouchers([line("1", "2026-10-01", "6501", 1_000), line("2", "2026-10-01", "6551", 2_000)],
                   payment_order=order)
    missing = found(run_checks(doc), "payment-order-ndkt-missing")
    assert [(p.where, "NDKT " + doc["lines"][i]["ndkt"] in p.message)
            for i, p in enumerate(missing)] == [("lines[0].ndkt", True), ("lines[1].ndkt", True)]


def test_total_against_payment_order_amount():
    (p,) = found(run_checks(vouchers(), CheckInputs(payment_order_amount=5_000_000)),
                 "payment-order-amount-mismatch")
    assert "5.180.500" in p.message and "5.000.000" in p.message


# -- dates, duplicates, text ------------------------------------------------------------------

def test_voucher_dated_after_the_list():
    doc = vouchers([line("0001234", "2026-10-21", "6501", 1_000)])
    (p,) = found(run_checks(doc), "voucher-date-after-document")
    assert p.severity == "error" and "21/10/2026" in p.message and "20/10/2026" in p.message


def test_same_voucher_twice_in_one_list():
    doc = vouchers([line("0001234", "2026-10-05", "6501", 1_000),
                    line(" 0001234 ", "2026-10-05", "6551", 1_000)])
    (p,) = found(run_checks(doc), "voucher-repeated")
    assert p.where == "lines[1].voucher.number" and "dòng 1" in p.message


def test_same_number_but_other_amount_is_not_a_duplicate():
    doc = vouchers([line("0001234", "2026-10-05", "6501", 1_000),
                    line("0001234", "2026-10-05", "6551", 2_000)])
    assert found(run_checks(doc), "voucher-repeated") == []


def test_voucher_in_another_list_of_the_unit(tmp_path):
    conn = connect(tmp_path / "kbnn.sqlite3")
    repo = DocumentRepo(conn)

    def store(doc: dict, state: str) -> int:
        data = serialize(doc)
        local = repo.add_draft(data, {"id": doc["id"], "kind": doc["kind"],
                                      "number": doc["number"], "total": doc["total"]})
        if state != "draft":
            repo.set_state(local, state)
        return local

    earlier = vouchers([line("0000871", "2026-10-07", "6551", 3_450_000)], number="BK-09/2026")
    first = store(earlier, "paid")
    draft = vouchers([line("PC-15", "2026-10-12", "6501", 480_500)], number="BK-NHAP")
    store(draft, "draft")
    rejected = vouchers([line("0001234", "2026-10-05", "6501", 1_250_000)], number="BK-TRA-LAI")
    store(rejected, "rejected")
    mine = store(vouchers(), "draft")

    problems = run_checks(vouchers(), inputs_for(conn, mine))
    dup = {p.where: p for p in found(problems, "voucher-in-other-list")}
    assert set(dup) == {"lines[1].voucher.number", "lines[2].voucher.number"}
    assert dup["lines[1].voucher.number"].severity == "error"  # in a paid list
    assert "BK-09/2026" in dup["lines[1].voucher.number"].message
    assert dup["lines[2].voucher.number"].severity == "warning"  # only in a draft
    # the signing gate of the stored document sees the same
    gate = signing_gate(conn, mine)
    assert [p.code for p in gate.errors] == ["voucher-in-other-list"]
    # seen from the paid list, the new draft repeating its voucher is only a warning
    (back,) = found(run_checks(earlier, inputs_for(conn, first)), "voucher-in-other-list")
    assert back.severity == "warning" and "07/10/2026" in back.message and "BK-10/2026" in back.message
    conn.close()


def test_legacy_encoding_left_in_a_description():
    doc = vouchers([line("1", "2026-10-01", "6551", 1_000, "Mua v¨n phßng phÈm")])
    (p,) = found(run_checks(doc), "legacy-text")
    assert p.severity == "warning" and "TCVN3" in p.message and "văn phòng phẩm" in p.message


def test_amount_must_be_whole_dong():
    doc = vouchers([line("1", "2026-10-01", "6551", 1_000)])
    doc["lines"][0]["amount"] = 1000.5
    assert found(run_checks(doc), "field-type")


# -- advances -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("drawn", "due"), [("2026-10-20", "2026-11-30"),
                                            ("2026-12-01", "2027-01-31"),
                                            ("2028-01-31", "2028-02-29"),
                                            ("2026-01-15", "2026-02-28")])
def test_advance_due_last_day_of_next_month(drawn, due):
    assert advance_due(drawn).isoformat() == due


def _advance(number: str, date: str, amount: int = 2_000_000) -> dict:
    return vouchers([line(f"TU-{number}", date, "6701", amount, "Tạm ứng công tác phí")],
                    number=number, date=date, purpose="advance")


def test_unsettled_advances_reminder_list():
    a1, a2, a3 = _advance("TU-01", "2026-08-10"), _advance("TU-02", "2026-10-02"), \
        _advance("TU-03", "2026-09-05")
    settle = vouchers(number="BK-TT", date="2026-10-15")
    settle["settles"] = [{"number": "TU-03"}]
    others = [{"local_id": 1, "state": "paid", "document": a1},
              {"local_id": 2, "state": "sent", "document": a2},
              {"local_id": 3, "state": "paid", "document": a3},
              {"local_id": 4, "state": "signed", "document": settle},
              {"local_id": 5, "state": "draft", "document": _advance("TU-04", "2026-10-01")}]
    items = unsettled_advances(others, dt.date(2026, 10, 20))
    assert [(a["number"], a["due"], a["overdue"], a["days_left"]) for a in items] == [
        ("TU-01", "2026-09-30", True, -20), ("TU-02", "2026-11-30", False, 41)]


def test_new_advance_while_one_is_overdue():
    others = [{"local_id": 1, "state": "paid", "document": _advance("TU-01", "2026-08-10")}]
    (p,) = found(run_checks(_advance("TU-05", "2026-10-20"),
                            CheckInputs(others=others, today=dt.date(2026, 10, 20))),
                 "advance-overdue")
    assert p.severity == "warning" and "TU-01" in p.message and "30/09/2026" in p.message


def test_settling_an_advance_late_or_unknown():
    others = [{"local_id": 1, "state": "paid", "document": _advance("TU-01", "2026-08-10")}]
    doc = vouchers(date="2026-10-20")
    doc["settles"] = [{"number": "TU-01"}, {"number": "TU-99"}]
    problems = run_checks(doc, CheckInputs(others=others))
    (late,) = found(problems, "advance-settled-late")
    assert "30/09/2026" in late.message and late.where == "settles[0]"
    (unknown,) = found(problems, "advance-unknown")
    assert "TU-99" in unknown.message


# -- outputs ----------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_form_shows_lines_subtotals_order_and_attachments(tmp_path):
    from client.render import render_pdf

    doc = vouchers(payment_order={"number": "GRDT-12", "date": "2026-10-20",
                                  "lines": [{"ndkt": "6501", "amount": 1_730_000},
                                            {"ndkt": "6551", "amount": 3_450_000}]},
                   purpose="advance")
    doc["attachments"] = [{"name": "Hợp đồng số 12.pdf", "size": 48_213, "sha256": "ab" * 32}]
    (tmp_path / "f.pdf").write_bytes(render_pdf(doc))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "f.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "BẢNG KÊ NỘI DUNG THANH TOÁN/TẠM ỨNG" in text and "GRDT-12" in text
    assert "Tổng hợp theo mã NDKT" in text
    row = next(x for x in text.splitlines() if x.split()[:2] == ["1", "6501"])
    assert row.split()[-3:] == ["1.730.500", "1.730.000", "500"]
    assert "5.180.500" in text and "Năm triệu một trăm tám mươi nghìn năm trăm đồng" in text
    assert "Hạn thanh toán tạm ứng: chậm nhất ngày 30/11/2026" in text
    assert "Hợp đồng số 12.pdf (47 KB)" in text
    if shutil.which("pdftoppm"):  # a picture of the form for reviewers
        shots = Path(__file__).resolve().parents[2] / "build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", "1", "-l", "1",
                        str(tmp_path / "f.pdf"), str(shots / "mau07-page1")], check=True)


def test_xlsx_has_the_list_and_the_subtotals():
    from openpyxl import load_workbook

    from client.vouchers.export import mau07_xlsx

    names = {e.code: e.name for e in shipped().entries}
    wb = load_workbook(io.BytesIO(mau07_xlsx(vouchers(), names)))
    assert wb.sheetnames == ["Mẫu 07", "Theo mã NDKT"]
    rows = [r for r in wb["Mẫu 07"].iter_rows(values_only=True) if r[0] in (1, 2, 3)]
    assert rows[1] == (2, "0000871", "07/10/2026", "Chi mua vật tư", "6551", 3_450_000)
    total = next(r for r in wb["Mẫu 07"].iter_rows(values_only=True) if r[3] == "Tổng cộng")
    assert total[5] == 5_180_500
    sub = [r for r in wb["Theo mã NDKT"].iter_rows(values_only=True) if r[1] == "6501"]
    assert sub == [(1, "6501", "Thanh toán tiền điện", 2, 1_730_500, None, None)]


def test_errors_and_warnings_split():
    doc = vouchers([line("1", "2026-10-21", "6598", 1_000)])
    problems = run_checks(doc)
    assert [p.code for p in errors(problems)] == ["voucher-date-after-document"]
    assert [p.code for p in warnings(problems)] == ["ndkt-unknown"]
