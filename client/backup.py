"""Backing up and restoring the data folder (database + settings) as one zip.

Backup copies the SQLite database with SQLite's online backup API
(``sqlite3.Connection.backup``): a consistent snapshot even while the
application (or a CLI) keeps writing, never a half-written file copy. The
copy is checked (``PRAGMA integrity_check``) before it goes into the zip.

Restore validates everything before touching anything: the file is a zip
whose entries are exactly the ones a backup has (no paths, no traversal,
sizes bounded), its database passes ``integrity_check``, is a KBNN Client
database, and its schema is not newer than this version understands. Only
then are the current files moved aside as ``*.bak-<time>`` and the new ones
moved in (``os.replace``, same folder); any failure moves the old ones back.

Restore must run while no other process has the database open (close the
application first; the GUI closes its ``AppContext`` before calling it).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from client import __version__
from client.errors import InvalidInput, KbnnError, Problem
from client.home import DATABASE, SETTINGS, Home
from client.i18n import tr

log = logging.getLogger("client.backup")

FORMAT = "kbnn-client-backup/1"
MANIFEST = "manifest.json"
DB_ENTRY = DATABASE  # "kbnn.sqlite3"
SETTINGS_ENTRY = SETTINGS  # "settings.ini"
ALLOWED = (MANIFEST, DB_ENTRY, SETTINGS_ENTRY)
MAX_DB_BYTES = 8 * 1024**3
MAX_SMALL_BYTES = 1024**2
REQUIRED_TABLES = ("documents", "outbox")


@dataclass
class BackupInfo:
    path: Path
    schema_version: int
    documents: int
    outbox: int
    db_bytes: int
    created_at: str
    has_settings: bool

    def to_json(self) -> dict:
        return {"path": str(self.path), "schema_version": self.schema_version,
                "documents": self.documents, "outbox": self.outbox, "db_bytes": self.db_bytes,
                "created_at": self.created_at, "has_settings": self.has_settings}


@dataclass
class RestoreInfo:
    schema_version: int
    documents: int
    outbox: int
    created_at: str | None
    previous: list[Path] = field(default_factory=list)  # where the replaced files went

    def to_json(self) -> dict:
        return {"schema_version": self.schema_version, "documents": self.documents,
                "outbox": self.outbox, "created_at": self.created_at,
                "previous": [str(p) for p in self.previous]}


def _refuse(message: str, code: str, detail: str = "") -> InvalidInput:
    return InvalidInput(tr("Không khôi phục: {reason}", reason=message),
                        [Problem(code, detail or message, "backup")])


class Cancelled(KbnnError):
    """The person cancelled a backup or restore before anything was changed."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = tr("Đã hủy; dữ liệu không thay đổi.")
        super().__init__(message, [Problem("cancelled", message, "backup")])


# progress(phase, done, total): phases "copy", "check", "write" (backup) and "read", "check",
# "replace" (restore); done/total in bytes for "write"/"read", else 0/1 as the phase starts.
Progress = Callable[[str, int, int], None]


class _Steps:
    """Progress reporting and cancellation between steps (both optional)."""

    def __init__(self, progress: Progress | None, cancel: Callable[[], bool] | None) -> None:
        self.progress, self.cancel = progress, cancel

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.cancel is not None and self.cancel():
            raise Cancelled()
        if self.progress is not None:
            try:
                self.progress(phase, done, total)
            except Exception:  # noqa: BLE001 - a broken progress bar never breaks a backup
                log.debug("progress callback failed", exc_info=True)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _db_facts(path: Path) -> tuple[list[str], int, set[str], int, int]:
    """(integrity_check lines, user_version, tables, documents, outbox) of an SQLite file."""
    conn = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True, isolation_level=None)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] \
            if "documents" in tables else 0
        outbox = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] \
            if "outbox" in tables else 0
        return integrity, version, tables, int(docs), int(outbox)
    finally:
        conn.close()


# --------------------------------------------------------------------------- backup


