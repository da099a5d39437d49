"""The main window around the documents: dossier filters, the outbox view and its actions,
status bar, notices, menus — on the training profile (SoftHSM2 tokens, sandbox treasury)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QEventLoop, Qt, QTimer

from client.money import format_vnd
from tests.ui.helpers import add_salary_draft, read_document, run_on, sign_fully

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def visible_numbers(window) -> set[str]:
    return {r.number for r in window.proxy.rows()}


def outbox_row_text(view, local_id: int, col: int) -> str:
    row = view.model.row_of(local_id)
    return view.model.data(view.model.index(row, col)) if row >= 0 else ""


def test_dossier_list_filters_by_month_kind_stage_number_and_amount(window, training, qtbot):
    home = training.home
    a = add_salary_draft(home, "LOC-09-A", month=9, line_count=3)
    b = add_salary_draft(home, "LOC-08-B", month=8)
    window.reload()
    qtbot.waitUntil(lambda: {"LOC-09-A", "LOC-08-B"} <= visible_numbers(window), timeout=10_000)
    bar = window.filter_bar
    total_b = next(r.total for r in window.model.rows() if r.local_id == b)
    total_a = next(r.total for r in window.model.rows() if r.local_id == a)
    assert total_a != total_b

    # the months offered are the dossiers' own, shown 09/2026
    months = [bar.month_combo.itemText(i) for i in range(bar.month_combo.count())]
    assert months[0] == "Mọi tháng" and "09/2026" in months and "08/2026" in months

    bar.month_combo.setCurrentIndex(bar.month_combo.findText("09/2026"))
    assert visible_numbers(window) == {"LOC-09-A"}
    assert "/" in window.count_label.text()  # "1 / N hồ sơ"

    # search by number (any case), then by amount written the Vietnamese way
    bar.clear()
    qtbot.keyClicks(bar.search, "loc-08")
    assert visible_numbers(window) == {"LOC-08-B"}
    bar.search.setText(format_vnd(total_a) + " đ")
    assert visible_numbers(window) == {"LOC-09-A"}

    # stage: both are drafts waiting for the chief accountant, none waits for the head of unit
    bar.search.setText("LOC-")
    bar.stage_combo.setCurrentIndex(bar.stage_combo.findData("draft"))
    assert visible_numbers(window) == {"LOC-09-A", "LOC-08-B"}
    bar.stage_combo.setCurrentIndex(bar.stage_combo.findData("head"))
    assert visible_numbers(window) == set()
    bar.stage_combo.setCurrentIndex(0)
    bar.kind_combo.setCurrentIndex(bar.kind_combo.findData("voucher-list"))
    assert visible_numbers(window) == set()
    bar.kind_combo.setCurrentIndex(bar.kind_combo.findData("salary-table"))
    assert visible_numbers(window) == {"LOC-09-A", "LOC-08-B"}

    # Ctrl+F reaches the search field; Ctrl+Shift+F clears every filter
    window.activateWindow()
    window.find_action.trigger()
    assert bar.search.hasFocus()
    window.clear_filter_action.trigger()
    assert bar.value().text == "" and bar.value().kind == ""
    assert window.proxy.rowCount() == window.model.rowCount()

    # selecting a filtered-out dossier clears the filters rather than failing
    bar.month_combo.setCurrentIndex(bar.month_combo.findText("09/2026"))
    window.select_local_id(b)
    assert window.current_local_id == b
    assert "LOC-08-B" in visible_numbers(window)


def test_outbox_view_cancel_send_now_receipt_and_package(window, training, qtbot, tmp_path):
    window.timer.stop()  # no automatic flush: the test decides when things are sent
    qtbot.waitUntil(lambda: not window._sync_running, timeout=30_000)
    ctx = window.ctx
    local_id = add_salary_draft(training.home, "HD-GUI-01", line_count=4)
    sign_fully(window, training, local_id, qtbot)
    outbox_id = run_on(window, lambda: ctx.submit(local_id), qtbot)
    window.reload()
    view = window.outbox_view
    qtbot.waitUntil(lambda: view.model.row_of(outbox_id) >= 0, timeout=10_000)
    assert window.waiting_label.text() == "Chờ gửi: 1"

    window.show_outbox_action.trigger()
    assert window.tabs.currentWidget() is view
    view.select(outbox_id)
    assert outbox_row_text(view, outbox_id, 4) == "Chờ gửi"
    assert outbox_row_text(view, outbox_id, 1) == "HD-GUI-01"
    assert view.cancel_button.isEnabled() and view.send_button.isEnabled()
    assert not view.receipt_button.isEnabled()

    # cancel: asked first; refusing keeps it queued
    asked: list[str] = []
    view.confirm = lambda _p, _t, text: asked.append(text) or False
    view.cancel_button.click()
    assert asked and "HD-GUI-01" in asked[0]
    assert outbox_row_text(view, outbox_id, 4) == "Chờ gửi"
    view.confirm = lambda *_a: True
    view.cancel_button.click()
    qtbot.waitUntil(lambda: outbox_row_text(view, outbox_id, 4) == "Đã hủy", timeout=10_000)
    assert read_document(training.home, local_id).state == "signed"
    assert window.waiting_label.text() == "Chờ gửi: 0"

    # queue it again and send it now from the outbox view
    outbox_id = run_on(window, lambda: ctx.submit(local_id), qtbot)
    window.reload()
    qtbot.waitUntil(lambda: view.model.row_of(outbox_id) >= 0, timeout=10_000)
    view.select(outbox_id)
    view.send_button.click()
    qtbot.waitUntil(lambda: outbox_row_text(view, outbox_id, 4) == "Đã gửi", timeout=20_000)
    assert outbox_row_text(view, outbox_id, 5)  # the treasury's status is shown
    view.select(outbox_id)
    assert not view.cancel_button.isEnabled()  # the treasury has it now
    qtbot.waitUntil(lambda: "Mã hồ sơ tại Kho bạc" in view.history.toPlainText(), timeout=10_000)

    # from the dossier list, Ctrl+J jumps to the dossier's line in the outbox
    window.show_page(0)
    window.select_local_id(local_id)
    assert window.show_in_outbox_action.isEnabled()
    assert window.show_in_outbox_action in window.table.actions()  # also its context menu
    window.show_in_outbox_action.trigger()
    assert window.tabs.currentWidget() is view and view.selected_item().local_id == outbox_id

    # open the package: the exact bytes that were queued
    opened = []
    view.open_file = lambda path: opened.append(path) or True
    view.open_button.click()
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    package = run_on(window, lambda: ctx.outbox.package(outbox_id), qtbot)
    assert opened[0].read_bytes() == package

    # the sandbox moves it on to paid; the status change is announced in the app
    notices_before = len(window.notifier.history)
    window.timer.start()
    qtbot.waitUntil(lambda: outbox_row_text(view, outbox_id, 5) == "Đã thanh toán", timeout=60_000)
    paid = view.model.index(view.model.row_of(outbox_id), 5).data(Qt.ItemDataRole.ForegroundRole)
    assert paid.color().name() == "#1b5e20"  # paid shows green
    qtbot.waitUntil(lambda: any("HD-GUI-01" in n.title for n in window.notifier.history[notices_before:]),
                    timeout=10_000)
    assert window.notice_bar.isVisible()
    assert "HD-GUI-01" in window.notice_bar.label.text()
    window.notices_action.trigger()  # the session's notices, newest first
    history = window.last_dialog
    assert "HD-GUI-01" in history.list.item(0).text()
    history.reject()

    # and the receipt can be saved once it arrived
    view.select(outbox_id)
    qtbot.waitUntil(lambda: view.receipt_button.isEnabled(), timeout=30_000)
    target = tmp_path / "bien-nhan.pdf"
    suggested = []
    view.ask_save_path = lambda _p, _t, name, _f: suggested.append(name) or str(target)
    view.receipt_button.click()
    qtbot.waitUntil(target.exists, timeout=10_000)
    receipt = run_on(window, lambda: ctx.outbox.receipt(outbox_id), qtbot)
    assert target.read_bytes() == receipt and receipt
    assert "HD-GUI-01" in suggested[0]


def test_status_bar_menus_and_shortcuts(window, qtbot):
    qtbot.waitUntil(lambda: "Token:" in window.token_label.text()
                    and "kiểm tra" not in window.token_label.text(), timeout=30_000)
    assert "TAPHUAN" in window.token_label.text()  # the two training tokens are plugged in
    assert "1047665" in window.unit_label.text()
    assert window.waiting_label.text().startswith("Chờ gửi:")
    titles = [a.text() for a in window.menu_bar.actions()]
    assert titles == ["&Tệp", "&Hồ sơ", "&Xem", "&Danh mục", "&Công cụ", "Trợ &giúp"]
    # every action of every menu has a shortcut or a mnemonic
    for menu in window.menus.values():
        for action in menu.actions():
            if action.isSeparator():
                continue
            assert action.shortcut().toString() or "&" in action.text(), action.text()
    # a menu hook for other parts of the GUI: before "Thoát" in the file menu
    from PySide6.QtGui import QAction

    extra = QAction("&Mở gói…", window)
    window.add_menu_action("file", extra)
    file_actions = [a for a in window.menus["file"].actions() if not a.isSeparator()]
    assert file_actions[-1] is window.quit_action and extra in file_actions
    # Ctrl+2 / Ctrl+1 switch between the dossiers and the outbox
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 1
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0


def test_the_readmes_walkthrough_names_the_real_buttons_and_shortcuts(window):
    """README's training walkthrough is what a trainer reads aloud: its keys must work."""
    import re
    from pathlib import Path

    from PySide6.QtGui import QKeySequence

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    said = dict(re.findall(r"\*\*([^*]+)\*\* \((Ctrl\+\w+)", readme))
    assert set(said) >= {"Ký số…", "Gửi Kho bạc"}, said
    assert window.sign_action.shortcut() == QKeySequence(said["Ký số…"])
    assert window.submit_action.shortcut() == QKeySequence(said["Gửi Kho bạc"])
    assert window.submit_action.text() == "Gửi Kho bạc"
    assert window.sign_action.text().startswith("Ký")


