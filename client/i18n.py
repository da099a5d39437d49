"""Languages of the core's texts (no Qt): Vietnamese source texts, English on request.

Core modules write user-facing texts in Vietnamese as ``tr("… {name} …", name=value)``;
when the language is ``"en"`` the Vietnamese template is looked up in
``resources/i18n/core_en*.json`` (``{vi_template: en_template}``, one file per area,
merged) and the English
template is formatted instead. A template missing from the catalogue stays Vietnamese
(``tests/unit/test_core_i18n.py`` fails when a ``tr()`` literal has no entry).
"""

from __future__ import annotations

import json
import logging
import threading
from functools import lru_cache

from client.resources import resource

log = logging.getLogger("client.i18n")

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
CATALOGUE = "core_en*.json"

_current = DEFAULT_LANGUAGE
# A thread may speak a fixed language whatever the app's: the sandbox treasury answers in
# Vietnamese, as the real one does, even inside an English training session.
_thread = threading.local()


def set_language(lang: str | None) -> str:
    """Use ``lang`` (``"vi"`` or ``"en"``; anything else: Vietnamese); returns the language used."""
    global _current
    _current = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return _current


def language() -> str:
    return getattr(_thread, "lang", None) or _current


def set_thread_language(lang: str | None) -> None:
    """Fix this thread's language (``None``: follow the app's again)."""
    _thread.lang = lang if lang in LANGUAGES else None


@lru_cache(maxsize=1)
def catalogue() -> dict[str, str]:
    """The English catalogue ``{vi_template: en_template}``: every ``core_en*.json`` file,
    merged (a file that cannot be read is left out, with a warning)."""
    merged: dict[str, str] = {}
    for path in sorted(resource("i18n").glob(CATALOGUE)):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            log.warning("core English catalogue %s not readable", path.name, exc_info=True)
            continue
        merged.update({str(k): str(v) for k, v in data.items()})
    return merged


def tr(vi_template: str, **kw: object) -> str:
    """``vi_template`` in the current language, formatted with ``str.format(**kw)``."""
    template = vi_template
    if language() == "en":
        template = catalogue().get(vi_template, vi_template)
    return template.format(**kw) if kw else template
