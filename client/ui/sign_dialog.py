"""The signing flow and the legacy certificate table.

``SignFlow``: the core's gate for a draft (errors refuse; warnings need a
recorded confirmation — ``ctx.signing_gate`` / ``ctx.confirm_warnings``) →
tokens, certificates and what the treasury says (registered signers, clock)
→ certificate picker (``cert_picker``) → what is known before the PIN
(``preflight.before_pin``: locked refuses, warnings shown) → PIN dialog
(``pin_dialog``) → ``ctx.sign`` on the background runner, with a busy
indicator → a wrong PIN is shown (the message says how many tries remain)
and never retried by itself.

The PIN is read from the line edit once, handed to the background call and
dropped: it is never logged, stored or kept in an attribute.
The certificate picker is ``cert_picker.CertificatePicker``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import (
    QWidget,
)

from client.errors import KbnnError, TokenError
from client.ui.labels import role_label
from client.ui.pin_dialog import PinDialog, ask_pin

__all__ = ["PinDialog", "SignFlow", "ask_pin", "choose_certificate", "confirm_warnings_dialog"]

if TYPE_CHECKING:
    from client.ui.main_window import MainWindow

log = logging.getLogger("client.ui.sign")
translate = QCoreApplication.translate

CertChooser = Callable[[QWidget, str, list], Any]  # (parent, role, entries) -> entry | None
PinProvider = Callable[[QWidget, str, Any, Any, list], "str | None"]  # (parent, role, entry, token, warnings)


def choose_certificate(parent: QWidget, role: str, entries: list) -> Any | None:
    """The default ``cert_chooser``: a modal ``CertificatePicker`` (``cert_picker``).

    What the running ``SignFlow`` learnt before (the unit, the treasury's
    registered signers and clock) reaches the picker through
    ``parent.picker_facts``.
    """
    from client.ui.cert_picker import pick_certificate

    return pick_certificate(parent, role, entries, getattr(parent, "picker_facts", None))


def confirm_warnings_dialog(parent: QWidget, warnings: list) -> bool:
    """The default ``warning_confirmer``: the warnings listed, "checked, sign anyway" or go back."""
    from PySide6.QtWidgets import QMessageBox

    shown = "\n".join(f"• {p.message}" for p in warnings[:15])
    more = len(warnings) - 15
    if more > 0:
        shown += "\n" + translate("SignFlow", "… và %d cảnh báo khác.") % more
    box = QMessageBox(QMessageBox.Icon.Warning, translate("SignFlow", "Xác nhận cảnh báo"),
                      translate("SignFlow", "Hồ sơ còn %d cảnh báo. Bạn đã kiểm tra và vẫn muốn ký?")
                      % len(warnings), QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                      parent)
    box.setInformativeText(shown)
    box.button(QMessageBox.StandardButton.Yes).setText(translate("SignFlow", "Đã kiểm tra, vẫn ký"))
    box.button(QMessageBox.StandardButton.No).setText(translate("SignFlow", "Quay lại"))
    try:
        return box.exec() == QMessageBox.StandardButton.Yes
    finally:
        box.deleteLater()


def unit_code_of(prepared: Any) -> str | None:
    doc = getattr(prepared, "document", None)
    unit = doc.get("unit") if isinstance(doc, dict) else None
    code = unit.get("code") if isinstance(unit, dict) else None
    return str(code) if code else None


def treasury_facts(ctx: Any, unit_code: str | None, role: str | None = None) -> Any:
    """``PickerFacts`` with what the treasury says and the certificate remembered for ``role``
    (worker thread; never raises)."""
    from client.signing.preflight import OnlineFacts, online_facts
    from client.ui.cert_picker import PickerFacts

    try:
        api = ctx.api()
    except KbnnError as exc:
        online = OnlineFacts.not_checked(exc.message)
    else:
        online = online_facts(api, unit_code)
    preferred = None
    home = getattr(ctx, "home", None)
    if role and home is not None:
        try:
            preferred = home.get("signers", role) or None
        except Exception:  # noqa: BLE001 - a remembered choice is only a preference
            preferred = None
    return PickerFacts(unit_code=unit_code, online=online, preferred=preferred)


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
        """Gate (errors refuse, warnings need a recorded confirmation), then the tokens."""
        ctx, local_id = self.window.ctx, self.local_id

        self.window.set_busy(True, translate("SignFlow", "Đang kiểm tra hồ sơ trước khi ký…"))
        # None once signed: later signatures are not re-gated (decided in the core)
        self.window.runner.submit(lambda: ctx.signing_gate(local_id), self._on_gate, self._on_failed)

    def _on_gate(self, gate: Any) -> None:
        self.window.set_busy(False)
        if gate is not None and gate.errors:
            shown = "\n".join(f"  - {p.message}" for p in gate.errors[:10])
            self._fail(translate("SignFlow", "Chưa ký được: hồ sơ còn %d lỗi phải sửa:") % len(gate.errors)
                       + "\n" + shown)
            return
        if gate is not None and gate.unconfirmed:
            confirmer = getattr(self.window, "warning_confirmer", None)
            if confirmer is None:  # this window offers no confirmation: refuse before the PIN
                shown = "\n".join(f"  - {p.message}" for p in gate.unconfirmed[:10])
                self._fail(translate("SignFlow", "Chưa ký được: còn %d cảnh báo chưa được xác nhận:")
                           % len(gate.unconfirmed) + "\n" + shown)
                return
            if not confirmer(self.window, list(gate.unconfirmed)):
                self._cancel()
                return
            ctx, local_id = self.window.ctx, self.local_id
            codes = sorted({p.code for p in gate.unconfirmed})
            doc = getattr(self.prepared, "document", None)
            by = str((doc or {}).get("prepared_by") or "") or translate("SignFlow", "Người dùng phần mềm")
            self.window.set_busy(True, translate("SignFlow", "Đang ghi nhận xác nhận cảnh báo…"))
            self.window.runner.submit(lambda: ctx.confirm_warnings(local_id, codes, by),
                                      lambda _r: self._load(), self._on_failed)
            return
        self._load()

    def _load(self) -> None:
        ctx = self.window.ctx
        role = self.role
        unit_code = unit_code_of(self.prepared)

        def load() -> tuple[list, list, Any]:
            entries = ctx.signing_candidates(role)
            tokens = ctx.tokens().tokens()
            return entries, tokens, treasury_facts(ctx, unit_code, role)

        self.window.set_busy(True, translate("SignFlow", "Đang đọc token…"))
        self.window.runner.submit(load, self._on_candidates, self._on_failed)

    # -- steps (UI thread) ------------------------------------------------------
    def _on_candidates(self, result: tuple) -> None:
        """``result``: (entries, tokens) or (entries, tokens, PickerFacts)."""
        self.window.set_busy(False)
        entries, tokens = result[0], result[1]
        facts = result[2] if len(result) > 2 else None
        self.window.picker_facts = facts
        if not entries:
            self._fail(translate("SignFlow", "Không tìm thấy chứng thư số nào có khóa ký trên token. "
                                             "Hãy cắm token chữ ký số rồi thử lại."))
            return
        entry = self.window.cert_chooser(self.window, self.role, entries)
        if entry is None:
            self._cancel()
            return
        from client.signing.preflight import before_pin, describe_candidate

        online = facts.online if facts is not None else None
        cand = describe_candidate(entry, facts.unit_code if facts else None, self.role,
                                  online.registered if online is not None else None)
        if not cand.usable:
            self._fail(translate("SignFlow", "Chứng thư số đã chọn không dùng được để ký:") + "\n"
                       + "\n".join(f"  - {p.message}" for p in cand.errors))
            return
        token = next((t for t in tokens if getattr(t, "serial", None) == entry.token_serial), None)
        if token is None:
            self._fail(translate("SignFlow", "Không tìm thấy token «%s». Hãy cắm lại token rồi thử lại.")
                       % entry.token_label)
            return
        if online is None:  # the treasury was not asked: only the certificate and the token
            from client.app import pin_problems_before_asking

            problems = pin_problems_before_asking(token) + cand.problems
        else:
            problems = before_pin(cand, token, online)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            self._fail("\n".join(p.message for p in errors))
            return
        warnings = [p for p in problems if p.severity != "error"]
        pin = self.window.pin_provider(self.window, self.role, entry, token, warnings)
        if pin is None:
            self._cancel()
            return
        self._sign(entry, pin or None)

    def _sign(self, entry: Any, pin: str | None) -> None:
        ctx, local_id, role, prepared = self.window.ctx, self.local_id, self.role, self.prepared
        self.window.set_busy(True, translate("SignFlow", "Đang ký với vai trò %s… (làm theo hướng dẫn trên "
                                                         "token nếu có)") % role_label(role))

        def job() -> None:
            ctx.sign(local_id, role, entry, pin, prepared=prepared)

        # The task drops ``job`` (and with it the PIN) as soon as it has run.
        self.window.runner.submit(job, self._on_signed, self._on_failed)

    def _on_signed(self, _result: Any) -> None:
        self.window.set_busy(False)
        message = translate("SignFlow", "Đã ký số với vai trò %s.") % role_label(self.role)
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
            self._fail(translate("SignFlow", "Lỗi không mong đợi khi ký: %s") % f"{type(exc).__name__}: {exc}",
                       exc)

    def _fail(self, message: str, exc: Exception | None = None) -> None:
        title = (translate("SignFlow", "Sai mã PIN") if isinstance(exc, TokenError) and exc.code == "pin-incorrect"
                 else translate("SignFlow", "Không ký được"))
        self.window.show_error(title, message)
        self.finished.emit(False, message)
        self.deleteLater()

    def _cancel(self) -> None:
        self.window.statusBar().showMessage(translate("SignFlow", "Đã hủy ký."), 5000)
        self.finished.emit(False, "")
        self.deleteLater()
