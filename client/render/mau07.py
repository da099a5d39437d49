"""Mẫu số 07 — Bảng kê nội dung thanh toán/tạm ứng (A4 portrait)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from client.render import common as c
from client.render.attachments import attachments_block
from client.vouchers.core import advance_due, order_lines, subtotals

# The names this module uses from the shared form pieces.
SERIF, SERIF_BOLD, SERIF_ITALIC, SANS = c.SERIF, c.SERIF_BOLD, c.SERIF_ITALIC, c.SANS
TA_CENTER, TA_RIGHT, DOTS = c.TA_CENTER, c.TA_RIGHT, c.DOTS
esc, money, para, style, wrap = c.esc, c.money, c.para, c.style, c.wrap
long_date, short_date, text_width = c.long_date, c.short_date, c.text_width

PAGE = A4
MARGIN = BOTTOM = 15 * mm
AVAILABLE = PAGE[0] - 2 * MARGIN
PAD, VPAD_TOP, VPAD_BOTTOM = 3.0, 2.0, 3.0


def _box(ticked: bool) -> str:
    return f'<font name="{SANS}" size="11">{c.BOX_TICKED if ticked else c.BOX_EMPTY}</font>'


def _header_block(doc: dict) -> list:
    unit = doc.get("unit") or {}
    budget = doc.get("budget") or {}
    order = doc.get("payment_order") or {}
    top = c.form_corner(doc, form_no="07", available=AVAILABLE, corner=60 * mm, prefix="m07")
    title, center, center_i, body = c.heading_styles("m07", title_size=13, title_leading=17,
                                                     space_before=6)
    attached = c.attached_to(order, "Giấy rút dự toán/Ủy nhiệm chi/Giấy đề nghị thanh toán "
                                    "tạm ứng")
    purpose = doc.get("purpose")
    kind = unit.get("account_kind")
    gap = "&nbsp;" * 8
    return [
        top,
        para("BẢNG KÊ NỘI DUNG THANH TOÁN/TẠM ỨNG", title),
        para(attached, center_i),
        Spacer(1, 3),
        para(f"Thanh toán {_box(purpose == 'payment')}{gap}Tạm ứng {_box(purpose == 'advance')}",
             center),
        para(f"Tài khoản dự toán {_box(kind == 'estimate')}{gap}"
             f"Tài khoản tiền gửi {_box(kind == 'deposit')}", center),
        Spacer(1, 3),
        para(f"1. Đơn vị sử dụng ngân sách: <b>{esc(unit.get('name', ''))}</b>", body),
        para(f"2. Mã đơn vị: <b>{esc(unit.get('code', ''))}</b>", body),
        para(f"3. Tài khoản thanh toán của đơn vị: <b>{esc(unit.get('account', ''))}</b> "
             f"mở tại: <b>{esc(unit.get('treasury', ''))}</b>", body),
        para(f"4. Mã chương: <b>{esc(budget.get('chapter', ''))}</b>; "
             f"Mã ngành kinh tế: <b>{esc(budget.get('sector', ''))}</b>; "
             f"Mã nguồn NSNN: <b>{esc(budget.get('source', ''))}</b>; "
             f"Mã CTMT, dự án: <b>{esc(budget.get('program', ''))}</b>", body),
        Spacer(1, 2),
        para("(Đơn vị: đồng)", style("m07-unitnote", 9, font=SERIF_ITALIC, align=TA_RIGHT)),
        Spacer(1, 2),
    ]


def _main_table(doc: dict) -> c.PagedTable:
    size = 8.5
    leading = size + 2
    lines = doc.get("lines") or []
    total = doc.get("total")
    amount_w = max([text_width(money(total), SERIF_BOLD, size)]
                   + [text_width(money(line.get("amount")), SERIF, size) for line in lines]
                   + [50]) + 2 * PAD + 2
    stt_w = max(text_width(str(len(lines)), SERIF, size) + 2 * PAD + 1, 24)
    number_w, date_w, ndkt_w = 62, 58, 38
    desc_w = AVAILABLE - stt_w - number_w - date_w - ndkt_w - amount_w
    widths = [stt_w, number_w, date_w, desc_w, ndkt_w, amount_w]
    head = style("m07-th", 8, font=SERIF_BOLD, align=TA_CENTER, leading=9.5)
    header: list[list[Any]] = [
        [para("STT", head), para("Chứng từ", head), "", para("Nội dung chi", head),
         para("Mã NDKT", head), para("Số tiền", head)],
        ["", para("Số", head), para("Ngày", head), "", "", ""],
        [str(i) for i in range(1, 7)],
    ]
    body: list[list[str]] = []
    for line in lines:
        voucher = line.get("voucher") or {}
        body.append([
            str(line.get("no", "")),
            wrap(voucher.get("number"), SERIF, size, number_w - 2 * PAD),
            short_date(voucher.get("date")),
            wrap(line.get("description"), SERIF, size, desc_w - 2 * PAD),
            str(line.get("ndkt", "")),
            money(line.get("amount")),
        ])
    row_styles = {len(body): [
        ("FONT", (0, None), (-1, None), SERIF_BOLD, size, leading),
        ("ALIGN", (3, None), (3, None), "CENTER"),
        ("BACKGROUND", (0, None), (-1, None), colors.Color(0.93, 0.93, 0.93)),
    ]}
    body.append(["", "", "", "Tổng cộng", "", money(total)])
    commands: list[tuple] = c.grid_commands(size, leading, PAD, (VPAD_TOP, VPAD_BOTTOM)) + [
        ("FONT", (0, 2), (-1, 2), SERIF_ITALIC, 7.5, 9),
        ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, 2), "CENTER"),
        ("ALIGN", (0, 3), (0, -1), "CENTER"),
        ("ALIGN", (2, 3), (2, -1), "CENTER"),
        ("ALIGN", (4, 3), (4, -1), "CENTER"),
        ("ALIGN", (5, 3), (5, -1), "RIGHT"),
        ("SPAN", (1, 0), (2, 0)),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (3, 0), (3, 1)), ("SPAN", (4, 0), (4, 1)),
        ("SPAN", (5, 0), (5, 1)),
    ]
    return c.PagedTable(header=header, body=body, widths=widths, commands=commands,
                      row_styles=row_styles, leading=leading, vpad=VPAD_TOP + VPAD_BOTTOM)


def _signatures(doc: dict) -> KeepTogether:
    width = AVAILABLE / 3
    italic = style("m07-sig-i", 8.5, font=SERIF_ITALIC, align=TA_CENTER, leading=11)
    bold = style("m07-sig-b", 9, font=SERIF_BOLD, align=TA_CENTER, leading=11.5)
    table = c.unit_signatures(doc, width=width, preparer="NGƯỜI LẬP", space=18 * mm,
                              italic=italic, bold=bold)
    return KeepTogether([Spacer(1, 8), table])


def _footer(doc: dict) -> Any:
    label = f"Mẫu số 07 · Số {doc.get('number', '')}"
    unit_code = (doc.get("unit") or {}).get("code")
    if unit_code:
        label += f" · Mã đơn vị {unit_code}"
    return c.page_footer(label, page_width=PAGE[0], margin=MARGIN, y=8 * mm)


def _ndkt_block(doc: dict) -> list:
    """Subtotals by NDKT: the lines of the payment order this list supports, to agree with it."""
    rows = subtotals(doc)
    if not rows:
        return []
    ordered = order_lines(doc)
    theirs = {ol.get("ndkt"): ol.get("amount") for ol in ordered or [] if isinstance(ol, dict)}
    size, leading = 8.5, 10.5
    head = style("m07-ndkt-th", 8, font=SERIF_BOLD, align=TA_CENTER, leading=9.5)
    title = style("m07-ndkt-title", 9.5, font=SERIF_BOLD, leading=13, space_before=6)
    header = [para("STT", head), para("Mã NDKT", head), para("Số lượng chứng từ", head),
              para("Số tiền theo bảng kê", head)]
    if ordered is not None:
        header += [para("Số tiền trên Giấy rút dự toán", head), para("Chênh lệch", head)]
    body: list[list[Any]] = [header]
    for i, row in enumerate(rows, start=1):
        cells: list[Any] = [str(i), row["ndkt"], str(row["lines"]), money(row["amount"])]
        if ordered is not None:
            order_amount = theirs.get(row["ndkt"])
            cells += [money(order_amount) if order_amount is not None else "—",
                      money(row["amount"] - order_amount)
                      if isinstance(order_amount, int) else ""]
        body.append(cells)
    if ordered is not None:
        for code, amount in sorted((k, v) for k, v in theirs.items()
                                   if k not in {r["ndkt"] for r in rows} and isinstance(k, str)):
            body.append([str(len(body)), code, "0", money(0), money(amount),
                         money(-amount) if isinstance(amount, int) else ""])
    total = ["", "Cộng", str(sum(r["lines"] for r in rows)), money(doc.get("total"))]
    if ordered is not None:
        order_total = sum(v for v in theirs.values() if isinstance(v, int))
        total += [money(order_total), money((doc.get("total") or 0) - order_total)
                  if isinstance(doc.get("total"), int) else ""]
    body.append(total)
    n = len(header)
    widths = [24, 50, 55] + [(AVAILABLE * 0.75 - 129) / (n - 3)] * (n - 3)
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(c.grid_commands(size, leading, PAD, (VPAD_TOP, VPAD_BOTTOM)) + [
        ("FONT", (0, -1), (-1, -1), SERIF_BOLD, size, leading),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 0), (2, -1), "CENTER"),
        ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
    ]))
    table.hAlign = "LEFT"
    return [para("Tổng hợp theo mã NDKT (các dòng của Giấy rút dự toán/Ủy nhiệm chi):", title),
            table]


def _advance_note(doc: dict) -> list:
    if doc.get("purpose") != "advance":
        return []
    due = advance_due(doc.get("date") or "")
    if due is None:
        return []
    return [para(f"Hạn thanh toán tạm ứng: chậm nhất ngày {due:%d/%m/%Y} "
                 "(ngày cuối tháng sau tháng tạm ứng).",
                 style("m07-advance", 9, font=SERIF_ITALIC, leading=12, space_before=4))]


def render_voucher_list(doc: dict) -> bytes:
    words = style("m07-words", 9.5, font=SERIF_ITALIC, leading=13.5, space_before=5)
    flowables = _header_block(doc) + [
        _main_table(doc),
        para(f"Tổng số tiền ghi bằng chữ: <b>{esc(doc.get('total_in_words', ''))}</b>", words),
    ] + _ndkt_block(doc) + _advance_note(doc) + attachments_block(doc) + [_signatures(doc)]
    return c.document_pdf(
        doc, flowables, pagesize=PAGE, margins=(MARGIN, MARGIN, MARGIN, BOTTOM),
        title=f"Bảng kê nội dung thanh toán/tạm ứng số {doc.get('number', '')}",
        form="Mẫu số 07", footer=_footer(doc))


__all__ = ["render_voucher_list"]