def create_backup(home: Home, dest: Path | str, *, progress: Progress | None = None,
                  cancel: Callable[[], bool] | None = None) -> BackupInfo:
    """Write a backup zip of ``home`` to ``dest`` (a ``.zip`` file, written atomically).

    ``progress(phase, done, total)`` is called as it goes (from the calling thread);
    ``cancel()`` returning true between steps stops it with :class:`Cancelled`, leaving
    no file behind."""
    from client.store.db import connect

    step = _Steps(progress, cancel)
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / f"kbnn-client-sao-luu-{datetime.now().strftime('%Y%m%d-%H%M%S')}.zip"
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kbnn-backup-", dir=dest.parent) as tmp:
        copy = Path(tmp) / DB_ENTRY
        # connect() creates/migrates a missing database: a backup is always restorable
        step("copy", 0, 1)
        src = connect(home.db_path)
        try:
            dst = sqlite3.connect(str(copy))
            try:
                src.backup(dst)  # one step: a consistent snapshot under one read transaction
                dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        step("check", 0, 1)
        integrity, version, _tables, docs, outbox = _db_facts(copy)
        if integrity != ["ok"]:
            raise InvalidInput(tr("Không sao lưu được: cơ sở dữ liệu hiện tại bị lỗi toàn vẹn. "
                                  "Hãy chạy «kbnn-client doctor» và liên hệ bộ phận hỗ trợ."),
                               [Problem("db-corrupt", " ".join("; ".join(integrity).split())[:300],
                                        "database")])
        created = datetime.now(UTC).isoformat(timespec="seconds")
        settings = home.settings_path.read_bytes() if home.settings_path.is_file() else None
        manifest = {
            "format": FORMAT, "app_version": __version__, "created_at": created,
            "schema_version": version, "documents": docs, "outbox": outbox,
            "db_sha256": _sha256_file(copy), "db_bytes": copy.stat().st_size,
            "has_settings": settings is not None, "training": home.is_training,
        }
        tmp_zip = Path(tmp) / "backup.zip"
        total = manifest["db_bytes"]
        with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            done = 0
            step("write", done, total)
            with open(copy, "rb") as fh, z.open(DB_ENTRY, "w", force_zip64=True) as out:
                for chunk in iter(lambda: fh.read(4 << 20), b""):
                    out.write(chunk)
                    done += len(chunk)
                    step("write", done, total)
            if settings is not None:
                z.writestr(SETTINGS_ENTRY, settings)
        with open(tmp_zip, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_zip, dest)
    log.info("backup written: %s (%s documents, schema %s)", dest.name, docs, version)
    return BackupInfo(dest, version, docs, outbox, manifest["db_bytes"], created,
                      settings is not None)


# --------------------------------------------------------------------------- restore


