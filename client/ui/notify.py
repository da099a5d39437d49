"""Telling the accountant that something changed: tray balloon (when the desktop has a
tray) and an in-app notice bar that stays until dismissed, plus a list of past notices."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QStyle,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger("client.ui.notify")

NOTICE_STYLE = ("QFrame#noticeBar { background-color: #fff8e1; border-bottom: 1px solid #ffb300; }"
                " QLabel#noticeText { padding: 4px; }")


@dataclass(frozen=True)
class Notice:
    title: str
    text: str
    at: datetime
    important: bool = False  # rejected / needs a person


class NoticeBar(QFrame):
    """A line under the toolbar with the latest notice and a close button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.setStyleSheet(NOTICE_STYLE)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        self.label = QLabel("", self)
        self.label.setObjectName("noticeText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setToolTip(self.tr("Ẩn thông báo"))
        self.close_button.setAccessibleName(self.tr("Ẩn thông báo"))
        self.close_button.clicked.connect(self.hide)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.close_button)
        self.hide()

    def show_notice(self, notice: Notice) -> None:
        self.label.setText(f"{notice.title}: {notice.text}" if notice.text else notice.title)
        self.show()


class Notifier(QObject):
    """Sends each notice to the tray (if any) and to the in-app bar; keeps the history."""

    posted = Signal(object)  # Notice

    def __init__(self, bar: NoticeBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bar = bar
        self.history: list[Notice] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            app = QApplication.instance()
            icon = app.windowIcon() if isinstance(app, QApplication) else QIcon()
            if icon.isNull() and isinstance(app, QApplication):
                icon = app.style().standardIcon(QStyle.StandardPixmap.SP_ComputerIcon)
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("KBNN Client")
            self.tray.show()

    def notify(self, title: str, text: str = "", *, important: bool = False) -> Notice:
        notice = Notice(title, text, datetime.now(), important)
        self.history.append(notice)
        del self.history[:-200]
        self.bar.show_notice(notice)
        if self.tray is not None:
            icon = (QSystemTrayIcon.MessageIcon.Warning if important
                    else QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(title, text, icon, 10_000)
        log.info("notice shown")
        self.posted.emit(notice)
        return notice

    def close(self) -> None:
        if self.tray is not None:
            self.tray.hide()


class NoticeHistoryDialog(QDialog):
    """Every notice of this session, newest first."""

    def __init__(self, notices: list[Notice], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeHistory")
        self.setWindowTitle(self.tr("Thông báo"))
        self.resize(640, 420)
        self.list = QListWidget(self)
        for n in reversed(notices):
            text = f"{n.at.strftime('%d/%m/%Y %H:%M')}  {n.title}"
            if n.text:
                text += f": {n.text}"
            self.list.addItem(text)
        if not notices:
            self.list.addItem(self.tr("Chưa có thông báo nào trong phiên làm việc này."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list)
        lay.addWidget(buttons)
