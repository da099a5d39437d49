"""The table editor (issue 6 §6): edit, undo/redo, paste from Excel, checks that jump, total, preview, sign."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelection, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QStyleOptionViewItem

from client.money import amount_in_words
from client.ui.editor_model import salary_spec, voucher_spec
from client.ui.table_editor import TableEditor, open_editors
from tests.ui.helpers import chooser_by_label, pin_from, read_document

pytestmark = pytest.mark.gui


@pytest.fixture
def document(training) -> dict:
    from client.training.setup import demo_salary_table

    return demo_salary_table(training.home.require_unit(), number="TH-SOAN-01")


@pytest.fixture
def editor(qtbot, document):
    ed = TableEditor(salary_spec(), document)
    qtbot.addWidget(ed)
    ed.show()
    qtbot.waitUntil(lambda: ed.checks_current, timeout=10_000)
    yield ed
    ed.close()


def col(ed: TableEditor, key: str) -> int:
    return ed.spec.column_of(key)


def cell(ed: TableEditor, row: int, key: str) -> str:
    return ed.model.index(row, col(ed, key)).data()


def test_edit_amount_updates_total_and_words_then_undo_redo(qtbot, editor, document):
    start = document["total"]
    assert editor.model.total == start
    assert f"{start:,}".replace(",", ".") in editor.total_text
    first = document["lines"][0]
    idx = editor.model.index(0, col(editor, "amount"))
    assert editor.model.setData(idx, "13.000.000")
    assert cell(editor, 0, "amount") == "13.000.000"
    new_total = start - first["amount"] + 13_000_000
    assert editor.model.total == new_total
    assert f"{new_total:,}".replace(",", ".") in editor.total_text
    assert amount_in_words(new_total) in editor.words_text
    assert editor.model.document()["total"] == new_total
    editor.undo_action.trigger()
    assert editor.model.total == start and cell(editor, 0, "amount") == f"{first['amount']:,}".replace(",", ".")
    editor.redo_action.trigger()
    assert editor.model.total == new_total
    # Unreadable input is refused and said, nothing changes.
    assert not editor.model.setData(idx, "mười triệu")
    assert editor.model.total == new_total
    assert "Dòng 1" in editor.last_notice


def test_editing_a_part_moves_the_amount_with_it(qtbot, editor, document):
    line = document["lines"][1]
    assert line["amount"] == sum(line["parts"].values())
    assert editor.model.setData(editor.model.index(1, col(editor, "parts.bonus")), "500000")
    assert cell(editor, 1, "parts.bonus") == "500.000"
    assert cell(editor, 1, "amount") == f"{line['amount'] + 500_000:,}".replace(",", ".")
    assert editor.model.total == document["total"] + 500_000
    editor.undo_action.trigger()  # one step undoes both
    assert cell(editor, 1, "amount") == f"{line['amount']:,}".replace(",", ".")
    assert editor.model.total == document["total"]


def test_paste_from_excel_adds_rows_cleans_and_is_one_undo_step(qtbot, editor, document):
    n = editor.model.rowCount()
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn Mới")
    text = (f"{nfd}\t0123-456 789\tVietcombank - CN Hà Nội\t1.500.000\r\n"
            "Lê Thị Hai\t9876.543.210\tAgribank\t2500000\r\n")
    editor.jump_to(n - 1, col(editor, "name"))
    QGuiApplication.clipboard().setText(text)
    QApplication.sendEvent(editor.view, _key_paste())
    # pasted from the last line down: the last line is overwritten, one line added
    assert editor.model.rowCount() == n + 1
    assert editor.last_paste is not None and editor.last_paste.rows == 2 and editor.last_paste.added == 1
    assert cell(editor, n - 1, "name") == "Nguyễn Văn Mới"
    assert unicodedata.is_normalized("NFC", editor.model.lines[n - 1]["name"])
    assert cell(editor, n - 1, "account") == "0123456789"
    assert cell(editor, n, "account") == "9876543210"
    assert cell(editor, n, "amount") == "2.500.000"
    old_last = document["lines"][-1]["amount"]
    assert editor.model.total == document["total"] - old_last + 1_500_000 + 2_500_000
    editor.undo_action.trigger()
    assert editor.model.rowCount() == n and editor.model.total == document["total"]
    assert cell(editor, n - 1, "name") == document["lines"][-1]["name"]


def test_copy_gives_excel_text_that_pastes_back(qtbot, editor, document):
    sel = editor.view.selectionModel()
    top, bottom = editor.model.index(0, col(editor, "name")), editor.model.index(1, col(editor, "amount"))
    sel.select(QItemSelection(top, bottom), sel.SelectionFlag.ClearAndSelect)
    seq = QKeySequence(QKeySequence.StandardKey.Copy)[0]
    QApplication.sendEvent(editor.view, QKeyEvent(QEvent.Type.KeyPress, seq.key(), seq.keyboardModifiers()))
    text = QGuiApplication.clipboard().text()
    first, second = document["lines"][0], document["lines"][1]
    assert text == (f"{first['name']}\t{first['account']}\t{first['bank']}\t{first['amount']}\r\n"
                    f"{second['name']}\t{second['account']}\t{second['bank']}\t{second['amount']}\r\n")
    n = editor.model.rowCount()
    editor.jump_to(n - 1, col(editor, "name"))
    editor.paste_text(text)
    assert editor.model.rowCount() == n + 1
    assert cell(editor, n, "name") == second["name"] and editor.model.lines[n]["amount"] == second["amount"]


def _key_paste() -> QKeyEvent:
    seq = QKeySequence(QKeySequence.StandardKey.Paste)[0]
    return QKeyEvent(QEvent.Type.KeyPress, seq.key(), seq.keyboardModifiers())


def test_checks_panel_names_the_cell_and_jumps_to_it(qtbot, editor):
    assert editor.model.setData(editor.model.index(4, col(editor, "account")), "12AB")
    qtbot.waitUntil(lambda: editor.checks_current and editor.checks_list.count() > 0, timeout=10_000)
    items = [editor.checks_list.item(i) for i in range(editor.checks_list.count())]
    hit = next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == "lines[4].account")
    assert "Dòng 5" in hit.text() and "[Lỗi]" in hit.text()
    assert "lỗi" in editor.checks_label.text()
    # the cell is coloured and explains itself
    idx = editor.model.index(4, col(editor, "account"))
    assert idx.data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "Dòng 5" in idx.data(Qt.ItemDataRole.ToolTipRole)
    editor.jump_to(0, 0)
    editor.checks_list.itemClicked.emit(hit)
    current = editor.view.currentIndex()
    assert (current.row(), current.column()) == (4, col(editor, "account"))
    # fixing it clears the error
    assert editor.model.setData(idx, "1234 5678 90")
    qtbot.waitUntil(lambda: editor.checks_current, timeout=10_000)
    assert not any(p.where == "lines[4].account" for p in editor.problems)


def test_delete_clears_cells_and_rows_can_be_added_and_removed(qtbot, editor, document):
    n = editor.model.rowCount()
    editor.jump_to(0, col(editor, "parts.salary"))
    QApplication.sendEvent(editor.view, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Delete,
                                                  Qt.KeyboardModifier.NoModifier))
    assert cell(editor, 0, "parts.salary") == ""  # a zero part shows as an empty cell
    assert editor.model.lines[0]["parts"]["salary"] == 0
    assert editor.model.total == document["total"] - document["lines"][0]["amount"]  # amount followed
    editor.undo_action.trigger()
    assert editor.model.total == document["total"]
    editor.jump_to(2, col(editor, "note"))
    editor.add_action.trigger()
    assert editor.model.rowCount() == n + 1 and cell(editor, 3, "name") == ""
    sel = editor.view.selectionModel()
    sel.select(editor.model.index(3, 0), sel.SelectionFlag.ClearAndSelect | sel.SelectionFlag.Rows)
    assert editor.selected_rows() == [3]
    editor.delete_action.trigger()
    assert editor.model.rowCount() == n
    assert cell(editor, 3, "name") == document["lines"][3]["name"]


def test_ten_thousand_rows_without_widgets_per_row(qtbot, document):
    line = dict(document["lines"][0])
    big = dict(document, lines=[dict(line, name=f"Người {i}", account=f"{10**9 + i}") for i in range(10_000)])
    ed = TableEditor(salary_spec(), big)
    qtbot.addWidget(ed)
    ed.show()
    assert ed.model.rowCount() == 10_000
    assert ed.model.total == 10_000 * line["amount"]
    assert len(ed.findChildren(QLineEdit)) < 5  # no per-row widgets
    ed.jump_to(9_999, col(ed, "amount"))
    assert ed.model.setData(ed.model.index(9_999, col(ed, "amount")), "1")
    assert ed.model.total == 9_999 * line["amount"] + 1
    qtbot.waitUntil(lambda: ed.checks_current, timeout=30_000)
    ed.close()


def test_print_preview_shows_the_rendered_form(qtbot, editor):
    editor.preview_action.trigger()
    qtbot.waitUntil(lambda: editor.preview is not None and editor.preview.isVisible(), timeout=30_000)
    assert editor.preview.pdf.startswith(b"%PDF")
    qtbot.waitUntil(lambda: editor.preview.document.pageCount() >= 1, timeout=10_000)
    editor.preview.close()


def test_voucher_editor_is_the_same_editor_with_an_ndkt_completer(qtbot):
    spec = voucher_spec(lambda: ["6001", "6051", "6501"])
    ed = TableEditor(spec, {"kind": "voucher-list", "lines": []})
    qtbot.addWidget(ed)
    ed.show()
    assert [ed.model.headerData(i, Qt.Orientation.Horizontal) for i in range(ed.model.columnCount())] == \
        ["Số chứng từ", "Ngày chứng từ", "Nội dung chi", "Mã NDKT", "Số tiền"]
    ed.paste_text("HD-01\t05/10/2026\tMua văn phòng phẩm\t6501\t1.200.000\n")
    assert ed.model.rowCount() == 1 and ed.model.total == 1_200_000
    assert ed.model.lines[0]["voucher"] == {"number": "HD-01", "date": "2026-10-05"}
    ndkt = spec.column_of("ndkt")
    delegate = ed.view.itemDelegateForColumn(ndkt)
    widget = delegate.createEditor(ed.view.viewport(), QStyleOptionViewItem(), ed.model.index(0, ndkt))
    completer = widget.completer()
    completer.setCompletionPrefix("60")
    assert completer.completionCount() == 2
    widget.deleteLater()
    ed.close()


def test_voucher_editor_completes_ndkt_from_the_catalogue(qtbot):
    spec = voucher_spec()  # the shipped NDKT catalogue
    ed = TableEditor(spec, {"kind": "voucher-list", "lines": []})
    qtbot.addWidget(ed)
    ndkt = spec.column_of("ndkt")
    words = spec.columns[ndkt].completions()
    chosen = next(w for w in words if w.startswith("6501"))
    assert "·" in chosen
    ed.paste_text("HD-02\t06/10/2026\tTiền điện tháng 9\t\t900.000\n")
    assert ed.model.setData(ed.model.index(0, ndkt), chosen)  # what the completer puts in the cell
    assert ed.model.lines[0]["ndkt"] == "6501"
    ed.close()


def test_sign_from_the_editor(qtbot, window, training, document):
    """One window from the table to the signature: errors block, warnings confirmed, then signed."""
    # A month of its own: a signed table makes later tables of the same month need a confirmation.
    doc = dict(document, number="TH-SOAN-KY", id="5b0f0a52-1b7e-4d7e-9a55-0e6c7d6b4a01",
               period={"year": 2025, "month": 3})
    ed = TableEditor(salary_spec(), doc, host=window)
    qtbot.addWidget(ed)
    ed.show()
    qtbot.waitUntil(lambda: ed.checks_current, timeout=10_000)
    # An error blocks signing, and the editor goes to the cell.
    ed.model.setData(ed.model.index(2, col(ed, "account")), "")
    ed.sign_action.trigger()
    qtbot.waitUntil(lambda: bool(ed.last_error_text), timeout=15_000)
    assert ed.last_error_title == "Chưa ký được" and "Dòng 3" in ed.last_error_text
    assert ed.view.currentIndex().row() == 2
    ed.last_message_box.close()
    ed.undo_action.trigger()
    # A warning (two people with the same name) must be confirmed, and the confirmation is recorded.
    ed.model.setData(ed.model.index(1, col(ed, "name")), doc["lines"][0]["name"])
    asked: list = []
    ed.warning_confirmer = lambda _p, warns: asked.append([w.code for w in warns]) or True
    window.cert_chooser = chooser_by_label(training.token_labels)
    window.pin_provider = pin_from(training.pins)
    ed.last_error_text = ""
    ed.sign_action.trigger()
    qtbot.waitUntil(lambda: ed.local_id is not None and not ed.busy and ed.sign_flow is None
                    and ed._signed_once, timeout=60_000)
    assert not ed.last_error_text
    row = read_document(training.home, ed.local_id)
    assert row.state == "signed-partial" and row.package
    assert "Đã ký số" in ed.last_notice
    assert not ed.add_action.isEnabled()  # a signed table is not edited in place
    assert not ed.undo_action.isEnabled()
    assert ed.view.editTriggers() == ed.view.EditTrigger.NoEditTriggers
    # The head of unit signs next from the same window; the stored draft is not re-saved.
    first_id = ed.local_id
    ed.last_notice = ""
    ed.sign_action.trigger()
    qtbot.waitUntil(lambda: "Thủ trưởng đơn vị" in ed.last_notice and not ed.busy, timeout=60_000)
    assert ed.local_id == first_id and read_document(training.home, first_id).state == "signed"
    assert asked == [["name-duplicate"]]  # confirmed once, before the first signature
    from client.documents.confirmations import confirmations
    from client.store.db import connect

    conn = connect(training.home.db_path)
    try:
        recorded = confirmations(conn, first_id)
    finally:
        conn.close()
    assert [c["code"] for c in recorded] == ["name-duplicate"]
    ed.close()


def test_editor_lists_problems_and_still_offers_signing(qtbot, window, document):
    """The editor with problems in its checks panel (shot for both languages by tests/ui/shoot.py)."""
    editor = TableEditor(salary_spec(), document, host=window)
    qtbot.addWidget(editor)
    editor.show()
    editor.model.setData(editor.model.index(4, col(editor, "account")), "12AB")
    editor.model.setData(editor.model.index(1, col(editor, "parts.bonus")), "500000")
    qtbot.waitUntil(lambda: editor.checks_current and editor.checks_list.count() > 0, timeout=10_000)
    editor.jump_to(4, col(editor, "name"))
    assert editor.sign_action.isEnabled()


def test_import_workbook_replaces_lines_as_one_undo_step(qtbot, tmp_path):
    from client.resources import resource

    ed = TableEditor(salary_spec(), {"kind": "salary-table", "lines": []})
    qtbot.addWidget(ed)
    ed.show()
    src = Path(str(resource("demo", "salary-demo.csv")))
    text = src.read_text(encoding="utf-8-sig")
    path = tmp_path / "luong.csv"
    path.write_text(text.replace("Nguyễn Thị Hoa", unicodedata.normalize("NFD", "Nguyễn Thị Hoa")),
                    encoding="utf-8")
    ed.import_workbook(path)
    qtbot.waitUntil(lambda: ed.model.rowCount() > 0 and not ed.busy, timeout=20_000)
    assert ed.model.rowCount() == 12
    assert cell(ed, 0, "name") == "Nguyễn Thị Hoa" and unicodedata.is_normalized("NFC", ed.model.lines[0]["name"])
    assert ed.model.total == 105_470_500
    assert "Đã nhập 12 dòng" in ed.last_notice
    ed.undo_action.trigger()
    assert ed.model.rowCount() == 0 and ed.model.total == 0
    ed.close()


def test_main_window_opens_a_new_salary_table(qtbot, window):
    action = window.new_table_action
    assert action in window.menus["dossier"].actions() and action.shortcut().toString()
    before = len(open_editors(window))
    action.trigger()
    assert len(open_editors(window)) == before + 1
    ed = open_editors(window)[-1]  # deletes itself on close
    assert ed.isVisible() and ed.model.rowCount() == 0
    assert ed.model.base["unit"]["code"] == "1047665" and ed.model.base["kind"] == "salary-table"
    assert ed.sign_action.isEnabled()  # the main window's context and runner sign from here
    ed.close()
    qtbot.waitUntil(lambda: len(open_editors(window)) == before, timeout=5_000)


def test_header_period_and_payment_order_amount_are_checked(qtbot, editor, document):
    editor.period_edit.setText("11/2026")
    editor.period_edit.editingFinished.emit()
    assert editor.model.document()["period"] == {"year": 2026, "month": 11}
    editor.order_amount_edit.setText("100.000.000")
    editor.order_amount_edit.editingFinished.emit()
    assert editor.payment_order_amount == 100_000_000
    qtbot.waitUntil(lambda: editor.checks_current, timeout=10_000)
    mismatch = [p for p in editor.problems if p.code == "payment-order-amount-mismatch"]
    assert mismatch and "100.000.000" in mismatch[0].message
    assert editor.jump_to_problem(mismatch[0].where) and editor.order_amount_edit.hasFocus()
    editor.order_amount_edit.setText(str(document["total"]))
    editor.order_amount_edit.editingFinished.emit()
    assert editor.order_amount_edit.text() == f"{document['total']:,}".replace(",", ".")
    qtbot.waitUntil(lambda: editor.checks_current, timeout=10_000)
    assert not [p for p in editor.problems if p.code == "payment-order-amount-mismatch"]


def test_edit_the_selected_draft_and_save_it_back(qtbot, window, training):
    from client import documents
    from tests.ui.helpers import add_demo_draft

    local_id = add_demo_draft(training.home, "TH-SUA-NHAP")
    window.reload()
    qtbot.waitUntil(lambda: window.model.row_of(local_id) >= 0, timeout=10_000)
    window.select_local_id(local_id)
    qtbot.waitUntil(lambda: window.current_local_id == local_id, timeout=10_000)
    before = len(open_editors(window))
    window.edit_table_action.trigger()
    qtbot.waitUntil(lambda: len(open_editors(window)) > before, timeout=10_000)
    ed = open_editors(window)[-1]
    assert ed.local_id == local_id and ed.model.rowCount() == 12
    assert not ed.save_action.isEnabled()  # nothing changed yet
    ed.model.setData(ed.model.index(0, col(ed, "note")), "Đã sửa")
    assert ed.save_action.isEnabled()
    ed.save_action.trigger()
    qtbot.waitUntil(lambda: "Đã lưu bản nháp" in ed.last_notice and not ed.busy, timeout=15_000)
    assert not ed.save_action.isEnabled()
    saved = documents.parse(read_document(training.home, ed.local_id).document_json)
    assert saved["number"] == "TH-SUA-NHAP" and saved["lines"][0]["note"] == "Đã sửa"
    numbers = [documents.parse(r.document_json)["number"] for r in ctx_rows(training)]
    assert numbers.count("TH-SUA-NHAP") == 1  # the saved draft replaced the old one
    qtbot.waitUntil(lambda: window.model.row_of(ed.local_id) >= 0, timeout=15_000)
    ed.close()


def ctx_rows(training) -> list:
    from client.store.db import connect
    from client.store.documents import DocumentRepo

    conn = connect(training.home.db_path)
    try:
        return DocumentRepo(conn).list()
    finally:
        conn.close()


def test_main_window_opens_a_voucher_list_with_budget_codes_and_imports_a_ledger(qtbot, window,
                                                                                  tmp_path):
    action = window.new_voucher_action
    assert action in window.menus["dossier"].actions() and action.shortcut().toString()
    before = len(open_editors(window))
    action.trigger()
    ed = open_editors(window)[-1]
    assert len(open_editors(window)) == before + 1 and ed.model.base["kind"] == "voucher-list"
    assert ed.budget_edits["program"].text() == "00000"
    for key, value in (("chapter", "622"), ("sector", "072"), ("source", "13")):
        ed.budget_edits[key].setText(value)
    ed._header_edited()
    assert ed.model.document()["budget"] == {"chapter": "622", "sector": "072", "source": "13",
                                             "program": "00000"}
    ledger = tmp_path / "bang-ke.csv"
    ledger.write_text("Số chứng từ,Ngày,Nội dung,Mã NDKT,Số tiền\n"
                      "HĐ 0001234,05/10/2026,Tiền điện tháng 9,6501,1.250.000\n"
                      "HĐ 0000456,07/10/2026,Văn phòng phẩm,6551,830.000\n", encoding="utf-8")
    ed.import_workbook(ledger)
    qtbot.waitUntil(lambda: ed.model.rowCount() == 2 and not ed.busy, timeout=20_000)
    doc = ed.model.document()
    assert [(ln["voucher"]["number"], ln["ndkt"], ln["amount"]) for ln in doc["lines"]] == [
        ("HĐ 0001234", "6501", 1_250_000), ("HĐ 0000456", "6551", 830_000)]
    assert doc["total"] == 2_080_000 and doc["budget"]["chapter"] == "622"
    ed.close()
    qtbot.waitUntil(lambda: len(open_editors(window)) == before, timeout=5_000)


def test_voucher_checks_use_the_catalogue_imported_into_the_data_folder(qtbot, tmp_path):
    """Treasury IT imported a newer NDKT list: the editor's checks panel follows it."""
    from types import SimpleNamespace

    from client import catalogue
    from client.home import Home
    from tests.unit.test_catalogue import one_line_voucher_list

    doc = one_line_voucher_list()

    def codes_shown(home) -> list[str]:
        ctx = SimpleNamespace(home=Home(home))
        ed = TableEditor(voucher_spec(lambda: []), doc, ctx=ctx)
        qtbot.addWidget(ed)
        ed.show()
        qtbot.waitUntil(lambda: ed.checks_current, timeout=10_000)
        ed.close()
        return [p.code for p in ed.problems]

    home = tmp_path / "home"
    home.mkdir()
    assert "ndkt-unknown" in codes_shown(home)  # 6598 is not in the shipped partial list
    csv = tmp_path / "ndkt-2026.2.csv"
    csv.write_text("code,name,level,parent,status\n"
                   "6550,Vật tư văn phòng,muc,,official\n"
                   "6598,Vật tư văn phòng theo đề án,tieu_muc,6550,official\n", encoding="utf-8")
    catalogue.import_file(home, csv)
    assert "ndkt-unknown" not in codes_shown(home)
