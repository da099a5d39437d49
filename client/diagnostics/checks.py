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
                    out[path] = tokens.ProbeResult(True, "Mô-đun mô phỏng đã đăng ký trong ứng dụng.")
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
                return {"ok": False, "body": None, "error": "Chưa cấu hình địa chỉ máy chủ Kho bạc.",
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

    def titled(self, result: CheckResult) -> CheckResult:
        return replace(result, id=self.id, title=self.title)


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
        return f"{info.get('PRETTY_NAME', 'Linux')} (nhân {platform.release()})"
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
    detail = (f"KBNN Client {__version__}, bản {bits}-bit (Python {data['python']})\n"
              f"Hệ điều hành: {data['os']}, kiến trúc {machine}\n"
              f"Thư mục dữ liệu: {env.home.path}"
              + ("\nĐang ở chế độ TẬP HUẤN." if env.home.is_training else ""))
    if bits == 32 and os_64:
        return _r(WARNING, detail + "\nỨng dụng 32-bit đang chạy trên Windows 64-bit.",
                  "Nên cài bản 64-bit của ứng dụng, trừ khi token chỉ có trình điều khiển 32-bit.",
                  **data)
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
        missing.append("thông tin đơn vị (mã ĐVQHNS, tên, tài khoản)")
    if not env.server_url:
        missing.append("địa chỉ máy chủ Kho bạc")
    if not env.settings.get("server.user"):
        missing.append("tên đăng nhập Kho bạc")
    data = {"unit": unit.code if unit else None, "unit_name": unit.name if unit else None,
            "server_url": env.server_url, "user": env.settings.get("server.user"),
            "invalid": bad, "missing": missing}
    lines = []
    if unit:
        lines.append(f"Đơn vị: {unit.name} (mã {unit.code}), tài khoản {unit.account}")
        problems = unit.problems()
        bad += [f"unit: {p.message}" for p in problems]
    if env.server_url:
        lines.append(f"Máy chủ Kho bạc: {env.server_url}")
    if bad:
        return _r(FAILED, "\n".join(lines + ["Mục cấu hình sai:"] + [f"- {b}" for b in bad]),
                  "Sửa các mục trên trong Cài đặt, hoặc: kbnn-client settings set MỤC GIÁ_TRỊ.",
                  **data)
    if missing:
        return _r(WARNING, "\n".join(lines + ["Chưa khai báo: " + "; ".join(missing) + "."]),
                  "Chạy phần thiết lập lần đầu, hoặc: kbnn-client unit set … và kbnn-client login ….",
                  **data)
    return _r(OK, "\n".join(lines), **data)


# --------------------------------------------------------------------------- tokens


@check("pkcs11-modules", "Thư viện PKCS#11 của token", "PKCS#11 token modules", timeout=40)
def check_modules(env: DiagnosticEnv) -> CheckResult:
    candidates = env.module_candidates()
    if not candidates:
        return _r(FAILED, "Không tìm thấy thư viện PKCS#11 nào của token trên máy này.",
                  "Cài trình điều khiển (driver) token của nhà cung cấp chữ ký số (VNPT-CA, "
                  "Viettel-CA, BKAV, FPT…), rồi chạy lại kiểm tra; hoặc chỉ đường dẫn thư viện "
                  "trong Cài đặt (signing.module) hay bằng --module.", modules=[])
    probes = env.probes()
    rows, lines = [], []
    for c in candidates:
        row = dict(c)
        if not c["exists"]:
            row.update(ok=False, message="không tìm thấy tệp")
            lines.append(f"- {c['path']} ({_source_vi(c['source'])}): KHÔNG TÌM THẤY TỆP")
        elif not c.get("loadable", True):
            msg = (c.get("problems") or [{}])[0].get("message") or \
                f"thư viện {c.get('arch')} khác kiến trúc của ứng dụng"
            row.update(ok=False, message=msg)
            lines.append(f"- {c['path']} ({_source_vi(c['source'])}): KHÔNG NẠP ĐƯỢC — {msg}")
        else:
            pr = probes.get(c["path"])
            ok = bool(pr and pr.ok)
            msg = pr.message if pr else "không kiểm tra xong"
            row.update(ok=ok, message=msg, tokens=len(pr.tokens) if pr else 0)
            lines.append(f"- {c['path']} ({_source_vi(c['source'])}): {'nạp được' if ok else 'LỖI'} — {msg}")
        rows.append(row)
    good = [r for r in rows if r["ok"]]
    chosen = [r for r in rows if r["source"] in ("--module", "settings")]
    detail = "\n".join(lines)
    if chosen and not chosen[0]["ok"]:
        c = chosen[0]
        what = "không tìm thấy" if not c["exists"] else "không nạp được"
        return _r(FAILED, f"Thư viện PKCS#11 đã chỉ định {what}: {c['path']}\n{detail}",
                  "Kiểm tra lại đường dẫn thư viện của token (Cài đặt → signing.module hoặc "
                  "--module), hoặc cài lại trình điều khiển token.", modules=rows)
    if not good:
        return _r(FAILED, "Không nạp được thư viện PKCS#11 nào.\n" + detail,
                  "Cài lại trình điều khiển token đúng bản (64-bit cho ứng dụng 64-bit); "
                  "nếu vẫn lỗi, gửi gói hỗ trợ cho bộ phận kỹ thuật.", modules=rows)
    if len(good) < len(rows):
        return _r(WARNING, detail, "Một số thư viện không nạp được; nếu token của bạn dùng "
                  "thư viện đó, hãy cài lại trình điều khiển token.", modules=rows)
    return _r(OK, detail, modules=rows)


def _source_vi(source: str) -> str:
    return {"--module": "chỉ định bằng --module", "settings": "trong cài đặt",
            "configured": "trong cài đặt", "env": "biến môi trường KBNN_PKCS11_MODULE",
            "system32": "System32", "syswow64": "SysWOW64", "known": "tự tìm thấy",
            "found": "tự tìm thấy"}.get(source, source)


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
        return _r(WARNING, "Chưa có thư viện PKCS#11 nào để kiểm tra.",
                  "Cài trình điều khiển token rồi chạy lại kiểm tra.", app_bits=bits, modules=[])
    probes = env.probes()
    header_readable = _discovery() is not None
    rows, lines, mismatch, unknown = [], [], [], []
    for c in existing:
        path, pr = c["path"], probes.get(c["path"])
        file_bits = c.get("bits")
        if pr is not None and pr.ok:
            verdict, how = "khớp (đã nạp thử được)", "loaded"
            file_bits = file_bits or bits
        elif not c.get("loadable", True):
            problem = (c.get("problems") or [{}])[0].get("message")
            verdict = "KHÔNG KHỚP: " + (problem or f"thư viện {file_bits}-bit, ứng dụng {bits}-bit")
            how = "header"
            mismatch.append(path)
        elif file_bits is not None:
            verdict = (f"{file_bits}-bit, khớp với ứng dụng (thư viện không nạp được vì nguyên "
                       "nhân khác — xem mục trên)")
            how = "header"
        else:
            verdict = ("không đọc được kiến trúc của tệp" if header_readable
                       else "chưa kiểm tra (phiên bản này không đọc tiêu đề tệp)")
            how = "not checked"
            unknown.append(path)
        rows.append({"path": path, "bits": file_bits, "arch": c.get("arch"), "checked": how})
        lines.append(f"- {path}: {verdict}")
    detail = f"Ứng dụng chạy {bits}-bit.\n" + "\n".join(lines)
    chosen = [c["path"] for c in existing if c["source"] in ("--module", "settings")]
    if mismatch and (len(mismatch) == len(existing) or set(chosen) & set(mismatch)):
        other = 32 if bits == 64 else 64
        return _r(FAILED, detail,
                  f"Cài bản {bits}-bit của trình điều khiển token (nhà cung cấp chữ ký số thường có cả "
                  f"hai bản), hoặc dùng bản {other}-bit của ứng dụng.", app_bits=bits, modules=rows)
    if mismatch or unknown:
        return _r(WARNING, detail, f"Nếu token của bạn dùng thư viện có vấn đề ở trên, hãy cài bản "
                  f"{bits}-bit của trình điều khiển token.", app_bits=bits, modules=rows)
    return _r(OK, detail, app_bits=bits, modules=rows)


def _no_module_result(env: DiagnosticEnv, what: str) -> CheckResult | None:
    if env.usable_modules():
        return None
    return _r(FAILED, f"Không đọc được {what}: chưa có thư viện PKCS#11 nào nạp được.",
              "Xem mục «Thư viện PKCS#11 của token» ở trên.")


@check("tokens", "Token đang cắm", "Tokens plugged in", timeout=60)
def check_tokens(env: DiagnosticEnv) -> CheckResult:
    early = _no_module_result(env, "token")
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
            lines.append(f"- «{t.label}» (số sê-ri {t.serial}, {t.manufacturer} {t.model})"
                         + (f": {flag}" if flag else ""))
            if t.pin_locked:
                locked.append(t.label)
            elif flag:
                warnings.append(t.label)
    detail = "\n".join(lines + [f"Lỗi: {e}" for e in errors])
    if locked:
        return _r(FAILED, detail, "Token bị khóa PIN: liên hệ nhà cung cấp chữ ký số để mở khóa "
                  "bằng mã PUK/SO PIN.", tokens=rows, errors=errors)
    if not rows:
        if errors:
            return _r(FAILED, detail, "Rút token ra, cắm lại rồi chạy lại kiểm tra; nếu vẫn lỗi, "
                      "cài lại trình điều khiển token.", tokens=rows, errors=errors)
        return _r(WARNING, "Chưa thấy token nào được cắm vào máy.",
                  "Cắm token ký số vào cổng USB rồi chạy lại kiểm tra.", tokens=rows, errors=errors)
    if warnings or errors:
        return _r(WARNING, detail, "Nhập PIN cẩn thận: token sắp bị khóa nếu nhập sai tiếp.",
                  tokens=rows, errors=errors)
    return _r(OK, f"Tìm thấy {len(rows)} token:\n" + detail, tokens=rows, errors=errors)


@check("certificates", "Chứng thư số trên token", "Certificates on the tokens", timeout=60)
def check_certificates(env: DiagnosticEnv) -> CheckResult:
    from client.signing.certs import cert_info, check_usable, format_date_vn

    early = _no_module_result(env, "chứng thư số")
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
            state = ("hết hạn" if days_left < 0 else f"còn {days_left} ngày")
            note = "" if e.has_private_key else " — không có khóa bí mật trên token"
            issues = "; ".join(p.message for p in problems)
            lines.append(f"- {info.subject_cn} ({info.organisation}) trên token «{e.token_label}», "
                         f"hiệu lực đến {format_date_vn(info.not_after)} ({state}){note}"
                         + (f"\n  {issues}" if issues else ""))
    signing = [r for r in rows if r.get("has_private_key")]
    usable = [r for r in signing if r["usable"]]
    detail = "\n".join(lines)
    if not any_token:
        return _r(WARNING, "Chưa có token nào để đọc chứng thư số.",
                  "Cắm token ký số rồi chạy lại kiểm tra.", certificates=rows)
    if not signing:
        return _r(FAILED, (detail + "\n" if detail else "")
                  + "Token không có chứng thư số nào kèm khóa bí mật để ký.",
                  "Liên hệ nhà cung cấp chữ ký số: token chưa được cấp chứng thư số hoặc đã bị xóa.",
                  certificates=rows)
    if not usable:
        return _r(FAILED, detail, "Không còn chứng thư số nào ký được: hãy liên hệ nhà cung cấp "
                  "chữ ký số để gia hạn hoặc cấp mới, rồi đăng ký lại chữ ký số với Kho bạc.",
                  certificates=rows)
    expiring = [r for r in usable if any(p["code"] == "cert-expiring" for p in r["problems"])]
    if expiring or len(usable) < len(signing):
        return _r(WARNING, detail, "Gia hạn chứng thư số sắp hết hạn / đã hết hạn với nhà cung "
                  "cấp chữ ký số; sau khi gia hạn, đăng ký lại chữ ký số với Kho bạc.",
                  certificates=rows)
    if unit and not any(r["unit_match"] for r in usable):
        detail += f"\nLưu ý: không chứng thư nào mang mã đơn vị MNS:{unit.code}."
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


_NO_SERVER = ("Chưa cấu hình địa chỉ máy chủ Kho bạc.",
              "Nhập địa chỉ máy chủ trong Cài đặt (server.url) hoặc đăng nhập: "
              "kbnn-client login --server URL ….")


@check("dns", "Phân giải tên máy chủ Kho bạc (DNS)", "DNS of the treasury server", timeout=10)
def check_dns(env: DiagnosticEnv) -> CheckResult:
    url = env.server_url
    if not url:
        return _r(FAILED, *_NO_SERVER)
    host, port, _ = _host_port(url)
    if _is_ip(host):
        return _r(OK, f"Máy chủ là địa chỉ IP {host}, không cần phân giải tên.", host=host,
                  addresses=[host])
    t0 = time.monotonic()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        proxy = env.proxy().for_url(url)
        data = {"host": host, "error": str(exc), "proxy": _safe_proxy(proxy)}
        if proxy:
            return _r(WARNING, f"Máy này không phân giải được tên «{host}» ({exc.strerror}); "
                      "kết nối đi qua proxy nên proxy sẽ phân giải thay.",
                      "Nếu kết nối tới Kho bạc vẫn lỗi, kiểm tra cấu hình proxy.", **data)
        return _r(FAILED, f"Không phân giải được tên máy chủ «{host}»: {exc.strerror}.",
                  "Kiểm tra kết nối mạng và máy chủ DNS của máy (hoặc của cơ quan); kiểm tra "
                  "lại địa chỉ máy chủ Kho bạc trong Cài đặt.", **data)
    addresses = sorted({i[4][0] for i in infos})
    ms = round((time.monotonic() - t0) * 1000)
    return _r(OK, f"«{host}» → {', '.join(addresses)} ({ms} ms).", host=host, addresses=addresses,
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
    mode_vi = {"system": "theo hệ điều hành", "none": "không dùng proxy",
               "manual": "proxy chỉ định"}[cfg.mode]
    if cfg.mode == "manual" and not cfg.url:
        return _r(FAILED, "Đã chọn proxy chỉ định nhưng chưa nhập địa chỉ proxy.",
                  "Cài đặt → network.proxy_host (dạng máy:cổng), hoặc chọn «system».",
                  mode=cfg.mode, proxy=None)
    proxy = cfg.for_url(url) if url else cfg.url
    data = {"mode": cfg.mode, "proxy": _safe_proxy(proxy), "user": cfg.user}
    if not proxy:
        return _r(OK, f"Cấu hình: {mode_vi}; kết nối tới Kho bạc đi thẳng, không qua proxy.", **data)
    host, port, _ = _host_port(proxy)
    try:
        with socket.create_connection((host, port), timeout=min(4.0, env.net_timeout)):
            pass
    except OSError as exc:
        return _r(FAILED, f"Cấu hình: {mode_vi}; proxy {_safe_proxy(proxy)} không kết nối được "
                  f"({exc.strerror or exc}).",
                  "Kiểm tra địa chỉ proxy với bộ phận quản trị mạng của cơ quan, hoặc chọn "
                  "«none» nếu mạng không cần proxy.", **data)
    return _r(OK, f"Cấu hình: {mode_vi}; kết nối tới Kho bạc qua proxy {_safe_proxy(proxy)} "
              "(proxy đang nhận kết nối).", **data)


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
            raise OSError(f"proxy trả lời «{status.strip()}» cho yêu cầu CONNECT")
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
        return _r(FAILED, *_NO_SERVER)
    host, port, scheme = _host_port(url)
    if scheme != "https":
        if _is_loopback(host):
            return _r(OK, "Máy chủ Kho bạc mô phỏng chạy trên chính máy này (http); "
                      "không có TLS để kiểm tra.", scheme=scheme, host=host)
        return _r(FAILED, f"Địa chỉ máy chủ dùng {scheme}://, kết nối không được mã hóa.",
                  "Dùng địa chỉ https:// do Kho bạc cung cấp.", scheme=scheme, host=host)
    data: dict[str, Any] = {"host": host, "port": port, "ca_file": env.ca_file}
    ctx = ssl.create_default_context()
    if env.ca_file:
        try:
            ctx.load_verify_locations(cafile=env.ca_file)
        except (OSError, ssl.SSLError) as exc:
            return _r(FAILED, f"Không đọc được tệp CA «{env.ca_file}»: {exc}.",
                      "Chọn lại tệp chứng chỉ CA do Kho bạc cung cấp (Cài đặt → server.ca_file).",
                      **data)
    proxy = env.proxy().for_url(url)
    data["proxy"] = _safe_proxy(proxy)
    timeout = min(6.0, env.net_timeout)
    try:
        raw = _tunnel(proxy, host, port, timeout) if proxy else \
            socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return _r(FAILED, f"Không mở được kết nối tới {host}:{port}"
                  + (f" qua proxy {_safe_proxy(proxy)}" if proxy else "") + f": {exc.strerror or exc}.",
                  "Kiểm tra kết nối mạng, tường lửa và proxy của cơ quan.", **data)
    try:
        with ctx.wrap_socket(raw, server_hostname=host) as tls:
            cert = tls.getpeercert() or {}
            data.update(protocol=tls.version(), cipher=(tls.cipher() or ("",))[0])
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        why = _VERIFY_VI.get(exc.verify_code, exc.verify_message or str(exc))
        data.update(verify_code=exc.verify_code, verify_message=exc.verify_message)
        if exc.verify_code in (9, 10):
            advice = "Kiểm tra ngày giờ của máy tính; nếu đúng, báo Kho bạc về chứng chỉ máy chủ."
        elif exc.verify_code == 62:
            advice = "Kiểm tra lại địa chỉ máy chủ Kho bạc trong Cài đặt (server.url)."
        else:
            advice = ("Nếu Kho bạc cung cấp tệp chứng chỉ CA riêng, chọn tệp đó trong Cài đặt "
                      "(server.ca_file). Nếu không, có thể thiết bị mạng của cơ quan đang chặn "
                      "và thay chứng chỉ (SSL inspection): liên hệ bộ phận quản trị mạng.")
        return _r(FAILED, f"Chứng chỉ của máy chủ không được tin cậy (certificate not trusted): "
                  f"{why} ({exc.verify_message}).", advice, **data)
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        return _r(FAILED, f"Không bắt tay TLS được với {host}:{port}: {exc}.",
                  "Máy chủ có thể không hỗ trợ TLS hoặc một thiết bị mạng chặn kết nối; "
                  "liên hệ bộ phận quản trị mạng.", **data)
    not_after = cert.get("notAfter")
    days = None
    if not_after:
        expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
        days = (expires - datetime.now(UTC)).days
        data["server_cert_not_after"] = expires.isoformat()
    issuer = dict(x[0] for x in cert.get("issuer", ()) if x)
    subject = dict(x[0] for x in cert.get("subject", ()) if x)
    data.update(subject=subject.get("commonName"), issuer=issuer.get("commonName"), days_left=days)
    detail = (f"{data['protocol']}, chứng chỉ «{data['subject']}» do «{data['issuer']}» cấp, được tin "
              f"cậy" + (f", còn {days} ngày" if days is not None else "") + ".")
    if days is not None and days < 14:
        return _r(WARNING, detail, "Chứng chỉ của máy chủ sắp hết hạn; báo cho Kho bạc.", **data)
    return _r(OK, detail, **data)


@check("treasury", "Dịch vụ Kho bạc", "Treasury service health", timeout=20)
def check_treasury(env: DiagnosticEnv) -> CheckResult:
    if not env.server_url:
        return _r(FAILED, *_NO_SERVER)
    h = env.health()
    data = {"url": env.server_url, "code": h.get("code"), "error": h.get("error")}
    if h["ok"]:
        body = h["body"]
        ms = round((h["received"] - h["sent"]) * 1000)
        data.update(status=body.get("status"), api_version=body.get("api_version"), ms=ms)
        if body.get("status") != "ok":
            return _r(WARNING, f"Kho bạc trả lời trạng thái «{body.get('status')}».",
                      "Dịch vụ Kho bạc có thể đang bảo trì; hồ sơ vẫn nằm trong hàng đợi và sẽ "
                      "được gửi khi dịch vụ hoạt động lại.", **data)
        if str(body.get("api_version")) != "1":
            return _r(WARNING, f"Kho bạc dùng phiên bản giao diện {body.get('api_version')}, "
                      "ứng dụng hỗ trợ phiên bản 1.", "Cập nhật ứng dụng lên phiên bản mới nhất.",
                      **data)
        return _r(OK, f"Kho bạc tại {env.server_url} đang hoạt động (trả lời sau {ms} ms).", **data)
    code = h.get("code")
    detail = h.get("error") or "Không rõ lỗi."
    if code == "tls-error":
        detail += " Chứng chỉ của máy chủ không được tin cậy (certificate not trusted)."
        advice = "Xem mục «Kết nối bảo mật (TLS)» ở trên."
    elif code in ("proxy-error", "proxy-auth"):
        advice = ("Kiểm tra địa chỉ proxy và tên/mật khẩu proxy (kbnn-client proxy show; "
                  "kbnn-client proxy password), hoặc hỏi bộ phận quản trị mạng.")
    elif code == "settings":
        advice = "Sửa cấu hình mạng trong Cài đặt (kbnn-client settings show)."
    elif code in ("dns-error", "connection-refused", "network-unreachable", "connect-timeout",
                  "connection-error", "timeout"):
        advice = ("Kiểm tra kết nối Internet/mạng của cơ quan, tường lửa, proxy và địa chỉ máy "
                  "chủ. Nếu mạng vẫn tốt, máy chủ Kho bạc có thể đang bảo trì: hồ sơ đã xếp hàng "
                  "vẫn được giữ và tự gửi lại.")
    elif h.get("status") in (404, 405):
        detail = (f"Máy chủ trả lời HTTP {h['status']}: địa chỉ không phải dịch vụ Kho bạc "
                  "(thường kết thúc bằng /api/v1).")
        advice = "Kiểm tra lại địa chỉ máy chủ Kho bạc trong Cài đặt (server.url)."
    else:
        advice = ("Máy chủ Kho bạc đang quá tải hoặc bảo trì; hồ sơ đã xếp hàng vẫn được giữ và tự "
                  "gửi lại. Nếu kéo dài, liên hệ Kho bạc.")
    return _r(FAILED, detail, advice, **data)


@check("clock", "Đồng hồ máy tính so với Kho bạc", "PC clock against the treasury", timeout=20)
def check_clock(env: DiagnosticEnv) -> CheckResult:
    local = datetime.now().astimezone()
    offset_h = (local.utcoffset().total_seconds() / 3600) if local.utcoffset() else 0.0
    data: dict[str, Any] = {"local_time": local.isoformat(timespec="seconds"),
                            "utc_offset_hours": offset_h}
    tz_note = ("" if abs(offset_h - 7) < 0.01 else
               f"\nMúi giờ của máy là UTC{offset_h:+g}, không phải giờ Việt Nam (UTC+7).")
    if not env.server_url:
        return _r(WARNING, "Chưa so được giờ: chưa cấu hình máy chủ Kho bạc." + tz_note,
                  _NO_SERVER[1], **data)
    h = env.health()
    server_text = (h.get("body") or {}).get("time") if h["ok"] else None
    if not server_text:
        return _r(WARNING, "Chưa so được giờ với Kho bạc vì không kết nối được." + tz_note,
                  "Xem mục «Dịch vụ Kho bạc»; sau khi kết nối được, chạy lại kiểm tra.", **data)
    try:
        server = datetime.fromisoformat(str(server_text).replace("Z", "+00:00"))
        if server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
    except ValueError:
        return _r(WARNING, f"Kho bạc trả về giờ không đọc được: «{server_text}».", "", **data)
    midpoint = (h["sent"] + h["received"]) / 2
    skew = midpoint - server.timestamp()  # > 0: the PC is ahead
    data.update(server_time=server.isoformat(), skew_seconds=round(skew, 1),
                uncertainty_seconds=round((h["received"] - h["sent"]) / 2, 3))
    minutes = abs(skew) / 60
    ahead = "nhanh" if skew > 0 else "chậm"
    if abs(skew) > CLOCK_WARN_SECONDS:
        status = FAILED if abs(skew) > CLOCK_FAIL_SECONDS else WARNING
        return _r(status, f"Đồng hồ máy tính {ahead} hơn giờ Kho bạc {minutes:.0f} phút." + tz_note,
                  "Chỉnh ngày giờ của máy tính (bật «Đặt giờ tự động»). Giờ sai làm chữ ký số "
                  "mang thời điểm ký sai và có thể bị Kho bạc từ chối.", **data)
    return _r(OK, f"Đồng hồ máy tính khớp giờ Kho bạc (lệch {abs(skew):.1f} giây)." + tz_note,
              **data)


@check("credentials", "Thông tin đăng nhập Kho bạc", "Treasury credentials", timeout=10)
def check_credentials(env: DiagnosticEnv) -> CheckResult:
    unit = env.settings.get("server.unit")
    user = env.settings.get("server.user")
    data: dict[str, Any] = {"unit": unit, "user": user}
    if env.home.is_training:
        present = bool(env.home.get("training", "password"))
        data.update(store="training-profile", present=present)
        if present:
            return _r(OK, f"Hồ sơ tập huấn: tài khoản {user} (đơn vị {unit}), mật khẩu tập huấn "
                      "có sẵn.", **data)
        return _r(FAILED, "Hồ sơ tập huấn thiếu mật khẩu tập huấn.",
                  "Tạo lại hồ sơ tập huấn: kbnn-client training --reset.", **data)
    if not (env.server_url and unit and user):
        data.update(present=False)
        return _r(WARNING, "Chưa đăng nhập dịch vụ công Kho bạc trên máy này.",
                  "Đăng nhập một lần (kbnn-client login --server URL --unit MÃ --user TÊN); "
                  "mật khẩu được lưu trong kho khóa của hệ điều hành.", **data)
    try:
        import keyring

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as exc:  # noqa: BLE001
        backend, name = None, f"lỗi: {type(exc).__name__}"
    data["store"] = name
    if backend is None or "fail" in name.lower():
        data.update(present=False)
        return _r(WARNING, "Máy không có kho khóa của hệ điều hành để lưu mật khẩu Kho bạc "
                  f"({name}).",
                  "Trên Windows, kho khóa (Credential Manager) luôn có; trên Linux hãy cài "
                  "gnome-keyring hoặc KWallet. Dòng lệnh có thể dùng --password-env.", **data)
    from client.app import Credentials

    try:
        present = bool(Credentials(env.home).password())  # the value is dropped at once
    except KbnnError:
        present = False
    data["present"] = present
    if not present:
        return _r(FAILED, f"Chưa lưu mật khẩu Kho bạc của tài khoản {user} (đơn vị {unit}) "
                  "trong kho khóa.", "Đăng nhập lại: kbnn-client login --server URL --unit MÃ "
                  "--user TÊN (hoặc đăng nhập trong ứng dụng).", **data)
    return _r(OK, f"Mật khẩu của tài khoản {user} (đơn vị {unit}) đã lưu trong kho khóa "
              f"({name}).", **data)


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
        return _r(WARNING, f"Chưa có cơ sở dữ liệu ({path}); sẽ được tạo khi mở ứng dụng.",
                  "Không cần làm gì nếu đây là lần đầu dùng ứng dụng trên máy này.",
                  path=str(path), exists=False)
    data: dict[str, Any] = {"path": str(path), "exists": True, "size_bytes": path.stat().st_size,
                            "expected_schema": SCHEMA_VERSION}
    restore = ("Khôi phục dữ liệu từ bản sao lưu gần nhất (Cài đặt → Khôi phục, hoặc "
               "kbnn-client restore TỆP.zip) và gửi gói hỗ trợ cho bộ phận kỹ thuật.")
    try:
        conn = _open_existing(path)
    except sqlite3.Error as exc:
        return _r(FAILED, f"Không mở được cơ sở dữ liệu: {exc}.", restore, **data)
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
        return _r(FAILED, f"Cơ sở dữ liệu bị hỏng: {exc}.", restore, **data)
    finally:
        conn.close()
    data.update(integrity_check=integrity, schema_version=version,
                journal_mode=journal, documents=docs)
    if integrity != ["ok"]:
        shown = " ".join("; ".join(integrity).split())[:300]
        return _r(FAILED, f"Kiểm tra toàn vẹn cơ sở dữ liệu báo lỗi: {shown}.", restore, **data)
    if version > SCHEMA_VERSION:
        return _r(FAILED, f"Cơ sở dữ liệu có phiên bản cấu trúc {version}, mới hơn phiên bản ứng "
                  f"dụng này hiểu ({SCHEMA_VERSION}).",
                  "Cài phiên bản ứng dụng mới nhất (dữ liệu được tạo bởi phiên bản mới hơn).", **data)
    detail = (f"Toàn vẹn: đạt. Phiên bản cấu trúc {version}/{SCHEMA_VERSION}, "
              f"{docs if docs is not None else 0} hồ sơ, "
              f"{data['size_bytes'] / 1024 / 1024:.1f} MB, nhật ký {journal}.")
    if version < SCHEMA_VERSION:
        return _r(WARNING, detail + " Cấu trúc cũ hơn phiên bản ứng dụng.",
                  "Mở ứng dụng một lần để nâng cấp cấu trúc dữ liệu (tự động).", **data)
    return _r(OK, detail, **data)


@check("outbox", "Hàng đợi gửi Kho bạc", "Outbox", timeout=30)
def check_outbox(env: DiagnosticEnv) -> CheckResult:
    path = env.home.db_path
    if not path.exists():
        return _r(OK, "Hàng đợi trống (chưa có cơ sở dữ liệu).", counts={}, oldest_queued_at=None)
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
        return _r(FAILED, f"Không đọc được hàng đợi gửi: {exc}.",
                  "Xem mục «Cơ sở dữ liệu» ở trên.", counts={})
    from client.store.db import parse_iso

    waiting = counts.get("queued", 0) + counts.get("sending", 0)
    data: dict[str, Any] = {"counts": counts, "waiting": waiting, "needs_attention": attention,
                            "oldest_queued_at": oldest[0] if oldest else None,
                            "oldest_queued_age_seconds": None, "last_error": None}
    parts = [f"{_OUTBOX_STATE_VI.get(state, state)}: {n}"
             for state, n in sorted(counts.items())] or ["trống"]
    detail = "Theo trạng thái: " + ", ".join(parts) + "."
    if oldest:
        age = (datetime.now(UTC) - parse_iso(oldest[0])).total_seconds()
        data["oldest_queued_age_seconds"] = round(age)
        data["last_error"] = oldest[1]
        detail += (f"\nHồ sơ chờ gửi lâu nhất: số {oldest[2]}, đã chờ {_age_vi(age)}"
                   + (f"; lỗi gần nhất: {oldest[1]}" if oldest[1] else "") + ".")
    if attention:
        return _r(WARNING, detail + f"\n{len(attention)} hồ sơ Kho bạc không nhận, cần xử lý: "
                  + ", ".join(attention) + ".",
                  "Mở hàng đợi gửi, đọc lý do Kho bạc từ chối, sửa hồ sơ và ký lại.", **data)
    if oldest and data["oldest_queued_age_seconds"] > OUTBOX_STALE_SECONDS:
        return _r(WARNING, detail, "Có hồ sơ chờ gửi đã lâu: kiểm tra kết nối tới Kho bạc (các mục "
                  "mạng ở trên) rồi bấm «Gửi ngay».", **data)
    return _r(OK, detail, **data)


_OUTBOX_STATE_VI = {"queued": "chờ gửi", "sending": "đang gửi", "sent": "đã gửi",
                    "needs-attention": "cần xử lý", "cancelled": "đã hủy"}


def _age_vi(seconds: float) -> str:
    if seconds < 3600:
        return f"{max(0, int(seconds // 60))} phút"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} giờ"
    return f"{seconds / 86400:.1f} ngày"


@check("disk", "Dung lượng ổ đĩa", "Disk space", timeout=10)
def check_disk(env: DiagnosticEnv) -> CheckResult:
    usage = shutil.disk_usage(env.home.path)
    used_by_app = sum(p.stat().st_size for p in env.home.path.rglob("*")
                      if p.is_file() and "training" not in p.relative_to(env.home.path).parts[:1])
    data = {"path": str(env.home.path), "free_bytes": usage.free, "total_bytes": usage.total,
            "app_bytes": used_by_app}
    gb = usage.free / 1024**3
    detail = (f"Còn trống {gb:.1f} GB trên {usage.total / 1024**3:.0f} GB; dữ liệu ứng dụng "
              f"{used_by_app / 1024**2:.1f} MB.")
    advice = "Giải phóng dung lượng ổ đĩa chứa thư mục dữ liệu (xóa tệp tạm, thùng rác)."
    if usage.free < DISK_FAIL_BYTES:
        return _r(FAILED, detail + " Quá ít để lưu hồ sơ an toàn.", advice, **data)
    if usage.free < DISK_WARN_BYTES:
        return _r(WARNING, detail, advice, **data)
    return _r(OK, detail, **data)