def test_staff_register_and_catalogue_entry_points(window, qtbot):
    window.catalogue_action.trigger()
    dialog = window.last_dialog
    assert dialog is not None and dialog.isVisible()
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Vietcombank" in names
    dialog.reject()
    window.staff_action.trigger()
    qtbot.waitUntil(lambda: window.last_dialog is not dialog and window.last_dialog is not None,
                    timeout=10_000)
    staff = window.last_dialog
    assert staff.windowTitle() == "Danh sách cán bộ"
    assert staff.table.horizontalHeaderItem(1).text() == "Họ và tên"
    staff.reject()


def test_send_all_with_progress_and_stop(window, training, qtbot):
    window.timer.stop()
    qtbot.waitUntil(lambda: not window._sync_running, timeout=30_000)
    ctx = window.ctx
    ids = []
    for n in ("HD-ALL-1", "HD-ALL-2"):
        local_id = add_salary_draft(training.home, n, line_count=2)
        sign_fully(window, training, local_id, qtbot)
        ids.append(run_on(window, lambda lid=local_id: ctx.submit(lid), qtbot))
    window.reload()
    view = window.outbox_view
    qtbot.waitUntil(lambda: all(view.model.row_of(i) >= 0 for i in ids), timeout=10_000)
    assert view.send_all_button.isEnabled()
    window.show_page(1)

    # "Dừng" before the worker reaches the queue: nothing is sent, both stay queued
    window.runner.submit(lambda: time.sleep(0.3))  # the worker is busy a moment
    view.send_all_button.click()
    assert view.progress.isVisible() and view.stop_button.isVisible()
    view.stop_button.click()
    qtbot.waitUntil(lambda: view.last_send_all is not None, timeout=20_000)
    assert view.last_send_all.sent == 0 and view.last_send_all.waiting >= 2
    qtbot.waitUntil(lambda: not view.progress.isVisible(), timeout=5_000)
    assert all(outbox_row_text(view, i, 4) == "Chờ gửi" for i in ids)

    # then both go, with progress shown on the way
    steps = []
    view._progress.step.connect(lambda d, t: steps.append((d, t)))
    view.last_send_all = None
    view.send_all_button.click()
    qtbot.waitUntil(lambda: view.last_send_all is not None, timeout=30_000)
    assert view.last_send_all.sent >= 2
    assert steps and steps[-1][0] == steps[-1][1]
    qtbot.waitUntil(lambda: all(outbox_row_text(view, i, 4) == "Đã gửi" for i in ids), timeout=10_000)
    assert not view.stop_button.isVisible()
    window.timer.start()


