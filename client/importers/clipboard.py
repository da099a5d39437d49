"""Pasting from Excel: the clipboard's tab-separated text -> values for the table editor.

Excel (and LibreOffice) put a copied range on the clipboard as text: cells
separated by tabs, rows by CRLF, a final line break, and a cell holding a
line break, a tab or a quote wrapped in quotes with inner quotes doubled.
``parse_clipboard`` reads exactly that; ``paste_values`` turns the cells into
field values the way the importer reads a workbook (amounts in integer đồng,
accounts cleaned, TCVN3/VNI/NFD text converted to NFC), so the editor can
apply them from the selected cell on, and say which pasted cell is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from client.errors import Problem
from client.i18n import tr
from client.importers.spec import TableSpec, convert_cell
from client.importers.tabular import (
    CellError,
    Conversion,
    Sheet,
    column_letter,
    heading_key,
)


def parse_clipboard(text: str) -> list[list[str]]:
    """Rows of cells from clipboard text (tab-separated, Excel quoting), trailing newline dropped.

    A single copied cell gives ``[["value"]]``; empty cells are "".
    """
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    if "\t" not in text and '"' not in text:
        return [[line] for line in text.split("\n")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"',
                        strict=False)
    rows = [list(row) for row in reader]
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


@dataclass
class PasteResult:
    """What a paste gives the editor: one dict of field values per pasted row."""

    fields: list[str]  # the field each pasted column went to
    rows: list[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)  # where = "r{i}.{field}" (0-based i)
    header_skipped: bool = False
    conversions: list[Conversion] = field(default_factory=list)  # row = pasted row (1-based)


def _header_fields(cells: list[str], spec: TableSpec) -> list[str | None] | None:
    """Fields named by a pasted header row, or None when the row is not a header."""
    out: list[str | None] = []
    hits = 0
    for cell in cells:
        key = heading_key(cell)
        found = None
        for f in spec.fields:
            if key and (key in f.headings or key == heading_key(f.label)):
                found = f.key
                break
        out.append(found)
        hits += found is not None
    return out if hits >= 2 else None


def paste_values(text: str, target_fields: list[str], spec: TableSpec) -> PasteResult:
    """Values for pasting ``text`` into columns ``target_fields`` (the editor's columns from
    the selected one rightwards).

    When the first pasted row is a header the editor knows (e.g. a whole
    range copied with its headings), its columns are matched by heading
    instead of position and the row is not pasted. Columns beyond
    ``target_fields`` are dropped. Unreadable cells become problems and are
    left out of their row's dict.
    """
    grid = parse_clipboard(text)
    if not grid:
        return PasteResult(list(target_fields), [])
    columns: list[str | None] = list(target_fields)
    header_skipped = False
    named = _header_fields(grid[0], spec)
    if named is not None:
        columns, grid, header_skipped = named, grid[1:], True
    # Convert legacy/NFD text the same way a sheet is converted.
    sheet = Sheet("", [(i, list(cells)) for i, cells in enumerate(grid, start=1)])
    sheet.fix_text()
    result = PasteResult([c for c in columns if c], [], header_skipped=header_skipped,
                         conversions=list(sheet.conversions))
    for i, (_, cells) in enumerate(sheet.rows):
        values: dict[str, Any] = {}
        for col, raw in enumerate(cells):
            if col >= len(columns) or columns[col] is None:
                continue
            f = spec.field(columns[col])
            try:
                value, _ = convert_cell(raw if raw != "" else None, f)
            except CellError as exc:
                result.problems.append(Problem(
                    f"{f.kind}-unreadable",
                    tr("Dòng dán thứ {row}, cột {column} («{label}»): {error}.", row=i + 1,
                       column=column_letter(col), label=f.shown, error=exc),
                    f"r{i}.{f.key}"))
                continue
            values[f.key] = value
        result.rows.append(values)
    return result


__all__ = ["PasteResult", "parse_clipboard", "paste_values"]
