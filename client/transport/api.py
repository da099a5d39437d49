"""The treasury submission API client (treasury-api.md, version 1).

One ``requests.Session`` with explicit (connect, read) timeouts on every
call. TLS is always verified: against the operating system's trust store
plus the CA file treasury IT may configure (never ``verify=False``). The
proxy is the system's, none, or a manual ``host:port`` whose credentials are
sent as ``Proxy-Authorization`` (never put into a URL that could be logged).

The session token lives in memory only. A ``401`` on any call means "log in
again": the client asks ``password()`` (normally the OS keyring), logs in
once more and repeats the call once. Neither the password nor the token is
ever logged.

Every network failure is raised as :class:`~client.errors.Unreachable` with
a ``failure`` code (``dns-error``, ``connection-refused``, ``read-timeout``,
``connection-reset``, ``treasury-busy``, …) so callers can tell "no network"
from "the treasury is down", and whether a submission may have reached the
treasury (:func:`delivery_uncertain`).
"""

from __future__ import annotations

import base64
import errno
import hashlib
import http.client
import logging
import platform
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from client import __version__
from client.errors import KbnnError, Problem, Rejected, Unreachable
from client.i18n import tr

log = logging.getLogger(__name__)

PACKAGE_MEDIA_TYPE = "application/vnd.etsi.asic-e+zip"
MAX_PAGES = 10_000
DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds
CLOCK_TOLERANCE = 300.0  # seconds: warn when the PC clock is further off the treasury's

PROXY_MODES = ("system", "none", "manual")

# Failures after which the request certainly never reached the treasury.
NOT_SENT_FAILURES = frozenset({
    "dns-error", "connection-refused", "network-unreachable", "connect-timeout",
    "proxy-error", "proxy-auth", "tls-error", "no-password",
})
# Failures that say nothing about the network but about the treasury itself.
TREASURY_FAILURES = frozenset({
    "read-timeout", "connection-reset", "treasury-busy", "server-error", "bad-answer",
})


def failure_texts() -> dict[str, str]:
    """The user-facing text of each transport failure code, in the current language."""
    return {
        "dns-error": tr("Không tìm thấy máy chủ Kho bạc (lỗi phân giải tên miền DNS). "
                        "Kiểm tra kết nối mạng và địa chỉ máy chủ."),
        "connection-refused": tr("Không kết nối được với máy chủ Kho bạc (kết nối bị từ chối)."),
        "network-unreachable": tr("Không có đường mạng tới máy chủ Kho bạc. "
                                  "Kiểm tra kết nối mạng."),
        "connect-timeout": tr("Không kết nối được với máy chủ Kho bạc "
                              "(quá thời gian chờ kết nối)."),
        "proxy-error": tr("Không kết nối được qua máy chủ proxy. Kiểm tra cấu hình proxy."),
        "proxy-auth": tr("Máy chủ proxy từ chối đăng nhập (HTTP 407). "
                         "Kiểm tra tên và mật khẩu proxy."),
        "tls-error": tr("Không xác thực được chứng chỉ bảo mật (TLS) của máy chủ Kho bạc. "
                        "Kiểm tra địa chỉ máy chủ và tệp CA do Kho bạc cung cấp."),
        "read-timeout": tr("Máy chủ Kho bạc không trả lời kịp (hết thời gian chờ)."),
        "connection-reset": tr("Kết nối tới máy chủ Kho bạc bị ngắt giữa chừng."),
        "connection-error": tr("Không kết nối được với máy chủ Kho bạc."),
    }


@dataclass
class ApiAnswer:
    status: int
    body: dict | bytes
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def code(self) -> str | None:
        """The problem ``code`` of an error answer, if any."""
        return self.body.get("code") if isinstance(self.body, dict) else None

    @property
    def retry_after(self) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == "retry-after":
                return v
        return None

    @property
    def is_problem(self) -> bool:
        """An RFC 9457 answer from the treasury itself (not from a proxy or load balancer)."""
        ctype = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        return "problem+json" in str(ctype) and self.code is not None


