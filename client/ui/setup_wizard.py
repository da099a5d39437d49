"""First-run setup (QWizard), thin over ``client.firstrun.FirstRun``.

Pages: welcome (real work, or join a classroom from the trainer's sheet or
bundle) → server (preset by the installer's file) → unit profile → login (the
password goes to the OS keyring) → tokens and certificates against the
registered signers → a last page saying what is ready and what is not. Every
check that touches the network or a token runs on the wizard's worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from client.firstrun import FirstRun, StepResult
from client.home import Home, Unit
from client.ui import prompts
from client.ui.workers import Runner

log = logging.getLogger("client.ui.setup")
translate = QCoreApplication.translate

STATUS_COLOURS = {"ok": "#1b5e20", "warning": "#e65100", "failed": "#b71c1c"}
STEP_TITLES = {  # the core's step titles, translatable here
    "server": QT_TRANSLATE_NOOP("SetupWizard", "Máy chủ Kho bạc"),
    "unit": QT_TRANSLATE_NOOP("SetupWizard", "Thông tin đơn vị"),
    "login": QT_TRANSLATE_NOOP("SetupWizard", "Tài khoản dịch vụ công Kho bạc"),
    "signer:chief-accountant": QT_TRANSLATE_NOOP("SetupWizard", "Chữ ký số của Kế toán trưởng"),
    "signer:head-of-unit": QT_TRANSLATE_NOOP("SetupWizard", "Chữ ký số của Thủ trưởng đơn vị"),
}


def step_title(result: StepResult) -> str:
    text = STEP_TITLES.get(result.id)
    return translate("SetupWizard", text) if text else result.title


PAGE_WELCOME, PAGE_CLASSROOM, PAGE_SERVER, PAGE_UNIT, PAGE_LOGIN, PAGE_TOKENS, PAGE_SUMMARY = range(7)


def _result_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label



class _Page(QWizardPage):
    @property
    def w(self) -> SetupWizard:
        return self.wizard()  # type: ignore[return-value]

    def show_result(self, label: QLabel, result: StepResult) -> None:
        text = result.detail
        if result.advice and result.status != "ok":
            text += "\n" + translate("SetupWizard", "Cần làm: %1").replace("%1", result.advice)
        label.setText(text)
        label.setStyleSheet(f"color: {STATUS_COLOURS.get(result.status, '#000')};")


class WelcomePage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Chào mừng đến với KBNN Client"))
        self.setSubTitle(self.tr("Vài bước để bắt đầu lập, ký số và gửi hồ sơ thanh toán tới Kho bạc."))
        self.real = QRadioButton(self.tr("&Làm việc thật với Kho bạc Nhà nước"), self)
        self.real.setObjectName("chooseReal")
        self.real.setChecked(True)
        self.classroom = QRadioButton(self.tr("&Tham gia lớp tập huấn (tệp do giảng viên phát)"), self)
        self.classroom.setObjectName("chooseClassroom")
        lay = QVBoxLayout(self)
        lay.addWidget(self.real)
        lay.addWidget(self.classroom)
        note = QLabel(self.tr("Cần: địa chỉ máy chủ Kho bạc (thường đã được cài sẵn), mã đơn vị, tài "
                              "khoản dịch vụ công và token chữ ký số của Kế toán trưởng và Thủ trưởng "
                              "đơn vị."), self)
        note.setWordWrap(True)
        lay.addWidget(note)

    def nextId(self) -> int:  # noqa: N802
        return PAGE_CLASSROOM if self.classroom.isChecked() else PAGE_SERVER


class ClassroomPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Tham gia lớp tập huấn"))
        self.setSubTitle(self.tr("Chọn phiếu học viên (PDF) hoặc thư mục/tệp classroom.json mà giảng "
                                 "viên phát cho bạn."))
        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("bundlePath")
        browse = QPushButton(self.tr("&Chọn tệp…"), self)
        self.join_button = QPushButton(self.tr("&Tham gia"), self)
        self.join_button.setObjectName("joinButton")
        self.result = _result_label(self, "joinResult")
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.join_button)
        lay.addWidget(self.result)
        lay.addStretch(1)
        browse.clicked.connect(self._browse)
        self.join_button.clicked.connect(self.join)
        self.joined: Home | None = None

    def _browse(self) -> None:
        path = self.w.ask_open_path(self, self.tr("Chọn phiếu học viên"), str(Path.home()),
                                    self.tr("Phiếu học viên (*.pdf *.json);;Mọi tệp (*)"))
        if path:
            self.path_edit.setText(path)

    def join(self) -> None:
        path = self.path_edit.text().strip()
        if not path:
            return
        base = self.w.home
        self.join_button.setEnabled(False)
        self.result.setText(self.tr("Đang tạo token tập huấn…"))

        def job() -> Home:
            from client.training.classroom import join_classroom

            return join_classroom(base, path)

        def done(home: Home) -> None:
            self.joined = home
            self.w.joined_home = home
            self.join_button.setEnabled(True)
            self.result.setStyleSheet(f"color: {STATUS_COLOURS['ok']};")
            self.result.setText(self.tr("Đã tham gia lớp tập huấn. Mở chế độ tập huấn để làm bài "
                                        "(kbnn-client training)."))
            self.completeChanged.emit()

        def failed(exc: Exception) -> None:
            self.join_button.setEnabled(True)
            self.result.setStyleSheet(f"color: {STATUS_COLOURS['failed']};")
            self.result.setText(self.tr("Không tham gia được: %1").replace("%1", str(exc)))

        self.w.run(job, done, failed)

    def isComplete(self) -> bool:  # noqa: N802
        return self.joined is not None

    def nextId(self) -> int:  # noqa: N802
        return PAGE_SUMMARY


class ServerPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Máy chủ Kho bạc"))
        self.setSubTitle(self.tr("Địa chỉ dịch vụ công của Kho bạc. Nếu bộ cài đã điền sẵn, chỉ cần "
                                 "bấm «Kiểm tra»."))
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("serverUrl")
        self.url_edit.setPlaceholderText("https://dvc.vst.mof.gov.vn/api/v1")
        self.ca_edit = QLineEdit(self)
        self.ca_edit.setObjectName("caFile")
        self.ca_edit.setPlaceholderText(self.tr("(không bắt buộc)"))
        self.preset_label = QLabel("", self)
        self.preset_label.setObjectName("presetLabel")
        self.preset_label.setWordWrap(True)
        self.check_button = QPushButton(self.tr("&Kiểm tra"), self)
        self.check_button.setObjectName("checkServer")
        self.result = _result_label(self, "serverResult")
        form = QFormLayout(self)
        form.addRow(self.tr("Địa chỉ &máy chủ:"), self.url_edit)
        form.addRow(self.tr("Tệp chứng chỉ &CA:"), self.ca_edit)
        form.addRow(self.preset_label)
        form.addRow(self.check_button)
        form.addRow(self.result)
        self.check_button.clicked.connect(self.check)

    def initializePage(self) -> None:  # noqa: N802
        fr = self.w.firstrun
        preset = fr.preset()
        home = self.w.home
        self.url_edit.setText(home.get("server", "url") or preset.server_url or "")
        self.ca_edit.setText(home.get("server", "ca_file") or preset.ca_file or "")
        if preset.found:
            self.preset_label.setText(self.tr("Đã điền sẵn theo tệp cấu hình của bộ cài: %1")
                                      .replace("%1", ", ".join(str(p) for p in preset.files)))

    def check(self) -> None:
        url, ca = self.url_edit.text().strip(), self.ca_edit.text().strip()
        self.check_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(self.tr("Đang kết nối…"))
        fr = self.w.firstrun

        def done(result: StepResult) -> None:
            self.check_button.setEnabled(True)
            self.show_result(self.result, result)

        def failed(exc: Exception) -> None:
            self.check_button.setEnabled(True)
            self.result.setText(str(exc))

        self.w.run(lambda: fr.check_server(url, ca or None), done, failed)


class UnitPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Thông tin đơn vị"))
        self.setSubTitle(self.tr("Như trên quyết định giao dự toán và hồ sơ mở tài khoản tại Kho bạc."))
        self.code = QLineEdit(self)
        self.code.setObjectName("unitCode")
        self.code.setInputMask("9999999;_")
        self.name = QLineEdit(self)
        self.name.setObjectName("unitName")
        self.treasury = QLineEdit(self)
        self.treasury.setObjectName("unitTreasury")
        self.treasury.setPlaceholderText(self.tr("ví dụ: KBNN Đống Đa"))
        self.account = QLineEdit(self)
        self.account.setObjectName("unitAccount")
        self.account.setPlaceholderText("9523.1.1047665")
        self.kind = QComboBox(self)
        self.kind.setObjectName("unitAccountKind")
        self.kind.addItem(self.tr("Tài khoản dự toán"), "estimate")
        self.kind.addItem(self.tr("Tài khoản tiền gửi"), "deposit")
        self.prepared_by = QLineEdit(self)
        self.prepared_by.setObjectName("unitPreparedBy")
        self.result = _result_label(self, "unitResult")
        form = QFormLayout(self)
        form.addRow(self.tr("&Mã đơn vị (mã ĐVQHNS):"), self.code)
        form.addRow(self.tr("&Tên đơn vị:"), self.name)
        form.addRow(self.tr("&Kho bạc nơi giao dịch:"), self.treasury)
        form.addRow(self.tr("Số tài &khoản:"), self.account)
        form.addRow(self.tr("&Loại tài khoản:"), self.kind)
        form.addRow(self.tr("&Người lập bảng:"), self.prepared_by)
        form.addRow(self.result)

    def initializePage(self) -> None:  # noqa: N802
        unit = self.w.home.unit()
        if unit is not None:
            self.code.setText(unit.code)
            self.name.setText(unit.name)
            self.treasury.setText(unit.treasury)
            self.account.setText(unit.account)
            self.kind.setCurrentIndex(max(0, self.kind.findData(unit.account_kind)))
            self.prepared_by.setText(unit.prepared_by)

    def validatePage(self) -> bool:  # noqa: N802
        unit = Unit(code=self.code.text().strip(), name=self.name.text(), treasury=self.treasury.text(),
                    account=self.account.text().strip(), account_kind=self.kind.currentData(),
                    prepared_by=self.prepared_by.text())
        result = self.w.firstrun.set_unit(unit)  # local and quick: validation and settings.ini
        self.show_result(self.result, result)
        return result.status != "failed"


class LoginPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Tài khoản dịch vụ công Kho bạc"))
        self.setSubTitle(self.tr("Mật khẩu được lưu trong kho khóa của hệ điều hành, không ghi vào tệp."))
        self.user = QLineEdit(self)
        self.user.setObjectName("loginUser")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.login_button = QPushButton(self.tr("Đă&ng nhập"), self)
        self.login_button.setObjectName("loginButton")
        self.result = _result_label(self, "loginResult")
        form = QFormLayout(self)
        form.addRow(self.tr("&Tên đăng nhập:"), self.user)
        form.addRow(self.tr("&Mật khẩu:"), self.password)
        form.addRow(self.login_button)
        form.addRow(self.result)
        self.login_button.clicked.connect(self.login)
        self.password.returnPressed.connect(self.login)

    def initializePage(self) -> None:  # noqa: N802
        self.user.setText(self.w.home.get("server", "user") or "")

    def login(self) -> None:
        user, password = self.user.text(), self.password.text()
        self.login_button.setEnabled(False)
        self.result.setStyleSheet("")
        self.result.setText(self.tr("Đang đăng nhập…"))
        fr = self.w.firstrun

        def done(result: StepResult) -> None:
            self.login_button.setEnabled(True)
            self.password.clear()
            self.show_result(self.result, result)

        def failed(exc: Exception) -> None:
            self.login_button.setEnabled(True)
            self.result.setText(str(exc))

        self.w.run(lambda: fr.login(user, password), done, failed)


class TokenPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Token chữ ký số"))
        self.setSubTitle(self.tr("Cắm token của Kế toán trưởng và của Thủ trưởng đơn vị rồi bấm "
                                 "«Kiểm tra token»."))
        self.module_edit = QLineEdit(self)
        self.module_edit.setObjectName("moduleEdit")
        self.module_edit.setPlaceholderText(self.tr("(tự tìm trình điều khiển token)"))
        self.check_button = QPushButton(self.tr("&Kiểm tra token"), self)
        self.check_button.setObjectName("checkTokens")
        self.results = QTableWidget(0, 2, self)
        self.results.setObjectName("tokenResults")
        self.results.setHorizontalHeaderLabels([self.tr("Vai trò"), self.tr("Kết quả")])
        self.results.horizontalHeader().setStretchLastSection(True)
        self.results.verticalHeader().setVisible(False)
        self.results.setWordWrap(True)
        self.note = _result_label(self, "tokenNote")
        form = QFormLayout(self)
        form.addRow(self.tr("Thư viện &PKCS#11:"), self.module_edit)
        form.addRow(self.check_button)
        form.addRow(self.results)
        form.addRow(self.note)
        self.check_button.clicked.connect(self.check)

    def initializePage(self) -> None:  # noqa: N802
        self.module_edit.setText(self.w.home.get("signing", "module") or self.w.firstrun.preset().module or "")

    def check(self) -> None:
        module = self.module_edit.text().strip() or None
        self.check_button.setEnabled(False)
        self.note.setText(self.tr("Đang đọc token…"))
        fr = self.w.firstrun

        def done(results: list[StepResult]) -> None:
            self.check_button.setEnabled(True)
            self.note.setText("")
            self.results.setRowCount(len(results))
            for row, r in enumerate(results):
                title = QTableWidgetItem(step_title(r))
                text = r.detail + (("\n" + self.tr("Cần làm: %1").replace("%1", r.advice))
                                   if r.advice and r.status != "ok" else "")
                item = QTableWidgetItem(text)
                item.setForeground(QBrush(QColor(STATUS_COLOURS.get(r.status, "#000"))))
                self.results.setItem(row, 0, title)
                self.results.setItem(row, 1, item)
            self.results.resizeColumnToContents(0)
            self.results.resizeRowsToContents()

        def failed(exc: Exception) -> None:
            self.check_button.setEnabled(True)
            self.note.setText(str(exc))

        self.w.run(lambda: fr.check_signers(module), done, failed)


class SummaryPage(_Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Kết quả thiết lập"))
        self.headline = QLabel("", self)
        self.headline.setObjectName("readyHeadline")
        self.headline.setWordWrap(True)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("summaryTable")
        self.table.setHorizontalHeaderLabels([self.tr("Bước"), self.tr("Tình trạng"), self.tr("Chi tiết")])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self.headline)
        lay.addWidget(self.table, 1)

    def initializePage(self) -> None:  # noqa: N802
        w = self.w
        if w.joined_home is not None:
            self.headline.setText(self.tr("Đã sẵn sàng cho lớp tập huấn."))
            self.headline.setStyleSheet(f"font-weight: bold; color: {STATUS_COLOURS['ok']};")
            self.table.setRowCount(0)
            return
        ready = w.firstrun.ready
        self.headline.setText(self.tr("Đã sẵn sàng làm việc.") if ready else
                              self.tr("Chưa sẵn sàng: còn những việc dưới đây cần làm. Có thể quay lại "
                                      "để làm tiếp, hoặc mở lại trình thiết lập sau (Tệp → Thiết lập "
                                      "ban đầu)."))
        colour = STATUS_COLOURS["ok" if ready else "failed"]
        self.headline.setStyleSheet(f"font-weight: bold; color: {colour};")
        marks = {"ok": self.tr("Sẵn sàng"), "warning": self.tr("Sẵn sàng, cần lưu ý"),
                 "failed": self.tr("Chưa sẵn sàng")}
        steps = w.firstrun.summary()
        self.table.setRowCount(len(steps))
        for row, r in enumerate(steps):
            status = QTableWidgetItem(marks.get(r.status, r.status))
            status.setForeground(QBrush(QColor(STATUS_COLOURS.get(r.status, "#000"))))
            detail = r.detail + (("\n" + self.tr("Cần làm: %1").replace("%1", r.advice))
                                 if r.advice and r.status != "ok" else "")
            self.table.setItem(row, 0, QTableWidgetItem(step_title(r)))
            self.table.setItem(row, 1, status)
            self.table.setItem(row, 2, QTableWidgetItem(detail))
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()

    @property
    def ready(self) -> bool:
        return self.w.joined_home is not None or self.w.firstrun.ready


class SetupWizard(QWizard):
    """The first-run setup over ``home`` (a real profile's folder)."""

    def __init__(self, home: Home, parent: QWidget | None = None, *,
                 firstrun: FirstRun | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupWizard")
        self.setWindowTitle(self.tr("Thiết lập KBNN Client"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(820, 600)
        self.home = home
        self.firstrun = firstrun or FirstRun(home)
        self.joined_home: Home | None = None
        self.ask_open_path: Callable[[QWidget, str, str, str], str | None] = prompts.ask_open_path
        self.runner = Runner(self)
        self.pages: dict[int, _Page] = {
            PAGE_WELCOME: WelcomePage(self), PAGE_CLASSROOM: ClassroomPage(self),
            PAGE_SERVER: ServerPage(self), PAGE_UNIT: UnitPage(self), PAGE_LOGIN: LoginPage(self),
            PAGE_TOKENS: TokenPage(self), PAGE_SUMMARY: SummaryPage(self),
        }
        for pid, page in self.pages.items():
            self.setPage(pid, page)
        self.setStartId(PAGE_WELCOME)
        self.finished.connect(lambda _r: self.runner.stop(5_000))

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None],
            failed: Callable[[Exception], None]) -> None:
        """Run ``fn`` on the wizard's worker thread; the callbacks run on the UI thread."""
        self.runner.submit(fn, done, failed)

    @property
    def ready(self) -> bool:
        return self.pages[PAGE_SUMMARY].ready  # type: ignore[attr-defined]
