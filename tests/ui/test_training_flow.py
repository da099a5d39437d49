"""The whole foundation path through the GUI, on the training profile.

Real SoftHSM2 tokens, the real sandbox treasury on loopback, the real
database; only the two modal dialogs are replaced by hooks where a test
cannot type into them (the dialogs themselves are exercised in
test_dialogs.py and, for the PIN dialog, in the wrong-PIN test below).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication

from client.ui import sign_dialog
from client.ui.main_window import status_column_text, total_column_text
from tests.ui.helpers import (
    add_demo_draft,
    chooser_by_label,
    demo_local_id,
    package_entry,
    pin_from,
    read_document,
)

pytestmark = pytest.mark.gui


def wait_pdf(qtbot, window, local_id: int) -> None:
    qtbot.waitUntil(lambda: window.current_prepared is not None
                    and window.current_local_id == local_id
                    and window.pdf_document.status() == QPdfDocument.Status.Ready
                    and window.pdf_document.pageCount() >= 1, timeout=30_000)


def test_banner_is_permanent_and_says_training(window, training):
    banner = window.banner
    assert banner is not None and banner.isVisible()
    text = banner.text()
    assert "CHẾ ĐỘ TẬP HUẤN" in text and "không có giá trị thanh toán thật" in text
    assert training.sandbox.base_url in text
    assert "color: white" in banner.styleSheet() and "#c62828" in banner.styleSheet()
    # It sits above the menus (the menu widget), not in a closable dock or toolbar.
    assert window.menuWidget().isAncestorOf(banner)
    assert banner.geometry().top() <= window.menu_bar.geometry().top()


def test_f5_refreshes_from_the_keyboard(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    with qtbot.waitSignal(window.refresh_action.triggered, timeout=5_000):
        qtbot.keyClick(window.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.online is True and "trực tuyến" in window.connection_label.text(),
                    timeout=15_000)


def test_wrong_pin_shows_error_and_leaves_document_unsigned(qtbot, window, training):
    local_id = add_demo_draft(training.home, "TH-SAI-PIN")
    window.reload()
    qtbot.waitUntil(lambda: window.model.row_of(local_id) >= 0, timeout=10_000)
    window.select_local_id(local_id)
    wait_pdf(qtbot, window, local_id)
    assert window.sign_action.isEnabled()
    assert window.sign_action.text() == "Ký (Kế toán trưởng)…"

    window.cert_chooser = chooser_by_label(training.token_labels)
    pin_calls: list = []

    def real_dialog(*args):  # the real PinDialog, typed into by the test
        pin_calls.append(args[1])
        return sign_dialog.ask_pin(*args)

    window.pin_provider = real_dialog
    seen: dict = {}

    def type_wrong_pin() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, sign_dialog.PinDialog):
            QTimer.singleShot(50, type_wrong_pin)
            return
        seen["echo"] = dlg.edit.echoMode()
        qtbot.keyClicks(dlg.edit, "000000")
        seen["ok_enabled"] = dlg.ok_button.isEnabled()
        dlg.ok_button.click()

    QTimer.singleShot(50, type_wrong_pin)
    window.sign_action.trigger()
    qtbot.waitUntil(lambda: bool(window.last_error_text) and not window.busy, timeout=30_000)

    assert seen["ok_enabled"] and seen["echo"].name == "Password"
    assert window.last_error_title == "Sai mã PIN"
    assert "Mã PIN không đúng" in window.last_error_text
    assert window.last_message_box is not None and window.last_message_box.isVisible()
    assert "000000" not in window.last_error_text
    window.last_message_box.close()
    # No automatic retry: the PIN was asked exactly once.
    qtbot.wait(500)
    assert pin_calls == ["chief-accountant"]
    row = read_document(training.home, local_id)
    assert row.state == "draft" and row.package is None
    assert window.sign_action.isEnabled()  # the user may try again, by hand


def test_sign_twice_submit_and_follow_until_paid(qtbot, window, training, ctx):
    assert window.refresh_action.shortcut() == QKeySequence("F5")
    assert window.sign_action.shortcut() == QKeySequence("Ctrl+K")
    local_id = demo_local_id(window)
    assert read_document(training.home, local_id).state == "draft"
    window.select_local_id(local_id)
    wait_pdf(qtbot, window, local_id)

    # What is shown is exactly what will be signed.
    shown = window.shown_pdf_bytes()
    assert shown.startswith(b"%PDF") and shown == window.current_prepared.pdf
    assert window.current_prepared.next_role == "chief-accountant"
    assert total_column_text(window, local_id) == \
        window.model.data(window.model.index(window.model.row_of(local_id), 3))
    assert "." in total_column_text(window, local_id)
    assert window.signatures.rowCount() == 0
    assert not window.submit_action.isEnabled()

    roles: list = []
    pins: list = []
    window.cert_chooser = chooser_by_label(training.token_labels, roles)
    window.pin_provider = pin_from(training.pins, pins)

    # 1. chief accountant
    assert window.sign_action.text() == "Ký (Kế toán trưởng)…"
    window.sign_action.trigger()
    qtbot.waitUntil(lambda: read_document(training.home, local_id).state == "signed-partial",
                    timeout=30_000)
    qtbot.waitUntil(lambda: window.current_prepared is not None
                    and window.current_prepared.next_role == "head-of-unit"
                    and window.signatures.rowCount() == 1, timeout=30_000)
    row = read_document(training.home, local_id)
    assert package_entry(row.package, "document.pdf") == shown  # the bytes shown were signed
    assert window.shown_pdf_bytes() == shown
    assert window.signatures.item(0, 0).text() == "Kế toán trưởng"
    assert window.signatures.item(0, 3).text() == "Hợp lệ"
    assert window.signatures.item(0, 1).text()  # signer's name
    qtbot.waitUntil(lambda: "Chờ Thủ trưởng đơn vị ký" in status_column_text(window, local_id),
                    timeout=10_000)

    # 2. head of unit
    qtbot.waitUntil(lambda: window.sign_action.isEnabled(), timeout=10_000)
    assert window.sign_action.text() == "Ký (Thủ trưởng đơn vị)…"
    window.sign_action.trigger()
    qtbot.waitUntil(lambda: read_document(training.home, local_id).state == "signed", timeout=30_000)
    qtbot.waitUntil(lambda: window.signatures.rowCount() == 2 and window.submit_action.isEnabled(),
                    timeout=30_000)
    assert [window.signatures.item(i, 0).text() for i in range(2)] == ["Kế toán trưởng", "Thủ trưởng đơn vị"]
    assert {window.signatures.item(i, 3).text() for i in range(2)} == {"Hợp lệ"}
    assert not window.sign_action.isEnabled()
    assert roles == ["chief-accountant", "head-of-unit"]
    assert [p[0] for p in pins] == ["chief-accountant", "head-of-unit"]
    assert [p[1] for p in pins] == [training.token_labels["chief-accountant"],
                                   training.token_labels["head-of-unit"]]

    # 3. submit; the timer flushes and refreshes off the UI thread until paid
    window.submit_action.trigger()
    qtbot.waitUntil(lambda: status_column_text(window, local_id) == "Đã thanh toán", timeout=60_000)
    assert read_document(training.home, local_id).state == "paid"
    assert "Đã thanh toán" in window.statusBar().currentMessage()  # the change was announced
    assert window.online is True
    assert "trực tuyến" in window.connection_label.text()
    assert window.waiting_label.text() == "Chờ gửi: 0"
    assert "1047665" in window.unit_label.text()
    assert not window.submit_action.isEnabled()
    assert window.banner.isVisible()


def _flagged(token, **flags):
    import dataclasses

    return dataclasses.replace(token, **flags)


def test_locked_token_is_refused_and_final_try_is_warned(qtbot, window, training, ctx):
    """The flow reads the token's flags before asking: locked → refuse; final try → warn."""
    local_id = add_demo_draft(training.home, "TH-KHOA-PIN")
    window.reload()
    qtbot.waitUntil(lambda: window.model.row_of(local_id) >= 0, timeout=10_000)
    window.select_local_id(local_id)
    wait_pdf(qtbot, window, local_id)
    entries = ctx.signing_candidates("chief-accountant")
    tokens = ctx.tokens().tokens()
    label = training.token_labels["chief-accountant"]
    window.cert_chooser = chooser_by_label(training.token_labels)
    asked: list = []
    window.pin_provider = lambda *a: asked.append([w.code for w in a[4]])  # returns None: cancel

    locked = [_flagged(t, pin_locked=True) if t.label == label else t for t in tokens]
    flow = sign_dialog.SignFlow(window, local_id, window.current_prepared)
    flow._on_candidates((entries, locked))
    assert asked == []  # never asked for a PIN
    assert window.last_error_title == "Không ký được" and "khóa" in window.last_error_text
    window.last_message_box.close()

    final = [_flagged(t, pin_final_try=True) if t.label == label else t for t in tokens]
    flow = sign_dialog.SignFlow(window, local_id, window.current_prepared)
    flow._on_candidates((entries, final))
    assert asked == [["pin-final-try"]]
    assert read_document(training.home, local_id).state == "draft"
