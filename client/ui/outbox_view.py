"""The outbox / submissions view: what waits to be sent, what the treasury said.

Columns: dossier, local state, treasury status, reason, attempts, next try;
actions: send now, retry, cancel, open the package, save the receipt. Every
core call runs on the main window's runner (the thread that owns the
database connection); this widget only shows and asks.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from client.ui import prompts
from client.ui.i18n import datetime_text, money
from client.ui.labels import kind_label, outbox_state_label, treasury_status_label
from client.ui.tables import read_only_rows

log = logging.getLogger("client.ui.outbox")
translate = QCoreApplication.translate

OUTBOX_COLUMNS = (
    QT_TRANSLATE_NOOP("OutboxModel", "Mục"),
    QT_TRANSLATE_NOOP("OutboxModel", "Số hồ sơ"),
    QT_TRANSLATE_NOOP("OutboxModel", "Loại"),
    QT_TRANSLATE_NOOP("OutboxModel", "Tổng tiền"),
    QT_TRANSLATE_NOOP("OutboxModel", "Trạng thái gửi"),
    QT_TRANSLATE_NOOP("OutboxModel", "Trạng thái Kho bạc"),
    QT_TRANSLATE_NOOP("OutboxModel", "Lý do / lỗi gần nhất"),
    QT_TRANSLATE_NOOP("OutboxModel", "Số lần thử"),
    QT_TRANSLATE_NOOP("OutboxModel", "Lần thử tiếp"),
)
(OB_ID, OB_NUMBER, OB_KIND, OB_TOTAL, OB_STATE, OB_TREASURY, OB_REASON, OB_ATTEMPTS,
 OB_NEXT) = range(len(OUTBOX_COLUMNS))
ItemRole = Qt.ItemDataRole.UserRole + 10


def reason_text(item: Any) -> str:
    """The treasury's reason, its problems, or the last transport error."""
    parts: list[str] = []
    if getattr(item, "reason", None):
        parts.append(item.reason)
    for p in getattr(item, "problems", None) or []:
        msg = getattr(p, "message", None) or str(p)
        if msg and msg not in parts:
            parts.append(msg)
    if not parts and getattr(item, "last_error", None) and getattr(item, "state", "") != "sent":
        parts.append(item.last_error)
    return "; ".join(parts)


class OutboxModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Any] = []

    def items(self) -> list[Any]:
        return list(self._items)

    def item_at(self, row: int) -> Any:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, local_id: int) -> int:
        return next((i for i, it in enumerate(self._items) if it.local_id == local_id), -1)

    def set_items(self, items: list[Any]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(OUTBOX_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return translate("OutboxModel", OUTBOX_COLUMNS[section])
        return None

    def text(self, item: Any, col: int) -> str:
        if col == OB_ID:
            return f"#{item.local_id}"
        if col == OB_NUMBER:
            return item.document_number or ""
        if col == OB_KIND:
            return kind_label(item.kind)
        if col == OB_TOTAL:
            return money(item.total)
        if col == OB_STATE:
            return outbox_state_label(item)
        if col == OB_TREASURY:
            return treasury_status_label(item.treasury_status)
        if col == OB_REASON:
            return reason_text(item)
        if col == OB_ATTEMPTS:
            return str(item.attempts or 0)
        if col == OB_NEXT:
            return datetime_text(item.next_try) if item.state == "queued" and item.next_try else ""
        return ""

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(item, index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (OB_TOTAL, OB_ATTEMPTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (OB_STATE, OB_TREASURY, OB_REASON):
            if item.state == "needs-attention" or item.treasury_status == "rejected":
                return QBrush(QColor("#b71c1c"))
            if item.treasury_status == "paid":
                return QBrush(QColor("#1b5e20"))
        if role == ItemRole:
            return item
        return None




def _open_file(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


class _Progress(QObject):
    """Carries ``progress(done, total)`` from the worker thread to the UI thread."""

    step = Signal(int, int)


class OutboxView(QWidget):
    """The "Hàng đợi gửi" tab. ``host`` is the main window (ctx, runner, show_error)."""

    changed = Signal()  # something was done: the dossier list should be re-read
    message = Signal(str)  # a line for the status bar

    def __init__(self, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outboxView")
        self.host = host
        # Hooks (tests replace these; the defaults are real dialogs and the desktop).
        self.ask_save_path: Callable[[QWidget, str, str, str], str | None] = prompts.ask_save_path
        self.confirm: Callable[[QWidget, str, str], bool] = prompts.confirm
        self.open_file: Callable[[Path], bool] = _open_file
        self.last_opened: Path | None = None
        self.last_send_all: Any = None  # the FlushResult of the last "send all"
        self._busy = False
        self._history_seq = 0

        self.model = OutboxModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        read_only_rows(self.table, alternating=True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(OB_REASON, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.send_button = QPushButton(self.tr("Gửi &ngay"), self)
        self.send_button.setObjectName("sendNow")
        self.send_button.setToolTip(self.tr("Gửi mục đang chọn ngay, không chờ lần thử tiếp (Ctrl+Enter)"))
        self.send_button.setShortcut(QKeySequence("Ctrl+Return"))
        self.retry_button = QPushButton(self.tr("&Thử lại"), self)
        self.retry_button.setObjectName("retry")
        self.retry_button.setToolTip(self.tr("Đưa mục cần xử lý trở lại hàng chờ (cùng khóa, không gửi trùng)"))
        self.cancel_button = QPushButton(self.tr("&Hủy gửi"), self)
        self.cancel_button.setObjectName("cancelItem")
        self.cancel_button.setToolTip(self.tr("Rút hồ sơ khỏi hàng chờ (chỉ khi Kho bạc chắc chắn chưa nhận)"))
        self.open_button = QPushButton(self.tr("&Mở gói hồ sơ"), self)
        self.open_button.setObjectName("openPackage")
        self.receipt_button = QPushButton(self.tr("&Lưu biên nhận…"), self)
        self.receipt_button.setObjectName("saveReceipt")
        self.send_all_button = QPushButton(self.tr("Gửi &tất cả ngay"), self)
        self.send_all_button.setObjectName("sendAll")
        self.send_all_button.setToolTip(self.tr("Gửi mọi hồ sơ đang chờ, không chờ lần thử tiếp"))
        self.progress = QProgressBar(self)
        self.progress.setObjectName("sendProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setFormat(self.tr("%v / %m hồ sơ"))
        self.progress.setVisible(False)
        self.stop_button = QPushButton(self.tr("&Dừng"), self)
        self.stop_button.setObjectName("stopSending")
        self.stop_button.setToolTip(self.tr("Dừng sau hồ sơ đang gửi (hồ sơ còn lại vẫn nằm trong hàng chờ)"))
        self.stop_button.setVisible(False)
        self._stop = threading.Event()
        self._progress = _Progress(self)
        self._progress.step.connect(self._on_progress)
        buttons = QHBoxLayout()
        for b in (self.send_button, self.retry_button, self.cancel_button, self.open_button,
                  self.receipt_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        for w in (self.progress, self.stop_button, self.send_all_button):
            buttons.addWidget(w)
        self.send_all_button.clicked.connect(self.send_all)
        self.stop_button.clicked.connect(self.stop_sending)
        self.send_button.clicked.connect(self.send_now)
        self.retry_button.clicked.connect(self.retry)
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_package)
        self.receipt_button.clicked.connect(self.save_receipt)

        self.summary_label = QLabel("", self)
        self.summary_label.setObjectName("outboxSummary")
        self.history = QPlainTextEdit(self)
        self.history.setObjectName("outboxHistory")
        self.history.setReadOnly(True)
        self.history.setPlaceholderText(self.tr("Chọn một mục để xem lịch sử trạng thái."))
        self.history.setAccessibleName(self.tr("Lịch sử trạng thái"))

        top = QWidget(self)
        tl = QVBoxLayout(top)
        tl.setContentsMargins(4, 4, 4, 4)
        title = QLabel(self.tr("<b>Hàng đợi gửi Kho bạc</b>"), top)
        tl.addWidget(title)
        tl.addWidget(self.summary_label)
        tl.addLayout(buttons)
        tl.addWidget(self.table, 1)
        bottom = QWidget(self)
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(4, 4, 4, 4)
        hist_label = QLabel(self.tr("<b>Lịch sử trạng thái</b>"), bottom)
        bl.addWidget(hist_label)
        bl.addWidget(self.history)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        QWidget.setTabOrder(self.send_button, self.retry_button)
        QWidget.setTabOrder(self.retry_button, self.cancel_button)
        QWidget.setTabOrder(self.cancel_button, self.open_button)
        QWidget.setTabOrder(self.open_button, self.receipt_button)
        QWidget.setTabOrder(self.receipt_button, self.send_all_button)
        QWidget.setTabOrder(self.send_all_button, self.table)
        self._update_buttons()

    # -- data ------------------------------------------------------------------------
    def selected_item(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item_at(rows[0].row()) if rows else None

    def select(self, local_id: int) -> None:
        row = self.model.row_of(local_id)
        if row >= 0:
            self.table.selectRow(row)

    def set_items(self, items: list[Any]) -> None:
        keep = self.selected_item()
        self.model.set_items(items)
        if keep is not None:
            self.select(keep.local_id)
        waiting = sum(1 for it in items if it.state in ("queued", "sending"))
        attention = sum(1 for it in items if it.state == "needs-attention")
        following = sum(1 for it in items if it.state == "sent"
                        and it.treasury_status not in ("rejected", "paid"))
        self.summary_label.setText(
            self.tr("Chờ gửi: %1 · Cần xử lý: %2 · Đang theo dõi: %3")
            .replace("%1", str(waiting)).replace("%2", str(attention)).replace("%3", str(following)))
        self._on_selection()

    def _update_buttons(self) -> None:
        item = self.selected_item()
        idle = not self._busy and item is not None
        self.send_button.setEnabled(idle and item.state in ("queued", "needs-attention")
                                    and item.submission_id is None)
        self.retry_button.setEnabled(idle and item.can_retry and item.state == "needs-attention")
        self.cancel_button.setEnabled(idle and item.can_cancel)
        self.open_button.setEnabled(idle)
        self.receipt_button.setEnabled(idle and bool(item.has_receipt))
        self.send_all_button.setEnabled(not self._busy and any(
            it.state in ("queued", "sending") for it in self.model.items()))

    def _on_selection(self, *_args: Any) -> None:
        self._update_buttons()
        item = self.selected_item()
        self._history_seq += 1
        seq = self._history_seq
        if item is None:
            self.history.setPlainText("")
            return
        ctx, local_id = self.host.ctx, item.local_id
        self.host.runner.submit(lambda: ctx.outbox.history(local_id),
                                lambda h: self._show_history(seq, item, h),
                                lambda _e: None)

    def _show_history(self, seq: int, item: Any, history: list[dict]) -> None:
        if seq != self._history_seq:
            return
        lines = [self.tr("Hồ sơ số %1 — khóa gửi %2").replace("%1", item.document_number or "")
                 .replace("%2", item.idempotency_key)]
        if item.submission_id:
            lines.append(self.tr("Mã hồ sơ tại Kho bạc: %1").replace("%1", item.submission_id))
        for h in history:
            line = f"{datetime_text(h.get('at'))}  {treasury_status_label(h.get('status'))}"
            if h.get("note"):
                line += f" — {h['note']}"
            lines.append(line)
        if item.last_error and item.state != "sent":
            lines.append(self.tr("Lỗi gần nhất: %1").replace("%1", item.last_error))
        self.history.setPlainText("\n".join(lines))

    # -- actions ---------------------------------------------------------------------
    def _run(self, fn: Callable[[], Any], done: Callable[[Any], None], what: str) -> None:
        self._busy = True
        self._update_buttons()

        def ok(result: Any) -> None:
            self._busy = False
            self._update_buttons()
            done(result)
            self.changed.emit()

        def failed(exc: Exception) -> None:
            self._busy = False
            self._update_buttons()
            self.host.show_error(what, str(exc))
            self.changed.emit()

        self.host.runner.submit(fn, ok, failed)

    def send_now(self) -> None:
        item = self.selected_item()
        if item is None or self._busy:
            return
        ctx, local_id = self.host.ctx, item.local_id

        def job() -> Any:
            if item.state == "needs-attention":
                ctx.outbox.retry(local_id)
            return ctx.outbox.flush(ctx.api(), force=True, only=[local_id])

        def done(result: Any) -> None:
            if getattr(result, "sent", 0):
                self.message.emit(self.tr("Đã gửi hồ sơ số %1 tới Kho bạc.")
                                  .replace("%1", item.document_number))
            elif getattr(result, "errors", None):
                self.message.emit("; ".join(result.errors))

        self._run(job, done, self.tr("Không gửi được"))

    def send_all(self) -> None:
        """Send every queued item now, with progress; "Dừng" stops between two items."""
        if self._busy:
            return
        ctx, stop, progress = self.host.ctx, self._stop, self._progress
        stop.clear()
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.stop_button.setVisible(True)
        self.stop_button.setEnabled(True)

        def job() -> Any:
            return ctx.outbox.flush(ctx.api(), force=True, should_stop=stop.is_set,
                                    progress=lambda done, total: progress.step.emit(done, total))

        def done(result: Any) -> None:
            self._end_progress()
            text = self.tr("Đã gửi %1 hồ sơ; còn chờ %2.").replace("%1", str(result.sent)) \
                .replace("%2", str(result.waiting))
            if result.errors:
                text += " " + "; ".join(result.errors)
            self.last_send_all = result
            self.message.emit(text)

        self._run(job, done, self.tr("Không gửi được"))
        # the failure path must hide the progress too
        self.host.runner.submit(lambda: None, lambda _r: self._end_progress(), None)

    def stop_sending(self) -> None:
        self._stop.set()
        self.stop_button.setEnabled(False)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _end_progress(self) -> None:
        self.progress.setVisible(False)
        self.stop_button.setVisible(False)

    def retry(self) -> None:
        item = self.selected_item()
        if item is None or self._busy:
            return
        ctx, local_id = self.host.ctx, item.local_id
        self._run(lambda: ctx.outbox.retry(local_id),
                  lambda _r: self.message.emit(self.tr("Hồ sơ số %1 đã trở lại hàng chờ gửi.")
                                               .replace("%1", item.document_number)),
                  self.tr("Không thử lại được"))

    def cancel(self) -> None:
        item = self.selected_item()
        if item is None or self._busy:
            return
        text = self.tr("Rút hồ sơ số %1 (%2) khỏi hàng chờ gửi? Hồ sơ trở lại trạng thái "
                       "«đã ký đủ», có thể gửi lại sau.").replace("%1", item.document_number) \
            .replace("%2", money(item.total))
        if not self.confirm(self, self.tr("Hủy gửi"), text):
            return
        ctx, local_id = self.host.ctx, item.local_id
        self._run(lambda: ctx.outbox.cancel(local_id),
                  lambda _r: self.message.emit(self.tr("Đã hủy gửi hồ sơ số %1.")
                                               .replace("%1", item.document_number)),
                  self.tr("Không hủy được"))

    def open_package(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        ctx, local_id = self.host.ctx, item.local_id
        folder = Path(tempfile.gettempdir()) / "kbnn-client-packages"
        name = f"{_safe_name(item.document_number) or local_id}.asice"

        def job() -> Path:
            data = ctx.outbox.package(local_id)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_bytes(data)
            return path

        def done(path: Path) -> None:
            self.last_opened = path
            if not self.open_file(path):
                self.message.emit(self.tr("Đã lưu gói hồ sơ tại %1").replace("%1", str(path)))

        self._run(job, done, self.tr("Không mở được gói hồ sơ"))

    def save_receipt(self) -> None:
        item = self.selected_item()
        if item is None or not item.has_receipt:
            return
        ctx, local_id = self.host.ctx, item.local_id

        def fetched(data: bytes | None) -> None:
            if not data:
                self.host.show_error(self.tr("Chưa có biên nhận"),
                                     self.tr("Kho bạc chưa gửi biên nhận thanh toán cho hồ sơ này."))
                return
            ext, filters = (".pdf", self.tr("Tệp PDF (*.pdf)")) if data[:4] == b"%PDF" else \
                (".json", self.tr("Mọi tệp (*)"))
            suggested = f"bien-nhan-{_safe_name(item.document_number) or local_id}{ext}"
            path = self.ask_save_path(self, self.tr("Lưu biên nhận thanh toán"), suggested, filters)
            if not path:
                return
            try:
                Path(path).write_bytes(data)
            except OSError as exc:
                self.host.show_error(self.tr("Không lưu được biên nhận"), str(exc))
                return
            self.message.emit(self.tr("Đã lưu biên nhận vào %1").replace("%1", path))

        self._run(lambda: ctx.outbox.receipt(local_id), fetched, self.tr("Không đọc được biên nhận"))


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in (text or "")).strip("-")
