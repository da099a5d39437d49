"""The main window: dossier list, the PDF exactly as signed, signatures, actions."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenuBar,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from client.errors import InvalidInput, KbnnError, Unreachable, UsageError
from client.money import amount_in_words, format_vnd
from client.ui import sign_dialog
from client.ui.labels import (
    kind_label,
    period_label,
    role_label,
    time_label,
    verdict_is_good,
    verdict_label,
)
from client.ui.models import COL_STATUS, COL_TOTAL, DossierModel, DossierRow, build_rows
from client.ui.workers import Runner

log = logging.getLogger("client.ui.main")

PDF_RETIRE_MS = 5_000
TRAINING_INTERVAL_MS = 3_000
REAL_INTERVAL_MS = 60_000

BANNER_STYLE = ("QLabel#trainingBanner { background-color: #c62828; color: white; font-weight: bold; "
                "font-size: 12pt; padding: 8px; border-bottom: 3px solid #ff8f00; }")


@dataclass
class SyncOutcome:
    """What one background flush + refresh found (built on the worker thread)."""

    rows: list[DossierRow]
    online: bool | None  # None: not configured / unknown
    connection_text: str
    errors: list[str] = field(default_factory=list)
    sent: int = 0


@dataclass
class PackageView:
    """A package to look at (complete, or not signable any more): same shape as ``Prepared``."""

    pdf: bytes
    document: dict
    existing: Any  # VerificationReport
    next_role: str | None = None
    problems: list = field(default_factory=list)


def view_package(package: bytes, document_json: bytes, trust: list[bytes]) -> PackageView:
    """What a stored package shows: its own ``document.pdf`` and the verification of its signatures."""
    import json

    from client.signing.asice import Package
    from client.signing.verify import verify_package

    report = verify_package(package, trust)
    pdf = Package.from_bytes(package).entries.get("document.pdf", b"")
    doc = report.document
    if doc is None:
        try:
            doc = json.loads(document_json.decode("utf-8"))
        except ValueError:
            doc = {}
    return PackageView(pdf=pdf, document=doc, existing=report, next_role=None,
                       problems=[] if report.valid else list(report.errors))


def _count(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return len(value)
    except TypeError:
        return 0


class MainWindow(QMainWindow):
    def __init__(self, ctx: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("KBNN Client")
        self.setObjectName("mainWindow")
        self.runner = Runner(self)

        # Hooks (tests replace these; the defaults are the real modal dialogs).
        self.cert_chooser = sign_dialog.choose_certificate
        self.pin_provider = sign_dialog.ask_pin

        self.current_local_id: int | None = None
        self.current_prepared: Any = None
        self.prepare_error: str | None = None
        self.online: bool | None = None
        self.last_error_title: str = ""
        self.last_error_text: str = ""
        self.last_message_box: QMessageBox | None = None
        self._prepare_seq = 0
        self._sync_running = False
        self._sync_again = False
        self._busy = False
        self.sign_flow: sign_dialog.SignFlow | None = None
        self._applying = False
        self._pdf_buffer: QBuffer | None = None
        self._prepare_pending = False
        self._shown_pdf: bytes = b""
        self._saved_core: tuple | None = None  # set on the runner thread (see below)
        self._shut_down = False

        self._build_top()
        self._build_actions()
        self._build_central()
        self._build_status_bar()

        self.timer = QTimer(self)
        self.timer.setInterval(TRAINING_INTERVAL_MS if ctx.training else REAL_INTERVAL_MS)
        self.timer.timeout.connect(self.sync_now)
        self.timer.start()

        self.resize(1280, 800)
        self._update_actions()
        self._bind_database_to_runner()
        self.reload()
        QTimer.singleShot(0, self.sync_now)

    # -- the database belongs to the runner thread -------------------------------------
    def _bind_database_to_runner(self) -> None:
        """Make the core's SQLite connection usable from the runner thread.

        ``sqlite3`` connections refuse use from another thread unless opened
        with ``check_same_thread=False``. When the context's connection
        refuses, the runner (one persistent thread) opens its own connection
        to the same file and the context's repositories use it while the
        window lives; ``shutdown`` puts the originals back.
        """
        ctx = self.ctx

        def bind() -> None:
            try:
                ctx.conn.execute("SELECT 1").fetchone()
            except sqlite3.ProgrammingError:
                from client.store.db import connect

                saved = (ctx.conn, ctx.documents, ctx.outbox)
                conn = connect(ctx.home.db_path)
                ctx.conn = conn
                ctx.documents = type(ctx.documents)(conn)
                ctx.outbox = type(ctx.outbox)(conn)
                # Assigned here, not in a result slot: ``shutdown`` must see it even
                # if the UI thread never got round to delivering the result.
                self._saved_core = saved
                log.info("database connection re-opened on the GUI worker thread")

        self.runner.submit(bind, None, self._on_background_error)

    # -- construction ----------------------------------------------------------------
    def _build_top(self) -> None:
        top = QWidget(self)
        lay = QVBoxLayout(top)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.banner: QLabel | None = None
        if self.ctx.training:
            url = self.ctx.home.server().get("url") or "(chưa chạy)"
            self.banner = QLabel(
                "CHẾ ĐỘ TẬP HUẤN — không có giá trị thanh toán thật; "
                f"Kho bạc mô phỏng tại {url}", top)
            self.banner.setObjectName("trainingBanner")
            self.banner.setStyleSheet(BANNER_STYLE)
            self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.banner.setWordWrap(True)
            self.banner.setAccessibleName("Cảnh báo chế độ tập huấn")
            lay.addWidget(self.banner)
        self.menu_bar = QMenuBar(top)
        lay.addWidget(self.menu_bar)
        # A menu *widget* (not removable by the user) holds banner + menus at the very top.
        self.setMenuWidget(top)

    def _build_actions(self) -> None:
        self.sign_action = QAction("Ký số…", self)
        self.sign_action.setShortcut(QKeySequence("Ctrl+K"))
        self.sign_action.setStatusTip("Ký hồ sơ đang chọn bằng chữ ký số trên token")
        self.sign_action.triggered.connect(self.sign_selected)

        self.submit_action = QAction("Gửi Kho bạc", self)
        self.submit_action.setShortcut(QKeySequence("Ctrl+G"))
        self.submit_action.setStatusTip("Đưa hồ sơ đã ký đủ vào hàng chờ và gửi Kho bạc")
        self.submit_action.triggered.connect(self.submit_selected)

        self.refresh_action = QAction("Làm mới trạng thái", self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.setStatusTip("Gửi các hồ sơ đang chờ và cập nhật trạng thái từ Kho bạc")
        self.refresh_action.triggered.connect(self.sync_now)

        self.quit_action = QAction("Thoát", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)

        for a in (self.sign_action, self.submit_action, self.refresh_action):
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        file_menu = self.menu_bar.addMenu("&Tệp")
        file_menu.addAction(self.quit_action)
        doc_menu = self.menu_bar.addMenu("&Hồ sơ")
        doc_menu.addActions([self.sign_action, self.submit_action, self.refresh_action])

        self.toolbar = QToolBar("Thao tác", self)
        self.toolbar.setObjectName("actionsToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addActions([self.sign_action, self.submit_action])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.refresh_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def _build_central(self) -> None:
        self.model = DossierModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("dossierTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        list_box = QWidget(self)
        ll = QVBoxLayout(list_box)
        ll.setContentsMargins(4, 4, 4, 4)
        ll.addWidget(QLabel("<b>Hồ sơ thanh toán</b>"))
        ll.addWidget(self.table)

        self.pdf_document: QPdfDocument | None = None  # replaced for each PDF shown (see _set_pdf)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("pdfView")
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        self.detail_label = QLabel("Chọn một hồ sơ để xem.", self)
        self.detail_label.setObjectName("detailLabel")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)

        self.signatures = QTableWidget(0, 5, self)
        self.signatures.setObjectName("signaturesTable")
        self.signatures.setHorizontalHeaderLabels(["Vai trò", "Người ký", "Thời gian ký", "Kết quả kiểm tra", "Ghi chú"])
        self.signatures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.signatures.verticalHeader().setVisible(False)
        self.signatures.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.signatures.horizontalHeader().setStretchLastSection(True)
        self.next_step_label = QLabel("", self)
        self.next_step_label.setObjectName("nextStepLabel")

        sig_box = QWidget(self)
        sl = QVBoxLayout(sig_box)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(QLabel("<b>Chữ ký số</b>"))
        sl.addWidget(self.signatures)
        sl.addWidget(self.next_step_label)

        right = QSplitter(Qt.Orientation.Vertical, self)
        top_right = QWidget(self)
        tl = QVBoxLayout(top_right)
        tl.setContentsMargins(4, 4, 4, 4)
        tl.addWidget(self.detail_label)
        tl.addWidget(self.pdf_view, 1)
        right.addWidget(top_right)
        right.addWidget(sig_box)
        right.setStretchFactor(0, 4)
        right.setStretchFactor(1, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(list_box)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 640])
        self.setCentralWidget(self.splitter)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        unit = self.ctx.home.unit()
        self.unit_label = QLabel(f"Đơn vị: {unit.name} ({unit.code})" if unit else "Đơn vị: (chưa khai báo)")
        self.connection_label = QLabel("Kho bạc: đang kiểm tra…")
        self.connection_label.setObjectName("connectionLabel")
        self.waiting_label = QLabel("Chờ gửi: 0")
        self.waiting_label.setObjectName("waitingLabel")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        self.busy_label = QLabel("")
        for w in (self.busy_label, self.busy_bar, self.unit_label, self.connection_label, self.waiting_label):
            bar.addPermanentWidget(w)

    # -- background data --------------------------------------------------------------
    def _snapshot(self) -> list[DossierRow]:  # worker thread
        return build_rows(self.ctx.documents.list(), self.ctx.outbox.items())

    def reload(self) -> None:
        """Re-read the list from the database (in the background)."""
        self.runner.submit(self._snapshot, self._apply_rows, self._on_background_error)

    def sync_now(self) -> None:
        """Flush the outbox and refresh statuses in the background, then update the list."""
        if self._sync_running:
            self._sync_again = True  # once more when this one is done (F5 during a timer run)
            return
        self._sync_running = True
        self._sync_again = False
        ctx = self.ctx

        def job() -> SyncOutcome:
            errors: list[str] = []
            online: bool | None = None
            text = ""
            sent = 0
            try:
                result = ctx.flush()
                sent = _count(getattr(result, "sent", 0))
                if _count(getattr(result, "unreachable", 0)):
                    online, text = False, "Kho bạc: không kết nối được (ngoại tuyến)"
                else:
                    online = True
                for e in getattr(result, "errors", None) or []:
                    errors.append(str(e))
            except Unreachable as exc:
                online, text = False, "Kho bạc: không kết nối được (ngoại tuyến)"
                errors.append(exc.message)
            except UsageError as exc:
                online, text = None, "Kho bạc: chưa đăng nhập"
                errors.append(exc.message)
            except KbnnError as exc:
                errors.append(str(exc))
            if online is not False and text != "Kho bạc: chưa đăng nhập":
                try:
                    ctx.refresh()
                    online = True
                except Unreachable as exc:
                    online, text = False, "Kho bạc: không kết nối được (ngoại tuyến)"
                    errors.append(exc.message)
                except KbnnError as exc:
                    errors.append(str(exc))
            if online:
                text = "Kho bạc: trực tuyến"
            return SyncOutcome(self._snapshot(), online, text or "Kho bạc: chưa rõ", errors, sent)

        self.runner.submit(job, self._on_synced, self._on_sync_failed)

    def _sync_finished(self) -> None:
        self._sync_running = False
        if self._sync_again and not self._shut_down:
            QTimer.singleShot(0, self.sync_now)

    def _on_synced(self, outcome: SyncOutcome) -> None:
        self._sync_finished()
        self.online = outcome.online
        self.connection_label.setText(outcome.connection_text)
        self.connection_label.setStyleSheet("" if outcome.online else "color: #b71c1c;")
        self._apply_rows(outcome.rows)
        if outcome.errors:
            log.info("sync finished with %d problem(s)", len(outcome.errors))
            self.connection_label.setToolTip("\n".join(outcome.errors))
        else:
            self.connection_label.setToolTip("")
        self._update_actions()

    def _on_sync_failed(self, exc: Exception) -> None:
        self._sync_finished()
        self.online = None
        self.connection_label.setText("Kho bạc: lỗi khi cập nhật")
        self.connection_label.setToolTip(str(exc))
        log.warning("sync failed: %s", type(exc).__name__)
        self._update_actions()

    def _on_background_error(self, exc: Exception) -> None:
        self.statusBar().showMessage(str(exc), 10_000)
        log.warning("background error: %s", type(exc).__name__)

    def _apply_rows(self, rows: list[DossierRow]) -> None:
        previous = {r.local_id: r for r in self.model.rows()}
        keep = self.current_local_id
        self._applying = True
        try:
            changed = self.model.set_rows(rows)
            if keep is not None:
                row = self.model.row_of(keep)
                if row >= 0 and not self.table.selectionModel().isRowSelected(row):
                    self.select_local_id(keep)
        finally:
            self._applying = False
        waiting = sum(1 for r in rows if r.waiting_to_send)
        self.waiting_label.setText(f"Chờ gửi: {waiting}")
        if changed:
            msgs = [f"Hồ sơ số {r.number}: {r.status}" for r, _old in changed]
            self.statusBar().showMessage(" · ".join(msgs), 15_000)
        if keep is not None:
            row = self.model.row_of(keep)
            if row >= 0:
                old, new = previous.get(keep), self.model.row_at(row)
                if (old is not None and new is not None and old.state != new.state
                        and not self._prepare_pending):
                    self._load_selected(keep, same_document=True)
            else:
                self._clear_detail()
        self._update_actions()

    # -- selection and the document view ------------------------------------------------
    def selected_row(self) -> DossierRow | None:
        return self.model.row_at(self.model.row_of(self.current_local_id)) \
            if self.current_local_id is not None else None

    def select_local_id(self, local_id: int) -> None:
        row = self.model.row_of(local_id)
        if row >= 0:
            self.table.selectionModel().select(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(self.model.index(row, 0))

    def _on_selection_changed(self, *_args: Any) -> None:
        if self._applying:
            return
        rows = self.table.selectionModel().selectedRows()
        r = self.model.row_at(rows[0].row()) if rows else None
        if r is None:
            self.current_local_id = None
            self._clear_detail()
        elif r.local_id != self.current_local_id or self.current_prepared is None:
            self.current_local_id = r.local_id
            self._load_selected(r.local_id)
        self._update_actions()

    def _load_selected(self, local_id: int, *, same_document: bool = False) -> None:
        """Prepare the document in the background; ``same_document``: keep showing the old view."""
        self._prepare_seq += 1
        seq = self._prepare_seq
        self._prepare_pending = True
        self.prepare_error = None
        if not same_document:
            self.current_prepared = None
            self.detail_label.setText("Đang tải hồ sơ…")
        ctx = self.ctx

        def load() -> Any:
            try:
                return ctx.prepare(local_id)
            except InvalidInput:
                # Complete (or no longer signable) packages are still shown, signatures verified.
                row = ctx.documents.get(local_id)
                if not row.package:
                    raise
                return view_package(row.package, row.document_json, ctx.trust())

        self.runner.submit(load,
                           lambda p: self._show_prepared(seq, local_id, p),
                           lambda e: self._prepare_failed(seq, e))
        self._update_actions()

    def _prepare_failed(self, seq: int, exc: Exception) -> None:
        if seq != self._prepare_seq:
            return
        self._prepare_pending = False
        self.current_prepared = None
        self.prepare_error = str(exc)
        self.detail_label.setText(f"Không mở được hồ sơ:\n{exc}")
        self._set_pdf(b"")
        self.signatures.setRowCount(0)
        self._update_actions()

    def _show_prepared(self, seq: int, local_id: int, prepared: Any) -> None:
        if seq != self._prepare_seq or local_id != self.current_local_id:
            return  # a newer selection won
        self._prepare_pending = False
        self.current_prepared = prepared
        doc = prepared.document or {}
        total = doc.get("total")
        parts = [kind_label(doc.get("kind")), f"số {doc.get('number', '')}"]
        if doc.get("period"):
            parts.append(f"kỳ {period_label(doc['period'])}")
        text = " — ".join(parts)
        unit = doc.get("unit") or {}
        if unit.get("name"):
            text += f"\n{unit['name']} ({unit.get('code', '')})"
        if isinstance(total, int) and not isinstance(total, bool):
            text += f"\nTổng tiền: {format_vnd(total)} đồng ({amount_in_words(total)})"
        problems = getattr(prepared, "problems", None) or []
        if problems:
            text += "\nGói hồ sơ KHÔNG hợp lệ:\n" + "\n".join(f"  - {p}" for p in problems)
        self.detail_label.setText(text)
        self._set_pdf(prepared.pdf)
        self._show_signatures(prepared)
        self._update_actions()

    def _set_pdf(self, data: bytes) -> None:
        """Show ``data`` (PDF bytes) in the view, through a ``QBuffer`` over exactly these bytes.

        PDFium reads the device lazily while pages render (QPdfView renders on
        worker threads), so each PDF gets a fresh ``QPdfDocument`` owning its
        buffer, and a replaced document is retired (closed and deleted) only
        after a grace period. The same bytes are not reloaded.
        """
        data = bytes(data or b"")
        if data == self._shown_pdf and (self._pdf_buffer is not None or not data):
            return
        old_doc = self.pdf_document
        self._shown_pdf = data
        doc = QPdfDocument(self)
        self._pdf_buffer = None
        if data:
            buf = QBuffer(doc)
            buf.setData(QByteArray(data))
            buf.open(QIODevice.OpenModeFlag.ReadOnly)
            self._pdf_buffer = buf
            doc.load(buf)
        self.pdf_document = doc
        self.pdf_view.setDocument(doc)
        if old_doc is not None:
            self._retire_document(old_doc)

    def shown_pdf_bytes(self) -> bytes:
        """The exact bytes the PDF view's document reads from (what the signer sees)."""
        if self._pdf_buffer is None:
            return b""
        return bytes(self._pdf_buffer.data().data())

    def _retire_document(self, doc: QPdfDocument) -> None:
        def drop() -> None:
            doc.close()
            doc.deleteLater()

        QTimer.singleShot(PDF_RETIRE_MS, self, drop)

    def _show_signatures(self, prepared: Any) -> None:
        existing = getattr(prepared, "existing", None)
        sigs = list(getattr(existing, "signatures", None) or [])
        self.signatures.setRowCount(len(sigs))
        for row, s in enumerate(sigs):
            verdict = getattr(s, "verdict", "")
            reasons = getattr(s, "reasons", None) or []
            reason_text = "; ".join(getattr(r, "message", str(r)) for r in reasons)
            values = (role_label(getattr(s, "role", "")), getattr(s, "signer_name", "") or "",
                      time_label(getattr(s, "signing_time", None)), verdict_label(verdict), reason_text)
            good = verdict_is_good(verdict)
            for col, v in enumerate(values):
                item = QTableWidgetItem(v)
                if col == 3 and good is not None:
                    item.setForeground(QBrush(QColor("#1b5e20" if good else "#b71c1c")))
                item.setToolTip(reason_text or v)
                self.signatures.setItem(row, col, item)
        next_role = getattr(prepared, "next_role", None)
        if next_role:
            self.next_step_label.setText(f"Bước tiếp theo: {role_label(next_role)} ký số.")
        elif sigs:
            self.next_step_label.setText("Đã đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị.")
        else:
            self.next_step_label.setText("")

    def _clear_detail(self) -> None:
        self._prepare_seq += 1
        self._prepare_pending = False
        self.current_prepared = None
        self.detail_label.setText("Chọn một hồ sơ để xem.")
        self._set_pdf(b"")
        self.signatures.setRowCount(0)
        self.next_step_label.setText("")

    # -- actions --------------------------------------------------------------------
    def _update_actions(self) -> None:
        r = self.selected_row()
        prepared = self.current_prepared
        next_role = getattr(prepared, "next_role", None) if prepared is not None else None
        can_sign = (not self._busy and not self._prepare_pending and r is not None
                    and prepared is not None and bool(next_role)
                    and r.state in ("draft", "signed-partial") and not r.in_outbox)
        self.sign_action.setEnabled(can_sign)
        self.sign_action.setText(f"Ký ({role_label(next_role)})…" if next_role else "Ký số…")
        can_submit = not self._busy and r is not None and r.state == "signed" and not r.in_outbox
        self.submit_action.setEnabled(can_submit)

    def set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        self.busy_label.setText(text if busy else "")
        if busy:
            self.setCursor(Qt.CursorShape.BusyCursor)
        else:
            self.unsetCursor()
        self._update_actions()

    @property
    def busy(self) -> bool:
        return self._busy

    def show_error(self, title: str, text: str) -> None:
        """A window-modal, non-blocking message box (kept as ``last_message_box``)."""
        self.last_error_title, self.last_error_text = title, text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.button(QMessageBox.StandardButton.Ok).setText("Đóng")
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.last_message_box = box
        box.open()

    def sign_selected(self) -> None:
        r, prepared = self.selected_row(), self.current_prepared
        if r is None or prepared is None or not getattr(prepared, "next_role", None) or self._busy:
            return
        self.sign_flow = sign_dialog.SignFlow(self, r.local_id, prepared)
        self.sign_flow.finished.connect(self._on_sign_finished)
        self.sign_flow.start()

    def _on_sign_finished(self, ok: bool, message: str) -> None:
        self.sign_flow = None
        if ok:
            self.statusBar().showMessage(message, 10_000)
            if self.current_local_id is not None:
                # Not waiting for the list: what is signable next must not be stale.
                self._load_selected(self.current_local_id, same_document=True)
            self.reload()

    def submit_selected(self) -> None:
        r = self.selected_row()
        if r is None or self._busy:
            return
        ctx, local_id = self.ctx, r.local_id
        self.set_busy(True, "Đang đưa hồ sơ vào hàng chờ gửi…")

        def done(_outbox_id: Any) -> None:
            self.set_busy(False)
            self.statusBar().showMessage(f"Hồ sơ số {r.number} đã vào hàng chờ gửi Kho bạc.", 10_000)
            self.reload()
            self.sync_now()

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error("Không gửi được", str(exc))
            self.reload()

        self.runner.submit(lambda: ctx.submit(local_id), done, failed)

    # -- lifetime -------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the timer, finish background work, give the context its connection back."""
        if self._shut_down:
            return
        self._shut_down = True
        self.timer.stop()
        self.runner.wait(60_000)
        ctx = self.ctx
        if self._saved_core is not None:
            saved, self._saved_core = self._saved_core, None

            def unbind() -> None:
                ctx.conn.close()
                ctx.conn, ctx.documents, ctx.outbox = saved

            self.runner.submit(unbind)
        self.runner.stop(30_000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def status_column_text(window: MainWindow, local_id: int) -> str:
    """The "Trạng thái" cell of a document (for tests and accessibility tools)."""
    row = window.model.row_of(local_id)
    if row < 0:
        return ""
    return window.model.data(window.model.index(row, COL_STATUS)) or ""


def total_column_text(window: MainWindow, local_id: int) -> str:
    row = window.model.row_of(local_id)
    if row < 0:
        return ""
    return window.model.data(window.model.index(row, COL_TOTAL)) or ""
