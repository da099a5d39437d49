"""The column-spec-driven table importer every document kind shares.

A ``TableSpec`` says which fields a table has (``Field``: key, Vietnamese
label, the heading variants that name it, what kind of value it holds).
``read_table(path, spec)`` then does the work units' workbooks need:

- finds the header row under title rows, reading merged cells and two-row
  headings ("Trong đó" over the part columns) — or follows the user's
  mapping (``--map FIELD=COLUMN``: a column letter or the heading as written);
- ignores hidden columns when recognising headings, skips hidden rows,
  column-number rows (1, 2, 3 …), group headings ("I. Công chức": they name
  the group of the lines under them) and "Cộng" subtotals;
- stops at the totals ("Tổng cộng"), the amount in words and signature rows;
- reads each cell as its field needs (amount in integer đồng, account with
  spaces, dots and dashes removed, dates, codes, coefficients…) and names
  every unreadable cell by file, sheet, row and column;
- reports what it did (``ImportReport``): header row, the column of every
  field, hidden columns, skipped rows and why, where it stopped, converted
  legacy/NFD cells, cleaned accounts.

The kinds build their documents from the ``ImportedRow`` values: see
``importers.salary``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from client.documents.model import PART_LABELS
from client.errors import InvalidInput, Problem, UsageError
from client.i18n import tr
from client.importers.tabular import (
    CellError,
    Conversion,
    Sheet,
    cell_amount,
    cell_text,
    column_index,
    column_letter,
    heading_key,
    is_blank,
    nfc,
    read_sheets,
)
from client.money import parse_decimal

HEADER_SEARCH_ROWS = 50
MAX_REPORTED = 50
KINDS = ("text", "amount", "account", "int", "decimal", "date", "code", "bool")

_NUMBERING = re.compile(r"\(?(?:[0-9]{1,3}|[A-Za-z]|[IVXLC]+)\)?[.)]?")
_ROMAN_OR_LETTER = re.compile(r"(?:[IVXLC]+|[A-Z]|[0-9]{1,2})[.)]?")
_ACCOUNT_JUNK = str.maketrans("", "", " .-_\t\u00a0\u202f/")
_TOTAL = ("tổng cộng", "tổng số", "cộng tổng", "tổng:", "tổng ")
_WORDS = ("bằng chữ", "số tiền bằng chữ", "tổng số tiền bằng chữ", "viết bằng chữ",
          "số tiền viết bằng chữ", "tổng số tiền ghi bằng chữ")
_SIGNATURES = ("người lập", "kế toán trưởng", "thủ trưởng", "giám đốc", "phụ trách kế toán",
               "người duyệt", "thủ quỹ", "(ký", "lập biểu", "người nhận tiền", "xác nhận của",
               "hiệu trưởng", "chủ tài khoản", "kế toán viên")
_DATE_LINE = re.compile(r"ngày\W*(?:\d{1,2}|\.+|…+)?\W*tháng")

# The shipped tables' field labels as messages show them (``Field.shown``). A label is also
# a heading the user may write (``TableSpec.find_field``, a pasted header row), so matching
# keeps the Vietnamese ``Field.label`` and only the text shown goes through tr(). A label
# not listed here (e.g. a pay item named by the rules file) is shown as it is.
FIELD_LABELS: dict[str, str] = {label: label for label in (
    "STT", "Nhóm", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Tổng số", "Ghi chú",
    "Số chứng từ", "Ngày chứng từ", "Nội dung chi", "Mã NDKT", "Số tiền", "Mã chương",
    "Mã ngành kinh tế", "Mã nguồn NSNN", "Mã CTMT, dự án", *PART_LABELS.values(),
    # the staff register (client.payroll.staff_import)
    "Mã cán bộ", "Ngân hàng", "Đối tượng", "Mã ngạch", "Số người phụ thuộc", "Bảo hiểm",
    "Đoàn viên công đoàn")}


def shown_label(label: str) -> str:
    """``label`` as a message shows it: in the current language when it is a known label."""
    return tr(FIELD_LABELS[label]) if label in FIELD_LABELS else label


@dataclass(frozen=True)
class Field:
    """One column a table kind can have."""

    key: str  # "name", "parts.salary", "voucher.number"
    label: str  # Vietnamese, as a person names the column
    headings: tuple[str, ...] = ()  # heading keys (see ``heading_key``), preferred first
    kind: str = "text"  # one of KINDS
    required: bool = False
    digits: int | None = None  # kind "code": zero-pad numbers to this width

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown field kind {self.kind!r}")

    @property
    def shown(self) -> str:
        """The label for messages, in the current language (see ``FIELD_LABELS``)."""
        return shown_label(self.label)


@dataclass(frozen=True)
class TableSpec:
    """What one kind of table holds and how to tell its rows apart."""

    name: str
    fields: tuple[Field, ...]
    one_of: tuple[tuple[str, ...], ...] = ()  # at least one field of each tuple must be found
    money_fields: tuple[str, ...] = ()  # a row with none of these is a heading or a subtotal
    id_fields: tuple[str, ...] = ()  # present on every data line (account, voucher number)
    group_field: str | None = None  # a column naming the group, overriding heading rows

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.fields]

    def find_field(self, name: str) -> Field | None:
        """A field by its key ("amount", "parts.salary" or "salary"), label or a heading variant."""
        wanted = name.strip()
        for f in self.fields:
            if wanted in (f.key, f.key.rsplit(".", 1)[-1]):
                return f
        key = heading_key(wanted)
        for f in self.fields:
            if key and (key == heading_key(f.label) or key in f.headings):
                return f
        return None


# -- mapping ------------------------------------------------------------------------------------

def parse_mapping(items: Iterable[str] | None, spec: TableSpec) -> dict[str, str]:
    """``["amount=E", "Họ và tên=Họ tên NV"]`` -> ``{"amount": "E", "name": "Họ tên NV"}``.

    FIELD is a field key, its Vietnamese label or a heading variant; COLUMN a
    column letter (A–ZZ) or the heading as written in the file. Raises
    ``UsageError`` naming what is wrong.
    """
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise UsageError(tr("--map «{item}» phải có dạng TRƯỜNG=CỘT, ví dụ amount=E "
                                "hoặc \"Số tiền=Thực nhận\".", item=item))
        f = spec.find_field(name)
        if f is None:
            known = ", ".join(f"{x.key} ({x.shown})" for x in spec.fields)
            raise UsageError(tr("--map: không có trường «{name}». Các trường: {known}.",
                                name=name.strip(), known=known))
        out[f.key] = column.strip()
    return out


def _letter_ref(column: str) -> int | None:
    """A column letter reference ("E", "AB") or None when ``column`` is heading text."""
    s = column.strip()
    if re.fullmatch(r"[A-Za-z]{1,2}", s):
        return column_index(s)
    return None


# -- the report -------------------------------------------------------------------------------

@dataclass
class ImportedRow:
    """One data row of the sheet: its row number and the value of each field found."""

    row: int
    values: dict[str, Any]
    group: str = ""


@dataclass
class ImportReport:
    """What the importer found and did, for the user and for ``--json``."""

    file: str
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int | None = None
    two_row_header: bool = False
    columns: dict[str, dict] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    mapping_source: str = "auto"  # "auto" | "map" | "remembered"
    hidden_columns: list[dict] = field(default_factory=list)
    hidden_known: bool = True
    skipped: list[dict] = field(default_factory=list)
    stopped: dict | None = None
    conversions: list[Conversion] = field(default_factory=list)
    legacy: str | None = None
    encoding: str | None = None
    accounts_cleaned: list[dict] = field(default_factory=list)
    source_rows: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "file": self.file, "sheet": self.sheet, "sheets": self.sheets,
            "header_row": self.header_row, "two_row_header": self.two_row_header,
            "columns": self.columns, "mapping": self.mapping,
            "mapping_source": self.mapping_source,
            "hidden_columns": self.hidden_columns, "hidden_known": self.hidden_known,
            "skipped": self.skipped, "stopped": self.stopped,
            "legacy": self.legacy, "encoding": self.encoding,
            "converted_cells": [c.to_json() for c in self.conversions],
            "accounts_cleaned": self.accounts_cleaned,
            "rows": len(self.source_rows), "source_rows": self.source_rows,
            "notes": self.notes, "problems": [p.to_json() for p in self.problems],
            **self.extra,
        }


@dataclass
class TableRead:
    rows: list[ImportedRow]
    report: ImportReport


# -- finding the header -------------------------------------------------------------------------

@dataclass
class Layout:
    header_row: int | None  # sheet row number of the (first) header row
    data_start: int  # index into Sheet.rows
    columns: dict[str, int]  # field key -> column index
    headings: dict[int, str]  # column index -> heading as written
    two_row: bool = False


def _header_area(sheet: Sheet, limit: int) -> list[list[str]]:
    """The first ``limit`` rows as text, merged ranges filled with their first cell's text."""
    rows = [[cell_text(c) for c in cells] for _, cells in sheet.rows[:limit]]
    numbers = {number: pos for pos, (number, _) in enumerate(sheet.rows[:limit])}
    for r0, c0, r1, c1 in sheet.merged:
        pos0 = numbers.get(r0)
        if pos0 is None or c0 >= len(rows[pos0]):
            continue
        text = rows[pos0][c0]
        if not text:
            continue
        for r in range(r0, r1 + 1):
            pos = numbers.get(r)
            if pos is None:
                continue
            row = rows[pos]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if not row[c]:
                    row[c] = text
    return rows


