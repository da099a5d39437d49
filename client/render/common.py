"""What both forms share: fonts, styles, the page canvas, small text helpers.

Output is deterministic: the PDF's dates and /ID are derived from the
document (not the clock, not ``SOURCE_DATE_EPOCH``), fonts are embedded as
subsets with stable names, so the same document gives the same bytes.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools
import hashlib
import io
import threading
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import LINECOMMANDS

from client.money import format_vnd
from client.resources import resource

SERIF = "KbnnSerif"
SERIF_BOLD = "KbnnSerif-Bold"
SERIF_ITALIC = "KbnnSerif-Italic"
SANS = "KbnnSans"  # has the ballot-box glyphs ☐ ☒ that DejaVu Serif lacks
_FONT_FILES = {
    SERIF: "DejaVuSerif.ttf",
    SERIF_BOLD: "DejaVuSerif-Bold.ttf",
    SERIF_ITALIC: "DejaVuSerif-Italic.ttf",
    SANS: "DejaVuSans.ttf",
}
_fonts_lock = threading.Lock()
_fonts_ready = False

# The landscape forms (Mẫu 09, C02a-HD): A4 turned, 14 mm at the bottom for the footer line
# ("<form> · Số …" left, "Trang n/N" right) drawn 7 mm above the paper's edge.
LANDSCAPE_A4 = landscape(A4)
LANDSCAPE_BOTTOM = 14 * mm
FOOTER_Y = 7 * mm

BOX_TICKED = "\u2612"
BOX_EMPTY = "\u2610"
DOTS = "\u2026" * 6


def register_fonts() -> None:
    """Register the embedded TrueType fonts once per process."""
    global _fonts_ready
    with _fonts_lock:
        if _fonts_ready:
            return
        for name, filename in _FONT_FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(resource("fonts", filename))))
        pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=SERIF_BOLD, italic=SERIF_ITALIC,
                                      boldItalic=SERIF_BOLD)
        _fonts_ready = True


def style(name: str, size: float = 9, *, font: str = SERIF, align: int = TA_LEFT,
          leading: float | None = None, space_after: float = 0,
          space_before: float = 0) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size,
                          leading=leading if leading is not None else size * 1.25,
                          alignment=align, spaceAfter=space_after, spaceBefore=space_before)


def para(text: str, st: ParagraphStyle) -> Paragraph:
    """A paragraph of markup; put user text through ``esc`` first."""
    return Paragraph(text, st)


def esc(value: Any) -> str:
    return escape("" if value is None else str(value))


def money(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return format_vnd(value)
    return "" if value is None else str(value)


def money_or_blank(value: Any) -> str:
    return "" if value == 0 and not isinstance(value, bool) else money(value)


def signed_money(value: int) -> str:
    return ("+" if value > 0 else "") + format_vnd(value)


def parse_date(value: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def long_date(value: Any, *, capital: bool = False) -> str:
    """"ngày 05 tháng 10 năm 2026" (dotted placeholders when absent)."""
    d = parse_date(value)
    text = (f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}" if d
            else "ngày \u2026\u2026 tháng \u2026\u2026 năm \u2026\u2026\u2026\u2026")
    return text[0].upper() + text[1:] if capital else text


def short_date(value: Any) -> str:
    d = parse_date(value)
    return f"{d.day:02d}/{d.month:02d}/{d.year}" if d else ("" if value is None else str(value))


MAX_CELL_LINES = 30


def wrap(text: Any, font: str, size: float, width: float) -> str:
    """Plain text broken into lines that fit ``width`` (fast: no Paragraph per cell).

    At most ``MAX_CELL_LINES`` lines (the last ending in "…"), so that one row
    always fits on a page.
    """
    s = "" if text is None else " ".join(str(text).split())
    if not s:
        return ""
    return _wrap(s, font, size, width)


@functools.lru_cache(maxsize=4096)  # bank names, group labels: the same few strings
def _wrap(s: str, font: str, size: float, width: float) -> str:
    if pdfmetrics.stringWidth(s, font, size) <= width:
        return s
    lines = simpleSplit(s, font, size, width)
    if len(lines) > MAX_CELL_LINES:
        lines = lines[:MAX_CELL_LINES]
        lines[-1] = lines[-1][:-2] + "…"
    return "\n".join(lines)


def text_width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


_FAST_ALIGN = frozenset(("LEFT", "RIGHT", "CENTER", "CENTRE"))
_TEXT_CACHE_LIMIT = 4096  # formatted strings kept per document: bank names, blanks, labels


class _TextCache:
    """Per-document memo of the page-stream snippets the body cells repeat.

    Font subsets are per document, so this lives on the canvas it serves.
    """

    __slots__ = ("fonts", "numbers", "texts")

    def __init__(self) -> None:
        self.numbers: dict[float, str] = {}
        self.texts: dict[tuple, list] = {}  # (font, size, leading, text) -> [width, operators]
        self.fonts: dict[tuple, str] = {}  # (font, size, leading, subset) -> "/F1+0 7 Tf 8.5 TL"


class _FastTable(Table):
    """A ``Table`` that writes its plain-string cells straight into the page stream.

    reportlab draws each string cell through ``drawString``: a text object, a
    width, a font split and two number formats per cell, ~60 % of the time of
    a 10 000-row Mẫu 09. This writes the very same operators (the same bytes:
    tests/unit/test_render_fast.py compares them with reportlab's own drawing),
    memoising the numbers and the strings that repeat. Anything else (flowables,
    links, right-to-left text, built-in fonts) goes through reportlab.
    """

    def _drawCell(self, cellval: Any, cellstyle: Any, pos: tuple[float, float],  # noqa: N802
                  size: tuple[float, float]) -> None:
        just = cellstyle.alignment
        if (type(cellval) is not str or just not in _FAST_ALIGN or cellstyle.direction
                or cellstyle.shaping or cellstyle.href or cellstyle.destination
                or cellstyle.valign not in ("TOP", "BOTTOM", "MIDDLE")):
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        canv = self.canv
        if self._curcellstyle is not cellstyle:  # as Table._drawCell
            cur = self._curcellstyle
            if cur is None or cellstyle.color != cur.color:
                canv.setFillColor(cellstyle.color)
            if (cur is None or cellstyle.leading != cur.leading
                    or cellstyle.fontname != cur.fontname or cellstyle.fontsize != cur.fontsize):
                canv.setFont(cellstyle.fontname, cellstyle.fontsize, cellstyle.leading)
            self._curcellstyle = cellstyle
        font = pdfmetrics.getFont(canv._fontname)
        if not font._dynamicFont or not canv.bottomup:
            super()._drawCell(cellval, cellstyle, pos, size)
            return
        colpos, rowpos = pos
        colwidth, rowheight = size
        if just == "LEFT":
            x = colpos + cellstyle.leftPadding
        elif just == "RIGHT":
            x = colpos + colwidth - cellstyle.rightPadding
        else:
            x = colpos + (colwidth + cellstyle.leftPadding - cellstyle.rightPadding) * 0.5
        vals = cellval.split("\n")
        leading, fontsize = cellstyle.leading, cellstyle.fontsize
        valign = cellstyle.valign
        if valign == "TOP":
            y = rowpos + rowheight - cellstyle.topPadding - fontsize
        elif valign == "BOTTOM":
            y = rowpos + cellstyle.bottomPadding + len(vals) * leading - fontsize
        else:
            y = (rowpos + (cellstyle.bottomPadding + rowheight - cellstyle.topPadding
                           + len(vals) * leading) / 2.0 - fontsize)
        cache = getattr(canv, "_kbnn_text_cache", None)
        if cache is None:
            cache = canv._kbnn_text_cache = _TextCache()
        numbers, texts = cache.numbers, cache.texts
        name, font_size, font_leading = canv._fontname, canv._fontsize, canv._leading
        append = canv._code.append
        for v in vals:
            key = (name, font_size, font_leading, v)
            hit = texts.get(key)
            if hit is None:
                hit = texts[key] = [None, self._format(canv, font, v, cache)]
                if len(texts) > _TEXT_CACHE_LIMIT:
                    texts.clear()
                    texts[key] = hit
            if just == "LEFT":
                x0 = x
            else:
                width = hit[0]
                if width is None:
                    width = hit[0] = pdfmetrics.stringWidth(v, name, font_size)
                x0 = x - width if just == "RIGHT" else x - 0.5 * width
            sx = numbers.get(x0)
            if sx is None:
                sx = numbers[x0] = fp_str(x0)
            sy = numbers.get(y)
            if sy is None:
                sy = numbers[y] = fp_str(y)
            append(f"BT 1 0 0 1 {sx} {sy} Tm {hit[1]} T* ET")
            y -= leading
        if len(numbers) > _TEXT_CACHE_LIMIT:
            numbers.clear()

    @staticmethod
    def _format(canv: Canvas, font: Any, text: str, cache: _TextCache) -> str:
        """The "… Tj" operators of ``text``, as PDFTextObject._formatText writes them."""
        doc = canv._doc
        out: list[str] = []
        current = -1
        for subset, chunk in font.splitString(text, doc):
            if subset != current:
                key = (canv._fontname, canv._fontsize, canv._leading, subset)
                select = cache.fonts.get(key)
                if select is None:
                    select = cache.fonts[key] = (
                        f"{font.getSubsetInternalName(subset, doc)} {fp_str(canv._fontsize)} Tf "
                        f"{fp_str(canv._leading)} TL")
                out.append(select)
                current = subset
            out.append(f"({canv._escape(chunk)}) Tj")
        return " ".join(out)


class _HeadingParagraph(Paragraph):
    """A heading cell laid out again on every page at the same width: break its lines once.

    ``Paragraph.wrap`` does not depend on the available height, only on the width.
    """

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        memo = self.__dict__.get("_kbnn_wrapped")
        if memo is not None and memo[0] == availWidth:
            self.width, self.height, self.blPara = memo[1]
            return memo[1][0], memo[1][1]
        size = super().wrap(availWidth, availHeight)
        if getattr(self, "width", None) == availWidth and hasattr(self, "blPara"):
            self._kbnn_wrapped = (availWidth, (self.width, self.height, self.blPara))
        return size


def _heading_cell(cell: Any) -> Any:
    if type(cell) is not Paragraph:
        return cell
    heading = _HeadingParagraph.__new__(_HeadingParagraph)
    heading.__dict__.update(cell.__dict__)
    return heading


_NOT_CELL_STYLE = frozenset(("BACKGROUND", "ROWBACKGROUNDS", "COLBACKGROUNDS", "SPAN", "NOSPLIT",
                             "ROUNDEDCORNERS", *LINECOMMANDS))


def _styles_cells(cmd: tuple) -> bool:
    """Whether a table style command sets cell styles (font, alignment, padding …)."""
    return cmd[0] not in _NOT_CELL_STYLE and not isinstance(cmd[1][1], str)


def _row_range(cmd: tuple, rows: int) -> tuple[int, int]:
    """The rows a command reaches in a table of ``rows`` rows, as reportlab counts them."""
    r0, r1 = cmd[1][1], cmd[2][1]
    if r0 is None:
        return (-1, -2)  # a body row's own command, applied separately
    if r0 < 0:
        r0 += rows
    if r1 < 0:
        r1 += rows
    return max(0, r0), min(rows - 1, r1)


class PagedTable(Flowable):
    """A long table laid out one page at a time, column headings on every page.

    reportlab's own ``Table`` re-measures all remaining rows at every page
    break (quadratic: minutes for 10 000 lines). Here the body rows are plain
    strings whose heights are known in advance, so each page gets its own
    small ``Table`` (headings + the rows that fit) and splitting is a bisect.

    ``row_styles[i]`` holds commands for body row ``i`` written with the row
    as ``None``: ``("FONT", (0, None), (-1, None), ...)``.
    """

    def __init__(self, *, header: list[list[Any]], body: list[list[Any]], widths: list[float],
                 commands: list[tuple], row_styles: dict[int, list[tuple]], leading: float,
                 vpad: float, start: int = 0, _shared: dict | None = None) -> None:
        super().__init__()
        if _shared is None:
            heights = [leading * max(len(str(c).split("\n")) if c else 1 for c in row) + vpad
                       for row in body]
            prefix = [0.0]
            for h in heights:
                prefix.append(prefix[-1] + h)
            header = [[_heading_cell(cell) for cell in row] for row in header]
            _shared = {"header": header, "body": body, "widths": widths, "commands": commands,
                       "row_styles": row_styles, "heights": heights, "prefix": prefix,
                       "header_height": None}
        self._s = _shared
        self._start = start

    def _header_height(self, avail_width: float) -> float:
        s = self._s
        if s["header_height"] is None:
            t = self._table(0, 0)
            s["header_height"] = t.wrap(avail_width, 10**6)[1]
        return s["header_height"]

    def _table(self, i: int, j: int) -> Table:
        s = self._s
        n_head = len(s["header"])
        rows = n_head + j - i
        cell_cmds: list[tuple] = []  # (row range, command) of the commands that style cells
        other_cmds: list[tuple] = []  # grid, spans, backgrounds: cheap, given to the table as is
        for cmd in s["commands"]:
            if _styles_cells(cmd):
                cell_cmds.append((_row_range(cmd, rows), cmd))
            else:
                other_cmds.append(cmd)
        styling = [cmd for _, cmd in cell_cmds]
        styles: list[list[Any]] = []
        for r in range(rows):
            own = s["row_styles"].get(i + r - n_head, ()) if r >= n_head else ()
            covering = tuple(k for k, ((r0, r1), _) in enumerate(cell_cmds) if r0 <= r <= r1)
            styles.append(self._row_cell_styles(covering, id(own) if own else 0, styling, own))
            for cmd in own:
                name, (c0, _), (c1, _), *args = cmd
                if not _styles_cells(cmd):
                    other_cmds.append((name, (c0, r), (c1, r), *args))
        table = _FastTable(s["header"] + s["body"][i:j], colWidths=s["widths"],
                           rowHeights=[None] * n_head + s["heights"][i:j], repeatRows=n_head,
                           cellStyles=styles)
        table.setStyle(TableStyle(other_cmds))
        return table

    def _row_cell_styles(self, covering: tuple[int, ...], own_key: int, cell_cmds: list[tuple],
                         own: list[tuple] | tuple) -> list[Any]:
        """The cell styles of a row that the commands ``covering`` (then ``own``) style.

        reportlab gives every cell its own style and applies each command to each
        cell of every page: here rows styled alike share one set, made once.
        """
        memo = self._s.setdefault("cell_styles", {})
        key = (covering, own_key)
        found = memo.get(key)
        if found is None:
            probe = Table([[""] * len(self._s["widths"])], colWidths=self._s["widths"])
            probe.setStyle(TableStyle(
                [(cmd[0], (cmd[1][0], 0), (cmd[2][0], 0), *cmd[3:])
                 for cmd in [cell_cmds[k] for k in covering] + list(own)
                 if _styles_cells(cmd)]))
            found = memo[key] = probe._cellStyles[0]
        return found

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        s = self._s
        self.width = sum(s["widths"])
        self.height = (self._header_height(avail_width)
                       + s["prefix"][len(s["body"])] - s["prefix"][self._start])
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        s = self._s
        prefix = s["prefix"]
        room = avail_height - self._header_height(avail_width) + prefix[self._start]
        end = bisect.bisect_right(prefix, room + 1e-6) - 1
        end = min(end, len(s["body"]))
        if end <= self._start:
            return []
        if end == len(s["body"]):
            return [self._table(self._start, end)]
        return [self._table(self._start, end),
                PagedTable(header=[], body=[], widths=[], commands=[], row_styles={},
                           leading=0, vpad=0, start=end, _shared=s)]

    def draw(self) -> None:
        table = self._table(self._start, len(self._s["body"]))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)


class _FixedTimeStamp:
    """Stands in for reportlab's TimeStamp: the document's own date, Vietnam time."""

    def __init__(self, day: _dt.date) -> None:
        moment = _dt.datetime(day.year, day.month, day.day, 0, 0, 0)
        self.t = (moment - _dt.datetime(1970, 1, 1)).total_seconds() - 7 * 3600
        self.lt = moment.timetuple()
        self.YMDhms = (day.year, day.month, day.day, 0, 0, 0)
        self.dhh = 7
        self.dmm = 0
        self.tzname = "+07"


def _canvas_class(seed: bytes, day: _dt.date,
                  footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    class FormCanvas(Canvas):
        """Deterministic dates and /ID; draws "Trang x/y" once the page count is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            pdf = self._doc
            pdf._timeStamp = _FixedTimeStamp(day)
            signature = hashlib.md5(usedforsecurity=False)
            signature.update(b"kbnn-client document " + seed)
            pdf.signature = signature
            self._saved_pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved_pages)
            for number, state in enumerate(self._saved_pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return FormCanvas


def build_pdf(flowables: list, *, pagesize: tuple[float, float], margins: tuple[float, ...],
              seed: bytes, day: _dt.date | None, title: str, author: str, subject: str,
              keywords: str, footer: Callable[[Canvas, int, int], None]) -> bytes:
    """Lay ``flowables`` out on pages and return the PDF bytes."""
    left, right, top, bottom = margins
    out = io.BytesIO()
    template = BaseDocTemplate(
        out, pagesize=pagesize, leftMargin=left, rightMargin=right, topMargin=top,
        bottomMargin=bottom, title=title, author=author, subject=subject, keywords=keywords,
        creator="KBNN Client", invariant=1, lang="vi-VN", initialFontName=SERIF,
        initialFontSize=9)
    frame = Frame(left, bottom, pagesize[0] - left - right, pagesize[1] - top - bottom,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    template.addPageTemplates([PageTemplate(id="form", frames=[frame], pagesize=pagesize)])
    canvas_class = _canvas_class(seed, day or _dt.date(2000, 1, 1), footer)
    template.build(flowables, canvasmaker=canvas_class)
    return out.getvalue()


def document_seed(doc: dict) -> bytes:
    """Bytes that identify the document's content, for the PDF /ID."""
    import json

    canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest().encode("ascii")



# -- pieces every official form shares (Mẫu 09, Mẫu 07): use these rather than copying ----------

def form_corner(doc: dict, *, form_no: str, available: float, corner: float,
                prefix: str) -> Table:
    """The top of a form: "Đơn vị: …" left; "Mẫu số NN", "Mã hiệu", "Số" in the right corner."""
    unit = doc.get("unit") or {}
    right = style(f"{prefix}-right", 9, align=TA_CENTER, leading=12)
    right_b = style(f"{prefix}-right-b", 10, font=SERIF_BOLD, align=TA_CENTER, leading=12.5)
    top = Table(
        [[para(f"Đơn vị: {esc(unit.get('name', ''))}", style(f"{prefix}-unit", 9, leading=12)),
          [para(f"Mẫu số {form_no}", right_b), para(f"Mã hiệu: {DOTS}", right),
           para(f"Số: {esc(doc.get('number', ''))}", right)]]],
        colWidths=[available - corner, corner])
    top.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return top


def heading_styles(prefix: str, *, title_size: float, title_leading: float,
                   space_before: float) -> tuple[ParagraphStyle, ...]:
    """(title, centred, centred italic, body) paragraph styles of a form's heading."""
    return (style(f"{prefix}-title", title_size, font=SERIF_BOLD, align=TA_CENTER,
                  leading=title_leading, space_before=space_before),
            style(f"{prefix}-center", 9.5, align=TA_CENTER, leading=13),
            style(f"{prefix}-center-i", 9.5, font=SERIF_ITALIC, align=TA_CENTER, leading=13),
            style(f"{prefix}-body", 9.5, leading=13.5))


def attached_to(order: dict | None, papers: str) -> str:
    """"(Kèm theo <papers> số … ngày … tháng … năm …)", dotted when there is no order yet."""
    order = order or {}
    if order.get("number"):
        return f"(Kèm theo {papers} số {esc(order.get('number'))} {long_date(order.get('date'))})"
    return f"(Kèm theo {papers} số {DOTS} {long_date(None)})"

def unit_signatures(doc: dict, *, width: float, preparer: str, space: float,
                    italic: ParagraphStyle, bold: ParagraphStyle,
                    name: ParagraphStyle | None = None) -> Table:
    """The unit's three signature columns: preparer · Kế toán trưởng · Thủ trưởng đơn vị,
    the date above the last, the preparer's name under the first."""
    table = Table([
        ["", "", para(long_date(doc.get("date"), capital=True), italic)],
        [para(preparer, bold), para("KẾ TOÁN TRƯỞNG", bold), para("THỦ TRƯỞNG ĐƠN VỊ", bold)],
        [para("(Ký, ghi rõ họ tên)", italic), para("(Ký, ghi rõ họ tên)", italic),
         para("(Ký, ghi rõ họ tên, đóng dấu)", italic)],
        ["", "", ""],
        [para(esc(doc.get("prepared_by", "")), name or bold), "", ""],
    ], colWidths=[width] * 3, rowHeights=[None, None, None, space, None])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), SERIF, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table

def page_footer(label: str, *, page_width: float, margin: float, y: float
                ) -> Callable[[Canvas, int, int], None]:
    """Draws ``label`` left and "Trang n/N" right at height ``y`` on every page."""

    def draw(canvas: Canvas, number: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(SERIF_ITALIC, 7.5)
        canvas.drawString(margin, y, label)
        canvas.drawRightString(page_width - margin, y, f"Trang {number}/{total}")
        canvas.restoreState()

    return draw


def landscape_pdf(flowables: list, *, margin: float, footer_label: str, seed: bytes,
                  day: _dt.date | None, title: str, author: str, subject: str,
                  keywords: str) -> bytes:
    """``build_pdf`` on A4 landscape: ``margin`` left, right and top, ``LANDSCAPE_BOTTOM``
    below, ``footer_label`` and "Trang n/N" at ``FOOTER_Y`` on every page."""
    footer = page_footer(footer_label, page_width=LANDSCAPE_A4[0], margin=margin, y=FOOTER_Y)
    return build_pdf(flowables, pagesize=LANDSCAPE_A4,
                     margins=(margin, margin, margin, LANDSCAPE_BOTTOM), seed=seed, day=day,
                     title=title, author=author, subject=subject, keywords=keywords,
                     footer=footer)


def grid_commands(size: float, leading: float, pad: float, vpad: tuple[float, float]
                  ) -> list[tuple]:
    """Table style commands of a ruled form table: font, grid, paddings."""
    from reportlab.lib import colors

    return [
        ("FONT", (0, 0), (-1, -1), SERIF, size, leading),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), vpad[0]),
        ("BOTTOMPADDING", (0, 0), (-1, -1), vpad[1]),
    ]


