"""The log viewer: the tail of the rotating log files (already free of secrets), with a filter."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFont, QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.home import Home

TAIL_LINES = 2000


class LogDialog(QDialog):
    def __init__(self, home: Home, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logDialog")
        self.setWindowTitle(self.tr("Nhật ký hoạt động"))
        self.resize(1000, 620)
        self.home = home
        self.lines: list[str] = []

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("logFilter")
        self.filter_edit.setPlaceholderText(self.tr("Lọc theo nội dung…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.problems_only = QCheckBox(self.tr("Chỉ &cảnh báo và lỗi"), self)
        self.problems_only.setObjectName("problemsOnly")
        filter_label = QLabel(self.tr("&Lọc:"), self)
        filter_label.setBuddy(self.filter_edit)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.info = QLabel("", self)
        self.info.setObjectName("logInfo")

        self.refresh_button = QPushButton(self.tr("Đọc &lại"), self)
        self.refresh_button.setShortcut(QKeySequence("F5"))
        self.folder_button = QPushButton(self.tr("&Mở thư mục nhật ký"), self)
        self.close_button = QPushButton(self.tr("Đó&ng"), self)
        self.refresh_button.clicked.connect(self.load)
        self.folder_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.reject)
        self.filter_edit.textChanged.connect(self._show)
        self.problems_only.toggled.connect(self._show)

        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.problems_only)
        bottom = QHBoxLayout()
        bottom.addWidget(self.info, 1)
        bottom.addWidget(self.refresh_button)
        bottom.addWidget(self.folder_button)
        bottom.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.text, 1)
        lay.addLayout(bottom)
        self.load()

    def load(self) -> None:
        from client.diagnostics.support import read_log_tail

        try:
            self.lines = read_log_tail(self.home, TAIL_LINES)
        except OSError as exc:
            self.lines = []
            self.info.setText(self.tr("Không đọc được nhật ký: %1").replace("%1", str(exc)))
            return
        self._show()

    def shown_lines(self) -> list[str]:
        needle = self.filter_edit.text().strip().lower()
        out = []
        for line in self.lines:
            if needle and needle not in line.lower():
                continue
            if self.problems_only.isChecked() and not any(
                    w in line for w in ("WARNING", "ERROR", "CRITICAL")):
                continue
            out.append(line)
        return out

    def _show(self, *_args: object) -> None:
        shown = self.shown_lines()
        self.text.setPlainText("\n".join(shown))
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.info.setText(self.tr("%1 / %2 dòng gần nhất · %3")
                          .replace("%1", str(len(shown))).replace("%2", str(len(self.lines)))
                          .replace("%3", str(self.home.logs_dir)))

    def open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.home.logs_dir)))
