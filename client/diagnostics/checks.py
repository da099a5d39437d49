"""The checks of a diagnostics run, each a function ``check(env) -> CheckResult``.

``DiagnosticEnv`` carries what the checks share (the home folder, its
settings, the PKCS#11 module override) and computes the expensive facts once
for every check that needs them (module probes, the token snapshot, the
treasury's ``/health`` answer), whichever check asks first.

PKCS#11: an unknown module is loaded only in a child process
(``probe_module``); only a module that loaded cleanly there is opened in this
process, and only through ``TokenService`` (its own owner thread).
"""

from __future__ import annotations

import concurrent.futures
import os
import platform
import shutil
import socket
import sqlite3
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from client import __version__
from client.diagnostics.model import FAILED, OK, WARNING, CheckResult
from client.errors import KbnnError
from client.home import Home
from client.i18n import language, tr
from client.settings import SETTINGS, Settings, normalise

CLOCK_WARN_SECONDS = 300  # treasury-api.md: warn when the PC clock is more than 5 minutes off
CLOCK_FAIL_SECONDS = 3600
DISK_FAIL_BYTES = 200 * 1024 * 1024
DISK_WARN_BYTES = 1024 * 1024 * 1024
OUTBOX_STALE_SECONDS = 24 * 3600


def _r(status: str, detail: str = "", advice: str = "", /, **data: Any) -> CheckResult:
    """A result without id/title (the runner fills them in)."""
    return CheckResult("", status, "", detail, advice, data)


def app_bits() -> int:
    return 64 if sys.maxsize > 2**32 else 32


# --------------------------------------------------------------------------- shared facts


class DiagnosticEnv:
    """What the checks of one run share; expensive facts are computed once."""

    def __init__(self, home: Home, *, module: str | None = None, net_timeout: float = 6.0,
                 token_timeout: float = 20.0, tokens_factory: Callable[[str], Any] | None = None
                 ) -> None:
        self.home = home
        self.settings = Settings(home)
        self.module_override = module
        self.net_timeout = net_timeout
        self.token_timeout = token_timeout
        self._tokens_factory = tokens_factory
        self._memo: dict[str, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        if home.is_training:
            conf = home.get("training", "softhsm_conf")
            if conf:  # as AppContext does: the training tokens live in the profile
                os.environ["SOFTHSM2_CONF"] = conf

    def once(self, name: str, fn: Callable[[], Any]) -> Any:
        """``fn()`` computed by the first caller; later callers wait for the same answer."""
        with self._lock:
            fut = self._memo.get(name)
            mine = fut is None
            if mine:
                fut = self._memo[name] = concurrent.futures.Future()
        if mine:
            try:
                fut.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to every caller
                fut.set_exception(exc)
        return fut.result()

    # -- server -----------------------------------------------------------------------

    @property
    def server_url(self) -> str | None:
        return self.settings.get("server.url")

    @property
    def ca_file(self) -> str | None:
        return self.settings.get("server.ca_file")

    # -- PKCS#11 ------------------------------------------------------------------------

    def module_candidates(self) -> list[dict]:
        """``[{"path", "source", "exists", "arch", "bits", "loadable", "vendor", "problems"}]``:
        --module alone, else the configured module then every module discovered."""
        return self.once("modules", self._module_candidates)

    def _module_candidates(self) -> list[dict]:
        disc = _discovery()
        out: list[dict] = []
        seen: set[str] = set()

        def add(path: str, source: str, info: Any = None) -> None:
            key = os.path.normcase(os.path.realpath(path))
            if key in seen:
                return
            seen.add(key)
            row: dict[str, Any] = {"path": path, "source": source,
                                   "exists": os.path.isfile(path)}
            if info is not None:
                row.update(vendor=info.vendor, arch=info.arch, loadable=info.loadable,
                           problems=[p.to_json() for p in info.problems])
            elif row["exists"]:
                row.update(_arch_facts(path))
            if row.get("arch"):
                row["bits"] = _as_bits(row["arch"])
            out.append(row)

        if self.module_override:
            add(self.module_override, "--module")
            return out
        configured = self.settings.get("signing.module")
        if configured:
            add(configured, "settings")
        if disc is not None:
            for info in disc.discover_modules(None):
                add(info.path, info.source, info)
        else:
            from client.signing.tokens import find_modules

            for path in find_modules(None):
                add(path, "found")
        return out

    def probes(self) -> dict[str, Any]:
        """``probe_module`` (child process) of every existing, loadable candidate, concurrently."""

        def compute() -> dict[str, Any]:
            from client.signing import tokens

            paths = [c["path"] for c in self.module_candidates()
                     if c["exists"] and c.get("loadable", True)]
            out: dict[str, Any] = {}
            threads = []

            def probe(path: str) -> None:
                factory = getattr(tokens, "lib_factory_for", lambda _p: None)(path)
                if factory is not None:  # a registered stand-in (tests, demos): nothing to load
                    out[path] = tokens.ProbeResult(
                        True, tr("Mô-đun mô phỏng đã đăng ký trong ứng dụng."))
                    return
                out[path] = tokens.probe_module(path, timeout=self.token_timeout)

            for p in paths:
                t = threading.Thread(target=probe, args=(p,), daemon=True, name="diag-probe")
                t.start()
                threads.append(t)
            for t in threads:
                t.join(self.token_timeout + 5)
            return out

        return self.once("probes", compute)

    def usable_modules(self) -> list[str]:
        return [p for p, r in self.probes().items() if r.ok]

    def token_snapshot(self) -> list[dict]:
        """Per usable module: ``{"module", "tokens": [TokenInfo], "certs": [CertEntry], "error"}``,
        read through ``TokenService`` (never from this thread directly)."""

        def compute() -> list[dict]:
            out = []
            for path in self.usable_modules():
                entry: dict[str, Any] = {"module": path, "tokens": [], "certs": [], "error": None}
                try:
                    svc = self._open_tokens(path)
                    try:
                        svc.wait_loaded(self.token_timeout)
                        entry["tokens"] = svc.tokens(timeout=self.token_timeout)
                        if entry["tokens"]:
                            entry["certs"] = svc.certificates(timeout=self.token_timeout)
                    finally:
                        svc.close()
                except KbnnError as exc:
                    entry["error"] = exc.message
                except Exception as exc:  # noqa: BLE001 - reported, never raised
                    entry["error"] = f"{type(exc).__name__}: {exc}"
                out.append(entry)
            return out

        return self.once("tokens", compute)

    def _open_tokens(self, path: str) -> Any:
        if self._tokens_factory is not None:
            return self._tokens_factory(path)
        from client.signing.tokens import TokenService

        return TokenService(path)

    # -- treasury -------------------------------------------------------------------------

    def proxy(self):
        return self.settings.proxy()

    def health(self) -> dict:
        """``{"ok": bool, "body": dict|None, "error": str|None, "code": str|None,
        "sent": epoch, "received": epoch}`` of ``GET /health`` via ``TreasuryClient``."""

        def compute() -> dict:

            url = self.server_url
            if not url:
                return {"ok": False, "body": None, "error": tr("Chưa cấu hình địa chỉ máy chủ Kho bạc."),
                        "code": "no-server", "sent": None, "received": None}
            try:
                api = self._treasury_client(url)
            except KbnnError as exc:
                return {"ok": False, "body": None, "error": exc.message, "code": "settings",
                        "sent": None, "received": None}
            sent = time.time()
            try:
                body = api.health()
                return {"ok": True, "body": body, "error": None, "code": None, "sent": sent,
                        "received": time.time()}
            except KbnnError as exc:
                code = getattr(exc, "failure", None) or (
                    exc.problems[0].code if exc.problems else getattr(exc, "code", None))
                return {"ok": False, "body": None, "error": exc.message, "code": code,
                        "status": getattr(exc, "status", None), "sent": sent,
                        "received": time.time()}
            finally:
                api.close()

        return self.once("health", compute)

    def _treasury_client(self, url: str) -> Any:
        """A ``TreasuryClient`` for ``/health`` with this home's CA file, proxy and timeouts
        (as ``client.transport.network`` builds it for the application)."""
        from client.transport.api import TreasuryClient

        unit = self.settings.get("server.unit") or ""
        user = self.settings.get("server.user") or ""
        try:
            from client.transport.network import network_settings, proxy_config
        except ImportError:  # older transport: proxies as a plain dict
            return TreasuryClient(url, unit_code=unit, username=user, password=lambda: None,
                                  ca_file=self.ca_file,
                                  timeout=(min(4.0, self.net_timeout), self.net_timeout),
                                  proxies=self.proxy().requests_proxies())
        ns = network_settings(self.home)
        timeout = (min(ns.connect_timeout, self.net_timeout), min(ns.read_timeout, self.net_timeout))
        return TreasuryClient(url, unit_code=unit, username=user, password=lambda: None,
                              ca_file=self.ca_file, timeout=timeout, proxy=proxy_config(ns))


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str  # Vietnamese
    title_en: str
    fn: Callable[[DiagnosticEnv], CheckResult]
    timeout: float = 15.0

    @property
    def display_title(self) -> str:
        """The title in the current language (``client.i18n``)."""
        return self.title_en if language() == "en" else self.title

    def titled(self, result: CheckResult) -> CheckResult:
        return replace(result, id=self.id, title=self.display_title)


CHECKS: list[CheckSpec] = []


def check(check_id: str, title: str, title_en: str, timeout: float = 15.0):
    def deco(fn: Callable[[DiagnosticEnv], CheckResult]) -> Callable[[DiagnosticEnv], CheckResult]:
        CHECKS.append(CheckSpec(check_id, title, title_en, fn, timeout))
        return fn

    return deco


# --------------------------------------------------------------------------- the machine


def _os_text() -> str:
    if sys.platform == "win32":
        rel, ver, _csd, _ptype = platform.win32_ver()
        edition = platform.win32_edition() if hasattr(platform, "win32_edition") else ""
        return f"Windows {rel} {edition} ({ver})".replace("  ", " ")
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]}"
    try:
        info = platform.freedesktop_os_release()
        return tr("{os} (nhân {kernel})", os=info.get('PRETTY_NAME', 'Linux'),
                  kernel=platform.release())
    except OSError:
        return f"{platform.system()} {platform.release()}"


