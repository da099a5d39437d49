"""The training sandbox treasury: every endpoint of treasury-api.md under ``/api/v1``.

A Flask app over its own SQLite file (``data_dir/sandbox.sqlite3``), so units,
signers, sessions, submissions, their history and idempotency keys survive a
restart. Every package is checked with the client's own
``signing.verify.verify_package(..., require_complete=True)`` plus the
treasury's own rules (registered signers, both roles, the session's unit).

Statuses move ``received → accepted → paid``, ``advance`` seconds each
(0 = only by trainer action). The move is computed lazily on every read from
the time of the last change and written down with the time it happened, so a
status is the same whenever and however often it is read.

Trainer and registration endpoints live under ``/api/v1/_admin`` and answer
only to loopback clients.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import json
import logging
import secrets
import sqlite3
import uuid
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from flask import Blueprint, Flask, Response, g, request, url_for
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

API_VERSION = "1"
MAX_PACKAGE = 20 * 1024 * 1024
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
IN_PROGRESS_STALE = timedelta(minutes=10)
ROLES = ("chief-accountant", "head-of-unit")
ROLE_VN = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
STATUS_TEXT = {
    "received": "Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}
FINAL = ("rejected", "paid")
PBKDF2_ROUNDS = 50_000

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
    "too-large": "Gói hồ sơ vượt quá dung lượng cho phép (20 MiB)",
    "key-reused": "Khóa chống gửi trùng đã được dùng cho một gói hồ sơ khác",
    "invalid-package": "Hồ sơ không hợp lệ",
    "signature-invalid": "Chữ ký số không hợp lệ",
    "signer-not-registered": "Chứng thư số của người ký chưa được đăng ký với Kho bạc",
    "incomplete": "Hồ sơ chưa đủ chữ ký",
    "not-found": "Không tìm thấy",
    "receipt-not-ready": "Chưa có chứng từ báo Nợ (hồ sơ chưa được thanh toán)",
    "method-not-allowed": "Phương thức không được hỗ trợ",
    "forbidden": "Chỉ dùng được từ máy cục bộ",
    "internal-error": "Lỗi máy chủ Kho bạc (sandbox)",
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS users (
    unit_code TEXT NOT NULL REFERENCES units(code),
    username  TEXT NOT NULL,
    salt      BLOB NOT NULL,
    pw_hash   BLOB NOT NULL,
    PRIMARY KEY (unit_code, username)
);
CREATE TABLE IF NOT EXISTS signers (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL REFERENCES units(code),
    role        TEXT NOT NULL,
    cert_sha256 TEXT NOT NULL,
    name        TEXT NOT NULL,
    not_after   TEXT NOT NULL,
    cert_der    BLOB NOT NULL,
    UNIQUE (unit_code, role, cert_sha256)
);
CREATE TABLE IF NOT EXISTS trust (
    sha256 TEXT PRIMARY KEY,
    der    BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    id  INTEGER PRIMARY KEY,
    who TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_who ON login_failures(who, at);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    unit_code  TEXT NOT NULL,
    username   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS submissions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    unit_code       TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    package         BLOB NOT NULL,
    package_sha256  TEXT NOT NULL,
    kind            TEXT NOT NULL,
    number          TEXT NOT NULL,
    total           INTEGER NOT NULL,
    status          TEXT NOT NULL,
    reason          TEXT,
    received_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    receipt         BLOB
);
CREATE INDEX IF NOT EXISTS submissions_changes ON submissions(unit_code, updated_at, seq);
CREATE TABLE IF NOT EXISTS history (
    id            INTEGER PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    status        TEXT NOT NULL,
    at            TEXT NOT NULL,
    note          TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    unit_code      TEXT NOT NULL,
    key            TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    state          TEXT NOT NULL,
    status_code    INTEGER,
    body           TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (unit_code, key)
);
"""


# -- small helpers -----------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ROUNDS)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


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


