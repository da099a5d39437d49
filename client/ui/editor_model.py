"""The table editor's model: document lines behind a ``QAbstractTableModel``, edits as undo commands.

Generic over a column spec (``EditorSpec``): the salary table (Mẫu 09) and
the voucher list (Mẫu 07, with an NDKT column that completes codes) are two
specs over the same model. Each column is a field of the importer's
``TableSpec`` (``client.importers.spec``), so a typed or pasted cell is read
exactly as a workbook cell is (amounts in integer đồng, accounts without
spaces/dots/dashes, TCVN3/VNI/NFD text to NFC).

Every change goes through ``QUndoStack`` commands (``SetCellsCommand``,
``InsertLinesCommand``, ``RemoveLinesCommand``); a paste is one undo step.
The total is kept up to date on every change (no full re-sum per cell), and
``document()`` gives the ``document.json`` dict the checks, the renderer and
the signer take. Nothing here creates a widget per row: 10 000 lines are one
list of dicts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QUndoCommand, QUndoStack

from client.documents import KIND_SALARY, KIND_VOUCHERS, PART_KEYS
from client.errors import Problem
from client.importers.spec import Field, TableSpec, convert_cell
from client.importers.tabular import CellError
from client.money import amount_in_words, format_vnd

ERROR_BG = QColor("#f8d7da")
WARNING_BG = QColor("#fff3cd")
MONEY_KINDS = ("amount", "int")


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("TableEditor", text)


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class Column:
    """One editor column: a field of the importer's spec, how wide, whether it completes."""

    field: Field
    width: int = 120
    editable: bool = True
    completions: Callable[[], list[str]] | None = None  # e.g. NDKT codes for Mẫu 07
    header: str = ""  # a shorter heading than the field's label (the label is the tooltip)
    blank_zero: bool = False  # show 0 as an empty cell (the "Trong đó" parts, as on the form)
    normalise: Callable[[str], str] | None = None  # typed/completed text -> value ("6501 · …" -> "6501")

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def label(self) -> str:
        return self.field.label

    @property
    def heading(self) -> str:
        return self.header or self.field.label

    @property
    def is_money(self) -> bool:
        return self.field.kind in MONEY_KINDS


@dataclass(frozen=True)
class EditorSpec:
    """Which columns a document kind's editor has and how its lines add up."""

    kind: str
    title: str
    columns: tuple[Column, ...]
    import_spec: TableSpec
    amount_key: str = "amount"
    parts_prefix: str | None = None  # "parts.": the amount follows the parts' sum when it did
    blank_line: Callable[[], dict] = dict

    def column_of(self, key: str) -> int:
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        return -1

    @property
    def part_keys(self) -> list[str]:
        if not self.parts_prefix:
            return []
        return [c.key for c in self.columns if c.key.startswith(self.parts_prefix)]


SHORT_HEADINGS = {
    "parts.salary": QT_TRANSLATE_NOOP("TableEditor", "Lương, PC theo lương"),
    "parts.contract_wage": QT_TRANSLATE_NOOP("TableEditor", "Tiền công HĐ"),
    "parts.extra_income": QT_TRANSLATE_NOOP("TableEditor", "TN tăng thêm"),
    "parts.bonus": QT_TRANSLATE_NOOP("TableEditor", "Tiền thưởng"),
    "parts.other_allowance": QT_TRANSLATE_NOOP("TableEditor", "PC, trợ cấp khác"),
    "parts.lump_sum": QT_TRANSLATE_NOOP("TableEditor", "Tiền khoán"),
    "parts.scholarship": QT_TRANSLATE_NOOP("TableEditor", "Học bổng"),
}

