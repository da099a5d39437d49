"""C02a-HD — Bảng thanh toán tiền lương và các khoản phụ cấp theo lương, các khoản trích nộp
theo lương (the unit's own payroll sheet, A4 landscape), from a ``PayrollSheet``.

Columns (reference/domain.md, "C02a-HD"): STT · Họ và tên · Mã ngạch · one
coefficient column per pay item used · Cộng hệ số · Tiền lương tháng ·
Ngày hưởng lương (only when someone is paid for part of the month, so a
full-month sheet prints as before) · Các khoản khác · Tổng thu nhập · deducted from pay (BHXH, BHYT, BHTN, đoàn
phí, thuế TNCN) · charged to the unit (BHXH, BHYT, BHTN, KPCĐ) · Giảm trừ gia
cảnh · Số thực lĩnh · Ghi chú. Rows grouped by staff category with "Cộng"
subtotals, then "Tổng cộng", the net total in words, what the amounts are
based on (base salary and its decree, rules version, rounding) and the
signature blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from client.money import amount_in_words, format_vnd
from client.render import common

# The names this module uses from the shared form pieces (page setup and PDF: common.py).
SERIF, SERIF_BOLD, SERIF_ITALIC = common.SERIF, common.SERIF_BOLD, common.SERIF_ITALIC
TA_CENTER, PagedTable = common.TA_CENTER, common.PagedTable
esc, long_date, money, para = common.esc, common.long_date, common.money, common.para
money_or_blank, parse_date = common.money_or_blank, common.parse_date
style, text_width, wrap = common.style, common.text_width, common.wrap

PAGE = common.LANDSCAPE_A4
MARGIN = 10 * mm
AVAILABLE = PAGE[0] - 2 * MARGIN
PAD = 1.5
VPAD_TOP, VPAD_BOTTOM = 1.0, 1.6


def coefficient_text(value: str) -> str:
    """"4.98" -> "4,98" (Vietnamese decimal comma); zero is left blank."""
    text = str(value or "")
    return "" if text in ("0", "") else text.replace(".", ",")


# (key, heading, value of a row) for the money columns, after the coefficients.
def _money_columns() -> list[tuple[str, str, Callable[[Any], int]]]:
    return [
        ("salary", "Tiền lương tháng", lambda r: r.salary),
        ("other", "Các khoản khác", lambda r: sum(r.amounts.values())),
        ("gross", "Tổng thu nhập", lambda r: r.gross),
        ("e.bhxh", "BHXH", lambda r: r.employee.get("bhxh", 0)),
        ("e.bhyt", "BHYT", lambda r: r.employee.get("bhyt", 0)),
        ("e.bhtn", "BHTN", lambda r: r.employee.get("bhtn", 0)),
        ("union", "Đoàn phí", lambda r: r.union_dues),
        ("pit", "Thuế TNCN", lambda r: r.pit),
        ("r.bhxh", "BHXH", lambda r: r.employer.get("bhxh", 0)),
        ("r.bhyt", "BHYT", lambda r: r.employer.get("bhyt", 0)),
        ("r.bhtn", "BHTN", lambda r: r.employer.get("bhtn", 0)),
        ("r.kpcd", "KPCĐ", lambda r: r.employer.get("kpcd", 0)),
        ("family", "Giảm trừ gia cảnh", lambda r: r.family_deduction),
        ("net", "Số thực lĩnh", lambda r: r.net),
    ]


DEDUCTED = ("e.bhxh", "pit")  # first and last column under "Các khoản trừ vào lương"
CHARGED = ("r.bhxh", "r.kpcd")  # under "Các khoản trích vào chi phí"


def sheet_columns(sheet: Any) -> list[dict]:
    """The C02a columns of ``sheet``: key, heading, kind ("text" | "coef" | "money")."""
    cols = [{"key": "no", "heading": "STT", "kind": "text"},
            {"key": "name", "heading": "Họ và tên", "kind": "text"},
            {"key": "grade", "heading": "Mã ngạch", "kind": "text"}]
    cols += [{"key": f"coef.{i['key']}", "heading": i["label"], "kind": "coef"}
             for i in sheet.items]
    cols.append({"key": "coef_total", "heading": "Cộng hệ số", "kind": "coef"})
    cols += [{"key": k, "heading": h, "kind": "money", "value": fn}
             for k, h, fn in _money_columns()]
    if getattr(sheet, "has_partial_days", False):
        at = next(i for i, c in enumerate(cols) if c["key"] == "salary") + 1
        cols.insert(at, {"key": "days", "heading": "Ngày hưởng lương", "kind": "days",
                         "value": sheet.days_text})
    cols.append({"key": "note", "heading": "Ghi chú", "kind": "text"})
    return cols


def sheet_groups(sheet: Any) -> list[tuple[str, list]]:
    """Rows in order, grouped by consecutive group label."""
    out: list[tuple[str, list]] = []
    for row in sheet.rows:
        if not out or out[-1][0] != row.group:
            out.append((row.group, []))
        out[-1][1].append(row)
    return out


def row_cells(row: Any, no: int, cols: list[dict]) -> list[Any]:
    """One person's values per column (ints for money, text otherwise)."""
    out: list[Any] = []
    for c in cols:
        key = c["key"]
        if key == "no":
            out.append(str(no))
        elif key == "name":
            out.append(row.name)
        elif key == "grade":
            out.append(row.grade_code)
        elif key == "coef_total":
            out.append(coefficient_text(row.coefficient_total))
        elif key.startswith("coef."):
            out.append(coefficient_text(row.coefficients.get(key[5:], "")))
        elif key == "note":
            out.append(row.note)
        elif key == "days":
            out.append(c["value"](row))
        else:
            out.append(c["value"](row))
    return out


