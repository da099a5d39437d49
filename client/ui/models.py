"""Qt models over snapshots of the core's rows (taken on a worker thread)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from client.ui.labels import kind_label, money_label, period_label, status_label, time_label

COLUMNS = (QT_TRANSLATE_NOOP("DossierModel", "Số"), QT_TRANSLATE_NOOP("DossierModel", "Loại"),
           QT_TRANSLATE_NOOP("DossierModel", "Kỳ"), QT_TRANSLATE_NOOP("DossierModel", "Tổng tiền"),
           QT_TRANSLATE_NOOP("DossierModel", "Trạng thái"),
           QT_TRANSLATE_NOOP("DossierModel", "Cập nhật"))
COL_NUMBER, COL_KIND, COL_PERIOD, COL_TOTAL, COL_STATUS, COL_UPDATED = range(6)

LocalIdRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2
RowRole = Qt.ItemDataRole.UserRole + 3  # the DossierRow itself (filters, actions)

# The stages a dossier goes through, as the list's filter offers them.
STAGE_COLOURS = {"rejected": "#b71c1c", "attention": "#b71c1c", "paid": "#1b5e20",
                 "accepted": "#1b5e20"}
STAGES = ("draft", "head", "signed", "queued", "attention", "sent", "accepted", "rejected", "paid")


@dataclass(frozen=True)
class DossierRow:
    """One line of the list: a document and what the outbox knows of it."""

    local_id: int
    number: str
    kind: str
    period: str
    total: int
    state: str
    updated_at: Any
    outbox: Any = None  # the latest OutboxItem for this document, if any

    @property
    def status(self) -> str:
        return status_label(self.state, self.outbox)

    @property
    def treasury_status(self) -> str | None:
        return getattr(self.outbox, "treasury_status", None) if self.outbox is not None else None

    @property
    def stage(self) -> str:
        """One of ``STAGES``: where the dossier is on its way to "paid"."""
        treasury = self.treasury_status
        if treasury in ("accepted", "rejected", "paid"):
            return treasury
        if treasury or self.state in ("sent", "accepted", "rejected", "paid"):
            return {"sent": "sent"}.get(self.state, self.state if self.state in STAGES else "sent")
        ob_state = getattr(self.outbox, "state", "") if self.outbox is not None else ""
        if ob_state == "needs-attention":
            return "attention"
        if ob_state in ("queued", "sending") or self.state == "queued":
            return "queued"
        if ob_state == "sent":
            return "sent"
        return {"draft": "draft", "signed-partial": "head", "signed": "signed"}.get(self.state, "draft")

    @property
    def in_outbox(self) -> bool:
        return self.outbox is not None

    @property
    def waiting_to_send(self) -> bool:
        if self.outbox is None:
            return False
        return getattr(self.outbox, "state", "") in ("queued", "sending")


def build_rows(documents: list, outbox_items: list) -> list[DossierRow]:
    """Join documents with their newest outbox item (by ``document_local_id``)."""
    latest: dict[int, Any] = {}
    for item in outbox_items:
        key = getattr(item, "document_local_id", None)
        if key is None or getattr(item, "state", "") == "cancelled":
            continue
        prev = latest.get(key)
        if prev is None or getattr(item, "local_id", 0) >= getattr(prev, "local_id", 0):
            latest[key] = item
    rows = []
    for d in documents:
        rows.append(DossierRow(
            local_id=d.local_id, number=d.number or "", kind=d.kind or "",
            period=getattr(d, "period", "") or "", total=d.total, state=d.state,
            updated_at=getattr(d, "updated_at", None), outbox=latest.get(d.local_id),
        ))
    return rows


class DossierModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[DossierRow] = []

    # -- data ------------------------------------------------------------------
    def rows(self) -> list[DossierRow]:
        return list(self._rows)

    def row_at(self, row: int) -> DossierRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, local_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.local_id == local_id:
                return i
        return -1

    def set_rows(self, rows: list[DossierRow]) -> list[tuple[DossierRow, str]]:
        """Replace the rows in place; return ``(row, old_status)`` for rows whose status changed."""
        old = {r.local_id: r for r in self._rows}
        changed = [(r, old[r.local_id].status) for r in rows
                   if r.local_id in old and old[r.local_id].status != r.status]
        if [r.local_id for r in rows] == [r.local_id for r in self._rows]:
            self._rows = list(rows)
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))
        else:
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
        return changed

    # -- QAbstractTableModel ---------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("DossierModel", COLUMNS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_TOTAL:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        r = self.row_at(index.row()) if index.isValid() else None
        if r is None:
            return None
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == COL_NUMBER:
                return r.number
            if col == COL_KIND:
                return kind_label(r.kind)
            if col == COL_PERIOD:
                return period_label(r.period)
            if col == COL_TOTAL:
                return money_label(r.total)
            if col == COL_STATUS:
                return r.status
            if col == COL_UPDATED:
                return time_label(r.updated_at)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col == COL_TOTAL:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS:
            colour = STAGE_COLOURS.get(r.stage)
            return QBrush(QColor(colour)) if colour else None
        if role == LocalIdRole:
            return r.local_id
        if role == StateRole:
            return r.state
        if role == RowRole:
            return r
        if role == Qt.ItemDataRole.UserRole and col == COL_TOTAL:
            return r.total  # sorting by amount, not by its text
        return None
