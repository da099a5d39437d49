"""First-run setup, the core behind the GUI's setup wizard (Qt-free, blocking calls).

The wizard walks these steps, each a method of :class:`FirstRun` that returns a
:class:`StepResult` (``ok`` / ``warning`` / ``failed`` with what to do, in
Vietnamese) and records it:

1. :meth:`FirstRun.preset` — what treasury IT preset with the installer
   (``kbnn-client.ini`` next to the executable, in ``%PROGRAMDATA%\\KBNN Client``
   or named by ``KBNN_CLIENT_PRESET``): server address, CA file, PKCS#11 module.
2. :meth:`FirstRun.check_server` — ``GET /health`` of the server address (no
   login): reachable, TLS trusted, a real treasury (not a sandbox) for a real
   profile, PC clock within 5 minutes. Saves ``server.url`` (and the CA file).
3. :meth:`FirstRun.set_unit` — the unit profile (validated, saved).
4. :meth:`FirstRun.login` — logs in once to prove the password, saves the
   account in ``settings.ini`` and the password in the OS keyring (never in a
   file or a log).
5. :meth:`FirstRun.check_signers` — the certificates on the tokens against the
   signers the treasury registered for the unit, per role (chief accountant,
   head of unit), through the same preflight the signing dialog uses.
6. :meth:`FirstRun.summary` — the last page: every step, ready or not, with what
   is still to do. :attr:`FirstRun.ready` says whether the app can be used.

The methods block (network, token): the GUI runs them off the UI thread.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.errors import KbnnError
from client.home import Home, Unit, preset_files, read_presets, remember_secret
from client.i18n import tr

log = logging.getLogger("client.firstrun")

# the statuses of client.diagnostics (not imported: that package is heavy to load at startup)
OK, WARNING, FAILED = "ok", "warning", "failed"

ROLES = ("chief-accountant", "head-of-unit")
ROLE_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
STEPS = ("server", "unit", "login", "signer:chief-accountant", "signer:head-of-unit")
STEP_TITLES = {
    "server": "Máy chủ Kho bạc",
    "unit": "Thông tin đơn vị",
    "login": "Tài khoản dịch vụ công Kho bạc",
    "signer:chief-accountant": "Chữ ký số của Kế toán trưởng",
    "signer:head-of-unit": "Chữ ký số của Thủ trưởng đơn vị",
}
_NOT_DONE_ADVICE = {
    "server": "Nhập địa chỉ máy chủ Kho bạc và bấm «Kiểm tra».",
    "unit": "Nhập mã đơn vị, tên đơn vị, Kho bạc nơi giao dịch và tài khoản.",
    "login": "Nhập tên đăng nhập và mật khẩu dịch vụ công Kho bạc rồi bấm «Đăng nhập».",
    "signer:chief-accountant": "Cắm token của Kế toán trưởng và bấm «Kiểm tra token».",
    "signer:head-of-unit": "Cắm token của Thủ trưởng đơn vị và bấm «Kiểm tra token».",
}
CLOCK_WARN_SECONDS = 300  # treasury-api.md: the PC clock may be at most 5 minutes off


@dataclass(frozen=True)
class StepResult:
    """The outcome of one step; ``title``, ``detail`` and ``advice`` are in the language of
    :mod:`client.i18n` (Vietnamese by default)."""

    id: str
    status: str  # "ok" | "warning" | "failed"
    detail: str
    advice: str = ""
    data: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return tr(STEP_TITLES[self.id]) if self.id in STEP_TITLES else self.id

    @property
    def ready(self) -> bool:
        return self.status != FAILED

    def to_json(self) -> dict:
        return {"id": self.id, "status": self.status, "title": self.title, "detail": self.detail,
                "advice": self.advice, "data": self.data}

    def to_text(self) -> str:
        mark = {OK: tr("Sẵn sàng"), WARNING: tr("Sẵn sàng, cần lưu ý"),
                FAILED: tr("Chưa sẵn sàng")}[self.status]
        text = f"[{mark}] {self.title}: {self.detail}"
        if self.advice and self.status != OK:
            text += "\n    " + tr("Cần làm: {advice}", advice=self.advice)
        return text


@dataclass(frozen=True)
class Preset:
    """What the installer's preset file(s) set (values shown pre-filled in the wizard)."""

    files: tuple[Path, ...]  # preset files that exist, in the order read
    server_url: str | None
    ca_file: str | None
    module: str | None
    unit_code: str | None

    @property
    def found(self) -> bool:
        return bool(self.files)

    def to_json(self) -> dict:
        return {"files": [str(p) for p in self.files], "server_url": self.server_url,
                "ca_file": self.ca_file, "module": self.module, "unit_code": self.unit_code}


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


