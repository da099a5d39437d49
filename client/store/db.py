"""The client's SQLite database: connection settings and schema migrations.

The connection is opened in autocommit mode (``isolation_level=None``);
repositories open their own transactions with :func:`transaction`, so a
package and its outbox row are committed together or not at all.

Migrations are a list of SQL steps; ``PRAGMA user_version`` says how many
have been applied. Each missing step runs in its own ``BEGIN IMMEDIATE``
transaction (SQLite DDL is transactional), so two processes opening the same
database at once cannot apply a step twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000

MIGRATIONS: list[str] = [
    # 1: documents (the unit's dossiers), the outbox, status history, locks, sync marks.
    """
    CREATE TABLE documents (
        local_id      INTEGER PRIMARY KEY,
        doc_id        TEXT    NOT NULL,
        kind          TEXT    NOT NULL,
        number        TEXT    NOT NULL,
        period        TEXT,
        total         INTEGER NOT NULL,
        lines         INTEGER NOT NULL DEFAULT 0,
        state         TEXT    NOT NULL DEFAULT 'draft',
        document_json BLOB    NOT NULL,
        package       BLOB,
        title         TEXT    NOT NULL DEFAULT '',
        created_at    TEXT    NOT NULL,
        updated_at    TEXT    NOT NULL
    );
    CREATE INDEX documents_doc_id ON documents(doc_id);

    CREATE TABLE outbox (
        local_id          INTEGER PRIMARY KEY,
        document_local_id INTEGER REFERENCES documents(local_id) ON DELETE SET NULL,
        package           BLOB    NOT NULL,
        package_sha256    TEXT    NOT NULL,
        idempotency_key   TEXT    NOT NULL UNIQUE,
        submission_id     TEXT,
        state             TEXT    NOT NULL DEFAULT 'queued',
        treasury_status   TEXT,
        status_text       TEXT,
        reason            TEXT,
        problems_json     TEXT,
        document_number   TEXT    NOT NULL,
        kind              TEXT    NOT NULL,
        total             INTEGER NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        next_try          TEXT,
        last_error        TEXT,
        receipt           BLOB,
        receipt_at        TEXT,
        base_url          TEXT,
        unit_code         TEXT,
        created_at        TEXT    NOT NULL,
        updated_at        TEXT    NOT NULL
    );
    CREATE INDEX outbox_state ON outbox(state);
    CREATE INDEX outbox_submission ON outbox(submission_id);

    CREATE TABLE status_history (
        id        INTEGER PRIMARY KEY,
        outbox_id INTEGER NOT NULL REFERENCES outbox(local_id) ON DELETE CASCADE,
        status    TEXT    NOT NULL,
        at        TEXT    NOT NULL,
        note      TEXT,
        UNIQUE (outbox_id, status, at)
    );

    CREATE TABLE locks (
        name       TEXT PRIMARY KEY,
        owner      TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );

    CREATE TABLE sync_marks (
        name  TEXT PRIMARY KEY,
        value TEXT
    );
    """,
    # 2: the outbox remembers whether the treasury might already have an item (an attempt
    # ended without a definite answer), when it was last tried and sent, and what it answered.
    """
    ALTER TABLE outbox ADD COLUMN delivery_uncertain INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
    ALTER TABLE outbox ADD COLUMN last_http_status INTEGER;
    ALTER TABLE outbox ADD COLUMN sent_at TEXT;
    CREATE INDEX outbox_due ON outbox(state, next_try);
    """,
    # 3: salary tables (issue 6): the staff register, each month's C02a-HD sheet, the column
    # mapping remembered per unit, the checks' inputs and the recorded warning confirmations.
    # Repositories: client/payroll/staff_repo.py, client/documents/confirmations.py.
    """
    CREATE TABLE staff (
        id            INTEGER PRIMARY KEY,
        code          TEXT    NOT NULL DEFAULT '',
        name          TEXT    NOT NULL,
        account       TEXT    NOT NULL DEFAULT '',
        bank          TEXT    NOT NULL DEFAULT '',
        category      TEXT    NOT NULL,
        grade_code    TEXT    NOT NULL DEFAULT '',
        coefficients  TEXT    NOT NULL DEFAULT '{}',
        amounts       TEXT    NOT NULL DEFAULT '{}',
        dependants    INTEGER NOT NULL DEFAULT 0,
        insurance     TEXT    NOT NULL DEFAULT 'normal',
        union_member  INTEGER NOT NULL DEFAULT 1,
        active        INTEGER NOT NULL DEFAULT 1,
        position      INTEGER NOT NULL DEFAULT 0,
        note          TEXT    NOT NULL DEFAULT '',
        created_at    TEXT    NOT NULL,
        updated_at    TEXT    NOT NULL
    );
    CREATE INDEX staff_active ON staff(active, position);

    CREATE TABLE payroll_runs (
        doc_id        TEXT PRIMARY KEY,
        period        TEXT NOT NULL,
        rules_version TEXT NOT NULL,
        sheet_json    TEXT NOT NULL,
        created_at    TEXT NOT NULL
    );
    CREATE INDEX payroll_runs_period ON payroll_runs(period);

    CREATE TABLE import_mappings (
        unit_code    TEXT NOT NULL,
        kind         TEXT NOT NULL,
        mapping_json TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        PRIMARY KEY (unit_code, kind)
    );

    CREATE TABLE check_inputs (
        local_id             INTEGER PRIMARY KEY REFERENCES documents(local_id) ON DELETE CASCADE,
        payment_order_amount INTEGER,
        updated_at           TEXT NOT NULL
    );

    CREATE TABLE warning_confirmations (
        id         INTEGER PRIMARY KEY,
        local_id   INTEGER NOT NULL REFERENCES documents(local_id) ON DELETE CASCADE,
        doc_sha256 TEXT    NOT NULL,
        code       TEXT    NOT NULL,
        message    TEXT    NOT NULL DEFAULT '',
        by_name    TEXT    NOT NULL,
        at         TEXT    NOT NULL,
        UNIQUE (local_id, doc_sha256, code)
    );
    """,
    # 4: the outbox's large blobs apart from its rows (SQLite walks a row's overflow pages to
    # reach the columns stored after a blob, so every listing and every duplicate check read
    # whole packages), an index for the duplicate check, and the status-change notices a GUI
    # polls (recorded in the same transaction as the change, by whichever process made it).
    """
    CREATE TABLE outbox_packages (
        outbox_id INTEGER PRIMARY KEY REFERENCES outbox(local_id) ON DELETE CASCADE,
        package   BLOB NOT NULL
    );
    INSERT INTO outbox_packages (outbox_id, package) SELECT local_id, package FROM outbox;
    UPDATE outbox SET package = x'';

    CREATE TABLE outbox_receipts (
        outbox_id   INTEGER PRIMARY KEY REFERENCES outbox(local_id) ON DELETE CASCADE,
        receipt     BLOB NOT NULL,
        received_at TEXT NOT NULL
    );
    INSERT INTO outbox_receipts (outbox_id, receipt, received_at)
        SELECT local_id, receipt, COALESCE(receipt_at, updated_at) FROM outbox
        WHERE receipt IS NOT NULL;
    UPDATE outbox SET receipt = NULL WHERE receipt IS NOT NULL;

    CREATE INDEX outbox_sha256 ON outbox(package_sha256);

    CREATE TABLE notices (
        id         INTEGER PRIMARY KEY,
        outbox_id  INTEGER NOT NULL REFERENCES outbox(local_id) ON DELETE CASCADE,
        kind       TEXT    NOT NULL,
        old_status TEXT,
        new_status TEXT,
        reason     TEXT,
        receipt    INTEGER NOT NULL DEFAULT 0,
        at         TEXT    NOT NULL,
        seen_at    TEXT
    );
    CREATE INDEX notices_unseen ON notices(seen_at, id);
    """,
]

SCHEMA_VERSION: int = len(MIGRATIONS)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """RFC 3339 in UTC with microseconds: fixed width, so text order is time order."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (triggers' inner ``;`` kept)."""
    out: list[str] = []
    buf = ""
    for part in script.split(";"):
        buf += part + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip().strip(";").strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip().strip(";").strip():
        out.append(buf.strip())
    return out


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = True) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any exception).

    Nested use joins the outer transaction.
    """
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection, migrations: list[str] = MIGRATIONS) -> int:
    """Apply the missing steps; return the schema version reached."""
    for target, step in enumerate(migrations, start=1):
        if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
            continue
        with transaction(conn):
            # Re-check inside the write lock: another process may have just done it.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
                continue
            for stmt in split_statements(step):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {int(target)}")
    return conn.execute("PRAGMA user_version").fetchone()[0]


def open_db(path: Path, migrations: list[str]) -> sqlite3.Connection:
    """Open (and create) an SQLite file with the project's settings and migrate it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn, migrations)
    return conn


def connect(path: Path) -> sqlite3.Connection:
    """The client's database (``kbnn.sqlite3``), migrated to :data:`SCHEMA_VERSION`.

    Autocommit mode: use :func:`transaction` for multi-statement writes.
    """
    return open_db(path, MIGRATIONS)
