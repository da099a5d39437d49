"""The dossier list's filters: month, kind, stage, number and amount search.

``DossierFilter`` is a plain value (what the person asked for); ``DossierProxy``
applies it to a ``DossierModel``; ``DossierFilterBar`` is the row of widgets
above the list that edits it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.ui.labels import KIND_LABELS, period_label
from client.ui.models import COL_TOTAL, STAGES, RowRole

translate = QCoreApplication.translate

STAGE_LABELS = {
    "draft": QT_TRANSLATE_NOOP("dossiers", "Chờ Kế toán trưởng ký"),
    "head": QT_TRANSLATE_NOOP("dossiers", "Chờ Thủ trưởng đơn vị ký"),
    "signed": QT_TRANSLATE_NOOP("dossiers", "Đã ký đủ, chưa gửi"),
    "queued": QT_TRANSLATE_NOOP("dossiers", "Đang chờ gửi"),
    "attention": QT_TRANSLATE_NOOP("dossiers", "Kho bạc không nhận, cần xử lý"),
    "sent": QT_TRANSLATE_NOOP("dossiers", "Đã gửi"),
    "accepted": QT_TRANSLATE_NOOP("dossiers", "Đã kiểm soát, chờ thanh toán"),
    "rejected": QT_TRANSLATE_NOOP("dossiers", "Bị từ chối"),
    "paid": QT_TRANSLATE_NOOP("dossiers", "Đã thanh toán"),
}


def _fold(text: str) -> str:
    """Lower case without Vietnamese marks ("Lương" matches "luong")."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def parse_amount(text: str) -> int | None:
    """``"1.234.567"``, ``"1 234 567 đ"`` or ``"1234567"`` -> 1234567 (int đồng); else None."""
    digits = re.sub(r"[\s.,đ]|dong|đồng", "", text.strip().lower())
    return int(digits) if digits.isdigit() else None


@dataclass(frozen=True)
class DossierFilter:
    month: str = ""  # "2026-10" or "" for every month
    kind: str = ""  # "salary-table", … or ""
    stage: str = ""  # one of STAGES or ""
    text: str = ""  # part of the number, or an amount

    def accepts(self, row: Any) -> bool:
        if self.month and (row.period or "") != self.month:
            return False
        if self.kind and row.kind != self.kind:
            return False
        if self.stage and row.stage != self.stage:
            return False
        text = self.text.strip()
        if text:
            amount = parse_amount(text)
            number_hit = _fold(text) in _fold(row.number or "")
            amount_hit = amount is not None and row.total == amount
            if not (number_hit or amount_hit):
                return False
        return True


