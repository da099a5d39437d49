"""Screenshots of every GUI screen on a training profile (run under a real X server, e.g. Xvfb).

    python -m tests.ui.shoot OUTDIR HOME [LANG]

LANG is ``vi`` (default) or ``en``. Writes OUTDIR/<screen>-<LANG>.png for:
main-window (the demo salary table and its PDF), staff-register (the read-only
list, filled from the demo table's people), table-editor (the demo draft opened
for editing, a mistyped account in its checks panel, undone unsaved),
cert-picker and pin-dialog (the real dialogs over the training tokens, shown at
the first signature and cancelled untouched — the PIN goes through the window's
hooks), signed-document (after the chief accountant and the head of unit signed,
through the window's dialog hooks), package-view (the signed package opened from
a file), outbox (the dossier sent, with its status history), settings-connection,
settings-display, settings-data, diagnostics, log, catalogue, and the first-run
wizard's pages (wizard-welcome, wizard-server, wizard-unit, wizard-login,
wizard-tokens, wizard-summary) against a sandbox posing as the real treasury.
Prints each file written; exit code 0 on success. Never touches the OS keyring
(a memory keyring is installed first).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.backend
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from tests.memkeyring import MemoryKeyring

SCREENS = ("main-window", "staff-register", "table-editor", "cert-picker", "pin-dialog",
           "signed-document", "package-view", "outbox", "settings-connection", "settings-display",
           "settings-data", "diagnostics", "log", "catalogue", "wizard-welcome", "wizard-server",
           "wizard-unit", "wizard-login", "wizard-tokens", "wizard-summary")




def wait_until(app: QApplication, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def is_uniform(image: QImage) -> bool:
    first = image.pixel(0, 0)
    step_x, step_y = max(1, image.width() // 40), max(1, image.height() // 40)
    return all(image.pixel(x, y) == first
               for x in range(0, image.width(), step_x) for y in range(0, image.height(), step_y))


def grab(window: QWidget) -> QPixmap:
    """The window as the X server shows it; the widget's own rendering if that fails."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    pix = screen.grabWindow(window.winId()) if screen is not None else QPixmap()
    if pix.isNull() or is_uniform(pix.toImage()):
        pix = window.grab()
    return pix


class Shooter:
    def __init__(self, app: QApplication, outdir: Path, lang: str) -> None:
        self.app, self.outdir, self.lang = app, outdir, lang
        self.written: list[Path] = []

    def show(self, widget: QWidget) -> None:
        widget.show()
        widget.raise_()
        widget.activateWindow()
        wait_until(self.app, lambda: widget.windowHandle() is not None
                   and widget.windowHandle().isExposed(), 20, f"{widget.objectName()} to be exposed")

    def shoot(self, widget: QWidget, name: str, settle_for: float = 0.4) -> None:
        settle(self.app, settle_for)
        path = self.outdir / f"{name}-{self.lang}.png"
        if not grab(widget).save(str(path), "PNG"):
            raise RuntimeError(f"could not write {path}")
        self.written.append(path)
        print(path, flush=True)


def add_demo_staff(home) -> None:
    """The staff register filled with the demo salary table's people (the last one has left)."""
    from client.importers.salary import read_salary_lines
    from client.payroll.staff import Staff
    from client.payroll.staff_repo import StaffRepo
    from client.resources import resource
    from client.store.db import connect

    lines = read_salary_lines(resource("demo", "salary-demo.csv"))
    conn = connect(home.db_path)
    try:
        repo = StaffRepo(conn)
        if repo.list():
            return
        for n, line in enumerate(lines, 1):
            category = "hop-dong" if "Hợp đồng" in line.get("group", "") else "cong-chuc"
            repo.add(Staff(name=line["name"], account=line["account"], bank=line["bank"],
                           category=category, code=f"CB{n:03d}", active=n < len(lines)))
    finally:
        conn.close()


def shooting_chooser(s: Shooter, choose: Callable) -> Callable:
    """A ``cert_chooser`` that first shows the real ``CertificatePicker`` over what the sign
    flow found (the tokens' certificates, the treasury's facts), shoots it and cancels it."""
    from client.ui.cert_picker import CertificatePicker

    def chooser(parent: QWidget, role: str, entries: list):
        if not any(p.name.startswith("cert-picker-") for p in s.written):
            picker = CertificatePicker(role, entries, getattr(parent, "picker_facts", None), parent)
            s.show(picker)
            s.shoot(picker, "cert-picker")
            picker.reject()
            picker.deleteLater()
        return choose(parent, role, entries)

    return chooser


