"""The PIN dialog: the token's counters, a PIN field or "type the PIN on the device".

It shows what the token's flags say before anything is typed — PIN tries
normal, "count low" (a wrong PIN was entered, few tries left), "final try"
(one more wrong PIN locks the token), or locked (no field at all: nothing can
be tried). Tokens with a protected authentication path (a PIN pad or the
vendor's own dialog) get no field, only "enter the PIN on the device".

The dialog never retries by itself: it returns once, and ``take_pin`` hands
the typed PIN over and clears the field (cancelling clears it too). The PIN
is never stored in an attribute, logged or put in a message.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from client.ui.labels import role_label

COUNTER_NORMAL, COUNTER_LOW, COUNTER_FINAL, COUNTER_LOCKED = "normal", "count-low", "final-try", "locked"
_COUNTER_COLOURS = {COUNTER_NORMAL: "#1b5e20", COUNTER_LOW: "#8a4b00", COUNTER_FINAL: "#b71c1c",
                    COUNTER_LOCKED: "#b71c1c"}


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("PinDialog", text)


def counter_state(token: Any) -> str | None:
    """``normal`` / ``count-low`` / ``final-try`` / ``locked`` from a ``TokenInfo`` (``None``: unknown)."""
    if token is None:
        return None
    if getattr(token, "pin_locked", False):
        return COUNTER_LOCKED
    if getattr(token, "pin_final_try", False):
        return COUNTER_FINAL
    if getattr(token, "pin_count_low", False):
        return COUNTER_LOW
    return COUNTER_NORMAL


def counter_text(state: str) -> str:
    return {
        COUNTER_NORMAL: translate("PinDialog", "Số lần thử PIN: bình thường (chưa ghi nhận lần nhập sai nào)."),
        COUNTER_LOW: translate("PinDialog", "Số lần thử PIN: CÒN ÍT — token đã ghi nhận nhập sai PIN. Hãy kiểm tra "
                         "kỹ trước khi nhập."),
        COUNTER_FINAL: translate("PinDialog", "Số lần thử PIN: LẦN CUỐI CÙNG — nhập sai lần nữa, token sẽ bị khóa."),
        COUNTER_LOCKED: translate("PinDialog", "Mã PIN của token đã bị KHÓA. Hãy liên hệ nhà cung cấp chữ ký số để "
                            "mở khóa bằng mã PUK/SO PIN."),
    }[state]


class PinDialog(QDialog):
    """Ask for the token PIN (or tell the user to type it on the token's own keypad)."""

    def __init__(self, role: str, token_label: str, signer: str = "", warnings: list | None = None,
                 protected_auth_path: bool = False, parent: QWidget | None = None, *,
                 token: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle(translate("PinDialog", "Nhập mã PIN của token"))
        self.setMinimumWidth(460)
        if token is not None:
            protected_auth_path = protected_auth_path or bool(getattr(token, "protected_auth_path", False))
        self.protected_auth_path = protected_auth_path
        self.counter = counter_state(token)
        layout = QVBoxLayout(self)
        title = QLabel(translate("PinDialog", "Ký với vai trò: %s") % role_label(role), self)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        if signer:
            layout.addWidget(QLabel(translate("PinDialog", "Người ký: %s") % signer, self))
        layout.addWidget(QLabel(translate("PinDialog", "Token: %s") % token_label, self))

        self.counter_label: QLabel | None = None
        if self.counter is not None:
            self.counter_label = QLabel(counter_text(self.counter), self)
            self.counter_label.setObjectName("pinCounter")
            self.counter_label.setWordWrap(True)
            weight = "normal" if self.counter == COUNTER_NORMAL else "bold"
            self.counter_label.setStyleSheet(
                f"color: {_COUNTER_COLOURS[self.counter]}; font-weight: {weight};")
            layout.addWidget(self.counter_label)

        self.warning_labels: list[QLabel] = []
        for w in warnings or []:
            code = getattr(w, "code", "")
            if self.counter is not None and code in ("pin-locked", "pin-final-try", "pin-count-low"):
                continue  # the counter line says it already
            label = QLabel(getattr(w, "message", str(w)), self)
            label.setWordWrap(True)
            label.setStyleSheet("color: #b71c1c; font-weight: bold;")
            self.warning_labels.append(label)
            layout.addWidget(label)

        self.edit: QLineEdit | None = None
        self.device_label: QLabel | None = None
        if self.counter == COUNTER_LOCKED:
            pass  # nothing may be tried
        elif protected_auth_path:
            self.device_label = QLabel(translate("PinDialog", "Nhập PIN trên bàn phím của token"), self)
            self.device_label.setObjectName("pinOnDevice")
            dfont = self.device_label.font()
            dfont.setBold(True)
            self.device_label.setFont(dfont)
            layout.addWidget(self.device_label)
            hint = QLabel(translate("PinDialog", "Bấm «Tiếp tục», rồi nhập mã PIN trên thiết bị (bàn phím của token "
                              "hoặc cửa sổ của nhà cung cấp) khi được hỏi."), self)
            hint.setWordWrap(True)
            layout.addWidget(hint)
        else:
            layout.addWidget(QLabel(translate("PinDialog", "Mã PIN:"), self))
            self.edit = QLineEdit(self)
            self.edit.setObjectName("pinEdit")
            self.edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.edit.setMaxLength(64)
            self.edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
            self.edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
            self.edit.textChanged.connect(self._update_ok)
            layout.addWidget(self.edit)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        ok_text = translate("PinDialog", "Tiếp tục") if protected_auth_path else translate("PinDialog", "Ký")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            translate("PinDialog", "Đóng") if self.counter == COUNTER_LOCKED else translate("PinDialog", "Hủy"))
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
        if self.counter == COUNTER_LOCKED:
            self.ok_button.setEnabled(False)
            return
        self.ok_button.setEnabled(self.edit is None or bool(self.edit.text()))

    def accept(self) -> None:
        if self.counter == COUNTER_LOCKED:
            return
        super().accept()

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


def ask_pin(parent: QWidget | None, role: str, entry: Any, token: Any, warnings: list) -> str | None:
    """A modal ``PinDialog``: the PIN ("" on a PIN pad), ``None`` when cancelled or locked."""
    signer = ""
    try:
        from client.signing.certs import cert_info

        signer = cert_info(entry.cert_der).subject_cn
    except Exception:  # noqa: BLE001 - a bad certificate was already refused by the picker
        pass
    dialog = PinDialog(role, getattr(token, "label", "") or entry.token_label, signer, warnings,
                       bool(getattr(token, "protected_auth_path", False)), parent, token=token)
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.take_pin()
        return None
    finally:
        dialog.deleteLater()
