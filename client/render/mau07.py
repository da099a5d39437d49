"""Mẫu số 07 — Bảng kê nội dung thanh toán/tạm ứng (A4 portrait)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from client.render.common import (
    BOX_EMPTY,
    BOX_TICKED,
    DOTS,
    SANS,
    SERIF,
    SERIF_BOLD,
    SERIF_ITALIC,
    TA_CENTER,
    TA_RIGHT,
    PagedTable,
    build_pdf,
    document_seed,
    esc,
    long_date,
    money,
    para,
    parse_date,
    short_date,
    style,
    text_width,
    wrap,
)

PAGE = A4
MARGIN = 15 * mm
BOTTOM = 15 * mm
AVAILABLE = PAGE[0] - 2 * MARGIN
PAD = 3.0
VPAD_TOP, VPAD_BOTTOM = 2.0, 3.0


def _box(ticked: bool) -> str:
    return f'<font name="{SANS}" size="11">{BOX_TICKED if ticked else BOX_EMPTY}</font>'


def _header_block(doc: dict) -> list:
    unit = doc.get("unit") or {}
    budget = doc.get("budget") or {}
    order = doc.get("payment_order") or {}
    right = style("m07-right", 9, align=TA_CENTER, leading=12)
    right_b = style("m07-right-b", 10, font=SERIF_BOLD, align=TA_CENTER, leading=12.5)
    top = Table(
        [[para(f"Đơn vị: {esc(unit.get('name', ''))}", style("m07-unit", 9, leading=12)),
          [para("Mẫu số 07", right_b), para(f"Mã hiệu: {DOTS}", right),
           para(f"Số: {esc(doc.get('number', ''))}", right)]]],
        colWidths=[AVAILABLE - 60 * mm, 60 * mm])
    top.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    title = style("m07-title", 13, font=SERIF_BOLD, align=TA_CENTER, leading=17, space_before=6)
    center = style("m07-center", 9.5, align=TA_CENTER, leading=13)
    center_i = style("m07-center-i", 9.5, font=SERIF_ITALIC, align=TA_CENTER, leading=13)
    body = style("m07-body", 9.5, leading=13.5)
    if order.get("number"):
        attached = (f"(Kèm theo Giấy rút dự toán/Ủy nhiệm chi/Giấy đề nghị thanh toán tạm ứng "
                    f"số {esc(order.get('number'))} {long_date(order.get('date'))})")
    else:
        attached = ("(Kèm theo Giấy rút dự toán/Ủy nhiệm chi/Giấy đề nghị thanh toán tạm ứng "
                    f"số {DOTS} {long_date(None)})")
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


def _main_table(doc: dict) -> PagedTable:
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
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), SERIF, size, leading),
        ("FONT", (0, 2), (-1, 2), SERIF_ITALIC, 7.5, 9),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, 2), "CENTER"),
        ("ALIGN", (0, 3), (0, -1), "CENTER"),
        ("ALIGN", (2, 3), (2, -1), "CENTER"),
        ("ALIGN", (4, 3), (4, -1), "CENTER"),
        ("ALIGN", (5, 3), (5, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), VPAD_TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), VPAD_BOTTOM),
        ("SPAN", (1, 0), (2, 0)),
        ("SPAN", (0, 0), (0, 1)), ("SPAN", (3, 0), (3, 1)), ("SPAN", (4, 0), (4, 1)),
        ("SPAN", (5, 0), (5, 1)),
    ]
    return PagedTable(header=header, body=body, widths=widths, commands=commands,
                      row_styles=row_styles, leading=leading, vpad=VPAD_TOP + VPAD_BOTTOM)


def _signatures(doc: dict) -> KeepTogether:
    width = AVAILABLE / 3
    italic = style("m07-sig-i", 8.5, font=SERIF_ITALIC, align=TA_CENTER, leading=11)
    bold = style("m07-sig-b", 9, font=SERIF_BOLD, align=TA_CENTER, leading=11.5)
    table = Table([
        ["", "", para(long_date(doc.get("date"), capital=True), italic)],
        [para("NGƯỜI LẬP", bold), para("KẾ TOÁN TRƯỞNG", bold), para("THỦ TRƯỞNG ĐƠN VỊ", bold)],
        [para("(Ký, ghi rõ họ tên)", italic), para("(Ký, ghi rõ họ tên)", italic),
         para("(Ký, ghi rõ họ tên, đóng dấu)", italic)],
        ["", "", ""],
        [para(esc(doc.get("prepared_by", "")), bold), "", ""],
    ], colWidths=[width] * 3, rowHeights=[None, None, None, 18 * mm, None])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return KeepTogether([Spacer(1, 8), table])


def _footer(doc: dict) -> Any:
    label = f"Mẫu số 07 · Số {doc.get('number', '')}"
    unit_code = (doc.get("unit") or {}).get("code")
    if unit_code:
        label += f" · Mã đơn vị {unit_code}"

    def draw(canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(SERIF_ITALIC, 7.5)
        canvas.drawString(MARGIN, 8 * mm, label)
        canvas.drawRightString(PAGE[0] - MARGIN, 8 * mm, f"Trang {number}/{total}")
        canvas.restoreState()

    return draw


def render_voucher_list(doc: dict) -> bytes:
    words = style("m07-words", 9.5, font=SERIF_ITALIC, leading=13.5, space_before=5)
    flowables = _header_block(doc) + [
        _main_table(doc),
        para(f"Tổng số tiền ghi bằng chữ: <b>{esc(doc.get('total_in_words', ''))}</b>", words),
        _signatures(doc),
    ]
    unit = doc.get("unit") or {}
    return build_pdf(
        flowables, pagesize=PAGE, margins=(MARGIN, MARGIN, MARGIN, BOTTOM),
        seed=document_seed(doc), day=parse_date(doc.get("date")),
        title=f"Bảng kê nội dung thanh toán/tạm ứng số {doc.get('number', '')}",
        author=str(unit.get("name", "")),
        subject=f"Mẫu số 07 – {doc.get('format', '')} {doc.get('kind', '')}",
        keywords=str(doc.get("id", "")), footer=_footer(doc))


__all__ = ["render_voucher_list"]