@check("app", "Ứng dụng và hệ điều hành", "Application and operating system", timeout=5)
def check_app(env: DiagnosticEnv) -> CheckResult:
    bits = app_bits()
    machine = platform.machine() or "?"
    os_64 = machine.lower() in ("amd64", "x86_64", "arm64", "aarch64") or (
        sys.platform == "win32" and "PROGRAMFILES(X86)" in os.environ)
    data = {
        "app_version": __version__, "python": platform.python_version(), "bits": bits,
        "os": _os_text(), "machine": machine, "frozen": bool(getattr(sys, "frozen", False)),
        "home": str(env.home.path), "training": env.home.is_training,
        "language": env.settings.language(), "executable": sys.executable,
    }
    detail = (tr("KBNN Client {version}, bản {bits}-bit (Python {python})\n"
                 "Hệ điều hành: {os}, kiến trúc {machine}\n"
                 "Thư mục dữ liệu: {home}", version=__version__, bits=bits,
                 python=data["python"], os=data["os"], machine=machine, home=env.home.path)
              + ("\n" + tr("Đang ở chế độ TẬP HUẤN.") if env.home.is_training else ""))
    if bits == 32 and os_64:
        return _r(WARNING, detail + "\n" + tr("Ứng dụng 32-bit đang chạy trên Windows 64-bit."),
                  tr("Nên cài bản 64-bit của ứng dụng, trừ khi token chỉ có trình điều khiển "
                     "32-bit."), **data)
    return _r(OK, detail, **data)


@check("profile", "Cấu hình và thông tin đơn vị", "Settings and unit profile", timeout=5)
def check_profile(env: DiagnosticEnv) -> CheckResult:
    bad: list[str] = []
    for setting in SETTINGS.values():
        raw = env.home.get(setting.section, setting.option)
        if raw is None or not raw.strip() or setting.key == "network.proxy":
            continue
        try:
            normalise(setting, raw)
        except KbnnError as exc:
            bad.append(f"{setting.key}: {exc.problems[0].message if exc.problems else exc.message}")
    unit = env.home.unit()
    missing = []
    if unit is None:
        missing.append(tr("thông tin đơn vị (mã ĐVQHNS, tên, tài khoản)"))
    if not env.server_url:
        missing.append(tr("địa chỉ máy chủ Kho bạc"))
    if not env.settings.get("server.user"):
        missing.append(tr("tên đăng nhập Kho bạc"))
    data = {"unit": unit.code if unit else None, "unit_name": unit.name if unit else None,
            "server_url": env.server_url, "user": env.settings.get("server.user"),
            "invalid": bad, "missing": missing}
    lines = []
    if unit:
        lines.append(tr("Đơn vị: {name} (mã {code}), tài khoản {account}", name=unit.name,
                        code=unit.code, account=unit.account))
        problems = unit.problems()
        bad += [f"unit: {p.message}" for p in problems]
    if env.server_url:
        lines.append(tr("Máy chủ Kho bạc: {url}", url=env.server_url))
    if bad:
        return _r(FAILED, "\n".join(lines + [tr("Mục cấu hình sai:")] + [f"- {b}" for b in bad]),
                  tr("Sửa các mục trên trong Cài đặt, hoặc: kbnn-client settings set MỤC GIÁ_TRỊ."),
                  **data)
    if missing:
        return _r(WARNING, "\n".join(lines + [tr("Chưa khai báo: {items}.",
                                                   items="; ".join(missing))]),
                  tr("Chạy phần thiết lập lần đầu, hoặc: kbnn-client unit set … và "
                     "kbnn-client login …."),
                  **data)
    return _r(OK, "\n".join(lines), **data)