def _check_names(z: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in z.infolist():
        name = info.filename
        bad = (name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/")
               or (len(name) > 1 and name[1] == ":") or "/" in name.rstrip("/"))
        if bad:
            raise _refuse(tr("tệp sao lưu chứa đường dẫn không hợp lệ «{name}» (có thể là tệp "
                             "độc hại).", name=name), "backup-path", name)
        if name not in ALLOWED:
            raise _refuse(tr("tệp sao lưu có mục lạ «{name}»; đây không phải tệp sao lưu của "
                             "KBNN Client.", name=name), "backup-entry", name)
        if name in entries:
            raise _refuse(tr("tệp sao lưu có mục «{name}» lặp lại.", name=name),
                          "backup-duplicate", name)
        limit = MAX_DB_BYTES if name == DB_ENTRY else MAX_SMALL_BYTES
        if info.file_size > limit:
            raise _refuse(tr("mục «{name}» quá lớn.", name=name), "backup-size", name)
        entries[name] = info
    for required in (MANIFEST, DB_ENTRY):
        if required not in entries:
            raise _refuse(tr("tệp sao lưu thiếu «{name}»; đây không phải tệp sao lưu của "
                             "KBNN Client.", name=required), "backup-incomplete", required)
    return entries


def _extract(z: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int,
             step: _Steps | None = None) -> None:
    """Stream one entry to ``target``, never writing more than ``limit`` bytes."""
    written = 0
    with z.open(info) as src, open(target, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                raise _refuse(tr("mục «{name}» quá lớn.", name=info.filename), "backup-size",
                              info.filename)
            out.write(chunk)
            if step is not None:
                step("read", written, info.file_size)
        out.flush()
        os.fsync(out.fileno())


def inspect_backup(path: Path | str, staging: Path, *, progress: Progress | None = None,
                   cancel: Callable[[], bool] | None = None) -> dict:
    """Validate the backup at ``path`` and unpack it into ``staging``. Returns the manifest
    (with the facts re-read from the database). Raises ``InvalidInput`` (Vietnamese), or
    :class:`Cancelled` when ``cancel()`` turns true."""
    from client.store.db import SCHEMA_VERSION

    step = _Steps(progress, cancel)

    path = Path(path)
    if not path.is_file():
        raise _refuse(tr("không tìm thấy tệp «{path}».", path=path), "backup-missing")
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _refuse(tr("«{name}» không phải tệp sao lưu (không phải tệp zip hợp lệ).",
                         name=path.name), "backup-not-zip") from None
    with z:
        entries = _check_names(z)
        try:
            manifest = json.loads(z.read(entries[MANIFEST]).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
            raise _refuse(tr("phần mô tả (manifest.json) của tệp sao lưu bị hỏng."),
                          "backup-manifest", str(exc)) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _refuse(tr("tệp không phải bản sao lưu của KBNN Client (sai định dạng)."),
                          "backup-format")
        db = staging / DB_ENTRY
        try:
            _extract(z, entries[DB_ENTRY], db, MAX_DB_BYTES, step)
            if SETTINGS_ENTRY in entries:
                _extract(z, entries[SETTINGS_ENTRY], staging / SETTINGS_ENTRY, MAX_SMALL_BYTES)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise _refuse(tr("tệp sao lưu bị hỏng (không giải nén được)."), "backup-corrupt",
                          str(exc)) from None
    step("check", 0, 1)
    expected = manifest.get("db_sha256")
    if expected and _sha256_file(db) != expected:
        raise _refuse(tr("cơ sở dữ liệu trong tệp sao lưu không khớp mã kiểm tra (tệp bị hỏng "
                         "hoặc bị sửa)."), "backup-digest")
    try:
        integrity, version, tables, docs, outbox = _db_facts(db)
    except sqlite3.DatabaseError as exc:
        raise _refuse(tr("cơ sở dữ liệu trong tệp sao lưu bị hỏng (không đọc được)."),
                      "backup-db-corrupt", str(exc)) from None
    if integrity != ["ok"]:
        raise _refuse(tr("cơ sở dữ liệu trong tệp sao lưu bị hỏng (không qua kiểm tra toàn "
                         "vẹn)."),
                      "backup-db-corrupt", " ".join("; ".join(integrity).split())[:300])
    if version > SCHEMA_VERSION:
        raise _refuse(tr("bản sao lưu được tạo bởi phiên bản ứng dụng mới hơn (cấu trúc dữ "
                         "liệu {version}, phiên bản này hiểu tới {known}). Hãy cập nhật ứng "
                         "dụng trước khi khôi phục.", version=version, known=SCHEMA_VERSION),
                      "backup-newer")
    missing = [t for t in REQUIRED_TABLES if t not in tables] if version > 0 else []
    if missing:
        raise _refuse(tr("cơ sở dữ liệu trong tệp sao lưu không phải của KBNN Client."),
                      "backup-not-ours", ", ".join(missing))
    settings = staging / SETTINGS_ENTRY
    if settings.exists():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(settings.read_text("utf-8"))
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise _refuse(tr("tệp cấu hình trong bản sao lưu bị hỏng."), "backup-settings",
                          str(exc)) from None
    manifest.update(schema_version=version, documents=docs, outbox=outbox)
    return manifest


def _sidecars(db: Path) -> list[Path]:
    return [db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal")]


def _in_use() -> str:
    return tr("dữ liệu đang được ứng dụng khác sử dụng. Hãy đóng KBNN Client (và mọi cửa sổ "
              "dòng lệnh đang dùng nó) rồi khôi phục lại.")


def _take_whole(db: Path) -> None:
    """Fold the WAL into the database file and leave it in rollback-journal mode, which
    SQLite allows only when no other connection has the database open: so a running
    application is detected here, before anything is moved."""
    try:
        conn = sqlite3.connect(str(db), timeout=2, isolation_level=None)
    except sqlite3.Error as exc:
        raise _refuse(tr("không mở được cơ sở dữ liệu hiện tại: {error}.", error=exc),
                      "db-open") from None
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise _refuse(_in_use(), "db-in-use") from None
        mode = "?"  # a damaged current database: it is moved aside as it is
    finally:
        conn.close()
    if str(mode).lower() not in ("delete", "?"):
        raise _refuse(_in_use(), "db-in-use")


def restore_backup(home: Home, src: Path | str, *, progress: Progress | None = None,
                   cancel: Callable[[], bool] | None = None) -> RestoreInfo:
    """Replace ``home``'s database (and settings, when the backup has them) with the backup's.

    Nothing is changed unless the backup is valid. The previous files are kept
    beside the new ones as ``<name>.bak-<YYYYmmdd-HHMMSS>``. ``progress``/``cancel`` as for
    :func:`create_backup`; cancelling is possible until the files are swapped (the short
    last step, "replace", is never interrupted).
    """
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=home.path))
    try:
        manifest = inspect_backup(src, staging, progress=progress, cancel=cancel)
        _Steps(progress, cancel)("replace", 0, 1)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        moves: list[tuple[Path, Path]] = []  # (original, .bak) done so far
        placed: list[Path] = []
        db = home.db_path
        if db.exists():
            _take_whole(db)
        try:
            for original in [db, *_sidecars(db)] + (
                    [home.settings_path] if (staging / SETTINGS_ENTRY).exists() else []):
                if original.exists():
                    bak = original.with_name(f"{original.name}.bak-{stamp}")
                    if original.name.startswith(db.name + "-"):  # keep SQLite's pairing
                        bak = db.with_name(f"{db.name}.bak-{stamp}{original.name[len(db.name):]}")
                    os.replace(original, bak)
                    moves.append((original, bak))
            os.replace(staging / DB_ENTRY, db)
            placed.append(db)
            if (staging / SETTINGS_ENTRY).exists():
                os.replace(staging / SETTINGS_ENTRY, home.settings_path)
                placed.append(home.settings_path)
        except BaseException:
            originals = {o for o, _b in moves}
            for p in placed:
                if p not in originals:
                    p.unlink(missing_ok=True)
            for original, bak in reversed(moves):
                try:
                    os.replace(bak, original)
                except OSError:
                    log.error("could not move %s back to %s", bak, original)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # the new settings, if any, are what this Home shows from now on
    home.reload()
    log.info("restored backup (%s documents, schema %s)", manifest["documents"],
             manifest["schema_version"])
    return RestoreInfo(int(manifest["schema_version"]), int(manifest["documents"]),
                       int(manifest["outbox"]), manifest.get("created_at"),
                       [bak for _o, bak in moves])