def _candidates(top: list[str], below: list[str], col: int) -> tuple[str, str, str]:
    t = top[col] if col < len(top) else ""
    b = below[col] if col < len(below) else ""
    return heading_key(t), heading_key(b), heading_key(f"{t} {b}") if t and b and t != b else ""


def _match(options: list[str], keys: list[tuple[str, str, str]], used: set[int],
           hidden: set[int]) -> tuple[int, bool] | None:
    """(column, found only in the second header row) for the first option that matches."""
    for prefix in (False, True):
        for option in options:
            if not option or (prefix and " " not in option):
                continue
            for col, (top, below, both) in enumerate(keys):
                if col in used or col in hidden:
                    continue
                for which, cand in enumerate((top, both, below)):
                    if not cand:
                        continue
                    if cand == option or (prefix and cand.startswith(option + " ")):
                        return col, which == 2 and top != cand
    return None


def _money_like(value: Any) -> bool:
    if isinstance(value, bool) or is_blank(value):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        return cell_amount(value) is not None
    except CellError:
        return False


def find_layout(sheet: Sheet, spec: TableSpec, mapping: dict[str, str] | None = None
                ) -> tuple[Layout | None, dict[str, int]]:
    """The header of ``sheet`` for ``spec``; else (None, the best partial match)."""
    mapping = mapping or {}
    fixed: dict[str, int] = {}
    extra: dict[str, str] = {}
    for key, column in mapping.items():
        idx = _letter_ref(column)
        if idx is not None:
            fixed[key] = idx
        else:
            extra[key] = heading_key(column)
    area = _header_area(sheet, HEADER_SEARCH_ROWS + 1)
    width = max((len(r) for r in area), default=0)
    hidden = set(sheet.hidden_columns) - set(fixed.values())
    best: dict[str, int] = {}
    required = [f.key for f in spec.fields if f.required]
    money_cols_fixed = [fixed[k] for k in spec.money_fields if k in fixed]
    for pos in range(min(HEADER_SEARCH_ROWS, len(area))):
        if sheet.rows[pos][0] in sheet.hidden_rows:
            continue
        top = area[pos]
        if sum(1 for c in sheet.rows[pos][1] if not is_blank(c)) < 2:
            continue  # a title, even one merged across the width
        below = area[pos + 1] if pos + 1 < len(area) else []
        keys = [_candidates(top, below, c) for c in range(width)]
        found = dict(fixed)
        used = set(found.values())
        via_below = False
        by_heading = top_hits = 0
        for f in spec.fields:
            if f.key in found:
                continue
            options = ([extra[f.key]] if f.key in extra else []) + list(f.headings)
            hit = _match(options, keys, used, hidden)
            if hit is None:
                continue
            found[f.key], below_only = hit
            used.add(hit[0])
            via_below |= below_only
            by_heading += 1
            top_hits += not below_only
        if len(found) > len(best):
            best = found
        ok = all(k in found for k in required) and all(
            any(k in found or any(x.startswith(k + ".") for x in found) for k in group)
            for group in spec.one_of)
        if not ok or by_heading < (2 if not fixed else 1) or top_hits < min(by_heading, 2):
            continue
        next_cells = sheet.rows[pos + 1][1] if pos + 1 < len(sheet.rows) else []
        if via_below and any(_money_like(next_cells[c]) for c in found.values()
                             if c < len(next_cells)
                             and c in [found[k] for k in spec.money_fields if k in found]):
            via_below = False  # the "second header row" is data
        headings = {}
        for key, col in found.items():
            t, b = (top[col] if col < len(top) else ""), (below[col] if col < len(below) else "")
            headings[col] = (b if via_below and b and heading_key(b) in _field_keys(spec, key, extra)
                             else t) or b or column_letter(col)
        return Layout(sheet.rows[pos][0], pos + (2 if via_below else 1), found, headings,
                      via_below), best
    # Every required field given as a column letter: the data starts at the first row with money.
    if fixed and all(k in fixed for k in required) and money_cols_fixed:
        first = next((pos for pos, (_, cells) in enumerate(sheet.rows)
                      if any(c < len(cells) and _money_like(cells[c]) for c in money_cols_fixed)),
                     None)
        if first is not None:
            header_pos = next((p for p in range(first - 1, -1, -1)
                               if sum(1 for c in sheet.rows[p][1] if isinstance(c, str)
                                      and c.strip()) >= 2), None)
            start = header_pos + 1 if header_pos is not None else first
            header_row = sheet.rows[header_pos][0] if header_pos is not None else None
            top = area[header_pos] if header_pos is not None and header_pos < len(area) else []
            headings = {col: (top[col] if col < len(top) and top[col] else column_letter(col))
                        for col in fixed.values()}
            return Layout(header_row, start, dict(fixed), headings), best
    return None, best


