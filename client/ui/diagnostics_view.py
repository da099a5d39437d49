"""The diagnostics screen: the same checks as ``kbnn-client doctor``, run off the UI thread.

Each check shows ok / warning / failed as its result arrives, with what it
found and what to do. "Sao chép báo cáo" copies the plain report; "Lưu gói hỗ
trợ…" saves the report and the logs (secrets removed) as one zip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from client.home import Home
from client.ui import prompts
from client.ui.i18n import current_language
from client.ui.tables import read_only_rows
from client.ui.workers import UiHandle

log = logging.getLogger("client.ui.diagnostics")

STATUS_COLOURS = {"ok": "#1b5e20", "warning": "#e65100", "failed": "#b71c1c"}


class DiagnosticsDialog(QDialog):
    """"Kiểm tra máy": one row per check, details and advice of the selected one."""

    def __init__(self, home: Home, parent: QWidget | None = None, *, module: str | None = None,
                 only: list[str] | None = None, run_fn: Callable[..., Any] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagnosticsDialog")
        self.setWindowTitle(self.tr("Kiểm tra máy"))
        self.resize(1000, 640)
        self.home, self.module, self.only = home, module, only
        from client.diagnostics import run_diagnostics

        self._run_fn = run_fn or run_diagnostics
        self.ask_save_path: Callable[[QWidget, str, str, str], str | None] = prompts.ask_save_path
        self.report: Any = None
        self.results: dict[str, Any] = {}
        self._running = False
        self._generation = 0
        # the checks' threads report through this (nothing once the dialog is gone)
        self._ui = UiHandle(self)

        from client.diagnostics import check_list

        english = current_language() == "en"
        self.checks = [c for c in check_list() if only is None or c["id"] in only]
        self._rows = {c["id"]: i for i, c in enumerate(self.checks)}

        self.summary_label = QLabel("", self)
        self.summary_label.setObjectName("diagnosticsSummary")
        self.summary_label.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, max(1, len(self.checks)))
        self.progress.setFormat(self.tr("%v / %m mục"))

        self.table = QTableWidget(len(self.checks), 3, self)
        self.table.setObjectName("diagnosticsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Kết quả"), self.tr("Mục kiểm tra"),
                                              self.tr("Tình trạng")])
        read_only_rows(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for i, c in enumerate(self.checks):
            title = c.get("title_en") if english and c.get("title_en") else c["title"]
            self.table.setItem(i, 0, QTableWidgetItem(self.tr("Đang kiểm tra…")))
            self.table.setItem(i, 1, QTableWidgetItem(title))
            self.table.setItem(i, 2, QTableWidgetItem(""))
        self.table.itemSelectionChanged.connect(self._show_selected)

        self.detail = QPlainTextEdit(self)
        self.detail.setObjectName("diagnosticsDetail")
        self.detail.setReadOnly(True)
        self.detail.setPlaceholderText(self.tr("Chọn một mục để xem chi tiết và cách khắc phục."))

        self.rerun_button = QPushButton(self.tr("&Kiểm tra lại"), self)
        self.rerun_button.setObjectName("rerunButton")
        self.rerun_button.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.copy_button = QPushButton(self.tr("&Sao chép báo cáo"), self)
        self.copy_button.setObjectName("copyReport")
        self.bundle_button = QPushButton(self.tr("&Lưu gói hỗ trợ…"), self)
        self.bundle_button.setObjectName("saveBundle")
        self.close_button = QPushButton(self.tr("Đó&ng"), self)
        self.close_button.setObjectName("closeButton")
        self.rerun_button.clicked.connect(self.run)
        self.copy_button.clicked.connect(self.copy_report)
        self.bundle_button.clicked.connect(self.save_bundle)
        self.close_button.clicked.connect(self.reject)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        for b in (self.rerun_button, self.copy_button, self.bundle_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary_label)
        lay.addWidget(self.progress)
        lay.addWidget(split, 1)
        lay.addLayout(buttons)
        self._update_buttons()

    # -- running ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._running

    def run(self) -> None:
        """Run every check on background threads; results arrive one by one."""
        if self._running:
            return
        self._running = True
        self._generation += 1
        generation = self._generation
        self.report = None
        self.results.clear()
        self.progress.setValue(0)
        self.summary_label.setText(self.tr("Đang kiểm tra máy… (các mục chạy song song, tối đa "
                                           "khoảng 30 giây)"))
        for i in range(self.table.rowCount()):
            self._set_status_cell(i, None)
            self.table.item(i, 2).setText("")
        self._update_buttons()
        ui, home, module, only, fn = self._ui, self.home, self.module, self.only, self._run_fn

        def work() -> None:
            try:
                report = fn(home, module=module, only=only,
                            on_result=lambda r: ui.call("_on_result", (generation, r)))
            except Exception as exc:  # noqa: BLE001 - shown to the person, not swallowed
                log.warning("diagnostics failed: %s", type(exc).__name__)
                ui.call("_on_failed", str(exc))
            else:
                ui.call("_on_finished", (generation, report))

        threading.Thread(target=work, name="kbnn-diagnostics", daemon=True).start()

    def _status_text(self, status: str | None) -> str:
        return {"ok": self.tr("Đạt"), "warning": self.tr("Cảnh báo"),
                "failed": self.tr("Lỗi")}.get(status or "", self.tr("Đang kiểm tra…"))

    def _set_status_cell(self, row: int, status: str | None) -> None:
        item = self.table.item(row, 0)
        item.setText(self._status_text(status))
        colour = STATUS_COLOURS.get(status or "")
        item.setForeground(QBrush(QColor(colour)) if colour else QBrush())
        font = item.font()
        font.setBold(status in ("warning", "failed"))
        item.setFont(font)

    def _on_result(self, payload: tuple[int, Any]) -> None:
        generation, result = payload
        if generation != self._generation or result.id not in self._rows:
            return
        self.results[result.id] = result
        row = self._rows[result.id]
        self._set_status_cell(row, result.status)
        first = (result.detail or "").splitlines()[0] if result.detail else ""
        self.table.item(row, 2).setText(first)
        self.table.item(row, 2).setToolTip(result.detail or "")
        self.progress.setValue(len(self.results))
        if self.table.currentRow() == row:
            self._show_selected()

    def _on_finished(self, payload: tuple[int, Any]) -> None:
        generation, report = payload
        if generation != self._generation:
            return
        for result in report.checks:
            if result.id not in self.results:
                self._on_result((generation, result))
        self._running = False
        self.report = report
        s = report.summary()
        self.summary_label.setText(
            self.tr("Đã kiểm tra %1 mục: %2 đạt, %3 cảnh báo, %4 lỗi.")
            .replace("%1", str(len(report.checks))).replace("%2", str(s.get("ok", 0)))
            .replace("%3", str(s.get("warning", 0))).replace("%4", str(s.get("failed", 0))))
        self.progress.setValue(self.progress.maximum())
        if self.table.currentRow() < 0:
            worst = next((i for i, c in enumerate(self.checks)
                          if self.results.get(c["id"]) is not None
                          and self.results[c["id"]].status == "failed"), 0)
            self.table.selectRow(worst)
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self._running = False
        self.summary_label.setText(self.tr("Không chạy được việc kiểm tra: %1").replace("%1", message))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.rerun_button.setEnabled(not self._running)
        self.copy_button.setEnabled(self.report is not None)
        self.bundle_button.setEnabled(self.report is not None)

    def _show_selected(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.checks):
            self.detail.setPlainText("")
            return
        result = self.results.get(self.checks[row]["id"])
        if result is None:
            self.detail.setPlainText(self.tr("Đang kiểm tra…"))
            return
        parts = [f"{self._status_text(result.status)} — {self.table.item(row, 1).text()}"]
        if result.detail:
            parts.append(result.detail)
        if result.advice and result.status != "ok":
            parts.append(self.tr("Cách khắc phục:") + "\n" + result.advice)
        self.detail.setPlainText("\n\n".join(parts))

    # -- report ----------------------------------------------------------------------
    def copy_report(self) -> None:
        if self.report is None:
            return
        QGuiApplication.clipboard().setText(self.report.to_text())
        self.summary_label.setText(self.summary_label.text().split("\n")[0] + "\n"
                                   + self.tr("Đã sao chép báo cáo vào bộ nhớ tạm."))

    def save_bundle(self) -> None:
        if self.report is None:
            return
        from client.diagnostics.support import bundle_name, save_support_bundle

        path = self.ask_save_path(self, self.tr("Lưu gói hỗ trợ"), str(Path.home() / bundle_name()),
                                  self.tr("Tệp nén (*.zip)"))
        if not path:
            return
        try:
            saved = save_support_bundle(self.home, self.report, path)
        except Exception as exc:  # noqa: BLE001 - disk full, permissions: tell the person
            self.summary_label.setText(self.tr("Không lưu được gói hỗ trợ: %1").replace("%1", str(exc)))
            return
        self.saved_bundle = Path(saved)
        self.summary_label.setText(self.summary_label.text().split("\n")[0] + "\n"
                                   + self.tr("Đã lưu gói hỗ trợ: %1").replace("%1", str(saved)))