@dataclass
class Health:
    """``GET /health`` with the clock comparison the client makes from it."""

    status: str
    api_version: str | None
    server_time: str | None
    clock_skew: float | None  # seconds the PC clock is behind (-) or ahead (+) of the treasury
    round_trip: float  # seconds (not money)

    @property
    def clock_ok(self) -> bool:
        return self.clock_skew is None or abs(self.clock_skew) <= CLOCK_TOLERANCE

    def clock_warning(self) -> str | None:
        """Vietnamese warning when the PC clock is more than 5 minutes off, else None."""
        if self.clock_ok or self.clock_skew is None:
            return None
        minutes = round(abs(self.clock_skew) / 60)
        if self.clock_skew > 0:
            return tr("Đồng hồ máy tính đang nhanh khoảng {minutes} phút so với máy chủ Kho "
                      "bạc. Hãy chỉnh lại ngày giờ của máy tính (chữ ký số cần thời gian đúng).",
                      minutes=minutes)
        return tr("Đồng hồ máy tính đang chậm khoảng {minutes} phút so với máy chủ Kho bạc. "
                  "Hãy chỉnh lại ngày giờ của máy tính (chữ ký số cần thời gian đúng).",
                  minutes=minutes)


@dataclass
class ProxyConfig:
    """Where requests go: the system's proxy settings, no proxy, or a manual ``host:port``.

    ``password`` is asked for only when a request is made (normally from the OS keyring).
    """

    mode: str = "system"
    host: str = ""  # "host:port" for manual
    user: str = ""
    password: Callable[[], str | None] | None = None

    def __post_init__(self) -> None:
        if self.mode not in PROXY_MODES:
            raise ValueError(f"proxy mode must be one of {PROXY_MODES}, not {self.mode!r}")
        if self.mode == "manual" and not self.host:
            raise ValueError("a manual proxy needs host:port")

    def __repr__(self) -> str:  # never shows the password
        return f"ProxyConfig(mode={self.mode!r}, host={self.host!r}, user={self.user!r})"

    @property
    def url(self) -> str | None:
        """The proxy URL without credentials (manual mode only)."""
        if self.mode != "manual":
            return None
        host = self.host.strip()
        return host if "://" in host else f"http://{host}"


class AuthError(KbnnError):
    """The treasury refused the login: ``bad-credentials`` or ``too-many-attempts`` (exit 1)."""

    def __init__(self, message: str, problems: list[Problem] | None = None,
                 code: str = "bad-credentials", retry_after: str | None = None) -> None:
        super().__init__(message, problems or [], 1)
        self.code = code
        self.retry_after = retry_after


def problems_of(body: Any) -> list[Problem]:
    """The ``errors`` of a problem+json body as ``Problem`` objects (or one from its title)."""
    if not isinstance(body, dict):
        return []
    out: list[Problem] = []
    for e in body.get("errors") or []:
        if isinstance(e, dict):
            out.append(Problem(code=str(e.get("code") or body.get("code") or "error"),
                               message=str(e.get("message") or ""),
                               where=str(e.get("where") or "")))
    if not out and (body.get("detail") or body.get("title")):
        out.append(Problem(code=str(body.get("code") or "error"),
                           message=str(body.get("detail") or body.get("title"))))
    return out


def problem_message(body: Any, status: int) -> str:
    """Vietnamese one-liner of an error answer: title, then detail."""
    if isinstance(body, dict):
        title = str(body.get("title") or "").strip()
        detail = str(body.get("detail") or "").strip()
        if title and detail and detail != title:
            return f"{title}: {detail}"
        if title or detail:
            return title or detail
    if status in (429, 503):
        return tr("Máy chủ Kho bạc đang quá tải (HTTP {status}), sẽ thử lại sau.", status=status)
    if status >= 500:
        return tr("Máy chủ Kho bạc gặp lỗi (HTTP {status}), sẽ thử lại sau.", status=status)
    return tr("Kho bạc trả lời lỗi HTTP {status}.", status=status)


def unreachable(failure: str, message: str | None = None, detail: str = "", *,
                http_status: int | None = None, retry_after: str | None = None) -> Unreachable:
    """An ``Unreachable`` tagged with its ``failure`` code (see module docstring)."""
    texts = failure_texts()
    exc = Unreachable(message or texts.get(failure, texts["connection-error"]),
                      [Problem(failure, detail[:300] or (message or texts.get(failure, "")))])
    exc.failure = failure  # type: ignore[attr-defined]
    exc.http_status = http_status  # type: ignore[attr-defined]
    exc.retry_after = retry_after  # type: ignore[attr-defined]
    exc.during_login = False  # type: ignore[attr-defined]
    return exc


