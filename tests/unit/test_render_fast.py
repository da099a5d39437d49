"""client.render.common's fast paths for long tables write exactly what reportlab would.

``PagedTable`` draws string cells straight into the page stream, shares cell styles
between rows styled alike and breaks heading lines once. Each PDF here is rendered
twice, once with reportlab's own per-page ``Table`` (as the renderer did before),
and must come out byte for byte the same, so what the accountant sees and signs
does not depend on the optimisation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from reportlab.platypus import Table, TableStyle

from client.render import common, render_pdf
from tests.unit.test_render import _payroll_sheet, poppler, salary_doc, voucher_doc


def _reference_table(self: common.PagedTable, i: int, j: int) -> Table:
    """A page as reportlab lays it out by itself: every command applied to every cell."""
    s = self._s
    n_head = len(s["header"])
    commands = list(s["commands"])
    for k in range(i, j):
        for cmd in s["row_styles"].get(k, ()):
            name, (c0, _), (c1, _), *args = cmd
            r = n_head + k - i
            commands.append((name, (c0, r), (c1, r), *args))
    header = [[_plain(cell) for cell in row] for row in s["header"]]
    table = Table(header + s["body"][i:j], colWidths=s["widths"],
                  rowHeights=[None] * n_head + s["heights"][i:j], repeatRows=n_head)
    table.setStyle(TableStyle(commands))
    return table


def _plain(cell: object) -> object:
    """A heading paragraph as reportlab's own Paragraph (no memoised line breaks)."""
    if not isinstance(cell, common._HeadingParagraph):
        return cell
    plain = common.Paragraph.__new__(common.Paragraph)
    plain.__dict__.update({k: v for k, v in cell.__dict__.items() if k != "_kbnn_wrapped"})
    return plain


def _both(render: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    fast = render()
    with monkeypatch.context() as m:
        m.setattr(common.PagedTable, "_table", _reference_table)
        reference = render()
    return fast, reference


def _lines(n: int) -> list[dict]:
    banks = ("Vietcombank - CN Hà Nội", "Ngân hàng TMCP Ngoại thương Việt Nam - CN Đống Đa",
             "BIDV")
    return [{"name": f"Trần Thị Thanh Hương {i}" + (" Nguyễn Phúc" * (i % 4)),
             "account": f"{10**11 + i}", "bank": banks[i % 3],
             "group": ("I. Công chức", "II. Hợp đồng lao động")[i // (n // 2 + 1)],
             "parts": {"salary": 7_000_000 + i * 37, "bonus": 300_000 * (i % 3)},
             "note": "Truy lĩnh tháng trước, " * (i % 5)}
            for i in range(n)]


def test_salary_table_same_bytes_as_reportlab(monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    doc = salary_doc(_lines(240))
    fast, reference = _both(lambda: render_pdf(doc), monkeypatch)
    pages = int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", fast, tmp_path)).group(1))
    assert pages > 5  # headings repeated on every page, rows of one, two and more lines
    assert fast == reference


def test_demo_and_voucher_list_same_bytes_as_reportlab(monkeypatch: pytest.MonkeyPatch) -> None:
    for doc in (salary_doc(), voucher_doc(60)):
        fast, reference = _both(lambda d=doc: render_pdf(d), monkeypatch)
        assert fast == reference, doc["kind"]


def test_c02a_same_bytes_as_reportlab(monkeypatch: pytest.MonkeyPatch) -> None:
    from client.render.c02a import render_c02a

    sheet = _payroll_sheet()
    fast, reference = _both(lambda: render_c02a(sheet, date="2026-07-25"), monkeypatch)
    assert fast == reference


def test_fast_cells_match_reportlab_cell_by_cell() -> None:
    """Left, right, centred, top, middle and bottom cells, blank and multi-line ones,
    a span, a background and a bold row: the fast table draws them as ``Table`` does."""
    common.register_fonts()
    data = [["STT", "Họ và tên", "Số tiền", "Ghi chú"],
            ["1", "Nguyễn Thị Ánh\nDương", "1.234.567", ""],
            ["2", "", "", "Đã nhận\nđủ\nba dòng"],
            ["", "Cộng", "9.999.999", "ẞ ☐ €"]]
    style = [("FONT", (0, 0), (-1, -1), common.SERIF, 7, 8.5),
             ("FONT", (0, 3), (-1, 3), common.SERIF_BOLD, 7, 8.5),
             ("ALIGN", (2, 1), (2, -1), "RIGHT"), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
             ("VALIGN", (0, 0), (-1, 0), "MIDDLE"), ("VALIGN", (3, 1), (3, -1), "BOTTOM"),
             ("VALIGN", (0, 1), (2, -1), "TOP"), ("SPAN", (0, 3), (1, 3)),
             ("BACKGROUND", (0, 3), (-1, 3), (0.9, 0.9, 0.9)),
             ("GRID", (0, 0), (-1, -1), 0.4, (0, 0, 0))]

    def pdf(cls: type[Table]) -> bytes:
        table = cls(data, colWidths=[20, 90, 60, 60], rowHeights=[None, 24, 30, None])
        table.setStyle(TableStyle(style))
        return common.build_pdf([table], pagesize=(400, 200), margins=(10, 10, 10, 10),
                                seed=b"cells", day=None, title="", author="", subject="",
                                keywords="", footer=lambda canvas, n, total: None)

    assert pdf(common._FastTable) == pdf(Table)
