"""Tables written as ``.xlsx`` with openpyxl: one generic writer (``XlsxTable``), and the layouts
of Mẫu 09 (``mau09_table``) and C02a-HD (``c02a_table``). Another kind (Mẫu 07) builds its own
``XlsxTable`` and calls ``write_xlsx``.

Money is written as integer cells (format ``#,##0``), so Excel can add them up; coefficients
as exact decimals; the header rows repeat on every printed page; A4 landscape, fit to width.
"""

from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from client.documents import PART_KEYS, PART_LABELS, group_lines

MONEY_FORMAT = "#,##0"
ROW_KINDS = ("", "group", "subtotal", "total")


@dataclass
class XlsxTable:
    """One sheet: title lines, a (multi-row) header with merges, body rows, footer lines."""

    name: str
    titles: list[str]
    header: list[list[str]]  # "" under a merge
    merges: list[tuple[int, int, int, int]]  # header-relative (row0, col0, row1, col1), 0-based
    rows: list[tuple[list[Any], str]] = field(default_factory=list)  # (cells, ROW_KINDS item)
    money_cols: tuple[int, ...] = ()
    widths: tuple[float, ...] = ()
    info: list[str] = field(default_factory=list)  # plain lines under the titles
    footer: list[str] = field(default_factory=list)
    day: _dt.date | None = None


