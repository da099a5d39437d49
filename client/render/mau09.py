"""Mẫu số 09 — Bảng thanh toán cho đối tượng thụ hưởng (A4 landscape)."""

from __future__ import annotations

from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from client.documents import PART_KEYS, PART_LABELS, group_lines
from client.render import common as c
from client.render.attachments import attachments_block

# The names this module uses from the shared form pieces (page setup and PDF: common.py).
SERIF, SERIF_BOLD, SERIF_ITALIC, SANS = c.SERIF, c.SERIF_BOLD, c.SERIF_ITALIC, c.SANS
TA_CENTER, TA_RIGHT, PagedTable = c.TA_CENTER, c.TA_RIGHT, c.PagedTable
esc, money, money_or_blank, para, style = c.esc, c.money, c.money_or_blank, c.para, c.style
long_date, signed_money, text_width, wrap = c.long_date, c.signed_money, c.text_width, c.wrap

PAGE = c.LANDSCAPE_A4
MARGIN = 12 * mm
AVAILABLE = PAGE[0] - 2 * MARGIN
PAD = 2.0  # cell padding left/right
VPAD_TOP, VPAD_BOTTOM = 1.0, 1.8
BODY_SIZE = 7.0
NCOLS = 13
MONEY_COLS = range(4, 12)  # Tổng số + the seven "Trong đó" columns


def _header_block(doc: dict) -> list:
    unit = doc.get("unit") or {}
    period = doc.get("period") or {}
    top = c.form_corner(doc, form_no="09", available=AVAILABLE, corner=70 * mm, prefix="m09")
    title, center, center_i, body = c.heading_styles("m09", title_size=14, title_leading=18,
                                                     space_before=4)
    attached = c.attached_to(doc.get("payment_order"), "Giấy rút dự toán/Ủy nhiệm chi")
    month, year = period.get("month"), period.get("year")
    estimate = unit.get("account_kind") == "estimate"
    deposit = unit.get("account_kind") == "deposit"

    def box(ticked: bool) -> str:
        return f'<font name="{SANS}" size="11">{c.BOX_TICKED if ticked else c.BOX_EMPTY}</font>'

    ticks = (f"Tài khoản dự toán {box(estimate)}"
             f"&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;Tài khoản tiền gửi {box(deposit)}")
    return [
        top,
        para("BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG", title),
        para(f"Tháng {esc(month)} năm {esc(year)}" if month and year else "", center),
        para(attached, center_i),
        Spacer(1, 3),
        para(ticks, center),
        Spacer(1, 3),
        para(f"1. Đơn vị sử dụng ngân sách: <b>{esc(unit.get('name', ''))}</b>", body),
        para(f"2. Mã đơn vị: <b>{esc(unit.get('code', ''))}</b>", body),
        para(f"3. Tài khoản thanh toán của đơn vị: <b>{esc(unit.get('account', ''))}</b> "
             f"mở tại: <b>{esc(unit.get('treasury', ''))}</b>", body),
        Spacer(1, 3),
        _section_heading("I. Nội dung đề nghị thanh toán:", "(Đơn vị: đồng)"),
    ]


def _section_heading(left: str, right: str) -> Table:
    t = Table([[para(left, style("m09-sec", 9.5, font=SERIF_BOLD, leading=13)),
                para(right, style("m09-unitnote", 9, font=SERIF_ITALIC, align=TA_RIGHT))]],
              colWidths=[AVAILABLE * 0.7, AVAILABLE * 0.3])
    t.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return t


def _sums(lines: list[dict]) -> tuple[int, dict[str, int]]:
    def value(v: Any) -> int:
        return v if isinstance(v, int) and not isinstance(v, bool) else 0

    amount = 0
    parts = dict.fromkeys(PART_KEYS, 0)
    for line in lines:  # one pass: 10 000 lines are summed per group and for the total
        amount += value(line.get("amount"))
        for k, v in (line.get("parts") or {}).items():
            if k in parts:
                parts[k] += value(v)
    return amount, parts