# The importers' field labels, shown as column headings and tooltips (``_tr`` translates them;
# the importers are core code without Qt, so their literals are marked here).
FIELD_LABELS = (
    QT_TRANSLATE_NOOP("TableEditor", "Nhóm"),
    QT_TRANSLATE_NOOP("TableEditor", "Họ và tên"),
    QT_TRANSLATE_NOOP("TableEditor", "Số tài khoản"),
    QT_TRANSLATE_NOOP("TableEditor", "Tên ngân hàng"),
    QT_TRANSLATE_NOOP("TableEditor", "Tổng số"),
    QT_TRANSLATE_NOOP("TableEditor", "Ghi chú"),
    QT_TRANSLATE_NOOP("TableEditor", "Lương và phụ cấp theo lương"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền công lao động thường xuyên theo hợp đồng"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền thu nhập tăng thêm"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền thưởng"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền phụ cấp và trợ cấp khác"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền khoán"),
    QT_TRANSLATE_NOOP("TableEditor", "Tiền học bổng"),
    QT_TRANSLATE_NOOP("TableEditor", "Số chứng từ"),
    QT_TRANSLATE_NOOP("TableEditor", "Ngày chứng từ"),
    QT_TRANSLATE_NOOP("TableEditor", "Nội dung chi"),
    QT_TRANSLATE_NOOP("TableEditor", "Mã NDKT"),
    QT_TRANSLATE_NOOP("TableEditor", "Số tiền"),
)


def salary_spec() -> EditorSpec:
    """Mẫu 09: group, name, account, bank, amount, the seven "Trong đó" parts, note."""
    from client.importers.salary import SALARY_SPEC

    widths = {"group": 130, "name": 180, "account": 130, "bank": 180, "amount": 105, "note": 140,
              "parts.salary": 140, "parts.other_allowance": 120}
    keys = ["group", "name", "account", "bank", "amount", *[f"parts.{k}" for k in PART_KEYS], "note"]
    columns = tuple(Column(SALARY_SPEC.field(k), widths.get(k, 95), header=SHORT_HEADINGS.get(k, ""),
                           blank_zero=k.startswith("parts."))
                    for k in keys)

    def blank() -> dict:
        return {"group": "", "name": "", "account": "", "bank": "", "amount": 0,
                "parts": {k: 0 for k in PART_KEYS}, "note": ""}

    return EditorSpec(KIND_SALARY, translate("TableEditor", "Bảng thanh toán cho đối tượng thụ hưởng (Mẫu 09)"),
                      columns, SALARY_SPEC, parts_prefix="parts.", blank_line=blank)


def voucher_spec(ndkt_codes: Callable[[], list[str]] | None = None,
                 home_path: Any = None) -> EditorSpec:
    """Mẫu 07: voucher number and date, description, NDKT (completing codes), amount.

    ``ndkt_codes``: the completions of the NDKT column; by default the catalogue in use
    (``client.catalogue.load``: "6501 · Thanh toán tiền điện"), read when first needed.
    """
    from client.catalogue import Catalogue
    from client.vouchers.importer import VOUCHER_SPEC

    if ndkt_codes is None:
        cache: list[list[str]] = []

        def ndkt_codes() -> list[str]:
            if not cache:
                from client import catalogue

                cache.append(catalogue.load(home_path).completions())
            return cache[0]

    widths = {"voucher.number": 110, "voucher.date": 100, "description": 320, "ndkt": 90,
              "amount": 120}
    columns = tuple(Column(VOUCHER_SPEC.field(k), w, completions=ndkt_codes if k == "ndkt" else None,
                           normalise=Catalogue.code_of if k == "ndkt" else None)
                    for k, w in widths.items())

    def blank() -> dict:
        return {"voucher": {"number": "", "date": ""}, "description": "", "ndkt": "", "amount": 0}

    return EditorSpec(KIND_VOUCHERS, translate("TableEditor", "Bảng kê chứng từ thanh toán (Mẫu 07)"), columns,
                      VOUCHER_SPEC, blank_line=blank)


# --------------------------------------------------------------------------- paths in a line


def get_path(line: dict, key: str) -> Any:
    node: Any = line
    for part in key.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def set_path(line: dict, key: str, value: Any) -> None:
    parts = key.split(".")
    node = line
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            node[part] = nxt
        node = nxt
    node[parts[-1]] = value


def json_copy(value: Any) -> Any:
    """A copy of JSON-shaped data (dicts, lists, scalars): much faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: json_copy(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def display_value(value: Any, column: Column) -> str:
    if value is None or (column.blank_zero and value == 0):
        return ""
    if column.is_money and isinstance(value, int) and not isinstance(value, bool):
        return format_vnd(value)
    return str(value)


def parse_value(text: Any, column: Column) -> Any:
    """A typed cell as the document holds it; raises ``CellError`` (Vietnamese) when unreadable."""
    if isinstance(text, str):
        text = unicodedata.normalize("NFC", text).strip()
        if column.normalise is not None:
            text = column.normalise(text)
    value, _raw = convert_cell(text if text != "" else None, column.field)
    if column.is_money and value is None:
        value = 0
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value)
    return value


# --------------------------------------------------------------------------- undo commands


class SetCellsCommand(QUndoCommand):
    """Set some cells: ``changes`` is ``[(row, key, old, new)]``."""

    def __init__(self, model: LinesModel, changes: list[tuple[int, str, Any, Any]], text: str) -> None:
        super().__init__(text)
        self.model = model
        self.changes = changes

    def redo(self) -> None:
        self.model._apply([(r, k, new) for r, k, _old, new in self.changes])

    def undo(self) -> None:
        self.model._apply([(r, k, old) for r, k, old, _new in reversed(self.changes)])


class InsertLinesCommand(QUndoCommand):
    def __init__(self, model: LinesModel, row: int, lines: list[dict], text: str) -> None:
        super().__init__(text)
        self.model, self.row, self.lines = model, row, lines

    def redo(self) -> None:
        self.model._insert(self.row, [json_copy(x) for x in self.lines])

    def undo(self) -> None:
        self.model._remove(self.row, len(self.lines))


class RemoveLinesCommand(QUndoCommand):
    """Remove rows (any set); undo puts each back where it was."""

    def __init__(self, model: LinesModel, rows: Iterable[int], text: str) -> None:
        super().__init__(text)
        self.model = model
        self.rows = sorted(set(rows))
        self.saved: list[tuple[int, dict]] = []

    def redo(self) -> None:
        self.saved = [(r, json_copy(self.model.lines[r])) for r in self.rows]
        for start, count in reversed(_runs(self.rows)):
            self.model._remove(start, count)

    def undo(self) -> None:
        for start, count in _runs(self.rows):
            lines = [line for r, line in self.saved if start <= r < start + count]
            self.model._insert(start, [json_copy(x) for x in lines])


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs ``(start, count)`` of sorted ``rows``."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][0] + runs[-1][1] == r:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((r, 1))
    return runs


# --------------------------------------------------------------------------- the model


@dataclass
class PasteOutcome:
    rows: int = 0  # pasted rows
    added: int = 0  # lines appended at the end
    problems: list[Problem] = field(default_factory=list)
    header_skipped: bool = False
    converted: int = 0  # legacy/NFD cells converted


class LinesModel(QAbstractTableModel):
    """The document's lines as a table; every edit is an undo command on ``undo_stack``."""

    totalChanged = Signal(object)  # noqa: N815  (int đồng; may exceed 32 bits)
    linesChanged = Signal()  # noqa: N815  (any change: for the debounced checks)
    editRejected = Signal(str)  # noqa: N815  (a typed value that cannot be read)

    def __init__(self, spec: EditorSpec, document: dict | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.undo_stack = QUndoStack(self)
        self.base: dict = {}
        self.lines: list[dict] = []
        self._total = 0
        self._marks: dict[tuple[int, str], tuple[str, str]] = {}  # (row, key) -> (severity, message)
        self._row_marks: dict[int, tuple[str, str]] = {}
        self.set_document(document or {"kind": spec.kind, "lines": []})

    # -- document in/out --------------------------------------------------------
    def set_document(self, document: dict) -> None:
        """Load ``document`` (its lines are copied); clears undo history and marks."""
        self.beginResetModel()
        self.base = {k: json_copy(v) for k, v in document.items() if k != "lines"}
        # the unit's wording of amounts (client.settings.Settings.words_options)
        self.words_options: dict[str, str] = {}
        self.base.setdefault("kind", self.spec.kind)
        self.lines = [json_copy(x) if isinstance(x, dict) else {} for x in document.get("lines") or []]
        self._total = sum(_int(get_path(x, self.spec.amount_key)) for x in self.lines)
        self._marks.clear()
        self._row_marks.clear()
        self.endResetModel()
        self.undo_stack.clear()
        self.totalChanged.emit(self._total)
        self.linesChanged.emit()

    def document(self) -> dict:
        """The ``document.json`` dict: lines numbered 1…n, total and total in words recomputed."""
        return self.document_builder()()

    def document_builder(self) -> Callable[[], dict]:
        """A function building ``document()`` as the table is now, cheap to take on the UI
        thread (it holds the lines, not copies) and meant to run on a worker: its result is
        only trusted while no edit has happened since (the editor's check sequence)."""
        base, rows, total, words = self.base, list(self.lines), self._total, dict(self.words_options)

        def build() -> dict:
            doc = json_copy(base)
            lines = []
            for i, line in enumerate(rows, start=1):
                out = json_copy(line)
                out["no"] = i
                lines.append(out)
            doc["lines"] = lines
            doc["total"] = total
            doc["total_in_words"] = amount_in_words(total, **words)
            return doc

        return build

    @property
    def total(self) -> int:
        return self._total

    # -- Qt model interface -----------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.spec.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal:
                return _tr(self.spec.columns[section].heading)
            return str(section + 1)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            return _tr(self.spec.columns[section].label)
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Vertical:
            mark = self._row_marks.get(section)
            return mark[1] if mark else None
        if role == Qt.ItemDataRole.BackgroundRole and orientation == Qt.Orientation.Vertical:
            mark = self._row_marks.get(section)
            if mark:
                return QBrush(ERROR_BG if mark[0] == "error" else WARNING_BG)
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.spec.columns[index.column()].editable:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), self.spec.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return display_value(get_path(self.lines[row], column.key), column)
        if role == Qt.ItemDataRole.EditRole:
            value = get_path(self.lines[row], column.key)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.is_money:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole):
            mark = self._marks.get((row, column.key))
            if mark is None:
                return None
            if role == Qt.ItemDataRole.ToolTipRole:
                return mark[1]
            return QBrush(ERROR_BG if mark[0] == "error" else WARNING_BG)
        return None

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        column = self.spec.columns[index.column()]
        try:
            new = parse_value(value, column)
        except CellError as exc:
            self.editRejected.emit(translate("TableEditor", "Dòng %d, cột «%s»: %s.") % (index.row() + 1, column.label, exc))
            return False
        return self.set_cells([(index.row(), column.key, new)],
                              translate("TableEditor", "Sửa ô dòng %d, cột «%s»") % (index.row() + 1, column.label))

    # -- edits (all through the undo stack) -------------------------------------
    def set_cells(self, values: list[tuple[int, str, Any]], text: str) -> bool:
        """Set cells ``[(row, key, value)]`` as one undo step (the amount follows its parts)."""
        changes: list[tuple[int, str, Any, Any]] = []
        pending: dict[tuple[int, str], Any] = {}
        for row, key, new in values:
            old = pending.get((row, key), get_path(self.lines[row], key))
            if old == new and type(old) is type(new):
                continue
            changes.append((row, key, old, new))
            pending[(row, key)] = new
        # The amount follows the sum of the parts when it equalled it before the edit.
        parts = self.spec.part_keys
        amount_key = self.spec.amount_key
        if parts:
            for row in sorted({r for r, k, _o, _n in changes if k in parts}):
                line = self.lines[row]
                before = sum(_int(get_path(line, k)) for k in parts)
                after = sum(_int(pending.get((row, k), get_path(line, k))) for k in parts)
                amount = pending.get((row, amount_key), get_path(line, amount_key))
                if (row, amount_key) not in pending and _int(amount) == before:
                    changes.append((row, amount_key, amount, after))
        if not changes:
            return False
        self.undo_stack.push(SetCellsCommand(self, changes, text))
        return True

    def insert_lines(self, row: int, lines: list[dict] | None = None, count: int = 1) -> None:
        lines = lines if lines is not None else [self.spec.blank_line() for _ in range(count)]
        self.undo_stack.push(InsertLinesCommand(self, row, lines, translate("TableEditor", "Thêm %d dòng") % len(lines)))

    def remove_lines(self, rows: Iterable[int]) -> None:
        rows = [r for r in set(rows) if 0 <= r < len(self.lines)]
        if rows:
            self.undo_stack.push(RemoveLinesCommand(self, rows, translate("TableEditor", "Xóa %d dòng") % len(rows)))

    def clear_cells(self, cells: Iterable[tuple[int, int]]) -> None:
        values = []
        for row, col in cells:
            column = self.spec.columns[col]
            if column.editable:
                values.append((row, column.key, 0 if column.is_money else ""))
        self.set_cells(values, translate("TableEditor", "Xóa nội dung ô"))

    def paste(self, text: str, row: int, col: int) -> PasteOutcome:
        """Paste Excel's tab-separated ``text`` with its top-left cell at (``row``, ``col``).

        One undo step; lines are added at the end when the paste is longer than
        the table. Unreadable cells are left unchanged and reported.
        """
        from client.importers.clipboard import paste_values

        targets = [c.key for c in self.spec.columns[col:] if c.editable]
        result = paste_values(text, targets, self.spec.import_spec)
        outcome = PasteOutcome(rows=len(result.rows), problems=list(result.problems),
                               header_skipped=result.header_skipped,
                               converted=len(result.conversions))
        if not result.rows:
            return outcome
        known = {c.key for c in self.spec.columns if c.editable}
        self.undo_stack.beginMacro(translate("TableEditor", "Dán %d dòng") % len(result.rows))
        try:
            missing = row + len(result.rows) - len(self.lines)
            if missing > 0:
                outcome.added = missing
                self.insert_lines(len(self.lines), count=missing)
            values = []
            for i, cells in enumerate(result.rows):
                for key, value in cells.items():
                    if key in known:
                        column = self.spec.columns[self.spec.column_of(key)]
                        if isinstance(value, str) and column.normalise is not None:
                            value = column.normalise(value)
                        values.append((row + i, key, 0 if value is None and column.is_money else value))
            self.set_cells(values, translate("TableEditor", "Dán"))
        finally:
            self.undo_stack.endMacro()
        return outcome

    # -- raw changes (called by the commands only) -------------------------------
    def _apply(self, values: list[tuple[int, str, Any]]) -> None:
        amount_key = self.spec.amount_key
        rows: set[int] = set()
        cols: set[int] = set()
        for row, key, value in values:
            line = self.lines[row]
            if key == amount_key:
                self._total += _int(value) - _int(get_path(line, key))
            set_path(line, key, value)
            rows.add(row)
            cols.add(self.spec.column_of(key))
            self._marks.pop((row, key), None)
        if rows:
            cols.discard(-1)
            self.dataChanged.emit(self.index(min(rows), min(cols, default=0)),
                                  self.index(max(rows), max(cols, default=0)))
        self.totalChanged.emit(self._total)
        self.linesChanged.emit()

    def _insert(self, row: int, lines: list[dict]) -> None:
        self.beginInsertRows(QModelIndex(), row, row + len(lines) - 1)
        self.lines[row:row] = lines
        self._total += sum(_int(get_path(x, self.spec.amount_key)) for x in lines)
        self._shift_marks()
        self.endInsertRows()
        self.totalChanged.emit(self._total)
        self.linesChanged.emit()

    def _remove(self, row: int, count: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        gone = self.lines[row:row + count]
        del self.lines[row:row + count]
        self._total -= sum(_int(get_path(x, self.spec.amount_key)) for x in gone)
        self._shift_marks()
        self.endRemoveRows()
        self.totalChanged.emit(self._total)
        self.linesChanged.emit()

    def _shift_marks(self) -> None:
        # Row numbers moved: the marks are stale until the next check run.
        self._marks.clear()
        self._row_marks.clear()

    # -- check marks ------------------------------------------------------------
    def set_marks(self, problems: list[Problem]) -> None:
        """Colour the cells (and row headers) the checks name."""
        from client.documents.checks import locate

        self._marks.clear()
        self._row_marks.clear()
        for p in problems:
            index, key = locate(p.where)
            if index is None or index >= len(self.lines):
                continue
            entry = (p.severity, p.message)
            if key and self.spec.column_of(key) >= 0:
                if self._marks.get((index, key), ("", ""))[0] != "error":
                    self._marks[(index, key)] = entry
            if self._row_marks.get(index, ("", ""))[0] != "error":
                self._row_marks[index] = entry
        if self.lines:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.lines) - 1, len(self.spec.columns) - 1),
                                  [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole])
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, len(self.lines) - 1)

    def mark_of(self, row: int, key: str) -> tuple[str, str] | None:
        return self._marks.get((row, key))
