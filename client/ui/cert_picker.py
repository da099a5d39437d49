"""The certificate picker: which certificate on the tokens signs for a role.

Built on ``client.signing.preflight.rank_candidates`` (the CLI uses the same
ranking): only certificates whose private key is on the token are offered,
usable ones first, then the one remembered for the role, the one registered
with the treasury for the role, the one whose ``MNS`` is the unit's, with
non-repudiation, valid the longest. Each row shows holder, organisation, the
``UID`` values (MNS, MST, CCCD/CMND), issuer, serial, validity and key usage;
a certificate that may not sign (expired, not yet valid, no signing key
usage) is shown greyed with the reason and cannot be chosen; warnings
(fewer than 30 days left, another unit's MNS, not registered with the
treasury for the role, PC clock off) are listed under the table — all
before any PIN is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.signing.certs import format_date_vn
from client.signing.preflight import Candidate, OnlineFacts, rank_candidates
from client.ui.labels import role_label
from client.ui.tables import read_only_rows

KEY_USAGE_VI = {
    "digitalSignature": QT_TRANSLATE_NOOP("CertificatePicker", "Ký số"),
    "nonRepudiation": QT_TRANSLATE_NOOP("CertificatePicker", "Chống chối bỏ"),
    "keyEncipherment": QT_TRANSLATE_NOOP("CertificatePicker", "Mã hóa khóa"),
    "dataEncipherment": QT_TRANSLATE_NOOP("CertificatePicker", "Mã hóa dữ liệu"),
    "keyAgreement": QT_TRANSLATE_NOOP("CertificatePicker", "Thỏa thuận khóa"),
    "keyCertSign": QT_TRANSLATE_NOOP("CertificatePicker", "Ký chứng thư"),
    "cRLSign": QT_TRANSLATE_NOOP("CertificatePicker", "Ký CRL"),
}


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("CertificatePicker", text)


@dataclass
class PickerFacts:
    """What the picker knows besides the token: the unit, and what the treasury said.

    ``online is None``: the treasury was not asked (nothing about registration
    is shown, no warning either — the caller decides).
    """

    unit_code: str | None = None
    online: OnlineFacts | None = None
    preferred: str | None = None  # token label / serial / SHA-256 remembered for the role


def uid_text(info: Any) -> str:
    parts = []
    for key in ("MNS", "MST", "CCCD", "CMND"):
        for value in (info.uids or {}).get(key, []):
            parts.append(f"{key}: {value}")
    return "\n".join(parts)


def serial_text(serial_hex: str) -> str:
    """The serial in groups of four hex digits (so a long serial wraps in its cell)."""
    return " ".join(serial_hex[i:i + 4] for i in range(0, len(serial_hex), 4))


def key_usage_text(info: Any) -> str:
    if not info.key_usage:
        return translate("CertificatePicker", "(không ghi)")
    order = list(KEY_USAGE_VI)
    names = sorted(info.key_usage, key=lambda k: order.index(k) if k in order else len(order))
    return ", ".join(_tr(KEY_USAGE_VI.get(k, k)) for k in names)


def marks_text(cand: Candidate) -> str:
    """The good marks of a candidate ("✓ Đúng mã đơn vị (MNS)", …)."""
    marks = []
    if cand.mns_matches:
        marks.append(translate("CertificatePicker", "✓ Đúng mã đơn vị (MNS)"))
    if cand.registered_for_role:
        marks.append(translate("CertificatePicker", "✓ Đã đăng ký với Kho bạc"))
    if cand.non_repudiation:
        marks.append(translate("CertificatePicker", "✓ Chống chối bỏ"))
    if cand.preferred:
        marks.append(translate("CertificatePicker", "Đã dùng lần trước"))
    return "\n".join(marks)


class CertificatePicker(QDialog):
    """Pick the signing certificate for ``role``; refused certificates cannot be chosen."""

    COLUMNS = (
        QT_TRANSLATE_NOOP("CertificatePicker", "Người sở hữu"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Tổ chức"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Mã định danh"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Cấp bởi"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Số sê-ri"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Hiệu lực"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Mục đích khóa"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Token"),
        QT_TRANSLATE_NOOP("CertificatePicker", "Đánh giá"),
    )
    COL_HOLDER, COL_ORG, COL_UIDS, COL_ISSUER, COL_SERIAL, COL_VALIDITY, COL_USAGE, COL_TOKEN, \
        COL_STATUS = range(9)
    WIDTHS = (165, 150, 160, 120, 150, 100, 115, 110, 260)

    def __init__(self, role: str, entries: list, facts: PickerFacts | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("certificatePicker")
        self.role = role
        self.facts = facts or PickerFacts()
        online = self.facts.online
        registered = online.registered if online is not None else None
        self.candidates: list[Candidate] = rank_candidates(
            entries, self.facts.unit_code, role, registered, preferred=self.facts.preferred)
        self.setWindowTitle(translate("CertificatePicker", "Chọn chứng thư số để ký — %s") % role_label(role))

        layout = QVBoxLayout(self)
        head = QLabel(translate("CertificatePicker", "Ký với vai trò: %s") % role_label(role), self)
        font = head.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 1)
        head.setFont(font)
        layout.addWidget(head)
        unit = self.facts.unit_code
        intro = translate("CertificatePicker", "Chỉ hiện chứng thư số có khóa ký trên token. Chứng thư số không dùng được "
                    "được hiện mờ kèm lý do.")
        if unit:
            intro += " " + translate("CertificatePicker", "Mã đơn vị của hồ sơ: %s.") % unit
        intro_label = QLabel(intro, self)
        intro_label.setWordWrap(True)
        layout.addWidget(intro_label)

        self.table = QTableWidget(len(self.candidates), len(self.COLUMNS), self)
        self.table.setObjectName("certificateTable")
        self.table.setHorizontalHeaderLabels([_tr(c) for c in self.COLUMNS])
        read_only_rows(self.table, word_wrap=True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate(self.WIDTHS):
            self.table.setColumnWidth(col, width)
        header.setSectionResizeMode(self.COL_STATUS, QHeaderView.ResizeMode.Stretch)
        for row, cand in enumerate(self.candidates):
            self._fill_row(row, cand)
        self.table.resizeRowsToContents()
        layout.addWidget(self.table, 1)

        self.detail = QLabel(self)
        self.detail.setObjectName("certificateWarnings")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.detail)
        self.general = QLabel(self)
        self.general.setObjectName("onlineWarnings")
        self.general.setWordWrap(True)
        self.general.setStyleSheet("color: #8a4b00;")
        general = [p.message for p in (online.problems if online is not None else [])]
        self.general.setText("\n".join(f"⚠ {m}" for m in general))
        self.general.setVisible(bool(general))
        layout.addWidget(self.general)
        self.empty_label = QLabel(translate("CertificatePicker", "Không có chứng thư số nào dùng được để ký. Hãy cắm token, "
                                      "hoặc liên hệ nhà cung cấp chữ ký số."), self)
        self.empty_label.setStyleSheet("color: #b71c1c;")
        self.empty_label.setWordWrap(True)
        first_usable = next((i for i, c in enumerate(self.candidates) if c.usable), -1)
        self.empty_label.setVisible(first_usable < 0)
        layout.addWidget(self.empty_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(translate("CertificatePicker", "Chọn"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(translate("CertificatePicker", "Hủy"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _i: self.accept() if self.selected() else None)
        if first_usable >= 0:
            self.table.selectRow(first_usable)
        self._selection_changed()
        self.resize(1420, 460)

    # -- rows ---------------------------------------------------------------------
    def _fill_row(self, row: int, cand: Candidate) -> None:
        info = cand.info
        if info is None:
            values = [translate("CertificatePicker", "(không đọc được)"), "", "", "", "", "", "", cand.entry.token_label,
                      "\n".join(p.message for p in cand.problems)]
        else:
            if cand.errors:
                status = "\n".join("✗ " + p.message for p in cand.errors)
            else:
                status = marks_text(cand)
                if cand.warnings:
                    status = "\n".join(filter(None, [status] + ["⚠ " + p.message
                                                                 for p in cand.warnings]))
            validity = f"{format_date_vn(info.not_before)} –\n{format_date_vn(info.not_after)}"
            values = [info.subject_cn, info.organisation, uid_text(info), info.issuer_cn,
                      serial_text(info.serial_hex), validity, key_usage_text(info), cand.entry.token_label,
                      status]
        grey = QBrush(QColor("#8a8a8a"))
        for col, value in enumerate(values):
            item = QTableWidgetItem(str(value or ""))
            item.setToolTip(values[self.COL_STATUS] or str(value or ""))
            if cand.usable:
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                if col == self.COL_STATUS and cand.warnings:
                    item.setForeground(QBrush(QColor("#8a4b00")))
                elif col == self.COL_STATUS:
                    item.setForeground(QBrush(QColor("#1b5e20")))
                if col == self.COL_HOLDER and row == 0:
                    bold = QFont(item.font())
                    bold.setBold(True)
                    item.setFont(bold)
            else:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setForeground(grey if col != self.COL_STATUS else QBrush(QColor("#b71c1c")))
            self.table.setItem(row, col, item)

    # -- selection ----------------------------------------------------------------
    def _selection_changed(self) -> None:
        cand = self.selected_candidate()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(cand is not None)
        if cand is None:
            self.detail.setText("")
            self.detail.setVisible(False)
            return
        warnings = [p.message for p in cand.warnings]
        self.detail.setText("\n".join(f"⚠ {m}" for m in warnings))
        self.detail.setStyleSheet("color: #8a4b00; font-weight: bold;")
        self.detail.setVisible(bool(warnings))

    def select_row(self, row: int) -> None:
        self.table.clearSelection()
        self.table.selectRow(row)

    def row_of(self, entry: Any) -> int:
        return next(i for i, c in enumerate(self.candidates) if c.entry is entry)

    def selected_candidate(self) -> Candidate | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        cand = self.candidates[rows.pop()]
        return cand if cand.usable else None

    def selected(self) -> Any | None:
        cand = self.selected_candidate()
        return cand.entry if cand is not None else None


def pick_certificate(parent: QWidget | None, role: str, entries: list,
                     facts: PickerFacts | None = None) -> Any | None:
    """A modal ``CertificatePicker``; the chosen ``CertEntry`` or ``None``."""
    dialog = CertificatePicker(role, entries, facts, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.selected()
        return None
    finally:
        dialog.deleteLater()
