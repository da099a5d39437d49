"""The table editor: from the workbook to the signature in one window.

A ``QTableView`` over ``editor_model.LinesModel`` (no widget per row: smooth
at 10 000 lines), generic over an ``EditorSpec`` (Mẫu 09 salary table here,
Mẫu 07 voucher list with its NDKT column completing codes). It offers:

- import from a workbook (the shared importer), paste from Excel (Ctrl+V:
  tab-separated clipboard, one undo step, lines added as needed), copy back
  to Excel (Ctrl+C), Delete to clear cells, undo/redo (``QUndoStack``);
- the header: number, pay period, the payment order and its amount (the
  total must equal it);
- a checks panel (``client.documents.checks``, run off the UI thread a
  moment after each change) whose entries jump to the cell they name; the
  cells and row numbers they name are coloured;
- the live total and the amount in words;
- print preview: the core's PDF (``client.render.render_pdf``) in ``QPdfView``;
- "Ký số": errors block (the editor goes to the cell), then the document is
  stored as a draft and signed through the same ``SignFlow`` the main window
  uses: the core's gate (warnings need a recorded confirmation,
  ``documents.confirmations``), certificate picker, PIN dialog.

"Lưu nháp" stores the table in the dossier list (replacing the draft it was
opened from or saved as before). ``install_editor_actions(window)`` is the
main window's one hook: new table, import a workbook, edit the selected draft.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QCoreApplication,
    QEvent,
    QIODevice,
    QModelIndex,
    QObject,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStyledItemDelegate,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from client.errors import KbnnError, Problem
from client.money import amount_in_words, format_vnd
from client.ui.editor_model import EditorSpec, LinesModel, PasteOutcome, salary_spec, voucher_spec
from client.ui.sign_dialog import confirm_warnings_dialog

log = logging.getLogger("client.ui.editor")

CHECK_DELAY_MS = 500


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("TableEditor", text)


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kbnn-editor")


def run_in_pool(fn: Callable[[], Any], on_done: Callable[[Any], None],
                on_failed: Callable[[Exception], None], owner: QObject | None = None) -> Future:
    """Run ``fn`` on a worker thread (pure computations only: never the database); the
    callbacks run on the UI thread, and are skipped once ``owner`` is closed or deleted.

    Call from the UI thread. (Plain Python threads; results come back through
    ``client.ui.workers.ui_poster``: no Qt object is made or freed by a worker.)
    """
    import shiboken6

    from client.ui.workers import ui_poster

    post = ui_poster()

    def alive() -> bool:
        return owner is None or (shiboken6.isValid(owner) and not getattr(owner, "closed", False))

    def job() -> None:
        try:
            result = fn()
        except Exception as exc:  # reported on the UI thread, never swallowed
            log.info("editor background task failed: %s", type(exc).__name__)
            post(lambda e=exc: on_failed(e) if alive() else None)
        else:
            post(lambda r=result: on_done(r) if alive() else None)

    return _POOL.submit(job)


class _CompletingDelegate(QStyledItemDelegate):
    """A line edit that completes from the column's list (e.g. NDKT codes)."""

    def __init__(self, words: Callable[[], list[str]], parent: QObject) -> None:
        super().__init__(parent)
        self._words = words

    def createEditor(self, parent: QWidget, option: Any, index: QModelIndex) -> QWidget:  # noqa: N802
        editor = QLineEdit(parent)
        completer = QCompleter(self._words(), editor)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        editor.setCompleter(completer)
        return editor


