"""The treasury submission API client (treasury-api.md, version 1).

One ``requests.Session`` with explicit (connect, read) timeouts on every
call. TLS is always verified: against the operating system's trust store
plus the CA file treasury IT may configure (never ``verify=False``).

The session token lives in memory only. A ``401`` on any call means "log in
again": the client asks ``password()`` (normally the OS keyring), logs in
once more and repeats the call once. Neither the password nor the token is
ever logged.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import platform
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from client import __version__
from client.errors import KbnnError, Problem, Rejected, Unreachable

log = logging.getLogger(__name__)

PACKAGE_MEDIA_TYPE = "application/vnd.etsi.asic-e+zip"
MAX_PAGES = 10_000


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
    return f"Kho bạc trả lời lỗi HTTP {status}."


class _TrustAdapter(HTTPAdapter):
    """HTTPS adapter whose SSL context trusts the OS store plus an optional CA file."""

    def __init__(self, ca_file: str | None) -> None:
        self._ctx = ssl.create_default_context()  # OS trust store, verification on
        if ca_file:
            self._ctx.load_verify_locations(cafile=ca_file)
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ctx
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs.setdefault("ssl_context", self._ctx)
        return super().proxy_manager_for(proxy, **proxy_kwargs)


class TreasuryClient:
    """Client of one treasury API base URL, logged in as one user of one unit."""

    def __init__(self, base_url: str, *, unit_code: str, username: str,
                 password: Callable[[], str | None], ca_file: str | None = None,
                 timeout: tuple[float, float] = (5.0, 30.0), proxies: dict | None = None,
                 client_info: dict | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.unit_code = unit_code
        self.username = username
        self._password = password
        self.ca_file = ca_file
        self.timeout = timeout
        self.client_info = client_info or {
            "name": "kbnn-client", "version": __version__, "machine": platform.node(),
        }
        self._token: str | None = None
        self.token_expires_at: str | None = None
        self._http = requests.Session()
        self._http.verify = True
        self._http.headers["User-Agent"] = f"kbnn-client/{__version__}"
        self._http.headers["Accept"] = "application/json, application/problem+json"
        self._http.mount("https://", _TrustAdapter(ca_file))
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

    def _raw(self, method: str, path: str, *, auth: bool, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            resp = self._http.request(method, self._url(path), headers=headers,
                                      timeout=self.timeout, allow_redirects=False, **kwargs)
        except requests.exceptions.SSLError as exc:
            log.warning("%s %s: TLS error %s", method, path, type(exc).__name__)
            raise Unreachable(
                "Không xác thực được chứng chỉ bảo mật (TLS) của máy chủ Kho bạc. "
                "Kiểm tra địa chỉ máy chủ và tệp CA do Kho bạc cung cấp.",
                [Problem("tls-error", str(exc)[:300])],
            ) from exc
        except requests.exceptions.Timeout as exc:
            log.warning("%s %s: timeout", method, path)
            raise Unreachable("Máy chủ Kho bạc không trả lời kịp (hết thời gian chờ).",
                              [Problem("timeout", str(exc)[:300])]) from exc
        except (requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError) as exc:
            log.warning("%s %s: connection error %s", method, path, type(exc).__name__)
            raise Unreachable("Không kết nối được với máy chủ Kho bạc.",
                              [Problem("connection-error", str(exc)[:300])]) from exc
        log.info("%s %s -> %s", method, path, resp.status_code)
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

    def _call(self, method: str, path: str, **kwargs: Any) -> ApiAnswer:
        """An authenticated call; logs in first if needed and again once after a 401."""
        if self._token is None:
            self.login()
        answer = self._answer(self._raw(method, path, auth=True, **kwargs))
        if answer.status == 401:
            log.info("%s %s: session refused (%s), logging in again", method, path, answer.code)
            self._token = None
            self.login()
            answer = self._answer(self._raw(method, path, auth=True, **kwargs))
        return answer

    def _raise_for(self, answer: ApiAnswer) -> None:
        if answer.ok:
            return
        message = problem_message(answer.body, answer.status)
        problems = problems_of(answer.body)
        if answer.status == 401:
            raise AuthError(message, problems, code=answer.code or "not-logged-in")
        if answer.status in (429, 502, 503, 504):
            raise Unreachable(message, problems)
        err = Rejected(message, problems)
        err.code = answer.code  # type: ignore[attr-defined]
        err.status = answer.status  # type: ignore[attr-defined]
        raise err

    def _json(self, answer: ApiAnswer) -> dict:
        self._raise_for(answer)
        if not isinstance(answer.body, dict):
            raise Rejected(f"Kho bạc trả lời không đúng định dạng (HTTP {answer.status}).")
        return answer.body

    # -- API ----------------------------------------------------------------------

    def login(self) -> None:
        """``POST /sessions``; the token is kept in memory only."""
        password = self._password()
        if not password:
            raise AuthError("Chưa có mật khẩu đăng nhập Kho bạc cho tài khoản "
                            f"{self.username} (đơn vị {self.unit_code}).", code="no-password")
        body = {"unit_code": self.unit_code, "username": self.username, "password": password,
                "client": self.client_info}
        del password
        answer = self._answer(self._raw("POST", "/sessions", auth=False, json=body))
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
        raise Rejected(f"Kho bạc trả lời không đúng định dạng khi đăng nhập (HTTP {answer.status}).")

    def logout(self) -> None:
        """``DELETE /sessions/current``; forgets the token even if the call fails."""
        if self._token is None:
            return
        try:
            self._raw("DELETE", "/sessions/current", auth=True)
        except Unreachable:
            pass
        finally:
            self._token = None
            self.token_expires_at = None

    def health(self) -> dict:
        """``GET /health`` (no login)."""
        return self._json(self._answer(self._raw("GET", "/health", auth=False)))

    def signers(self, unit_code: str | None = None) -> list[dict]:
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
        return self._json(self._call("GET", f"/submissions/{quote(submission_id, safe='')}"))

    def changes(self, since: str | None, limit: int = 200) -> list[dict]:
        """Every submission of the unit changed since ``since``, oldest first (all pages)."""
        items: list[dict] = []
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["updated_since"] = since
        for _ in range(MAX_PAGES):
            body = self._json(self._call("GET", "/submissions", params=params))
            items.extend(body.get("items") or [])
            cursor = body.get("next")
            if not cursor:
                return items
            params = {"limit": limit, "cursor": cursor}
        raise Rejected("Kho bạc trả về quá nhiều trang kết quả.")

    def receipt(self, submission_id: str) -> bytes | None:
        """The payment confirmation (CMS) once paid; ``None`` while there is none (404)."""
        answer = self._call("GET", f"/submissions/{quote(submission_id, safe='')}/receipt",
                            headers={"Accept": "application/pkcs7-mime, application/problem+json"})
        if answer.status == 404:
            return None
        self._raise_for(answer)
        if isinstance(answer.body, dict):
            raise Rejected("Chứng từ báo Nợ của Kho bạc không đúng định dạng.")
        return answer.body

    def close(self) -> None:
        self._http.close()
