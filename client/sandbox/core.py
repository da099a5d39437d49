"""The sandbox treasury's state and processing, without HTTP.

One SQLite file (``data_dir/sandbox.sqlite3``) holds units, logins, registered
signers, trust anchors, sessions, submissions with their history, idempotency
keys, payment orders, blocked accounts and the trainer's login, so all of it
survives a restart.

Statuses move ``received → accepted → paid`` after ``accept_after`` and
``pay_after`` seconds (0: only by the trainer's hand). The move is computed
lazily on every read from the time of the last change and written down with
the time it happened, so a status is the same whenever and however often it
is read. Leaving ``received`` by itself runs the control rules
(``rules.RuleBook``): a dossier they object to is rejected with their
Vietnamese reasons instead of accepted.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import secrets
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from client.sandbox.rules import Facts, Finding, RuleBook, today_vn
from client.sandbox.scenarios import ScenarioSpec, ScenarioState

# The same UTC text as the client's store: fixed width, so text order is time order.
from client.store.db import iso, utcnow
from client.store.db import parse_iso as parse_time

log = logging.getLogger("client.sandbox")

API_VERSION = "1"
MAX_PACKAGE = 20 * 1024 * 1024
MAX_JSON = 64 * 1024
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
IN_PROGRESS_STALE = timedelta(minutes=10)
IDEMPOTENCY_RETENTION = timedelta(days=30)
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
DEFAULT_TRAINER_USER = "giangvien"

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
CREATE TABLE IF NOT EXISTS payment_orders (
    unit_code TEXT NOT NULL,
    number    TEXT NOT NULL,
    date      TEXT,
    amount    INTEGER NOT NULL,
    PRIMARY KEY (unit_code, number)
);
CREATE TABLE IF NOT EXISTS blocked_accounts (
    account TEXT PRIMARY KEY,
    note    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# Columns added after the first version of the schema (data folders made by it still open).
ADDED_COLUMNS = {
    "signers": [("withdrawn_at", "TEXT")],
    "submissions": [("signers_json", "TEXT")],
}


# -- small helpers -------------------------------------------------------------------

def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, PBKDF2_ROUNDS)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def cert_facts(der: bytes) -> tuple[str, str, str]:
    """(sha256 hex, holder name, not_after) of a DER certificate."""
    cert = x509.load_der_x509_certificate(der)
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(cns[0].value) if cns else cert.subject.rfc4514_string()
    return hashlib.sha256(der).hexdigest(), name, iso(cert.not_valid_after_utc)


def der_from_text(value: str) -> bytes:
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return x509.load_pem_x509_certificate(value.encode("ascii")).public_bytes(
            serialization.Encoding.DER)
    der = base64.b64decode(value, validate=True)
    x509.load_der_x509_certificate(der)
    return der


def digits(text: Any) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


def default_verifier(data: bytes, trust: list[bytes], *, require_complete: bool = False) -> Any:
    from client.signing.verify import verify_package

    return verify_package(data, trust, require_complete=require_complete)


def read_document(package: bytes) -> dict:
    """``document.json`` of a stored package ({} when unreadable)."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as z:
            doc = json.loads(z.read("document.json"))
        return doc if isinstance(doc, dict) else {}
    except (KeyError, ValueError, zipfile.BadZipFile):
        return {}


class Transaction:
    """``with Transaction(conn):`` — BEGIN IMMEDIATE … COMMIT, ROLLBACK on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


class SandboxError(Exception):
    """A refused trainer/admin action: HTTP status, problem code, Vietnamese detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


# -- the sandbox ------------------------------------------------------------------------