def sum_cells(rows: list, cols: list[dict]) -> list[Any]:
    return [sum(c["value"](r) for r in rows) if c["kind"] == "money" else "" for c in cols]


def _layout(sheet: Any, cols: list[dict], size: float) -> list[float] | None:
    totals = sum_cells(sheet.rows, cols)
    widths = []
    for i, c in enumerate(cols):
        if c["kind"] == "money":
            need = text_width(money(totals[i]), SERIF_BOLD, size)
            widths.append(max(need + 2 * PAD + 1, 24))
        elif c["kind"] == "coef":
            need = max([text_width(coefficient_text(r.coefficients.get(c["key"][5:], "")
                                                    if c["key"] != "coef_total"
                                                    else r.coefficient_total), SERIF, size)
                        for r in sheet.rows] + [0])
            widths.append(max(need + 2 * PAD + 1, 20))
        elif c["key"] == "no":
            widths.append(max(text_width(str(len(sheet.rows)), SERIF, size) + 2 * PAD + 1, 14))
        elif c["kind"] == "days":
            need = max([text_width(c["value"](r), SERIF, size) for r in sheet.rows] + [0])
            widths.append(max(need + 2 * PAD + 1, 26))
        elif c["key"] == "grade":
            widths.append(max([text_width(r.grade_code, SERIF, size) for r in sheet.rows] + [22])
                          + 2 * PAD + 1)
        elif c["key"] == "note":
            widths.append(30)
        else:
            widths.append(0)
    rest = AVAILABLE - sum(widths)
    if rest < 70:
        return None
    widths[1] = rest
    return widths


