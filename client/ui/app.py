"""GUI entry points: ``run_gui(ctx)`` for ``kbnn-client gui`` / ``training``."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from client.ui.main_window import MainWindow

APP_TITLE = "KBNN Client"


def _install_language(app: QApplication, lang: str | None) -> None:
    """Vietnamese by default; Qt's own strings translated when a catalogue exists.

    ``lang="en"`` only switches the locale (number/date formats of Qt widgets):
    the application's own texts exist in Vietnamese only for now.
    """
    if lang == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return
    locale = QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam)
    QLocale.setDefault(locale)
    try:
        from client.resources import resource

        folders = [str(resource("i18n"))]
    except Exception:  # resources may be absent in odd builds; Qt's folder still works
        folders = []
    folders.append(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    for name in ("qtbase_vi", "kbnn_vi"):
        for folder in folders:
            translator = QTranslator(app)
            if translator.load(name, folder):
                app.installTranslator(translator)
                break


def create_main_window(ctx: Any) -> MainWindow:
    """The main window over ``ctx`` (a ``QApplication`` must exist)."""
    window = MainWindow(ctx)
    window.setWindowTitle(APP_TITLE)
    return window


def run_gui(ctx: Any, argv: list[str] | None = None, *, lang: str | None = None) -> int:
    """Show the main window over ``ctx`` and run the event loop; returns the exit code.

    The caller still owns ``ctx`` (and closes it afterwards); the window gives
    the context its database connection back before this returns.
    """
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_TITLE)
    app.setApplicationDisplayName(APP_TITLE)
    app.setOrganizationName("KBNN Client")
    _install_language(app, lang)
    window = create_main_window(ctx)
    window.show()
    try:
        return int(app.exec())
    finally:
        window.shutdown()