# --------------------------------------------------------------------------- tokens


@check("pkcs11-modules", "Thư viện PKCS#11 của token", "PKCS#11 token modules", timeout=40)
def check_modules(env: DiagnosticEnv) -> CheckResult:
    candidates = env.module_candidates()
    if not candidates:
        return _r(FAILED, tr("Không tìm thấy thư viện PKCS#11 nào của token trên máy này."),
                  tr("Cài trình điều khiển (driver) token của nhà cung cấp chữ ký số (VNPT-CA, "
                     "Viettel-CA, BKAV, FPT…), rồi chạy lại kiểm tra; hoặc chỉ đường dẫn thư viện "
                     "trong Cài đặt (signing.module) hay bằng --module."), modules=[])
    probes = env.probes()
    rows, lines = [], []
    for c in candidates:
        row = dict(c)
        if not c["exists"]:
            row.update(ok=False, message=tr("không tìm thấy tệp"))
            lines.append(tr("- {path} ({source}): KHÔNG TÌM THẤY TỆP", path=c["path"],
                            source=_source_vi(c["source"])))
        elif not c.get("loadable", True):
            msg = (c.get("problems") or [{}])[0].get("message") or \
                tr("thư viện {arch} khác kiến trúc của ứng dụng", arch=c.get("arch"))
            row.update(ok=False, message=msg)
            lines.append(tr("- {path} ({source}): KHÔNG NẠP ĐƯỢC — {message}", path=c["path"],
                            source=_source_vi(c["source"]), message=msg))
        else:
            pr = probes.get(c["path"])
            ok = bool(pr and pr.ok)
            msg = pr.message if pr else tr("không kiểm tra xong")
            row.update(ok=ok, message=msg, tokens=len(pr.tokens) if pr else 0)
            lines.append(tr("- {path} ({source}): {verdict} — {message}", path=c["path"],
                            source=_source_vi(c["source"]),
                            verdict=tr("nạp được") if ok else tr("LỖI"), message=msg))
        rows.append(row)
    good = [r for r in rows if r["ok"]]
    chosen = [r for r in rows if r["source"] in ("--module", "settings")]
    detail = "\n".join(lines)
    if chosen and not chosen[0]["ok"]:
        c = chosen[0]
        if not c["exists"]:
            head = tr("Thư viện PKCS#11 đã chỉ định không tìm thấy: {path}", path=c["path"])
        else:
            head = tr("Thư viện PKCS#11 đã chỉ định không nạp được: {path}", path=c["path"])
        return _r(FAILED, f"{head}\n{detail}",
                  tr("Kiểm tra lại đường dẫn thư viện của token (Cài đặt → signing.module hoặc "
                     "--module), hoặc cài lại trình điều khiển token."), modules=rows)
    if not good:
        return _r(FAILED, tr("Không nạp được thư viện PKCS#11 nào.") + "\n" + detail,
                  tr("Cài lại trình điều khiển token đúng bản (64-bit cho ứng dụng 64-bit); "
                     "nếu vẫn lỗi, gửi gói hỗ trợ cho bộ phận kỹ thuật."), modules=rows)
    if len(good) < len(rows):
        return _r(WARNING, detail, tr("Một số thư viện không nạp được; nếu token của bạn dùng "
                  "thư viện đó, hãy cài lại trình điều khiển token."), modules=rows)
    return _r(OK, detail, modules=rows)


def _source_vi(source: str) -> str:
    names = {"--module": tr("chỉ định bằng --module"), "settings": tr("trong cài đặt"),
             "configured": tr("trong cài đặt"), "env": tr("biến môi trường KBNN_PKCS11_MODULE"),
             "system32": "System32", "syswow64": "SysWOW64", "known": tr("tự tìm thấy"),
             "found": tr("tự tìm thấy")}
    return names.get(source, source)


def _discovery() -> Any:
    """``client.signing.discovery`` when present (module headers, the vendor catalogue)."""
    try:
        from client.signing import discovery
    except Exception:  # noqa: BLE001 - absent or broken: bitness "not checked"
        return None
    return discovery if hasattr(discovery, "binary_arch") else None


def _arch_facts(path: str) -> dict:
    disc = _discovery()
    if disc is None:
        return {"arch": None, "loadable": True}
    try:
        fmt, arch = disc.binary_arch(path)
        proc = disc.process_arch()
        return {"format": fmt, "arch": arch, "loadable": disc.arch_compatible(arch, proc)}
    except Exception:  # noqa: BLE001
        return {"arch": None, "loadable": True}


def _as_bits(value: Any) -> int | None:
    if value is None:
        return None
    value = getattr(value, "bits", value)
    if isinstance(value, int) and value in (32, 64):
        return value
    text = str(value).lower()
    if "64" in text or "amd64" in text or "x64" in text:
        return 64
    if "32" in text or "x86" in text or "i386" in text:
        return 32
    return None


@check("pkcs11-bitness", "Tương thích 32/64-bit của thư viện token", "32/64-bit match of token modules",
       timeout=40)
def check_bitness(env: DiagnosticEnv) -> CheckResult:
    bits = app_bits()
    existing = [c for c in env.module_candidates() if c["exists"]]
    if not existing:
        return _r(WARNING, tr("Chưa có thư viện PKCS#11 nào để kiểm tra."),
                  tr("Cài trình điều khiển token rồi chạy lại kiểm tra."), app_bits=bits,
                  modules=[])
    probes = env.probes()
    header_readable = _discovery() is not None
    rows, lines, mismatch, unknown = [], [], [], []
    for c in existing:
        path, pr = c["path"], probes.get(c["path"])
        file_bits = c.get("bits")
        if pr is not None and pr.ok:
            verdict, how = tr("khớp (đã nạp thử được)"), "loaded"
            file_bits = file_bits or bits
        elif not c.get("loadable", True):
            problem = (c.get("problems") or [{}])[0].get("message")
            verdict = tr("KHÔNG KHỚP: {problem}", problem=problem or tr(
                "thư viện {file_bits}-bit, ứng dụng {bits}-bit", file_bits=file_bits, bits=bits))
            how = "header"
            mismatch.append(path)
        elif file_bits is not None:
            verdict = tr("{file_bits}-bit, khớp với ứng dụng (thư viện không nạp được vì nguyên "
                         "nhân khác — xem mục trên)", file_bits=file_bits)
            how = "header"
        else:
            verdict = (tr("không đọc được kiến trúc của tệp") if header_readable
                       else tr("chưa kiểm tra (phiên bản này không đọc tiêu đề tệp)"))
            how = "not checked"
            unknown.append(path)
        rows.append({"path": path, "bits": file_bits, "arch": c.get("arch"), "checked": how})
        lines.append(f"- {path}: {verdict}")
    detail = tr("Ứng dụng chạy {bits}-bit.", bits=bits) + "\n" + "\n".join(lines)
    chosen = [c["path"] for c in existing if c["source"] in ("--module", "settings")]
    if mismatch and (len(mismatch) == len(existing) or set(chosen) & set(mismatch)):
        other = 32 if bits == 64 else 64
        return _r(FAILED, detail,
                  tr("Cài bản {bits}-bit của trình điều khiển token (nhà cung cấp chữ ký số "
                     "thường có cả hai bản), hoặc dùng bản {other}-bit của ứng dụng.", bits=bits,
                     other=other), app_bits=bits, modules=rows)
    if mismatch or unknown:
        return _r(WARNING, detail, tr("Nếu token của bạn dùng thư viện có vấn đề ở trên, hãy "
                  "cài bản {bits}-bit của trình điều khiển token.", bits=bits), app_bits=bits,
                  modules=rows)
    return _r(OK, detail, app_bits=bits, modules=rows)


