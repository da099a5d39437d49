"""Opening any ``.asice`` package: what was signed, its attachments, its signatures, the verdict.

``install_package_actions(window)`` is the main window's one hook: it adds
File > "Mở gói hồ sơ (.asice)…" (Ctrl+O) and lets ``.asice`` files be
dropped onto the window. Each package opens in its own ``PackageView``
window: the PDF exactly as it is inside the package (``document.pdf``, the
bytes the signatures cover), the attachments, the signatures panel and the
overall verdict — all from ``client.signing.verify.verify_package``, the one
verifier the CLI and the sandbox use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QEvent, QIODevice, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from client.ui.labels import kind_label
from client.ui.signatures_panel import SignaturesPanel

log = logging.getLogger("client.ui.package")

PACKAGE_SUFFIXES = (".asice", ".sce")
MAX_OPEN = 25 * 1024 * 1024  # a bit above the format's 20 MiB, so the verifier names the excess


translate = QCoreApplication.translate


def _tr(text: str) -> str:
    """Translate a string held in a variable (its literal is marked with QT_TRANSLATE_NOOP)."""
    return QCoreApplication.translate("PackageView", text)


@dataclass
class PackageContents:
    """One opened package: its file, entries of interest and the verification report."""

    path: str
    report: Any  # client.signing.verify.VerificationReport
    pdf: bytes = b""
    attachments: list[tuple[str, int]] = field(default_factory=list)  # (name inside, size)
    attachment_data: dict[str, bytes] = field(default_factory=dict)  # name inside -> bytes


def load_package(path: str | Path, trust: list[bytes]) -> PackageContents:
    """Read and verify a package file (no Qt: may run on a worker thread)."""
    from client.errors import Problem
    from client.signing.asice import ATTACHMENTS_DIR, DOCUMENT_PDF, Package
    from client.signing.verify import VerificationReport, verify_package

    p = Path(path)
    size = p.stat().st_size
    if size > MAX_OPEN:
        report = VerificationReport(False, False, [Problem(
            "too-large", translate("PackageView", "Tệp quá lớn để là một gói hồ sơ (%s MiB).") % (size // (1024 * 1024)),
            p.name)], [], None, None)
        return PackageContents(str(p), report)
    data = p.read_bytes()
    report = verify_package(data, trust)
    pkg = Package.from_bytes(data)
    pdf = pkg.entries.get(DOCUMENT_PDF, b"")
    attachments = [(name[len(ATTACHMENTS_DIR):], len(pkg.entries[name]))
                   for name in pkg.data_entries() if name.startswith(ATTACHMENTS_DIR)]
    data_of = {name[len(ATTACHMENTS_DIR):]: pkg.entries[name]
               for name in pkg.data_entries() if name.startswith(ATTACHMENTS_DIR)}
    return PackageContents(str(p), report, pdf if pdf.startswith(b"%PDF-") else b"", attachments,
                           data_of)


PDF_RETIRE_MS = 5_000


def retire_pdf(view: QPdfView, document: QPdfDocument) -> None:
    """Take ``document`` out of ``view`` and delete it only after a grace period: QPdfView
    renders pages on worker threads that may still read the document (and its buffer)."""
    from PySide6.QtCore import QTimer

    view.setDocument(None)
    app = QCoreApplication.instance()
    document.setParent(app)  # outlives the window that showed it

    def drop() -> None:
        document.close()
        document.deleteLater()

    QTimer.singleShot(PDF_RETIRE_MS, document, drop)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"  # a size, not money
    return f"{size / (1024 * 1024):.1f} MB"  # a size, not money


class PackageView(QMainWindow):
    """A window over one opened package."""

    def __init__(self, contents: PackageContents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("packageView")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        # A window of its own, owned by ``parent`` (Qt deletes it; no Python list to keep it alive).
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.contents = contents
        name = Path(contents.path).name
        self.setWindowTitle(translate("PackageView", "Gói hồ sơ — %s") % name)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        report = contents.report
        doc = report.document if isinstance(report.document, dict) else None
        self.title_label = QLabel(self)
        self.title_label.setObjectName("packageTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet("font-size: 12pt; font-weight: bold;")
        self.title_label.setText(self._title(name, doc))
        layout.addWidget(self.title_label)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.pdf_document = QPdfDocument(self)
        self._pdf_buffer: QBuffer | None = None
        self.pdf_view = QPdfView(self)
        self.pdf_view.setObjectName("packagePdf")
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        if contents.pdf:
            buf = QBuffer(self.pdf_document)
            buf.setData(QByteArray(contents.pdf))
            buf.open(QIODevice.OpenModeFlag.ReadOnly)
            self._pdf_buffer = buf
            self.pdf_document.load(buf)
        self.pdf_view.setDocument(self.pdf_document)
        splitter.addWidget(self.pdf_view)

        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel(translate("PackageView", "<b>Chữ ký số</b>"), self))
        self.signatures = SignaturesPanel(self)
        side_layout.addWidget(self.signatures, 3)
        side_layout.addWidget(QLabel(translate("PackageView", "<b>Tệp đính kèm</b>"), self))
        self.attachments = QListWidget(self)
        self.attachments.setObjectName("attachmentsList")
        for att_name, size in contents.attachments:
            item = QListWidgetItem(f"{att_name} ({_size_text(size)})", self.attachments)
            item.setData(Qt.ItemDataRole.UserRole, att_name)
            item.setToolTip(translate("PackageView", "Bấm đúp để lưu tệp này ra máy"))
        self.attachments.itemActivated.connect(self._save_attachment)
        if not contents.attachments:
            item = QListWidgetItem(translate("PackageView", "(không có tệp đính kèm)"), self.attachments)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.attachments.setMaximumHeight(120)
        side_layout.addWidget(self.attachments, 1)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([700, 580])
        layout.addWidget(splitter, 1)
        self.pdf_note = QLabel(translate("PackageView", "Không hiển thị được tệp document.pdf của gói (thiếu hoặc hỏng): "
                                   "không xem được nội dung đã ký."), self)
        self.pdf_note.setObjectName("pdfNote")
        self.pdf_note.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.pdf_note.setVisible(not contents.pdf)
        self.pdf_document.statusChanged.connect(self._pdf_status)
        layout.addWidget(self.pdf_note)
        self.setCentralWidget(central)
        self.signatures.set_report(report)
        self.resize(1280, 760)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        if self.pdf_document.parent() is self:
            retire_pdf(self.pdf_view, self.pdf_document)
        super().closeEvent(event)

    def _pdf_status(self, status: QPdfDocument.Status) -> None:
        if status == QPdfDocument.Status.Error:
            self.pdf_note.setVisible(True)

    @staticmethod
    def _title(name: str, doc: dict | None) -> str:
        if doc is None:
            return name
        parts = [kind_label(doc.get("kind"))]
        if doc.get("number"):
            parts.append(translate("PackageView", "số %s") % doc.get("number"))
        unit = doc.get("unit") if isinstance(doc.get("unit"), dict) else {}
        if unit.get("name"):
            parts.append(str(unit.get("name")))
        return f"{name}: " + " — ".join(str(p) for p in parts)

    @property
    def verdict(self) -> str:
        return self.signatures.verdict

    def shown_pdf_bytes(self) -> bytes:
        return bytes(self._pdf_buffer.data().data()) if self._pdf_buffer is not None else b""

    def _save_attachment(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if not name:
            return
        path, _ = QFileDialog.getSaveFileName(self, translate("PackageView", "Lưu tệp đính kèm"),
                                              Path(name).name)
        if path:
            self.save_attachment(name, path)

    def save_attachment(self, name: str, path: str | Path) -> None:
        """Write attachment ``name`` (its bytes exactly as in the package) to ``path``."""
        Path(path).write_bytes(self.contents.attachment_data[name])
        self.statusBar().showMessage(translate("PackageView", "Đã lưu %s.") % Path(path).name, 5000)

    def attachment_names(self) -> list[str]:
        return [name for name, _ in self.contents.attachments]


# --------------------------------------------------------------------------- opening


def _trust_of(window: Any) -> list[bytes]:
    ctx = getattr(window, "ctx", None)
    return ctx.trust() if ctx is not None else []


def open_package(window: QWidget, path: str | Path) -> None:
    """Verify ``path`` off the UI thread (on ``window.runner`` when there is one) and show it."""
    path = str(path)

    def show(contents: PackageContents) -> None:
        view = PackageView(contents, window)
        view.show()
        view.raise_()
        status = getattr(window, "statusBar", None)
        if callable(status):
            status().showMessage(translate("PackageView", "Đã mở gói %s.") % Path(path).name, 5000)

    def failed(exc: Exception) -> None:
        text = translate("PackageView", "Không mở được tệp %s: %s") % (Path(path).name, exc)
        shower = getattr(window, "show_error", None)
        if callable(shower):
            shower(translate("PackageView", "Không mở được gói hồ sơ"), text)
        else:
            log.warning("%s", text)

    runner = getattr(window, "runner", None)
    if runner is None:
        try:
            show(load_package(path, _trust_of(window)))
        except (OSError, ValueError) as exc:
            failed(exc)
        return

    def job() -> PackageContents:
        return load_package(path, _trust_of(window))

    runner.submit(job, show, failed)


def package_views(window: QWidget) -> list[PackageView]:
    """The package windows opened from ``window`` and still open, oldest first."""
    return [v for v in window.findChildren(PackageView) if v.isVisible()]


def choose_and_open(window: QWidget) -> None:
    path, _ = QFileDialog.getOpenFileName(
        window, translate("PackageView", "Mở gói hồ sơ"), "", translate("PackageView", "Gói hồ sơ ký số (*.asice *.sce);;Mọi tệp (*)"))
    if path:
        open_package(window, path)


def _package_paths(mime: Any) -> list[str]:
    if mime is None or not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(PACKAGE_SUFFIXES):
            out.append(url.toLocalFile())
    return out


class _DropFilter(QObject):
    """Accepts ``.asice`` files dragged onto the window and opens each one."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if _package_paths(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Type.Drop:
            paths = _package_paths(event.mimeData())
            if paths:
                event.acceptProposedAction()
                for p in paths:
                    open_package(self.window, p)
                return True
        return False


