"""Salary lines from a workbook or CSV -> a Mẫu 09 ``salary-table``.

The sheet may have title rows above the header, a two-row header ("Trong đó"
over the seven part columns), a column-number row (1, 2, 3 …), group heading
rows ("I. Công chức"), "Cộng" subtotals and a "Tổng cộng" row. Only numbers
that cannot be read stop the import; everything else the document can hold is
left to ``documents.validate``, which names the problem by line and column.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from client.documents import PART_KEYS, clean_account, new_salary_table
from client.errors import InvalidInput, Problem
from client.importers.tabular import (
    CellError,
    Sheet,
    cell_amount,
    cell_text,
    find_columns,
    is_blank,
    read_sheets,
)

# Heading keys (see tabular.heading_key) per field, preferred first.
REQUIRED: dict[str, tuple[str, ...]] = {
    "name": ("ho va ten", "ho ten", "ho va ten nguoi huong", "ho ten nguoi huong",
             "ten nguoi huong", "nguoi huong", "ho va ten nguoi nhan"),
    "account": ("so tai khoan", "so tai khoan nguoi huong", "stk", "so tk", "so tk nguoi huong",
                "so tai khoan ngan hang", "so tk ngan hang", "tai khoan", "tai khoan nguoi huong"),
    "bank": ("ngan hang", "ten ngan hang", "ngan hang nguoi huong", "tai ngan hang",
             "ngan hang mo tai khoan", "ngan hang noi mo tai khoan", "noi mo tai khoan",
             "ten ngan hang nguoi huong"),
    "amount": ("so tien", "so tien thuc linh", "thuc linh", "so thuc linh", "tong so tien",
               "tong so", "so tien chuyen khoan"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "group": ("nhom", "bo phan", "phong ban", "nhom doi tuong"),
    "note": ("ghi chu",),
}
PARTS: dict[str, tuple[str, ...]] = {
    "salary": ("luong va phu cap theo luong", "tien luong va phu cap theo luong",
               "luong va phu cap", "luong"),
    "contract_wage": ("tien cong lao dong thuong xuyen theo hop dong",
                      "tien cong lao dong thuong xuyen", "tien cong theo hop dong", "tien cong"),
    "extra_income": ("tien thu nhap tang them", "thu nhap tang them"),
    "bonus": ("tien thuong", "thuong"),
    "other_allowance": ("tien phu cap va tro cap khac", "phu cap va tro cap khac",
                        "phu cap tro cap khac"),
    "lump_sum": ("tien khoan", "khoan"),
    "scholarship": ("tien hoc bong", "hoc bong"),
}
FIELD_NAMES_VI = {"name": "Họ và tên", "account": "Số tài khoản", "bank": "Ngân hàng",
                  "amount": "Số tiền"}
HEADER_SEARCH_ROWS = 50
MAX_REPORTED = 50
_NUMBERING = re.compile(r"\(?(?:[0-9]{1,2}|[A-Z])\)?")


class _Layout:
    """Where the columns are in one sheet."""

    def __init__(self, header_row: int, data_start: int, columns: dict[str, int],
                 parts: dict[str, int], headings: dict[int, str]) -> None:
        self.header_row = header_row
        self.data_start = data_start  # index into Sheet.rows
        self.columns = columns
        self.parts = parts
        self.headings = headings  # column index -> heading text as written


def _find_layout(sheet: Sheet) -> tuple[_Layout | None, dict[str, int]]:
    """The header of ``sheet``; else (None, best partial match for the message)."""
    best: dict[str, int] = {}
    for pos, (row_number, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        found = find_columns(cells, REQUIRED)
        if len(found) > len(best):
            best = found
        parts = find_columns(cells, PARTS)
        has_amount = "amount" in found or parts
        if not ({"name", "account", "bank"} <= found.keys() and has_amount):
            continue
        columns = dict(found)
        columns.update(find_columns(cells, OPTIONAL))
        headings = {i: cell_text(c) for i, c in enumerate(cells) if not is_blank(c)}
        data_start = pos + 1
        # Two-row header: the part names sit under "Trong đó" in the next row.
        if pos + 1 < len(sheet.rows):
            below = sheet.rows[pos + 1][1]
            sub = find_columns(below, PARTS)
            taken = set(columns.values())
            sub = {k: i for k, i in sub.items() if i not in taken and k not in parts}
            if sub:
                parts.update(sub)
                headings.update({i: cell_text(below[i]) for i in sub.values()})
                extra = find_columns(below, OPTIONAL)
                for key, idx in extra.items():
                    if key not in columns and idx not in taken:
                        columns[key] = idx
                        headings[idx] = cell_text(below[idx])
                data_start = pos + 2
        return _Layout(row_number, data_start, columns, parts, headings), best
    return None, best


def _get(cells: list[Any], idx: int | None) -> Any:
    if idx is None or idx >= len(cells):
        return None
    return cells[idx]


def _is_numbering_row(cells: list[Any]) -> bool:
    texts = [cell_text(c) for c in cells if not is_blank(c)]
    return len(texts) >= 2 and all(_NUMBERING.fullmatch(t) for t in texts)


def _account_text(value: Any) -> str:
    text = cell_text(value)
    return text[1:] if text.startswith("'") else text


def _looks_like_data(cells: list[Any], layout: _Layout) -> bool:
    account = clean_account(_account_text(_get(cells, layout.columns["account"])))
    has_money = any(not is_blank(_get(cells, i))
                    for i in [layout.columns.get("amount"), *layout.parts.values()]
                    if i is not None)
    return bool(re.fullmatch(r"[0-9]{6,19}", account)) and has_money


def _where(path: Path, sheet: Sheet, many_sheets: bool, row: int) -> str:
    sheet_part = f", trang «{sheet.name}»" if many_sheets and sheet.name else ""
    return f"Tệp «{path.name}»{sheet_part}, dòng {row}"


def _read_lines(path: Path, sheet: Sheet, layout: _Layout,
                many_sheets: bool) -> tuple[list[dict], list[Problem]]:
    rows = sheet.rows
    cols = layout.columns
    last_data = max((i for i in range(layout.data_start, len(rows))
                     if _looks_like_data(rows[i][1], layout)), default=-1)
    lines: list[dict] = []
    problems: list[Problem] = []
    group = ""

    def money(cells: list[Any], idx: int, row: int) -> int | None:
        try:
            return cell_amount(_get(cells, idx))
        except CellError as exc:
            heading = layout.headings.get(idx, "")
            problems.append(Problem(
                "amount-unreadable",
                f"{_where(path, sheet, many_sheets, row)}, cột «{heading}»: {exc}.",
                f"{path.name}:{row}"))
            return None

    for pos in range(layout.data_start, len(rows)):
        row, cells = rows[pos]
        name = cell_text(_get(cells, cols["name"]))
        lowered = name.lower()
        if lowered.startswith(("tổng cộng", "tổng số")):
            break
        if all(is_blank(c) for c in cells):
            if pos > last_data:
                break
            continue
        if _is_numbering_row(cells):
            continue
        account = _account_text(_get(cells, cols["account"]))
        money_cells = [i for i in [cols.get("amount"), *layout.parts.values()] if i is not None]
        no_money = all(is_blank(_get(cells, i)) for i in money_cells)
        if not account and lowered.startswith("cộng"):
            continue  # a group subtotal
        if name and not account and no_money:
            group = name  # a group heading ("I. Công chức")
            continue
        if not name and not account and no_money:
            if pos > last_data:
                break
            continue
        before = len(problems)
        amount = money(cells, cols["amount"], row) if "amount" in cols else None
        parts = {key: money(cells, idx, row) for key, idx in layout.parts.items()}
        if len(problems) > before:
            continue
        line: dict[str, Any] = {
            "name": name,
            "account": clean_account(account),
            "bank": cell_text(_get(cells, cols["bank"])),
            "group": cell_text(_get(cells, cols.get("group"))) or group,
            "note": cell_text(_get(cells, cols.get("note"))),
        }
        if layout.parts:
            full = {key: parts.get(key) or 0 for key in PART_KEYS}
            line["parts"] = full
            line["amount"] = amount if amount is not None else sum(full.values())
        else:
            if amount is None:
                heading = layout.headings.get(cols["amount"], "Số tiền")
                problems.append(Problem(
                    "amount-missing",
                    f"{_where(path, sheet, many_sheets, row)}, cột «{heading}»: "
                    "chưa có số tiền.", f"{path.name}:{row}"))
                continue
            line["amount"] = amount
        lines.append(line)
    return lines, problems


def read_salary_lines(path: Path) -> list[dict]:
    """The salary lines of a CSV or XLSX file (dicts for ``new_salary_table``).

    Raises ``InvalidInput`` (Vietnamese, naming file, row and column) when the
    file cannot be read, has no recognisable header, or has unreadable amounts.
    """
    return read_salary(path)[0]


def read_salary(path: Path) -> tuple[list[dict], list[str]]:
    """Like ``read_salary_lines``, plus notes for the user (Vietnamese), e.g. that
    text typed in TCVN3 or VNI was converted to Unicode."""
    path = Path(path)
    sheets = read_sheets(path)
    many = len(sheets) > 1
    best: dict[str, int] = {}
    for sheet in sheets:
        layout, partial = _find_layout(sheet)
        if layout is None:
            if len(partial) > len(best):
                best = partial
            continue
        lines, problems = _read_lines(path, sheet, layout, many)
        if problems:
            first = problems[0].message
            more = len(problems) - 1
            message = first if not more else f"{first} (và {more} lỗi khác)"
            raise InvalidInput(message, problems[:MAX_REPORTED])
        if not lines:
            message = (f"Tệp «{path.name}» không có dòng nào để nhập dưới dòng tiêu đề "
                       f"(dòng {layout.header_row}).")
            raise InvalidInput(message, [Problem("no-lines", message, path.name)])
        note = sheet.note(path.name)
        return lines, [note] if note else []
    missing = [FIELD_NAMES_VI[f] for f in REQUIRED if f not in best]
    message = (f"Không tìm thấy dòng tiêu đề trong tệp «{path.name}»: cần các cột «Họ và tên», "
               "«Số tài khoản», «Ngân hàng», «Số tiền»"
               + (f" (thiếu {', '.join(f'«{m}»' for m in missing)})." if best else "."))
    raise InvalidInput(message, [Problem("header-not-found", message, path.name)])


def import_salary(path: Path, *, unit: dict, number: str, date: str, period: dict,
                  prepared_by: str, payment_order: dict | None = None) -> dict:
    """Read ``path`` and build a ``salary-table`` (not validated: call ``validate``)."""
    lines = read_salary_lines(Path(path))
    return new_salary_table(unit=unit, number=number, date=date, period=period, lines=lines,
                            prepared_by=prepared_by, payment_order=payment_order)


__all__ = ["import_salary", "read_salary", "read_salary_lines"]
