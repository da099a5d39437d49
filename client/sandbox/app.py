"""The training sandbox treasury: every endpoint of treasury-api.md under ``/api/v1``.

Built on ``core.Sandbox`` (state, processing, rules). Every package is checked
with the client's own ``signing.verify.verify_package(..., require_complete=True)``
plus the treasury's own rules (registered signers, both roles, the session's
unit). ``GET /api/v1/health`` carries the extension field ``"sandbox": true``
so that a client can tell a sandbox from the real treasury;
``GET /api/v1/openapi.json`` is the OpenAPI 3 document of the API;
``GET /api/v1/receipt-ca.pem`` the sandbox's own CA that signs payment receipts.

Every API request (not the admin endpoints, not the OpenAPI document, not the
trainer's page) first goes through the scenario in force (``scenarios``).

Registration and trainer endpoints live under ``/api/v1/_admin`` and answer
only to loopback clients; the trainer's page ``/trainer`` (``trainer``) asks
for the trainer's login and works from any PC of the classroom.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import socket
import sqlite3
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, request, url_for
from werkzeug.exceptions import HTTPException

from client.i18n import set_thread_language
from client.sandbox.core import (
    API_VERSION,
    IDEMPOTENCY_RETENTION,
    IN_PROGRESS_STALE,
    MAX_JSON,
    MAX_PACKAGE,
    ROLE_VN,
    ROLES,
    STATUS_TEXT,
    THROTTLE_FAILURES,
    THROTTLE_WINDOW,
    Sandbox,
    SandboxError,
    Transaction,
    der_from_text,
    hash_password,
    iso,
    parse_time,
    token_hash,
)
from client.sandbox.rules import RuleBook

log = logging.getLogger("client.sandbox")

PACKAGE_MEDIA_TYPE = "application/vnd.etsi.asic-e+zip"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")

TITLES = {
    "bad-request": "Yêu cầu không hợp lệ",
    "bad-credentials": "Sai mã đơn vị, tên đăng nhập hoặc mật khẩu",
    "too-many-attempts": "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau",
    "not-logged-in": "Chưa đăng nhập",
    "token-expired": "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
    "idempotency-key-missing": "Thiếu khóa chống gửi trùng (Idempotency-Key)",
    "digest-mismatch": "Mã băm nội dung không khớp (Content-Digest)",
    "not-a-package": "Tệp gửi lên không phải gói hồ sơ ASiC-E",
    "unit-mismatch": "Hồ sơ không thuộc đơn vị đang đăng nhập",
    "in-progress": "Hồ sơ với khóa này đang được xử lý, vui lòng thử lại sau",
    "too-large": "Dữ liệu gửi lên vượt quá dung lượng cho phép",
    "key-reused": "Khóa chống gửi trùng đã được dùng cho một gói hồ sơ khác",
    "invalid-package": "Hồ sơ không hợp lệ",
    "signature-invalid": "Chữ ký số không hợp lệ",
    "signer-not-registered": "Chứng thư số của người ký chưa được đăng ký với Kho bạc",
    "incomplete": "Hồ sơ chưa đủ chữ ký",
    "not-found": "Không tìm thấy",
    "receipt-not-ready": "Chưa có chứng từ báo Nợ (hồ sơ chưa được thanh toán)",
    "method-not-allowed": "Phương thức không được hỗ trợ",
    "unsupported-media-type": "Kiểu nội dung không được hỗ trợ",
    "forbidden": "Chỉ dùng được từ máy cục bộ",
    "final-status": "Không thể đổi trạng thái",
    "overloaded": "Hệ thống Kho bạc đang quá tải, vui lòng thử lại sau",
    "internal-error": "Lỗi máy chủ Kho bạc (sandbox)",
}


def _json(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/json", headers=headers or {})


def problem(status: int, code: str, detail: str | None = None, *,
            errors: list[dict] | None = None, headers: dict | None = None,
            title: str | None = None) -> Response:
    """An RFC 9457 problem+json answer with a Vietnamese title."""
    body: dict[str, Any] = {
        "type": f"https://kbnn.example/problems/{code}",
        "status": status,
        "code": code,
        "title": title or TITLES.get(code, TITLES["bad-request"]),
    }
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/problem+json", headers=headers or {})


class _Answer(Exception):
    """Raised inside a view to answer at once (a problem response)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class _Dropped(ConnectionError):
    """The scenario dropped this request's connection."""