def write_xlsx(tables: list[XlsxTable]) -> bytes:
    """The workbook bytes, one sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(name="Times New Roman", bold=True, size=10)
    plain = Font(name="Times New Roman", size=10)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    grey = PatternFill("solid", fgColor="EEEEEE")
    for t in tables:
        ws = wb.create_sheet(t.name[:31])
        width = max(len(r) for r in t.header)
        r = 1
        for i, text in enumerate(t.titles):
            ws.cell(r, 1, text).font = Font(name="Times New Roman", bold=True,
                                            size=14 if i == 0 else 11)
            ws.cell(r, 1).alignment = Alignment(horizontal="center")
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
            r += 1
        for text in t.info:
            ws.cell(r, 1, text).font = plain
            r += 1
        r += 1
        head = r
        for hr in t.header:
            for c, text in enumerate(hr, start=1):
                cell = ws.cell(r, c, text or None)
                cell.font, cell.alignment, cell.border = bold, center, box
            r += 1
        for i in range(len(t.header)):  # room for wrapped headings ("Trong đó" parts)
            longest = max((len(str(x or "")) for x in t.header[i]), default=0)
            ws.row_dimensions[head + i].height = 15 if longest < 12 else 54 if i else 30
        for r0, c0, r1, c1 in t.merges:
            ws.merge_cells(start_row=head + r0, start_column=c0 + 1, end_row=head + r1,
                           end_column=c1 + 1)
        for cells, kind in t.rows:
            for c, value in enumerate(cells, start=1):
                cell = ws.cell(r, c, None if value == "" else value)
                cell.border = box
                cell.font = bold if kind else plain
                if c - 1 in t.money_cols:
                    cell.number_format = MONEY_FORMAT
                if kind == "total":
                    cell.fill = grey
            if kind == "group":
                ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=width)
            r += 1
        r += 1
        for text in t.footer:
            ws.cell(r, 1, text).font = plain
            r += 1
        for c, w in enumerate(t.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = w
        ws.freeze_panes = f"C{head + len(t.header)}"
        ws.print_title_rows = f"{head}:{head + len(t.header) - 1}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    if tables and tables[0].day:
        moment = _dt.datetime.combine(tables[0].day, _dt.time())
        wb.properties.created = moment
        wb.properties.modified = moment
    wb.properties.creator = "KBNN Client"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _money(value: Any) -> Any:
    return value if isinstance(value, int) and not isinstance(value, bool) else ""


def mau09_table(doc: dict) -> XlsxTable:
    """Mẫu 09 as a sheet: the 13 columns, group rows and "Cộng", "Tổng cộng", words, changes."""
    unit = doc.get("unit") or {}
    period = doc.get("period") or {}
    order = doc.get("payment_order") or {}
    header = [["STT", "Họ và tên", "Số tài khoản người hưởng", "Tên ngân hàng", "Tổng số",
               "Trong đó", "", "", "", "", "", "", "Ghi chú"],
              ["", "", "", "", ""] + [PART_LABELS[k] for k in PART_KEYS] + [""],
              [str(i) for i in range(1, 14)]]
    merges = [(0, 5, 0, 11)] + [(0, c, 1, c) for c in (0, 1, 2, 3, 4, 12)]
    rows: list[tuple[list[Any], str]] = []

    def sums(lines: list[dict]) -> list[Any]:
        amount = sum(_money(x.get("amount")) or 0 for x in lines)
        parts = [sum(_money((x.get("parts") or {}).get(k)) or 0 for x in lines)
                 for k in PART_KEYS]
        return [amount] + [p or "" for p in parts]

    groups = group_lines(doc)
    for group, lines in groups:
        if group:
            rows.append((["", group] + [""] * 11, "group"))
        for x in lines:
            parts = x.get("parts") or {}
            rows.append(([x.get("no", ""), x.get("name", ""), x.get("account", ""),
                          x.get("bank", ""), _money(x.get("amount"))]
                         + [_money(parts.get(k)) or "" for k in PART_KEYS]
                         + [x.get("note", "")], ""))
        if group or len(groups) > 1:
            rows.append((["", "Cộng", "", ""] + sums(lines) + [""], "subtotal"))
    rows.append((["", "Tổng cộng", "", ""] + sums(doc.get("lines") or []) + [""], "total"))
    footer = [f"Tổng số tiền bằng chữ: {doc.get('total_in_words', '')}",
              "II. Phần thuyết minh thay đổi so với tháng trước:"]
    changes = doc.get("changes") or {}
    footer += (str(changes.get("explanation") or "").splitlines()
               or ["Không có thay đổi so với tháng trước."])
    kind = {"estimate": "Tài khoản dự toán", "deposit": "Tài khoản tiền gửi"}.get(
        unit.get("account_kind"), "")
    day = None
    try:
        day = _dt.date.fromisoformat(str(doc.get("date")))
    except ValueError:
        pass
    return XlsxTable(
        name="Mẫu 09",
        titles=["BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG",
                f"Tháng {period.get('month', '')} năm {period.get('year', '')}",
                f"(Kèm theo Giấy rút dự toán/Ủy nhiệm chi số {order.get('number', '…')} "
                f"ngày {order.get('date', '…')})"],
        info=[f"Mẫu số 09 · Số: {doc.get('number', '')}",
              f"1. Đơn vị sử dụng ngân sách: {unit.get('name', '')}",
              f"2. Mã đơn vị: {unit.get('code', '')}",
              f"3. Tài khoản thanh toán của đơn vị: {unit.get('account', '')} ({kind}) mở tại: "
              f"{unit.get('treasury', '')}",
              "I. Nội dung đề nghị thanh toán (Đơn vị: đồng)"],
        header=header, merges=merges, rows=rows, money_cols=tuple(range(4, 12)),
        widths=(6, 28, 20, 24, 14) + (13,) * 7 + (14,), footer=footer, day=day)


def mau09_xlsx(doc: dict) -> bytes:
    return write_xlsx([mau09_table(doc)])


def c02a_table(sheet: Any) -> XlsxTable:
    """The C02a-HD sheet (``payroll.compute.PayrollSheet``) with the same columns as its PDF."""
    from client.render.c02a import (
        CHARGED,
        DEDUCTED,
        row_cells,
        sheet_columns,
        sheet_groups,
        sum_cells,
    )

    cols = sheet_columns(sheet)
    keys = [c["key"] for c in cols]
    n_coef = sum(1 for c in cols if c["kind"] == "coef")
    first_coef = keys.index("coef_total") - (n_coef - 1)
    d0, d1 = keys.index(DEDUCTED[0]), keys.index(DEDUCTED[1])
    r0, r1 = keys.index(CHARGED[0]), keys.index(CHARGED[1])
    top, second, merges = [""] * len(cols), [""] * len(cols), []
    for i, c in enumerate(cols):
        if first_coef <= i < first_coef + n_coef or d0 <= i <= d1 or r0 <= i <= r1:
            second[i] = c["heading"]
        else:
            top[i] = c["heading"]
            merges.append((0, i, 1, i))
    top[first_coef], top[d0], top[r0] = ("Hệ số", "Các khoản trừ vào lương",
                                         "Các khoản trích vào chi phí")
    merges += [(0, first_coef, 0, first_coef + n_coef - 1), (0, d0, 0, d1), (0, r0, 0, r1)]

    def typed(cells: list[Any]) -> list[Any]:
        out = []
        for c, v in zip(cols, cells, strict=True):
            if c["kind"] in ("coef", "days") and v:
                out.append(Decimal(str(v).replace(",", ".")))
            elif c["kind"] == "money":
                out.append(v if v else "")
            else:
                out.append(v)
        return out

    rows: list[tuple[list[Any], str]] = []
    groups = sheet_groups(sheet)
    no = 0
    for group, members in groups:
        if group:
            rows.append((["", group] + [""] * (len(cols) - 2), "group"))
        for row in members:
            no += 1
            rows.append((typed(row_cells(row, no, cols)), ""))
        if group or len(groups) > 1:
            cells = sum_cells(members, cols)
            cells[1] = "Cộng"
            rows.append((typed(cells), "subtotal"))
    cells = sum_cells(sheet.rows, cols)
    cells[1] = "Tổng cộng"
    rows.append((typed(cells), "total"))
    from client.money import amount_in_words, format_vnd

    unit = sheet.unit or {}
    money_cols = tuple(i for i, c in enumerate(cols) if c["kind"] == "money")
    widths = tuple(6 if c["key"] == "no" else 26 if c["key"] == "name" else
                   8 if c["kind"] in ("coef", "days") else 13 for c in cols)
    return XlsxTable(
        name="C02a-HD",
        titles=["BẢNG THANH TOÁN TIỀN LƯƠNG VÀ CÁC KHOẢN PHỤ CẤP THEO LƯƠNG, CÁC KHOẢN "
                "TRÍCH NỘP THEO LƯƠNG", f"Tháng {sheet.month:02d} năm {sheet.year}"],
        info=[f"Đơn vị: {unit.get('name', '')} · Mã QHNS: {unit.get('code', '')} · "
              "Mẫu số C02a-HD",
              f"Lương cơ sở: {format_vnd(sheet.base_salary)} đồng ({sheet.base_salary_source});"
              f" quy định tính lương phiên bản {sheet.rules_version}. Đơn vị: đồng."],
        header=[top, second, [str(i) for i in range(1, len(cols) + 1)]], merges=merges,
        rows=rows, money_cols=money_cols, widths=widths,
        footer=[f"Tổng số tiền thực lĩnh bằng chữ: "
                f"{amount_in_words(sum(r.net for r in sheet.rows))}",
                f"Làm tròn: {sheet.rounding}"],
        day=_dt.date(sheet.year, sheet.month, 1))


def c02a_xlsx(sheet: Any) -> bytes:
    return write_xlsx([c02a_table(sheet)])


__all__ = ["MONEY_FORMAT", "XlsxTable", "c02a_table", "c02a_xlsx", "mau09_table", "mau09_xlsx",
           "write_xlsx"]