def _field_keys(spec: TableSpec, key: str, extra: dict[str, str]) -> set[str]:
    keys = set(spec.field(key).headings)
    if key in extra:
        keys.add(extra[key])
    return keys


# -- reading the rows ---------------------------------------------------------------------------

def _label(cells: list[Any]) -> str:
    for c in cells:
        if isinstance(c, str) and c.strip():
            return cell_text(c)
    return ""


def _group_label(cells: list[Any]) -> str:
    texts = [cell_text(c) for c in cells if not is_blank(c)]
    if len(texts) >= 2 and _ROMAN_OR_LETTER.fullmatch(texts[0]):
        return f"{texts[0].rstrip('.)')}. {texts[1]}"
    return texts[0] if texts else ""


def _is_numbering_row(cells: list[Any]) -> bool:
    texts = [cell_text(c) for c in cells if not is_blank(c)]
    return len(texts) >= 3 and all(_NUMBERING.fullmatch(t) for t in texts)


def row_role(label: str) -> str | None:
    """"total", "words", "signature" or "subtotal" for a row whose first text is ``label``."""
    low = nfc(label).lower().strip()
    if not low:
        return None
    if low.startswith(_WORDS) or "bằng chữ" in low[:30]:
        return "words"
    if low.startswith(_TOTAL) or low == "tổng":
        return "total"
    if low.startswith(_SIGNATURES) or _DATE_LINE.search(low):
        return "signature"
    if low == "cộng" or low.startswith(("cộng ", "cộng:", "cộng nhóm", "cộng (")):
        return "subtotal"
    return None


