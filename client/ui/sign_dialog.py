"""The signing dialogs and the flow that ties them together.

certificate picker → token flags checked (locked: refuse; low/final try:
warn) → PIN dialog → ``ctx.sign`` on the background runner, with a busy
indicator → a wrong PIN is shown (the message says how many tries remain)
and never retried by itself.

The PIN is read from the line edit once, handed to the background call and
dropped: it is never logged, stored or kept in an attribute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.errors import KbnnError, Problem, TokenError
from client.ui.labels import date_label, role_label

if TYPE_CHECKING:
    from client.ui.main_window import MainWindow

log = logging.getLogger("client.ui.sign")

CertChooser = Callable[[QWidget, str, list], Any]  # (parent, role, entries) -> entry | None
PinProvider = Callable[[QWidget, str, Any, Any, list], "str | None"]  # (parent, role, entry, token, warnings)


@dataclass
class Candidate:
    """A certificate entry with its facts and why it cannot be used (if it cannot)."""

    entry: Any
    info: Any | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def usable(self) -> bool:
        return self.info is not None and not self.errors


def describe(entry: Any) -> Candidate:
    from client.signing.certs import cert_info, check_usable

    try:
        info = cert_info(entry.cert_der)
    except KbnnError as exc:
        return Candidate(entry, None, exc.problems or [Problem("cert-unreadable", exc.message)])
    return Candidate(entry, info, check_usable(info))


def identifiers(info: Any) -> str:
    parts = []
    for key in ("MNS", "MST", "CCCD", "CMND"):
        for value in (info.uids or {}).get(key, []):
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _bold(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _buttons(ok_text: str) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    box.button(QDialogButtonBox.StandardButton.Cancel).setText("Hủy")
    return box


class CertificateDialog(QDialog):
    """Pick the signing certificate; only usable ones can be selected."""

    COLUMNS = ("Người sở hữu", "Tổ chức", "MNS / MST", "Cấp bởi", "Hiệu lực đến", "Token", "Tình trạng")

    def __init__(self, role: str, entries: list, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Chọn chứng thư số để ký — {role_label(role)}")
        self.setObjectName("certificateDialog")
        self.role = role
        self.candidates = [describe(e) for e in entries]

        layout = QVBoxLayout(self)
        layout.addWidget(_bold(f"Ký với vai trò: {role_label(role)}"))
        layout.addWidget(QLabel("Chọn chứng thư số trên token của bạn. Chứng thư không dùng được "
                                "được hiển thị mờ kèm lý do."))
        self.table = QTableWidget(len(self.candidates), len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        grey = QBrush(QColor("#808080"))
        first_usable = -1
        for row, cand in enumerate(self.candidates):
            info = cand.info
            if info is not None:
                status = "Dùng được" if not cand.problems else "; ".join(p.message for p in cand.problems)
                values = (info.subject_cn, info.organisation, identifiers(info), info.issuer_cn,
                          date_label(info.not_after), cand.entry.token_label, status)
            else:
                values = ("(không đọc được)", "", "", "", "", cand.entry.token_label,
                          "; ".join(p.message for p in cand.problems))
            for col, value in enumerate(values):
                item = QTableWidgetItem(str(value or ""))
                if cand.usable:
                    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                else:
                    item.setFlags(Qt.ItemFlag.NoItemFlags)
                    item.setForeground(grey)
                item.setToolTip(values[-1])
                self.table.setItem(row, col, item)
            if cand.usable and first_usable < 0:
                first_usable = row
        layout.addWidget(self.table)
        self.empty_label = QLabel("Không có chứng thư số nào dùng được để ký. Hãy cắm token, hoặc liên hệ "
                                  "nhà cung cấp chữ ký số.")
        self.empty_label.setVisible(first_usable < 0)
        self.empty_label.setStyleSheet("color: #b71c1c;")
        layout.addWidget(self.empty_label)
        self.buttons = _buttons("Chọn")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.itemSelectionChanged.connect(self._update_ok)
        self.table.doubleClicked.connect(lambda _i: self.accept() if self.selected() else None)
        if first_usable >= 0:
            self.table.selectRow(first_usable)
        self._update_ok()
        self.resize(900, 320)

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.selected() is not None)

    def select_row(self, row: int) -> None:
        self.table.clearSelection()
        self.table.selectRow(row)

    def selected(self) -> Any | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        cand = self.candidates[rows.pop()]
        return cand.entry if cand.usable else None


class PinDialog(QDialog):
    """Ask for the token PIN (or tell the user to type it on the token's own keypad)."""

    def __init__(self, role: str, token_label: str, signer: str = "", warnings: list | None = None,
                 protected_auth_path: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle("Nhập mã PIN của token")
        self.protected_auth_path = protected_auth_path
        layout = QVBoxLayout(self)
        layout.addWidget(_bold(f"Ký với vai trò: {role_label(role)}"))
        if signer:
            layout.addWidget(QLabel(f"Người ký: {signer}"))
        layout.addWidget(QLabel(f"Token: {token_label}"))
        self.warning_labels: list[QLabel] = []
        for w in warnings or []:
            label = QLabel(getattr(w, "message", str(w)))
            label.setWordWrap(True)
            label.setStyleSheet("color: #b71c1c; font-weight: bold;")
            self.warning_labels.append(label)
            layout.addWidget(label)
        self.edit: QLineEdit | None = None
        if protected_auth_path:
            layout.addWidget(_bold("Nhập PIN trên bàn phím của token"))
        else:
            layout.addWidget(QLabel("Mã PIN:"))
            self.edit = QLineEdit(self)
            self.edit.setObjectName("pinEdit")
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.edit.setMaxLength(64)
            self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
            self.edit.textChanged.connect(self._update_ok)
            layout.addWidget(self.edit)
        self.buttons = _buttons("Ký" if not protected_auth_path else "Tiếp tục")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update_ok()
        if self.edit is not None:
            self.edit.setFocus()

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self.edit is None or bool(self.edit.text()))

    def take_pin(self) -> str:
        """The PIN typed ("" on a protected authentication path); the field is cleared."""
        if self.edit is None:
            return ""
        pin = self.edit.text()
        self.edit.clear()
        return pin

    def done(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted and self.edit is not None:
            self.edit.clear()
        super().done(result)


def choose_certificate(parent: QWidget, role: str, entries: list) -> Any | None:
    """The default ``cert_chooser``: a modal ``CertificateDialog``."""
    dialog = CertificateDialog(role, entries, parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.selected()
        return None
    finally:
        dialog.deleteLater()


def ask_pin(parent: QWidget, role: str, entry: Any, token: Any, warnings: list) -> str | None:
    """The default ``pin_provider``: a modal ``PinDialog``; ``None`` when cancelled."""
    signer = ""
    try:
        from client.signing.certs import cert_info

        signer = cert_info(entry.cert_der).subject_cn
    except Exception:  # a bad certificate was already refused by the picker
        pass
    dialog = PinDialog(role, getattr(token, "label", "") or entry.token_label, signer, warnings,
                       bool(getattr(token, "protected_auth_path", False)), parent)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.take_pin()
        return None
    finally:
        dialog.deleteLater()


class SignFlow(QObject):
    """One signing attempt for one document as ``prepared.next_role``.

    ``finished(ok, message)``: ``ok`` is True when the document was signed;
    ``message`` is the Vietnamese text shown (empty when the user cancelled).
    """

    finished = Signal(bool, str)

    def __init__(self, window: MainWindow, local_id: int, prepared: Any) -> None:
        super().__init__(window)
        self.window = window
        self.local_id = local_id
        self.prepared = prepared
        self.role: str = prepared.next_role

    def start(self) -> None:
        ctx = self.window.ctx
        role = self.role

        def load() -> tuple[list, list]:
            entries = ctx.signing_candidates(role)
            tokens = ctx.tokens().tokens()
            return entries, tokens

        self.window.set_busy(True, "Đang đọc token…")
        self.window.runner.submit(load, self._on_candidates, self._on_failed)

    # -- steps (UI thread) ------------------------------------------------------
    def _on_candidates(self, result: tuple[list, list]) -> None:
        self.window.set_busy(False)
        entries, tokens = result
        if not entries:
            self._fail("Không tìm thấy chứng thư số nào có khóa ký trên token. Hãy cắm token "
                       "chữ ký số rồi thử lại.")
            return
        entry = self.window.cert_chooser(self.window, self.role, entries)
        if entry is None:
            self._cancel()
            return
        cand = describe(entry)
        if not cand.usable:
            self._fail("Chứng thư số đã chọn không dùng được để ký:\n"
                       + "\n".join(f"  - {p.message}" for p in cand.errors))
            return
        token = next((t for t in tokens if getattr(t, "serial", None) == entry.token_serial), None)
        if token is None:
            self._fail(f"Không tìm thấy token «{entry.token_label}». Hãy cắm lại token rồi thử lại.")
            return
        from client.app import pin_problems_before_asking

        problems = pin_problems_before_asking(token)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            self._fail("\n".join(p.message for p in errors))
            return
        warnings = [p for p in problems if p.severity != "error"] + cand.warnings
        pin = self.window.pin_provider(self.window, self.role, entry, token, warnings)
        if pin is None:
            self._cancel()
            return
        self._sign(entry, pin or None)

    def _sign(self, entry: Any, pin: str | None) -> None:
        ctx, local_id, role, prepared = self.window.ctx, self.local_id, self.role, self.prepared
        self.window.set_busy(True, f"Đang ký với vai trò {role_label(role)}… (làm theo hướng dẫn trên token nếu có)")

        def job() -> None:
            ctx.sign(local_id, role, entry, pin, prepared=prepared)

        # The task drops ``job`` (and with it the PIN) as soon as it has run.
        self.window.runner.submit(job, self._on_signed, self._on_failed)

    def _on_signed(self, _result: Any) -> None:
        self.window.set_busy(False)
        message = f"Đã ký số với vai trò {role_label(self.role)}."
        self.finished.emit(True, message)
        self.deleteLater()

    def _on_failed(self, exc: Exception) -> None:
        self.window.set_busy(False)
        if isinstance(exc, TokenError) and exc.code == "cancelled":
            self._cancel()
            return
        if isinstance(exc, KbnnError):
            self._fail(str(exc), exc)
        else:
            self._fail(f"Lỗi không mong đợi khi ký: {type(exc).__name__}: {exc}", exc)

    def _fail(self, message: str, exc: Exception | None = None) -> None:
        title = "Sai mã PIN" if isinstance(exc, TokenError) and exc.code == "pin-incorrect" else "Không ký được"
        self.window.show_error(title, message)
        self.finished.emit(False, message)
        self.deleteLater()

    def _cancel(self) -> None:
        self.window.statusBar().showMessage("Đã hủy ký.", 5000)
        self.finished.emit(False, "")
        self.deleteLater()