def shooting_pin_provider(s: Shooter, provide: Callable) -> Callable:
    """A ``pin_provider`` that first shows the real ``PinDialog`` for the token and the chosen
    certificate (as ``pin_dialog.ask_pin`` builds it), shoots it and cancels it untouched."""
    from client.signing.certs import cert_info
    from client.ui.pin_dialog import PinDialog

    def provider(parent: QWidget, role: str, entry, token, warnings: list):
        if not any(p.name.startswith("pin-dialog-") for p in s.written):
            dialog = PinDialog(role, getattr(token, "label", "") or entry.token_label,
                               cert_info(entry.cert_der).subject_cn, warnings,
                               bool(getattr(token, "protected_auth_path", False)), parent, token=token)
            s.show(dialog)
            s.shoot(dialog, "pin-dialog")
            dialog.reject()  # cancelled: nothing was typed into it
            dialog.deleteLater()
        return provide(parent, role, entry, token, warnings)

    return provider


def shoot_main_window(s: Shooter, session, ctx) -> None:
    from client.ui.app import create_main_window
    from client.ui.package_view import open_package, package_views
    from client.ui.table_editor import open_editors
    from tests.ui.helpers import chooser_by_label, pin_from, read_document

    app = s.app
    window = create_main_window(ctx)
    try:
        window.resize(1360, 860)
        s.show(window)
        wait_until(app, lambda: window.model.rowCount() >= 1, 20, "the dossier list")
        demo = next(r for r in window.model.rows() if r.number == "TH-09/2026-10")
        window.select_local_id(demo.local_id)
        wait_until(app, lambda: window.current_prepared is not None and window.pdf_document is not None
                   and window.pdf_document.status() == QPdfDocument.Status.Ready, 60, "the PDF")
        wait_until(app, lambda: "kiểm tra" not in window.token_label.text()
                   and "checking" not in window.token_label.text(), 30, "the token state")
        s.shoot(window, "main-window", 2.0)  # pages render on QPdfView's own threads

        window.staff_action.trigger()
        wait_until(app, lambda: window.last_dialog is not None
                   and window.last_dialog.table.rowCount() > 0, 20, "the staff register")
        staff = window.last_dialog
        s.show(staff)
        s.shoot(staff, "staff-register")
        staff.reject()

        window.edit_table_action.trigger()  # the selected demo draft, as the menu opens it
        wait_until(app, lambda: open_editors(window), 20, "the table editor")
        editor = open_editors(window)[-1]
        editor.resize(1360, 820)
        s.show(editor)
        wait_until(app, lambda: editor.checks_current, 20, "the editor's checks")
        account = editor.spec.column_of("account")
        editor.model.setData(editor.model.index(4, account), "12AB")  # a problem to show, undone below
        wait_until(app, lambda: editor.checks_current and editor.checks_list.count() > 0, 20,
                   "the editor's checks of the edit")
        editor.jump_to(4, account)
        s.shoot(editor, "table-editor")
        editor.model.undo_stack.undo()  # the draft as stored: never saved, closes without asking
        editor.close()

        window.cert_chooser = shooting_chooser(s, chooser_by_label(session.token_labels))
        window.pin_provider = shooting_pin_provider(s, pin_from(session.pins))
        for count in (1, 2):
            wait_until(app, lambda: window.sign_action.isEnabled(), 60, "the sign action")
            window.sign_action.trigger()
            wait_until(app, lambda c=count: window.signatures.rowCount() == c and not window.busy
                       and window.current_prepared is not None, 60, f"signature {count}")
        wait_until(app, lambda: window.submit_action.isEnabled(), 30, "the submit action")
        s.shoot(window, "signed-document", 2.0)

        signed = ctx.home.path / "TH-09-2026-10.asice"
        signed.write_bytes(read_document(ctx.home, demo.local_id).package)
        open_package(window, signed)
        wait_until(app, lambda: package_views(window), 30, "the package view")
        package = package_views(window)[-1]
        if package.verdict != "valid":
            raise RuntimeError(f"the signed demo package verifies as {package.verdict!r}")
        package.resize(1360, 820)
        s.show(package)
        wait_until(app, lambda: package.pdf_document.status() == QPdfDocument.Status.Ready,
                   30, "the package's PDF")
        s.shoot(package, "package-view", 1.5)
        package.close()

        window.submit_action.trigger()
        view = window.outbox_view
        wait_until(app, lambda: any(it.submission_id for it in view.model.items()), 60, "the submission")
        item = next(it for it in view.model.items() if it.submission_id)
        window.show_page(1)
        view.select(item.local_id)
        wait_until(app, lambda: view.history.toPlainText() != "", 20, "the status history")
        wait_until(app, lambda: window.notice_bar.isVisible(), 30, "a status notice")
        s.shoot(window, "outbox", 0.8)

        from client.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(ctx, window)
        s.show(dialog)
        s.shoot(dialog, "settings-connection")
        dialog.tabs.setCurrentIndex(2)
        s.shoot(dialog, "settings-display")
        dialog.tabs.setCurrentIndex(3)
        s.shoot(dialog, "settings-data")
        dialog.reject()

        from client.ui.diagnostics_view import DiagnosticsDialog

        diag = DiagnosticsDialog(ctx.home, window)
        s.show(diag)
        diag.run()
        wait_until(app, lambda: not diag.running, 120, "the diagnostics")
        diag.table.selectRow(diag._rows.get("certificates", 0))
        s.shoot(diag, "diagnostics")
        diag.reject()

        from client.ui.log_view import LogDialog

        logs = LogDialog(ctx.home, window)
        s.show(logs)
        s.shoot(logs, "log")
        logs.reject()

        window.catalogue_action.trigger()
        catalogue = window.last_dialog
        s.show(catalogue)
        s.shoot(catalogue, "catalogue")
        catalogue.reject()
    finally:
        window.close()


