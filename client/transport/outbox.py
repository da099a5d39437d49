"""The durable outbox: queued packages are sent with the same key and bytes until the
treasury has them, then followed to ``paid`` or ``rejected``.

* ``enqueue`` commits the package, its idempotency key and the document's new
  state in one transaction, before any network.
* ``flush`` sends due items one at a time. Only one sender runs at a time
  across processes (a CLI and the GUI may flush together): it holds a lease
  row in ``locks``, taken with ``BEGIN IMMEDIATE`` and renewed per item, that
  expires by itself if its process dies.
* The treasury's answer (id and status) is recorded in the same transaction
  that marks the item ``sent``. If the process dies between sending and
  recording, the next flush sends the same key and bytes again and gets the
  first answer back (``200``), so nothing is lost or duplicated.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import sqlite3
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from client.errors import InvalidInput, KbnnError, Problem, Unreachable
from client.store.db import iso, parse_iso, transaction, utcnow
from client.transport.api import (
    ApiAnswer,
    AuthError,
    TreasuryClient,
    problem_message,
    problems_of,
)

log = logging.getLogger(__name__)

LOCAL_STATES = ("queued", "sending", "sent", "needs-attention", "cancelled")
FINAL_STATUSES = ("rejected", "paid")
STATUS_TEXT = {
    "received": "Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}
# treasury status -> state of the document row
DOCUMENT_STATE = {"received": "sent", "accepted": "accepted", "rejected": "rejected",
                  "paid": "paid"}

BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 15 * 60.0
LEASE_SECONDS = 300.0
LOCK_NAME = "outbox-sender"
SYNC_OVERLAP = timedelta(minutes=5)  # re-read this much before the last change seen

RETRY_STATUSES = (409, 429)
ATTENTION_STATUSES = (400, 403, 413, 422)

_rng = random.SystemRandom()


@dataclass
class OutboxItem:
    local_id: int
    document_local_id: int | None
    submission_id: str | None
    state: str
    treasury_status: str | None
    status_text: str | None
    reason: str | None
    idempotency_key: str
    document_number: str
    kind: str
    total: int
    attempts: int
    next_try: str | None
    last_error: str | None
    created_at: str
    updated_at: str
    problems: list[Problem] = field(default_factory=list)
    has_receipt: bool = False

    def to_json(self) -> dict:
        out = asdict(self)
        out["problems"] = [p.to_json() for p in self.problems]
        return out


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    unreachable: bool = False
    errors: list[str] = field(default_factory=list)


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed tries: full-jitter exponential, at least
    Retry-After (which is honoured even beyond the cap)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    delay = _rng.uniform(0, ceiling)
    delay = max(delay, 1.0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value) + 0.0
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def _item(r: sqlite3.Row) -> OutboxItem:
    problems = []
    if r["problems_json"]:
        try:
            problems = [Problem(**p) for p in json.loads(r["problems_json"])]
        except (TypeError, ValueError):
            problems = []
    return OutboxItem(
        local_id=r["local_id"], document_local_id=r["document_local_id"],
        submission_id=r["submission_id"], state=r["state"],
        treasury_status=r["treasury_status"], status_text=r["status_text"], reason=r["reason"],
        idempotency_key=r["idempotency_key"], document_number=r["document_number"],
        kind=r["kind"], total=r["total"], attempts=r["attempts"], next_try=r["next_try"],
        last_error=r["last_error"], created_at=r["created_at"], updated_at=r["updated_at"],
        problems=problems, has_receipt=r["has_receipt"] == 1,
    )


_ITEM_COLUMNS = ("local_id, document_local_id, submission_id, state, treasury_status, status_text,"
                 " reason, problems_json, idempotency_key, document_number, kind, total, attempts,"
                 " next_try, last_error, created_at, updated_at,"
                 " (receipt IS NOT NULL) AS has_receipt")


class Outbox:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._owner = f"{os.getpid()}-{uuid.uuid4()}"

    # -- queue ------------------------------------------------------------------

    def enqueue(self, package: bytes, summary: dict, *, document_local_id: int | None = None) -> int:
        """Queue a signed package; one transaction with the document row's state -> queued."""
        package = bytes(package)
        if not package:
            raise InvalidInput("Gói hồ sơ rỗng, không thể đưa vào hàng đợi.")
        total = summary.get("total")
        if not isinstance(total, int) or isinstance(total, bool):
            raise InvalidInput("Tổng số tiền của chứng từ phải là số nguyên đồng.")
        sha = hashlib.sha256(package).hexdigest()
        now = iso(utcnow())
        with transaction(self.conn):
            dup = self.conn.execute(
                "SELECT local_id, state FROM outbox WHERE package_sha256 = ? AND state != 'cancelled'",
                (sha,),
            ).fetchone()
            if dup is not None:
                raise InvalidInput(
                    f"Gói hồ sơ này đã có trong hàng đợi gửi (mục #{dup['local_id']}, "
                    f"trạng thái «{dup['state']}»)."
                )
            if document_local_id is not None:
                cur = self.conn.execute(
                    "UPDATE documents SET state = 'queued', package = ?, updated_at = ?"
                    " WHERE local_id = ?",
                    (package, now, document_local_id),
                )
                if cur.rowcount == 0:
                    raise InvalidInput(f"Không tìm thấy chứng từ #{document_local_id}.")
            cur = self.conn.execute(
                "INSERT INTO outbox (document_local_id, package, package_sha256, idempotency_key,"
                " state, document_number, kind, total, attempts, next_try, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, 0, NULL, ?, ?)",
                (document_local_id, package, sha, str(uuid.uuid4()),
                 str(summary.get("number") or ""), str(summary.get("kind") or ""), total, now, now),
            )
            local_id = int(cur.lastrowid)
        log.info("queued outbox item #%s (document %s)", local_id, summary.get("number"))
        return local_id

    def items(self) -> list[OutboxItem]:
        rows = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM outbox ORDER BY local_id DESC"
        ).fetchall()
        return [_item(r) for r in rows]

    def get(self, local_id: int) -> OutboxItem:
        r = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE local_id = ?", (local_id,)
        ).fetchone()
        if r is None:
            raise InvalidInput(f"Không tìm thấy mục #{local_id} trong hàng đợi gửi.")
        return _item(r)

    def package(self, local_id: int) -> bytes:
        r = self.conn.execute("SELECT package FROM outbox WHERE local_id = ?", (local_id,)).fetchone()
        if r is None:
            raise InvalidInput(f"Không tìm thấy mục #{local_id} trong hàng đợi gửi.")
        return bytes(r["package"])

    def history(self, local_id: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT status, at, note FROM status_history WHERE outbox_id = ? ORDER BY at, id",
            (local_id,),
        ).fetchall()
        return [{"status": r["status"], "at": r["at"], "note": r["note"]} for r in rows]

    def receipt(self, local_id: int) -> bytes | None:
        r = self.conn.execute("SELECT receipt FROM outbox WHERE local_id = ?", (local_id,)).fetchone()
        return bytes(r["receipt"]) if r is not None and r["receipt"] is not None else None

    def cancel(self, local_id: int) -> None:
        """Withdraw an item the treasury does not have (queued, or needs-attention without id)."""
        with transaction(self.conn):
            item = self.get(local_id)
            if item.submission_id is not None or item.state not in ("queued", "needs-attention"):
                raise InvalidInput(
                    f"Không thể hủy mục #{local_id} (chứng từ số {item.document_number}): "
                    "Kho bạc đã nhận hoặc đang gửi hồ sơ này."
                )
            now = iso(utcnow())
            self.conn.execute(
                "UPDATE outbox SET state = 'cancelled', next_try = NULL, updated_at = ?"
                " WHERE local_id = ?", (now, local_id))
            if item.document_local_id is not None:
                self.conn.execute(
                    "UPDATE documents SET state = 'signed', updated_at = ? WHERE local_id = ?",
                    (now, item.document_local_id))

    def retry(self, local_id: int) -> None:
        """Make an item due now: a waiting queued item, or a needs-attention one (same key and
        bytes, e.g. after the unit registered its signer with the treasury)."""
        with transaction(self.conn):
            item = self.get(local_id)
            if item.submission_id is not None or item.state not in ("queued", "needs-attention"):
                raise InvalidInput(
                    f"Không thể gửi lại mục #{local_id} (chứng từ số {item.document_number}): "
                    "Kho bạc đã nhận hoặc hồ sơ đã bị hủy."
                )
            now = iso(utcnow())
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', next_try = NULL, updated_at = ?"
                " WHERE local_id = ?", (now, local_id))
            if item.document_local_id is not None:
                self.conn.execute(
                    "UPDATE documents SET state = 'queued', updated_at = ? WHERE local_id = ?",
                    (now, item.document_local_id))

    # -- the sender lease --------------------------------------------------------

    def _take_lease(self) -> bool:
        now = utcnow()  # wall clock, whatever ``now`` a flush was given for due times
        with transaction(self.conn):
            row = self.conn.execute(
                "SELECT owner, expires_at FROM locks WHERE name = ?", (LOCK_NAME,)).fetchone()
            if row is not None and row["owner"] != self._owner and parse_iso(row["expires_at"]) > now:
                return False
            self.conn.execute(
                "INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at",
                (LOCK_NAME, self._owner, iso(now + timedelta(seconds=LEASE_SECONDS))),
            )
            return True

    def _renew_lease(self) -> bool:
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE locks SET expires_at = ? WHERE name = ? AND owner = ?",
                (iso(utcnow() + timedelta(seconds=LEASE_SECONDS)), LOCK_NAME, self._owner))
            return cur.rowcount == 1

    def _release_lease(self) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM locks WHERE name = ? AND owner = ?",
                              (LOCK_NAME, self._owner))

    # -- sending -------------------------------------------------------------------

    def _pending(self) -> list[sqlite3.Row]:
        # 'sending' rows found while we hold the lease were left by a sender that died.
        return self.conn.execute(
            "SELECT local_id, next_try FROM outbox WHERE state IN ('queued', 'sending')"
            " ORDER BY local_id").fetchall()

    def flush(self, api: TreasuryClient, *, now: datetime | None = None,
              force: bool = False) -> FlushResult:
        """Send every due item (``next_try <= now``, or all with ``force``), one at a time."""
        now = now or utcnow()
        if now.tzinfo is None:
            now = now.replace(tzinfo=utcnow().tzinfo)
        result = FlushResult()
        if not self._take_lease():
            result.waiting = len(self._pending())
            result.errors.append("Một cửa sổ/tiến trình khác đang gửi hồ sơ; hàng đợi sẽ được "
                                 "gửi sau khi tiến trình đó xong.")
            return result
        try:
            stop = False
            for row in self._pending():
                due = force or row["next_try"] is None or parse_iso(row["next_try"]) <= now
                if stop or not due:
                    result.waiting += 1
                    continue
                if not self._renew_lease():
                    result.errors.append("Mất quyền gửi hàng đợi (tiến trình khác đã nhận).")
                    result.waiting += 1
                    stop = True
                    continue
                stop = self._send_one(api, row["local_id"], now, result)
        finally:
            self._release_lease()
        return result

    def _send_one(self, api: TreasuryClient, local_id: int, now: datetime,
                  result: FlushResult) -> bool:
        """Send one item; record the outcome. Returns True when the rest should wait."""
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE outbox SET state = 'sending', updated_at = ? WHERE local_id = ?"
                " AND state IN ('queued', 'sending')", (iso(utcnow()), local_id))
            if cur.rowcount == 0:  # cancelled meanwhile
                return False
            row = self.conn.execute(
                "SELECT package, idempotency_key, document_number, attempts FROM outbox"
                " WHERE local_id = ?", (local_id,)).fetchone()
        number = row["document_number"]
        try:
            answer = api.submit(bytes(row["package"]), row["idempotency_key"])
        except Unreachable as exc:
            self._retry(local_id, row["attempts"] + 1, None, str(exc.message), now)
            result.failed += 1
            result.unreachable = True
            result.errors.append(f"Chứng từ số {number}: {exc.message}")
            return True
        except AuthError as exc:
            self._back_to_queue(local_id, exc.message)
            raise
        except BaseException:
            self._back_to_queue(local_id, None)
            raise

        if answer.ok and isinstance(answer.body, dict) and answer.body.get("id"):
            self._record_sent(local_id, answer, api)
            result.sent += 1
            return False
        message = problem_message(answer.body, answer.status)
        if answer.status in ATTENTION_STATUSES:
            self._needs_attention(local_id, row["attempts"] + 1, answer, message)
            result.failed += 1
            result.errors.append(f"Chứng từ số {number}: {message}")
            return False
        # 409 in-progress, 429/5xx overloaded, a 401 that survived a fresh login,
        # or anything unexpected: try again later with the same key and bytes.
        retry_after = parse_retry_after(answer.retry_after, now)
        self._retry(local_id, row["attempts"] + 1, retry_after, message, now)
        result.failed += 1
        result.errors.append(f"Chứng từ số {number}: {message}")
        return answer.status in (429, 503)

    def _back_to_queue(self, local_id: int, error: str | None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', last_error = COALESCE(?, last_error),"
                " updated_at = ? WHERE local_id = ? AND state = 'sending'",
                (error, iso(utcnow()), local_id))

    def _retry(self, local_id: int, attempts: int, retry_after: float | None, error: str,
               now: datetime) -> None:
        next_try = now + timedelta(seconds=backoff_delay(attempts, retry_after))
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', attempts = ?, next_try = ?, last_error = ?,"
                " updated_at = ? WHERE local_id = ?",
                (attempts, iso(next_try), error, iso(utcnow()), local_id))
        log.info("outbox item #%s: try %s failed, next try %s", local_id, attempts, iso(next_try))

    def _needs_attention(self, local_id: int, attempts: int, answer: ApiAnswer,
                         message: str) -> None:
        problems = problems_of(answer.body)
        reason_lines = [message] + [f"- {p}" for p in problems if p.message and p.message != message]
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'needs-attention', attempts = ?, next_try = NULL,"
                " reason = ?, problems_json = ?, last_error = ?, updated_at = ? WHERE local_id = ?",
                (attempts, "\n".join(reason_lines),
                 json.dumps([p.to_json() for p in problems], ensure_ascii=False),
                 f"HTTP {answer.status} {answer.code or ''}".strip(), iso(utcnow()), local_id))
            self._set_document_state(local_id, "rejected")
        log.info("outbox item #%s refused by the treasury: HTTP %s %s", local_id, answer.status,
                 answer.code)

    def _record_sent(self, local_id: int, answer: ApiAnswer, api: TreasuryClient) -> None:
        body = answer.body
        assert isinstance(body, dict)
        status = str(body.get("status") or "received")
        at = str(body.get("received_at") or body.get("updated_at") or iso(utcnow()))
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'sent', submission_id = ?, treasury_status = ?,"
                " status_text = ?, attempts = attempts + 1, next_try = NULL, last_error = NULL,"
                " reason = NULL, problems_json = NULL, base_url = ?, unit_code = ?, updated_at = ?"
                " WHERE local_id = ?",
                (str(body["id"]), status, body.get("status_text") or STATUS_TEXT.get(status),
                 getattr(api, "base_url", None), getattr(api, "unit_code", None),
                 iso(utcnow()), local_id))
            self.conn.execute(
                "INSERT OR IGNORE INTO status_history (outbox_id, status, at, note)"
                " VALUES (?, ?, ?, NULL)", (local_id, status, at))
            self._set_document_state(local_id, DOCUMENT_STATE.get(status, "sent"))
        log.info("outbox item #%s sent: id %s, HTTP %s", local_id, body["id"], answer.status)

    def _set_document_state(self, local_id: int, state: str) -> None:
        self.conn.execute(
            "UPDATE documents SET state = ?, updated_at = ? WHERE local_id ="
            " (SELECT document_local_id FROM outbox WHERE local_id = ?)",
            (state, iso(utcnow()), local_id))

    # -- following -----------------------------------------------------------------

    def _sync_name(self, api: TreasuryClient) -> str:
        return f"changes:{api.base_url}|{api.unit_code}"

    def refresh(self, api: TreasuryClient) -> list[OutboxItem]:
        """Pull status changes for sent items, keep their history, fetch receipts once paid.

        Returns the items that changed.
        """
        open_rows = self.conn.execute(
            "SELECT local_id, submission_id, treasury_status FROM outbox WHERE state = 'sent'"
            " AND submission_id IS NOT NULL AND (treasury_status NOT IN ('rejected', 'paid')"
            " OR treasury_status IS NULL OR (treasury_status = 'paid' AND receipt IS NULL))"
        ).fetchall()
        if not open_rows:
            return []
        by_id = {r["submission_id"]: r["local_id"] for r in open_rows}
        changed: set[int] = set()
        name = self._sync_name(api)
        mark = self.conn.execute("SELECT value FROM sync_marks WHERE name = ?", (name,)).fetchone()
        since = mark["value"] if mark is not None else None
        newest: datetime | None = None
        for record in api.changes(since):
            sid = record.get("id")
            if sid in by_id and self._apply(by_id[sid], record):
                changed.add(by_id[sid])
            if record.get("updated_at"):
                try:
                    ts = parse_iso(str(record["updated_at"]))
                except ValueError:
                    continue
                newest = ts if newest is None or ts > newest else newest
        if newest is not None:
            with transaction(self.conn):
                self.conn.execute(
                    "INSERT INTO sync_marks (name, value) VALUES (?, ?) ON CONFLICT(name)"
                    " DO UPDATE SET value = excluded.value", (name, iso(newest - SYNC_OVERLAP)))
        # Receipts for paid items that do not have one yet.
        paid = self.conn.execute(
            "SELECT local_id, submission_id FROM outbox WHERE state = 'sent'"
            " AND treasury_status = 'paid' AND receipt IS NULL AND submission_id IS NOT NULL"
        ).fetchall()
        for r in paid:
            if r["submission_id"] not in by_id:
                continue
            try:
                data = api.receipt(r["submission_id"])
            except KbnnError as exc:
                if isinstance(exc, Unreachable):
                    raise
                log.warning("receipt of outbox item #%s: %s", r["local_id"], exc.message)
                continue
            if data:
                with transaction(self.conn):
                    self.conn.execute(
                        "UPDATE outbox SET receipt = ?, receipt_at = ?, updated_at = ?"
                        " WHERE local_id = ?",
                        (data, iso(utcnow()), iso(utcnow()), r["local_id"]))
                changed.add(r["local_id"])
        return [self.get(i) for i in sorted(changed)]

    def refresh_one(self, api: TreasuryClient, local_id: int) -> OutboxItem:
        """Pull the status of one sent item with ``GET /submissions/{id}``."""
        item = self.get(local_id)
        if item.submission_id is None:
            return item
        self._apply(local_id, api.get(item.submission_id))
        if self.get(local_id).treasury_status == "paid" and self.receipt(local_id) is None:
            data = api.receipt(item.submission_id)
            if data:
                with transaction(self.conn):
                    self.conn.execute(
                        "UPDATE outbox SET receipt = ?, receipt_at = ?, updated_at = ?"
                        " WHERE local_id = ?", (data, iso(utcnow()), iso(utcnow()), local_id))
        return self.get(local_id)

    def _apply(self, local_id: int, record: dict) -> bool:
        """Store one status record (and its history); True if anything changed."""
        status = record.get("status")
        if not status:
            return False
        with transaction(self.conn):
            before = self.conn.execute(
                "SELECT treasury_status, reason FROM outbox WHERE local_id = ?",
                (local_id,)).fetchone()
            added = 0
            for h in record.get("history") or []:
                if isinstance(h, dict) and h.get("status") and h.get("at"):
                    added += self.conn.execute(
                        "INSERT OR IGNORE INTO status_history (outbox_id, status, at, note)"
                        " VALUES (?, ?, ?, ?)",
                        (local_id, str(h["status"]), str(h["at"]), h.get("note"))).rowcount
            reason = record.get("reason")
            if before["treasury_status"] == status and before["reason"] == reason and not added:
                return False
            self.conn.execute(
                "UPDATE outbox SET treasury_status = ?, status_text = ?, reason = ?,"
                " updated_at = ? WHERE local_id = ?",
                (status, record.get("status_text") or STATUS_TEXT.get(status), reason,
                 iso(utcnow()), local_id))
            if status in DOCUMENT_STATE:
                self._set_document_state(local_id, DOCUMENT_STATE[status])
        return True