def _no_module_result(env: DiagnosticEnv, what: str) -> CheckResult | None:
    if env.usable_modules():
        return None
    return _r(FAILED, tr("Không đọc được {what}: chưa có thư viện PKCS#11 nào nạp được.",
                         what=what),
              tr("Xem mục «Thư viện PKCS#11 của token» ở trên."))


@check("tokens", "Token đang cắm", "Tokens plugged in", timeout=60)
def check_tokens(env: DiagnosticEnv) -> CheckResult:
    early = _no_module_result(env, tr("token"))
    if early is not None:
        return replace(early, data={"tokens": []})
    rows, lines, errors, warnings, locked = [], [], [], [], []
    for snap in env.token_snapshot():
        if snap["error"]:
            errors.append(f"{snap['module']}: {snap['error']}")
            continue
        for t in snap["tokens"]:
            row = t.to_json()
            row["module"] = snap["module"]
            rows.append(row)
            flag = t.pin_warning()
            lines.append(tr("- «{label}» (số sê-ri {serial}, {maker} {model})", label=t.label,
                            serial=t.serial, maker=t.manufacturer, model=t.model)
                         + (f": {flag}" if flag else ""))
            if t.pin_locked:
                locked.append(t.label)
            elif flag:
                warnings.append(t.label)
    detail = "\n".join(lines + [tr("Lỗi: {error}", error=e) for e in errors])
    if locked:
        return _r(FAILED, detail, tr("Token bị khóa PIN: liên hệ nhà cung cấp chữ ký số để mở "
                  "khóa bằng mã PUK/SO PIN."), tokens=rows, errors=errors)
    if not rows:
        if errors:
            return _r(FAILED, detail, tr("Rút token ra, cắm lại rồi chạy lại kiểm tra; nếu vẫn "
                      "lỗi, cài lại trình điều khiển token."), tokens=rows, errors=errors)
        return _r(WARNING, tr("Chưa thấy token nào được cắm vào máy."),
                  tr("Cắm token ký số vào cổng USB rồi chạy lại kiểm tra."), tokens=rows,
                  errors=errors)
    if warnings or errors:
        return _r(WARNING, detail, tr("Nhập PIN cẩn thận: token sắp bị khóa nếu nhập sai tiếp."),
                  tokens=rows, errors=errors)
    return _r(OK, tr("Tìm thấy {count} token:", count=len(rows)) + "\n" + detail, tokens=rows,
              errors=errors)


@check("certificates", "Chứng thư số trên token", "Certificates on the tokens", timeout=60)
def check_certificates(env: DiagnosticEnv) -> CheckResult:
    from client.signing.certs import cert_info, check_usable, format_date_vn

    early = _no_module_result(env, tr("chứng thư số"))
    if early is not None:
        return replace(early, data={"certificates": []})
    now = datetime.now(UTC)
    unit = env.home.unit()
    rows, lines, any_token = [], [], False
    for snap in env.token_snapshot():
        any_token = any_token or bool(snap["tokens"])
        for e in snap["certs"]:
            try:
                info = cert_info(e.cert_der)
            except KbnnError as exc:
                rows.append({"token_label": e.token_label, "label": e.label, "unreadable": True,
                             "problems": [{"code": "cert-unreadable", "message": exc.message,
                                           "severity": "error"}], "usable": False,
                             "has_private_key": e.has_private_key})
                continue
            problems = check_usable(info, now)
            days_left = (info.not_after - now).days if info.not_after >= now else \
                -((now - info.not_after).days + 1)
            usable = e.has_private_key and not any(p.severity == "error" for p in problems)
            rows.append({
                "token_label": e.token_label, "token_serial": e.token_serial, "label": e.label,
                "subject_cn": info.subject_cn, "organisation": info.organisation,
                "issuer_cn": info.issuer_cn, "serial_hex": info.serial_hex,
                "not_before": info.not_before.isoformat(), "not_after": info.not_after.isoformat(),
                "days_left": days_left, "key_usage": sorted(info.key_usage), "uids": info.uids,
                "sha256": info.sha256_hex, "has_private_key": e.has_private_key,
                "unit_match": bool(unit and info.mns() == unit.code),
                "problems": [p.to_json() for p in problems], "usable": usable,
            })
            state = (tr("hết hạn") if days_left < 0 else tr("còn {days} ngày", days=days_left))
            note = "" if e.has_private_key else tr(" — không có khóa bí mật trên token")
            issues = "; ".join(p.message for p in problems)
            lines.append(tr("- {subject} ({organisation}) trên token «{token}», hiệu lực đến "
                            "{not_after} ({state}){note}", subject=info.subject_cn,
                            organisation=info.organisation, token=e.token_label,
                            not_after=format_date_vn(info.not_after), state=state, note=note)
                         + (f"\n  {issues}" if issues else ""))
    signing = [r for r in rows if r.get("has_private_key")]
    usable = [r for r in signing if r["usable"]]
    detail = "\n".join(lines)
    if not any_token:
        return _r(WARNING, tr("Chưa có token nào để đọc chứng thư số."),
                  tr("Cắm token ký số rồi chạy lại kiểm tra."), certificates=rows)
    if not signing:
        return _r(FAILED, (detail + "\n" if detail else "")
                  + tr("Token không có chứng thư số nào kèm khóa bí mật để ký."),
                  tr("Liên hệ nhà cung cấp chữ ký số: token chưa được cấp chứng thư số hoặc đã "
                     "bị xóa."), certificates=rows)
    if not usable:
        return _r(FAILED, detail, tr("Không còn chứng thư số nào ký được: hãy liên hệ nhà cung "
                  "cấp chữ ký số để gia hạn hoặc cấp mới, rồi đăng ký lại chữ ký số với Kho bạc."),
                  certificates=rows)
    expiring = [r for r in usable if any(p["code"] == "cert-expiring" for p in r["problems"])]
    if expiring or len(usable) < len(signing):
        return _r(WARNING, detail, tr("Gia hạn chứng thư số sắp hết hạn / đã hết hạn với nhà "
                  "cung cấp chữ ký số; sau khi gia hạn, đăng ký lại chữ ký số với Kho bạc."),
                  certificates=rows)
    if unit and not any(r["unit_match"] for r in usable):
        detail += "\n" + tr("Lưu ý: không chứng thư nào mang mã đơn vị MNS:{code}.",
                             code=unit.code)
    return _r(OK, detail, certificates=rows)