def _main_table(sheet: Any) -> PagedTable:
    cols = sheet_columns(sheet)
    size = 6.5
    widths = _layout(sheet, cols, size)
    while widths is None and size > 4:
        size -= 0.5
        widths = _layout(sheet, cols, size)
    if widths is None:  # never fail: share the width evenly
        widths = [AVAILABLE / len(cols)] * len(cols)
    leading = size + 1.4
    keys = [c["key"] for c in cols]
    head = style("c02-th", 5.8, font=SERIF_BOLD, align=TA_CENTER, leading=6.8)
    n_coef = sum(1 for c in cols if c["kind"] == "coef")
    top: list[Any] = [""] * len(cols)
    second: list[Any] = [""] * len(cols)
    spans: list[tuple] = []
    first_coef = keys.index("coef_total") - (n_coef - 1)
    d0, d1 = keys.index(DEDUCTED[0]), keys.index(DEDUCTED[1])
    r0, r1 = keys.index(CHARGED[0]), keys.index(CHARGED[1])
    for i, c in enumerate(cols):
        if first_coef <= i < first_coef + n_coef or d0 <= i <= d1 or r0 <= i <= r1:
            second[i] = para(esc(c["heading"]), head)
        else:
            top[i] = para(esc(c["heading"]), head)
            spans.append(("SPAN", (i, 0), (i, 1)))
    top[first_coef] = para("Hệ số", head)
    top[d0] = para("Các khoản trừ vào lương", head)
    top[r0] = para("Các khoản trích vào chi phí", head)
    spans += [("SPAN", (first_coef, 0), (first_coef + n_coef - 1, 0)),
              ("SPAN", (d0, 0), (d1, 0)), ("SPAN", (r0, 0), (r1, 0))]
    header = [top, second, [str(i) for i in range(1, len(cols) + 1)]]
    money_idx = [i for i, c in enumerate(cols) if c["kind"] != "text"]
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), SERIF, size, leading),
        ("FONT", (0, 2), (-1, 2), SERIF_ITALIC, 5.5, 7),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, 2), "CENTER"),
        ("ALIGN", (0, 3), (0, -1), "CENTER"),
        ("ALIGN", (min(money_idx), 3), (max(money_idx), -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), VPAD_TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), VPAD_BOTTOM),
        *spans,
    ]
    bold_row = [("FONT", (0, None), (-1, None), SERIF_BOLD, size, leading)]
    label_row = bold_row + [("ALIGN", (1, None), (1, None), "CENTER")]

    def shown(cells: list[Any]) -> list[str]:
        out = []
        for i, (c, v) in enumerate(zip(cols, cells, strict=True)):
            if c["kind"] == "money":
                out.append(money_or_blank(v))
            elif c["key"] in ("name", "note", "grade"):
                out.append(wrap(v, SERIF, size, widths[i] - 2 * PAD))
            else:
                out.append(str(v))
        return out

    body: list[list[str]] = []
    row_styles: dict[int, list[tuple]] = {}
    groups = sheet_groups(sheet)
    no = 0
    for group, rows in groups:
        if group:
            row_styles[len(body)] = bold_row + [("SPAN", (1, None), (-1, None))]
            body.append(["", wrap(group, SERIF_BOLD, size, sum(widths[1:]) - 2 * PAD)]
                        + [""] * (len(cols) - 2))
        for row in rows:
            no += 1
            body.append(shown(row_cells(row, no, cols)))
        if group or len(groups) > 1:
            row_styles[len(body)] = label_row
            cells = sum_cells(rows, cols)
            cells[1] = "Cộng"
            body.append(shown(cells))
    cells = sum_cells(sheet.rows, cols)
    cells[1] = "Tổng cộng"
    row_styles[len(body)] = label_row + [
        ("BACKGROUND", (0, None), (-1, None), colors.Color(0.93, 0.93, 0.93))]
    body.append(shown(cells))
    return PagedTable(header=header, body=body, widths=widths, commands=commands,
                      row_styles=row_styles, leading=leading, vpad=VPAD_TOP + VPAD_BOTTOM)


