"""The signing dialogs on their own, and the dossier table model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit

from client.errors import Problem
from client.store.documents import DocumentRow
from client.transport.outbox import OutboxItem
from client.ui.models import COL_STATUS, COL_TOTAL, DossierModel, build_rows
from client.ui.sign_dialog import PinDialog

pytestmark = pytest.mark.gui


def test_pin_dialog_reads_typed_pin_once_and_hides_it(qtbot):
    warn = Problem("pin-final-try", "CẢNH BÁO: đây là lần thử PIN cuối cùng.", "KTT", "warning")
    dlg = PinDialog("chief-accountant", "KTT-TAPHUAN", "NGUYỄN THỊ HOA", [warn])
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.edit.echoMode() == QLineEdit.EchoMode.Password
    assert not dlg.ok_button.isEnabled()  # nothing typed yet
    texts = " | ".join(w.text() for w in dlg.findChildren(QLabel))
    assert "KTT-TAPHUAN" in texts and "Kế toán trưởng" in texts and "lần thử PIN cuối cùng" in texts
    qtbot.keyClicks(dlg.edit, "111111")
    assert dlg.ok_button.isEnabled()
    qtbot.mouseClick(dlg.ok_button, Qt.MouseButton.LeftButton)
    assert dlg.result() == QDialog.DialogCode.Accepted
    assert dlg.take_pin() == "111111"
    assert dlg.edit.text() == ""  # not kept in the widget


def test_pin_dialog_cancel_clears_field(qtbot):
    dlg = PinDialog("head-of-unit", "TTDV-TAPHUAN")
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.keyClicks(dlg.edit, "222222")
    dlg.reject()
    assert dlg.result() == QDialog.DialogCode.Rejected and dlg.edit.text() == ""


def test_pin_dialog_protected_path_has_no_field(qtbot):
    dlg = PinDialog("head-of-unit", "PINPAD", protected_auth_path=True)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.edit is None and not dlg.findChildren(QLineEdit)
    assert any("Nhập PIN trên bàn phím của token" in w.text() for w in dlg.findChildren(QLabel))
    assert dlg.ok_button.isEnabled()
    dlg.accept()
    assert dlg.take_pin() == ""


def test_model_formats_money_and_treasury_status():
    doc = DocumentRow(local_id=7, doc_id="d", kind="salary-table", number="09/2026", period="2026-10",
                      total=1234567, state="sent", document_json=b"{}", package=b"x",
                      created_at="2026-10-25T01:00:00.000000+00:00",
                      updated_at="2026-10-25T01:00:00.000000+00:00", title="")
    item = OutboxItem(local_id=1, document_local_id=7, submission_id="s1", state="sent",
                      treasury_status="paid", status_text="Đã thanh toán", reason=None,
                      idempotency_key="k", document_number="09/2026", kind="salary-table",
                      total=1234567, attempts=1, next_try=None, last_error=None,
                      created_at="", updated_at="")
    model = DossierModel()
    model.set_rows(build_rows([doc], []))
    idx = model.index(0, COL_TOTAL)
    assert model.data(idx) == "1.234.567"
    assert model.data(idx, Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight
    assert model.data(model.index(0, 2)) == "10/2026"
    assert model.data(model.index(0, 5)) == "25/10/2026 08:00"  # Vietnam time
    assert model.data(model.index(0, COL_STATUS)) == "Đã gửi — Đã tiếp nhận"
    changed = model.set_rows(build_rows([doc], [item]))
    assert model.data(model.index(0, COL_STATUS)) == "Đã thanh toán"
    assert [(r.local_id, old) for r, old in changed] == [(7, "Đã gửi — Đã tiếp nhận")]