def document_pdf(doc: dict, flowables: list, *, pagesize: tuple[float, float],
                 margins: tuple[float, ...], title: str, form: str,
                 footer: Callable[[Canvas, int, int], None]) -> bytes:
    """``build_pdf`` with the document's seed, date, unit (author), kind (subject) and id."""
    unit = doc.get("unit") or {}
    return build_pdf(flowables, pagesize=pagesize, margins=margins, seed=document_seed(doc),
                     day=parse_date(doc.get("date")), title=title,
                     author=str(unit.get("name", "")),
                     subject=f"{form} – {doc.get('format', '')} {doc.get('kind', '')}",
                     keywords=str(doc.get("id", "")), footer=footer)

__all__ = [
    "BOX_EMPTY", "BOX_TICKED", "DOTS", "FOOTER_Y", "LANDSCAPE_A4", "LANDSCAPE_BOTTOM",
    "PagedTable", "landscape_pdf", "document_pdf", "form_corner",
    "grid_commands", "page_footer", "heading_styles", "attached_to",
    "unit_signatures", "SANS", "SERIF", "SERIF_BOLD", "SERIF_ITALIC", "TA_CENTER",
    "TA_LEFT", "TA_RIGHT", "build_pdf", "document_seed", "esc", "long_date", "money",
    "money_or_blank", "para", "parse_date", "register_fonts", "short_date",
    "signed_money", "style", "text_width", "wrap",
]
