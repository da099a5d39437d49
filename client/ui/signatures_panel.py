"""The signatures panel: every signature of a document or package, checked.

One row per signature: role, signer, signing time, certificate (holder,
issuer, serial), verdict (hợp lệ / không hợp lệ / chưa xác định) and the
Vietnamese reasons; above them, the overall verdict of the package. It shows
a ``client.signing.verify.VerificationReport`` (the one verifier the CLI and
the sandbox use) and never verifies anything itself.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from client.ui.labels import role_label, time_label

GOOD = "#1b5e20"
BAD = "#b71c1c"
UNSURE = "#8a6d00"
VERDICT_COLOURS = {"valid": GOOD, "invalid": BAD, "indeterminate": UNSURE}


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("SignaturesPanel", text)


def verdict_text(verdict: str) -> str:
    return {"valid": translate("SignaturesPanel", "Hợp lệ"), "invalid": translate("SignaturesPanel", "Không hợp lệ"),
            "indeterminate": translate("SignaturesPanel", "Chưa xác định")}.get(verdict, verdict)


def certificate_text(sig: Any) -> str:
    """Holder — issuer — serial of the signer's certificate (empty when unreadable)."""
    brief = sig.certificate_brief() if hasattr(sig, "certificate_brief") else None
    if not brief:
        return ""
    parts = [brief.get("holder") or "?"]
    uids = brief.get("uids") or {}
    ids = [f"{k}: {v}" for k in ("MNS", "MST", "CCCD", "CMND") for v in uids.get(k, [])]
    if ids:
        parts.append(", ".join(ids))
    parts.append(translate("SignaturesPanel", "cấp bởi %s") % (brief.get("issuer") or "?"))
    parts.append(translate("SignaturesPanel", "số sê-ri %s") % (brief.get("serial") or "?"))
    return " — ".join(parts)


def _short(message: str) -> str:
    """A reason without its leading "Chữ ký số của Kế toán trưởng: " (the row says whose)."""
    head, sep, rest = message.partition(": ")
    return rest if sep and head.startswith("Chữ ký số") and rest else message


def reasons_text(reasons: list) -> str:
    """Errors first, then warnings marked "Lưu ý"."""
    errors = [_short(p.message) for p in reasons if p.severity == "error"]
    notes = [_short(p.message) for p in reasons if p.severity != "error"]
    parts = errors + [translate("SignaturesPanel", "Lưu ý: %s") % n for n in notes]
    return "\n".join(parts)


def overall_verdict(report: Any) -> tuple[str, str]:
    """(verdict, Vietnamese sentence) for a whole package report."""
    if report is None:
        return "indeterminate", translate("SignaturesPanel", "Chưa kiểm tra chữ ký số.")
    sigs = list(report.signatures)
    if not report.valid:
        return "invalid", translate("SignaturesPanel", "Gói hồ sơ KHÔNG HỢP LỆ.")
    if any(s.verdict == "indeterminate" for s in sigs):
        return "indeterminate", translate("SignaturesPanel", "Chưa xác định được tính hợp lệ của chữ ký số.")
    if not sigs:
        return "indeterminate", translate("SignaturesPanel", "Hồ sơ chưa có chữ ký số.")
    if not report.complete:
        return "valid", translate("SignaturesPanel", "Các chữ ký số hợp lệ, nhưng hồ sơ chưa đủ chữ ký của Kế toán trưởng "
                            "và Thủ trưởng đơn vị.")
    return "valid", translate("SignaturesPanel", "Gói hồ sơ HỢP LỆ: đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị.")


