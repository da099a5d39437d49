"""Backup while the database is being written, and restore that refuses anything doubtful
without changing a byte of the current data."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from client.backup import create_backup, restore_backup
from client.errors import InvalidInput
from client.home import Home
from client.store.db import SCHEMA_VERSION, connect, transaction
from client.store.documents import DocumentRepo
from client.transport.outbox import Outbox

ROOT = Path(__file__).resolve().parents[2]


def add_pair(conn: sqlite3.Connection, i: int) -> None:
    """One dossier and its outbox item, in ONE transaction (a backup must never split them)."""
    doc = {"id": f"doc-{i}", "kind": "salary-table", "number": f"BL-{i:05d}", "total": 1_000 * i + 7}
    with transaction(conn):
        local = DocumentRepo(conn).add_draft(json.dumps(doc).encode(), doc, f"Hồ sơ {i}")
        Outbox(conn).enqueue(f"package-{i}".encode(), doc, document_local_id=local)


def counts(db: Path) -> tuple[int, int, int]:
    with closing(sqlite3.connect(f"file:{db.as_posix()}?mode=ro", uri=True)) as conn:
        docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        items = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        orphans = conn.execute("SELECT COUNT(*) FROM documents d WHERE NOT EXISTS"
                               " (SELECT 1 FROM outbox o WHERE o.document_local_id = d.local_id)"
                               ).fetchone()[0]
    return docs, items, orphans


def fingerprint(home: Home) -> dict[str, str]:
    """Every file of the home folder (recursively) with its SHA-256."""
    return {str(p.relative_to(home.path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.path.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path) -> Home:
    h = Home(tmp_path / "home")
    h.set("server", "url", "https://dvc.example.vn/api/v1")
    h.set("words", "zero_tens", "lẻ")
    h.save()
    conn = connect(h.db_path)
    try:
        for i in range(20):
            add_pair(conn, i)
    finally:
        conn.close()
    return h


def test_backup_while_another_connection_writes_then_restore(home, tmp_path):
    stop = threading.Event()
    written = [20]
    errors: list[BaseException] = []

    def writer() -> None:
        conn = connect(home.db_path)
        try:
            while not stop.is_set():
                add_pair(conn, written[0])
                written[0] += 1
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)
        finally:
            conn.close()

    t = threading.Thread(target=writer)
    t.start()
    infos = []
    try:
        while written[0] < 60:  # let it get going
            pass
        for n in range(4):
            infos.append(create_backup(home, tmp_path / f"b{n}.zip"))
    finally:
        stop.set()
        t.join(30)
    assert not errors, errors
    assert written[0] > infos[-1].documents > 0  # the writer went on during and after the backups
    for n, info in enumerate(infos):
        with zipfile.ZipFile(tmp_path / f"b{n}.zip") as z:
            assert sorted(z.namelist()) == ["kbnn.sqlite3", "manifest.json", "settings.ini"]
            manifest = json.loads(z.read("manifest.json"))
            z.extract("kbnn.sqlite3", tmp_path / f"x{n}")
        db = tmp_path / f"x{n}" / "kbnn.sqlite3"
        with closing(sqlite3.connect(db)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one whole file
        docs, items, orphans = counts(db)
        # a snapshot: every committed pair is in, no half of a transaction
        assert docs == items == info.documents == manifest["documents"] and orphans == 0
        assert manifest["schema_version"] == SCHEMA_VERSION
    assert infos[0].documents <= infos[-1].documents

    # restore the first backup over the grown database
    before = counts(home.db_path)[0]
    home.set("words", "zero_tens", "linh")
    home.save()
    result = restore_backup(home, tmp_path / "b0.zip")
    assert result.documents == infos[0].documents < before
    assert counts(home.db_path)[:2] == (infos[0].documents, infos[0].documents)
    assert home.get("words", "zero_tens") == "lẻ"  # the settings came back too
    # the previous data is kept beside it, whole
    baks = sorted(p.name for p in home.path.iterdir() if ".bak-" in p.name)
    assert any(n.startswith("kbnn.sqlite3.bak-") for n in baks)
    assert any(n.startswith("settings.ini.bak-") for n in baks)
    old_db = next(p for p in result.previous if p.name.startswith("kbnn.sqlite3.bak-")
                  and "-wal" not in p.name and "-shm" not in p.name)
    assert counts(old_db)[0] == before
    assert "zero_tens = linh" in next(p for p in result.previous
                                      if p.name.startswith("settings.ini")).read_text("utf-8")
    assert not [p for p in home.path.iterdir() if p.name.startswith(".restore-")]
    # the restored database opens and takes writes
    conn = connect(home.db_path)
    try:
        add_pair(conn, 99_999)
    finally:
        conn.close()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _good_entries(home: Home, tmp_path: Path) -> dict[str, bytes]:
    create_backup(home, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as z:
        return {n: z.read(n) for n in z.namelist()}


def _newer_schema(entries: dict[str, bytes], tmp_path: Path) -> dict[str, bytes]:
    db = tmp_path / "newer.sqlite3"
    db.write_bytes(entries["kbnn.sqlite3"])
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    manifest = json.loads(entries["manifest.json"])
    manifest.pop("db_sha256")
    return {**entries, "kbnn.sqlite3": db.read_bytes(), "manifest.json": json.dumps(manifest).encode()}


def _corrupt_db(entries: dict[str, bytes]) -> dict[str, bytes]:
    raw = bytearray(entries["kbnn.sqlite3"])
    raw[4096 + 8: 8192] = b"\x5a" * (4096 - 8)
    manifest = json.loads(entries["manifest.json"])
    manifest.pop("db_sha256")  # a hostile file would not carry a matching digest either
    return {**entries, "kbnn.sqlite3": bytes(raw), "manifest.json": json.dumps(manifest).encode()}


@pytest.mark.parametrize("case, expected", [
    ("not-a-zip", "không phải tệp zip"),
    ("traversal", "đường dẫn không hợp lệ"),
    ("absolute", "đường dẫn không hợp lệ"),
    ("windows-path", "đường dẫn không hợp lệ"),
    ("extra-entry", "mục lạ"),
    ("no-manifest", "thiếu «manifest.json»"),
    ("foreign-manifest", "không phải bản sao lưu"),
    ("newer-schema", "phiên bản ứng dụng mới hơn"),
    ("corrupt-db", "bị hỏng"),
    ("tampered", "không khớp mã kiểm tra"),
    ("not-sqlite", "bị hỏng (không đọc được)"),
])
def test_doubtful_backups_are_refused_and_nothing_changes(home, tmp_path, case, expected):
    good = _good_entries(home, tmp_path)
    bad = tmp_path / "bad.zip"
    if case == "not-a-zip":
        bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    elif case == "traversal":
        bad.write_bytes(_zip({**good, "../../evil.txt": b"x"}))
    elif case == "absolute":
        bad.write_bytes(_zip({**good, "/etc/kbnn-evil": b"x"}))
    elif case == "windows-path":
        bad.write_bytes(_zip({**good, "..\\..\\evil.dll": b"x"}))
    elif case == "extra-entry":
        bad.write_bytes(_zip({**good, "autorun.inf": b"x"}))
    elif case == "no-manifest":
        bad.write_bytes(_zip({k: v for k, v in good.items() if k != "manifest.json"}))
    elif case == "foreign-manifest":
        bad.write_bytes(_zip({**good, "manifest.json": b'{"format": "other/1"}'}))
    elif case == "newer-schema":
        bad.write_bytes(_zip(_newer_schema(good, tmp_path)))
    elif case == "corrupt-db":
        bad.write_bytes(_zip(_corrupt_db(good)))
    elif case == "tampered":
        bad.write_bytes(_zip({**good, "kbnn.sqlite3": good["kbnn.sqlite3"][:-1] + b"\x01"}))
    elif case == "not-sqlite":
        manifest = json.loads(good["manifest.json"])
        manifest.pop("db_sha256")
        bad.write_bytes(_zip({**good, "kbnn.sqlite3": b"hello" * 1000,
                              "manifest.json": json.dumps(manifest).encode()}))
    before = fingerprint(home)
    with pytest.raises(InvalidInput) as err:
        restore_backup(home, bad)
    assert err.value.message.startswith("Không khôi phục:")
    assert expected in err.value.message, err.value.message
    assert fingerprint(home) == before  # not one byte changed, no .bak, no leftovers
    assert not (tmp_path / "evil.txt").exists() and not (home.path.parent / "evil.txt").exists()


def test_restore_refused_while_another_process_has_the_database_open(home, tmp_path):
    create_backup(home, tmp_path / "b.zip")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, sqlite3; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1 FROM documents')"
         ".fetchall(); print('open', flush=True); sys.stdin.read()", str(home.db_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "open"
        before = {k: v for k, v in fingerprint(home).items() if not k.endswith("-shm")}
        with pytest.raises(InvalidInput) as err:
            restore_backup(home, tmp_path / "b.zip")
        assert "đang được ứng dụng khác sử dụng" in err.value.message
        after = {k: v for k, v in fingerprint(home).items() if not k.endswith("-shm")}
        assert sorted(after) == sorted(before)
        assert not [n for n in after if ".bak-" in n]
    finally:
        holder.stdin.close()
        holder.wait(10)
    restore_backup(home, tmp_path / "b.zip")  # once it is closed, it goes through


def test_cli_backup_and_restore(home, tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "client", "--home", str(home.path), *args],
                              capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT,
                              timeout=60)

    made = cli("backup", str(tmp_path / "cli.zip"))
    assert made.returncode == 0, made.stderr
    assert "Đã sao lưu 20 hồ sơ" in made.stdout
    done = cli("restore", str(tmp_path / "cli.zip"))
    assert done.returncode == 0, done.stderr
    assert "Đã khôi phục 20 hồ sơ" in done.stdout and "Dữ liệu cũ được giữ lại" in done.stdout
    (tmp_path / "junk.zip").write_bytes(b"junk")
    refused = cli("restore", str(tmp_path / "junk.zip"))
    assert refused.returncode == 1 and "không phải tệp sao lưu" in refused.stderr


def _big_home(home: Home, mb: int = 10) -> None:
    """Add incompressible package bytes so that writing the zip takes several chunks."""
    conn = connect(home.db_path)
    try:
        for i in range(mb):
            doc = {"id": f"big-{i}", "kind": "salary-table", "number": f"LON-{i}", "total": 5}
            with transaction(conn):
                local = DocumentRepo(conn).add_draft(json.dumps(doc).encode(), doc)
                DocumentRepo(conn).set_package(local, os.urandom(1 << 20), "signed")
    finally:
        conn.close()


def test_progress_is_reported_and_cancel_leaves_nothing(home, tmp_path):
    _big_home(home)
    seen: list[tuple[str, int, int]] = []
    info = create_backup(home, tmp_path / "ok.zip", progress=lambda *a: seen.append(a))
    phases = [p for p, _d, _t in seen]
    assert phases[0] == "copy" and "check" in phases and phases[-1] == "write"
    writes = [(d, t) for p, d, t in seen if p == "write"]
    assert len(writes) >= 3 and writes[-1] == (info.db_bytes, info.db_bytes)
    assert [d for d, _t in writes] == sorted(d for d, _t in writes)

    # cancel half-way through writing: no zip, no temporary folder, a clear message
    before = set(tmp_path.iterdir())
    state = {"n": 0}

    def cancel() -> bool:
        state["n"] += 1
        return state["n"] > 4

    from client.backup import Cancelled

    with pytest.raises(Cancelled) as exc:
        create_backup(home, tmp_path / "cancelled.zip", cancel=cancel)
    assert "Đã hủy" in exc.value.message
    assert set(tmp_path.iterdir()) == before

    # restore: cancelled while reading the backup, the current data is untouched
    current = fingerprint(home)
    state["n"] = 0
    with pytest.raises(Cancelled):
        restore_backup(home, tmp_path / "ok.zip", cancel=cancel)
    assert fingerprint(home) == current
    seen.clear()
    restored = restore_backup(home, tmp_path / "ok.zip", progress=lambda *a: seen.append(a))
    assert restored.documents == info.documents
    assert [p for p, _d, _t in seen if p != "read"] == ["check", "replace"]