def _file_menu(window: QMainWindow) -> QMenu:
    """The File menu of a plain ``QMainWindow`` (one without ``add_menu_action``)."""
    bar = window.menuBar()
    menus = [a.menu() for a in bar.actions() if a.menu() is not None]
    for menu in menus:
        if menu.title().replace("&", "").strip().lower() in ("tệp", "file"):
            return menu
    if menus:
        return menus[0]
    return bar.addMenu(translate("PackageView", "&Tệp"))


def install_package_actions(window: QMainWindow) -> QAction:
    """File > Open package (Ctrl+O) and drag & drop of ``.asice`` files onto ``window``."""
    action = QAction(translate("PackageView", "&Mở gói hồ sơ (.asice)…"), window)
    action.setObjectName("openPackageAction")
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
    action.setStatusTip(translate("PackageView", "Mở một gói hồ sơ đã ký để xem nội dung và kiểm tra chữ ký số"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: choose_and_open(window))
    add = getattr(window, "add_menu_action", None)
    if callable(add):  # the main window's own menus (its menu bar is inside a menu widget)
        add("file", action)
    else:
        menu = _file_menu(window)
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, action)
        window.addAction(action)
    window.open_package_action = action
    window.setAcceptDrops(True)
    window._package_drop_filter = _DropFilter(window)
    window.installEventFilter(window._package_drop_filter)
    return action
