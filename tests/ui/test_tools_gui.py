"""Diagnostics screen, settings dialog and log viewer (pytest-qt, offscreen)."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtGui import QGuiApplication

from client.home import Home
from client.settings import Settings
from client.ui.diagnostics_view import DiagnosticsDialog
from client.ui.log_view import LogDialog
from client.ui.settings_dialog import SettingsDialog

pytestmark = [pytest.mark.gui]


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def status_of(dialog: DiagnosticsDialog, check_id: str) -> str:
    return dialog.table.item(dialog._rows[check_id], 0).text()


@pytest.mark.slow
def test_diagnostics_screen_on_the_training_profile(qtbot, training, ctx, tmp_path):
    dialog = DiagnosticsDialog(training.home)  # ``ctx`` started the log files
    qtbot.addWidget(dialog)
    dialog.show()
    assert status_of(dialog, "treasury") == "Đang kiểm tra…"
    assert not dialog.copy_button.isEnabled()
    dialog.run()
    qtbot.waitUntil(lambda: not dialog.running, timeout=90_000)
    statuses = {c["id"]: status_of(dialog, c["id"]) for c in dialog.checks}
    assert set(statuses.values()) <= {"Đạt", "Cảnh báo", "Lỗi"}, statuses
    assert len(statuses) >= 10
    assert statuses["treasury"] == "Đạt" and statuses["database"] == "Đạt", statuses
    assert statuses["tokens"] == "Đạt", statuses  # the two SoftHSM2 training tokens
    assert "đạt" in dialog.summary_label.text()

    # details of a selected check
    dialog.table.selectRow(dialog._rows["database"])
    assert dialog.detail.toPlainText().startswith("Đạt — Cơ sở dữ liệu")

    # copy report: the plain Vietnamese report goes to the clipboard
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text().startswith("BÁO CÁO KIỂM TRA MÁY")

    # save support bundle: a zip with the report and the logs, no password in it
    target = tmp_path / "ho-tro.zip"
    dialog.ask_save_path = lambda *_a: str(target)
    dialog.bundle_button.click()
    with zipfile.ZipFile(target) as z:
        names = z.namelist()
        text = b"".join(z.read(n) for n in names).decode("utf-8", "replace")
    assert "bao-cao.txt" in names and any(n.startswith("logs/") for n in names)
    assert training.home.get("training", "password") not in text


def test_diagnostics_screen_says_what_to_do_when_the_treasury_is_unreachable(qtbot, tmp_path,
                                                                              monkeypatch):
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    home = Home(tmp_path / "home")
    home.set("server", "url", dead_url())
    home.save()
    dialog = DiagnosticsDialog(home, only=["treasury", "database", "disk"])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.run()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.table.rowCount() == 3
    assert status_of(dialog, "treasury") == "Lỗi"
    assert status_of(dialog, "disk") in ("Đạt", "Cảnh báo")
    # the worst check is selected, and its advice is shown
    assert dialog.table.currentRow() == dialog._rows["treasury"]
    assert "Cách khắc phục:" in dialog.detail.toPlainText()
    assert "1 lỗi" in dialog.summary_label.text()


def test_settings_dialog_validates_saves_and_previews_words(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    home = Home(tmp_path / "home")
    dialog = SettingsDialog(SimpleNamespace(home=home))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.language_combo.currentData() == "vi"
    assert "một trăm linh năm nghìn" in dialog.preview.text()
    assert not dialog.proxy_host.isEnabled()

    # an unencrypted address to a real server is refused; nothing is written
    dialog.url_edit.setText("http://dvc.example.vn/api/v1")
    saved = []
    dialog.saved.connect(lambda: saved.append(True))
    assert dialog.save() is False
    assert "https://" in dialog.error_label.text()
    assert not home.settings_path.exists() and not saved

    dialog.url_edit.setText("https://dvc.example.vn/api/v1")
    dialog.proxy_combo.setCurrentIndex(dialog.proxy_combo.findData("manual"))
    assert dialog.proxy_host.isEnabled()
    dialog.proxy_host.setText("10.0.0.1:3128")
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.zero_tens.setCurrentIndex(dialog.zero_tens.findData("lẻ"))
    dialog.four.setCurrentIndex(dialog.four.findData("bốn"))
    dialog.thousand.setCurrentIndex(dialog.thousand.findData("ngàn"))
    assert "một trăm lẻ năm ngàn không trăm hai mươi bốn" in dialog.preview.text()
    assert dialog.save() is True and saved
    assert dialog.language_changed

    s = Settings(Home(tmp_path / "home"))
    assert s.get("signing.module") is None  # empty: found automatically
    assert s.get("server.url") == "https://dvc.example.vn/api/v1"
    assert s.get("network.proxy") == "manual" and "10.0.0.1:3128" in (s.get("network.proxy_host") or "")
    assert s.language() == "en"
    assert s.words_options() == {"zero_tens": "lẻ", "four": "bốn", "thousand": "ngàn"}


def test_settings_backup_while_running_and_restore_request(qtbot, training, tmp_path):
    dialog = SettingsDialog(SimpleNamespace(home=training.home))
    qtbot.addWidget(dialog)
    target = tmp_path / "sao-luu.zip"
    dialog.ask_save_path = lambda *_a: str(target)
    dialog.backup_button.click()
    assert dialog.data_label.text() == "Đang sao lưu…" and not dialog.backup_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.backup_running, timeout=30_000)
    assert target.is_file(), dialog.data_label.text()
    assert dialog.last_backup.documents >= 1
    assert "Đã sao lưu" in dialog.data_label.text()
    with zipfile.ZipFile(target) as z:
        assert "kbnn.sqlite3" in z.namelist()

    # a backup that cannot be written says why, and the buttons come back
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    dialog.ask_save_path = lambda *_a: str(blocker / "sao-luu.zip")
    dialog.backup_button.click()
    qtbot.waitUntil(lambda: not dialog.backup_running, timeout=30_000)
    assert dialog.data_label.text().startswith("Không sao lưu được")
    assert dialog.backup_button.isEnabled()

    # restore asks first, then hands over to the main window (which closes to free the database)
    requested = []
    host = SimpleNamespace(request_restore=requested.append)
    dialog.parent = lambda: host
    dialog.ask_open_path = lambda *_a: str(target)
    dialog.confirm = lambda *_a: False
    dialog.restore_button.click()
    assert requested == []
    dialog.confirm = lambda *_a: True
    dialog.restore_button.click()
    assert requested == [str(target)]


def test_log_viewer_shows_and_filters_the_log(qtbot, ctx):
    dialog = LogDialog(ctx.home)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.lines, "the training profile has a log"
    assert dialog.text.toPlainText()
    dialog.filter_edit.setText("chuỗi-không-có-trong-nhật-ký")
    assert dialog.text.toPlainText() == "" and dialog.shown_lines() == []
    dialog.filter_edit.clear()
    dialog.problems_only.setChecked(True)
    assert all(any(w in line for w in ("WARNING", "ERROR", "CRITICAL")) for line in dialog.shown_lines())


def test_settings_lists_the_token_modules_found(qtbot, tmp_path, monkeypatch, training):
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    module = training.home.get("signing", "module")
    monkeypatch.setenv("KBNN_PKCS11_MODULE", module)
    dialog = SettingsDialog(SimpleNamespace(home=Home(tmp_path / "home")))
    qtbot.addWidget(dialog)
    paths = [dialog.found_modules.itemData(i) for i in range(dialog.found_modules.count())]
    assert module in paths
    dialog.found_modules.setCurrentIndex(paths.index(module))
    dialog.found_modules.activated.emit(paths.index(module))
    assert dialog.module_edit.text() == module
    assert dialog.save()
    saved = Settings(Home(tmp_path / "home")).get("signing.module")
    assert Path(saved).resolve() == Path(module).resolve()