class DossierProxy(QSortFilterProxyModel):
    """The rows of a ``DossierModel`` that pass the current ``DossierFilter``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._filter = DossierFilter()
        self.setSortRole(Qt.ItemDataRole.DisplayRole)

    @property
    def filter(self) -> DossierFilter:
        return self._filter

    def set_filter(self, value: DossierFilter) -> None:
        if value != self._filter:
            self.beginFilterChange()
            self._filter = value
            self.endFilterChange()

    def filterAcceptsRow(self, source_row: int,  # noqa: N802
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        row = self.sourceModel().index(source_row, 0, source_parent).data(RowRole)
        return row is not None and self._filter.accepts(row)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex,  # noqa: N802
                 right: QModelIndex | QPersistentModelIndex) -> bool:
        if left.column() == COL_TOTAL:
            return (left.data(Qt.ItemDataRole.UserRole) or 0) < (right.data(Qt.ItemDataRole.UserRole) or 0)
        return super().lessThan(left, right)

    def rows(self) -> list[Any]:
        """The visible rows, in the order shown."""
        return [self.index(i, 0).data(RowRole) for i in range(self.rowCount())]


class DossierFilterBar(QWidget):
    """Month, kind, stage and a search field (number or amount) above the list."""

    changed = Signal(object)  # DossierFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dossierFilterBar")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)

        self.month_combo = QComboBox(self)
        self.month_combo.setObjectName("monthFilter")
        self.month_combo.setAccessibleName(self.tr("Lọc theo tháng"))
        self.kind_combo = QComboBox(self)
        self.kind_combo.setObjectName("kindFilter")
        self.kind_combo.setAccessibleName(self.tr("Lọc theo loại hồ sơ"))
        self.stage_combo = QComboBox(self)
        self.stage_combo.setObjectName("stageFilter")
        self.stage_combo.setAccessibleName(self.tr("Lọc theo trạng thái"))
        self.search = QLineEdit(self)
        self.search.setObjectName("searchField")
        self.search.setPlaceholderText(self.tr("Tìm theo số hồ sơ hoặc số tiền…"))
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Tìm hồ sơ"))
        self.clear_button = QPushButton(self.tr("&Bỏ lọc"), self)
        self.clear_button.setObjectName("clearFilters")

        self.kind_combo.addItem(self.tr("Mọi loại"), "")
        for kind, label in KIND_LABELS.items():
            self.kind_combo.addItem(translate("labels", label), kind)
        self.stage_combo.addItem(self.tr("Mọi trạng thái"), "")
        for stage in STAGES:
            self.stage_combo.addItem(translate("dossiers", STAGE_LABELS[stage]), stage)
        self.set_months([])

        month_label = QLabel(self.tr("&Tháng:"), self)
        month_label.setBuddy(self.month_combo)
        kind_label = QLabel(self.tr("&Loại:"), self)
        kind_label.setBuddy(self.kind_combo)
        stage_label = QLabel(self.tr("T&rạng thái:"), self)
        stage_label.setBuddy(self.stage_combo)
        search_label = QLabel(self.tr("Tìm (Ctrl+F):"), self)
        search_label.setBuddy(self.search)
        for combo, length in ((self.month_combo, 8), (self.kind_combo, 14), (self.stage_combo, 16)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(length)
        top = QHBoxLayout()
        for w in (month_label, self.month_combo, kind_label, self.kind_combo, stage_label,
                  self.stage_combo):
            top.addWidget(w)
        top.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(search_label)
        bottom.addWidget(self.search, 1)
        bottom.addWidget(self.clear_button)
        lay.addLayout(top)
        lay.addLayout(bottom)

        for combo in (self.month_combo, self.kind_combo, self.stage_combo):
            combo.currentIndexChanged.connect(self._emit)
        self.search.textChanged.connect(self._emit)
        self.clear_button.clicked.connect(self.clear)
        QWidget.setTabOrder(self.month_combo, self.kind_combo)
        QWidget.setTabOrder(self.kind_combo, self.stage_combo)
        QWidget.setTabOrder(self.stage_combo, self.search)
        QWidget.setTabOrder(self.search, self.clear_button)

    def set_months(self, periods: list[str]) -> None:
        """Offer these months (``"2026-10"``), newest first; keep the current choice."""
        current = self.month_combo.currentData() or ""
        months = sorted({p for p in periods if p}, reverse=True)
        if [self.month_combo.itemData(i) for i in range(1, self.month_combo.count())] == months \
                and self.month_combo.count():
            return
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        self.month_combo.addItem(self.tr("Mọi tháng"), "")
        for m in months:
            self.month_combo.addItem(period_label(m), m)
        index = self.month_combo.findData(current)
        self.month_combo.setCurrentIndex(max(0, index))
        self.month_combo.blockSignals(False)
        if index < 0 and current:
            self._emit()

    def value(self) -> DossierFilter:
        return DossierFilter(month=self.month_combo.currentData() or "",
                             kind=self.kind_combo.currentData() or "",
                             stage=self.stage_combo.currentData() or "",
                             text=self.search.text())

    def set_value(self, value: DossierFilter) -> None:
        for combo, data in ((self.month_combo, value.month), (self.kind_combo, value.kind),
                            (self.stage_combo, value.stage)):
            combo.setCurrentIndex(max(0, combo.findData(data)))
        self.search.setText(value.text)

    def clear(self) -> None:
        self.set_value(DossierFilter())

    def _emit(self, *_args: Any) -> None:
        self.changed.emit(self.value())
