"""GUI entry points: ``run_gui(ctx)`` for ``kbnn-client gui`` / ``training``."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from client.ui.i18n import install_language, language_of
from client.ui.main_window import MainWindow

log = logging.getLogger("client.ui.app")

APP_TITLE = "KBNN Client"

# Packaging smoke test only (tests/integration/test_frozen_build.py, installer/README.md): when
# set, the main window is shown, logged ("smoke exit: ..."), then closed as soon as the event
# loop runs, so a frozen build proves that its GUI starts. Never set in normal use.
SMOKE_EXIT_ENV = "KBNN_CLIENT_SMOKE_EXIT"


def create_main_window(ctx: Any) -> MainWindow:
    """The main window over ``ctx`` (a ``QApplication`` must exist)."""
    window = MainWindow(ctx)
    window.setWindowTitle(APP_TITLE)
    return window


def exec_app(app: QApplication) -> int:
    """Run the event loop until the window closes (tests replace this: a second
    ``QApplication.exec()`` in one process leaves Qt shutting down)."""
    return int(app.exec())


def ensure_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName("KBNN Client")
    return app  # type: ignore[return-value]


def run_first_run(ctx: Any) -> bool:
    """Show the setup wizard when a real profile is not set up yet; False if the person quit it."""
    from client.firstrun import needs_first_run

    if not needs_first_run(ctx.home):
        return True
    from client.ui.setup_wizard import SetupWizard

    wizard = SetupWizard(ctx.home)
    accepted = wizard.exec() == SetupWizard.DialogCode.Accepted
    ctx.home.reload()
    ctx.reset_api()
    return accepted or not needs_first_run(ctx.home)


def _restore(ctx: Any, path: str) -> None:
    """Restore a backup after the window closed (the database must be free)."""
    from client.backup import restore_backup
    from client.errors import KbnnError

    ctx.close()  # the caller closes it again: closing twice is harmless
    try:
        info = restore_backup(ctx.home, path)
    except (KbnnError, OSError) as exc:
        QMessageBox.warning(None, QApplication.translate("app", "Không khôi phục được"), str(exc))
        return
    QMessageBox.information(
        None, QApplication.translate("app", "Đã khôi phục"),
        QApplication.translate("app", "Đã khôi phục %1 hồ sơ. Hãy mở lại phần mềm.")
        .replace("%1", str(info.documents)))


def _smoke_exit(window: MainWindow) -> None:
    log.info("smoke exit: main window shown (%s, %dx%d, platform %s)", window.windowTitle(),
             window.width(), window.height(), QApplication.platformName())
    window.close()


def run_gui(ctx: Any, argv: list[str] | None = None, *, lang: str | None = None) -> int:
    """Show the main window over ``ctx`` and run the event loop; returns the exit code.

    ``lang`` (``--lang``) wins over the language chosen in the settings (until the
    person changes it in the settings, which reopens the window in that language). The
    caller still owns ``ctx`` (and closes it afterwards); the window gives the
    context its database connection back before this returns.
    """
    app = ensure_app(argv)
    install_language(app, lang or language_of(ctx))
    if not ctx.training and not run_first_run(ctx):
        return 0
    state: dict[str, Any] | None = None
    while True:
        window = create_main_window(ctx)
        if state is not None:  # reopened in another language: as the person left it
            window.restore_view_state(state)
        window.show()
        if os.environ.get(SMOKE_EXIT_ENV):
            QTimer.singleShot(0, lambda w=window: _smoke_exit(w))
        try:
            code = exec_app(app)
        finally:
            window.shutdown()
        if window.pending_restore:
            _restore(ctx, window.pending_restore)
            return code
        if not window.relaunch:
            return code
        # the language changed in the settings: a new window, built in that language
        state = window.view_state()
        install_language(app, language_of(ctx))
        window.deleteLater()
