"""Reading spreadsheets (XLSX, XLS, ODS, CSV) into rows of cells, and matching column headings.

Shared by every importer: a file becomes one or more ``Sheet`` objects, each a
list of ``(row_number, cells)`` with 1-based spreadsheet row numbers and
0-based column indexes, so a message can say exactly where a bad cell is
(``column_letter(4)`` = "E").

Readers: python-calamine (Rust, fast) for .xlsx/.xlsm/.xls/.ods when it is
installed, openpyxl as the fallback for .xlsx; the csv module for .csv/.txt.
What calamine does not tell (hidden columns and rows) is read from the
workbook's XML for .xlsx and .ods. Every text cell is then brought to Unicode
NFC: a sheet typed in TCVN3 or VNI is converted, decomposed (NFD) text is
composed, and each converted cell is recorded (``Sheet.conversions``).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.importers import legacy
from client.money import parse_vnd

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLS_SUFFIXES = (".xls",)
ODS_SUFFIXES = (".ods",)
SUPPORTED_SUFFIXES = CSV_SUFFIXES + XLSX_SUFFIXES + XLS_SUFFIXES + ODS_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024
NFD = "NFD"  # the "encoding" of a conversion that only composed decomposed text


def column_letter(index: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA" (spreadsheet column names)."""
    if index < 0:
        raise ValueError("column index must be >= 0")
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" -> 0, "AA" -> 26. Raises ``ValueError`` for anything but 1–3 letters."""
    s = letters.strip().upper()
    if not re.fullmatch(r"[A-Z]{1,3}", s):
        raise ValueError(tr("«{letters}» không phải tên cột (A, B, …, AA)", letters=letters))
    n = 0
    for ch in s:
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass(frozen=True)
class Conversion:
    """One text cell changed on reading: from TCVN3, VNI or NFD to Unicode NFC."""

    row: int
    col: int
    encoding: str  # legacy.TCVN3, legacy.VNI or NFD
    before: str
    after: str

    @property
    def cell(self) -> str:
        return f"{column_letter(self.col)}{self.row}"

    def to_json(self) -> dict:
        return {"cell": self.cell, "encoding": self.encoding, "before": self.before,
                "after": self.after}


@dataclass
class Sheet:
    name: str  # sheet title ("" for CSV)
    rows: list[tuple[int, list[Any]]]
    legacy: str | None = None  # "TCVN3 (ABC)" / "VNI" when the text was converted
    converted: int = 0  # how many cells were converted from a legacy encoding
    hidden_columns: set[int] = field(default_factory=set)
    hidden_rows: set[int] = field(default_factory=set)
    # merged ranges: (first_row, first_col, last_row, last_col); rows 1-based, cols 0-based
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    conversions: list[Conversion] = field(default_factory=list)
    encoding: str | None = None  # CSV only: how the bytes were decoded
    hidden_known: bool = True  # False where the format does not tell (.xls, .csv)
    position: int = 0  # 0-based place in the workbook (``--sheet 2`` is position 1)

    def fix_text(self) -> None:
        """Bring every text cell to NFC: convert a TCVN3/VNI sheet, compose NFD; record each."""
        texts = [c for _, cells in self.rows for c in cells if isinstance(c, str)]
        encoding = legacy.detect(texts)
        count = 0
        seen: set[str] = set()
        for row, cells in self.rows:
            for i, c in enumerate(cells):
                if not isinstance(c, str):
                    continue
                # A Unicode sheet may still hold cells pasted from an old TCVN3/VNI list:
                # those are converted one by one, only when unmistakable (legacy.looks_legacy).
                cell_encoding = encoding or legacy.looks_legacy(c)
                if cell_encoding is not None:
                    fixed, kind = legacy.convert(c, cell_encoding), cell_encoding
                elif not unicodedata.is_normalized("NFC", c):
                    fixed, kind = unicodedata.normalize("NFC", c), NFD
                else:
                    continue
                if fixed != c:
                    cells[i] = fixed
                    self.conversions.append(Conversion(row, i, kind, c, fixed))
                    if kind != NFD:
                        count += 1
                        seen.add(kind)
        if count:
            self.legacy = encoding or ", ".join(sorted(seen))
            self.converted = count

    def note(self, file_name: str) -> str | None:
        """What was converted, for the user (Vietnamese), or None."""
        where = (tr("trang «{sheet}» của tệp «{file}»", sheet=self.name, file=file_name)
                 if self.name else tr("tệp «{file}»", file=file_name))
        notes = []
        if self.legacy:
            notes.append(tr("Đã chuyển {count} ô trong {where} từ bảng mã cũ {encoding} "
                            "sang Unicode. Hãy kiểm tra lại họ tên và tên ngân hàng.",
                            count=self.converted, where=where, encoding=self.legacy))
        nfd = sum(1 for c in self.conversions if c.encoding == NFD)
        if nfd:
            notes.append(tr("Đã chuẩn hóa {count} ô chữ Unicode tổ hợp (NFD) trong {where} "
                            "sang dạng dựng sẵn (NFC).", count=nfd, where=where))
        return " ".join(notes) or None

    def cell(self, row: int, col: int) -> Any:
        """The value at a 1-based row number and 0-based column (None when absent)."""
        for number, cells in self.rows:
            if number == row:
                return cells[col] if col < len(cells) else None
        return None


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
        raise CellError(tr("«{value}» không phải là số tiền", value=value))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(tr("ô không chứa số tiền hợp lệ"))
        if not value.is_integer():
            raise CellError(tr("số tiền phải là số nguyên đồng (đang là {value:g})", value=value))
        return int(value)
    if isinstance(value, str):
        try:
            return parse_vnd(value)
        except ValueError as exc:
            raise CellError(str(exc)) from None
    raise CellError(tr("«{value}» không phải là số tiền", value=cell_text(value)))