class SignaturesModel(QAbstractTableModel):
    """The rows of a report's signatures (role, signer, time, certificate, verdict, reasons)."""

    HEADERS = (
        QT_TRANSLATE_NOOP("SignaturesPanel", "Vai trò"),
        QT_TRANSLATE_NOOP("SignaturesPanel", "Người ký"),
        QT_TRANSLATE_NOOP("SignaturesPanel", "Thời gian ký"),
        QT_TRANSLATE_NOOP("SignaturesPanel", "Chứng thư số"),
        QT_TRANSLATE_NOOP("SignaturesPanel", "Kết quả"),
        QT_TRANSLATE_NOOP("SignaturesPanel", "Lý do"),
    )
    COL_CERT = 3
    COL_VERDICT = 4
    COL_REASONS = 5

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, ...]] = []
        self._verdicts: list[str] = []

    def set_signatures(self, signatures: list) -> None:
        self.beginResetModel()
        self._rows, self._verdicts = [], []
        for s in signatures:
            reasons = reasons_text(s.reasons)
            role = role_label(s.role) if s.role else translate("SignaturesPanel", "(không rõ vai trò)")
            self._rows.append((role, s.signer_name or "?", time_label(s.signing_time),
                               certificate_text(s), verdict_text(s.verdict), reasons))
            self._verdicts.append(s.verdict)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.HEADERS[section])
        return None

    def verdict(self, row: int) -> str:
        return self._verdicts[row]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[row][col]
        if role == Qt.ItemDataRole.ForegroundRole and col == self.COL_VERDICT:
            return QBrush(QColor(VERDICT_COLOURS.get(self._verdicts[row], UNSURE)))
        return None


class SignaturesPanel(QWidget):
    """Overall verdict, one row per signature, and the package-level problems."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signaturesPanel")
        self.report: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.verdict_label = QLabel(self)
        self.verdict_label.setObjectName("overallVerdict")
        self.verdict_label.setWordWrap(True)
        layout.addWidget(self.verdict_label)
        self.model = SignaturesModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("signaturesView")
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(52)  # three short lines; the detail has all
        self.view.setMaximumHeight(32 + 52 * 4)  # room for a few signatures; the detail follows
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(SignaturesModel.COL_REASONS, QHeaderView.ResizeMode.Stretch)
        # The certificate is long: it goes in the detail under the table, not in a column.
        self.view.setColumnHidden(SignaturesModel.COL_CERT, True)
        layout.addWidget(self.view)
        self.detail_label = QLabel(self)
        self.detail_label.setObjectName("signatureDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.detail_label)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._show_detail())
        self.problems_label = QLabel(self)
        self.problems_label.setObjectName("packageProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.problems_label)
        layout.addStretch(1)
        self.set_report(None)

    def set_report(self, report: Any) -> None:
        """Show ``report`` (a ``VerificationReport``; ``None`` clears the panel)."""
        self.report = report
        self.model.set_signatures(list(report.signatures) if report is not None else [])
        verdict, sentence = overall_verdict(report)
        self.verdict = verdict
        colour = VERDICT_COLOURS[verdict]
        self.verdict_label.setText(sentence)
        self.verdict_label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 11pt;")
        # Problems not tied to one signature (entries changed, added, missing…).
        own = set()
        if report is not None:
            for s in report.signatures:
                own.update(id(p) for p in s.reasons)
        rest = [p for p in (report.problems if report is not None else []) if id(p) not in own]
        lines = []
        for p in rest:
            mark = translate("SignaturesPanel", "Lỗi") if p.severity == "error" else translate("SignaturesPanel", "Lưu ý")
            where = f" ({p.where})" if p.where else ""
            lines.append(f"• [{mark}] {p.message}{where}")
        self.problems_label.setText("\n".join(lines))
        self.problems_label.setVisible(bool(lines))
        if self.model.rowCount():
            bad = [r for r in range(self.model.rowCount()) if self.model.verdict(r) != "valid"]
            self.view.selectRow(bad[0] if bad else 0)
        self._show_detail()

    def _show_detail(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows or self.report is None:
            self.detail_label.setText("")
            self.detail_label.setVisible(False)
            return
        row = rows[0].row()
        cert = self.model.index(row, SignaturesModel.COL_CERT).data()
        reasons = self.model.index(row, SignaturesModel.COL_REASONS).data()
        text = translate("SignaturesPanel", "Chứng thư số: %s") % (cert or translate("SignaturesPanel", "(không đọc được)"))
        if reasons:
            text += "\n" + translate("SignaturesPanel", "Lý do: %s") % reasons
        self.detail_label.setText(text)
        self.detail_label.setVisible(True)

    def problem_texts(self) -> list[str]:
        """Every message shown (signature reasons and package problems), for callers and tests."""
        if self.report is None:
            return []
        return [p.message for p in self.report.problems]