def _widths(doc: dict, size: float) -> list[float] | None:
    """Column widths for body font ``size``; None if the money does not fit."""
    lines = doc.get("lines") or []
    total, parts = _sums(lines)
    grand = [money(total)] + [money(parts[k]) for k in PART_KEYS]
    widest_line = max((text_width(money(line.get("amount")), SERIF, size) for line in lines),
                      default=0)
    money_widths = []
    for i, text in enumerate(grand):
        need = max(text_width(text, SERIF_BOLD, size), widest_line if i == 0 else 0)
        money_widths.append(max(need + 2 * PAD + 1, 48 if i == 0 else 42))
    stt = max(text_width(str(len(lines)), SERIF, size) + 2 * PAD + 1, 20)
    account = max([text_width(str(line.get("account", "")), SERIF, size) for line in lines]
                  + [56]) + 2 * PAD + 1
    account = min(account, 100)
    rest = AVAILABLE - stt - account - sum(money_widths)
    if rest < 190:
        return None
    name, bank = rest * 0.35, rest * 0.43
    note = rest - name - bank
    return [stt, name, account, bank] + money_widths + [note]


def _main_table(doc: dict) -> PagedTable:
    size = BODY_SIZE
    widths = None
    while widths is None and size >= 5:
        widths = _widths(doc, size)
        if widths is None:
            size -= 0.5
    if widths is None:  # absurd amounts: squeeze the money columns, never fail
        size = 5
        widths = [22, 90, 70, 90] + [(AVAILABLE - 22 - 90 - 70 - 90 - 40) / 8] * 8 + [40]
    leading = size + 1.5
    head = style("m09-th", 7, font=SERIF_BOLD, align=TA_CENTER, leading=8.5)
    head_part = style("m09-thp", 6.5, font=SERIF_BOLD, align=TA_CENTER, leading=7.8)
    header: list[list[Any]] = [
        [para("STT", head), para("Họ và tên", head), para("Số tài khoản người hưởng", head),
         para("Tên ngân hàng", head), para("Tổng số", head), para("Trong đó", head),
         "", "", "", "", "", "", para("Ghi chú", head)],
        ["", "", "", "", ""] + [para(PART_LABELS[k], head_part) for k in PART_KEYS] + [""],
        [str(i) for i in range(1, NCOLS + 1)],
    ]
    commands: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), SERIF, size, leading),
        ("FONT", (0, 2), (-1, 2), SERIF_ITALIC, 6.5, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
        ("VALIGN", (0, 3), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, 2), "CENTER"),
        ("ALIGN", (0, 3), (0, -1), "CENTER"),
        ("ALIGN", (4, 3), (11, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), VPAD_TOP),
        ("BOTTOMPADDING", (0, 0), (-1, -1), VPAD_BOTTOM),
        ("SPAN", (5, 0), (11, 0)),
    ] + [("SPAN", (c, 0), (c, 1)) for c in (0, 1, 2, 3, 4, 12)]
    bold_row = [("FONT", (0, None), (-1, None), SERIF_BOLD, size, leading)]
    label_row = bold_row + [("ALIGN", (1, None), (1, None), "CENTER")]
    name_w, account_w, bank_w, note_w = (widths[1] - 2 * PAD, widths[2] - 2 * PAD,
                                         widths[3] - 2 * PAD, widths[12] - 2 * PAD)
    body: list[list[str]] = []
    row_styles: dict[int, list[tuple]] = {}
    groups = group_lines(doc)
    several = len(groups) > 1
    for group, lines in groups:
        if group:
            row_styles[len(body)] = bold_row + [("SPAN", (1, None), (11, None))]
            body.append(["", wrap(group, SERIF_BOLD, size, sum(widths[1:12]) - 2 * PAD)]
                        + [""] * 11)
        for line in lines:
            parts = line.get("parts") or {}
            body.append([
                str(line.get("no", "")),
                wrap(line.get("name"), SERIF, size, name_w),
                wrap(line.get("account"), SERIF, size, account_w),
                wrap(line.get("bank"), SERIF, size, bank_w),
                money(line.get("amount")),
                *[money_or_blank(parts.get(k, 0)) for k in PART_KEYS],
                wrap(line.get("note"), SERIF, size, note_w),
            ])
        if group or several:
            amount, sums = _sums(lines)
            row_styles[len(body)] = label_row
            body.append(["", "Cộng", "", "", money(amount)]
                        + [money_or_blank(sums[k]) for k in PART_KEYS] + [""])
    amount, sums = _sums(doc.get("lines") or [])
    row_styles[len(body)] = label_row + [
        ("BACKGROUND", (0, None), (-1, None), colors.Color(0.93, 0.93, 0.93))]
    body.append(["", "Tổng cộng", "", "", money(doc.get("total", amount))]
                + [money_or_blank(sums[k]) for k in PART_KEYS] + [""])
    return PagedTable(header=header, body=body, widths=widths, commands=commands,
                      row_styles=row_styles, leading=leading, vpad=VPAD_TOP + VPAD_BOTTOM)