def failure_of(exc: BaseException) -> str | None:
    """The failure code of an ``Unreachable`` (or ``AuthError``'s code), else None."""
    code = getattr(exc, "failure", None)
    if code:
        return str(code)
    if isinstance(exc, AuthError):
        return exc.code
    if isinstance(exc, KbnnError) and exc.problems:
        return exc.problems[0].code
    return None


def delivery_uncertain(exc: BaseException) -> bool:
    """Whether the treasury may have received (and committed) the request that failed.

    False only when the request certainly never left (DNS, refused, connect
    timeout, proxy, TLS) or the failure happened while logging in.
    """
    if getattr(exc, "during_login", False):
        return False
    return failure_of(exc) not in NOT_SENT_FAILURES


def _chain(exc: BaseException) -> list[BaseException]:
    """Every exception wrapped by a requests/urllib3 error (reason, args, cause, context)."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 30:
        e = todo.pop(0)
        if any(e is s for s in seen):
            continue
        seen.append(e)
        for nxt in (getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def classify_failure(exc: requests.exceptions.RequestException) -> str:
    """Failure code of a requests exception."""
    chain = _chain(exc)
    text = " ".join(str(e) for e in chain)
    if isinstance(exc, requests.exceptions.SSLError) or any(
            isinstance(e, ssl.SSLError | urllib3.exceptions.SSLError) for e in chain):
        return "tls-error"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "proxy-auth" if " 407" in text else "proxy-error"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connect-timeout"
    if isinstance(exc, requests.exceptions.Timeout):
        return "read-timeout"
    for e in chain:
        if isinstance(e, urllib3.exceptions.NameResolutionError | socket.gaierror):
            return "dns-error"
        if isinstance(e, ConnectionRefusedError):
            return "connection-refused"
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH,
                                                  errno.ENETDOWN):
            return "network-unreachable"
    for e in chain:
        if isinstance(e, ConnectionResetError | BrokenPipeError | ConnectionAbortedError
                      | http.client.RemoteDisconnected | http.client.IncompleteRead
                      | urllib3.exceptions.ProtocolError):
            return "connection-reset"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection-reset"
    if isinstance(exc, requests.exceptions.ConnectionError) and "Failed to establish" in text:
        return "connection-refused" if "refused" in text.lower() else "connection-error"
    return "connection-error"


class _TrustAdapter(HTTPAdapter):
    """SSL context = OS trust store (+ optional CA file); proxy credentials as a header."""

    def __init__(self, ca_file: str | None, proxy: ProxyConfig | None = None) -> None:
        self._ctx = ssl.create_default_context()  # OS trust store, verification on
        if ca_file:
            self._ctx.load_verify_locations(cafile=ca_file)
        self._proxy = proxy
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ctx
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs.setdefault("ssl_context", self._ctx)
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def proxy_headers(self, proxy: str) -> dict[str, str]:
        headers = super().proxy_headers(proxy)
        cfg = self._proxy
        if cfg is not None and cfg.mode == "manual" and cfg.user:
            password = (cfg.password() if cfg.password else None) or ""
            token = base64.b64encode(f"{cfg.user}:{password}".encode()).decode("ascii")
            headers["Proxy-Authorization"] = f"Basic {token}"
        return headers


class TreasuryClient:
    """Client of one treasury API base URL, logged in as one user of one unit.

    Safe to share between threads: logging in (and in again) is serialised.
    """

    def __init__(self, base_url: str, *, unit_code: str, username: str,
                 password: Callable[[], str | None], ca_file: str | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, proxies: dict | None = None,
                 client_info: dict | None = None, proxy: ProxyConfig | None = None) -> None:
        if not (isinstance(timeout, tuple) and len(timeout) == 2 and all(
                isinstance(t, int | float) and t > 0 for t in timeout)):
            raise ValueError("timeout must be (connect seconds, read seconds), both > 0")
        self.base_url = base_url.rstrip("/")
        self.unit_code = unit_code
        self.username = username
        self._password = password
        self.ca_file = ca_file
        self.timeout = (float(timeout[0]), float(timeout[1]))  # seconds, not money
        self.client_info = client_info or {
            "name": "kbnn-client", "version": __version__, "machine": platform.node(),
        }
        self.proxy = proxy
        self._token: str | None = None
        self.token_expires_at: str | None = None
        self._login_lock = threading.Lock()
        self._http = requests.Session()
        self._http.verify = True
        self._http.headers["User-Agent"] = f"kbnn-client/{__version__}"
        self._http.headers["Accept"] = "application/json, application/problem+json"
        adapter = _TrustAdapter(ca_file, proxy)
        self._http.mount("https://", adapter)
        self._http.mount("http://", adapter)
        if proxy is not None and proxy.mode != "system":
            # Settings say exactly which proxy (or none): ignore HTTP(S)_PROXY and the registry.
            self._http.trust_env = False
            self._http.proxies.clear()
            if proxy.mode == "manual":
                self._http.proxies.update({"http": proxy.url, "https": proxy.url})
        if proxies:
            self._http.proxies.update(proxies)

    def __repr__(self) -> str:  # never shows the token
        return f"TreasuryClient({self.base_url!r}, unit_code={self.unit_code!r}, username={self.username!r})"

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    # -- plumbing ---------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _raw(self, method: str, path: str, *, token: str | None = None,
             **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            resp = self._http.request(method, self._url(path), headers=headers,
                                      timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.RequestException as exc:
            failure = classify_failure(exc)
            log.warning("%s %s: %s (%s)", method, path, failure, type(exc).__name__)
            raise unreachable(failure, detail=f"{type(exc).__name__}: {exc}") from exc
        log.info("%s %s -> %s", method, path, resp.status_code)
        if resp.status_code == 407:
            raise unreachable("proxy-auth", http_status=407)
        return resp

    @staticmethod
    def _answer(resp: requests.Response) -> ApiAnswer:
        ctype = resp.headers.get("Content-Type", "")
        body: dict | bytes = resp.content
        if "json" in ctype:
            try:
                parsed = resp.json()
                body = parsed if isinstance(parsed, dict) else {"items": parsed}
            except ValueError:
                body = resp.content
        return ApiAnswer(resp.status_code, body, dict(resp.headers))

    def _ensure_login(self, stale: str | None) -> str:
        """A valid token: log in unless another thread already replaced ``stale``."""
        with self._login_lock:
            if self._token is None or self._token == stale:
                self._token = None
                self._login_locked()
            assert self._token is not None
            return self._token

    def _call(self, method: str, path: str, **kwargs: Any) -> ApiAnswer:
        """An authenticated call; logs in first if needed and again once after a 401."""
        token = self._token or self._ensure_login(None)
        answer = self._answer(self._raw(method, path, token=token, **kwargs))
        if answer.status == 401:
            log.info("%s %s: session refused (%s), logging in again", method, path, answer.code)
            token = self._ensure_login(token)
            answer = self._answer(self._raw(method, path, token=token, **kwargs))
        return answer

    def _raise_for(self, answer: ApiAnswer) -> None:
        if answer.ok:
            return
        message = problem_message(answer.body, answer.status)
        problems = problems_of(answer.body)
        if answer.status == 401:
            raise AuthError(message, problems, code=answer.code or "not-logged-in")
        if answer.status in (429, 503):
            raise unreachable("treasury-busy", message, http_status=answer.status,
                              retry_after=answer.retry_after)
        if answer.status >= 500:
            raise unreachable("server-error", message, http_status=answer.status,
                              retry_after=answer.retry_after)
        err = Rejected(message, problems)
        err.code = answer.code  # type: ignore[attr-defined]
        err.status = answer.status  # type: ignore[attr-defined]
        raise err

    def _json(self, answer: ApiAnswer) -> dict:
        self._raise_for(answer)
        if not isinstance(answer.body, dict):
            raise unreachable("bad-answer", tr("Kho bạc trả lời không đúng định dạng "
                                               "(HTTP {status}).", status=answer.status),
                              http_status=answer.status)
        return answer.body

    # -- API ----------------------------------------------------------------------

    def login(self) -> None:
        """``POST /sessions``; the token is kept in memory only."""
        with self._login_lock:
            self._login_locked()

    def _login_locked(self) -> None:
        try:
            self._do_login()
        except Unreachable as exc:
            exc.during_login = True  # type: ignore[attr-defined]
            raise

    def _do_login(self) -> None:
        password = self._password()
        if not password:
            raise AuthError(tr("Chưa có mật khẩu đăng nhập Kho bạc cho tài khoản {username} "
                               "(đơn vị {unit}).", username=self.username, unit=self.unit_code),
                            code="no-password")
        body = {"unit_code": self.unit_code, "username": self.username, "password": password,
                "client": self.client_info}
        del password
        try:
            answer = self._answer(self._raw("POST", "/sessions", json=body))
        finally:
            body.clear()
        if answer.status == 201 and isinstance(answer.body, dict) and answer.body.get("token"):
            self._token = str(answer.body["token"])
            self.token_expires_at = answer.body.get("expires_at")
            log.info("logged in as %s of unit %s", self.username, self.unit_code)
            return
        self._token = None
        message = problem_message(answer.body, answer.status)
        if answer.status == 401:
            raise AuthError(message, problems_of(answer.body), code=answer.code or "bad-credentials")
        if answer.status == 429 and answer.code == "too-many-attempts":
            raise AuthError(message, problems_of(answer.body), code="too-many-attempts",
                            retry_after=answer.retry_after)
        self._raise_for(answer)
        raise unreachable("bad-answer", tr("Kho bạc trả lời không đúng định dạng khi đăng nhập "
                                           "(HTTP {status}).", status=answer.status),
                          http_status=answer.status)

    def logout(self) -> None:
        """``DELETE /sessions/current``; forgets the token even if the call fails."""
        token = self._token
        if token is None:
            return
        try:
            self._raw("DELETE", "/sessions/current", token=token)
        except Unreachable:
            pass
        finally:
            self._token = None
            self.token_expires_at = None

    def health(self) -> dict:
        """``GET /health`` (no login)."""
        return self._json(self._answer(self._raw("GET", "/health")))

    def health_check(self) -> Health:
        """``GET /health`` and how far the PC clock is from the treasury's."""
        t0 = time.monotonic()
        local_before = datetime.now(UTC)
        body = self.health()
        rtt = time.monotonic() - t0
        skew = None
        server_time = body.get("time")
        if server_time:
            try:
                server = datetime.fromisoformat(str(server_time).replace("Z", "+00:00"))
                if server.tzinfo is not None:
                    local_mid = local_before.timestamp() + rtt / 2
                    skew = local_mid - server.timestamp()
            except ValueError:
                skew = None
        return Health(status=str(body.get("status") or ""),
                      api_version=body.get("api_version"), server_time=server_time,
                      clock_skew=skew, round_trip=rtt)

    def signers(self, unit_code: str | None = None) -> list[dict]:
        """``GET /units/{unit}/signers``: the certificates registered with the treasury."""
        code = quote(unit_code or self.unit_code, safe="")
        body = self._json(self._call("GET", f"/units/{code}/signers"))
        return list(body.get("signers") or [])

    def submit(self, package: bytes, idempotency_key: str) -> ApiAnswer:
        """``POST /submissions``. Any HTTP answer is returned; only a network failure raises."""
        package = bytes(package)
        digest = base64.b64encode(hashlib.sha256(package).digest()).decode("ascii")
        headers = {
            "Idempotency-Key": idempotency_key,
            "Content-Type": PACKAGE_MEDIA_TYPE,
            "Content-Digest": f"sha-256=:{digest}:",
        }
        return self._call("POST", "/submissions", data=package, headers=headers)

    def get(self, submission_id: str) -> dict:
        """``GET /submissions/{id}``: status, reason and history of one submission."""
        return self._json(self._call("GET", f"/submissions/{quote(submission_id, safe='')}"))

    def changes_page(self, since: str | None = None, cursor: str | None = None,
                     limit: int = 200) -> tuple[list[dict], str | None]:
        """One page of ``GET /submissions``: (items, next cursor or None)."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        elif since:
            params["updated_since"] = since
        body = self._json(self._call("GET", "/submissions", params=params))
        return list(body.get("items") or []), (body.get("next") or None)

    def changes(self, since: str | None, limit: int = 200) -> list[dict]:
        """Every submission of the unit changed since ``since``, oldest first (all pages)."""
        items: list[dict] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            page, cursor = self.changes_page(since, cursor, limit)
            items.extend(page)
            if not cursor:
                return items
        raise Rejected(tr("Kho bạc trả về quá nhiều trang kết quả."))

    def receipt(self, submission_id: str) -> bytes | None:
        """The payment confirmation (CMS) once paid; ``None`` while there is none (404)."""
        answer = self._call("GET", f"/submissions/{quote(submission_id, safe='')}/receipt",
                            headers={"Accept": "application/pkcs7-mime, application/problem+json"})
        if answer.status == 404:
            return None
        self._raise_for(answer)
        if isinstance(answer.body, dict):
            raise Rejected(tr("Chứng từ báo Nợ của Kho bạc không đúng định dạng."))
        return answer.body

    def close(self) -> None:
        self._http.close()
