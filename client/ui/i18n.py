"""Languages of the GUI: Vietnamese by default, English on request.

Every visible string of the GUI is written in Vietnamese in the source and
goes through ``self.tr()`` / ``translate(context, text)``; the English
catalogue ``resources/i18n/kbnn_en.qm`` translates it. Qt's own texts (dialog
buttons, wizard buttons, context menus) are English in Qt: for Vietnamese,
``resources/i18n/qtbase_vi.qm`` translates them; for English, PySide6's own
``qtbase_en.qm`` is loaded when present. Regenerate the catalogues with
``tools/i18n.sh``.

Dates are shown ``25/10/2026`` and money ``1.234.567 đ`` in both languages.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from client.i18n import set_language as set_core_language
from client.resources import resource

log = logging.getLogger("client.ui.i18n")

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

translate = QCoreApplication.translate

_installed: list[QTranslator] = []
_current = DEFAULT_LANGUAGE


def i18n_dir() -> Path:
    return resource("i18n")


def current_language() -> str:
    return _current


def _load(app: QCoreApplication, name: str, folders: list[str]) -> bool:
    for folder in folders:
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _installed.append(translator)
            return True
    return False


def install_language(app: QCoreApplication, lang: str | None) -> str:
    """Install the catalogues of ``lang`` (``"vi"`` or ``"en"``; anything else: Vietnamese).

    Replaces catalogues installed by an earlier call; returns the language used.
    Widgets built afterwards show the new language.
    """
    global _current
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    ours = [str(i18n_dir())]
    qt_own = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if lang == "en":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        if not _load(app, "kbnn_en", ours):
            log.warning("English catalogue not found in %s", ours[0])
        _load(app, "qtbase_en", [qt_own])
    else:
        QLocale.setDefault(QLocale(QLocale.Language.Vietnamese, QLocale.Country.Vietnam))
        # PySide6 ships no qtbase_vi.qm: ours first, Qt's folder in case a build has one.
        if not _load(app, "qtbase_vi", ours + [qt_own]):
            log.warning("Vietnamese catalogue of Qt's own texts not found")
    _current = lang
    set_core_language(lang)
    return lang


def remove_language(app: QCoreApplication) -> None:
    """Uninstall the catalogues ``install_language`` installed (the source texts show again)."""
    global _current
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _current = DEFAULT_LANGUAGE
    set_core_language(DEFAULT_LANGUAGE)


def language_of(ctx: object) -> str:
    """The language chosen in the settings of ``ctx.home`` (Vietnamese when unset)."""
    try:
        from client.settings import Settings

        return Settings(ctx.home).language()  # type: ignore[attr-defined]
    except Exception:  # settings unreadable: the default language still works
        return DEFAULT_LANGUAGE


def money(amount: object) -> str:
    """``1.234.567 đ`` (int đồng only; anything else as text)."""
    from client.money import format_vnd

    if isinstance(amount, int) and not isinstance(amount, bool):
        return f"{format_vnd(amount)} đ"
    return "" if amount is None else str(amount)


def date(value: object) -> str:
    """``25/10/2026`` in Vietnam time."""
    from client.settings import format_date_vn

    return format_date_vn(value)  # type: ignore[arg-type]


def datetime_text(value: object) -> str:
    """``25/10/2026 14:05`` in Vietnam time."""
    from client.settings import format_datetime_vn

    return format_datetime_vn(value)  # type: ignore[arg-type]