def _cert_facts(der: bytes) -> tuple[str, str, str]:
    """(sha256 hex, holder name, not_after) of a DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(cns[0].value) if cns else cert.subject.rfc4514_string()
    return hashlib.sha256(der).hexdigest(), name, _iso(cert.not_valid_after_utc)


def _der_from_text(value: str) -> bytes:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(value.encode("ascii")).public_bytes(
            serialization.Encoding.DER)
    return base64.b64decode(value, validate=True)


def _default_verifier(data: bytes, trust: list[bytes], *, require_complete: bool = False) -> Any:
    from client.signing.verify import verify_package

    return verify_package(data, trust, require_complete=require_complete)


# -- the app -------------------------------------------------------------------------

class _Sandbox:
    def __init__(self, data_dir: Path, advance: float, session_lifetime: float,
                 verifier: Callable[..., Any] | None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "sandbox.sqlite3"
        self.advance = advance + 0.0  # seconds (not money)
        self.session_lifetime = session_lifetime + 0.0
        self.verifier = verifier or _default_verifier
        conn = self.connect()
        try:
            conn.executescript(SCHEMA)
        finally:
            conn.close()
        self.receipt_key, self.receipt_cert = self._receipt_signer()

    # storage
    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.db_path), timeout=10, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _receipt_signer(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key_path = self.data_dir / "receipt-key.pem"
        cert_path = self.data_dir / "receipt-cert.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return key, cert
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kho bạc Nhà nước (sandbox đào tạo)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "KBNN Sandbox - Chứng từ báo Nợ"),
        ])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256())
        )
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    # registration (also used by the admin endpoints)
    def add_unit(self, conn: sqlite3.Connection, code: str, username: str | None = None,
                 password: str | None = None, name: str = "") -> None:
        conn.execute("INSERT INTO units (code, name) VALUES (?, ?) ON CONFLICT(code) DO UPDATE"
                     " SET name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END",
                     (code, name))
        if username and password is not None:
            salt = secrets.token_bytes(16)
            conn.execute(
                "INSERT INTO users (unit_code, username, salt, pw_hash) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(unit_code, username) DO UPDATE SET salt = excluded.salt,"
                " pw_hash = excluded.pw_hash",
                (code, username, salt, _hash_password(password, salt)))

    def add_signer(self, conn: sqlite3.Connection, unit_code: str, role: str, der: bytes,
                   name: str | None = None) -> dict:
        if role not in ROLES:
            raise ValueError(f"vai trò không hợp lệ: {role}")
        sha, holder, not_after = _cert_facts(der)
        self.add_unit(conn, unit_code)
        conn.execute(
            "INSERT INTO signers (unit_code, role, cert_sha256, name, not_after, cert_der)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(unit_code, role, cert_sha256) DO UPDATE"
            " SET name = excluded.name",
            (unit_code, role, sha, name or holder, not_after, der))
        return {"role": role, "name": name or holder, "certificate_sha256": sha,
                "not_after": not_after}

    def add_trust(self, conn: sqlite3.Connection, der: bytes) -> None:
        conn.execute("INSERT OR IGNORE INTO trust (sha256, der) VALUES (?, ?)",
                     (hashlib.sha256(der).hexdigest(), der))

    # statuses
    def materialise(self, conn: sqlite3.Connection, row: sqlite3.Row, now: datetime) -> bool:
        """Write down the automatic moves due by ``now``; True if any."""
        if self.advance <= 0 or row["status"] in FINAL:
            return False
        status, at = row["status"], _parse(row["updated_at"])
        step = timedelta(seconds=self.advance)
        moved = False
        while status in ("received", "accepted") and at + step <= now:
            at += step
            status = "accepted" if status == "received" else "paid"
            conn.execute("INSERT INTO history (submission_id, status, at, note) VALUES (?, ?, ?, NULL)",
                         (row["id"], status, _iso(at)))
            moved = True
        if moved:
            conn.execute("UPDATE submissions SET status = ?, updated_at = ? WHERE id = ?",
                         (status, _iso(at), row["id"]))
        return moved

    def materialise_unit(self, conn: sqlite3.Connection, unit_code: str) -> None:
        if self.advance <= 0:
            return
        now = _now()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for row in conn.execute(
                    "SELECT id, status, updated_at FROM submissions WHERE unit_code = ?"
                    " AND status NOT IN ('rejected', 'paid')", (unit_code,)).fetchall():
                self.materialise(conn, row, now)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def record(self, conn: sqlite3.Connection, sid: str) -> dict | None:
        r = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
        if r is None:
            return None
        hist = conn.execute("SELECT status, at, note FROM history WHERE submission_id = ?"
                            " ORDER BY at, id", (sid,)).fetchall()
        return {
            "id": r["id"], "status": r["status"], "status_text": STATUS_TEXT[r["status"]],
            "reason": r["reason"], "updated_at": r["updated_at"],
            "history": [{"status": h["status"], "at": h["at"], "note": h["note"]} for h in hist],
            "document": {"kind": r["kind"], "number": r["number"], "total": r["total"]},
        }

    def make_receipt(self, conn: sqlite3.Connection, row: sqlite3.Row) -> bytes:
        rec = self.record(conn, row["id"]) or {}
        paid_at = next((h["at"] for h in rec.get("history", []) if h["status"] == "paid"),
                       row["updated_at"])
        content = {
            "type": "kbnn-payment-confirmation/1",
            "title": "Chứng từ báo Nợ",
            "issued_by": "Kho bạc Nhà nước (sandbox đào tạo)",
            "id": row["id"], "unit_code": row["unit_code"],
            "status": "paid", "status_text": STATUS_TEXT["paid"], "paid_at": paid_at,
            "received_at": row["received_at"], "package_sha256": row["package_sha256"],
            "document": rec.get("document"), "history": rec.get("history"),
        }
        data = json.dumps(content, ensure_ascii=False, indent=2).encode("utf-8")
        return (pkcs7.PKCS7SignatureBuilder().set_data(data)
                .add_signer(self.receipt_cert, self.receipt_key, hashes.SHA256())
                .sign(serialization.Encoding.DER, []))


def create_app(data_dir: Path, *, advance: float = 5.0,
               units: Iterable[tuple[str, str, str]] = (),
               signers: Iterable[tuple[str, str, bytes]] = (), trust: Iterable[bytes] = (),
               verifier: Callable[..., Any] | None = None,
               session_lifetime: float = 1800.0) -> Flask:
    """The sandbox treasury as a Flask app.

    ``units``: (code, username, password); ``signers``: (unit_code, role, cert DER);
    ``trust``: DER trust anchors for package verification. All are stored in
    ``data_dir/sandbox.sqlite3`` (added to what is already there).
    ``verifier(data, trust, require_complete=True)`` defaults to
    ``client.signing.verify.verify_package``.
    """
    sb = _Sandbox(Path(data_dir), advance, session_lifetime, verifier)
    conn = sb.connect()
    try:
        conn.execute("BEGIN IMMEDIATE")
        for code, username, password in units:
            sb.add_unit(conn, code, username, password)
        for unit_code, role, der in signers:
            sb.add_signer(conn, unit_code, role, bytes(der))
        for der in trust:
            sb.add_trust(conn, bytes(der))
        conn.execute("COMMIT")
    finally:
        conn.close()

    app = Flask(__name__)
    app.config["KBNN_SANDBOX"] = sb
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    api = Blueprint("api", __name__, url_prefix="/api/v1")

    def db() -> sqlite3.Connection:
        if "sandbox_db" not in g:
            g.sandbox_db = sb.connect()
        return g.sandbox_db

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        conn = g.pop("sandbox_db", None)
        if conn is not None:
            conn.close()

    @app.errorhandler(_Answer)
    def _answer(exc: _Answer) -> Response:
        return exc.response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
            exc.code or 400, "bad-request")
        return problem(exc.code or 400, code)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("sandbox error")
        return problem(500, "internal-error", str(exc)[:200])

    def session() -> sqlite3.Row:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise _Answer(problem(401, "not-logged-in", headers={"WWW-Authenticate": "Bearer"}))
        row = db().execute("SELECT * FROM sessions WHERE token_hash = ?",
                           (_token_hash(auth[7:].strip()),)).fetchone()
        if row is None or row["revoked"]:
            raise _Answer(problem(401, "not-logged-in", headers={"WWW-Authenticate": "Bearer"}))
        if _parse(row["expires_at"]) <= _now():
            raise _Answer(problem(
                401, "token-expired", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}))
        return row

    def loopback_only() -> None:
        addr = request.remote_addr or ""
        if not (addr.startswith("127.") or addr == "::1"):
            raise _Answer(problem(403, "forbidden"))

    def body_json() -> dict:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise _Answer(problem(400, "bad-request", "Nội dung yêu cầu phải là một đối tượng JSON."))
        return data

    # -- health and sessions ---------------------------------------------------------

    @api.get("/health")
    def health() -> Response:
        return _json({"status": "ok", "time": _iso(_now()), "api_version": API_VERSION})

    @api.post("/sessions")
    def login() -> Response:
        data = body_json()
        unit_code, username, password = (data.get("unit_code"), data.get("username"),
                                         data.get("password"))
        if not all(isinstance(v, str) and v for v in (unit_code, username, password)):
            return problem(400, "bad-request", "Cần mã đơn vị, tên đăng nhập và mật khẩu.")
        conn = db()
        who = f"{unit_code}|{username.casefold()}"
        now = _now()
        conn.execute("BEGIN IMMEDIATE")
        try:
            recent = conn.execute(
                "SELECT at FROM login_failures WHERE who = ? AND at > ? ORDER BY at",
                (who, _iso(now - THROTTLE_WINDOW))).fetchall()
            if len(recent) >= THROTTLE_FAILURES:
                conn.execute("COMMIT")
                wait = _parse(recent[-THROTTLE_FAILURES]["at"]) + THROTTLE_WINDOW - now
                seconds = max(1, int(wait.total_seconds()) + 1)
                return problem(429, "too-many-attempts",
                               f"Tài khoản {username} tạm khóa đăng nhập; thử lại sau "
                               f"{(seconds + 59) // 60} phút.",
                               headers={"Retry-After": str(seconds)})
            user = conn.execute("SELECT salt, pw_hash FROM users WHERE unit_code = ? AND username = ?",
                                (unit_code, username)).fetchone()
            ok = user is not None and hmac.compare_digest(
                _hash_password(password, bytes(user["salt"])), bytes(user["pw_hash"]))
            if not ok:
                conn.execute("INSERT INTO login_failures (who, at) VALUES (?, ?)", (who, _iso(now)))
                conn.execute("COMMIT")
                log.info("login refused for %s of unit %s", username, unit_code)
                return problem(401, "bad-credentials")
            conn.execute("DELETE FROM login_failures WHERE who = ?", (who,))
            token = secrets.token_urlsafe(32)
            expires = now + timedelta(seconds=sb.session_lifetime)
            conn.execute("INSERT INTO sessions (token_hash, unit_code, username, created_at,"
                         " expires_at) VALUES (?, ?, ?, ?, ?)",
                         (_token_hash(token), unit_code, username, _iso(now), _iso(expires)))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("login %s of unit %s", username, unit_code)
        return _json({"token": token, "expires_at": _iso(expires)}, 201)

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
                            " WHERE unit_code = ? ORDER BY role, id", (code,)).fetchall()
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
                                  f"Gói hồ sơ {length} byte, tối đa {MAX_PACKAGE} byte."))
        data = request.get_data(cache=False)
        if len(data) > MAX_PACKAGE:
            raise _Answer(problem(413, "too-large"))
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

    def claim_key(unit_code: str, key: str, sha: str) -> Response | None:
        """Idempotency: an answer to give now, or None when this request may go on."""
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT * FROM idempotency WHERE unit_code = ? AND key = ?",
                               (unit_code, key)).fetchone()
            now = _now()
            if row is not None:
                if row["package_sha256"] != sha:
                    conn.execute("COMMIT")
                    return problem(422, "key-reused",
                                   "Khóa này đã được dùng cho một gói hồ sơ khác; "
                                   "mỗi gói hồ sơ cần một khóa riêng.",
                                   errors=[{"code": "key-reused", "where": "Idempotency-Key",
                                            "message": TITLES["key-reused"]}])
                if row["state"] == "done":
                    conn.execute("COMMIT")
                    body = json.loads(row["body"])
                    return _json(body, 200, {"Location": url_for(
                        "api.get_submission", sid=body["id"], _external=True)})
                if _parse(row["created_at"]) > now - IN_PROGRESS_STALE:
                    conn.execute("COMMIT")
                    return problem(409, "in-progress", headers={"Retry-After": "2"})
                conn.execute("UPDATE idempotency SET created_at = ? WHERE unit_code = ? AND key = ?",
                             (_iso(now), unit_code, key))
            else:
                conn.execute("INSERT INTO idempotency (unit_code, key, package_sha256, state,"
                             " created_at) VALUES (?, ?, ?, 'processing', ?)",
                             (unit_code, key, sha, _iso(now)))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return None

    def release_key(unit_code: str, key: str) -> None:
        db().execute("DELETE FROM idempotency WHERE unit_code = ? AND key = ? AND state = 'processing'",
                     (unit_code, key))

    def check_package(unit_code: str, data: bytes) -> dict:
        """Verify; return the parsed document or raise an answer (403/422)."""
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
        registered = {(r["role"], r["cert_sha256"].lower()) for r in db().execute(
            "SELECT role, cert_sha256 FROM signers WHERE unit_code = ?", (unit_code,)).fetchall()}
        for sig in getattr(report, "signatures", []) or []:
            role = getattr(sig, "role", None)
            sha = (getattr(sig, "cert_sha256", None) or "").lower()
            if (role, sha) not in registered:
                who = getattr(sig, "signer_name", None) or sha[:16]
                errors.append({
                    "code": "signer-not-registered", "where": str(getattr(sig, "file", "") or ""),
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
        return document

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
            return problem(400, "bad-request", "Idempotency-Key quá dài.")
        check_digest(data)
        sha = hashlib.sha256(data).hexdigest()
        early = claim_key(unit_code, key, sha)
        if early is not None:
            return early
        try:
            document = check_package(unit_code, data)
        except BaseException:
            release_key(unit_code, key)
            raise
        sid = str(uuid.uuid4())
        now = _iso(_now())
        total = document.get("total")
        body = {
            "id": sid, "status": "received", "received_at": now, "package_sha256": sha,
            "document": {"kind": str(document.get("kind") or ""),
                         "number": str(document.get("number") or ""),
                         "total": total if isinstance(total, int) else 0},
        }
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "INSERT INTO submissions (id, unit_code, idempotency_key, package, package_sha256,"
                " kind, number, total, status, received_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)",
                (sid, unit_code, key, data, sha, body["document"]["kind"],
                 body["document"]["number"], body["document"]["total"], now, now))
            conn.execute("INSERT INTO history (submission_id, status, at, note)"
                         " VALUES (?, 'received', ?, NULL)", (sid, now))
            conn.execute("UPDATE idempotency SET state = 'done', status_code = 201, body = ?"
                         " WHERE unit_code = ? AND key = ?",
                         (json.dumps(body, ensure_ascii=False), unit_code, key))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            release_key(unit_code, key)
            raise
        log.info("submission %s received from unit %s", sid, unit_code)
        return _json(body, 201, {"Location": url_for("api.get_submission", sid=sid,
                                                     _external=True)})

    def own_submission(sid: str, unit_code: str) -> sqlite3.Row:
        conn = db()
        row = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
        if row is None or row["unit_code"] != unit_code:
            raise _Answer(problem(404, "not-found", "Không tìm thấy hồ sơ với mã này."))
        if sb.advance > 0 and row["status"] not in FINAL:
            conn.execute("BEGIN IMMEDIATE")
            try:
                fresh = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
                sb.materialise(conn, fresh, _now())
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            row = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
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
            if cursor:
                c = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
                if c.get("u") != unit_code:
                    raise ValueError("cursor of another unit")
                since, after = str(c["s"]), (str(c["a"]), int(c["i"]))
            elif request.args.get("updated_since"):
                since = _iso(_parse(request.args["updated_since"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            return problem(400, "bad-request", "updated_since hoặc cursor không hợp lệ.")
        conn = db()
        sb.materialise_unit(conn, unit_code)
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
            conn.execute("BEGIN IMMEDIATE")
            try:
                again = conn.execute("SELECT receipt FROM submissions WHERE id = ?", (sid,)).fetchone()
                data = again["receipt"]
                if data is None:
                    data = sb.make_receipt(conn, row)
                    conn.execute("UPDATE submissions SET receipt = ? WHERE id = ?", (data, sid))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Response(bytes(data), 200, mimetype="application/pkcs7-mime",
                        headers={"Content-Disposition": f'attachment; filename="bao-no-{sid}.p7m"'})

    # -- registration and trainer actions (loopback only) ------------------------------

    @api.post("/_admin/units")
    def admin_unit() -> Response:
        loopback_only()
        data = body_json()
        code, username, password = data.get("code"), data.get("username"), data.get("password")
        if not (isinstance(code, str) and code.isdigit() and len(code) == 7):
            return problem(400, "bad-request", "Mã đơn vị (code) phải gồm đúng 7 chữ số.")
        if username is not None and not (isinstance(username, str) and isinstance(password, str)):
            return problem(400, "bad-request", "Cần cả tên đăng nhập và mật khẩu.")
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        sb.add_unit(conn, code, username, password, str(data.get("name") or ""))
        conn.execute("COMMIT")
        return _json({"code": code, "username": username}, 201)

    @api.post("/_admin/signers")
    def admin_signer() -> Response:
        loopback_only()
        data = body_json()
        unit_code, role, cert = data.get("unit_code"), data.get("role"), data.get("certificate")
        if not (isinstance(unit_code, str) and role in ROLES and isinstance(cert, str)):
            return problem(400, "bad-request", "Cần unit_code, role (chief-accountant hoặc "
                                               "head-of-unit) và certificate (DER base64 hoặc PEM).")
        try:
            der = _der_from_text(cert)
            conn = db()
            conn.execute("BEGIN IMMEDIATE")
            entry = sb.add_signer(conn, unit_code, role, der, data.get("name"))
            conn.execute("COMMIT")
        except (ValueError, binascii.Error) as exc:
            if db().in_transaction:
                db().execute("ROLLBACK")
            return problem(400, "bad-request", f"Chứng thư số không đọc được: {exc}")
        return _json(entry, 201)

    @api.post("/_admin/trust")
    def admin_trust() -> Response:
        loopback_only()
        data = body_json()
        try:
            der = _der_from_text(str(data.get("certificate") or ""))
            x509.load_der_x509_certificate(der)
        except (ValueError, binascii.Error) as exc:
            return problem(400, "bad-request", f"Chứng thư số không đọc được: {exc}")
        sb.add_trust(db(), der)
        return _json({"sha256": hashlib.sha256(der).hexdigest()}, 201)

    @api.post("/_admin/sessions/expire")
    def admin_expire_sessions() -> Response:
        loopback_only()
        db().execute("UPDATE sessions SET expires_at = ? WHERE revoked = 0 AND expires_at > ?",
                     (_iso(_now()), _iso(_now())))
        return Response(status=204)

    @api.post("/_admin/submissions/<sid>/status")
    def admin_status(sid: str) -> Response:
        loopback_only()
        data = body_json()
        status = data.get("status")
        if status not in ("accepted", "rejected", "paid"):
            return problem(400, "bad-request", "status phải là accepted, rejected hoặc paid.")
        reason = data.get("reason")
        if status == "rejected" and not reason:
            reason = "Kho bạc từ chối hồ sơ."
        conn = db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
            if row is None:
                conn.execute("ROLLBACK")
                return problem(404, "not-found", "Không tìm thấy hồ sơ với mã này.")
            now = _now()
            sb.materialise(conn, row, now)
            current = conn.execute("SELECT status FROM submissions WHERE id = ?",
                                   (sid,)).fetchone()["status"]
            if current in FINAL:
                conn.execute("ROLLBACK")
                return problem(409, "bad-request", f"Hồ sơ đã ở trạng thái cuối «{current}».",
                               title="Không thể đổi trạng thái")
            at = _iso(now)
            conn.execute("UPDATE submissions SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                         (status, reason if status == "rejected" else row["reason"], at, sid))
            conn.execute("INSERT INTO history (submission_id, status, at, note) VALUES (?, ?, ?, ?)",
                         (sid, status, at, reason))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return _json(sb.record(conn, sid))

    app.register_blueprint(api)
    return app
