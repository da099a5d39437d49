"""Reading spreadsheets (CSV, XLSX) into rows, and matching column headings.

Shared by the importers: a file becomes one or more ``Sheet`` objects, each a
list of ``(row_number, cells)`` with 1-based spreadsheet row numbers, so a
message can say exactly where a bad cell is.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client.errors import InvalidInput, Problem
from client.importers import legacy
from client.money import parse_vnd

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class Sheet:
    name: str  # sheet title ("" for CSV)
    rows: list[tuple[int, list[Any]]]
    legacy: str | None = None  # "TCVN3 (ABC)" / "VNI" when the text was converted
    converted: int = 0  # how many cells were converted

    def fix_legacy_text(self) -> None:
        """Detect TCVN3/VNI text in this sheet and convert it to Unicode NFC in place."""
        texts = [c for _, cells in self.rows for c in cells if isinstance(c, str)]
        encoding = legacy.detect(texts)
        if encoding is None:
            return
        count = 0
        for _, cells in self.rows:
            for i, c in enumerate(cells):
                if isinstance(c, str):
                    fixed = legacy.convert(c, encoding)
                    if fixed != c:
                        cells[i] = fixed
                        count += 1
        self.legacy, self.converted = encoding, count

    def note(self, file_name: str) -> str | None:
        """What was converted, for the user (Vietnamese), or None."""
        if not self.legacy:
            return None
        where = f"trang «{self.name}» của tệp «{file_name}»" if self.name else f"tệp «{file_name}»"
        return (f"Đã chuyển {self.converted} ô trong {where} từ bảng mã cũ {self.legacy} "
                "sang Unicode. Hãy kiểm tra lại họ tên và tên ngân hàng.")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def heading_key(value: Any) -> str:
    """A heading reduced for matching: no diacritics, lower case, no numbering or punctuation.

    "Họ và tên (2)" -> "ho va ten"; "Số TK:" -> "so tk"; "Tên Ngân hàng" -> "ten ngan hang".
    """
    if value is None:
        return ""
    text = nfc(str(value)).replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)  # "(đồng)", "(2)"
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def cell_text(value: Any) -> str:
    """A cell as NFC text, whitespace collapsed ("" for empty cells)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, _dt.datetime):
        value = value.date() if value.time() == _dt.time() else value
    if isinstance(value, _dt.date):
        return value.isoformat()
    return " ".join(nfc(str(value)).split())


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class CellError(ValueError):
    """A cell that cannot be read as what its column needs (message in Vietnamese)."""


def cell_amount(value: Any) -> int | None:
    """An amount cell as integer đồng; ``None`` when empty. Raises ``CellError``."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(f"«{value}» không phải là số tiền")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError("ô không chứa số tiền hợp lệ")
        if not value.is_integer():
            raise CellError(f"số tiền phải là số nguyên đồng (đang là {value:g})")
        return int(value)
    if isinstance(value, str):
        try:
            return parse_vnd(value)
        except ValueError as exc:
            raise CellError(str(exc)) from None
    raise CellError(f"«{cell_text(value)}» không phải là số tiền")


def _file_problem(path: Path, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, [Problem(code, message, str(path))])


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of ``path`` (CSV: one). Raises ``InvalidInput`` naming the file."""
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise _file_problem(path, f"Không tìm thấy tệp «{name}».", "file-missing")
    if suffix == ".xls":
        raise _file_problem(
            path, f"Tệp «{name}» ở định dạng Excel 97–2003 (.xls) cũ: hãy mở bằng Excel và "
                  "lưu lại thành .xlsx rồi nhập lại.", "file-format")
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise _file_problem(
            path, f"Tệp «{name}» không phải bảng tính được hỗ trợ: chỉ nhận .xlsx hoặc .csv.",
            "file-format")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _file_problem(path, f"Tệp «{name}» quá lớn (tối đa 50 MB).", "file-too-large")
    if suffix in CSV_SUFFIXES:
        return [_read_csv(path)]
    return _read_xlsx(path)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: bytes typed with a TCVN3/VNI font read as Latin-1 look-alikes
    # (converted later, per sheet); otherwise Windows Vietnamese (cp1258), whose
    # tone marks are combining characters -> NFC below.
    look_alike = data.decode("latin-1")
    if legacy.detect(look_alike.splitlines()):
        return look_alike
    return data.decode("cp1258", errors="replace")


def _read_csv(path: Path) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _file_problem(path, f"Không đọc được tệp «{path.name}»: {exc.strerror}.",
                            "file-unreadable") from None
    text = nfc(_decode(data))
    best: list[tuple[int, list[Any]]] | None = None
    best_score = -1
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[tuple[int, list[Any]]] = []
        try:
            for row in reader:
                rows.append((reader.line_num, [c if c.strip() else None for c in row]))
        except csv.Error:
            continue
        # The delimiter that yields the widest early rows is the one in use.
        score = max((sum(1 for c in cells if c is not None) for _, cells in rows[:30]),
                    default=0)
        if score > best_score:
            best, best_score = rows, score
    sheet = Sheet("", best or [])
    sheet.fix_legacy_text()
    return sheet


def _read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl  # imported here: the rest of the core doesn't need it

    name = path.name
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _file_problem(
            path, f"Tệp «{name}» không phải tệp Excel .xlsx hợp lệ hoặc đã bị hỏng ({exc}).",
            "file-corrupt") from None
    sheets: list[Sheet] = []
    try:
        ordered = [workbook.active] + [ws for ws in workbook.worksheets
                                       if ws is not workbook.active]
        for ws in ordered:
            if ws is None or not hasattr(ws, "iter_rows"):
                continue  # chartsheets
            ws.reset_dimensions()  # some writers store a wrong size
            rows = [(i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True),
                                                            start=1)]
            sheet = Sheet(ws.title, rows)
            sheet.fix_legacy_text()
            sheets.append(sheet)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _file_problem(path, f"Tệp «{name}» bị hỏng, không đọc được ({exc}).",
                            "file-corrupt") from None
    finally:
        workbook.close()
    return sheets


def find_columns(cells: Iterable[Any], variants: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Map field -> column index for the headings in ``cells`` (first match wins).

    ``variants`` lists, for each field, heading keys (see ``heading_key``) in
    order of preference.
    """
    keys = [heading_key(c) for c in cells]
    found: dict[str, int] = {}
    for field, options in variants.items():
        for option in options:
            if option in keys:
                idx = keys.index(option)
                if idx not in found.values():
                    found[field] = idx
                    break
    return found