def _changes_block(doc: dict) -> list:
    body = style("m09-ch", 9.5, leading=13.5)
    bold = style("m09-chb", 9.5, font=SERIF_BOLD, leading=13.5, space_before=4)
    out = [para("II. Phần thuyết minh thay đổi so với tháng trước:", bold)]
    changes = doc.get("changes")
    if not changes:
        out.append(para("Không có thay đổi so với tháng trước.", body))
        return out
    explanation = changes.get("explanation") or ""
    if explanation:
        for paragraph in str(explanation).splitlines():
            out.append(para(esc(paragraph) or "&nbsp;", body))
    diff = changes.get("difference")
    if isinstance(diff, int) and not isinstance(diff, bool):
        if diff > 0:
            tail = f"tăng {money(diff)} đồng"
        elif diff < 0:
            tail = f"giảm {money(-diff)} đồng"
        else:
            tail = "không đổi"
        out.append(para(f"Chênh lệch so với tháng trước: <b>{signed_money(diff)}</b> đồng "
                        f"({tail}).", body))
    return out


def _signatures(doc: dict) -> list:
    width = AVAILABLE / 3
    italic = style("m09-sig-i", 9, font=SERIF_ITALIC, align=TA_CENTER, leading=11.5)
    bold = style("m09-sig-b", 9.5, font=SERIF_BOLD, align=TA_CENTER, leading=12)
    normal = style("m09-sig-n", 9.5, font=SERIF_BOLD, align=TA_CENTER, leading=12)
    unit_sig = c.unit_signatures(doc, width=width, preparer="NGƯỜI LẬP BẢNG", space=16 * mm,
                                 italic=italic, bold=bold, name=normal)
    half = AVAILABLE / 2
    center_b = style("m09-kb", 9.5, font=SERIF_BOLD, align=TA_CENTER, leading=12)
    kbnn = Table([
        [para("PHẦN DÀNH CHO KHO BẠC NHÀ NƯỚC", center_b), ""],
        [para(long_date(None, capital=True), italic), ""],
        [para("CHUYÊN VIÊN KIỂM SOÁT CHI / GIAO DỊCH VIÊN", bold), para("GIÁM ĐỐC KBNN", bold)],
        [para("(Ký, ghi rõ họ tên)", italic), para("(Ký, ghi rõ họ tên, đóng dấu)", italic)],
        ["", ""],
    ], colWidths=[half, half], rowHeights=[None, None, None, None, 16 * mm])
    kbnn.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("SPAN", (0, 0), (1, 0)), ("SPAN", (0, 1), (1, 1)),
        ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return [KeepTogether([Spacer(1, 6), unit_sig]), KeepTogether([Spacer(1, 8), kbnn])]


def _footer_label(doc: dict) -> str:
    period = doc.get("period") or {}
    label = f"Mẫu số 09 · Số {doc.get('number', '')}"
    month, year = period.get("month"), period.get("year")
    if isinstance(month, int) and isinstance(year, int):
        label += f" · Tháng {month:02d}/{year}"
    unit_code = (doc.get("unit") or {}).get("code")
    if unit_code:
        label += f" · Mã đơn vị {unit_code}"
    return label


def render_salary_table(doc: dict) -> bytes:
    words = style("m09-words", 9.5, font=SERIF_ITALIC, leading=13.5, space_before=4)
    flowables = _header_block(doc) + [
        _main_table(doc),
        para(f"Tổng số tiền bằng chữ: <b>{esc(doc.get('total_in_words', ''))}</b>", words),
    ] + _changes_block(doc) + attachments_block(doc) + _signatures(doc)
    unit = doc.get("unit") or {}
    return c.landscape_pdf(
        flowables, margin=MARGIN, footer_label=_footer_label(doc),
        seed=c.document_seed(doc), day=c.parse_date(doc.get("date")),
        title=f"Bảng thanh toán cho đối tượng thụ hưởng số {doc.get('number', '')}",
        author=str(unit.get("name", "")),
        subject=f"Mẫu số 09 – {doc.get('format', '')} {doc.get('kind', '')}",
        keywords=str(doc.get("id", "")))


__all__ = ["render_salary_table"]