def _date_value(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = cell_text(value)
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})", text)
    if m:
        day, month, year = (int(x) for x in m.groups())
        if year < 100:
            year += 2000
        try:
            return _dt.date(year, month, day).isoformat()
        except ValueError:
            raise CellError(tr("«{text}» không phải ngày có thật", text=text)) from None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        try:
            return _dt.date(*(int(x) for x in m.groups())).isoformat()
        except ValueError:
            raise CellError(tr("«{text}» không phải ngày có thật", text=text)) from None
    raise CellError(tr("«{text}» không phải ngày (dạng NN/TT/NNNN)", text=text))


def decimal_text(value: Fraction) -> str:
    """An exact decimal as text without float noise: Fraction(249, 50) -> "4.98"."""
    if value.denominator == 1:
        return str(value.numerator)
    scaled = value
    places = 0
    while scaled.denominator != 1 and places < 12:
        scaled *= 10
        places += 1
    if scaled.denominator != 1:
        raise CellError(tr("số có quá nhiều chữ số thập phân"))
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")


_TRUE = {"x", "có", "co", "1", "yes", "y", "true", "đúng", "v", "✓", "✔"}
_FALSE = {"", "không", "khong", "0", "no", "n", "false", "-"}


def convert_cell(value: Any, f: Field) -> tuple[Any, str | None]:
    """A raw cell as field ``f`` needs it, and the raw account text when cleaning changed it.

    Raises ``CellError`` (Vietnamese) when the cell cannot be read.
    """
    kind = f.kind
    if kind == "text":
        return cell_text(value), None
    if kind == "amount":
        return cell_amount(value), None
    if kind == "account":
        if is_blank(value):
            return "", None
        if isinstance(value, float):
            if not value.is_integer():
                raise CellError(tr("số tài khoản «{value}» không phải dãy chữ số", value=value))
            if abs(value) >= 1e15:
                raise CellError(tr("số tài khoản lưu dạng số đã bị Excel làm tròn (quá 15 chữ "
                                   "số): hãy định dạng cột là Văn bản (Text) và nhập lại số "
                                   "tài khoản"))
            value = int(value)
        text = cell_text(value)
        if text.startswith("'"):
            text = text[1:]
        cleaned = text.translate(_ACCOUNT_JUNK)
        return cleaned, (text if cleaned != text else None)
    if kind == "int":
        amount = cell_amount(value)
        return amount, None
    if kind == "decimal":
        if is_blank(value):
            return None, None
        if isinstance(value, float):
            value = repr(value) if not value.is_integer() else int(value)
        try:
            return decimal_text(parse_decimal(value if isinstance(value, int)
                                              else cell_text(value))), None
        except ValueError as exc:
            raise CellError(str(exc)) from None
    if kind == "date":
        return (None if is_blank(value) else _date_value(value)), None
    if kind == "code":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
            return (text.rjust(f.digits, "0") if f.digits else text), None
        return cell_text(value), None
    if kind == "bool":
        if isinstance(value, bool):
            return value, None
        text = cell_text(value).lower()
        if text in _TRUE:
            return True, None
        if text in _FALSE:
            return False, None
        raise CellError(tr("«{text}» phải là có/không (x hoặc để trống)",
                           text=cell_text(value)))
    raise ValueError(kind)  # pragma: no cover


