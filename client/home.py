"""The home folder: settings, unit profile, database path, logs.

Location: ``--home DIR``, else ``KBNN_CLIENT_HOME``, else the platform data
folder. Treasury IT may preset settings with a ``kbnn-client.ini`` next to
the executable or in ``%PROGRAMDATA%\\KBNN Client`` (read first, the user's
``settings.ini`` overrides it).
"""

from __future__ import annotations

import configparser
import logging
import logging.handlers
import os
import re
import sys
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from client.errors import InvalidInput, Problem, UsageError
from client.i18n import tr

APP_DIR_NAME = "KBNN Client"
SETTINGS = "settings.ini"
DATABASE = "kbnn.sqlite3"

UNIT_FIELDS = ("code", "name", "treasury", "account", "account_kind", "prepared_by")


def default_home() -> Path:
    env = os.environ.get("KBNN_CLIENT_HOME")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = os.environ.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kbnn-client"


def preset_files() -> list[Path]:
    """Installer-provided defaults, read before the user's own settings."""
    out = [Path(sys.executable).resolve().parent / "kbnn-client.ini"]
    if sys.platform == "win32" and os.environ.get("PROGRAMDATA"):
        out.append(Path(os.environ["PROGRAMDATA"]) / APP_DIR_NAME / "kbnn-client.ini")
    if os.environ.get("KBNN_CLIENT_PRESET"):
        out.append(Path(os.environ["KBNN_CLIENT_PRESET"]))
    return out


def read_ini_text(path: Path | str) -> str:
    """The text of an INI file as Windows tools write it: UTF-8 (with or without BOM),
    UTF-16 with BOM (NSIS ``WriteINIStr``, Notepad "Unicode"), else the Vietnamese ANSI
    code page (cp1258)."""
    data = Path(path).read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1258", errors="replace")  # tone marks come as combining marks
    return unicodedata.normalize("NFC", text)


def read_presets(files: list[Path] | None = None) -> configparser.ConfigParser:
    """The installer presets merged in order (later files win); unreadable ones skipped."""
    parser = configparser.ConfigParser(interpolation=None)
    for path in preset_files() if files is None else files:
        if not path.is_file():
            continue
        one = configparser.ConfigParser(interpolation=None)
        try:
            one.read_string(read_ini_text(path), source=str(path))
        except (OSError, configparser.Error) as exc:
            logging.getLogger("client.home").warning("preset %s skipped: %s", path,
                                                     type(exc).__name__)
            continue
        parser.read_dict(one)
    return parser


@dataclass
class Unit:
    code: str
    name: str
    treasury: str
    account: str
    account_kind: str
    prepared_by: str = ""

    def as_document_unit(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "treasury": self.treasury,
            "account": self.account,
            "account_kind": self.account_kind,
        }

    def problems(self) -> list[Problem]:
        out = []
        if not re.fullmatch(r"\d{7}", self.code):
            out.append(Problem("unit-code", tr("Mã đơn vị (mã ĐVQHNS) phải gồm đúng 7 chữ số."),
                               "unit.code"))
        if not self.name.strip():
            out.append(Problem("unit-name", tr("Chưa nhập tên đơn vị."), "unit.name"))
        if not re.fullmatch(r"[\d.]+", self.account) or not re.search(r"\d", self.account):
            out.append(Problem("unit-account",
                               tr("Tài khoản của đơn vị chỉ gồm chữ số và dấu chấm (ví dụ "
                                  "9523.1.1047665)."),
                               "unit.account"))
        if self.account_kind not in ("estimate", "deposit"):
            out.append(Problem("unit-account-kind",
                               tr("Loại tài khoản phải là «estimate» (dự toán) hoặc «deposit» "
                                  "(tiền gửi)."),
                               "unit.account_kind"))
        return out