def _drop_connection() -> bool:
    """Close the client's connection without an answer; False when there is no socket."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def create_app(data_dir: Path, *, advance: float = 5.0,
               accept_after: float | None = None, pay_after: float | None = None,
               units: Iterable[tuple[str, ...]] = (),
               signers: Iterable[tuple[str, str, bytes]] = (), trust: Iterable[bytes] = (),
               verifier: Callable[..., Any] | None = None,
               session_lifetime: float = 1800.0, scenario: str = "normal", seed: int = 1,
               trainer: tuple[str, str] | None = None, rules: Path | RuleBook | None = None,
               payment_orders: Iterable[tuple[str, str, int, str | None]] = (),
               clock: Callable[[], Any] | None = None,
               pose_as_treasury: bool = False) -> Flask:
    """The sandbox treasury as a Flask app.

    ``units``: (code, username, password[, name]); ``signers``: (unit_code, role,
    cert DER); ``trust``: DER trust anchors for package verification;
    ``payment_orders``: (unit_code, number, amount, date). All are stored in
    ``data_dir/sandbox.sqlite3`` (added to what is already there).
    ``advance`` is the seconds between automatic status moves (0: only by hand);
    ``accept_after``/``pay_after`` set each move apart. ``scenario`` is a spec
    such as ``"flaky:0.3"`` (see ``scenarios``), replayable with ``seed``.
    ``trainer``: (user, password) of the trainer's page (default: kept in the
    data folder, made up on first start). ``rules``: a rule file or book
    (default ``rules_vi.json``). ``clock()`` gives the current UTC time (tests).
    ``verifier(data, trust, require_complete=True)`` defaults to
    ``client.signing.verify.verify_package``. ``pose_as_treasury`` leaves the
    ``"sandbox": true`` mark out of ``/health``: only for testing a real (non-training)
    profile end to end, which refuses to talk to a server that says it is a sandbox.
    """
    book = rules if isinstance(rules, RuleBook) else RuleBook.load(rules)
    sb = Sandbox(Path(data_dir), advance=advance, accept_after=accept_after, pay_after=pay_after,
                 session_lifetime=session_lifetime, verifier=verifier, rules=book,
                 scenario=scenario, seed=seed, trainer=trainer, clock=clock)
    conn = sb.connect()
    try:
        with Transaction(conn):
            for unit in units:
                code, username, password = unit[0], unit[1], unit[2]
                sb.add_unit(conn, code, username, password, unit[3] if len(unit) > 3 else "")
            for unit_code, role, der in signers:
                sb.add_signer(conn, unit_code, role, bytes(der))
            for der in trust:
                sb.add_trust(conn, bytes(der))
            for unit_code, number, amount, date in payment_orders:
                sb.add_unit(conn, unit_code)
                sb.set_payment_order(conn, unit_code, number, amount, date)
    finally:
        conn.close()

    app = Flask(__name__)

    @app.before_request
    def _speak_vietnamese() -> None:
        # the treasury answers in Vietnamese, whatever language the client in this
        # process (training mode) shows; each request runs on its own thread
        set_thread_language("vi")

    @app.teardown_request
    def _follow_app_language(_exc: BaseException | None) -> None:
        set_thread_language(None)
    app.config["KBNN_SANDBOX"] = sb
    app.secret_key = sb.secret_key
    app.config.update(SESSION_COOKIE_NAME="kbnn_trainer", SESSION_COOKIE_SAMESITE="Strict",
                      SESSION_COOKIE_HTTPONLY=True)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    admin = Blueprint("admin", __name__, url_prefix="/api/v1/_admin")
    docs = Blueprint("docs", __name__, url_prefix="/api/v1")

    def db() -> sqlite3.Connection:
        if "sandbox_db" not in g:
            g.sandbox_db = sb.connect()
        return g.sandbox_db

    app.config["KBNN_DB"] = db

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        conn = g.pop("sandbox_db", None)
        if conn is not None:
            conn.close()

    @app.errorhandler(_Answer)
    def _answer(exc: _Answer) -> Response:
        return exc.response

    @app.errorhandler(SandboxError)
    def _refused(exc: SandboxError) -> Response:
        return problem(exc.status, exc.code, exc.detail)

    @app.errorhandler(_Dropped)
    def _dropped(_exc: _Dropped) -> Response:
        # The socket is already shut: writing this fails quietly in the server.
        return Response(status=503)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed", 413: "too-large",
                415: "unsupported-media-type"}.get(exc.code or 400, "bad-request")
        headers = {}
        allowed = getattr(exc, "valid_methods", None)
        if exc.code == 405 and allowed:  # RFC 9110: a 405 lists what is allowed
            headers["Allow"] = ", ".join(sorted(allowed))
        return problem(exc.code or 400, code, headers=headers)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("sandbox error")
        return problem(500, "internal-error", str(exc)[:200])

    # -- the scenario in force ------------------------------------------------------

    @api.before_request
    def _scenario() -> Response | None:
        who = request.headers.get("Authorization") or request.remote_addr or ""
        decision = sb.scenario.decide(hashlib.sha256(who.encode("utf-8", "replace")).hexdigest())
        if decision.action == "pass":
            return None
        if decision.action == "delay":
            time.sleep(decision.delay)
            return None
        if decision.action in ("503", "429"):
            return problem(int(decision.action), "overloaded",
                           f"Vui lòng thử lại sau {decision.retry_after} giây.",
                           headers={"Retry-After": str(decision.retry_after)})
        if decision.action == "drop-before":
            if _drop_connection():
                raise _Dropped()
            return problem(503, "overloaded", "Máy chủ Kho bạc tạm thời không phục vụ.",
                           headers={"Retry-After": str(max(1, decision.retry_after))})
        g.drop_after = True  # drop-after: do the work, lose the answer
        return None

    @api.after_request
    def _maybe_drop(response: Response) -> Response:
        if g.pop("drop_after", False) and _drop_connection():
            log.info("scenario %s: answer to %s %s dropped", sb.scenario.spec, request.method,
                     request.path)
        return response

    # -- helpers -----------------------------------------------------------------------

    def session() -> sqlite3.Row:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _Answer(problem(401, "not-logged-in", headers={"WWW-Authenticate": "Bearer"}))
        row = db().execute("SELECT * FROM sessions WHERE token_hash = ?",
                           (token_hash(auth[7:].strip()),)).fetchone()
        if row is None or row["revoked"]:
            raise _Answer(problem(401, "not-logged-in", headers={"WWW-Authenticate": "Bearer"}))
        if parse_time(row["expires_at"]) <= sb.now():
            raise _Answer(problem(
                401, "token-expired", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))
        return row

    def loopback_only() -> None:
        addr = request.remote_addr or ""
        if not (addr.startswith("127.") or addr == "::1"):
            raise _Answer(problem(403, "forbidden"))

    def body_json() -> dict:
        length = request.content_length
        if length is not None and length > MAX_JSON:
            raise _Answer(problem(413, "too-large", f"Nội dung JSON tối đa {MAX_JSON} byte."))
        raw = request.get_data(cache=True)
        if len(raw) > MAX_JSON:
            raise _Answer(problem(413, "too-large", f"Nội dung JSON tối đa {MAX_JSON} byte."))
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            raise _Answer(problem(400, "bad-request", "Nội dung yêu cầu phải là một đối tượng JSON."))
        return data

    # -- health and sessions ---------------------------------------------------------

    @api.get("/health")
    def health() -> Response:
        body = {"status": "ok", "time": iso(sb.now()), "api_version": API_VERSION}
        if not pose_as_treasury:
            body["sandbox"] = True
        return _json(body)

    @api.post("/sessions")
    def login() -> Response:
        data = body_json()
        unit_code, username, password = (data.get("unit_code"), data.get("username"),
                                         data.get("password"))
        if not all(isinstance(v, str) and v for v in (unit_code, username, password)):
            return problem(400, "bad-request", "Cần mã đơn vị, tên đăng nhập và mật khẩu.")
        conn = db()
        who = f"{unit_code}|{username.casefold()}"
        now = sb.now()
        with Transaction(conn):
            recent = conn.execute(
                "SELECT at FROM login_failures WHERE who = ? AND at > ? ORDER BY at",
                (who, iso(now - THROTTLE_WINDOW))).fetchall()
            if len(recent) >= THROTTLE_FAILURES:
                wait = parse_time(recent[-THROTTLE_FAILURES]["at"]) + THROTTLE_WINDOW - now
                seconds = max(1, int(wait.total_seconds()) + 1)
                return problem(429, "too-many-attempts",
                               f"Tài khoản {username} tạm khóa đăng nhập; thử lại sau "
                               f"{(seconds + 59) // 60} phút.",
                               headers={"Retry-After": str(seconds)})
            user = conn.execute("SELECT salt, pw_hash FROM users WHERE unit_code = ? AND username = ?",
                                (unit_code, username)).fetchone()
            ok = user is not None and hmac.compare_digest(
                hash_password(password, bytes(user["salt"])), bytes(user["pw_hash"]))
            if not ok:
                conn.execute("INSERT INTO login_failures (who, at) VALUES (?, ?)", (who, iso(now)))
                log.info("login refused for %s of unit %s", username, unit_code)
                return problem(401, "bad-credentials")
            conn.execute("DELETE FROM login_failures WHERE who = ?", (who,))
            token = secrets.token_urlsafe(32)
            expires = now + timedelta(seconds=sb.session_lifetime)
            conn.execute("INSERT INTO sessions (token_hash, unit_code, username, created_at,"
                         " expires_at) VALUES (?, ?, ?, ?, ?)",
                         (token_hash(token), unit_code, username, iso(now), iso(expires)))
        log.info("login %s of unit %s", username, unit_code)
        return _json({"token": token, "expires_at": iso(expires)}, 201)

    @api.delete("/sessions/current")
    def logout() -> Response:
        row = session()
        db().execute("UPDATE sessions SET revoked = 1 WHERE token_hash = ?", (row["token_hash"],))
        return Response(status=204)

    # -- signers ----------------------------------------------------------------------

    @api.get("/units/<code>/signers")
    def unit_signers(code: str) -> Response:
        s = session()
        if code != s["unit_code"]:
            return problem(403, "unit-mismatch",
                           f"Phiên đăng nhập thuộc đơn vị {s['unit_code']}, không phải {code}.")
        rows = db().execute("SELECT role, name, cert_sha256, not_after FROM signers"
                            " WHERE unit_code = ? AND withdrawn_at IS NULL ORDER BY role, id",
                            (code,)).fetchall()
        return _json({"signers": [
            {"role": r["role"], "name": r["name"], "certificate_sha256": r["cert_sha256"],
             "not_after": r["not_after"]} for r in rows]})

    # -- submissions --------------------------------------------------------------------

    def read_package() -> bytes:
        length = request.content_length
        if length is not None and length > MAX_PACKAGE:
            stream = request.stream
            while stream.read(1 << 20):  # drain so the client can read the answer
                pass
            raise _Answer(problem(413, "too-large",
                                  f"Gói hồ sơ {length} byte, tối đa {MAX_PACKAGE} byte (20 MiB)."))
        data = request.get_data(cache=False)
        if len(data) > MAX_PACKAGE:
            raise _Answer(problem(413, "too-large",
                                  f"Gói hồ sơ vượt quá {MAX_PACKAGE} byte (20 MiB)."))
        return data

    def check_digest(data: bytes) -> None:
        header = request.headers.get("Content-Digest", "")
        expected = None
        for item in header.split(","):
            name, _, value = item.strip().partition("=")
            if name.strip().lower() == "sha-256" and value.startswith(":") and value.endswith(":"):
                try:
                    expected = base64.b64decode(value[1:-1], validate=True)
                except (binascii.Error, ValueError):
                    expected = b""
        if expected is None:
            raise _Answer(problem(400, "digest-mismatch",
                                  "Thiếu tiêu đề Content-Digest (sha-256) của gói hồ sơ."))
        if not hmac.compare_digest(expected, hashlib.sha256(data).digest()):
            raise _Answer(problem(400, "digest-mismatch",
                                  "Gói hồ sơ nhận được khác với mã băm gửi kèm; "
                                  "có thể đã bị hỏng trên đường truyền."))

    def check_media_type() -> None:
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != PACKAGE_MEDIA_TYPE:
            raise _Answer(problem(400, "not-a-package",
                                  f"Content-Type phải là {PACKAGE_MEDIA_TYPE}"
                                  + (f", không phải {ctype}." if ctype else ".")))

    def claim_key(unit_code: str, key: str, sha: str) -> Response | None:
        """Idempotency: an answer to give now, or None when this request may go on."""
        conn = db()
        now = sb.now()
        with Transaction(conn):
            conn.execute("DELETE FROM idempotency WHERE state = 'done' AND created_at < ?",
                         (iso(now - IDEMPOTENCY_RETENTION),))
            row = conn.execute("SELECT * FROM idempotency WHERE unit_code = ? AND key = ?",
                               (unit_code, key)).fetchone()
            if row is not None:
                if row["package_sha256"] != sha:
                    return problem(422, "key-reused",
                                   "Khóa này đã được dùng cho một gói hồ sơ khác; "
                                   "mỗi gói hồ sơ cần một khóa riêng.",
                                   errors=[{"code": "key-reused", "where": "Idempotency-Key",
                                            "message": TITLES["key-reused"]}])
                if row["state"] == "done":
                    body = json.loads(row["body"])
                    return _json(body, 200, {"Location": url_for(
                        "api.get_submission", sid=body["id"], _external=True)})
                if parse_time(row["created_at"]) > now - IN_PROGRESS_STALE:
                    return problem(409, "in-progress", headers={"Retry-After": "2"})
                conn.execute("UPDATE idempotency SET created_at = ? WHERE unit_code = ? AND key = ?",
                             (iso(now), unit_code, key))
            else:
                conn.execute("INSERT INTO idempotency (unit_code, key, package_sha256, state,"
                             " created_at) VALUES (?, ?, ?, 'processing', ?)",
                             (unit_code, key, sha, iso(now)))
        return None

    def release_key(unit_code: str, key: str) -> None:
        db().execute("DELETE FROM idempotency WHERE unit_code = ? AND key = ? AND state = 'processing'",
                     (unit_code, key))

    def check_package(unit_code: str, data: bytes) -> tuple[dict, list[dict]]:
        """Verify; return the parsed document and its signers, or raise an answer (400/403/422)."""
        if not data.startswith(b"PK") or not zipfile.is_zipfile(io.BytesIO(data)):
            raise _Answer(problem(400, "not-a-package",
                                  "Nội dung gửi lên không phải tệp ZIP/ASiC-E."))
        trust = [bytes(r["der"]) for r in db().execute("SELECT der FROM trust").fetchall()]
        report = sb.verifier(data, trust, require_complete=True)
        document = getattr(report, "document", None)
        doc_unit = None
        if isinstance(document, dict) and isinstance(document.get("unit"), dict):
            doc_unit = document["unit"].get("code")
        if doc_unit is not None and doc_unit != unit_code:
            raise _Answer(problem(403, "unit-mismatch",
                                  f"Hồ sơ của đơn vị {doc_unit}, phiên đăng nhập thuộc đơn vị "
                                  f"{unit_code}."))
        errors = [{"code": p.code, "where": p.where, "message": p.message}
                  for p in getattr(report, "problems", []) if getattr(p, "severity", "error") == "error"]
        registered = sb.registered(db(), unit_code)
        signers = []
        for sig in getattr(report, "signatures", []) or []:
            role = getattr(sig, "role", None)
            sha = (getattr(sig, "cert_sha256", None) or "").lower()
            who = getattr(sig, "signer_name", None) or sha[:16]
            where = str(getattr(sig, "file", "") or "")
            signers.append({"role": role, "cert_sha256": sha, "name": who, "file": where})
            if (role, sha) not in registered:
                errors.append({
                    "code": "signer-not-registered", "where": where,
                    "message": f"Chứng thư số của {ROLE_VN.get(role, role or 'người ký')} "
                               f"({who}) chưa được đăng ký với Kho bạc cho đơn vị {unit_code}."})
        if not getattr(report, "complete", False) and not any(
                e["code"] == "incomplete" for e in errors):
            errors.append({"code": "incomplete", "where": "META-INF",
                           "message": "Hồ sơ cần đủ chữ ký của Kế toán trưởng và Thủ trưởng "
                                      "đơn vị, theo đúng thứ tự."})
        if not getattr(report, "valid", False) and not errors:
            errors.append({"code": "invalid-package", "where": "",
                           "message": TITLES["invalid-package"]})
        if errors:
            first = errors[0]["code"]
            title = TITLES.get(first, TITLES["invalid-package"]) if len(
                {e["code"] for e in errors}) == 1 else TITLES["invalid-package"]
            detail = errors[0]["message"] if len(errors) == 1 else (
                f"Hồ sơ có {len(errors)} lỗi: "
                + "; ".join(e["message"].rstrip(".") for e in errors[:3])
                + ("; …" if len(errors) > 3 else "."))
            raise _Answer(problem(422, first, detail, errors=errors, title=title))
        if not isinstance(document, dict):
            raise _Answer(problem(422, "invalid-package", "Không đọc được document.json.",
                                  errors=[{"code": "invalid-package", "where": "document.json",
                                           "message": "Không đọc được document.json."}]))
        return document, signers

    @api.post("/submissions")
    def submit() -> Response:
        s = session()
        unit_code = s["unit_code"]
        data = read_package()
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return problem(400, "idempotency-key-missing",
                           "Mỗi lần gửi cần tiêu đề Idempotency-Key (UUID) riêng cho gói hồ sơ.")
        if len(key) > 200:
            return problem(400, "bad-request", "Idempotency-Key quá dài (tối đa 200 ký tự).")
        check_digest(data)
        check_media_type()
        sha = hashlib.sha256(data).hexdigest()
        early = claim_key(unit_code, key, sha)
        if early is not None:
            return early
        try:
            document, signers = check_package(unit_code, data)
        except BaseException:
            release_key(unit_code, key)
            raise
        sid = str(uuid.uuid4())
        now = iso(sb.now())
        total = document.get("total")
        body = {
            "id": sid, "status": "received", "received_at": now, "package_sha256": sha,
            "document": {"kind": str(document.get("kind") or ""),
                         "number": str(document.get("number") or ""),
                         "total": total if isinstance(total, int) and not isinstance(total, bool)
                         else 0},
        }
        conn = db()
        try:
            with Transaction(conn):
                conn.execute(
                    "INSERT INTO submissions (id, unit_code, idempotency_key, package, package_sha256,"
                    " kind, number, total, status, received_at, updated_at, signers_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
                    (sid, unit_code, key, data, sha, body["document"]["kind"],
                     body["document"]["number"], body["document"]["total"], now, now,
                     json.dumps(signers, ensure_ascii=False)))
                conn.execute("INSERT INTO history (submission_id, status, at, note)"
                             " VALUES (?, 'received', ?, NULL)", (sid, now))
                conn.execute("UPDATE idempotency SET state = 'done', status_code = 201, body = ?"
                             " WHERE unit_code = ? AND key = ?",
                             (json.dumps(body, ensure_ascii=False), unit_code, key))
        except BaseException:
            release_key(unit_code, key)
            raise
        log.info("submission %s received from unit %s", sid, unit_code)
        return _json(body, 201, {"Location": url_for("api.get_submission", sid=sid,
                                                     _external=True)})

    def own_submission(sid: str, unit_code: str) -> sqlite3.Row:
        conn = db()
        sb.materialise_all(conn, unit_code)
        row = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
        if row is None or row["unit_code"] != unit_code:
            raise _Answer(problem(404, "not-found", "Không tìm thấy hồ sơ với mã này."))
        return row

    @api.get("/submissions/<sid>")
    def get_submission(sid: str) -> Response:
        s = session()
        own_submission(sid, s["unit_code"])
        return _json(sb.record(db(), sid))

    @api.get("/submissions")
    def list_submissions() -> Response:
        s = session()
        unit_code = s["unit_code"]
        try:
            limit = int(request.args.get("limit", "100"))
        except ValueError:
            return problem(400, "bad-request", "limit phải là số nguyên 1–500.")
        if not 1 <= limit <= 500:
            return problem(400, "bad-request", "limit phải là số nguyên 1–500.")
        since = ""
        after: tuple[str, int] = ("", 0)
        cursor = request.args.get("cursor")
        try:
            if cursor is not None:
                c = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
                if not isinstance(c, dict) or c.get("u") != unit_code:
                    raise ValueError("cursor of another unit")
                since, after = str(c["s"]), (str(c["a"]), int(c["i"]))
            elif "updated_since" in request.args:
                text = request.args["updated_since"]
                if not RFC3339.match(text):
                    raise ValueError("not an RFC 3339 time with offset")
                since = iso(parse_time(text))
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error, UnicodeError):
            return problem(400, "bad-request", "updated_since hoặc cursor không hợp lệ.")
        conn = db()
        sb.materialise_all(conn, unit_code)
        rows = conn.execute(
            "SELECT id, seq, updated_at FROM submissions WHERE unit_code = ? AND updated_at >= ?"
            " AND (updated_at > ? OR (updated_at = ? AND seq > ?))"
            " ORDER BY updated_at, seq LIMIT ?",
            (unit_code, since, after[0], after[0], after[1], limit + 1)).fetchall()
        page = rows[:limit]
        nxt = None
        if len(rows) > limit:
            last = page[-1]
            nxt = base64.urlsafe_b64encode(json.dumps(
                {"u": unit_code, "s": since, "a": last["updated_at"], "i": last["seq"]}
            ).encode("ascii")).decode("ascii")
        return _json({"items": [sb.record(conn, r["id"]) for r in page], "next": nxt})

    @api.get("/submissions/<sid>/receipt")
    def receipt(sid: str) -> Response:
        s = session()
        row = own_submission(sid, s["unit_code"])
        if row["status"] != "paid":
            return problem(404, "receipt-not-ready",
                           f"Hồ sơ đang ở trạng thái «{STATUS_TEXT[row['status']]}».")
        data = row["receipt"]
        if data is None:
            conn = db()
            with Transaction(conn):
                again = conn.execute("SELECT receipt FROM submissions WHERE id = ?", (sid,)).fetchone()
                data = again["receipt"]
                if data is None:
                    data = sb.make_receipt(conn, row)
                    conn.execute("UPDATE submissions SET receipt = ? WHERE id = ?", (data, sid))
        return Response(bytes(data), 200, mimetype="application/pkcs7-mime",
                        headers={"Content-Disposition": f'attachment; filename="bao-no-{sid}.p7m"'})

    # -- the OpenAPI document ---------------------------------------------------------------

    @docs.get("/openapi.json")
    def openapi() -> Response:
        from client.sandbox.openapi import openapi_document

        return _json(openapi_document(request.host_url.rstrip("/") + "/api/v1"))

    @docs.get("/receipt-ca.pem")
    def receipt_ca() -> Response:
        """The sandbox's own CA, under which every payment receipt (báo Nợ) is signed."""
        from cryptography.hazmat.primitives import serialization

        return Response(sb.receipt_ca.public_bytes(serialization.Encoding.PEM), 200,
                        mimetype="application/x-pem-file")

    # -- registration and trainer actions (loopback only) ------------------------------

    @admin.before_request
    def _admin_loopback() -> None:
        loopback_only()

    @admin.post("/units")
    def admin_unit() -> Response:
        data = body_json()
        code, username, password = data.get("code"), data.get("username"), data.get("password")
        if not (isinstance(code, str) and code.isdigit() and len(code) == 7):
            return problem(400, "bad-request", "Mã đơn vị (code) phải gồm đúng 7 chữ số.")
        if username is not None and not (isinstance(username, str) and isinstance(password, str)):
            return problem(400, "bad-request", "Cần cả tên đăng nhập và mật khẩu.")
        with Transaction(db()) as conn:
            sb.add_unit(conn, code, username, password, str(data.get("name") or ""))
        return _json({"code": code, "username": username}, 201)

    @admin.post("/signers")
    def admin_signer() -> Response:
        data = body_json()
        unit_code, role, cert = data.get("unit_code"), data.get("role"), data.get("certificate")
        if not (isinstance(unit_code, str) and role in ROLES and isinstance(cert, str)):
            return problem(400, "bad-request", "Cần unit_code, role (chief-accountant hoặc "
                                               "head-of-unit) và certificate (DER base64 hoặc PEM).")
        try:
            der = der_from_text(cert)
        except (ValueError, binascii.Error) as exc:
            return problem(400, "bad-request", f"Chứng thư số không đọc được: {exc}")
        with Transaction(db()) as conn:
            entry = sb.add_signer(conn, unit_code, role, der, data.get("name"))
        return _json(entry, 201)

    @admin.post("/signers/withdraw")
    def admin_withdraw_signer() -> Response:
        data = body_json()
        unit_code, sha = data.get("unit_code"), data.get("certificate_sha256")
        if not (isinstance(unit_code, str) and isinstance(sha, str)):
            return problem(400, "bad-request", "Cần unit_code và certificate_sha256.")
        with Transaction(db()) as conn:
            changed = sb.withdraw_signer(conn, unit_code, sha, data.get("role"))
        if not changed:
            return problem(404, "not-found", "Không có đăng ký chữ ký nào như vậy.")
        return _json({"withdrawn": changed})

    @admin.post("/trust")
    def admin_trust() -> Response:
        data = body_json()
        try:
            der = der_from_text(str(data.get("certificate") or ""))
        except (ValueError, binascii.Error) as exc:
            return problem(400, "bad-request", f"Chứng thư số không đọc được: {exc}")
        sb.add_trust(db(), der)
        return _json({"sha256": hashlib.sha256(der).hexdigest()}, 201)

    @admin.post("/sessions/expire")
    def admin_expire_sessions() -> Response:
        now = iso(sb.now())
        db().execute("UPDATE sessions SET expires_at = ? WHERE revoked = 0 AND expires_at > ?",
                     (now, now))
        return Response(status=204)

    @admin.post("/submissions/<sid>/status")
    def admin_status(sid: str) -> Response:
        data = body_json()
        return _json(sb.set_status(db(), sid, str(data.get("status") or ""),
                                   data.get("reason") if isinstance(data.get("reason"), str) else None,
                                   who="admin"))

    @admin.get("/submissions")
    def admin_submissions() -> Response:
        return _json({"items": sb.overview(db())})

    @admin.get("/scenario")
    def admin_get_scenario() -> Response:
        return _json(sb.scenario.to_json())

    @admin.post("/scenario")
    def admin_set_scenario() -> Response:
        data = body_json()
        return _json(sb.set_scenario(str(data.get("scenario") or data.get("name") or ""),
                                     data.get("seed")))

    @admin.post("/delays")
    def admin_delays() -> Response:
        data = body_json()
        return _json(sb.set_delays(data.get("accept_after"), data.get("pay_after")))

    @admin.post("/payment-orders")
    def admin_payment_order() -> Response:
        data = body_json()
        unit_code = data.get("unit_code")
        if not isinstance(unit_code, str):
            return problem(400, "bad-request", "Cần unit_code.")
        with Transaction(db()) as conn:
            entry = sb.set_payment_order(conn, unit_code, data.get("number"), data.get("amount"),
                                         data.get("date"))
        return _json(entry, 201)

    @admin.get("/payment-orders")
    def admin_payment_orders() -> Response:
        return _json({"items": sb.payment_orders(db(), request.args.get("unit_code"))})

    @admin.post("/blocked-accounts")
    def admin_block() -> Response:
        data = body_json()
        with Transaction(db()) as conn:
            entry = sb.block_account(conn, str(data.get("account") or ""), str(data.get("note") or ""))
        return _json(entry, 201)

    @admin.delete("/blocked-accounts/<account>")
    def admin_unblock(account: str) -> Response:
        if not sb.unblock_account(db(), account):
            return problem(404, "not-found", "Tài khoản không có trong danh sách.")
        return Response(status=204)

    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.register_blueprint(docs)
    from client.sandbox.trainer import trainer_blueprint

    app.register_blueprint(trainer_blueprint(sb, db))
    return app