def _file_problem(path: Path, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, [Problem(code, message, str(path))])


def read_sheets(path: Path, sheet: str | int | None = None) -> list[Sheet]:
    """Every sheet of ``path`` (CSV: one), active sheet first; or only ``sheet``.

    ``sheet`` is a sheet name or a 1-based position. Raises ``InvalidInput``
    naming the file (and the sheets it has, when ``sheet`` is not one).
    """
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise _file_problem(path, tr("Không tìm thấy tệp «{file}».", file=name), "file-missing")
    if suffix not in SUPPORTED_SUFFIXES:
        raise _file_problem(
            path, tr("Tệp «{file}» không phải bảng tính được hỗ trợ: chỉ nhận .xlsx, .xls, "
                     ".ods hoặc .csv.", file=name), "file-format")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _file_problem(path, tr("Tệp «{file}» quá lớn (tối đa 50 MB).", file=name),
                            "file-too-large")
    if suffix in CSV_SUFFIXES:
        sheets = [_read_csv(path)]
    elif _calamine() is not None:
        sheets = _read_calamine(path, suffix)
    elif suffix in XLSX_SUFFIXES:
        sheets = _read_openpyxl(path)
    else:
        raise _file_problem(
            path, tr("Không đọc được tệp «{file}»: máy này thiếu thư viện python-calamine để "
                     "đọc {suffix}. Hãy lưu lại thành .xlsx rồi nhập lại.", file=name,
                     suffix=suffix), "file-format")
    if sheet is None:
        return sheets
    return [_select(path, sheets, sheet)]


def _select(path: Path, sheets: list[Sheet], wanted: str | int) -> Sheet:
    names = [s.name for s in sheets]
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.strip().isdigit()):
        index = int(wanted) - 1
        by_position = sorted(sheets, key=lambda s: s.position)
        if 0 <= index < len(by_position):
            return by_position[index]
    else:
        for s in sheets:
            if nfc(s.name).strip().casefold() == nfc(str(wanted)).strip().casefold():
                return s
    listed = ", ".join(f"«{n}»" for n in names) or tr("(không có)")
    message = tr("Tệp «{file}» không có trang «{sheet}». Các trang: {listed}.", file=path.name,
                 sheet=wanted, listed=listed)
    raise InvalidInput(message, [Problem("sheet-not-found", message, path.name)])


def _calamine() -> Any:
    try:
        import python_calamine
    except ImportError:  # pragma: no cover - depends on the machine
        return None
    return python_calamine


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: bytes typed with a TCVN3/VNI font read as Latin-1 look-alikes
    # (converted later, per sheet); otherwise Windows Vietnamese (cp1258), whose
    # tone marks are combining characters -> NFC later.
    look_alike = data.decode("latin-1")
    if legacy.detect(look_alike.splitlines()):
        return look_alike, "latin-1"
    return data.decode("cp1258", errors="replace"), "cp1258"


def _read_csv(path: Path) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _file_problem(path, tr("Không đọc được tệp «{file}»: {error}.", file=path.name,
                                     error=exc.strerror),
                            "file-unreadable") from None
    text, encoding = _decode(data)
    sheet = Sheet("", parse_delimited(text), encoding=encoding, hidden_known=False)
    sheet.fix_text()
    return sheet


