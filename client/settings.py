"""Typed, validated access to the settings of a home folder (``settings.ini``).

Every setting the user (or treasury IT) may change has one :class:`Setting`
entry: a dotted key (``server.url``), the INI section and option it lives in,
its kind, its allowed values and a label (Vietnamese source text, shown in the
current language). :class:`Settings` wraps a
:class:`client.home.Home`: ``get`` returns the normalised value (or the
default), ``set`` validates and normalises (raising ``InvalidInput`` with a
message naming the key, in the current language), ``save`` writes ``settings.ini``
atomically (through ``Home.save``).

Also here: the Vietnamese way of showing dates (``25/10/2026``) and the
amount-in-words variants the unit chose (linh/lẻ, tư/bốn, nghìn/ngàn).
"""

from __future__ import annotations

import configparser
import ipaddress
import os
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

from client.errors import InvalidInput, Problem, UsageError
from client.home import Home, read_ini_text, read_presets
from client.i18n import tr

VN_TZ = timezone(timedelta(hours=7))

PROXY_MODES = ("system", "none", "manual")
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Setting:
    """One user-changeable setting."""

    key: str  # dotted: "server.url"
    section: str
    option: str
    kind: str  # "url" | "file" | "files" | "choice" | "text" | "unit-code" | "proxy-url" | "seconds"
    label_vi: str  # Vietnamese source text of ``label``
    help_vi: str = ""  # Vietnamese source text of ``help`` ("{sep}": the path separator)
    default: str | None = None
    choices: tuple[str, ...] = ()
    # accepted spellings -> canonical value (choices only)
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """Shown in the settings screen and in errors, in the current language."""
        return tr(SETTING_LABELS.get(self.key, self.label_vi))

    @property
    def help(self) -> str:
        """One line of help, in the current language ("" when there is none)."""
        if not self.help_vi:
            return ""
        return tr(SETTING_HELP.get(self.key, self.help_vi), sep=os.pathsep)

    def to_json(self) -> dict:
        return {"key": self.key, "kind": self.kind, "label": self.label, "help": self.help,
                "default": self.default, "choices": list(self.choices)}


def _s(key: str, kind: str, label: str, help: str = "", default: str | None = None,
       choices: tuple[str, ...] = (), aliases: dict[str, str] | None = None) -> Setting:
    section, _, option = key.partition(".")
    return Setting(key, section, option, kind, label, help, default, choices,
                   tuple((aliases or {}).items()))


SETTINGS: dict[str, Setting] = {s.key: s for s in (
    _s("server.url", "url", "Địa chỉ máy chủ Kho bạc",
       "Địa chỉ dịch vụ công Kho bạc do Kho bạc cung cấp, ví dụ https://dvc.vst.mof.gov.vn/api/v1"),
    _s("server.unit", "unit-code", "Mã đơn vị đăng nhập (mã ĐVQHNS)", "Gồm đúng 7 chữ số."),
    _s("server.user", "text", "Tên đăng nhập dịch vụ công Kho bạc"),
    _s("server.ca_file", "file", "Tệp chứng chỉ CA của Kho bạc",
       "Chỉ cần khi Kho bạc cung cấp tệp CA riêng (PEM hoặc DER); để trống để chỉ dùng kho "
       "chứng chỉ của hệ điều hành."),
    _s("network.proxy", "choice", "Máy chủ proxy",
       "system = theo cấu hình của hệ điều hành; none = không dùng proxy; manual = dùng "
       "network.proxy_host.", "system", PROXY_MODES,
       {"system": "system", "hệ thống": "system", "he thong": "system", "auto": "system",
        "none": "none", "không": "none", "khong": "none", "off": "none", "direct": "none",
        "manual": "manual", "thủ công": "manual", "thu cong": "manual"}),
    _s("network.proxy_host", "proxy-url", "Địa chỉ proxy (khi chọn manual)",
       "Dạng máy:cổng, ví dụ 10.0.0.1:3128 hoặc http://proxy.so-tai-chinh.vn:8080."),
    _s("network.proxy_user", "text", "Tên đăng nhập proxy (nếu proxy yêu cầu)",
       "Mật khẩu proxy được lưu trong kho khóa của hệ điều hành, không ghi vào tệp cấu hình."),
    _s("network.connect_timeout", "seconds", "Thời gian chờ kết nối tới Kho bạc (giây)", "",
       "10"),
    _s("network.read_timeout", "seconds", "Thời gian chờ Kho bạc trả lời (giây)", "", "60"),
    _s("signing.module", "file", "Thư viện PKCS#11 của token",
       "Đường dẫn tệp .dll/.so của trình điều khiển token; để trống để tự tìm."),
    _s("signing.trust", "files", "Chứng chỉ gốc tin cậy bổ sung",
       "Các tệp PEM/DER, cách nhau bởi «{sep}»."),
    _s("ui.language", "choice", "Ngôn ngữ giao diện", "vi = Tiếng Việt, en = English.", "vi",
       LANGUAGES, {"vi": "vi", "vi-vn": "vi", "vi_vn": "vi", "tiếng việt": "vi", "tieng viet": "vi",
                   "vietnamese": "vi", "en": "en", "en-us": "en", "en_us": "en", "en-gb": "en",
                   "english": "en", "tiếng anh": "en", "tieng anh": "en"}),
    _s("words.zero_tens", "choice", "Đọc số 0 ở hàng chục (105: một trăm linh năm / lẻ năm)", "",
       "linh", ("linh", "lẻ"), {"linh": "linh", "lẻ": "lẻ", "le": "lẻ"}),
    _s("words.four", "choice", "Đọc số 4 sau «mươi» (24: hai mươi tư / hai mươi bốn)", "",
       "tư", ("tư", "bốn"), {"tư": "tư", "tu": "tư", "bốn": "bốn", "bon": "bốn"}),
    _s("words.thousand", "choice", "Đọc hàng nghìn (nghìn / ngàn)", "",
       "nghìn", ("nghìn", "ngàn"), {"nghìn": "nghìn", "nghin": "nghìn", "ngàn": "ngàn",
                                   "ngan": "ngàn"}),
)}
# the settings' Vietnamese labels and help, shown through tr() (Setting.label, Setting.help)
SETTING_LABELS: dict[str, str] = {s.key: s.label_vi for s in SETTINGS.values()}
SETTING_HELP: dict[str, str] = {s.key: s.help_vi for s in SETTINGS.values() if s.help_vi}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _error(setting: Setting, value: str, why: str, code: str = "setting-invalid") -> InvalidInput:
    message = tr("Giá trị «{value}» không hợp lệ cho «{label}» ({key}): {why}", value=value,
                 label=setting.label, key=setting.key, why=why)
    return InvalidInput(message, [Problem(code, why, setting.key)])


