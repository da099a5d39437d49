"""The SQLite store: connection settings, migrations, the documents repository."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid

import pytest

from client.errors import InvalidInput
from client.store import db
from client.store.db import SCHEMA_VERSION, connect, migrate, open_db, split_statements, transaction
from client.store.documents import DocumentRepo, DocumentRow, period_text


def _doc(number="BL-10/2026", total=15_000_000) -> tuple[bytes, dict]:
    doc = {"format": "kbnn-document/1", "kind": "salary-table", "id": str(uuid.uuid4()),
           "number": number, "period": {"year": 2026, "month": 10}, "total": total,
           "lines": [{"no": 1, "amount": total}]}
    summary = {"kind": "salary-table", "number": number, "total": total,
               "period": {"year": 2026, "month": 10}, "lines": 1, "id": doc["id"]}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8"), summary


def test_connect_settings_and_parent_folder(tmp_path):
    path = tmp_path / "a" / "b" / "kbnn.sqlite3"
    conn = connect(path)
    try:
        assert path.exists()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
        assert isinstance(conn.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"documents", "outbox", "status_history", "locks"} <= tables
    finally:
        conn.close()
    # opening again applies nothing twice
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_migration_steps_apply_once_and_roll_back_on_failure(tmp_path):
    path = tmp_path / "m.sqlite3"
    steps = ["CREATE TABLE a (x INTEGER);",
             "CREATE TABLE b (y TEXT); INSERT INTO a VALUES (1);"]
    conn = open_db(path, steps)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert migrate(conn, steps) == 2
    assert conn.execute("SELECT COUNT(*) FROM a").fetchone()[0] == 1  # not inserted twice
    broken = steps + ["CREATE TABLE c (z); INSERT INTO nowhere VALUES (1);"]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, broken)
    # the failed step left nothing behind and the version did not move
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'").fetchone()[0] == 0
    assert not conn.in_transaction
    conn.close()


def test_concurrent_opening_migrates_once(tmp_path):
    path = tmp_path / "c.sqlite3"
    errors: list[BaseException] = []

    def open_it():
        try:
            connect(path).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_split_statements_keeps_trigger_bodies():
    script = """CREATE TABLE t (x);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET x = 1; SELECT 2; END;
    INSERT INTO t VALUES (';');"""
    parts = split_statements(script)
    assert len(parts) == 3 and parts[1].endswith("END;")


def test_transaction_commits_and_rolls_back(tmp_path):
    conn = connect(tmp_path / "t.sqlite3")
    conn.execute("CREATE TABLE k (v)")
    with transaction(conn):
        conn.execute("INSERT INTO k VALUES (1)")
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO k VALUES (2)")
        raise RuntimeError
    assert [r[0] for r in conn.execute("SELECT v FROM k")] == [1]
    conn.close()


def test_documents_repo_lifecycle(tmp_path):
    conn = connect(tmp_path / "d.sqlite3")
    repo = DocumentRepo(conn)
    data, summary = _doc()
    local = repo.add_draft(data, summary, title="Lương tháng 10/2026")
    row = repo.get(local)
    assert isinstance(row, DocumentRow)
    assert (row.doc_id, row.kind, row.number, row.period, row.total, row.state) == (
        summary["id"], "salary-table", "BL-10/2026", "2026-10", 15_000_000, "draft")
    assert row.document_json == data and row.package is None and row.title == "Lương tháng 10/2026"
    assert row.created_at == row.updated_at and row.lines == 1
    assert repo.find_by_doc_id(summary["id"]).local_id == local
    assert repo.find_by_doc_id("nope") is None

    repo.set_package(local, b"pkg-1", "signed-partial")
    repo.set_package(local, b"pkg-2", "signed")
    row = repo.get(local)
    assert row.package == b"pkg-2" and row.state == "signed" and row.updated_at > row.created_at

    repo.set_state(local, "queued")
    with pytest.raises(InvalidInput) as exc:
        repo.set_package(local, b"pkg-3", "signed")
    assert "hàng đợi" in exc.value.message
    assert repo.get(local).package == b"pkg-2"
    for state in ("sent", "accepted", "paid"):
        repo.set_state(local, state)
        with pytest.raises(InvalidInput):
            repo.set_package(local, b"pkg-3", "signed")

    with pytest.raises(ValueError):
        repo.set_state(local, "lost")
    with pytest.raises(InvalidInput):
        repo.get(12345)

    data2, summary2 = _doc(number="BK-07", total=1)
    summary2["kind"], summary2["period"] = "voucher-list", None
    second = repo.add_draft(data2, summary2)
    assert [r.local_id for r in repo.list()] == [second, local]
    assert repo.get(second).period is None
    with pytest.raises(InvalidInput):
        repo.add_draft(data2, dict(summary2, total=1.5))
    repo.delete(second)
    with pytest.raises(InvalidInput):
        repo.delete(local)
    conn.close()


def test_documents_survive_reopen(tmp_path):
    path = tmp_path / "r.sqlite3"
    conn = connect(path)
    data, summary = _doc()
    local = DocumentRepo(conn).add_draft(data, summary)
    conn.close()
    conn = connect(path)
    assert DocumentRepo(conn).get(local).document_json == data
    conn.close()


def test_period_text():
    assert period_text({"year": 2026, "month": 3}) == "2026-03"
    assert period_text("3/2026") == "2026-03"
    assert period_text("2026-10") == "2026-10"
    assert period_text(None) is None and period_text({"year": "x"}) is None


def test_iso_is_fixed_width_utc():
    from datetime import datetime, timedelta, timezone

    a = db.iso(datetime(2026, 1, 1, 7, 0, tzinfo=timezone(timedelta(hours=7))))
    assert a == "2026-01-01T00:00:00.000000+00:00"
    assert db.parse_iso("2026-01-01T00:00:00Z") == db.parse_iso(a)


def test_migration_4_moves_outbox_blobs_out_of_the_rows(tmp_path):
    """A database from before migration 4 (packages and receipts inside the outbox rows)
    opens with every package and receipt intact, now kept apart from the rows."""
    from client.transport.outbox import Outbox

    path = tmp_path / "old.sqlite3"
    old = open_db(path, db.MIGRATIONS[:3])
    package, receipt = b"PK\x03\x04" + bytes(range(256)) * 300, b"0\x82receipt"
    now = db.iso(db.utcnow())
    with transaction(old):
        for n, rec in ((1, receipt), (2, None)):
            old.execute(
                "INSERT INTO outbox (local_id, package, package_sha256, idempotency_key, state,"
                " submission_id, treasury_status, document_number, kind, total, receipt,"
                " receipt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'sent', ?, ?, ?,"
                " 'salary-table', 15000000, ?, ?, ?, ?)",
                (n, package + bytes([n]), f"sha{n}", str(uuid.uuid4()), f"S-{n}",
                 "paid" if rec else "received", f"BL-{n}", rec, now if rec else None, now, now))
            old.execute("INSERT INTO status_history (outbox_id, status, at) VALUES (?, 'received', ?)",
                        (n, now))
    old.close()
    conn = connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 4
        ob = Outbox(conn)
        assert ob.package(1) == package + b"\x01" and ob.package(2) == package + b"\x02"
        assert ob.receipt(1) == receipt and ob.receipt(2) is None
        assert ob.get(1).has_receipt and not ob.get(2).has_receipt
        assert [h["status"] for h in ob.history(1)] == ["received"]  # history kept
        # the rows no longer carry the blobs
        assert conn.execute("SELECT MAX(LENGTH(package)) FROM outbox").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(receipt) FROM outbox").fetchone()[0] == 0
        # the duplicate check uses an index instead of reading every package
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT local_id FROM outbox WHERE package_sha256 = ?", ("x",)))
        assert "outbox_sha256" in plan
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


def test_summaries_list_dossiers_without_their_bytes(tmp_path):
    from client.store.db import connect
    from client.store.documents import DocumentRepo

    conn = connect(tmp_path / "s.sqlite3")
    repo = DocumentRepo(conn)
    a = repo.add_draft(b'{"id":"a"}', {"id": "a", "kind": "salary", "number": "01", "total": 5,
                                      "period": {"year": 2026, "month": 10}, "lines": 2})
    b = repo.add_draft(b'{"id":"b"}', {"id": "b", "kind": "vouchers", "number": "02", "total": 7})
    repo.set_package(b, b"PK-signed", "signed-partial")
    got = repo.summaries()
    assert [(s.local_id, s.number, s.total, s.state, s.has_package) for s in got] == [
        (b, "02", 7, "signed-partial", True), (a, "01", 5, "draft", False)]
    assert got[1].period == "2026-10" and got[1].lines == 2
    assert not hasattr(got[0], "package") and not hasattr(got[0], "document_json")