def parse_delimited(text: str, delimiters: Iterable[str] = (",", ";", "\t")
                    ) -> list[tuple[int, list[Any]]]:
    """Rows of delimited text (CSV, or Excel's tab-separated clipboard), numbered from 1.

    The delimiter that yields the widest early rows is the one in use; quoted
    cells may hold the delimiter and line breaks. Empty cells become None.
    """
    best: list[tuple[int, list[Any]]] | None = None
    best_score = -1
    for delimiter in delimiters:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[tuple[int, list[Any]]] = []
        number = 0
        try:
            for row in reader:
                number += 1
                rows.append((number, [c if c.strip() else None for c in row]))
        except csv.Error:
            continue
        score = max((sum(1 for c in cells if c is not None) for _, cells in rows[:30]),
                    default=0)
        if score > best_score:
            best, best_score = rows, score
    return best or []


def _read_calamine(path: Path, suffix: str) -> list[Sheet]:
    calamine = _calamine()
    name = path.name
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own and plain errors for broken files
        raise _file_problem(
            path, tr("Tệp «{file}» không phải tệp bảng tính hợp lệ hoặc đã bị hỏng ({error}).",
                     file=name, error=exc),
            "file-corrupt") from None
    hidden: dict[str, tuple[set[int], set[int]]] = {}
    hidden_known = True
    try:
        if suffix in XLSX_SUFFIXES:
            hidden = _xlsx_hidden(path)
        elif suffix in ODS_SUFFIXES:
            hidden = _ods_hidden(path)
        else:
            found = _xls_hidden(path)
            hidden_known = found is not None
            hidden = found or {}
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        hidden_known = False
    sheets: list[Sheet] = []
    try:
        active = _xlsx_active_index(path) if suffix in XLSX_SUFFIXES else 0
        for position, meta in enumerate(workbook.sheets_metadata):
            if str(meta.typ).split(".")[-1] != "WorkSheet":
                continue  # chart sheets, macro sheets
            ws = workbook.get_sheet_by_name(meta.name)
            data = ws.to_python(skip_empty_area=False)
            rows = [(i, [None if c == "" else c for c in row])
                    for i, row in enumerate(data, start=1)]
            merged = [(r0 + 1, c0, r1 + 1, c1)
                      for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])]
            cols, hidden_rows = hidden.get(meta.name, (set(), set()))
            sheet = Sheet(meta.name, rows, hidden_columns=set(cols), hidden_rows=set(hidden_rows),
                          merged=merged, hidden_known=hidden_known, position=position)
            sheet.fix_text()
            sheets.append(sheet)
    except Exception as exc:
        raise _file_problem(path, tr("Tệp «{file}» bị hỏng, không đọc được ({error}).",
                                     file=name, error=exc),
                            "file-corrupt") from None
    finally:
        workbook.close()
    if 0 < active < len(sheets):
        sheets.insert(0, sheets.pop(active))
    return sheets


def _xls_hidden(path: Path) -> dict[str, tuple[set[int], set[int]]] | None:
    """Hidden columns (0-based) and rows (1-based) per sheet of an .xls (BIFF) workbook, read
    with xlrd's formatting records; None when xlrd is not installed or cannot read the file."""
    try:
        import xlrd
    except ImportError:
        return None
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except Exception:  # xlrd raises many kinds on odd files; the values come from calamine
        return None
    out: dict[str, tuple[set[int], set[int]]] = {}
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            cols = {c for c, info in sh.colinfo_map.items() if info.hidden}
            rows = {r + 1 for r, info in sh.rowinfo_map.items() if info.hidden}
            out[sh.name] = (cols, rows)
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return out


def _read_openpyxl(path: Path) -> list[Sheet]:
    import openpyxl  # imported here: the rest of the core doesn't need it

    name = path.name
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _file_problem(
            path, tr("Tệp «{file}» không phải tệp Excel .xlsx hợp lệ hoặc đã bị hỏng ({error}).",
                     file=name, error=exc),
            "file-corrupt") from None
    try:
        hidden = _xlsx_hidden(path)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        hidden = {}
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
            cols, hidden_rows = hidden.get(ws.title, (set(), set()))
            sheet = Sheet(ws.title, rows, hidden_columns=set(cols), hidden_rows=set(hidden_rows),
                          merged=_xlsx_merged(path, ws.title),
                          position=workbook.worksheets.index(ws))
            sheet.fix_text()
            sheets.append(sheet)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise _file_problem(path, tr("Tệp «{file}» bị hỏng, không đọc được ({error}).",
                                     file=name, error=exc),
                            "file-corrupt") from None
    finally:
        workbook.close()
    return sheets


