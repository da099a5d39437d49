"""Mẫu 07 as ``.xlsx``: the list as printed, and its subtotals by NDKT, on the shared writer."""

from __future__ import annotations

from typing import Any

from client.export.xlsx import XlsxTable, write_xlsx
from client.vouchers.core import as_date, as_int, order_lines, subtotals

PURPOSE_VI = {"payment": "Thanh toán", "advance": "Tạm ứng"}


def mau07_table(doc: dict) -> XlsxTable:
    """The list: STT · Chứng từ (Số, Ngày) · Nội dung chi · Mã NDKT · Số tiền, then Tổng cộng."""
    unit = doc.get("unit") or {}
    budget = doc.get("budget") or {}
    order = doc.get("payment_order") or {}
    rows: list[tuple[list[Any], str]] = []
    for line in doc.get("lines") or []:
        voucher = line.get("voucher") or {}
        day = as_date(voucher.get("date"))
        rows.append(([line.get("no", ""), voucher.get("number", ""),
                      day.strftime("%d/%m/%Y") if day else voucher.get("date", ""),
                      line.get("description", ""), line.get("ndkt", ""),
                      as_int(line.get("amount")) or ""], ""))
    rows.append((["", "", "", "Tổng cộng", "", as_int(doc.get("total")) or ""], "total"))
    return XlsxTable(
        name="Mẫu 07",
        titles=["BẢNG KÊ NỘI DUNG THANH TOÁN/TẠM ỨNG",
                f"(Kèm theo Giấy rút dự toán/Ủy nhiệm chi số {order.get('number', '…')} "
                f"ngày {order.get('date', '…')})"],
        info=[f"Mẫu số 07 · Số: {doc.get('number', '')} · "
              f"{PURPOSE_VI.get(doc.get('purpose'), '')}",
              f"1. Đơn vị sử dụng ngân sách: {unit.get('name', '')}",
              f"2. Mã đơn vị: {unit.get('code', '')}",
              f"3. Tài khoản thanh toán của đơn vị: {unit.get('account', '')} mở tại: "
              f"{unit.get('treasury', '')}",
              f"4. Mã chương: {budget.get('chapter', '')}; Mã ngành kinh tế: "
              f"{budget.get('sector', '')}; Mã nguồn NSNN: {budget.get('source', '')}; "
              f"Mã CTMT, dự án: {budget.get('program', '')} (Đơn vị: đồng)"],
        header=[["STT", "Chứng từ", "", "Nội dung chi", "Mã NDKT", "Số tiền"],
                ["", "Số", "Ngày", "", "", ""],
                [str(i) for i in range(1, 7)]],
        merges=[(0, 1, 0, 2)] + [(0, c, 1, c) for c in (0, 3, 4, 5)],
        rows=rows, money_cols=(5,), widths=(6, 16, 12, 48, 10, 16),
        footer=[f"Tổng số tiền ghi bằng chữ: {doc.get('total_in_words', '')}"]
        + [f"Tài liệu kèm theo: {a.get('name', '')}" for a in doc.get("attachments") or []
           if isinstance(a, dict)],
        day=as_date(doc.get("date")))


def ndkt_table(doc: dict, names: dict[str, str] | None = None) -> XlsxTable:
    """Subtotals by NDKT beside the payment order's lines (when the document records them)."""
    theirs = {ol.get("ndkt"): ol.get("amount") for ol in order_lines(doc) or []
              if isinstance(ol, dict)}
    rows: list[tuple[list[Any], str]] = []
    for i, s in enumerate(subtotals(doc), start=1):
        order_amount = as_int(theirs.get(s["ndkt"]))
        rows.append(([i, s["ndkt"], (names or {}).get(s["ndkt"], ""), s["lines"], s["amount"],
                      order_amount if order_amount is not None else "",
                      s["amount"] - order_amount if order_amount is not None else ""], ""))
    rows.append((["", "Cộng", "", len(doc.get("lines") or []), as_int(doc.get("total")) or "",
                  sum(v for v in theirs.values() if as_int(v) is not None) or "", ""], "total"))
    return XlsxTable(
        name="Theo mã NDKT", titles=["TỔNG HỢP THEO MÃ NDKT"],
        info=["Các dòng của Giấy rút dự toán/Ủy nhiệm chi (Đơn vị: đồng)"],
        header=[["STT", "Mã NDKT", "Tên", "Số lượng chứng từ", "Số tiền theo bảng kê",
                 "Số tiền trên Giấy rút dự toán", "Chênh lệch"]],
        merges=[], rows=rows, money_cols=(4, 5, 6), widths=(6, 10, 44, 12, 18, 18, 14),
        day=as_date(doc.get("date")))


def mau07_xlsx(doc: dict, names: dict[str, str] | None = None) -> bytes:
    """The workbook: sheet «Mẫu 07» and sheet «Theo mã NDKT»."""
    return write_xlsx([mau07_table(doc), ndkt_table(doc, names)])


__all__ = ["mau07_table", "mau07_xlsx", "ndkt_table"]