def _header(sheet: Any) -> list:
    unit = sheet.unit or {}
    small = style("c02-s", 8.5, leading=11)
    right_b = style("c02-rb", 9.5, font=SERIF_BOLD, align=TA_CENTER, leading=12)
    right_i = style("c02-ri", 8, font=SERIF_ITALIC, align=TA_CENTER, leading=10)
    top = Table([[
        [para(f"Đơn vị: {esc(unit.get('name', ''))}", small),
         para(f"Mã QHNS: {esc(unit.get('code', ''))}", small)],
        [para("Mẫu số C02a-HD", right_b),
         para("(Ban hành kèm theo Thông tư số 107/2017/TT-BTC ngày 10/10/2017 của Bộ Tài chính)",
              right_i)]]], colWidths=[AVAILABLE - 80 * mm, 80 * mm])
    top.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SERIF, 9),
                             ("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    title = style("c02-t", 12.5, font=SERIF_BOLD, align=TA_CENTER, leading=16, space_before=3)
    center = style("c02-c", 9.5, align=TA_CENTER, leading=12.5)
    note = style("c02-n", 8, font=SERIF_ITALIC, leading=10.5)
    return [
        top,
        para("BẢNG THANH TOÁN TIỀN LƯƠNG VÀ CÁC KHOẢN PHỤ CẤP THEO LƯƠNG,<br/>"
             "CÁC KHOẢN TRÍCH NỘP THEO LƯƠNG", title),
        para(f"Tháng {sheet.month:02d} năm {sheet.year}", center),
        para(f"Lương cơ sở: {format_vnd(sheet.base_salary)} đồng (áp dụng từ "
             f"{esc(_vn_date(sheet.base_salary_from))}; {esc(sheet.base_salary_source)}). "
             f"Quy định tính lương phiên bản {esc(sheet.rules_version)}. Đơn vị: đồng.", note),
        Spacer(1, 3),
    ]


def _vn_date(iso: str) -> str:
    d = parse_date(iso)
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else iso


def _footer_notes(sheet: Any) -> list:
    note = style("c02-fn", 7.5, font=SERIF_ITALIC, leading=9.5)
    words = style("c02-w", 9, font=SERIF_ITALIC, leading=12.5, space_before=4)
    net = sum(r.net for r in sheet.rows)
    out = [para(f"Tổng số tiền thực lĩnh bằng chữ: <b>{esc(amount_in_words(net))}</b>", words)]
    if sheet.rounding:
        out.append(para("Làm tròn: " + esc(sheet.rounding), note))
    if sheet.sources:
        out.append(para("Căn cứ: " + esc("; ".join(sheet.sources)), note))
    return out


def _signatures(date: Any) -> list:
    width = AVAILABLE / 3
    italic = style("c02-sig-i", 8.5, font=SERIF_ITALIC, align=TA_CENTER, leading=11)
    bold = style("c02-sig-b", 9, font=SERIF_BOLD, align=TA_CENTER, leading=11.5)
    t = Table([
        ["", "", para(long_date(date, capital=True), italic)],
        [para("NGƯỜI LẬP BẢNG", bold), para("KẾ TOÁN TRƯỞNG", bold),
         para("THỦ TRƯỞNG ĐƠN VỊ", bold)],
        [para("(Ký, ghi rõ họ tên)", italic), para("(Ký, ghi rõ họ tên)", italic),
         para("(Ký, ghi rõ họ tên, đóng dấu)", italic)],
        ["", "", ""],
    ], colWidths=[width] * 3, rowHeights=[None, None, None, 16 * mm])
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), SERIF, 9),
                           ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [KeepTogether([Spacer(1, 6), t])]


def render_c02a(sheet: Any, *, date: str | None = None, number: str = "") -> bytes:
    """The C02a-HD PDF of a ``payroll.compute.PayrollSheet`` (deterministic bytes)."""
    common.register_fonts()
    label = f"Mẫu số C02a-HD · Tháng {sheet.month:02d}/{sheet.year}"
    if number:
        label += f" · kèm Bảng thanh toán số {number}"
    flowables = _header(sheet) + [_main_table(sheet)] + _footer_notes(sheet) + _signatures(date)
    day = parse_date(date) or parse_date(f"{sheet.year:04d}-{sheet.month:02d}-01")
    return common.landscape_pdf(
        flowables, margin=MARGIN, footer_label=label,
        seed=common.document_seed(sheet.to_json()), day=day,
        title=f"Bảng thanh toán tiền lương tháng {sheet.month:02d}/{sheet.year}",
        author=str((sheet.unit or {}).get("name", "")), subject="Mẫu số C02a-HD",
        keywords=sheet.period)


__all__ = ["coefficient_text", "render_c02a", "row_cells", "sheet_columns", "sheet_groups",
           "sum_cells"]