# --------------------------------------------------------------------------- network


def _host_port(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port, parts.scheme


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _no_server() -> tuple[str, str]:
    return (tr("Chưa cấu hình địa chỉ máy chủ Kho bạc."),
            tr("Nhập địa chỉ máy chủ trong Cài đặt (server.url) hoặc đăng nhập: "
               "kbnn-client login --server URL …."))


@check("dns", "Phân giải tên máy chủ Kho bạc (DNS)", "DNS of the treasury server", timeout=10)
def check_dns(env: DiagnosticEnv) -> CheckResult:
    url = env.server_url
    if not url:
        return _r(FAILED, *_no_server())
    host, port, _ = _host_port(url)
    if _is_ip(host):
        return _r(OK, tr("Máy chủ là địa chỉ IP {host}, không cần phân giải tên.", host=host),
                  host=host,
                  addresses=[host])
    t0 = time.monotonic()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        proxy = env.proxy().for_url(url)
        data = {"host": host, "error": str(exc), "proxy": _safe_proxy(proxy)}
        if proxy:
            return _r(WARNING, tr("Máy này không phân giải được tên «{host}» ({error}); "
                      "kết nối đi qua proxy nên proxy sẽ phân giải thay.", host=host,
                      error=exc.strerror),
                      tr("Nếu kết nối tới Kho bạc vẫn lỗi, kiểm tra cấu hình proxy."), **data)
        return _r(FAILED, tr("Không phân giải được tên máy chủ «{host}»: {error}.", host=host,
                             error=exc.strerror),
                  tr("Kiểm tra kết nối mạng và máy chủ DNS của máy (hoặc của cơ quan); kiểm tra "
                     "lại địa chỉ máy chủ Kho bạc trong Cài đặt."), **data)
    addresses = sorted({i[4][0] for i in infos})
    ms = round((time.monotonic() - t0) * 1000)
    return _r(OK, tr("«{host}» → {addresses} ({ms} ms).", host=host, addresses=", ".join(addresses),
                     ms=ms), host=host, addresses=addresses,
              ms=ms)


def _safe_proxy(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.password or parts.username:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return parts._replace(netloc=netloc).geturl()
    return url


@check("proxy", "Proxy", "Proxy", timeout=10)
def check_proxy(env: DiagnosticEnv) -> CheckResult:
    cfg = env.proxy()
    url = env.server_url
    mode_vi = {"system": tr("theo hệ điều hành"), "none": tr("không dùng proxy"),
               "manual": tr("proxy chỉ định")}[cfg.mode]
    if cfg.mode == "manual" and not cfg.url:
        return _r(FAILED, tr("Đã chọn proxy chỉ định nhưng chưa nhập địa chỉ proxy."),
                  tr("Cài đặt → network.proxy_host (dạng máy:cổng), hoặc chọn «system»."),
                  mode=cfg.mode, proxy=None)
    proxy = cfg.for_url(url) if url else cfg.url
    data = {"mode": cfg.mode, "proxy": _safe_proxy(proxy), "user": cfg.user}
    if not proxy:
        return _r(OK, tr("Cấu hình: {mode}; kết nối tới Kho bạc đi thẳng, không qua proxy.",
                         mode=mode_vi), **data)
    host, port, _ = _host_port(proxy)
    try:
        with socket.create_connection((host, port), timeout=min(4.0, env.net_timeout)):
            pass
    except OSError as exc:
        return _r(FAILED, tr("Cấu hình: {mode}; proxy {proxy} không kết nối được ({error}).",
                             mode=mode_vi, proxy=_safe_proxy(proxy), error=exc.strerror or exc),
                  tr("Kiểm tra địa chỉ proxy với bộ phận quản trị mạng của cơ quan, hoặc chọn "
                     "«none» nếu mạng không cần proxy."), **data)
    return _r(OK, tr("Cấu hình: {mode}; kết nối tới Kho bạc qua proxy {proxy} "
                     "(proxy đang nhận kết nối).", mode=mode_vi, proxy=_safe_proxy(proxy)), **data)


def _tunnel(proxy: str, host: str, port: int, timeout: float) -> socket.socket:
    """A socket to ``host:port`` through an HTTP proxy (CONNECT)."""
    phost, pport, _ = _host_port(proxy)
    sock = socket.create_connection((phost, pport), timeout=timeout)
    try:
        target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode("ascii"))
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
        status = buf.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        if " 200" not in status:
            raise OSError(tr("proxy trả lời «{status}» cho yêu cầu CONNECT",
                             status=status.strip()))
        return sock
    except BaseException:
        sock.close()
        raise


_VERIFY_VI = {
    10: "chứng chỉ của máy chủ đã hết hạn (hoặc đồng hồ máy tính sai)",
    9: "chứng chỉ của máy chủ chưa có hiệu lực (hoặc đồng hồ máy tính sai)",
    18: "chứng chỉ tự ký, không do tổ chức tin cậy cấp",
    19: "chuỗi chứng chỉ có chứng chỉ gốc tự ký không được tin cậy",
    20: "không tìm thấy chứng chỉ của tổ chức cấp (CA) trong kho tin cậy",
    21: "không xác minh được chứng chỉ đầu tiên của chuỗi",
    62: "chứng chỉ không mang đúng tên máy chủ",
}


@check("tls", "Kết nối bảo mật (TLS) tới Kho bạc", "TLS connection to the treasury", timeout=15)
def check_tls(env: DiagnosticEnv) -> CheckResult:
    url = env.server_url
    if not url:
        return _r(FAILED, *_no_server())
    host, port, scheme = _host_port(url)
    if scheme != "https":
        if _is_loopback(host):
            return _r(OK, tr("Máy chủ Kho bạc mô phỏng chạy trên chính máy này (http); "
                      "không có TLS để kiểm tra."), scheme=scheme, host=host)
        return _r(FAILED, tr("Địa chỉ máy chủ dùng {scheme}://, kết nối không được mã hóa.",
                             scheme=scheme),
                  tr("Dùng địa chỉ https:// do Kho bạc cung cấp."), scheme=scheme, host=host)
    data: dict[str, Any] = {"host": host, "port": port, "ca_file": env.ca_file}
    ctx = ssl.create_default_context()
    if env.ca_file:
        try:
            ctx.load_verify_locations(cafile=env.ca_file)
        except (OSError, ssl.SSLError) as exc:
            return _r(FAILED, tr("Không đọc được tệp CA «{path}»: {error}.", path=env.ca_file,
                                 error=exc),
                      tr("Chọn lại tệp chứng chỉ CA do Kho bạc cung cấp (Cài đặt → "
                         "server.ca_file)."),
                      **data)
    proxy = env.proxy().for_url(url)
    data["proxy"] = _safe_proxy(proxy)
    timeout = min(6.0, env.net_timeout)
    try:
        raw = _tunnel(proxy, host, port, timeout) if proxy else \
            socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        where = (tr("{host}:{port} qua proxy {proxy}", host=host, port=port,
                    proxy=_safe_proxy(proxy)) if proxy else f"{host}:{port}")
        return _r(FAILED, tr("Không mở được kết nối tới {where}: {error}.", where=where,
                             error=exc.strerror or exc),
                  tr("Kiểm tra kết nối mạng, tường lửa và proxy của cơ quan."), **data)
    try:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            data.update(protocol=tls.version(), cipher=(tls.cipher() or ("",))[0])
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        why = (tr(_VERIFY_VI[exc.verify_code]) if exc.verify_code in _VERIFY_VI
               else exc.verify_message or str(exc))
        data.update(verify_code=exc.verify_code, verify_message=exc.verify_message)
        if exc.verify_code in (9, 10):
            advice = tr("Kiểm tra ngày giờ của máy tính; nếu đúng, báo Kho bạc về chứng chỉ "
                        "máy chủ.")
        elif exc.verify_code == 62:
            advice = tr("Kiểm tra lại địa chỉ máy chủ Kho bạc trong Cài đặt (server.url).")
        else:
            advice = tr("Nếu Kho bạc cung cấp tệp chứng chỉ CA riêng, chọn tệp đó trong Cài đặt "
                        "(server.ca_file). Nếu không, có thể thiết bị mạng của cơ quan đang chặn "
                        "và thay chứng chỉ (SSL inspection): liên hệ bộ phận quản trị mạng.")
        return _r(FAILED, tr("Chứng chỉ của máy chủ không được tin cậy (certificate not trusted): "
                             "{why} ({message}).", why=why, message=exc.verify_message),
                  advice, **data)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        return _r(FAILED, tr("Không bắt tay TLS được với {host}:{port}: {error}.", host=host,
                             port=port, error=exc),
                  tr("Máy chủ có thể không hỗ trợ TLS hoặc một thiết bị mạng chặn kết nối; "
                     "liên hệ bộ phận quản trị mạng."), **data)
    not_after = cert.get("notAfter")
    days = None
    if not_after:
        expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
        days = (expires - datetime.now(UTC)).days
        data["server_cert_not_after"] = expires.isoformat()
    issuer = dict(x[0] for x in cert.get("issuer", ()) if x)
    subject = dict(x[0] for x in cert.get("subject", ()) if x)
    data.update(subject=subject.get("commonName"), issuer=issuer.get("commonName"), days_left=days)
    detail = (tr("{protocol}, chứng chỉ «{subject}» do «{issuer}» cấp, được tin cậy",
                 protocol=data["protocol"], subject=data["subject"], issuer=data["issuer"])
              + (tr(", còn {days} ngày", days=days) if days is not None else "") + ".")
    if days is not None and days < 14:
        return _r(WARNING, detail, tr("Chứng chỉ của máy chủ sắp hết hạn; báo cho Kho bạc."),
                  **data)
    return _r(OK, detail, **data)


@check("treasury", "Dịch vụ Kho bạc", "Treasury service health", timeout=20)
def check_treasury(env: DiagnosticEnv) -> CheckResult:
    if not env.server_url:
        return _r(FAILED, *_no_server())
    h = env.health()
    data = {"url": env.server_url, "code": h.get("code"), "error": h.get("error")}
    if h["ok"]:
        body = h["body"]
        ms = round((h["received"] - h["sent"]) * 1000)
        data.update(status=body.get("status"), api_version=body.get("api_version"), ms=ms)
        if body.get("status") != "ok":
            return _r(WARNING, tr("Kho bạc trả lời trạng thái «{status}».",
                                  status=body.get("status")),
                      tr("Dịch vụ Kho bạc có thể đang bảo trì; hồ sơ vẫn nằm trong hàng đợi và sẽ "
                         "được gửi khi dịch vụ hoạt động lại."), **data)
        if str(body.get("api_version")) != "1":
            return _r(WARNING, tr("Kho bạc dùng phiên bản giao diện {version}, ứng dụng hỗ trợ "
                                  "phiên bản 1.", version=body.get("api_version")),
                      tr("Cập nhật ứng dụng lên phiên bản mới nhất."), **data)
        return _r(OK, tr("Kho bạc tại {url} đang hoạt động (trả lời sau {ms} ms).",
                         url=env.server_url, ms=ms), **data)
    code = h.get("code")
    detail = h.get("error") or tr("Không rõ lỗi.")
    if code == "tls-error":
        detail += " " + tr("Chứng chỉ của máy chủ không được tin cậy (certificate not trusted).")
        advice = tr("Xem mục «Kết nối bảo mật (TLS)» ở trên.")
    elif code in ("proxy-error", "proxy-auth"):
        advice = tr("Kiểm tra địa chỉ proxy và tên/mật khẩu proxy (kbnn-client proxy show; "
                    "kbnn-client proxy password), hoặc hỏi bộ phận quản trị mạng.")
    elif code == "settings":
        advice = tr("Sửa cấu hình mạng trong Cài đặt (kbnn-client settings show).")
    elif code in ("dns-error", "connection-refused", "network-unreachable", "connect-timeout",
                  "connection-error", "timeout"):
        advice = tr("Kiểm tra kết nối Internet/mạng của cơ quan, tường lửa, proxy và địa chỉ máy "
                    "chủ. Nếu mạng vẫn tốt, máy chủ Kho bạc có thể đang bảo trì: hồ sơ đã xếp "
                    "hàng vẫn được giữ và tự gửi lại.")
    elif h.get("status") in (404, 405):
        detail = tr("Máy chủ trả lời HTTP {status}: địa chỉ không phải dịch vụ Kho bạc "
                    "(thường kết thúc bằng /api/v1).", status=h["status"])
        advice = tr("Kiểm tra lại địa chỉ máy chủ Kho bạc trong Cài đặt (server.url).")
    else:
        advice = tr("Máy chủ Kho bạc đang quá tải hoặc bảo trì; hồ sơ đã xếp hàng vẫn được giữ và "
                    "tự gửi lại. Nếu kéo dài, liên hệ Kho bạc.")
    return _r(FAILED, detail, advice, **data)


@check("clock", "Đồng hồ máy tính so với Kho bạc", "PC clock against the treasury", timeout=20)
def check_clock(env: DiagnosticEnv) -> CheckResult:
    local = datetime.now().astimezone()
    offset_h = (local.utcoffset().total_seconds() / 3600) if local.utcoffset() else 0.0
    data: dict[str, Any] = {"local_time": local.isoformat(timespec="seconds"),
                            "utc_offset_hours": offset_h}
    tz_note = ("" if abs(offset_h - 7) < 0.01 else
               "\n" + tr("Múi giờ của máy là UTC{offset:+g}, không phải giờ Việt Nam (UTC+7).",
                         offset=offset_h))
    if not env.server_url:
        return _r(WARNING, tr("Chưa so được giờ: chưa cấu hình máy chủ Kho bạc.") + tz_note,
                  _no_server()[1], **data)
    h = env.health()
    server_text = (h.get("body") or {}).get("time") if h["ok"] else None
    if not server_text:
        return _r(WARNING, tr("Chưa so được giờ với Kho bạc vì không kết nối được.") + tz_note,
                  tr("Xem mục «Dịch vụ Kho bạc»; sau khi kết nối được, chạy lại kiểm tra."),
                  **data)
    try:
        server = datetime.fromisoformat(str(server_text).replace("Z", "+00:00"))
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
    except ValueError:
        return _r(WARNING, tr("Kho bạc trả về giờ không đọc được: «{time}».", time=server_text),
                  "", **data)
    midpoint = (h["sent"] + h["received"]) / 2
    skew = midpoint - server.timestamp()  # > 0: the PC is ahead
    data.update(server_time=server.isoformat(), skew_seconds=round(skew, 1),
                uncertainty_seconds=round((h["received"] - h["sent"]) / 2, 3))
    minutes = abs(skew) / 60
    if abs(skew) > CLOCK_WARN_SECONDS:
        status = FAILED if abs(skew) > CLOCK_FAIL_SECONDS else WARNING
        if skew > 0:
            text = tr("Đồng hồ máy tính nhanh hơn giờ Kho bạc {minutes:.0f} phút.", minutes=minutes)
        else:
            text = tr("Đồng hồ máy tính chậm hơn giờ Kho bạc {minutes:.0f} phút.", minutes=minutes)
        return _r(status, text + tz_note,
                  tr("Chỉnh ngày giờ của máy tính (bật «Đặt giờ tự động»). Giờ sai làm chữ ký số "
                     "mang thời điểm ký sai và có thể bị Kho bạc từ chối."), **data)
    return _r(OK, tr("Đồng hồ máy tính khớp giờ Kho bạc (lệch {seconds:.1f} giây).",
                     seconds=abs(skew)) + tz_note, **data)


@check("credentials", "Thông tin đăng nhập Kho bạc", "Treasury credentials", timeout=10)
def check_credentials(env: DiagnosticEnv) -> CheckResult:
    unit = env.settings.get("server.unit")
    user = env.settings.get("server.user")
    data: dict[str, Any] = {"unit": unit, "user": user}
    if env.home.is_training:
        present = bool(env.home.get("training", "password"))
        data.update(store="training-profile", present=present)
        if present:
            return _r(OK, tr("Hồ sơ tập huấn: tài khoản {user} (đơn vị {unit}), mật khẩu tập "
                             "huấn có sẵn.", user=user, unit=unit), **data)
        return _r(FAILED, tr("Hồ sơ tập huấn thiếu mật khẩu tập huấn."),
                  tr("Tạo lại hồ sơ tập huấn: kbnn-client training --reset."), **data)
    if not (env.server_url and unit and user):
        data.update(present=False)
        return _r(WARNING, tr("Chưa đăng nhập dịch vụ công Kho bạc trên máy này."),
                  tr("Đăng nhập một lần (kbnn-client login --server URL --unit MÃ --user TÊN); "
                     "mật khẩu được lưu trong kho khóa của hệ điều hành."), **data)
    try:
        import keyring

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as exc:  # noqa: BLE001
        backend, name = None, tr("lỗi: {error}", error=type(exc).__name__)
    data["store"] = name
    if backend is None or "fail" in name.lower():
        data.update(present=False)
        return _r(WARNING, tr("Máy không có kho khóa của hệ điều hành để lưu mật khẩu Kho bạc "
                              "({name}).", name=name),
                  tr("Trên Windows, kho khóa (Credential Manager) luôn có; trên Linux hãy cài "
                     "gnome-keyring hoặc KWallet. Dòng lệnh có thể dùng --password-env."), **data)
    from client.app import Credentials

    try:
        present = bool(Credentials(env.home).password())  # the value is dropped at once
    except KbnnError:
        present = False
    data["present"] = present
    if not present:
        return _r(FAILED, tr("Chưa lưu mật khẩu Kho bạc của tài khoản {user} (đơn vị {unit}) "
                             "trong kho khóa.", user=user, unit=unit),
                  tr("Đăng nhập lại: kbnn-client login --server URL --unit MÃ --user TÊN (hoặc "
                     "đăng nhập trong ứng dụng)."), **data)
    return _r(OK, tr("Mật khẩu của tài khoản {user} (đơn vị {unit}) đã lưu trong kho khóa "
                     "({name}).", user=user, unit=unit, name=name), **data)


# --------------------------------------------------------------------------- local data


def _open_existing(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=rw", uri=True, timeout=5,
                           isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


@check("database", "Cơ sở dữ liệu", "Database", timeout=120)
def check_database(env: DiagnosticEnv) -> CheckResult:
    from client.store.db import SCHEMA_VERSION

    path = env.home.db_path
    if not path.exists():
        return _r(WARNING, tr("Chưa có cơ sở dữ liệu ({path}); sẽ được tạo khi mở ứng dụng.",
                              path=path),
                  tr("Không cần làm gì nếu đây là lần đầu dùng ứng dụng trên máy này."),
                  path=str(path), exists=False)
    data: dict[str, Any] = {"path": str(path), "exists": True, "size_bytes": path.stat().st_size,
                            "expected_schema": SCHEMA_VERSION}
    restore = tr("Khôi phục dữ liệu từ bản sao lưu gần nhất (Cài đặt → Khôi phục, hoặc "
                 "kbnn-client restore TỆP.zip) và gửi gói hỗ trợ cho bộ phận kỹ thuật.")
    try:
        conn = _open_existing(path)
    except sqlite3.Error as exc:
        return _r(FAILED, tr("Không mở được cơ sở dữ liệu: {error}.", error=exc), restore,
                  **data)
    try:
        # integrity_check does all quick_check does and more: one pass over the file
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        docs = (conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
                if "documents" in tables else None)
    except sqlite3.DatabaseError as exc:
        data["error"] = str(exc)
        return _r(FAILED, tr("Cơ sở dữ liệu bị hỏng: {error}.", error=exc), restore, **data)
    finally:
        conn.close()
    data.update(integrity_check=integrity, schema_version=version,
                journal_mode=journal, documents=docs)
    if integrity != ["ok"]:
        shown = " ".join("; ".join(integrity).split())[:300]
        return _r(FAILED, tr("Kiểm tra toàn vẹn cơ sở dữ liệu báo lỗi: {errors}.", errors=shown),
                  restore, **data)
    if version > SCHEMA_VERSION:
        return _r(FAILED, tr("Cơ sở dữ liệu có phiên bản cấu trúc {version}, mới hơn phiên bản "
                             "ứng dụng này hiểu ({expected}).", version=version,
                             expected=SCHEMA_VERSION),
                  tr("Cài phiên bản ứng dụng mới nhất (dữ liệu được tạo bởi phiên bản mới hơn)."),
                  **data)
    detail = tr("Toàn vẹn: đạt. Phiên bản cấu trúc {version}/{expected}, {documents} hồ sơ, "
                "{mb:.1f} MB, nhật ký {journal}.", version=version, expected=SCHEMA_VERSION,
                documents=docs if docs is not None else 0,
                mb=data["size_bytes"] / 1024 / 1024, journal=journal)
    if version < SCHEMA_VERSION:
        return _r(WARNING, detail + " " + tr("Cấu trúc cũ hơn phiên bản ứng dụng."),
                  tr("Mở ứng dụng một lần để nâng cấp cấu trúc dữ liệu (tự động)."), **data)
    return _r(OK, detail, **data)


@check("outbox", "Hàng đợi gửi Kho bạc", "Outbox", timeout=30)
def check_outbox(env: DiagnosticEnv) -> CheckResult:
    path = env.home.db_path
    if not path.exists():
        return _r(OK, tr("Hàng đợi trống (chưa có cơ sở dữ liệu)."), counts={},
                  oldest_queued_at=None)
    try:
        conn = _open_existing(path)
        try:
            counts = {r[0]: r[1] for r in conn.execute(
                "SELECT state, COUNT(*) FROM outbox GROUP BY state")}
            oldest = conn.execute(
                "SELECT created_at, last_error, document_number FROM outbox"
                " WHERE state IN ('queued', 'sending') ORDER BY created_at LIMIT 1").fetchone()
            attention = [r[0] for r in conn.execute(
                "SELECT document_number FROM outbox WHERE state = 'needs-attention'"
                " ORDER BY local_id LIMIT 10")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return _r(FAILED, tr("Không đọc được hàng đợi gửi: {error}.", error=exc),
                  tr("Xem mục «Cơ sở dữ liệu» ở trên."), counts={})
    from client.store.db import parse_iso

    waiting = counts.get("queued", 0) + counts.get("sending", 0)
    data: dict[str, Any] = {"counts": counts, "waiting": waiting, "needs_attention": attention,
                            "oldest_queued_at": oldest[0] if oldest else None,
                            "oldest_queued_age_seconds": None, "last_error": None}
    parts = [f"{tr(_OUTBOX_STATE_VI[state]) if state in _OUTBOX_STATE_VI else state}: {n}"
             for state, n in sorted(counts.items())] or [tr("trống")]
    detail = tr("Theo trạng thái: {states}.", states=", ".join(parts))
    if oldest:
        age = (datetime.now(UTC) - parse_iso(oldest[0])).total_seconds()
        data["oldest_queued_age_seconds"] = round(age)
        data["last_error"] = oldest[1]
        detail += "\n" + (tr("Hồ sơ chờ gửi lâu nhất: số {number}, đã chờ {age}", number=oldest[2],
                               age=_age_vi(age))
                          + (tr("; lỗi gần nhất: {error}", error=oldest[1]) if oldest[1] else "")
                          + ".")
    if attention:
        return _r(WARNING, detail + "\n" + tr("{count} hồ sơ Kho bạc không nhận, cần xử lý: "
                                              "{numbers}.", count=len(attention),
                                              numbers=", ".join(attention)),
                  tr("Mở hàng đợi gửi, đọc lý do Kho bạc từ chối, sửa hồ sơ và ký lại."), **data)
    if oldest and data["oldest_queued_age_seconds"] > OUTBOX_STALE_SECONDS:
        return _r(WARNING, detail, tr("Có hồ sơ chờ gửi đã lâu: kiểm tra kết nối tới Kho bạc (các "
                  "mục mạng ở trên) rồi bấm «Gửi ngay»."), **data)
    return _r(OK, detail, **data)


_OUTBOX_STATE_VI = {"queued": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi",
                    "needs-attention": "cần xử lý", "cancelled": "đã hủy"}


def _age_vi(seconds: float) -> str:
    if seconds < 3600:
        return tr("{n} phút", n=max(0, int(seconds // 60)))
    if seconds < 86400:
        return tr("{n:.1f} giờ", n=seconds / 3600)
    return tr("{n:.1f} ngày", n=seconds / 86400)


def folder_bytes(root: Path, *, skip: tuple[str, ...] = ()) -> int:
    """Bytes of the files under ``root`` (not following links), leaving out the top-level
    entries named in ``skip``. A file that goes away while it is counted (SQLite removes
    its ``-shm``/``-wal`` files when the last connection closes) counts as nothing."""
    total = 0
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if folder == root and entry.name in skip:
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:
                continue
    return total


@check("disk", "Dung lượng ổ đĩa", "Disk space", timeout=10)
def check_disk(env: DiagnosticEnv) -> CheckResult:
    usage = shutil.disk_usage(env.home.path)
    used_by_app = folder_bytes(env.home.path, skip=("training",))
    data = {"path": str(env.home.path), "free_bytes": usage.free, "total_bytes": usage.total,
            "app_bytes": used_by_app}
    gb = usage.free / 1024**3
    detail = tr("Còn trống {free:.1f} GB trên {total:.0f} GB; dữ liệu ứng dụng {app:.1f} MB.",
                free=gb, total=usage.total / 1024**3, app=used_by_app / 1024**2)
    advice = tr("Giải phóng dung lượng ổ đĩa chứa thư mục dữ liệu (xóa tệp tạm, thùng rác).")
    if usage.free < DISK_FAIL_BYTES:
        return _r(FAILED, detail + " " + tr("Quá ít để lưu hồ sơ an toàn."), advice, **data)
    if usage.free < DISK_WARN_BYTES:
        return _r(WARNING, detail, advice, **data)
    return _r(OK, detail, **data)