def _where(file_name: str, sheet: Sheet, many: bool, row: int) -> str:
    if many and sheet.name:
        return tr("Tệp «{file}», trang «{sheet}», dòng {row}", file=file_name, sheet=sheet.name,
                  row=row)
    return tr("Tệp «{file}», dòng {row}", file=file_name, row=row)


def _ref(file_name: str, sheet: Sheet, row: int, col: int) -> str:
    return f"{sheet.name or file_name}!{column_letter(col)}{row}"


def read_rows(sheet: Sheet, spec: TableSpec, layout: Layout, *, file_name: str,
              many_sheets: bool = False, report: ImportReport | None = None
              ) -> tuple[list[ImportedRow], list[Problem]]:
    """The data rows under ``layout``'s header, each field read; unreadable cells as problems."""
    report = report if report is not None else ImportReport(file_name)
    rows = sheet.rows
    cols = layout.columns
    money_cols = [cols[k] for k in spec.money_fields if k in cols]
    money_cols += [c for k, c in cols.items()
                   if any(k.startswith(m + ".") for m in spec.money_fields)]
    id_cols = [cols[k] for k in spec.id_fields if k in cols]
    fields = [(spec.field(k), c) for k, c in cols.items()]

    def has(cells: list[Any], idx: list[int]) -> bool:
        return any(c < len(cells) and not is_blank(cells[c]) for c in idx)

    def data_like(cells: list[Any]) -> bool:
        return any(c < len(cells) and _money_like(cells[c]) for c in money_cols) or (
            has(cells, id_cols) and not row_role(_label(cells)))

    last_data = max((i for i in range(layout.data_start, len(rows))
                     if rows[i][0] not in sheet.hidden_rows and data_like(rows[i][1])),
                    default=-1)
    out: list[ImportedRow] = []
    problems: list[Problem] = []
    group = ""
    for pos in range(layout.data_start, len(rows)):
        number, cells = rows[pos]
        if all(is_blank(c) for c in cells):
            continue
        label = _label(cells)
        if number in sheet.hidden_rows:
            report.skipped.append({"row": number, "reason": "hidden", "text": label})
            continue
        role = row_role(label)
        if role in ("total", "words", "signature"):
            report.stopped = {"row": number, "reason": role, "text": label}
            after = [rows[i][0] for i in range(pos + 1, len(rows))
                     if rows[i][0] not in sheet.hidden_rows and data_like(rows[i][1])
                     and not row_role(_label(rows[i][1]))]
            if after and role == "total":
                message = tr("{where}: bảng dừng ở dòng «{label}», nhưng còn {count} dòng có "
                             "số liệu phía dưới (dòng {rows}) không được nhập.",
                             where=_where(file_name, sheet, many_sheets, number), label=label,
                             count=len(after),
                             rows=", ".join(str(r) for r in after[:5])
                             + ("…" if len(after) > 5 else ""))
                report.problems.append(Problem("rows-after-total", message,
                                               _ref(file_name, sheet, after[0], 0), "warning"))
            break
        if pos > last_data:
            report.skipped.append({"row": number, "reason": "after-data", "text": label})
            continue
        if _is_numbering_row(cells):
            report.skipped.append({"row": number, "reason": "numbering", "text": label})
            continue
        money = has(cells, money_cols)
        ids = has(cells, id_cols)
        if role == "subtotal" and not ids:
            report.skipped.append({"row": number, "reason": "subtotal", "text": label})
            continue
        if not money and not ids:
            group = _group_label(cells)
            report.skipped.append({"row": number, "reason": "group", "text": group})
            continue
        values: dict[str, Any] = {}
        bad = False
        for f, col in fields:
            raw = cells[col] if col < len(cells) else None
            try:
                value, before = convert_cell(raw, f)
            except CellError as exc:
                heading = layout.headings[col] if col in layout.headings else f.shown
                code = "amount-unreadable" if f.kind == "amount" else f"{f.kind}-unreadable"
                problems.append(Problem(
                    code, tr("{where}, cột «{heading}» ({column}): {error}.",
                             where=_where(file_name, sheet, many_sheets, number), heading=heading,
                             column=column_letter(col), error=exc),
                    _ref(file_name, sheet, number, col)))
                bad = True
                continue
            if before is not None:
                report.accounts_cleaned.append({"cell": f"{column_letter(col)}{number}",
                                                "before": before, "after": value})
            values[f.key] = value
        if bad:
            continue
        own_group = values.get(spec.group_field) if spec.group_field else None
        out.append(ImportedRow(number, values, own_group or group))
    return out, problems