def lookup(key: str) -> Setting:
    """The setting called ``key``; an unknown key is a usage error listing the known ones."""
    setting = SETTINGS.get(key.strip().lower())
    if setting is None:
        known = ", ".join(SETTINGS)
        raise UsageError(tr("Không có mục cấu hình «{key}». Các mục có thể đặt: {known}.", key=key,
                              known=known))
    return setting


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _validate_url(setting: Setting, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error(setting, value, tr("địa chỉ phải bắt đầu bằng https:// và có tên máy chủ, "
                                        "ví dụ https://dvc.vst.mof.gov.vn/api/v1."))
    if parts.username or parts.password:
        raise _error(setting, value,
                     tr("không ghi tên đăng nhập hay mật khẩu vào địa chỉ máy chủ."))
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise _error(setting, value, tr("kết nối tới Kho bạc phải được mã hóa: hãy dùng "
                                        "https:// (http:// chỉ dùng cho Kho bạc mô phỏng trên "
                                        "chính máy này)."))
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise _error(setting, value, tr("số cổng không hợp lệ.")) from None
    if parts.query or parts.fragment:
        raise _error(setting, value, tr("địa chỉ máy chủ không có phần «?…» hay «#…»."))
    return value.rstrip("/")


def _validate_proxy(setting: Setting, value: str) -> str:
    text = value if "://" in value else "http://" + value
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise _error(setting, value, tr("hãy nhập dạng máy:cổng, ví dụ 10.0.0.1:3128."))
    if parts.username or parts.password:
        raise _error(setting, value, tr("không ghi tên đăng nhập hay mật khẩu vào địa chỉ proxy; "
                                        "tên đăng nhập đặt ở network.proxy_user, mật khẩu lưu "
                                        "trong kho khóa."))
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None or not (0 < port < 65536):
        raise _error(setting, value,
                     tr("thiếu hoặc sai số cổng (1–65535), ví dụ 10.0.0.1:3128."))
    if parts.path not in ("", "/"):
        raise _error(setting, value, tr("địa chỉ proxy chỉ gồm máy và cổng."))
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}:{port}"