def shoot_wizard(s: Shooter, session, base: Path) -> None:
    from client.home import Home
    from client.sandbox.server import start_sandbox
    from client.ui.setup_wizard import (
        PAGE_LOGIN,
        PAGE_SERVER,
        PAGE_SUMMARY,
        PAGE_TOKENS,
        PAGE_UNIT,
        SetupWizard,
    )

    app = s.app
    pki = session.home.training_dir / "pki"
    unit_code, user, password = "1047665", "ketoan01", "Mk-anh-chup-2026"
    srv = start_sandbox(data_dir=base / "sandbox-real", advance=0, units=[(unit_code, user, password)],
                        signers=[(unit_code, role, (pki / f"{role}.der").read_bytes())
                                 for role in ("chief-accountant", "head-of-unit")],
                        trust=[(pki / "ca.der").read_bytes()], pose_as_treasury=True)
    home = Home(base / "real-home")
    wizard = SetupWizard(home)
    try:
        wizard.resize(860, 640)
        s.show(wizard)
        s.shoot(wizard, "wizard-welcome")

        def next_page(expected: int) -> None:
            wizard.button(QWizard.WizardButton.NextButton).click()
            wait_until(app, lambda: wizard.currentId() == expected, 10, f"wizard page {expected}")

        next_page(PAGE_SERVER)
        server = wizard.page(PAGE_SERVER)
        server.url_edit.setText(srv.base_url)
        server.check_button.click()
        wait_until(app, lambda: server.check_button.isEnabled() and server.result.text()
                   and "…" not in server.result.text(), 30, "the server check")
        s.shoot(wizard, "wizard-server")

        next_page(PAGE_UNIT)
        unit = wizard.page(PAGE_UNIT)
        unit.code.setText(unit_code)
        unit.name.setText("Trường Tiểu học Kim Liên")
        unit.treasury.setText("KBNN Đống Đa")
        unit.account.setText("9523.1.1047665")
        unit.prepared_by.setText("Phạm Thu Trang")
        s.shoot(wizard, "wizard-unit")

        next_page(PAGE_LOGIN)
        login = wizard.page(PAGE_LOGIN)
        login.user.setText(user)
        login.password.setText(password)
        login.login_button.click()
        wait_until(app, lambda: login.login_button.isEnabled() and login.result.text()
                   and "…" not in login.result.text(), 30, "the login")
        s.shoot(wizard, "wizard-login")

        next_page(PAGE_TOKENS)
        tokens = wizard.page(PAGE_TOKENS)
        tokens.check_button.click()
        wait_until(app, lambda: tokens.check_button.isEnabled() and tokens.results.rowCount() == 2,
                   60, "the token check")
        s.shoot(wizard, "wizard-tokens")

        next_page(PAGE_SUMMARY)
        s.shoot(wizard, "wizard-summary")
    finally:
        wizard.close()
        srv.stop()


def main(argv: list[str]) -> int:
    outdir, home_dir = Path(argv[0]), Path(argv[1])
    lang = argv[2] if len(argv) > 2 else "vi"
    outdir.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(MemoryKeyring())
    app = QApplication.instance() or QApplication(["kbnn-client-shoot"])

    from client.app import AppContext
    from client.home import Home
    from client.training.setup import ensure_training
    from client.ui.i18n import install_language

    install_language(app, lang)
    session = ensure_training(Home(home_dir))
    add_demo_staff(session.home)
    ctx = AppContext(session.home)
    shooter = Shooter(app, outdir, lang)
    try:
        shoot_main_window(shooter, session, ctx)
        shoot_wizard(shooter, session, home_dir)
        return 0
    finally:
        ctx.close()
        session.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
