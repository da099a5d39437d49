"""The unit's dossiers: draft document bytes, the current package, and their state."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from client.errors import InvalidInput
from client.i18n import tr
from client.store.db import iso, transaction, utcnow

STATES = ("draft", "signed-partial", "signed", "queued", "sent", "accepted", "rejected", "paid")
# A new package may replace the stored one only in these states; once the
# document is queued its signed bytes are what the treasury gets.
REPLACEABLE_STATES = ("draft", "signed-partial", "signed", "rejected")


@dataclass(kw_only=True)
class _DossierFields:
    """The columns of a ``documents`` row that every reading of it carries."""

    local_id: int
    doc_id: str
    kind: str
    number: str
    period: str | None
    total: int
    state: str
    created_at: str
    updated_at: str
    title: str
    lines: int = 0


@dataclass(kw_only=True)
class DocumentRow(_DossierFields):
    """A whole dossier: its ``document.json`` bytes and its current package, if any."""

    document_json: bytes
    package: bytes | None


@dataclass(kw_only=True)
class DocumentSummary(_DossierFields):
    """A dossier's list entry, read without its document or package bytes (fast at
    10 000 dossiers: the blobs stay on their overflow pages)."""

    has_package: bool


_SUMMARY_COLUMNS = ("local_id, doc_id, kind, number, period, total, state,"
                    " package IS NOT NULL AS has_package, created_at, updated_at, title, lines")


def period_text(period: Any) -> str | None:
    """``{"year": 2026, "month": 10}`` (or "2026-10", "10/2026") → ``"2026-10"``."""
    if period is None or period == "":
        return None
    if isinstance(period, dict):
        try:
            return f"{int(period['year']):04d}-{int(period['month']):02d}"
        except (KeyError, TypeError, ValueError):
            return None
    text = str(period).strip()
    if "/" in text:
        month, _, year = text.partition("/")
        if month.isdigit() and year.isdigit():
            return f"{int(year):04d}-{int(month):02d}"
    return text


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown document state {state!r}")


def _row(r: sqlite3.Row) -> DocumentRow:
    return DocumentRow(
        local_id=r["local_id"], doc_id=r["doc_id"], kind=r["kind"], number=r["number"],
        period=r["period"], total=r["total"], state=r["state"],
        document_json=bytes(r["document_json"]),
        package=bytes(r["package"]) if r["package"] is not None else None,
        created_at=r["created_at"], updated_at=r["updated_at"], title=r["title"],
        lines=r["lines"],
    )


class DocumentRepo:
    """Repository over the ``documents`` table of :func:`client.store.db.connect`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add_draft(self, document_json: bytes, summary: dict, title: str = "") -> int:
        """Store the canonical ``document.json`` bytes of a new draft; return its local id."""
        doc_id = summary.get("id")
        if not doc_id:
            try:
                doc_id = json.loads(bytes(document_json).decode("utf-8")).get("id")
            except (ValueError, AttributeError):
                doc_id = None
        total = summary.get("total")
        if not isinstance(total, int) or isinstance(total, bool):
            raise InvalidInput(tr("Tổng số tiền của chứng từ phải là số nguyên đồng."))
        now = iso(utcnow())
        with transaction(self.conn):
            cur = self.conn.execute(
                "INSERT INTO documents (doc_id, kind, number, period, total, lines, state,"
                " document_json, package, title, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, NULL, ?, ?, ?)",
                (str(doc_id or ""), str(summary.get("kind") or ""), str(summary.get("number") or ""),
                 period_text(summary.get("period")), total, int(summary.get("lines") or 0),
                 bytes(document_json), title, now, now),
            )
            return int(cur.lastrowid)

    def set_package(self, local_id: int, package: bytes, state: str) -> None:
        """Keep the newest package (after a signature). Refused once the document is queued."""
        _check_state(state)
        with transaction(self.conn):
            row = self.get(local_id)
            if row.state not in REPLACEABLE_STATES:
                raise InvalidInput(tr(
                    "Chứng từ số {number} đã được đưa vào hàng đợi gửi Kho bạc"
                    " (trạng thái «{state}»); không thể thay gói hồ sơ đã ký.",
                    number=row.number, state=row.state))
            self.conn.execute(
                "UPDATE documents SET package = ?, state = ?, updated_at = ? WHERE local_id = ?",
                (bytes(package), state, iso(utcnow()), local_id),
            )

    def set_state(self, local_id: int, state: str) -> None:
        _check_state(state)
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE documents SET state = ?, updated_at = ? WHERE local_id = ?",
                (state, iso(utcnow()), local_id),
            )
            if cur.rowcount == 0:
                raise InvalidInput(tr("Không tìm thấy chứng từ #{id}.", id=local_id))

    def get(self, local_id: int) -> DocumentRow:
        r = self.conn.execute("SELECT * FROM documents WHERE local_id = ?", (local_id,)).fetchone()
        if r is None:
            raise InvalidInput(tr("Không tìm thấy chứng từ #{id}.", id=local_id))
        return _row(r)

    def list(self) -> list[DocumentRow]:
        rows = self.conn.execute("SELECT * FROM documents ORDER BY local_id DESC").fetchall()
        return [_row(r) for r in rows]

    def summaries(self) -> list[DocumentSummary]:
        """Every dossier, newest first, without the document and package bytes."""
        rows = self.conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM documents ORDER BY local_id DESC").fetchall()
        return [DocumentSummary(**{k: (bool(r[k]) if k == "has_package" else r[k]) for k in r.keys()})
                for r in rows]

    def find_by_doc_id(self, doc_id: str) -> DocumentRow | None:
        r = self.conn.execute(
            "SELECT * FROM documents WHERE doc_id = ? ORDER BY local_id DESC LIMIT 1", (doc_id,)
        ).fetchone()
        return _row(r) if r is not None else None

    def delete(self, local_id: int) -> None:
        """Remove a draft (only drafts; anything signed stays on record)."""
        with transaction(self.conn):
            row = self.get(local_id)
            if row.state != "draft":
                raise InvalidInput(tr("Chỉ xóa được bản nháp; chứng từ số {number} đã ký.",
                                      number=row.number))
            self.conn.execute("DELETE FROM documents WHERE local_id = ?", (local_id,))