class Home:
    """One folder holding everything of one profile (real or training)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path else default_home()
        self.path.mkdir(parents=True, exist_ok=True)
        self.config = configparser.ConfigParser(interpolation=None)
        self.reload()

    def reload(self) -> None:
        """(Re-)read the installer presets, then the user's ``settings.ini`` over them.

        A preset that cannot be read or parsed is skipped (logged), never fatal; a damaged
        ``settings.ini`` is an ``InvalidInput`` naming the file and what is wrong. Both may
        be UTF-8 with a BOM (Notepad) or UTF-16 (see :func:`read_ini_text`)."""
        user = configparser.ConfigParser(interpolation=None)
        if self.settings_path.is_file():
            try:
                user.read_string(read_ini_text(self.settings_path), source=str(self.settings_path))
            except configparser.Error as exc:
                detail = " ".join(str(exc).split())[:300]
                raise InvalidInput(
                    tr("Tệp cài đặt «{path}» bị hỏng nên không đọc được. Hãy sửa tệp đó (hoặc "
                       "đổi tên nó để các mục trở về mặc định) rồi mở lại.",
                       path=self.settings_path),
                    [Problem("settings-corrupt", detail, str(self.settings_path))]) from None
        self._preset = read_presets()
        self.config.clear()
        self.config.read_dict(self._preset)
        self.config.read_dict(user)
        # what came from where: save() writes back only the user's own values, so a
        # preset that treasury IT updates later still applies where the user kept it
        self._user_keys = {(s, k) for s in user.sections() for k in user.options(s)}

    # -- paths -------------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS

    @property
    def db_path(self) -> Path:
        return self.path / DATABASE

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    @property
    def training_dir(self) -> Path:
        return self.path / "training-data"

    # -- settings ----------------------------------------------------------
    def get(self, section: str, key: str, default: str | None = None) -> str | None:
        return self.config.get(section, key, fallback=default)

    def set(self, section: str, key: str, value: str | None) -> None:
        if not self.config.has_section(section):
            self.config.add_section(section)
        if value is None:
            self.config.remove_option(section, key)
        else:
            self.config.set(section, key, value)
        self._user_keys.add((section, self.config.optionxform(key)))

    def save(self) -> None:
        out = configparser.ConfigParser(interpolation=None)
        for section in self.config.sections():
            for key, value in self.config.items(section, raw=True):
                preset_only = ((section, key) not in self._user_keys
                               and self._preset.has_option(section, key)
                               and self._preset.get(section, key, raw=True) == value)
                if preset_only:
                    continue
                if not out.has_section(section):
                    out.add_section(section)
                out.set(section, key, value)
        tmp = self.settings_path.with_suffix(".ini.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            out.write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.settings_path)

    @property
    def is_training(self) -> bool:
        return self.get("profile", "mode", "real") == "training"

    # -- unit profile --------------------------------------------------------
    def unit(self) -> Unit | None:
        if not self.config.has_section("unit") or not self.get("unit", "code"):
            return None
        return Unit(**{f: self.get("unit", f, "") or "" for f in UNIT_FIELDS})

    def require_unit(self) -> Unit:
        unit = self.unit()
        if unit is None:
            raise InvalidInput(tr("Chưa khai báo thông tin đơn vị. Hãy chạy: kbnn-client unit set "
                                  "--code … --name … --treasury … --account … --account-kind "
                                  "estimate"))
        return unit

    def set_unit(self, unit: Unit) -> None:
        problems = unit.problems()
        if problems:
            raise InvalidInput(tr("Thông tin đơn vị chưa hợp lệ."), problems)
        for f in UNIT_FIELDS:
            self.set("unit", f, getattr(unit, f))
        self.save()

    # -- server --------------------------------------------------------------
    def server(self) -> dict[str, str | None]:
        return {
            "url": self.get("server", "url"),
            "unit": self.get("server", "unit"),
            "user": self.get("server", "user"),
            "ca_file": self.get("server", "ca_file"),
        }


# Secret scrubbing: used for every log line (message, traceback) and the support bundle.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*):([^\s/@]*)@")
_SECRET_KEY = (r"(?:[\w.-]*?(?:password|passwd|passphrase|pwd|pin|puk|token|secret|api[_-]?key"
               r"|cookie|session[_-]?id|authorization)|mật\s*khẩu|mat[_\s]?khau)")
_KEY_VALUE = re.compile(
    r"(?i)(?<![\w])(" + _SECRET_KEY + r")(?![\w])(['\"]?\s*[:=]\s*)"
    r"((?:bearer|basic|digest|negotiate)\s+)?"
    r"(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[^\s,;'\"}&)\]]+)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_PIN_DIGITS = re.compile(r"(?i)(?<![\w])((?:mã\s+)?(?:pin|puk)\s+)(\d{4,})(?!\d)")


def _hide_value(m: re.Match) -> str:
    value = m.group(4)
    hidden = value[0] + "***" + value[0] if value[:1] in "'\"" and len(value) >= 2 else "***"
    return f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{hidden}"


def scrub_secrets(text: str, known: tuple[str, ...] | list[str] = ()) -> str:
    """``text`` with passwords, PINs, session/bearer tokens, Authorization headers and
    URL credentials replaced by ``***``; also every literal in ``known`` (6+ chars)."""
    for secret in sorted((k for k in known if k and len(k) >= 6), key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub(r"\1:***@", text)
    text = _KEY_VALUE.sub(_hide_value, text)
    text = _BEARER.sub(r"\1***", text)
    return _PIN_DIGITS.sub(r"\1***", text)


_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Have the log scrub this literal (a password the user typed or the keyring gave) wherever
    it appears, even with no "password=" before it. Values under 6 characters are ignored
    (too likely to hit ordinary text; PINs are caught by their own pattern)."""
    if value and len(value) >= 6:
        with _known_lock:
            _known_secrets.add(value)


def secret_from_env(name: str, *, pin: bool = False) -> str:
    """The secret (a password, or a PIN with ``pin``) kept in environment variable ``name``;
    ``UsageError`` when that variable is not set."""
    value = os.environ.get(name)
    if value is None:
        raise UsageError(tr("Biến môi trường {name} (chứa PIN) chưa được đặt.", name=name) if pin
                         else tr("Biến môi trường {name} chưa được đặt.", name=name))
    return value


def known_secrets() -> tuple[str, ...]:
    """The literals :func:`remember_secret` was given in this process."""
    with _known_lock:
        return tuple(_known_secrets)


class _SecretFilter(logging.Filter):
    """Scrub the message of each record (other handlers see it scrubbed too)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        scrubbed = scrub_secrets(msg, known_secrets())
        if scrubbed != msg:
            record.msg, record.args = scrubbed, ()
        return True


class ScrubbingFormatter(logging.Formatter):
    """Last line of defence: the whole formatted line, traceback included, is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub_secrets(super().format(record), known_secrets())


LOG_FILE = "kbnn-client.log"
LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 5


def setup_logging(home: Home, level: int = logging.INFO, *, max_bytes: int = LOG_MAX_BYTES,
                  backups: int = LOG_BACKUPS) -> None:
    """Log the ``client`` loggers to ``logs/kbnn-client.log`` in ``home``, rotated at
    ``max_bytes`` into ``.1`` … ``.{backups}`` (the oldest dropped); every line scrubbed of
    secrets (:func:`scrub_secrets` plus the literals of :func:`remember_secret`).
    Calling it again (another home, another level) replaces the previous handler."""
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("client")
    for h in list(root.handlers):
        if getattr(h, "_kbnn", False):
            root.removeHandler(h)
            h.close()
    handler = logging.handlers.RotatingFileHandler(
        home.logs_dir / LOG_FILE, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_SecretFilter())
    handler._kbnn = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
