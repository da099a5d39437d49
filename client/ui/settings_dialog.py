"""The settings dialog: server, proxy, CA file, PKCS#11 module, language, amount-in-words
variants, and the data folder's backup and restore.

Values are validated by the core (``client.settings.Settings.update``: all or
nothing); the dialog shows the core's Vietnamese message when one is refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from client.errors import KbnnError
from client.money import amount_in_words
from client.settings import Settings
from client.ui import prompts
from client.ui.workers import UiHandle

log = logging.getLogger("client.ui.settings")

PREVIEW_AMOUNT = 1_105_024  # shows all three variants: linh/lẻ, tư/bốn, nghìn/ngàn





class SettingsDialog(QDialog):
    """``saved`` is emitted after the settings were written."""

    saved = Signal()

    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Cài đặt"))
        self.resize(760, 520)
        self.ctx = ctx
        self.home = ctx.home
        self.settings = Settings(self.home)
        # Hooks (tests replace these).
        self.ask_open_path: Callable[[QWidget, str, str, str], str | None] = prompts.ask_open_path
        self.ask_save_path: Callable[[QWidget, str, str, str], str | None] = prompts.ask_save_path
        self.confirm: Callable[[QWidget, str, str], bool] = prompts.confirm
        self.language_changed = False
        self.last_backup: Any = None
        self.backup_running = False
        # the backup thread reports through this (nothing once the dialog is gone)
        self._ui = UiHandle(self)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._connection_page(), self.tr("&Kết nối"))
        self.tabs.addTab(self._token_page(), self.tr("&Token"))
        self.tabs.addTab(self._display_page(), self.tr("&Hiển thị"))
        self.tabs.addTab(self._data_page(), self.tr("&Dữ liệu"))

        self.error_label = QLabel("", self)
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b71c1c;")
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        self.load()

    # -- pages -----------------------------------------------------------------------
    def _browse_row(self, edit: QLineEdit, title: str, filters: str) -> QWidget:
        box = QWidget(self)
        lay = QHBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        button = QPushButton(self.tr("Chọn…"), box)

        def browse() -> None:
            path = self.ask_open_path(self, title, edit.text() or str(Path.home()), filters)
            if path:
                edit.setText(path)

        button.clicked.connect(browse)
        lay.addWidget(button)
        return box

    def _connection_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.url_edit = QLineEdit(page)
        self.url_edit.setObjectName("serverUrl")
        self.url_edit.setPlaceholderText("https://dvc.vst.mof.gov.vn/api/v1")
        self.ca_edit = QLineEdit(page)
        self.ca_edit.setObjectName("caFile")
        self.ca_edit.setPlaceholderText(self.tr("(chỉ dùng kho chứng chỉ của hệ điều hành)"))
        self.proxy_combo = QComboBox(page)
        self.proxy_combo.setObjectName("proxyMode")
        self.proxy_combo.addItem(self.tr("Theo cấu hình của hệ điều hành"), "system")
        self.proxy_combo.addItem(self.tr("Không dùng proxy"), "none")
        self.proxy_combo.addItem(self.tr("Proxy thủ công"), "manual")
        self.proxy_host = QLineEdit(page)
        self.proxy_host.setObjectName("proxyHost")
        self.proxy_host.setPlaceholderText("10.0.0.1:3128")
        self.proxy_user = QLineEdit(page)
        self.proxy_user.setObjectName("proxyUser")
        self.proxy_password = QLineEdit(page)
        self.proxy_password.setObjectName("proxyPassword")
        self.proxy_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.proxy_password.setPlaceholderText(self.tr("(để trống: giữ mật khẩu đã lưu)"))
        self.connect_timeout = QSpinBox(page)
        self.connect_timeout.setRange(1, 600)
        self.connect_timeout.setSuffix(self.tr(" giây"))
        self.read_timeout = QSpinBox(page)
        self.read_timeout.setRange(1, 3600)
        self.read_timeout.setSuffix(self.tr(" giây"))
        form.addRow(self.tr("Địa chỉ máy chủ &Kho bạc:"), self.url_edit)
        form.addRow(self.tr("Tệp chứng chỉ &CA:"), self._browse_row(
            self.ca_edit, self.tr("Chọn tệp chứng chỉ CA"), self.tr("Chứng chỉ (*.pem *.crt *.cer *.der)")))
        form.addRow(self.tr("&Proxy:"), self.proxy_combo)
        form.addRow(self.tr("Địa chỉ p&roxy:"), self.proxy_host)
        form.addRow(self.tr("Tên đăng nhập pro&xy:"), self.proxy_user)
        form.addRow(self.tr("Mật khẩu proxy:"), self.proxy_password)
        form.addRow(self.tr("Chờ &kết nối:"), self.connect_timeout)
        form.addRow(self.tr("Chờ &trả lời:"), self.read_timeout)
        note = QLabel(self.tr("Mật khẩu được lưu trong kho khóa của hệ điều hành, không ghi vào tệp."), page)
        note.setWordWrap(True)
        form.addRow(note)
        self.proxy_combo.currentIndexChanged.connect(self._update_proxy_fields)
        return page

    def _token_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.module_edit = QLineEdit(page)
        self.module_edit.setObjectName("moduleEdit")
        self.module_edit.setPlaceholderText(self.tr("(tự tìm trình điều khiển token đã cài)"))
        form.addRow(self.tr("Thư viện &PKCS#11:"), self._browse_row(
            self.module_edit, self.tr("Chọn thư viện PKCS#11 của token"),
            self.tr("Thư viện (*.dll *.so *.dylib);;Mọi tệp (*)")))
        self.found_modules = QComboBox(page)
        self.found_modules.setObjectName("foundModules")
        self.found_modules.addItem(self.tr("(tự tìm)"), "")
        try:
            from client.signing.discovery import discover_modules

            found = discover_modules()
        except Exception as exc:  # noqa: BLE001 - a list to choose from, never a blocker
            log.info("module discovery failed: %s", type(exc).__name__)
            found = []
        for m in found:
            label = f"{m.vendor} — {m.path}"
            if not m.loadable:
                label += " " + self.tr("(không dùng được với bản phần mềm này)")
            self.found_modules.addItem(label, m.path)
        self.found_modules.activated.connect(
            lambda i: self.module_edit.setText(self.found_modules.itemData(i) or ""))
        form.addRow(self.tr("Đã &tìm thấy trên máy:"), self.found_modules)
        hint = QLabel(self.tr("Thường không cần chọn: phần mềm tự tìm trình điều khiển của các "
                              "nhà cung cấp chữ ký số. Chỉ chọn khi «Kiểm tra máy» báo không tìm "
                              "thấy token."), page)
        hint.setWordWrap(True)
        form.addRow(hint)
        return page

    def _display_page(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.language_combo = QComboBox(page)
        self.language_combo.setObjectName("languageCombo")
        self.language_combo.addItem("Tiếng Việt", "vi")
        self.language_combo.addItem("English", "en")
        self.zero_tens = QComboBox(page)
        self.zero_tens.setObjectName("zeroTens")
        self.zero_tens.addItem(self.tr("linh (một trăm linh năm)"), "linh")
        self.zero_tens.addItem(self.tr("lẻ (một trăm lẻ năm)"), "lẻ")
        self.four = QComboBox(page)
        self.four.setObjectName("four")
        self.four.addItem(self.tr("tư (hai mươi tư)"), "tư")
        self.four.addItem(self.tr("bốn (hai mươi bốn)"), "bốn")
        self.thousand = QComboBox(page)
        self.thousand.setObjectName("thousand")
        self.thousand.addItem(self.tr("nghìn"), "nghìn")
        self.thousand.addItem(self.tr("ngàn"), "ngàn")
        self.preview = QLabel("", page)
        self.preview.setObjectName("wordsPreview")
        self.preview.setWordWrap(True)
        form.addRow(self.tr("&Ngôn ngữ giao diện:"), self.language_combo)
        self.language_note = QLabel(self.tr("Ngôn ngữ mới có hiệu lực khi mở lại phần mềm."), page)
        form.addRow(self.language_note)
        form.addRow(QLabel(self.tr("<b>Đọc số tiền bằng chữ</b>"), page))
        form.addRow(self.tr("Số 0 ở hàng &chục:"), self.zero_tens)
        form.addRow(self.tr("Số 4 sau «&mươi»:"), self.four)
        form.addRow(self.tr("Hàng ng&hìn:"), self.thousand)
        form.addRow(self.tr("Ví dụ:"), self.preview)
        for combo in (self.zero_tens, self.four, self.thousand):
            combo.currentIndexChanged.connect(self._update_preview)
        return page

    def _data_page(self) -> QWidget:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        folder = QLabel(self.tr("Thư mục dữ liệu: %1").replace("%1", str(self.home.path)), page)
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_button = QPushButton(self.tr("&Sao lưu dữ liệu…"), page)
        self.backup_button.setObjectName("backupButton")
        self.restore_button = QPushButton(self.tr("&Khôi phục từ bản sao lưu…"), page)
        self.restore_button.setObjectName("restoreButton")
        self.data_label = QLabel("", page)
        self.data_label.setObjectName("dataLabel")
        self.data_label.setWordWrap(True)
        explain = QLabel(self.tr("Bản sao lưu gồm cơ sở dữ liệu (chép nhất quán ngay cả khi phần mềm "
                                 "đang chạy) và tệp cấu hình. Mật khẩu không nằm trong bản sao lưu."),
                         page)
        explain.setWordWrap(True)
        lay.addWidget(folder)
        lay.addWidget(explain)
        row = QHBoxLayout()
        row.addWidget(self.backup_button)
        row.addWidget(self.restore_button)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addWidget(self.data_label)
        lay.addStretch(1)
        self.backup_button.clicked.connect(self.backup)
        self.restore_button.clicked.connect(self.restore)
        return page

    # -- values ----------------------------------------------------------------------
    @staticmethod
    def _select(combo: QComboBox, value: str | None) -> None:
        combo.setCurrentIndex(max(0, combo.findData(value)))

    def load(self) -> None:
        s = self.settings
        self.url_edit.setText(s.get("server.url") or "")
        self.ca_edit.setText(s.get("server.ca_file") or "")
        self._select(self.proxy_combo, s.get("network.proxy") or "system")
        self.proxy_host.setText(s.get("network.proxy_host") or "")
        self.proxy_user.setText(s.get("network.proxy_user") or "")
        self.connect_timeout.setValue(int(float(s.get("network.connect_timeout") or 10)))  # seconds
        self.read_timeout.setValue(int(float(s.get("network.read_timeout") or 60)))  # seconds
        self.module_edit.setText(s.get("signing.module") or "")
        self._select(self.language_combo, s.language())
        words = s.words_options()
        self._select(self.zero_tens, words["zero_tens"])
        self._select(self.four, words["four"])
        self._select(self.thousand, words["thousand"])
        self._update_proxy_fields()
        self._update_preview()

    def values(self) -> dict[str, str | None]:
        return {
            "server.url": self.url_edit.text().strip() or None,
            "server.ca_file": self.ca_edit.text().strip() or None,
            "network.proxy_host": self.proxy_host.text().strip() or None,
            "network.proxy_user": self.proxy_user.text().strip() or None,
            "network.proxy": self.proxy_combo.currentData(),
            "network.connect_timeout": str(self.connect_timeout.value()),
            "network.read_timeout": str(self.read_timeout.value()),
            "signing.module": self.module_edit.text().strip() or None,
            "ui.language": self.language_combo.currentData(),
            "words.zero_tens": self.zero_tens.currentData(),
            "words.four": self.four.currentData(),
            "words.thousand": self.thousand.currentData(),
        }

    def _update_proxy_fields(self) -> None:
        manual = self.proxy_combo.currentData() == "manual"
        for w in (self.proxy_host, self.proxy_user, self.proxy_password):
            w.setEnabled(manual)

    def _update_preview(self) -> None:
        text = amount_in_words(PREVIEW_AMOUNT, zero_tens=self.zero_tens.currentData() or "linh",
                               four=self.four.currentData() or "tư",
                               thousand=self.thousand.currentData() or "nghìn")
        self.preview.setText(f"1.105.024 đ: {text}")

    def save(self) -> bool:
        """Validate and write every value (nothing is written if one is refused)."""
        before = self.settings.language()
        values = self.values()
        try:
            self.settings.update(values)
            password = self.proxy_password.text()
            if password and values["network.proxy"] == "manual" and values["network.proxy_user"]:
                from client.transport.network import network_settings, store_proxy_password

                store_proxy_password(network_settings(self.home), password)
        except KbnnError as exc:
            problems = getattr(exc, "problems", None) or []
            lines = [exc.message] + [f"• {p.message}" for p in problems if p.message != exc.message]
            self.error_label.setText("\n".join(lines))
            log.info("settings refused: %s", type(exc).__name__)
            return False
        self.proxy_password.clear()
        self.error_label.setText("")
        self.language_changed = self.settings.language() != before
        self.saved.emit()
        self.accept()
        return True

    # -- backup and restore ----------------------------------------------------------
    def backup(self) -> None:
        """Back up on a worker thread (SQLite's online backup: consistent while the app runs)."""
        from datetime import datetime

        suggested = str(Path.home() / f"kbnn-client-sao-luu-{datetime.now().strftime('%Y%m%d-%H%M')}.zip")
        path = self.ask_save_path(self, self.tr("Sao lưu dữ liệu"), suggested, self.tr("Tệp nén (*.zip)"))
        if not path:
            return
        self.backup_button.setEnabled(False)
        self.restore_button.setEnabled(False)
        self.data_label.setText(self.tr("Đang sao lưu…"))
        home, ui = self.home, self._ui

        def work() -> None:
            from client.backup import create_backup

            try:
                ui.call("_backup_done", create_backup(home, path))
            except Exception as exc:  # noqa: BLE001 - disk full, permissions, a damaged database
                ui.call("_backup_failed", str(exc))

        self.backup_running = True
        threading.Thread(target=work, name="kbnn-backup", daemon=True).start()

    def _backup_done(self, info: Any) -> None:
        self.backup_running = False
        self.backup_button.setEnabled(True)
        self.restore_button.setEnabled(True)
        self.last_backup = info
        self.data_label.setText(self.tr("Đã sao lưu %1 hồ sơ vào %2")
                                .replace("%1", str(info.documents)).replace("%2", str(info.path)))

    def _backup_failed(self, message: str) -> None:
        self.backup_running = False
        self.backup_button.setEnabled(True)
        self.restore_button.setEnabled(True)
        self.data_label.setText(self.tr("Không sao lưu được: %1").replace("%1", message))

    def restore(self) -> None:
        path = self.ask_open_path(self, self.tr("Chọn bản sao lưu"), str(Path.home()),
                                  self.tr("Tệp nén (*.zip)"))
        if not path:
            return
        if not self.confirm(self, self.tr("Khôi phục dữ liệu"),
                            self.tr("Dữ liệu hiện tại sẽ được thay bằng bản sao lưu (bản hiện tại được "
                                    "giữ lại bên cạnh, đuôi .bak). Phần mềm sẽ đóng để khôi phục, rồi "
                                    "bạn mở lại. Tiếp tục?")):
            return
        host = self.parent()
        request = getattr(host, "request_restore", None)
        if request is None:
            self.data_label.setText(self.tr("Hãy đóng phần mềm rồi chạy: kbnn-client restore %1")
                                    .replace("%1", path))
            return
        self.reject()
        request(path)