# -- what the cell values don't say: hidden columns and rows, merged cells --------------------

_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: v for k, v in _ATTR.findall(raw)}


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) in workbook order."""
    workbook = zf.read("xl/workbook.xml")
    rels = zf.read("xl/_rels/workbook.xml.rels")
    targets = {}
    for raw in re.findall(rb"<(?:\w+:)?Relationship\b([^>]*)>", rels):
        a = _attrs(raw)
        target = a.get(b"Target", b"").decode("utf-8")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[a.get(b"Id", b"")] = target
    out = []
    for raw in re.findall(rb"<(?:\w+:)?sheet\b([^>]*)>", workbook):
        a = _attrs(raw)
        rid = a.get(b"id", b"")
        name = a.get(b"name", b"").decode("utf-8")
        name = name.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") \
                   .replace("&quot;", '"').replace("&apos;", "'")
        if rid in targets:
            out.append((name, targets[rid]))
    return out


def _xlsx_active_index(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            m = re.search(rb"<(?:\w+:)?workbookView\b[^>]*\bactiveTab=\"(\d+)\"",
                          zf.read("xl/workbook.xml"))
    except (zipfile.BadZipFile, KeyError, OSError):
        return 0
    return int(m.group(1)) if m else 0


def _truthy(value: bytes | None) -> bool:
    return value in (b"1", b"true")


def _xlsx_hidden(path: Path) -> dict[str, tuple[set[int], set[int]]]:
    """Per sheet name: (hidden column indexes, hidden row numbers), from the sheet XML."""
    out: dict[str, tuple[set[int], set[int]]] = {}
    with zipfile.ZipFile(path) as zf:
        for name, part in _xlsx_sheet_parts(zf):
            try:
                data = zf.read(part)
            except KeyError:
                continue
            cols: set[int] = set()
            rows: set[int] = set()
            if b"hidden" in data:
                for raw in re.findall(rb"<(?:\w+:)?col\b([^>]*)>", data):
                    a = _attrs(raw)
                    if _truthy(a.get(b"hidden")):
                        lo, hi = int(a.get(b"min", b"1")), int(a.get(b"max", b"1"))
                        cols.update(range(lo - 1, min(hi, 16384)))
                for raw in re.findall(rb"<(?:\w+:)?row\b([^>]*\bhidden=[^>]*)>", data):
                    a = _attrs(raw)
                    if _truthy(a.get(b"hidden")) and a.get(b"r"):
                        rows.add(int(a[b"r"]))
            out[name] = (cols, rows)
    return out


def _xlsx_merged(path: Path, sheet_name: str) -> list[tuple[int, int, int, int]]:
    out = []
    with zipfile.ZipFile(path) as zf:
        for name, part in _xlsx_sheet_parts(zf):
            if name != sheet_name:
                continue
            for ref in re.findall(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"",
                                  zf.read(part)):
                c0, r0, c1, r1 = (x.decode("ascii") for x in ref)
                out.append((int(r0), column_index(c0), int(r1), column_index(c1)))
    return out


def _ods_hidden(path: Path) -> dict[str, tuple[set[int], set[int]]]:
    """Per table: hidden (collapsed/filtered) columns and rows of an OpenDocument spreadsheet."""
    import xml.etree.ElementTree as ET

    table_ns = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"

    def attr(el: Any, name: str) -> str | None:
        return el.get(f"{{{table_ns}}}{name}")

    out: dict[str, tuple[set[int], set[int]]] = {}
    with zipfile.ZipFile(path) as zf, zf.open("content.xml") as fh:
        name = None
        col = row = 0
        cols: set[int] = set()
        rows: set[int] = set()
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "table":
                name, col, row, cols, rows = attr(el, "name") or "", 0, 0, set(), set()
            elif event == "start" and tag == "table-column":
                repeat = min(int(attr(el, "number-columns-repeated") or 1), 16384)
                if (attr(el, "visibility") or "visible") != "visible":
                    cols.update(range(col, col + repeat))
                col += repeat
            elif event == "start" and tag == "table-row":
                repeat = min(int(attr(el, "number-rows-repeated") or 1), 1_048_576)
                if (attr(el, "visibility") or "visible") != "visible" and repeat < 10_000:
                    rows.update(range(row + 1, row + repeat + 1))
                row += repeat
            elif event == "end" and tag == "table":
                out[name or ""] = (cols, rows)
            elif event == "end" and tag == "table-row":
                el.clear()
    return out