class PrintPreview(QDialog):
    """The PDF exactly as it will be signed, page by page."""

    def __init__(self, pdf: bytes, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printPreview")
        self.setWindowTitle(translate("TableEditor", "Xem trước khi in — %s") % title)
        self.pdf = pdf
        layout = QVBoxLayout(self)
        self.document = QPdfDocument(self)
        self._buffer = QBuffer(self.document)
        self._buffer.setData(QByteArray(pdf))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(self._buffer)
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        layout.addWidget(self.view, 1)
        pages = QLabel(translate("TableEditor", "%d trang") % self.document.pageCount(), self)
        layout.addWidget(pages)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(translate("TableEditor", "Đóng"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(1100, 800)

    def retire(self) -> None:
        """Close, and let the PDF outlive the dialog until QPdfView's renderers are done."""
        from client.ui.package_view import retire_pdf

        if self.document.parent() is self:
            retire_pdf(self.view, self.document)
        self.close()
        self.deleteLater()


class TableEditor(QMainWindow):
    """Edit a document's lines, check them, preview the form and sign it."""

    def __init__(self, spec: EditorSpec | None = None, document: dict | None = None, *,
                 ctx: Any = None, host: Any = None, local_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tableEditor")
        self.spec = spec or salary_spec()
        self.host = host
        self._ctx = ctx
        self.local_id = local_id  # the stored draft this editor last saved (or opened)
        self._saved_at: int | None = 0 if local_id is not None else None  # undo index when saved
        self.problems: list[Problem] = []
        self._catalogue: Any = None  # client.catalogue.Catalogue, once the checks needed it
        self.checks_current = False
        self._check_seq = 0
        self._busy = False
        self.last_error_title = ""
        self.last_error_text = ""
        self.last_notice = ""
        self.last_paste: PasteOutcome | None = None
        self.preview: PrintPreview | None = None
        self.picker_facts: Any = None
        self.source_rows: list[int] | None = None
        self.payment_order_amount: int | None = None  # the Giấy rút/UNC total the table must equal
        # Asked by SignFlow (as for the main window) for the warnings the stored draft still has.
        self.warning_confirmer: Callable[[QWidget, list[Problem]], bool] = confirm_warnings_dialog
        self.sign_flow: Any = None

        self.model = LinesModel(self.spec, document, self)
        home = getattr(ctx or getattr(host, "ctx", None), "home", None)
        if home is not None:
            from client.settings import Settings

            self.model.words_options = Settings(home).words_options()
        self.setWindowTitle(self.spec.title)
        self._build_actions()
        self._build_central()
        self.model.totalChanged.connect(self._show_total)
        self.model.linesChanged.connect(self._lines_changed)
        self.model.editRejected.connect(lambda msg: self.notice(msg, 8000))
        self.model.undo_stack.indexChanged.connect(self._stack_changed)
        self.check_timer = QTimer(self)
        self.check_timer.setSingleShot(True)
        self.check_timer.setInterval(CHECK_DELAY_MS)
        self.check_timer.timeout.connect(self.run_checks)
        self._show_total(self.model.total)
        self._update_actions()
        self.resize(1360, 820)
        QTimer.singleShot(0, self.run_checks)

    # -- what SignFlow needs of its window ---------------------------------------
    @property
    def ctx(self) -> Any:
        return self._ctx if self._ctx is not None else getattr(self.host, "ctx", None)

    @property
    def runner(self) -> Any:
        return getattr(self.host, "runner", None)

    @property
    def cert_chooser(self) -> Callable:
        from client.ui import sign_dialog

        return getattr(self.host, "cert_chooser", sign_dialog.choose_certificate)

    @property
    def pin_provider(self) -> Callable:
        from client.ui import sign_dialog

        return getattr(self.host, "pin_provider", sign_dialog.ask_pin)

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.busy_label.setText(text if busy else "")
        self.busy_label.setVisible(busy)
        self._update_actions()

    def notice(self, text: str, msecs: int = 10_000) -> None:
        """Tell the user something in the status bar (kept in ``last_notice`` too)."""
        self.last_notice = text
        self.statusBar().showMessage(text, msecs)

    def show_error(self, title: str, text: str) -> None:
        self.last_error_title, self.last_error_text = title, text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.last_message_box = box
        box.open()

    # -- building -------------------------------------------------------------------
    def _action(self, text: str, slot: Callable, shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        stack = self.model.undo_stack
        self.import_action = self._action(translate("TableEditor", "Nhập từ Excel…"), self.choose_workbook, None,
                                          translate("TableEditor", "Đọc các dòng từ tệp .xlsx, .xls, .ods hoặc .csv"))
        self.add_action = self._action(translate("TableEditor", "Thêm dòng"), self.add_line, "Ctrl+Return")
        self.delete_action = self._action(translate("TableEditor", "Xóa dòng"), self.delete_selected_lines, "Ctrl+Delete")
        self.undo_action = self._action(translate("TableEditor", "Hoàn tác"), stack.undo, QKeySequence.StandardKey.Undo)
        self.redo_action = self._action(translate("TableEditor", "Làm lại"), stack.redo, QKeySequence.StandardKey.Redo)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        stack.canUndoChanged.connect(self.undo_action.setEnabled)
        stack.canRedoChanged.connect(self.redo_action.setEnabled)
        stack.undoTextChanged.connect(lambda t: self.undo_action.setToolTip(translate("TableEditor", "Hoàn tác: %s") % t))
        stack.redoTextChanged.connect(lambda t: self.redo_action.setToolTip(translate("TableEditor", "Làm lại: %s") % t))
        self.paste_action = self._action(translate("TableEditor", "Dán từ Excel"), self.paste_from_clipboard, None,
                                         translate("TableEditor", "Dán vùng ô đã sao chép trong Excel từ ô đang chọn"))
        self.check_action = self._action(translate("TableEditor", "Kiểm tra"), self.run_checks, "F9")
        self.preview_action = self._action(translate("TableEditor", "Xem trước khi in"), self.print_preview, "Ctrl+P")
        self.save_action = self._action(translate("TableEditor", "Lưu nháp"), self.save_draft,
                                        QKeySequence.StandardKey.Save,
                                        translate("TableEditor", "Lưu bảng vào danh sách hồ sơ (bản nháp)"))
        self.sign_action = self._action(translate("TableEditor", "Ký số…"), self.sign, "Ctrl+K",
                                        translate("TableEditor", "Lưu bảng, kiểm tra rồi ký số bằng token"))
        toolbar = QToolBar(translate("TableEditor", "Bảng"), self)
        toolbar.setObjectName("editorToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addActions([self.import_action, self.paste_action])
        toolbar.addSeparator()
        toolbar.addActions([self.add_action, self.delete_action, self.undo_action, self.redo_action])
        toolbar.addSeparator()
        toolbar.addActions([self.check_action, self.preview_action, self.save_action, self.sign_action])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, toolbar)

    def _build_central(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        head = QHBoxLayout()
        base = self.model.base
        form = QFormLayout()
        self.number_edit = QLineEdit(str(base.get("number") or ""), self)
        self.number_edit.setObjectName("numberEdit")
        self.number_edit.setMaximumWidth(320)
        self.number_edit.editingFinished.connect(self._header_edited)
        form.addRow(translate("TableEditor", "Số:"), self.number_edit)
        unit = base.get("unit") if isinstance(base.get("unit"), dict) else {}
        unit_text = " — ".join(str(x) for x in (unit.get("code"), unit.get("name")) if x)
        form.addRow(translate("TableEditor", "Đơn vị:"),
                    QLabel(unit_text or translate("TableEditor", "(chưa khai báo)"), self))
        head.addLayout(form, 2)
        form2 = QFormLayout()
        period = base.get("period") if isinstance(base.get("period"), dict) else {}
        self.period_edit = QLineEdit(self)
        self.period_edit.setObjectName("periodEdit")
        self.period_edit.setPlaceholderText(translate("TableEditor", "MM/YYYY"))
        if period.get("month") and period.get("year"):
            self.period_edit.setText(f"{int(period['month']):02d}/{period['year']}")
        self.period_edit.editingFinished.connect(self._header_edited)
        if self.spec.kind == "salary-table":
            form2.addRow(translate("TableEditor", "Kỳ lương (tháng/năm):"), self.period_edit)
        else:
            self.period_edit.setVisible(False)
        # a voucher list's budget codes (Mẫu 07 header); the checks name each one
        self.budget_edits: dict[str, QLineEdit] = {}
        if self.spec.kind == "voucher-list":
            budget = base.get("budget") if isinstance(base.get("budget"), dict) else {}
            labels = {"chapter": translate("TableEditor", "Mã chương:"),
                      "sector": translate("TableEditor", "Mã ngành kinh tế:"),
                      "source": translate("TableEditor", "Mã nguồn NSNN:"),
                      "program": translate("TableEditor", "Mã CTMT, dự án:")}
            for key, label in labels.items():
                edit = QLineEdit(str(budget.get(key) or ""), self)
                edit.setObjectName(f"budget_{key}Edit")
                edit.setMaximumWidth(120)
                edit.editingFinished.connect(self._header_edited)
                self.budget_edits[key] = edit
                form.addRow(label, edit)
        order = base.get("payment_order") if isinstance(base.get("payment_order"), dict) else {}
        self.order_edit = QLineEdit(str(order.get("number") or ""), self)
        self.order_edit.setObjectName("paymentOrderEdit")
        self.order_edit.editingFinished.connect(self._header_edited)
        form2.addRow(translate("TableEditor", "Giấy rút dự toán / UNC số:"), self.order_edit)
        head.addLayout(form2, 1)
        form3 = QFormLayout()
        self.order_amount_edit = QLineEdit(self)
        self.order_amount_edit.setObjectName("paymentOrderAmountEdit")
        self.order_amount_edit.setPlaceholderText(translate("TableEditor", "chưa có"))
        self.order_amount_edit.setMinimumWidth(
            self.order_amount_edit.fontMetrics().horizontalAdvance("999.999.999.999") + 24)
        self.order_amount_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.order_amount_edit.editingFinished.connect(self._header_edited)
        form3.addRow(translate("TableEditor", "Số tiền trên giấy rút (đồng):"), self.order_amount_edit)
        head.addLayout(form3, 1)
        self.busy_label = QLabel(self)
        self.busy_label.setStyleSheet("color: #0d47a1; font-weight: bold;")
        self.busy_label.setVisible(False)
        head.addWidget(self.busy_label)
        layout.addLayout(head)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.view = QTableView(self)
        self.view.setObjectName("linesView")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)
        vh = self.view.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring at 10 000 rows
        vh.setDefaultSectionSize(24)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        metrics = hh.fontMetrics()
        for col, column in enumerate(self.spec.columns):
            # wide enough for its heading in the language shown (English ones run longer)
            heading = str(self.model.headerData(col, Qt.Orientation.Horizontal) or "")
            self.view.setColumnWidth(col, max(column.width, metrics.horizontalAdvance(heading) + 16))
            if column.completions is not None:
                self.view.setItemDelegateForColumn(col, _CompletingDelegate(column.completions, self.view))
        self.view.installEventFilter(self)
        splitter.addWidget(self.view)

        panel = QWidget(self)
        pl = QVBoxLayout(panel)
        pl.setContentsMargins(0, 0, 0, 0)
        self.checks_label = QLabel(translate("TableEditor", "Kiểm tra: đang chờ…"), self)
        self.checks_label.setObjectName("checksSummary")
        pl.addWidget(self.checks_label)
        self.checks_list = QListWidget(self)
        self.checks_list.setObjectName("checksList")
        self.checks_list.setWordWrap(True)
        self.checks_list.itemActivated.connect(self._check_item_activated)
        self.checks_list.itemClicked.connect(self._check_item_activated)
        pl.addWidget(self.checks_list)
        splitter.addWidget(panel)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        self.total_label = QLabel(self)
        self.total_label.setObjectName("totalLabel")
        self.total_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.words_label = QLabel(self)
        self.words_label.setObjectName("wordsLabel")
        self.words_label.setWordWrap(True)
        self.words_label.setStyleSheet("font-style: italic;")
        layout.addWidget(self.total_label)
        layout.addWidget(self.words_label)
        self.setCentralWidget(central)

    # -- header, total ----------------------------------------------------------------
    def _header_edited(self) -> None:
        """Number, period, payment order: not undo steps, but the stored draft no longer matches."""
        from client.money import parse_vnd

        base = self.model.base
        changed = False
        number = self.number_edit.text().strip()
        if number != (base.get("number") or ""):
            base["number"] = number
            changed = True
        if self.spec.kind == "salary-table":
            text = self.period_edit.text().strip()
            month, _, year = text.partition("/")
            if month.strip().isdigit() and year.strip().isdigit() and 1 <= int(month) <= 12:
                period = {"year": int(year), "month": int(month)}
                if period != base.get("period"):
                    base["period"] = period
                    changed = True
                self.period_edit.setText(f"{int(month):02d}/{int(year)}")
            elif text:
                self.notice(translate("TableEditor", "Kỳ lương phải có dạng tháng/năm, ví dụ 10/2026."))
        if self.budget_edits:
            budget = dict(base.get("budget") or {})
            for key, edit in self.budget_edits.items():
                value = edit.text().strip()
                if value != (budget.get(key) or ""):
                    budget[key] = value
                    changed = True
            base["budget"] = budget
        order_number = self.order_edit.text().strip()
        order = base.get("payment_order") if isinstance(base.get("payment_order"), dict) else None
        if order_number != ((order or {}).get("number") or ""):
            base["payment_order"] = ({"number": order_number, "date": base.get("date") or ""}
                                     if order_number else None)
            changed = True
        text = self.order_amount_edit.text().strip()
        amount: int | None = None
        if text:
            try:
                amount = parse_vnd(text)
            except ValueError as exc:
                self.notice(translate("TableEditor", "Số tiền trên giấy rút: %s") % exc)
                amount = self.payment_order_amount
            else:
                self.order_amount_edit.setText(format_vnd(amount))
        if amount != self.payment_order_amount:
            self.payment_order_amount = amount
            changed = True
        if changed:
            self._saved_at = None  # the stored draft no longer matches
            self._lines_changed()

    def _show_total(self, total: int) -> None:
        self.total_label.setText(translate("TableEditor", "Tổng cộng: %s đồng (%d dòng)") % (format_vnd(total),
                                                                       self.model.rowCount()))
        self.words_label.setText(translate("TableEditor", "Số tiền bằng chữ: %s") % amount_in_words(total, **self.model.words_options))

    @property
    def total_text(self) -> str:
        return self.total_label.text()

    @property
    def words_text(self) -> str:
        return self.words_label.text()

    def _lines_changed(self) -> None:
        self.checks_current = False
        self._check_seq += 1  # results of a run already under way are stale
        self.checks_label.setText(translate("TableEditor", "Kiểm tra: đang chờ…"))
        self.check_timer.start()
        self._update_actions()

    @property
    def dirty(self) -> bool:
        return self._saved_at is None or self.model.undo_stack.index() != self._saved_at

    def _update_actions(self) -> None:
        idle = not self._busy
        locked = self.local_id is not None and not self.dirty and self._signed_once
        for a in (self.import_action, self.add_action, self.delete_action, self.paste_action):
            a.setEnabled(idle and not locked)
        self.sign_action.setEnabled(idle and self.ctx is not None and self.runner is not None)
        self.save_action.setEnabled(idle and self.ctx is not None and self.runner is not None
                                    and not locked and self.dirty)
        self.preview_action.setEnabled(idle)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers if locked or not idle else
                                  QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)

    _signed_once = False
    closed = False

    def showEvent(self, event: Any) -> None:  # noqa: N802
        self.closed = False
        super().showEvent(event)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.closed = True
        self.check_timer.stop()
        if self.preview is not None:
            self.preview.retire()
            self.preview = None
        super().closeEvent(event)

    def _stack_changed(self, _index: int) -> None:
        try:
            self._update_actions()
        except RuntimeError:  # the stack emits while the window is being destroyed
            pass

    # -- editing --------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.view and event.type() == QEvent.Type.KeyPress and self.view.state() != \
                QAbstractItemView.State.EditingState:
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return True
            if event.matches(QKeySequence.StandardKey.Paste):
                if self.paste_action.isEnabled():
                    self.paste_from_clipboard()
                return True
            if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and \
                    event.modifiers() == Qt.KeyboardModifier.NoModifier:
                if self.add_action.isEnabled():
                    self.model.clear_cells((i.row(), i.column())
                                           for i in self.view.selectionModel().selectedIndexes())
                return True
        return super().eventFilter(obj, event)

    def add_line(self) -> None:
        current = self.view.currentIndex()
        row = current.row() + 1 if current.isValid() else self.model.rowCount()
        self.model.insert_lines(row)
        self.jump_to(row, 1 if self.model.columnCount() > 1 else 0)

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.view.selectionModel().selectedIndexes()})

    def delete_selected_lines(self) -> None:
        self.model.remove_lines(self.selected_rows())

    def selection_text(self) -> str:
        """The selected cells as Excel copies them: tab-separated, CRLF between rows, amounts as
        plain numbers (the bounding rectangle of the selection)."""
        indexes = self.view.selectionModel().selectedIndexes() or (
            [self.view.currentIndex()] if self.view.currentIndex().isValid() else [])
        if not indexes:
            return ""
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        out = []
        for r in range(rows[0], rows[-1] + 1):
            cells = []
            for c in range(cols[0], cols[-1] + 1):
                text = str(self.model.index(r, c).data(Qt.ItemDataRole.EditRole) or "")
                if any(ch in text for ch in '\t\n"'):
                    text = '"' + text.replace('"', '""') + '"'
                cells.append(text)
            out.append("\t".join(cells))
        return "\r\n".join(out) + "\r\n"

    def copy_selection(self) -> None:
        QGuiApplication.clipboard().setText(self.selection_text())

    def paste_text(self, text: str) -> PasteOutcome:
        """Paste ``text`` at the current cell (top-left of the table when none)."""
        current = self.view.currentIndex()
        row = current.row() if current.isValid() else self.model.rowCount()
        col = current.column() if current.isValid() else 0
        outcome = self.model.paste(text, row, col)
        self.last_paste = outcome
        msg = translate("TableEditor", "Đã dán %d dòng") % outcome.rows
        if outcome.added:
            msg += translate("TableEditor", " (thêm %d dòng mới)") % outcome.added
        if outcome.converted:
            msg += translate("TableEditor", "; %d ô chuyển từ bảng mã cũ sang Unicode") % outcome.converted
        if outcome.problems:
            msg += translate("TableEditor", "; %d ô không đọc được: %s") % (len(outcome.problems), outcome.problems[0].message)
        self.notice(msg + ".", 10_000)
        return outcome

    def paste_from_clipboard(self) -> PasteOutcome:
        return self.paste_text(QGuiApplication.clipboard().text())

    # -- import -----------------------------------------------------------------------
    def choose_workbook(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, translate("TableEditor", "Nhập bảng từ tệp"), "",
            translate("TableEditor", "Bảng tính (*.xlsx *.xlsm *.xls *.ods *.csv);;Mọi tệp (*)"))
        if path:
            self.import_workbook(path)

    def import_workbook(self, path: str | Path) -> None:
        """Read ``path`` off the UI thread and replace the lines (one undo step)."""
        path = str(path)
        self.set_busy(True, translate("TableEditor", "Đang đọc %s…") % Path(path).name)
        kind = self.spec.kind

        def job() -> tuple[list[dict], Any]:
            # the shared importer for either kind; the lines are numbered by the model
            base = self.model.base
            if kind == "voucher-list":
                from client.documents import new_voucher_list
                from client.vouchers.importer import read_voucher_table

                lines, _codes, report = read_voucher_table(Path(path))
                doc = new_voucher_list(unit=base.get("unit") or {}, number=base.get("number") or "",
                                       date=base.get("date") or "", purpose=base.get("purpose") or "payment",
                                       budget=base.get("budget") or {}, lines=lines, prepared_by="")
                return doc["lines"], report
            from client.documents import new_salary_table
            from client.importers.salary import read_salary_table

            lines, report = read_salary_table(Path(path))
            doc = new_salary_table(unit=base.get("unit") or {}, number=base.get("number") or "",
                                   date=base.get("date") or "", period=base.get("period") or {},
                                   lines=lines, prepared_by="")
            return doc["lines"], report

        def done(result: tuple[list[dict], Any]) -> None:
            self.set_busy(False)
            lines, report = result
            for line in lines:
                line.pop("no", None)
            stack = self.model.undo_stack
            stack.beginMacro(translate("TableEditor", "Nhập %s") % Path(path).name)
            self.model.remove_lines(range(self.model.rowCount()))
            self.model.insert_lines(0, lines)
            stack.endMacro()
            self.source_rows = list(report.source_rows) or None
            notes = "; ".join(report.notes)
            message = translate("TableEditor", "Đã nhập %d dòng từ %s.") % (len(lines), Path(path).name)
            self.notice(message + (" " + notes if notes else ""), 15_000)

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error(translate("TableEditor", "Không nhập được tệp"), str(exc))

        self._keep(run_in_pool(job, done, failed, self))

    def _keep(self, future: Future) -> None:
        self._futures = [f for f in getattr(self, "_futures", []) if not f.done()] + [future]

    # -- checks -----------------------------------------------------------------------
    def _inputs(self) -> Any:
        from client.documents.checks import CheckInputs

        return CheckInputs(source_rows=self.source_rows, payment_order_amount=self.payment_order_amount)

    def run_checks(self, then: Callable[[list[Problem]], None] | None = None) -> None:
        """Check the document as it is now, off the UI thread; the panel shows the result."""
        from client.documents.checks import run_checks

        self.check_timer.stop()
        self._check_seq += 1
        seq = self._check_seq
        build = self.model.document_builder()
        inputs = self._inputs()
        home = getattr(getattr(self.ctx, "home", None), "path", None)
        self.checks_label.setText(translate("TableEditor", "Đang kiểm tra…"))

        def job() -> list[Problem]:
            # the NDKT catalogue in use is the data folder's (treasury IT may have imported
            # a newer one), read once per editor, off the UI thread
            if self._catalogue is None:
                from client.catalogue import load

                self._catalogue = load(home)
            return run_checks(build(), dataclasses.replace(inputs, catalogue=self._catalogue))

        def done(problems: list[Problem]) -> None:
            if seq != self._check_seq:
                return  # the table changed meanwhile: a newer run follows
            self._show_problems(problems)
            if then is not None:
                then(problems)

        def failed(exc: Exception) -> None:
            if seq == self._check_seq:  # (a stale run may trip over a concurrent edit)
                self.checks_label.setText(translate("TableEditor", "Không kiểm tra được: %s") % exc)

        self._keep(run_in_pool(job, done, failed, self))

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        self.checks_current = True
        self.model.set_marks(self.problems)
        self.checks_list.clear()
        errors = [p for p in problems if p.severity == "error"]
        warns = [p for p in problems if p.severity != "error"]
        for p in errors + warns:
            mark = translate("TableEditor", "Lỗi") if p.severity == "error" else translate("TableEditor", "Cảnh báo")
            item = QListWidgetItem(f"[{mark}] {p.message}", self.checks_list)
            item.setData(Qt.ItemDataRole.UserRole, p.where)
            item.setForeground(Qt.GlobalColor.darkRed if p.severity == "error" else Qt.GlobalColor.darkYellow)
        if not problems:
            self.checks_label.setText(translate("TableEditor", "Kiểm tra: không có lỗi hay cảnh báo."))
            self.checks_label.setStyleSheet("color: #1b5e20; font-weight: bold;")
        else:
            self.checks_label.setText(translate("TableEditor", "Kiểm tra: %d lỗi (phải sửa trước khi ký), %d cảnh báo. "
                                          "Bấm vào một dòng để đến ô đó.") % (len(errors), len(warns)))
            self.checks_label.setStyleSheet("color: %s; font-weight: bold;"
                                            % ("#b71c1c" if errors else "#8a4b00"))

    def _check_item_activated(self, item: QListWidgetItem) -> None:
        self.jump_to_problem(item.data(Qt.ItemDataRole.UserRole) or "")

    def jump_to_problem(self, where: str) -> bool:
        """Select the cell a problem's ``where`` names (``lines[3].account``); False if none."""
        from client.documents.checks import locate

        index, key = locate(where)
        if index is None or index >= self.model.rowCount():
            head = (key or "").split(".", 1)[0]
            field = {"number": self.number_edit, "period": self.period_edit,
                     "payment_order": self.order_edit, "total": self.order_amount_edit}.get(head)
            if field is not None and field.isVisible():
                field.setFocus()
                return True
            return False
        col = self.spec.column_of(key) if key else -1
        self.jump_to(index, max(col, 0))
        return True

    def jump_to(self, row: int, col: int) -> None:
        idx = self.model.index(row, col)
        self.view.setCurrentIndex(idx)
        self.view.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.view.setFocus()

    # -- print preview ------------------------------------------------------------------
    def print_preview(self) -> None:
        from client.render import render_pdf

        doc = self.model.document()
        self.set_busy(True, translate("TableEditor", "Đang dựng bản in…"))

        def done(pdf: bytes) -> None:
            self.set_busy(False)
            if self.preview is not None:
                self.preview.retire()
            self.preview = PrintPreview(pdf, str(doc.get("number") or self.spec.title), self)
            self.preview.show()

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error(translate("TableEditor", "Không dựng được bản in"), str(exc))

        self._keep(run_in_pool(lambda: render_pdf(doc), done, failed, self))

    # -- signing --------------------------------------------------------------------------
    def sign(self) -> None:
        """Check → confirm warnings → store as a draft → SignFlow (picker, PIN, sign)."""
        if self._busy or self.ctx is None or self.runner is None:
            return
        if self.local_id is not None and not self.dirty and self._signed_once:
            # The next role signs what was already checked, confirmed and signed once.
            self._prepare_and_sign(self.local_id, confirm=[])
            return
        self.set_busy(True, translate("TableEditor", "Đang kiểm tra trước khi ký…"))
        self.run_checks(then=self._gate)

    def _gate(self, problems: list[Problem]) -> None:
        self.set_busy(False)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            lines = "\n".join(f"• {p.message}" for p in errors[:10])
            more = len(errors) - 10
            if more > 0:
                lines += "\n" + translate("TableEditor", "… và %d lỗi khác.") % more
            self.show_error(translate("TableEditor", "Chưa ký được"),
                            translate("TableEditor", "Bảng còn %d lỗi phải sửa trước khi ký:\n%s") % (len(errors), lines))
            self.jump_to_problem(errors[0].where)
            return
        # Warnings are confirmed in SignFlow, against the stored draft (``ctx.signing_gate``,
        # which also knows what else was submitted for the month).
        self._save_and_sign([])

    def _save_and_sign(self, confirm: list[str]) -> None:
        self._store(confirm, lambda local_id: self._prepare_and_sign(local_id, confirm))

    def save_draft(self) -> None:
        """Store the table as a draft in the dossier list (replacing the draft saved before)."""
        if self._busy or self.ctx is None or self.runner is None:
            return

        def stored(_local_id: int) -> None:
            self.set_busy(False)
            self.notice(translate("TableEditor", "Đã lưu bản nháp."))
            reload = getattr(self.host, "reload", None)
            if callable(reload):
                reload()

        self._store([], stored)

    def _store(self, confirm: list[str], then: Callable[[int], None]) -> None:
        """Save the table as a draft (on the host's runner: the database lives there), record the
        payment order's amount and the confirmed warnings, then ``then(local_id)``."""
        from client import documents

        ctx = self.ctx
        doc = self.model.document()
        if not doc.get("prepared_by"):
            unit = ctx.home.unit() if hasattr(ctx, "home") else None
            doc["prepared_by"] = getattr(unit, "prepared_by", "") or ""
        previous = self.local_id
        by = str(doc.get("prepared_by") or translate("TableEditor", "Người lập bảng"))
        data = documents.serialize(doc)
        title = str(doc.get("number") or "")
        index = self.model.undo_stack.index()
        amount = self.payment_order_amount

        def job() -> int:
            from client.documents.confirmations import set_payment_order_amount
            from client.errors import InvalidInput

            errors = [p for p in documents.validate(documents.parse(data)) if p.severity == "error"]
            if errors:  # before the old draft is replaced
                raise InvalidInput(translate("TableEditor", "Bảng chưa hợp lệ: %s") % errors[0].message,
                                   errors)
            if previous is not None:
                old = ctx.documents.get(previous)
                if old.state == "draft":
                    ctx.documents.delete(previous)
            local_id = ctx.add_document(data, title)
            if amount is not None:
                set_payment_order_amount(ctx.conn, local_id, amount)
            if confirm:
                ctx.confirm_warnings(local_id, confirm, by)
            return local_id

        def done(local_id: int) -> None:
            self.local_id = local_id
            self._saved_at = index
            self.model.base["id"] = doc.get("id")
            self._update_actions()
            then(local_id)

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error(translate("TableEditor", "Không lưu được bảng"), str(exc))

        self.set_busy(True, translate("TableEditor", "Đang lưu bảng…"))
        self.runner.submit(job, done, failed)

    def _prepare_and_sign(self, local_id: int, confirm: list[str]) -> None:
        from client.ui.sign_dialog import SignFlow

        ctx = self.ctx
        self.set_busy(True, translate("TableEditor", "Đang chuẩn bị ký…"))

        def prepared_ok(prepared: Any) -> None:
            self.set_busy(False)
            if not getattr(prepared, "next_role", None):
                self.show_error(translate("TableEditor", "Không ký được"), translate("TableEditor", "Bảng đã đủ chữ ký."))
                return
            flow = SignFlow(self, local_id, prepared)
            self.sign_flow = flow
            flow.finished.connect(self._sign_finished)
            flow.start()

        def failed(exc: Exception) -> None:
            self.set_busy(False)
            self.show_error(translate("TableEditor", "Không ký được"), str(exc) if isinstance(exc, KbnnError) else repr(exc))

        self.runner.submit(lambda: ctx.prepare(local_id), prepared_ok, failed)

    def _sign_finished(self, ok: bool, message: str) -> None:
        self.sign_flow = None
        if ok:
            self._signed_once = True
            # What is signed is not edited in place: no undoing into the signed table.
            self.model.undo_stack.clear()
            self._saved_at = self.model.undo_stack.index()
            self.notice(message, 10_000)
            reload = getattr(self.host, "reload", None)
            if callable(reload):
                reload()
        self._update_actions()


# --------------------------------------------------------------------------- opening


def new_salary_document(ctx: Any) -> dict:
    """An empty Mẫu 09 for this month, with the unit from the profile."""
    from client.documents import new_salary_table

    today = _dt.date.today()
    unit = ctx.home.unit() if ctx is not None else None
    return new_salary_table(
        unit=unit.as_document_unit() if unit is not None else {},
        number=f"{today.month:02d}/{today.year}", date=today.isoformat(),
        period={"year": today.year, "month": today.month}, lines=[],
        prepared_by=getattr(unit, "prepared_by", "") or "")


def new_voucher_document(ctx: Any) -> dict:
    """An empty Mẫu 07 payment list dated today, with the unit from the profile and the
    usual budget codes (programme ``00000``)."""
    from client.documents import new_voucher_list

    today = _dt.date.today()
    unit = ctx.home.unit() if ctx is not None else None
    return new_voucher_list(
        unit=unit.as_document_unit() if unit is not None else {},
        number=f"BK-{today:%Y%m%d}", date=today.isoformat(), purpose="payment",
        budget={"chapter": "", "sector": "", "source": "", "program": "00000"}, lines=[],
        prepared_by=getattr(unit, "prepared_by", "") or "")


def open_editor(window: Any, document: dict | None = None, *, workbook: str | None = None,
                spec: EditorSpec | None = None, local_id: int | None = None) -> TableEditor:
    """A ``TableEditor`` over ``document`` (a new salary table when ``None``), shown.

    ``local_id``: the stored draft ``document`` comes from (saving replaces it).
    """
    ctx = getattr(window, "ctx", None)
    if spec is None and document is not None and document.get("kind") == "voucher-list":
        spec = voucher_spec(home_path=getattr(getattr(ctx, "home", None), "path", None))
    editor = TableEditor(spec, document or new_salary_document(ctx), host=window, local_id=local_id,
                         parent=window)
    # A window of its own, owned by the main window: Qt deletes it on close (no Python list
    # keeps it alive, so nothing drops its wrapper while Qt is destroying it).
    editor.setWindowFlag(Qt.WindowType.Window, True)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    editor.show()
    if workbook:
        editor.import_workbook(workbook)
    return editor


def open_editors(window: Any) -> list[TableEditor]:
    """The editors opened from ``window`` and still open, oldest first."""
    return [e for e in window.findChildren(TableEditor) if e.isVisible()]


def _choose_workbook_and_open(window: Any) -> None:
    path, _ = QFileDialog.getOpenFileName(
        window, translate("TableEditor", "Nhập bảng lương từ tệp"), "",
        translate("TableEditor", "Bảng tính (*.xlsx *.xlsm *.xls *.ods *.csv);;Mọi tệp (*)"))
    if path:
        open_editor(window, workbook=path)


def edit_selected(window: Any) -> None:
    """Open the dossier selected in the main window in the editor (drafts only)."""
    local_id = getattr(window, "current_local_id", None)
    ctx = getattr(window, "ctx", None)
    if local_id is None or ctx is None:
        window.statusBar().showMessage(translate("TableEditor", "Hãy chọn một bảng nháp để sửa."), 5000)
        return

    def load() -> Any:
        return ctx.documents.get(local_id)

    def loaded(row: Any) -> None:
        from client import documents

        if row.state != "draft":
            window.statusBar().showMessage(
                translate("TableEditor", "Bảng đã ký không sửa được; hãy tạo bảng mới."), 8000)
            return
        open_editor(window, documents.parse(row.document_json), local_id=local_id)

    def failed(exc: Exception) -> None:
        window.statusBar().showMessage(str(exc), 8000)

    window.runner.submit(load, loaded, failed)


def install_editor_actions(window: QMainWindow) -> list[QAction]:
    """Menu Hồ sơ: "Bảng lương mới…" (Ctrl+N) and "Nhập bảng lương từ Excel…", each opening
    the editor."""
    new_action = QAction(translate("TableEditor", "Bảng lương &mới…"), window)
    new_action.setObjectName("newSalaryTableAction")
    new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
    new_action.triggered.connect(lambda _c=False: open_editor(window))
    import_action = QAction(translate("TableEditor", "&Nhập bảng lương từ Excel…"), window)
    import_action.setObjectName("importSalaryTableAction")
    import_action.triggered.connect(lambda _c=False: _choose_workbook_and_open(window))
    voucher_action = QAction(translate("TableEditor", "Bảng &kê chứng từ mới (Mẫu 07)…"), window)
    voucher_action.setObjectName("newVoucherListAction")
    voucher_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
    voucher_action.triggered.connect(lambda _c=False: open_editor(window, new_voucher_document(
        getattr(window, "ctx", None))))
    edit_action = QAction(translate("TableEditor", "&Sửa bảng nháp đang chọn…"), window)
    edit_action.setObjectName("editTableAction")
    edit_action.setShortcut(QKeySequence("Ctrl+E"))
    edit_action.triggered.connect(lambda _c=False: edit_selected(window))
    add = getattr(window, "add_menu_action", None)
    for action in (new_action, voucher_action, import_action, edit_action):
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if callable(add):  # the main window's own menus
            add("dossier", action)
        else:
            window.addAction(action)
    if not callable(add):
        window.menuBar().addMenu(translate("TableEditor", "&Bảng lương")).addActions(
            [new_action, voucher_action, import_action, edit_action])
    window.new_table_action = new_action
    window.new_voucher_action = voucher_action
    window.import_table_action = import_action
    window.edit_table_action = edit_action
    return [new_action, voucher_action, import_action, edit_action]