def _validate_cert_file(setting: Setting, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        raise _error(setting, value, tr("không tìm thấy tệp."), "file-missing")
    from cryptography import x509

    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            x509.load_pem_x509_certificates(data)
        else:
            x509.load_der_x509_certificate(data)
    except ValueError:
        raise _error(setting, value, tr("tệp không phải chứng chỉ X.509 (PEM hoặc DER)."),
                     "not-a-certificate") from None
    return str(path.resolve())


def normalise(setting: Setting, value: str) -> str:
    """The canonical form of ``value`` for ``setting``; raises ``InvalidInput`` (in the
    current language)."""
    text = _nfc(str(value)).strip()
    if setting.kind == "choice":
        canonical = dict(setting.aliases).get(text.lower())
        if canonical is None:
            allowed = " / ".join(setting.choices)
            raise _error(setting, text, tr("chỉ chọn một trong: {allowed}.", allowed=allowed),
                         "setting-choice")
        return canonical
    if setting.kind == "url":
        return _validate_url(setting, text)
    if setting.kind == "proxy-url":
        return _validate_proxy(setting, text)
    if setting.kind == "seconds":
        try:
            seconds = float(text.replace(",", "."))  # seconds, not money
        except ValueError:
            seconds = -1.0
        if not (0 < seconds <= 600):
            raise _error(setting, text, tr("nhập số giây lớn hơn 0 và không quá 600."))
        return f"{seconds:g}"
    if setting.kind == "unit-code":
        if not (len(text) == 7 and text.isascii() and text.isdigit()):
            raise _error(setting, text, tr("mã đơn vị gồm đúng 7 chữ số."))
        return text
    if setting.kind == "file":
        if setting.key == "server.ca_file":
            return _validate_cert_file(setting, text)
        path = Path(text).expanduser()
        if not path.is_file():
            raise _error(setting, text, tr("không tìm thấy tệp."), "file-missing")
        return str(path.resolve())
    if setting.kind == "files":
        parts = [p.strip() for p in text.split(os.pathsep) if p.strip()]
        return os.pathsep.join(_validate_cert_file(setting, p) for p in parts)
    if any(ch in text for ch in "\r\n"):
        raise _error(setting, text, tr("không được xuống dòng."))
    if not text:
        raise _error(setting, text, tr("không được để trống (dùng «settings unset» để xóa)."))
    return text


@dataclass(frozen=True)
class ProxyConfig:
    mode: str  # "system" | "none" | "manual"
    url: str | None  # manual only: "http://host:port"
    user: str | None = None

    def requests_proxies(self) -> dict[str, str] | None:
        """``proxies`` for a requests session; ``None`` = the system's (environment) proxies.

        ``"none"`` maps every scheme to the empty string (requests: "no proxy").
        Note: requests lets environment proxies override a session's own
        ``proxies``; a session honouring "none"/"manual" must also set
        ``trust_env = False`` (see :attr:`trust_env`)."""
        if self.mode == "manual" and self.url:
            return {"http": self.url, "https": self.url}
        if self.mode == "none":
            return {"http": "", "https": ""}
        return None

    @property
    def trust_env(self) -> bool:
        """Whether the environment's / system's proxy settings apply."""
        return self.mode == "system"

    def for_url(self, url: str) -> str | None:
        """The proxy that a request to ``url`` goes through (``None``: direct)."""
        if self.mode == "manual":
            return self.url
        if self.mode == "none":
            return None
        import urllib.request

        parts = urlsplit(url)
        if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
            return None
        proxies = urllib.request.getproxies()
        return proxies.get(parts.scheme) or proxies.get("all") or None


@dataclass(frozen=True)
class SettingValue:
    setting: Setting
    value: str | None  # effective value (user, preset or default)
    source: str  # "user" | "preset" | "default" | "unset"

    def to_json(self) -> dict:
        return {"key": self.setting.key, "value": self.value, "source": self.source,
                "label": self.setting.label}


def effective_value(key: str, raw: str | None) -> str | None:
    """What ``raw`` (as written in settings.ini or a preset; ``None``: absent) means for
    ``key``: its default when empty, a choice's canonical value for any of its aliases."""
    setting = lookup(key)
    if raw is None or not raw.strip():
        return setting.default
    if setting.kind == "choice":
        return dict(setting.aliases).get(_nfc(raw).strip().lower(), setting.default)
    return raw.strip()


class Settings:
    """Typed view over one home folder's settings."""

    def __init__(self, home: Home) -> None:
        self.home = home

    def get(self, key: str) -> str | None:
        """The effective value of ``key`` (user or preset file, else its default)."""
        setting = lookup(key)
        return effective_value(key, self.home.get(setting.section, setting.option))

    def set(self, key: str, value: str | None) -> str | None:
        """Validate and set ``key`` (``None`` or empty removes it); returns the stored value.
        Call :meth:`save` to write the file."""
        setting = lookup(key)
        if value is None or not str(value).strip():
            self.home.set(setting.section, setting.option, None)
            return None
        if setting.key == "network.proxy":
            text = _nfc(str(value)).strip()
            if "://" in text or (":" in text and text.lower() not in dict(setting.aliases)):
                # a proxy address given directly: manual mode with that host
                url = _validate_proxy(SETTINGS["network.proxy_host"], text)
                self.home.set("network", "proxy_host", url)
                self.home.set("network", "proxy", "manual")
                return "manual"
            mode = normalise(setting, text)
            if mode == "manual" and not self.get("network.proxy_host"):
                raise _error(setting, text, tr("hãy đặt địa chỉ proxy trước: kbnn-client "
                                               "settings set network.proxy_host MÁY:CỔNG."))
            self.home.set("network", "proxy", mode)
            return mode
        normalised = normalise(setting, str(value))
        self.home.set(setting.section, setting.option, normalised)
        return normalised

    def unset(self, key: str) -> None:
        self.set(key, None)

    def save(self) -> None:
        self.home.save()

    def update(self, values: dict[str, str | None]) -> dict[str, str | None]:
        """Validate every value first, then set them all and save (all or nothing)."""
        errors: list[InvalidInput] = []
        for key, value in values.items():
            setting = lookup(key)
            if value is None or not str(value).strip() or setting.key == "network.proxy":
                continue
            try:
                normalise(setting, str(value))
            except InvalidInput as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise InvalidInput(tr("Cấu hình chưa hợp lệ, chưa lưu thay đổi nào."),
                               [p for e in errors for p in e.problems])
        # proxy_host before proxy, so "manual" finds its host
        order = sorted(values, key=lambda k: k.strip().lower() == "network.proxy")
        out = {k: self.set(k, values[k]) for k in order}
        self.save()
        return out

    # -- the whole list ------------------------------------------------------------------

    def _file_keys(self, paths: list[Path]) -> set[tuple[str, str]]:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            for path in paths:
                if path.is_file():
                    parser.read_string(read_ini_text(path), source=str(path))
        except (OSError, configparser.Error):
            return set()
        return {(s, o) for s in parser.sections() for o in parser.options(s)}

    def values(self) -> list[SettingValue]:
        """Every known setting with its effective value and where it comes from."""
        user = self._file_keys([self.home.settings_path])
        presets = read_presets()
        preset = {(s, o) for s in presets.sections() for o in presets.options(s)}
        out = []
        for setting in SETTINGS.values():
            where = (setting.section, setting.option)
            raw = self.home.get(*where)
            if raw is not None and raw.strip():
                source = "user" if where in user else ("preset" if where in preset else "user")
            else:
                source = "default" if setting.default is not None else "unset"
            out.append(SettingValue(setting, self.get(setting.key), source))
        return out

    # -- typed helpers -----------------------------------------------------------------

    def language(self) -> str:
        return self.get("ui.language") or "vi"

    def proxy(self) -> ProxyConfig:
        mode = self.get("network.proxy") or "system"
        host = self.get("network.proxy_host")
        return ProxyConfig(mode, host if mode == "manual" else None, self.get("network.proxy_user"))

    def set_proxy_password(self, password: str) -> None:
        """Keep the manual proxy's password in the OS keyring (never in ``settings.ini``);
        ``network.proxy_host`` and ``network.proxy_user`` must be set first."""
        from client.home import remember_secret
        from client.transport.network import network_settings, store_proxy_password

        net = network_settings(self.home)
        if not net.proxy_host or not net.proxy_user:
            raise UsageError(tr("Hãy đặt địa chỉ và tên đăng nhập proxy trước: kbnn-client "
                                "settings set network.proxy_host MÁY:CỔNG, rồi settings set "
                                "network.proxy_user TÊN."))
        if not password:
            raise UsageError(tr("Mật khẩu proxy không được để trống."))
        remember_secret(password)
        store_proxy_password(net, password)

    def words_options(self) -> dict[str, str]:
        """Keyword arguments for :func:`client.money.amount_in_words`."""
        return {"zero_tens": self.get("words.zero_tens") or "linh",
                "four": self.get("words.four") or "tư",
                "thousand": self.get("words.thousand") or "nghìn"}

    def amount_in_words(self, amount: int) -> str:
        from client.money import amount_in_words

        return amount_in_words(amount, **self.words_options())


# --------------------------------------------------------------------------- formatting


def format_date_vn(value: date | datetime | str | None) -> str:
    """``25/10/2026``. Aware datetimes are shown in Vietnam time; an ISO text is parsed."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                value = date.fromisoformat(text[:10])
            except ValueError:
                return text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(VN_TZ)
        value = value.date()
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def format_datetime_vn(value: datetime | str | None) -> str:
    """``25/10/2026 14:05`` in Vietnam time (naive datetimes are taken as they are)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(VN_TZ)
    return f"{format_date_vn(value.date())} {value.hour:02d}:{value.minute:02d}"


def format_money_vn(amount: int) -> str:
    """``1.234.567 đ`` (see :func:`client.money.format_money_vn`)."""
    from client.money import format_money_vn as _fmt

    return _fmt(amount)