def needs_first_run(home: Home) -> bool:
    """Whether the wizard should open: a real profile without a unit, a server or an account."""
    if home.is_training:
        return False
    server = home.server()
    return home.unit() is None or not (server["url"] and server["unit"] and server["user"])


class FirstRun:
    """The state of one first-run setup over a home folder (see the module docstring)."""

    def __init__(self, home: Home, *, timeout: tuple[float, float] = (5.0, 15.0),
                 keyring_store: Callable[[Home, str], None] | None = None) -> None:
        self.home = home
        self.timeout = timeout  # seconds (connect, read), not money
        self._store = keyring_store or _keyring_store
        self.results: dict[str, StepResult] = {}
        self.candidates: dict[str, list[Any]] = {}  # role -> preflight Candidates, best first

    def _record(self, result: StepResult) -> StepResult:
        self.results[result.id] = result
        log.info("first run: %s %s", result.id, result.status)
        return result

    # -- 1. preset ------------------------------------------------------------------------

    def preset(self) -> Preset:
        """The installer's preset values (the user's own ``settings.ini`` not included)."""
        files = tuple(p for p in preset_files() if p.is_file())
        parser = read_presets(list(files))

        def get(section: str, key: str) -> str | None:
            value = parser.get(section, key, fallback="") or ""
            return _nfc(value) or None

        return Preset(files, get("server", "url"), get("server", "ca_file"),
                      get("signing", "module"), get("server", "unit"))

    # -- 2. server --------------------------------------------------------------------------

    def check_server(self, url: str | None = None, ca_file: str | None = None) -> StepResult:
        """Ask ``GET /health`` of ``url`` (default: the saved or preset one); save it when it
        answers as the right kind of server."""
        from client.settings import Settings
        from client.transport.api import TreasuryClient
        from client.transport.network import network_settings, proxy_config

        settings = Settings(self.home)
        url = _nfc(url or "") or settings.get("server.url")
        if not url:
            return self._record(StepResult("server", FAILED,
                                           tr("Chưa có địa chỉ máy chủ Kho bạc."),
                                           tr(_NOT_DONE_ADVICE["server"])))
        ca = _nfc(ca_file or "") or settings.get("server.ca_file")
        try:
            from client.settings import SETTINGS, normalise

            url = normalise(SETTINGS["server.url"], url)
            if ca:
                ca = normalise(SETTINGS["server.ca_file"], ca)
            proxy = proxy_config(network_settings(self.home))
        except KbnnError as exc:
            return self._record(StepResult("server", FAILED, exc.message,
                                           tr("Sửa lại địa chỉ máy chủ hoặc tệp CA rồi kiểm tra "
                                              "lại."),
                                           {"url": url}))
        api = TreasuryClient(url, unit_code="-", username="-", password=lambda: None,
                             ca_file=ca or None, timeout=self.timeout, proxy=proxy)
        try:
            health = api.health_check()
            is_sandbox = api.health().get("sandbox") is True
        except KbnnError as exc:
            return self._record(StepResult(
                "server", FAILED, tr("Không kết nối được máy chủ {url}: {error}", url=url,
                                     error=exc.message),
                tr("Kiểm tra địa chỉ máy chủ, mạng và proxy (Cài đặt → Mạng); nếu Kho bạc cấp tệp "
                   "chứng chỉ CA riêng, chọn tệp đó. Chạy «Kiểm tra máy» để biết chi tiết."),
                {"url": url, "failure": getattr(exc, "failure", None)}))
        finally:
            api.close()
        data = {"url": url, "api_version": health.api_version, "sandbox": is_sandbox,
                "clock_skew_seconds": None if health.clock_skew is None else round(health.clock_skew),
                "round_trip_ms": round(health.round_trip * 1000)}
        training = self.home.is_training
        if is_sandbox and not training:
            return self._record(StepResult(
                "server", FAILED, tr("Máy chủ {url} là Kho bạc mô phỏng (dùng để tập huấn), "
                                     "không phải Kho bạc Nhà nước.", url=url),
                tr("Nhập địa chỉ dịch vụ công Kho bạc do Kho bạc cung cấp; để tập huấn hãy dùng "
                   "chế độ tập huấn."), data))
        if training and not is_sandbox:
            return self._record(StepResult(
                "server", FAILED, tr("Hồ sơ tập huấn chỉ làm việc với Kho bạc mô phỏng, nhưng "
                                     "{url} không phải Kho bạc mô phỏng.", url=url),
                tr("Nhập địa chỉ Kho bạc mô phỏng của lớp tập huấn."), data))
        self.home.set("server", "url", url)
        if ca:
            self.home.set("server", "ca_file", ca)
        self.home.save()
        warning = health.clock_warning()
        if warning:
            return self._record(StepResult("server", WARNING,
                                           tr("Máy chủ {url} trả lời. {warning}", url=url,
                                              warning=warning),
                                           tr("Bật đồng bộ giờ tự động của Windows rồi kiểm tra "
                                              "lại."), data))
        return self._record(StepResult("server", OK, tr("Máy chủ {url} trả lời, giờ máy tính khớp "
                                       "với giờ Kho bạc.", url=url), data=data))

    # -- 3. unit ------------------------------------------------------------------------------

    def set_unit(self, unit: Unit) -> StepResult:
        """Validate and save the unit profile."""
        unit = Unit(**{k: _nfc(v) for k, v in vars(unit).items()})
        problems = unit.problems()
        if problems:
            return self._record(StepResult("unit", FAILED, " ".join(p.message for p in problems),
                                           tr("Sửa các ô được nêu rồi lưu lại."),
                                           {"problems": [p.to_json() for p in problems]}))
        self.home.set_unit(unit)
        return self._record(StepResult("unit", OK, tr("{name} (mã {code}), tài khoản {account} "
                                                      "tại {treasury}.", name=unit.name,
                                                      code=unit.code, account=unit.account,
                                                      treasury=unit.treasury),
                                       data={"code": unit.code}))

    def check_unit(self) -> StepResult:
        """Record the unit profile already saved (a wizard run again, ``kbnn-client setup``)."""
        unit = self.home.unit()
        if unit is None:
            return self._record(StepResult("unit", FAILED, tr("Chưa khai báo thông tin đơn vị."),
                                           tr(_NOT_DONE_ADVICE["unit"])))
        return self.set_unit(unit)

    # -- 4. login -----------------------------------------------------------------------------

    def login(self, user: str, password: str, unit_code: str | None = None, *,
              remember: bool = True) -> StepResult:
        """Log in once with ``user``/``password`` for ``unit_code`` (default: the unit's code);
        on success save the account and keep the password in the OS keyring."""
        from client.transport.network import client_for_home

        user = _nfc(user)
        unit_code = _nfc(unit_code or "") or (self.home.unit().code if self.home.unit() else "")
        url = self.home.get("server", "url")
        if not url:
            return self._record(StepResult("login", FAILED, tr("Chưa kiểm tra máy chủ Kho bạc."),
                                           tr(_NOT_DONE_ADVICE["server"])))
        if not user or not unit_code or not password:
            return self._record(StepResult("login", FAILED, tr("Chưa nhập đủ mã đơn vị, tên đăng "
                                           "nhập và mật khẩu."), tr(_NOT_DONE_ADVICE["login"])))
        remember_secret(password)  # never in the log, even a line without "password="
        data = {"unit": unit_code, "user": user}
        try:
            api = client_for_home(self.home, lambda: password, unit=unit_code, user=user)
            api.timeout = self.timeout
            try:
                api.login()
                api.logout()
            finally:
                api.close()
        except KbnnError as exc:
            return self._record(StepResult("login", FAILED,
                                           tr("Không đăng nhập được: {error}", error=exc.message),
                                           tr("Kiểm tra tên đăng nhập, mật khẩu và mã đơn vị (do "
                                              "Kho bạc cấp) rồi thử lại."), data))
        self.home.set("server", "unit", unit_code)
        self.home.set("server", "user", user)
        self.home.save()
        if not remember:
            return self._record(StepResult("login", WARNING, tr("Đăng nhập được với tài khoản "
                                           "{user}, nhưng mật khẩu không được lưu.", user=user),
                                           tr("Mỗi lần gửi hồ sơ phần mềm sẽ hỏi lại mật khẩu."),
                                           {**data, "saved": False}))
        try:
            self._store(self.home, password)
        except Exception as exc:  # noqa: BLE001 - any keyring backend failure
            log.warning("keyring store failed: %s", type(exc).__name__)
            return self._record(StepResult(
                "login", WARNING, tr("Đăng nhập được với tài khoản {user}, nhưng máy không có "
                                     "kho khóa để lưu mật khẩu.", user=user),
                tr("Trên Windows hãy kiểm tra Credential Manager; trên Linux cài gnome-keyring "
                   "hoặc KWallet. Trong lúc chờ, phần mềm sẽ hỏi mật khẩu khi gửi."),
                {**data, "saved": False}))
        return self._record(StepResult("login", OK, tr("Đăng nhập được với tài khoản {user} (đơn "
                                       "vị {unit}); mật khẩu lưu trong kho khóa của hệ điều hành.",
                                       user=user, unit=unit_code),
                                       data={**data, "saved": True}))

    # -- 5. tokens and certificates -----------------------------------------------------------

    def check_signers(self, module: str | None = None, *, entries: Iterable[Any] | None = None,
                      registered: list[dict] | None = None,
                      password: str | None = None) -> list[StepResult]:
        """For each role: the best certificate on the tokens, checked against the unit and the
        signers the treasury registered. ``entries`` (``CertEntry`` list) skips opening the
        module (the GUI passes its own ``TokenService`` results); ``registered`` skips asking
        the treasury; ``password`` is used when the keyring holds none."""
        from client.signing.preflight import rank_candidates

        unit = self.home.unit()
        unit_code = unit.code if unit else self.home.get("server", "unit")
        data: dict[str, Any] = {}
        if entries is None:
            try:
                entries, data = self._read_tokens(module)
            except KbnnError as exc:
                advice = tr("Cài trình điều khiển token của nhà cung cấp chữ ký số (bản 64-bit), "
                            "cắm token rồi kiểm tra lại; hoặc chọn tệp thư viện PKCS#11 trong "
                            "Cài đặt.")
                return [self._record(StepResult(f"signer:{role}", FAILED, exc.message, advice,
                                                {"module": module}))
                        for role in ROLES]
        entries = list(entries)
        online_note = ""
        if registered is None:
            registered, online_note = self._registered(unit_code, password)
        out = []
        for role in ROLES:
            cands = rank_candidates(entries, unit_code, role, registered,
                                    preferred=self.home.get("signers", role))
            self.candidates[role] = cands
            out.append(self._record(self._role_result(role, cands, registered, online_note, data)))
        return out

    def _read_tokens(self, module: str | None) -> tuple[list[Any], dict]:
        from client.signing.discovery import ensure_safe_to_load, require_module
        from client.signing.tokens import TokenService

        path = require_module(module or self.home.get("signing", "module"), strict=module is not None)
        ensure_safe_to_load(path)
        with TokenService(path) as svc:
            svc.wait_loaded(30)
            tokens = svc.tokens(timeout=30)
            certs = svc.certificates(timeout=30) if tokens else []
        return certs, {"module": path, "tokens": [t.label for t in tokens]}

    def _registered(self, unit_code: str | None,
                    password: str | None) -> tuple[list[dict] | None, str]:
        from client.app import Credentials
        from client.transport.network import client_for_home

        if not unit_code:
            return None, tr("chưa có mã đơn vị")
        try:
            secret = password or Credentials(self.home).password()
            if not secret:
                return None, tr("chưa đăng nhập Kho bạc")
            api = client_for_home(self.home, lambda: secret)
            api.timeout = self.timeout
            try:
                return api.signers(unit_code), ""
            finally:
                api.close()
        except KbnnError as exc:
            return None, exc.message

    def _role_result(self, role: str, cands: list[Any], registered: list[dict] | None,
                     online_note: str, data: dict) -> StepResult:
        sid, who = f"signer:{role}", tr(ROLE_VI[role])
        info = {**data, "candidates": [c.to_json() for c in cands], "registered_checked":
                registered is not None}
        usable = [c for c in cands if c.usable]
        if not cands:
            return StepResult(sid, FAILED, tr("Không thấy chứng thư số nào có khóa ký trên các "
                              "token đang cắm."), tr("Cắm token của {who} rồi kiểm tra lại.",
                                                     who=who), info)
        if not usable:
            why = "; ".join(p.message for p in cands[0].errors) or tr("không dùng được")
            return StepResult(sid, FAILED, tr("Không có chứng thư số dùng được để ký: {why}",
                                              why=why),
                              tr("Liên hệ nhà cung cấp chữ ký số để gia hạn hoặc cấp lại chứng thư "
                                 "số."), info)
        best = usable[0]
        name = best.info.subject_cn or best.entry.label
        days = _days_left(best.info.not_after)
        info.update(chosen=best.to_json()["sha256"], days_left=days)
        if registered is None:
            return StepResult(sid, WARNING, tr("{name} (token {token}), còn hiệu lực {days} "
                                               "ngày; chưa đối chiếu được với Kho bạc ({note}).",
                                               name=name, token=best.entry.token_label,
                                               days=days, note=online_note),
                              tr("Đăng nhập Kho bạc rồi kiểm tra lại token."), info)
        if best.registered_for_role is not True:
            return StepResult(sid, FAILED, tr("Chứng thư số của {name} chưa được đăng ký với Kho "
                                              "bạc cho vai trò {who}.", name=name, who=who),
                              tr("Đăng ký chứng thư số này với Kho bạc (mẫu đăng ký sử dụng dịch "
                                 "vụ công), hoặc cắm đúng token đã đăng ký."), info)
        self.home.set("signers", role, best.info.sha256_hex)
        self.home.save()
        warn = [p.message for p in best.warnings]
        if warn:
            return StepResult(sid, WARNING, tr("{name} (token {token}) đã đăng ký với Kho bạc; "
                                               "{warnings}", name=name,
                                               token=best.entry.token_label,
                                               warnings="; ".join(warn)),
                              tr("Xem lưu ý trước khi ký."), info)
        return StepResult(sid, OK, tr("{name} (token {token}) đã đăng ký với Kho bạc, còn hiệu "
                                      "lực {days} ngày.", name=name, token=best.entry.token_label,
                                      days=days), data=info)

    # -- 6. summary ---------------------------------------------------------------------------

    def summary(self) -> list[StepResult]:
        """Every step in order: its result, or "not done yet" (failed) with what to do."""
        out = []
        for sid in STEPS:
            result = self.results.get(sid)
            if result is None:
                result = StepResult(sid, FAILED, tr("Chưa thực hiện."), tr(_NOT_DONE_ADVICE[sid]))
            out.append(result)
        return out

    @property
    def ready(self) -> bool:
        """Whether every step is done and none failed (warnings allowed)."""
        return all(r.ready for r in self.summary())

    def summary_text(self) -> str:
        head = (tr("Đã sẵn sàng làm việc.") if self.ready
                else tr("Chưa sẵn sàng: còn những việc dưới đây cần làm."))
        return head + "\n" + "\n".join(r.to_text() for r in self.summary()) + "\n"


def _days_left(not_after: Any) -> int:
    from datetime import UTC, datetime

    return (not_after - datetime.now(UTC)).days


def _keyring_store(home: Home, password: str) -> None:
    from client.app import Credentials

    Credentials(home).store(password)


__all__ = ["FirstRun", "Preset", "ROLES", "STEPS", "StepResult", "needs_first_run"]