def test_language_change_reopens_the_window_in_english(qtbot, ctx, qapp, monkeypatch):
    """Settings → language English → the window reopens in English (run_gui's loop)."""
    import client.ui.app as uiapp
    from client.settings import Settings
    from client.ui import i18n

    original = uiapp.create_main_window
    seen: list[dict] = []
    loops: list[QEventLoop] = []
    polls: list[int] = []
    from tests.ui.helpers import demo_local_id

    probe = original(ctx)
    qtbot.waitUntil(lambda: probe.model.rowCount() >= 1, timeout=15_000)
    demo = demo_local_id(probe)
    probe.close()

    def exec_app(_app) -> int:  # a local loop: app.exec() here would end the test session's app
        loops.append(QEventLoop())
        return loops[-1].exec()

    def create(context):
        window = original(context)
        index = len(seen)
        seen.append({})

        def act() -> None:
            if index == 1 and window.current_local_id is None and len(polls) < 100:
                polls.append(1)  # the list loads off the UI thread: the selection follows it
                QTimer.singleShot(100, act)
                return
            seen[index] = {"menus": [a.text() for a in window.menu_bar.actions()],
                           "waiting": window.waiting_label.text(),
                           "selected": window.current_local_id, "page": window.tabs.currentIndex(),
                           "search": window.filter_bar.search.text()}
            if index == 0:
                # the person looks at one dossier, found by its number, on the outbox page
                window.select_local_id(demo)
                window.filter_bar.search.setText("TH-09")
                window.show_page(1)
                seen[index]["selected"] = window.current_local_id
                settings = Settings(context.home)
                settings.set("ui.language", "en")
                settings.save()
                window.ask_relaunch = lambda _w: True
                window._on_settings_saved(language_changed=True)
            else:
                window.close()
            loops[-1].quit()

        QTimer.singleShot(300, act)
        return window

    monkeypatch.setattr(uiapp, "create_main_window", create)
    monkeypatch.setattr(uiapp, "exec_app", exec_app)
    try:
        assert uiapp.run_gui(ctx, lang="vi") == 0
    finally:
        settings = Settings(ctx.home)
        settings.set("ui.language", None)
        settings.save()
        i18n.remove_language(qapp)
    assert len(seen) == 2
    assert seen[0]["menus"][0] == "&Tệp" and seen[0]["waiting"].startswith("Chờ gửi")
    assert seen[1]["menus"] == ["&File", "&Dossier", "&View", "&Catalogues", "&Tools", "&Help"]
    assert seen[1]["waiting"].startswith("To send:")
    # reopened as it was left: the same dossier selected, the same search, the same page
    assert seen[0]["selected"] == demo
    assert (seen[1]["selected"], seen[1]["search"], seen[1]["page"]) == (demo, "TH-09", 1)
