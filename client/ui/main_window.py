"""The main window: dossier list, the PDF exactly as signed, signatures, actions."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QIODevice,
    QItemSelectionModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from client.errors import InvalidInput, KbnnError, Unreachable, UsageError
from client.money import amount_in_words, format_vnd
from client.ui import package_view, sign_dialog, table_editor
from client.ui.dossiers import DossierFilter, DossierFilterBar, DossierProxy
from client.ui.i18n import money
from client.ui.labels import (
    kind_label,
    period_label,
    role_label,
    time_label,
    verdict_is_good,
    verdict_label,
)
from client.ui.models import COL_STATUS, COL_TOTAL, DossierModel, DossierRow, build_rows
from client.ui.notify import NoticeBar, Notifier
from client.ui.outbox_view import OutboxView
from client.ui.tables import read_only_rows
from client.ui.workers import Runner

log = logging.getLogger("client.ui.main")
translate = QCoreApplication.translate

PDF_RETIRE_MS = 5_000
TRAINING_INTERVAL_MS = 3_000
REAL_INTERVAL_MS = 60_000
TOKEN_CHECK_SECONDS = 20.0
MAX_SINGLE_NOTICES = 3

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
    items: list = field(default_factory=list)  # outbox items, newest first
    token_text: str = ""
    token_ok: bool | None = None


@dataclass
class Snapshot:
    """The list and the outbox as read on the worker thread."""

    rows: list[DossierRow]
    items: list


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
        self.status_notices = True  # status changes become notices (tray + in-app)
        self.runner = Runner(self)

        # Hooks (tests replace these; the defaults are the real modal dialogs).
        self.cert_chooser = sign_dialog.choose_certificate
        self.pin_provider = sign_dialog.ask_pin
        # warnings of the content checks: listed, "checked, sign anyway" recorded in the core
        self.warning_confirmer = sign_dialog.confirm_warnings_dialog
        self.open_staff_register = open_staff_register
        self.open_catalogues = open_catalogues
        self.last_dialog: QWidget | None = None
        self.pending_restore: str | None = None  # a backup to restore once the window is closed
        self.relaunch = False  # run_gui opens a new window after this one closed
        self._restore_state: dict[str, Any] | None = None  # see restore_view_state
        self.ask_relaunch = _ask_relaunch
        self._token_checked_at = 0.0

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
        package_view.install_package_actions(self)  # File > Open package, drag & drop .asice
        table_editor.install_editor_actions(self)  # Hồ sơ > Bảng lương mới / Nhập từ Excel

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
            url = self.ctx.home.server().get("url") or self.tr("(chưa chạy)")
            self.banner = QLabel(
                self.tr("CHẾ ĐỘ TẬP HUẤN — không có giá trị thanh toán thật; "
                        "Kho bạc mô phỏng tại %1").replace("%1", url), top)
            self.banner.setObjectName("trainingBanner")
            self.banner.setStyleSheet(BANNER_STYLE)
            self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.banner.setWordWrap(True)
            self.banner.setAccessibleName(self.tr("Cảnh báo chế độ tập huấn"))
            lay.addWidget(self.banner)
        self.menu_bar = QMenuBar(top)
        lay.addWidget(self.menu_bar)
        # A menu *widget* (not removable by the user) holds banner + menus at the very top.
        self.setMenuWidget(top)

    def _action(self, text: str, slot: Any, shortcut: QKeySequence | str | None = None,
                tip: str = "", name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut) if isinstance(shortcut, str) else shortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if name:
            action.setObjectName(name)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even where no menu shows the action
        return action

    def _build_actions(self) -> None:
        A = self._action  # noqa: N806
        self.sign_action = A(self.tr("Ký số…"), self.sign_selected, "Ctrl+K",
                             self.tr("Ký hồ sơ đang chọn bằng chữ ký số trên token"), "signAction")
        self.submit_action = A(self.tr("Gửi Kho bạc"), self.submit_selected, "Ctrl+G",
                               self.tr("Đưa hồ sơ đã ký đủ vào hàng chờ và gửi Kho bạc"), "submitAction")
        self.refresh_action = A(self.tr("Làm mới trạng thái"), self.sync_now, QKeySequence(Qt.Key.Key_F5),
                                self.tr("Gửi các hồ sơ đang chờ và cập nhật trạng thái từ Kho bạc"),
                                "refreshAction")
        self.show_in_outbox_action = A(self.tr("Xem trong &hàng đợi gửi"), self.show_selected_in_outbox,
                                       "Ctrl+J", self.tr("Trạng thái gửi, lý do, biên nhận của hồ sơ này"),
                                       "showInOutboxAction")
        self.find_action = A(self.tr("&Tìm hồ sơ"), self.focus_search, QKeySequence.StandardKey.Find,
                             self.tr("Tìm theo số hồ sơ hoặc số tiền"), "findAction")
        self.clear_filter_action = A(self.tr("&Bỏ lọc"), self.clear_filters, "Ctrl+Shift+F",
                                     self.tr("Hiện mọi hồ sơ"), "clearFilterAction")
        self.show_dossiers_action = A(self.tr("&Hồ sơ thanh toán"), lambda: self.show_page(0), "Ctrl+1",
                                      name="showDossiers")
        self.show_outbox_action = A(self.tr("Hàng đợi &gửi Kho bạc"), lambda: self.show_page(1), "Ctrl+2",
                                    name="showOutbox")
        self.notices_action = A(self.tr("&Thông báo…"), self.open_notices, "Ctrl+Shift+N",
                                self.tr("Các thay đổi trạng thái đã báo trong phiên làm việc"),
                                "noticesAction")
        self.setup_action = A(self.tr("&Thiết lập ban đầu…"), self.open_setup_wizard, None,
                              self.tr("Máy chủ, đơn vị, tài khoản, token"), "setupAction")
        self.settings_action = A(self.tr("&Cài đặt…"), self.open_settings, "Ctrl+,",
                                 self.tr("Máy chủ, proxy, token, ngôn ngữ, sao lưu"), "settingsAction")
        self.diagnostics_action = A(self.tr("&Kiểm tra máy…"), self.open_diagnostics, "Ctrl+Shift+D",
                                    self.tr("Tìm nguyên nhân khi không ký hoặc không gửi được"),
                                    "diagnosticsAction")
        self.log_action = A(self.tr("&Nhật ký…"), self.open_log_view, "Ctrl+Shift+L",
                            self.tr("Xem nhật ký hoạt động của phần mềm"), "logAction")
        self.staff_action = A(self.tr("Danh sách &cán bộ…"), lambda: self.open_staff_register(self),
                              "Ctrl+Shift+S", self.tr("Cán bộ, tài khoản, hệ số lương"), "staffAction")
        self.catalogue_action = A(self.tr("&Danh mục…"), lambda: self.open_catalogues(self), None,
                                  self.tr("Ngân hàng, mục lục ngân sách"), "catalogueAction")
        self.about_action = A(self.tr("&Giới thiệu"), self.show_about, None, name="aboutAction")
        self.quit_action = A(self.tr("Thoát"), self.close, "Ctrl+Q", name="quitAction")

        # The menus, by key; other parts of the GUI add their actions with add_menu_action().
        self.menus: dict[str, QMenu] = {}
        for key, title in (("file", self.tr("&Tệp")), ("dossier", self.tr("&Hồ sơ")),
                           ("view", self.tr("&Xem")), ("catalogue", self.tr("&Danh mục")),
                           ("tools", self.tr("&Công cụ")), ("help", self.tr("Trợ &giúp"))):
            menu = self.menu_bar.addMenu(title)
            menu.setObjectName(f"{key}Menu")
            self.menus[key] = menu
        self.menus["file"].addActions([self.setup_action, self.settings_action])
        self.menus["file"].addSeparator()
        self.quit_separator = self.menus["file"].addSeparator()
        self.menus["file"].addAction(self.quit_action)
        self.menus["dossier"].addActions([self.sign_action, self.submit_action,
                                          self.show_in_outbox_action, self.refresh_action])
        self.menus["dossier"].addSeparator()
        self.menus["dossier"].addActions([self.find_action, self.clear_filter_action])
        self.menus["view"].addActions([self.show_dossiers_action, self.show_outbox_action,
                                       self.notices_action])
        self.menus["catalogue"].addActions([self.staff_action, self.catalogue_action])
        self.menus["tools"].addActions([self.diagnostics_action, self.log_action])
        self.menus["help"].addAction(self.about_action)

        self.toolbar = QToolBar(self.tr("Thao tác"), self)
        self.toolbar.setObjectName("actionsToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setFloatable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addActions([self.sign_action, self.submit_action])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.refresh_action)
        self.toolbar.addSeparator()
        self.toolbar.addActions([self.show_dossiers_action, self.show_outbox_action])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)

    def add_menu_action(self, menu: str, action: QAction, *, toolbar: bool = False) -> QAction:
        """Add ``action`` to the menu called ``menu`` ("file", "dossier", "view", "catalogue",
        "tools", "help"); a new key makes a new menu before "help". In the "file" menu the
        action goes before "Thoát"."""
        target = self.menus.get(menu)
        if target is None:
            target = QMenu(menu, self.menu_bar)
            target.setObjectName(f"{menu}Menu")
            self.menu_bar.insertMenu(self.menus["help"].menuAction(), target)
            self.menus[menu] = target
        if menu == "file":
            target.insertAction(self.quit_separator, action)
        else:
            target.addAction(action)
        if action.parent() is not self:
            self.addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_central(self) -> None:
        self.model = DossierModel(self)
        self.proxy = DossierProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(self)
        self.table.setObjectName("dossierTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # database order until asked
        read_only_rows(self.table, alternating=True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.setAccessibleName(self.tr("Danh sách hồ sơ thanh toán"))
        # right click / the Menu key: what can be done with this dossier now
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.addActions([self.sign_action, self.submit_action, self.show_in_outbox_action,
                               self.refresh_action])

        self.filter_bar = DossierFilterBar(self)
        self.filter_bar.changed.connect(self._on_filter_changed)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("dossierCount")

        list_box = QWidget(self)
        ll = QVBoxLayout(list_box)
        ll.setContentsMargins(4, 4, 4, 4)
        head = QHBoxLayout()
        head.addWidget(QLabel(self.tr("<b>Hồ sơ thanh toán</b>")))
        head.addStretch(1)
        head.addWidget(self.count_label)
        ll.addLayout(head)
        ll.addWidget(self.filter_bar)
        ll.addWidget(self.table)

        self.pdf_document: QPdfDocument | None = None  # replaced for each PDF shown (see _set_pdf)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("pdfView")
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

        self.detail_label = QLabel(self.tr("Chọn một hồ sơ để xem."), self)
        self.detail_label.setObjectName("detailLabel")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)

        self.signatures = QTableWidget(0, 5, self)
        self.signatures.setObjectName("signaturesTable")
        self.signatures.setHorizontalHeaderLabels([
            self.tr("Vai trò"), self.tr("Người ký"), self.tr("Thời gian ký"),
            self.tr("Kết quả kiểm tra"), self.tr("Ghi chú")])
        self.signatures.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.signatures.verticalHeader().setVisible(False)
        self.signatures.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.signatures.horizontalHeader().setStretchLastSection(True)
        self.next_step_label = QLabel("", self)
        self.next_step_label.setObjectName("nextStepLabel")

        sig_box = QWidget(self)
        sl = QVBoxLayout(sig_box)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(QLabel(self.tr("<b>Chữ ký số</b>")))
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
        self.detail_splitter = right

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(list_box)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 640])

        self.outbox_view = OutboxView(self, self)
        self.outbox_view.changed.connect(self.reload)
        self.outbox_view.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(self.splitter, self.tr("&Hồ sơ thanh toán"))
        self.tabs.addTab(self.outbox_view, self.tr("Hàng đợi &gửi Kho bạc"))

        self.notice_bar = NoticeBar(self)
        self.notifier = Notifier(self.notice_bar, self)
        central = QWidget(self)
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(self.notice_bar)
        cl.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        QWidget.setTabOrder(self.filter_bar.clear_button, self.table)

    def view_state(self) -> dict[str, Any]:
        """What the person is looking at, for the window that replaces this one (the
        language changed): size and place, the page, the filters, the selected dossier."""
        return {"geometry": self.saveGeometry(), "page": self.tabs.currentIndex(),
                "filter": self.filter_bar.value(), "local_id": self.current_local_id}

    def restore_view_state(self, state: dict[str, Any]) -> None:
        """Put back ``view_state`` of the window this one replaces; the filters and the
        selection once the dossier list has loaded."""
        self.restoreGeometry(state["geometry"])
        self.show_page(state["page"])
        self._restore_state = state

    def show_page(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)
        (self.table if index == 0 else self.outbox_view.table).setFocus()

    def show_selected_in_outbox(self) -> None:
        r = self.selected_row()
        if r is None or r.outbox is None:
            return
        self.show_page(1)
        self.outbox_view.select(r.outbox.local_id)

    def focus_search(self) -> None:
        self.show_page(0)
        self.filter_bar.search.setFocus()
        self.filter_bar.search.selectAll()

    def clear_filters(self) -> None:
        self.filter_bar.clear()

    def _on_filter_changed(self, value: DossierFilter) -> None:
        self.proxy.set_filter(value)
        self._update_count()

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = (self.tr("%1 hồ sơ").replace("%1", str(total)) if shown == total
                else self.tr("%1 / %2 hồ sơ").replace("%1", str(shown)).replace("%2", str(total)))
        self.count_label.setText(text)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        unit = self.ctx.home.unit()
        self.unit_label = QLabel(self.tr("Đơn vị: %1 (%2)").replace("%1", unit.name).replace("%2", unit.code)
                                 if unit else self.tr("Đơn vị: (chưa khai báo)"))
        self.unit_label.setObjectName("unitLabel")
        self.connection_label = QLabel(self.tr("Kho bạc: đang kiểm tra…"))
        self.connection_label.setObjectName("connectionLabel")
        self.token_label = QLabel(self.tr("Token: đang kiểm tra…"))
        self.token_label.setObjectName("tokenLabel")
        self.waiting_label = QLabel(self.tr("Chờ gửi: %1").replace("%1", "0"))
        self.waiting_label.setObjectName("waitingLabel")
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setVisible(False)
        self.busy_label = QLabel("")
        for w in (self.busy_label, self.busy_bar, self.unit_label, self.connection_label,
                  self.token_label, self.waiting_label):
            bar.addPermanentWidget(w)

    # -- secondary windows ----------------------------------------------------------------
    def open_settings(self) -> None:
        from client.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ctx, self)
        dialog.saved.connect(lambda: self._on_settings_saved(dialog.language_changed))
        self.last_dialog = dialog
        dialog.open()

    def _on_settings_saved(self, language_changed: bool = False) -> None:
        # the treasury client may be in use on the worker: forget it there, then sync
        self.runner.submit(self.ctx.reset_api, None, self._on_background_error)
        self.sync_now()
        if language_changed and self.ask_relaunch(self):
            self.request_relaunch()

    def request_relaunch(self) -> None:
        """Close the window; ``run_gui`` opens a new one (in the language now chosen)."""
        self.relaunch = True
        self.close()

    def open_diagnostics(self) -> None:
        from client.ui.diagnostics_view import DiagnosticsDialog

        dialog = DiagnosticsDialog(self.ctx.home, self)
        self.last_dialog = dialog
        dialog.open()
        dialog.run()

    def open_notices(self) -> None:
        from client.ui.notify import NoticeHistoryDialog

        dialog = NoticeHistoryDialog(self.notifier.history, self)
        self.last_dialog = dialog
        dialog.open()

    def open_log_view(self) -> None:
        from client.ui.log_view import LogDialog

        dialog = LogDialog(self.ctx.home, self)
        self.last_dialog = dialog
        dialog.open()

    def open_setup_wizard(self) -> None:
        from client.ui.setup_wizard import SetupWizard

        wizard = SetupWizard(self.ctx.home, self)
        wizard.finished.connect(lambda _r: self._on_settings_saved())
        self.last_dialog = wizard
        wizard.open()

    def request_restore(self, path: str) -> None:
        """Close the window; ``run_gui`` restores ``path`` once the database is free."""
        self.pending_restore = path
        self.close()

    def show_about(self) -> None:
        from client import __version__

        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Giới thiệu"),
                          self.tr("KBNN Client %1\nLập, ký số và gửi hồ sơ thanh toán tới Kho bạc "
                                  "Nhà nước.").replace("%1", __version__),
                          QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()

    # -- background data --------------------------------------------------------------
    def _snapshot(self) -> list[DossierRow]:  # worker thread
        return build_rows(self.ctx.documents.summaries(), self.ctx.outbox.items())

    def _read_all(self) -> Snapshot:  # worker thread
        items = self.ctx.outbox.items()
        return Snapshot(build_rows(self.ctx.documents.summaries(), items), items)

    def reload(self) -> None:
        """Re-read the list and the outbox from the database (in the background)."""
        self.runner.submit(self._read_all, self._apply_snapshot, self._on_background_error)

    def _apply_snapshot(self, snap: Snapshot) -> None:
        self._apply_rows(snap.rows)
        self.outbox_view.set_items(snap.items)

    def _token_state(self) -> tuple[str, bool | None]:  # worker thread
        """What the status bar says about tokens: how many are plugged in."""
        ctx = self.ctx
        try:
            tokens = ctx.tokens().tokens()
        except KbnnError as exc:
            log.info("token check: %s", type(exc).__name__)
            return self.tr("Token: chưa sẵn sàng"), False
        except Exception as exc:  # a driver that misbehaves must not stop the sync
            log.warning("token check failed: %s", type(exc).__name__)
            return self.tr("Token: lỗi trình điều khiển"), False
        if not tokens:
            return self.tr("Token: chưa cắm"), False
        labels = ", ".join(getattr(t, "label", "") or "?" for t in tokens)
        return self.tr("Token: %1").replace("%1", labels), True

    def sync_now(self) -> None:
        """Flush the outbox and refresh statuses in the background, then update the list."""
        if self._sync_running:
            self._sync_again = True  # once more when this one is done (F5 during a timer run)
            return
        self._sync_running = True
        self._sync_again = False
        ctx = self.ctx
        offline = self.tr("Kho bạc: không kết nối được (ngoại tuyến)")
        not_logged_in = self.tr("Kho bạc: chưa đăng nhập")
        online_text = self.tr("Kho bạc: trực tuyến")
        unknown_text = self.tr("Kho bạc: chưa rõ")
        check_token = time.monotonic() - self._token_checked_at > TOKEN_CHECK_SECONDS
        if check_token:
            self._token_checked_at = time.monotonic()

        def job() -> SyncOutcome:
            errors: list[str] = []
            online: bool | None = None
            text = ""
            sent = 0
            try:
                result = ctx.flush()
                sent = _count(getattr(result, "sent", 0))
                if _count(getattr(result, "unreachable", 0)):
                    online, text = False, offline
                else:
                    online = True
                for e in getattr(result, "errors", None) or []:
                    errors.append(str(e))
            except Unreachable as exc:
                online, text = False, offline
                errors.append(exc.message)
            except UsageError as exc:
                online, text = None, not_logged_in
                errors.append(exc.message)
            except KbnnError as exc:
                errors.append(str(exc))
            if online is not False and text != not_logged_in:
                try:
                    ctx.refresh()
                    online = True
                except Unreachable as exc:
                    online, text = False, offline
                    errors.append(exc.message)
                except KbnnError as exc:
                    errors.append(str(exc))
            if online:
                text = online_text
            token_text, token_ok = self._token_state() if check_token else ("", None)
            snap = self._read_all()
            return SyncOutcome(snap.rows, online, text or unknown_text, errors, sent, snap.items,
                               token_text, token_ok)

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
        if outcome.token_text:
            self.token_label.setText(outcome.token_text)
            self.token_label.setStyleSheet("" if outcome.token_ok else "color: #b71c1c;")
        self._apply_rows(outcome.rows)
        self.outbox_view.set_items(outcome.items)
        if outcome.errors:
            log.info("sync finished with %d problem(s)", len(outcome.errors))
            self.connection_label.setToolTip("\n".join(outcome.errors))
        else:
            self.connection_label.setToolTip("")
        self._update_actions()

    def _on_sync_failed(self, exc: Exception) -> None:
        self._sync_finished()
        self.online = None
        self.connection_label.setText(self.tr("Kho bạc: lỗi khi cập nhật"))
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
            self.filter_bar.set_months([r.period for r in rows])
            if keep is not None:
                row = self._view_row(keep)
                if row >= 0 and not self.table.selectionModel().isRowSelected(row):
                    self.select_local_id(keep)
        finally:
            self._applying = False
        restore, self._restore_state = self._restore_state, None
        if restore is not None:
            self.filter_bar.set_value(restore["filter"])
            if restore["local_id"] is not None:
                self.select_local_id(restore["local_id"])
        self._update_count()
        waiting = sum(1 for r in rows if r.waiting_to_send)
        self.waiting_label.setText(self.tr("Chờ gửi: %1").replace("%1", str(waiting)))
        self.waiting_label.setStyleSheet("font-weight: bold;" if waiting else "")
        if changed:
            msgs = [self.tr("Hồ sơ số %1: %2").replace("%1", r.number).replace("%2", r.status)
                    for r, _old in changed]
            self.statusBar().showMessage(" · ".join(msgs), 15_000)
            if self.status_notices:
                important = any(r.stage in ("rejected", "attention") for r, _old in changed)
                if len(changed) > MAX_SINGLE_NOTICES:  # one notice for a burst of changes
                    self.notifier.notify(
                        self.tr("%1 hồ sơ đổi trạng thái").replace("%1", str(len(changed))),
                        " · ".join(msgs[:MAX_SINGLE_NOTICES]) + " …", important=important)
                else:
                    for r, _old in changed:
                        self.notifier.notify(
                            self.tr("Hồ sơ số %1").replace("%1", r.number),
                            f"{r.status} ({money(r.total)})",
                            important=r.stage in ("rejected", "attention"))
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

    def _view_row(self, local_id: int) -> int:
        """The row of ``local_id`` in the (filtered, sorted) table; -1 when hidden or absent."""
        row = self.model.row_of(local_id)
        if row < 0:
            return -1
        return self.proxy.mapFromSource(self.model.index(row, 0)).row()

    def select_local_id(self, local_id: int) -> None:
        """Select ``local_id`` in the list (clearing the filters if they hide it)."""
        if self.model.row_of(local_id) >= 0 and self._view_row(local_id) < 0:
            self.filter_bar.clear()
        row = self._view_row(local_id)
        if row >= 0:
            index = self.proxy.index(row, 0)
            self.table.selectionModel().select(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(index)

    def _on_selection_changed(self, *_args: Any) -> None:
        if self._applying:
            return
        rows = self.table.selectionModel().selectedRows()
        r = self.model.row_at(self.proxy.mapToSource(rows[0]).row()) if rows else None
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
            self.detail_label.setText(self.tr("Đang tải hồ sơ…"))
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
        self.detail_label.setText(self.tr("Không mở được hồ sơ:") + f"\n{exc}")
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
        parts = [kind_label(doc.get("kind")), self.tr("số %1").replace("%1", str(doc.get("number", "")))]
        if doc.get("period"):
            parts.append(self.tr("kỳ %1").replace("%1", period_label(doc["period"])))
        text = " — ".join(parts)
        unit = doc.get("unit") or {}
        if unit.get("name"):
            text += f"\n{unit['name']} ({unit.get('code', '')})"
        if isinstance(total, int) and not isinstance(total, bool):
            text += "\n" + self.tr("Tổng tiền: %1 đồng (%2)").replace("%1", format_vnd(total)) \
                .replace("%2", self._words(total))
        problems = getattr(prepared, "problems", None) or []
        if problems:
            text += "\n" + self.tr("Gói hồ sơ KHÔNG hợp lệ:") + "\n" + "\n".join(f"  - {p}" for p in problems)
        self.detail_label.setText(text)
        self._set_pdf(prepared.pdf)
        self._show_signatures(prepared)
        self._update_actions()

    def _words(self, total: int) -> str:
        """The amount in words, with the variants chosen in the settings."""
        try:
            from client.settings import Settings

            return Settings(self.ctx.home).amount_in_words(total)
        except Exception:  # unreadable settings: the standard reading
            return amount_in_words(total)

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
            self.next_step_label.setText(self.tr("Bước tiếp theo: %1 ký số.").replace("%1", role_label(next_role)))
        elif sigs:
            self.next_step_label.setText(self.tr("Đã đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị."))
        else:
            self.next_step_label.setText("")

    def _clear_detail(self) -> None:
        self._prepare_seq += 1
        self._prepare_pending = False
        self.current_prepared = None
        self.detail_label.setText(self.tr("Chọn một hồ sơ để xem."))
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
        self.sign_action.setText(self.tr("Ký (%1)…").replace("%1", role_label(next_role))
                                 if next_role else self.tr("Ký số…"))
        can_submit = not self._busy and r is not None and r.state == "signed" and not r.in_outbox
        self.submit_action.setEnabled(can_submit)
        self.show_in_outbox_action.setEnabled(r is not None and r.in_outbox)

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
        box.button(QMessageBox.StandardButton.Ok).setText(self.tr("Đóng"))
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
        self.set_busy(True, self.tr("Đang đưa hồ sơ vào hàng chờ gửi…"))

        def done(_outbox_id: Any) -> None:
            self.set_busy(False)
            self.statusBar().showMessage(
                self.tr("Hồ sơ số %1 đã vào hàng chờ gửi Kho bạc.").replace("%1", r.number), 10_000)
            self.reload()
            self.sync_now()

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error(self.tr("Không gửi được"), str(exc))
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


# -- default entry points of the registers (the table editor replaces them) ---------------


class RegisterDialog(QDialog):
    """A read-only list (staff register, catalogue) with a close button."""

    def __init__(self, title: str, headers: list[str], rows: list[list[str]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("registerDialog")
        self.setWindowTitle(title)
        self.resize(900, 560)
        self.table = QTableWidget(len(rows), len(headers), self)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, values in enumerate(rows):
            for c, v in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(buttons)


def _ask_relaunch(window: MainWindow) -> bool:
    from client.ui.prompts import confirm

    return confirm(window, translate("MainWindow", "Đổi ngôn ngữ"),
                   translate("MainWindow", "Mở lại cửa sổ bằng ngôn ngữ mới ngay bây giờ?"),
                   default_yes=True)


def open_staff_register(window: MainWindow) -> None:
    """The staff register, read-only (from the window's database, on its worker thread)."""
    ctx = window.ctx

    def load() -> list[list[str]]:
        from client.payroll.staff_repo import StaffRepo

        out = []
        for p in StaffRepo(ctx.conn).list():
            out.append([str(getattr(p, f, "") or "") for f in ("code", "name", "account", "bank")]
                       + [translate("MainWindow", "Đang làm việc") if getattr(p, "active", True)
                          else translate("MainWindow", "Đã nghỉ")])
        return out

    def show(rows: list[list[str]]) -> None:
        dialog = RegisterDialog(translate("MainWindow", "Danh sách cán bộ"),
                                [translate("MainWindow", "Mã"), translate("MainWindow", "Họ và tên"), translate("MainWindow", "Số tài khoản"),
                                 translate("MainWindow", "Ngân hàng"), translate("MainWindow", "Tình trạng")], rows, window)
        window.last_dialog = dialog
        dialog.open()

    window.runner.submit(load, show, lambda e: window.show_error(translate("MainWindow", "Danh sách cán bộ"), str(e)))


def open_catalogues(window: MainWindow) -> None:
    """The bank catalogue shipped with the application, read-only."""
    import csv

    from client.resources import resource

    rows: list[list[str]] = []
    headers: list[str] = []
    try:
        with open(resource("banks.csv"), encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            headers = next(reader, [])
            rows = [list(r) for r in reader]
    except OSError as exc:
        window.show_error(translate("MainWindow", "Danh mục"), str(exc))
        return
    names = {"short_name": translate("MainWindow", "Tên viết tắt"), "full_name": translate("MainWindow", "Tên đầy đủ"),
             "bin": translate("MainWindow", "Mã BIN"), "aliases": translate("MainWindow", "Tên gọi khác")}
    headers = [names.get(h, h) for h in headers]
    dialog = RegisterDialog(translate("MainWindow", "Danh mục ngân hàng"), headers, rows, window)
    window.last_dialog = dialog
    dialog.open()