class Sandbox:
    """State and processing of one sandbox treasury (shared by all request threads)."""

    def __init__(self, data_dir: Path, *, advance: float = 5.0, accept_after: float | None = None,
                 pay_after: float | None = None, session_lifetime: float = 1800.0,
                 verifier: Callable[..., Any] | None = None, rules: RuleBook | None = None,
                 scenario: str = "normal", seed: int = 1,
                 trainer: tuple[str, str] | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "sandbox.sqlite3"
        self.accept_after = float(advance if accept_after is None else accept_after)  # seconds, not money
        self.pay_after = float(advance if pay_after is None else pay_after)  # seconds, not money
        self.session_lifetime = float(session_lifetime)  # seconds, not money
        self.verifier = verifier or default_verifier
        self.rules = rules or RuleBook.load()
        self.clock = clock or utcnow
        self.scenario = ScenarioState(ScenarioSpec.parse(scenario), int(seed))
        conn = self.connect()
        try:
            conn.executescript(SCHEMA)
            for table, columns in ADDED_COLUMNS.items():
                have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
                for name, decl in columns:
                    if name not in have:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
            with Transaction(conn):
                for b in self.rules.blocked_accounts:
                    conn.execute("INSERT OR IGNORE INTO blocked_accounts (account, note) VALUES (?, ?)",
                                 (b["account"], b["note"]))
                self.secret_key = self._setting(conn, "secret_key", lambda: secrets.token_hex(32))
                if trainer is not None:
                    self._set_setting(conn, "trainer_user", trainer[0])
                    self._set_setting(conn, "trainer_password", trainer[1])
                self.trainer_user = self._setting(conn, "trainer_user", lambda: DEFAULT_TRAINER_USER)
                self.trainer_password = self._setting(
                    conn, "trainer_password", lambda: secrets.token_urlsafe(6).replace("-", "x")
                    .replace("_", "y"))
        finally:
            conn.close()
        self.receipt_key, self.receipt_cert = self._receipt_signer()

    @property
    def advance(self) -> float:
        """Both delays when they are equal (the foundation's single ``advance``)."""
        return self.accept_after if self.accept_after == self.pay_after else -1.0

    def now(self) -> datetime:
        return self.clock()

    # -- storage ---------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.db_path), timeout=10, isolation_level=None,
                               check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @staticmethod
    def _set_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key)"
                     " DO UPDATE SET value = excluded.value", (key, value))

    def _setting(self, conn: sqlite3.Connection, key: str, make: Callable[[], str]) -> str:
        row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        if row is not None:
            return str(row["value"])
        value = make()
        self._set_setting(conn, key, value)
        return value

    def _receipt_signer(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """The key and certificate that sign payment receipts (báo Nợ).

        The sandbox has its own CA (``receipt-ca.pem``, kept in the data folder);
        the receipt certificate (``receipt-cert.pem``) is issued by it, so a
        receipt verifies against that CA like a real one against the treasury's.
        """
        ca_path = self.data_dir / "receipt-ca.pem"
        key_path = self.data_dir / "receipt-key.pem"
        cert_path = self.data_dir / "receipt-cert.pem"
        if ca_path.exists() and key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            self.receipt_ca = x509.load_pem_x509_certificate(ca_path.read_bytes())
            return key, cert
        from client.training.pki import create_ca

        org = "Kho bạc Nhà nước (sandbox đào tạo)"
        now = utcnow()
        root = create_ca("KBNN Sandbox Root CA", key_type="ec", organisation=org)
        ca, ca_key = root.cert, root.key
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, "KBNN Sandbox - Chứng từ báo Nợ"),
        ])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name).issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3649))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        # The CA key signs once, here, and is not kept: nothing else is ever issued.
        key_path.write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.receipt_ca = ca
        return key, cert

    # -- registration -------------------------------------------------------------------
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
                (code, username, salt, hash_password(password, salt)))

    def add_signer(self, conn: sqlite3.Connection, unit_code: str, role: str, der: bytes,
                   name: str | None = None) -> dict:
        if role not in ROLES:
            raise ValueError(f"vai trò không hợp lệ: {role}")
        sha, holder, not_after = cert_facts(der)
        self.add_unit(conn, unit_code)
        conn.execute(
            "INSERT INTO signers (unit_code, role, cert_sha256, name, not_after, cert_der)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(unit_code, role, cert_sha256) DO UPDATE"
            " SET name = excluded.name, withdrawn_at = NULL",
            (unit_code, role, sha, name or holder, not_after, der))
        return {"role": role, "name": name or holder, "certificate_sha256": sha,
                "not_after": not_after}

    def withdraw_signer(self, conn: sqlite3.Connection, unit_code: str, sha: str,
                        role: str | None = None) -> int:
        """End a signer's registration (e.g. a new chief accountant); returns rows changed."""
        sql = ("UPDATE signers SET withdrawn_at = ? WHERE unit_code = ? AND cert_sha256 = ?"
               " AND withdrawn_at IS NULL")
        args: list[Any] = [iso(self.now()), unit_code, sha.lower()]
        if role:
            sql += " AND role = ?"
            args.append(role)
        return conn.execute(sql, args).rowcount

    def registered(self, conn: sqlite3.Connection, unit_code: str) -> set[tuple[str, str]]:
        return {(r["role"], r["cert_sha256"].lower()) for r in conn.execute(
            "SELECT role, cert_sha256 FROM signers WHERE unit_code = ? AND withdrawn_at IS NULL",
            (unit_code,)).fetchall()}

    def add_trust(self, conn: sqlite3.Connection, der: bytes) -> None:
        conn.execute("INSERT OR IGNORE INTO trust (sha256, der) VALUES (?, ?)",
                     (hashlib.sha256(der).hexdigest(), der))

    def set_payment_order(self, conn: sqlite3.Connection, unit_code: str, number: str,
                          amount: int, date: str | None = None) -> dict:
        if not (isinstance(amount, int) and not isinstance(amount, bool) and amount > 0):
            raise SandboxError(400, "bad-request", "Số tiền (amount) phải là số nguyên đồng dương.")
        if not (isinstance(number, str) and 1 <= len(number.strip()) <= 30):
            raise SandboxError(400, "bad-request", "Số Giấy rút dự toán (number) 1–30 ký tự.")
        conn.execute("INSERT INTO payment_orders (unit_code, number, date, amount) VALUES (?, ?, ?, ?)"
                     " ON CONFLICT(unit_code, number) DO UPDATE SET date = excluded.date,"
                     " amount = excluded.amount", (unit_code, number.strip(), date, amount))
        return {"unit_code": unit_code, "number": number.strip(), "date": date, "amount": amount}

    def payment_orders(self, conn: sqlite3.Connection, unit_code: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM payment_orders", ()
        if unit_code:
            sql, args = sql + " WHERE unit_code = ?", (unit_code,)
        return [dict(r) for r in conn.execute(sql + " ORDER BY unit_code, number", args)]

    def block_account(self, conn: sqlite3.Connection, account: str, note: str = "") -> dict:
        acc = digits(account)
        if not 6 <= len(acc) <= 19:
            raise SandboxError(400, "bad-request", "Số tài khoản phải gồm 6–19 chữ số.")
        conn.execute("INSERT INTO blocked_accounts (account, note) VALUES (?, ?) ON CONFLICT(account)"
                     " DO UPDATE SET note = excluded.note", (acc, note))
        return {"account": acc, "note": note}

    def unblock_account(self, conn: sqlite3.Connection, account: str) -> int:
        return conn.execute("DELETE FROM blocked_accounts WHERE account = ?",
                            (digits(account),)).rowcount

    def blocked_accounts(self, conn: sqlite3.Connection) -> list[dict]:
        return [dict(r) for r in conn.execute("SELECT * FROM blocked_accounts ORDER BY account")]

    def set_delays(self, accept_after: float | None = None, pay_after: float | None = None) -> dict:
        for value in (accept_after, pay_after):
            if value is not None and not (isinstance(value, int | float) and 0 <= value <= 86_400):
                raise SandboxError(400, "bad-request", "Thời gian chờ phải từ 0 đến 86400 giây.")
        if accept_after is not None:
            self.accept_after = float(accept_after)  # seconds, not money
        if pay_after is not None:
            self.pay_after = float(pay_after)  # seconds, not money
        return self.delays()

    def delays(self) -> dict:
        return {"accept_after": self.accept_after, "pay_after": self.pay_after}

    def set_scenario(self, spec: str, seed: int | None = None) -> dict:
        from client.sandbox.scenarios import ScenarioError

        try:
            parsed = ScenarioSpec.parse(spec)
        except ScenarioError as exc:
            raise SandboxError(400, "bad-request", str(exc)) from None
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise SandboxError(400, "bad-request", "seed phải là số nguyên.")
        self.scenario.switch(parsed, seed)
        log.info("scenario switched to %s (seed %s)", parsed, self.scenario.seed)
        return self.scenario.to_json()

    # -- control rules ----------------------------------------------------------------
    def facts(self, conn: sqlite3.Connection, row: sqlite3.Row, at: datetime) -> Facts:
        unit = row["unit_code"]
        earlier = conn.execute(
            "SELECT id, received_at FROM submissions WHERE unit_code = ? AND kind = ? AND number = ?"
            " AND seq < ? AND status != 'rejected' ORDER BY seq LIMIT 1",
            (unit, row["kind"], row["number"], row["seq"])).fetchone()
        try:
            signers = json.loads(row["signers_json"] or "[]")
        except ValueError:
            signers = []
        return Facts(
            unit_code=unit, document=read_document(bytes(row["package"])), signers=signers,
            registered=self.registered(conn, unit),
            payment_orders={p["number"]: p for p in self.payment_orders(conn, unit)},
            blocked={r["account"]: r["note"] for r in self.blocked_accounts(conn)},
            today=today_vn(at), earlier=dict(earlier) if earlier is not None else None)

    def control(self, conn: sqlite3.Connection, row: sqlite3.Row, at: datetime) -> list[Finding]:
        return self.rules.evaluate(self.facts(conn, row, at))

    # -- statuses -------------------------------------------------------------------------
    def _move(self, conn: sqlite3.Connection, sid: str, status: str, at: str,
              note: str | None, reason: str | None = None) -> None:
        conn.execute("INSERT INTO history (submission_id, status, at, note) VALUES (?, ?, ?, ?)",
                     (sid, status, at, note))
        if status == "rejected":
            conn.execute("UPDATE submissions SET status = ?, reason = ?, updated_at = ? WHERE id = ?",
                         (status, reason, at, sid))
        else:
            conn.execute("UPDATE submissions SET status = ?, updated_at = ? WHERE id = ?",
                         (status, at, sid))

    def materialise(self, conn: sqlite3.Connection, sid: str, now: datetime) -> bool:
        """Write down the automatic moves of one submission due by ``now``; True if any.

        Call inside a write transaction, in ``seq`` order within a unit.
        """
        moved = False
        while True:
            row = conn.execute("SELECT * FROM submissions WHERE id = ?", (sid,)).fetchone()
            status = row["status"]
            delay = {"received": self.accept_after, "accepted": self.pay_after}.get(status, 0.0)
            if delay <= 0:
                return moved
            at = parse_time(row["updated_at"]) + timedelta(seconds=delay)
            if at > now:
                return moved
            if status == "received":
                findings = self.control(conn, row, at)
                if findings:
                    reason = "\n".join(f.reason for f in findings)
                    self._move(conn, sid, "rejected", iso(at), reason, reason)
                    log.info("submission %s rejected by the rules: %s", sid,
                             ", ".join(f.code for f in findings))
                    return True
                self._move(conn, sid, "accepted", iso(at), None)
            else:
                self._move(conn, sid, "paid", iso(at), None)
            moved = True

    def materialise_all(self, conn: sqlite3.Connection, unit_code: str | None = None) -> None:
        """Every due automatic move (of one unit, or of all), oldest submission first."""
        if self.accept_after <= 0 and self.pay_after <= 0:
            return
        now = self.now()
        sql = "SELECT id FROM submissions WHERE status IN ('received', 'accepted')"
        args: tuple = ()
        if unit_code is not None:
            sql, args = sql + " AND unit_code = ?", (unit_code,)
        with Transaction(conn):
            for r in conn.execute(sql + " ORDER BY seq", args).fetchall():
                self.materialise(conn, r["id"], now)

    def set_status(self, conn: sqlite3.Connection, sid: str, status: str,
                   reason: str | None = None, who: str = "trainer") -> dict:
        """The trainer's hand: accept, reject (with a reason) or mark paid."""
        if status not in ("accepted", "rejected", "paid"):
            raise SandboxError(400, "bad-request", "status phải là accepted, rejected hoặc paid.")
        reason = (reason or "").strip() or None
        if status == "rejected" and not reason:
            reason = "Kho bạc từ chối hồ sơ."
        self.materialise_all(conn)
        with Transaction(conn):
            row = conn.execute("SELECT status FROM submissions WHERE id = ?", (sid,)).fetchone()
            if row is None:
                raise SandboxError(404, "not-found", "Không tìm thấy hồ sơ với mã này.")
            if row["status"] in FINAL:
                raise SandboxError(409, "final-status",
                                   f"Hồ sơ đã ở trạng thái cuối «{STATUS_TEXT[row['status']]}».")
            at = iso(self.now())
            if status == "paid" and row["status"] == "received":
                self._move(conn, sid, "accepted", at, None)
            self._move(conn, sid, status, at, reason, reason)
        log.info("submission %s set to %s by the %s", sid, status, who)
        return self.record(conn, sid) or {}

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

    def overview(self, conn: sqlite3.Connection) -> list[dict]:
        """Every unit's submissions for the trainer, newest first, with the rules' preview."""
        self.materialise_all(conn)
        names = {r["code"]: r["name"] for r in conn.execute("SELECT code, name FROM units")}
        out = []
        now = self.now()
        for r in conn.execute("SELECT * FROM submissions ORDER BY seq DESC").fetchall():
            rec = self.record(conn, r["id"]) or {}
            rec.update(unit_code=r["unit_code"], unit_name=names.get(r["unit_code"], ""),
                       received_at=r["received_at"])
            rec["checks"] = ([f.to_json() for f in self.control(conn, r, now)]
                             if r["status"] == "received" else [])
            out.append(rec)
        return out

    def units(self, conn: sqlite3.Connection) -> list[dict]:
        users: dict[str, list[str]] = {}
        for r in conn.execute("SELECT unit_code, username FROM users ORDER BY username"):
            users.setdefault(r["unit_code"], []).append(r["username"])
        signers: dict[str, list[dict]] = {}
        for r in conn.execute("SELECT unit_code, role, name FROM signers WHERE withdrawn_at IS NULL"
                              " ORDER BY role"):
            signers.setdefault(r["unit_code"], []).append({"role": r["role"], "name": r["name"]})
        return [{"code": r["code"], "name": r["name"], "users": users.get(r["code"], []),
                 "signers": signers.get(r["code"], [])}
                for r in conn.execute("SELECT code, name FROM units ORDER BY code")]

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
                .add_certificate(self.receipt_ca)
                .sign(serialization.Encoding.DER, []))