def read_table(path: Path, spec: TableSpec, *, sheet: str | int | None = None,
               mapping: dict[str, str] | None = None, mapping_source: str = "auto",
               row_filter: Callable[[ImportedRow], bool] | None = None) -> TableRead:
    """Read the first sheet of ``path`` (or ``sheet``) that has ``spec``'s header.

    Raises ``InvalidInput`` (Vietnamese, naming file, row and column) when the
    file cannot be read, has no recognisable header or has unreadable cells.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    sheets = read_sheets(path, sheet)
    all_names = [s.name for s in sorted(sheets, key=lambda s: s.position)]
    many = len(sheets) > 1 or sheet is not None and bool(sheets and sheets[0].name)
    best: dict[str, int] = {}
    for sh in sheets:
        layout, partial = find_layout(sh, spec, mapping)
        if layout is None:
            if len(partial) > len(best):
                best = partial
            continue
        report = ImportReport(path.name, sheet=sh.name, sheets=all_names,
                              header_row=layout.header_row, two_row_header=layout.two_row,
                              mapping=mapping, mapping_source=mapping_source if mapping else "auto",
                              hidden_known=sh.hidden_known, conversions=list(sh.conversions),
                              legacy=sh.legacy, encoding=sh.encoding)
        report.columns = {key: {"column": column_letter(col), "heading": layout.headings.get(col, ""),
                                "label": spec.field(key).shown}
                          for key, col in sorted(layout.columns.items(), key=lambda kv: kv[1])}
        area = _header_area(sh, layout.data_start)
        first_header = layout.data_start - (2 if layout.two_row else 1)
        header_rows = area[max(first_header, 0):layout.data_start] if layout.data_start else []
        for col in sorted(sh.hidden_columns):
            heading = next((cell_text(r[col]) for r in header_rows
                            if col < len(r) and cell_text(r[col])), "")
            used = col in layout.columns.values()
            report.hidden_columns.append({"column": column_letter(col), "heading": heading,
                                          "used": used})
        rows, problems = read_rows(sh, spec, layout, file_name=path.name, many_sheets=many,
                                   report=report)
        if problems:
            first = problems[0].message
            more = len(problems) - 1
            message = first if not more else tr("{first} (và {more} lỗi khác)", first=first,
                                                more=more)
            raise InvalidInput(message, problems[:MAX_REPORTED])
        if row_filter is not None:
            rows = [r for r in rows if row_filter(r)]
        if not rows:
            message = tr("Tệp «{file}» không có dòng nào để nhập dưới dòng tiêu đề "
                         "(dòng {row}).", file=path.name, row=layout.header_row)
            raise InvalidInput(message, [Problem("no-lines", message, path.name)])
        report.source_rows = [r.row for r in rows]
        note = sh.note(path.name)
        if note:
            report.notes.append(note)
        _explain(report, path.name)
        return TableRead(rows, report)
    wanted = [f for f in spec.fields if f.required]
    missing = [f.shown for f in wanted if f.key not in best]
    for group in spec.one_of:
        if not any(k in best or any(x.startswith(k + ".") for x in best) for k in group):
            missing.append(spec.field(group[0]).shown)
    names = ", ".join(f"«{f.shown}»" for f in wanted)
    if best:
        message = tr("Không tìm thấy dòng tiêu đề trong tệp «{file}»: cần các cột {names} "
                     "(thiếu {missing}). Có thể chỉ rõ cột bằng --map TRƯỜNG=CỘT "
                     "(ví dụ --map amount=E).", file=path.name, names=names,
                     missing=", ".join(f"«{m}»" for m in missing))
    else:
        message = tr("Không tìm thấy dòng tiêu đề trong tệp «{file}»: cần các cột {names}. "
                     "Có thể chỉ rõ cột bằng --map TRƯỜNG=CỘT (ví dụ --map amount=E).",
                     file=path.name, names=names)
    raise InvalidInput(message, [Problem("header-not-found", message, path.name)])


def _explain(report: ImportReport, file_name: str) -> None:
    """Vietnamese notes on what the user should know about this import."""
    hidden = [h for h in report.hidden_columns if not h["used"]]
    if hidden:
        listed = ", ".join(f"{h['column']}" + (f" «{h['heading']}»" if h["heading"] else "")
                           for h in hidden)
        report.notes.append(tr("Bỏ qua {count} cột ẩn: {listed}.", count=len(hidden),
                               listed=listed))
    hidden_rows = [s for s in report.skipped if s["reason"] == "hidden"]
    if hidden_rows:
        listed = ", ".join(f"{s['row']}" + (f" «{s['text']}»" if s["text"] else "")
                           for s in hidden_rows[:10])
        report.notes.append(tr("Bỏ qua {count} dòng ẩn: {listed}.", count=len(hidden_rows),
                               listed=listed + ("…" if len(hidden_rows) > 10 else "")))
        report.problems.append(Problem(
            "hidden-rows-skipped",
            tr("Tệp «{file}» có {count} dòng bị ẩn (dòng {rows}) — các dòng này không được "
               "nhập; hãy bỏ ẩn trong Excel nếu cần trả cho họ.", file=file_name,
               count=len(hidden_rows), rows=", ".join(str(s['row']) for s in hidden_rows[:10])),
            "", "warning"))
    if not report.hidden_known:
        report.notes.append(tr("Định dạng tệp này không cho biết cột/dòng nào bị ẩn: mọi cột "
                               "và dòng đều được đọc."))
    if report.accounts_cleaned:
        report.notes.append(tr("Đã bỏ dấu cách, dấu chấm, gạch ngang trong {count} số tài "
                               "khoản.", count=len(report.accounts_cleaned)))
    if report.stopped:
        what = {"total": tr("dòng tổng cộng"), "words": tr("dòng số tiền bằng chữ"),
                "signature": tr("phần chữ ký")}[report.stopped["reason"]]
        report.notes.append(tr("Dừng đọc ở {what} (dòng {row}).", what=what,
                               row=report.stopped['row']))


__all__ = [
    "Field", "ImportReport", "ImportedRow", "KINDS", "Layout", "TableRead", "TableSpec",
    "FIELD_LABELS", "convert_cell", "decimal_text", "find_layout", "parse_mapping", "read_rows",
    "read_table", "row_role", "shown_label",
]
