"""The durable outbox: queued packages are sent with the same key and bytes until the
treasury has them, then followed to ``paid`` or ``rejected``.

* ``enqueue`` commits the package, its idempotency key and the document's new
  state in one transaction (``synchronous=FULL``), before any network.
* ``flush`` sends due items one at a time. Only one sender runs at a time
  across processes and threads (the GUI and a CLI may flush together): it
  holds an OS file lock next to the database (released by the OS if its
  process dies, so a ``kill -9`` never blocks the next sender) and records
  itself in ``locks`` for display.
* Every try sends the same key and bytes. The answer decides:

  - 2xx with an id: ``sent``; the treasury's id, status and first history line
    are recorded in the same transaction;
  - a network failure, 5xx, 409, 429, 503: try again later; the next try is
    the larger of ``Retry-After`` and full-jitter exponential backoff (capped),
    and attempts, next try and last error are in the database, so a restart
    continues the schedule;
  - 401: the client logs in again by itself (``TreasuryClient``); a refused
    login stops the flush (``AuthError``) and leaves the item queued;
  - 400, 403, 413, 422: ``needs-attention``, with the treasury's Vietnamese
    reasons kept; never re-sent by itself.

* If the process dies between sending and recording, the next flush sends the
  same key and bytes again and gets the first answer back (``200``), so
  nothing is lost or duplicated.
* An item whose try ended without a definite answer (timeout, reset, 5xx,
  409, a crash while sending) may already be at the treasury: it is marked
  ``delivery_uncertain`` and can no longer be cancelled — only an item the
  treasury certainly does not have can be withdrawn.

What a GUI needs, without network: ``items()`` (local state and its Vietnamese
``state_text``, treasury status and ``status_text``, reason, attempts, next
try, last error, ``can_cancel``/``can_retry``), ``history(id)`` (every status
with its time and note), ``package(id)``, ``receipt(id)`` (the CMS bytes once
paid), ``summary()`` (how many wait, need a person, are followed; for the
status bar), and ``notices(after=last_id)`` / ``mark_notices_seen()`` — the
status-change notices, stored in the same transaction as each change by
whichever process made it. Actions: ``flush(api, force=True, only=[id])``
("send now"), ``retry(id)``, ``cancel(id)``. Connectivity ("no network",
"treasury down or overloaded", "login refused") comes from
``client.transport.sync.SyncService.run_once()`` / ``check()``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from client.errors import InvalidInput, KbnnError, Problem, Unreachable
from client.i18n import tr
from client.store.db import iso, parse_iso, transaction, utcnow
from client.store.lock import FileLock
from client.transport.api import (
    ApiAnswer,
    AuthError,
    TreasuryClient,
    delivery_uncertain,
    failure_of,
    problem_message,
    problems_of,
)

log = logging.getLogger(__name__)

LOCAL_STATES = ("queued", "sending", "sent", "needs-attention", "cancelled")


def local_state_text(state: str) -> str:
    """The label of a local outbox state, in the current language (the code if unknown)."""
    texts = {
        "queued": tr("Chờ gửi"),
        "sending": tr("Đang gửi"),
        "sent": tr("Đã gửi"),
        "needs-attention": tr("Cần xử lý"),
        "cancelled": tr("Đã hủy"),
    }
    return texts.get(state, state)


FINAL_STATUSES = ("rejected", "paid")
STATUS_TEXT = {
    "received": "Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}


def status_label(status: str) -> str:
    """The label of a treasury status, in the current language (the code if unknown).
    ``STATUS_TEXT`` stays the Vietnamese text stored with the item (data)."""
    return tr(STATUS_TEXT[status]) if status in STATUS_TEXT else status


# treasury status -> state of the document row
DOCUMENT_STATE = {"received": "sent", "accepted": "accepted", "rejected": "rejected",
                  "paid": "paid"}

BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 15 * 60.0
BACKOFF_MIN = 1.0
RETRY_AFTER_CAP = 6 * 3600.0  # a Retry-After is honoured beyond BACKOFF_CAP, up to this
LEASE_SECONDS = 300.0
LOCK_NAME = "outbox-sender"
SYNC_OVERLAP = timedelta(minutes=5)  # re-read this much before the last change seen
FIRST_SYNC_SLACK = timedelta(days=7)  # first pull: this long before the oldest open item

RETRY_STATUSES = (409, 429)
ATTENTION_STATUSES = (400, 403, 413, 422)
# Answers after which the treasury certainly does not hold the item under this key.
DEFINITELY_NOT_HELD = (403, 422)

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
    delivery_uncertain: bool = False
    last_attempt_at: str | None = None
    last_http_status: int | None = None
    sent_at: str | None = None
    package_sha256: str = ""

    @property
    def state_text(self) -> str:
        """Vietnamese label of the local state (what the outbox is doing with it)."""
        if self.state == "queued" and self.attempts:
            return tr("Chờ gửi lại")
        return local_state_text(self.state)

    @property
    def waiting(self) -> bool:
        """Still to be sent by the outbox."""
        return self.state in ("queued", "sending")

    @property
    def can_cancel(self) -> bool:
        return (self.submission_id is None and self.state in ("queued", "needs-attention")
                and not self.delivery_uncertain)

    @property
    def can_retry(self) -> bool:
        return self.submission_id is None and self.state in ("queued", "needs-attention")

    @property
    def final(self) -> bool:
        return self.state == "cancelled" or self.treasury_status in FINAL_STATUSES

    def to_json(self) -> dict:
        out = asdict(self)
        out["problems"] = [p.to_json() for p in self.problems]
        out.update(state_text=self.state_text, can_cancel=self.can_cancel,
                   can_retry=self.can_retry)
        return out


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    unreachable: bool = False  # a try failed for a reason that passes (network, overload)
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # became needs-attention in this flush
    sent_ids: list[int] = field(default_factory=list)
    refused_ids: list[int] = field(default_factory=list)
    failure: str | None = None  # failure code of the last transient failure
    busy_until: str | None = None  # the treasury asked not to be called before this
    next_try: str | None = None  # earliest next try of what still waits
    locked: bool = False  # another sender was running: nothing was sent


@dataclass
class StatusChange:
    """One thing the accountant should be told about (tray and in-app notice)."""

    local_id: int
    document_number: str
    kind: str
    total: int
    old_status: str | None
    new_status: str
    status_text: str
    reason: str | None = None
    receipt: bool = False  # the payment confirmation arrived with this change

    def to_json(self) -> dict:
        return asdict(self)


def notice_title(kind: str) -> str:
    """The title of a notice of ``kind``, in the current language."""
    titles = {
        "sent": tr("Đã gửi hồ sơ tới Kho bạc"),
        "refused": tr("Kho bạc không nhận hồ sơ — cần xử lý"),
        "received": tr("Kho bạc đã tiếp nhận hồ sơ"),
        "accepted": tr("Hồ sơ đã được kiểm soát"),
        "rejected": tr("Kho bạc từ chối hồ sơ"),
        "paid": tr("Hồ sơ đã được thanh toán"),
        "receipt": tr("Đã có chứng từ báo Nợ"),
    }
    return titles.get(kind) or tr("Trạng thái hồ sơ thay đổi")


@dataclass
class OutboxNotice:
    """A stored status-change notice (table ``notices``): what the GUI shows in the tray and
    in the app. Recorded in the same transaction as the change, by whichever process (the
    GUI's sync or a CLI) made it, so a GUI polling :meth:`Outbox.notices` misses none."""

    id: int
    local_id: int
    kind: str  # sent | refused | received | accepted | rejected | paid | receipt | status
    document_number: str
    doc_kind: str
    total: int
    old_status: str | None
    new_status: str | None
    reason: str | None
    receipt: bool
    at: str
    seen_at: str | None = None

    @property
    def seen(self) -> bool:
        return self.seen_at is not None

    @property
    def title(self) -> str:
        """Vietnamese title of the notice."""
        return notice_title(self.kind)

    @property
    def text(self) -> str:
        """Vietnamese body: the dossier, its amount, the new status and the reason."""
        from client.money import format_vnd

        head = tr("Chứng từ số {number} ({amount} đ)", number=self.document_number,
                  amount=format_vnd(self.total))
        if self.kind == "refused":
            first = (self.reason or "").splitlines()[:1]
            return f"{head}: {first[0]}" if first else f"{head}."
        status = status_label(self.new_status or "")
        text = f"{head}: {status}" if status else head
        if self.kind == "rejected" and self.reason:
            text += f" — {self.reason}"
        if self.receipt and self.kind != "receipt":
            text += tr(" — đã có chứng từ báo Nợ")
        return text + "."

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(title=self.title, text=self.text, seen=self.seen)
        return out


@dataclass
class OutboxSummary:
    """What the status bar shows."""

    waiting: int  # queued or sending: still to be sent
    needs_attention: int
    following: int  # sent, not yet paid or rejected
    next_try: str | None
    last_error: str | None
    sending_elsewhere: bool = False

    def to_json(self) -> dict:
        return asdict(self)


def backoff_delay(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed tries: full-jitter exponential backoff
    (uniform in [0, min(cap, base·2^(attempts-1))], at least 1 s), but never less than
    ``Retry-After`` (honoured beyond the cap, up to ``RETRY_AFTER_CAP``)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** min(max(0, attempts - 1), 30)))
    delay = max(_rng.uniform(0, ceiling), BACKOFF_MIN)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
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
        delivery_uncertain=bool(r["delivery_uncertain"]), last_attempt_at=r["last_attempt_at"],
        last_http_status=r["last_http_status"], sent_at=r["sent_at"],
        package_sha256=r["package_sha256"],
    )


_ITEM_COLUMNS = ("local_id, document_local_id, submission_id, state, treasury_status, status_text,"
                 " reason, problems_json, idempotency_key, document_number, kind, total, attempts,"
                 " next_try, last_error, created_at, updated_at, delivery_uncertain,"
                 " last_attempt_at, last_http_status, sent_at, package_sha256,"
                 " EXISTS (SELECT 1 FROM outbox_receipts r WHERE r.outbox_id = outbox.local_id)"
                 " AS has_receipt")


def _db_file(conn: sqlite3.Connection) -> Path | None:
    for row in conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2])
    return None


class Outbox:
    """The outbox of one client database (``client.store.db.connect``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._owner = f"{os.getpid()}-{uuid.uuid4()}"
        path = _db_file(conn)
        self._file_lock = FileLock(path.with_name(path.name + ".sender.lock")) if path else None

    # -- queue ------------------------------------------------------------------

    def enqueue(self, package: bytes, summary: dict, *, document_local_id: int | None = None) -> int:
        """Queue a signed package; one transaction with the document row's state -> queued."""
        package = bytes(package)
        if not package:
            raise InvalidInput(tr("Gói hồ sơ rỗng, không thể đưa vào hàng đợi."))
        total = summary.get("total")
        if not isinstance(total, int) or isinstance(total, bool):
            raise InvalidInput(tr("Tổng số tiền của chứng từ phải là số nguyên đồng."))
        sha = hashlib.sha256(package).hexdigest()
        now = iso(utcnow())
        with transaction(self.conn):
            dup = self.conn.execute(
                "SELECT local_id, state FROM outbox WHERE package_sha256 = ? AND state != 'cancelled'",
                (sha,),
            ).fetchone()
            if dup is not None:
                raise InvalidInput(
                    tr("Gói hồ sơ này đã có trong hàng đợi gửi (mục #{item}, trạng thái "
                       "«{state}»).", item=dup['local_id'], state=local_state_text(dup['state']))
                )
            if document_local_id is not None:
                cur = self.conn.execute(
                    "UPDATE documents SET state = 'queued', package = ?, updated_at = ?"
                    " WHERE local_id = ?",
                    (package, now, document_local_id),
                )
                if cur.rowcount == 0:
                    raise InvalidInput(tr("Không tìm thấy chứng từ #{id}.", id=document_local_id))
            # The bytes go to their own table (migration 4): the outbox row stays small.
            cur = self.conn.execute(
                "INSERT INTO outbox (document_local_id, package, package_sha256, idempotency_key,"
                " state, document_number, kind, total, attempts, next_try, created_at, updated_at)"
                " VALUES (?, x'', ?, ?, 'queued', ?, ?, ?, 0, NULL, ?, ?)",
                (document_local_id, sha, str(uuid.uuid4()),
                 str(summary.get("number") or ""), str(summary.get("kind") or ""), total, now, now),
            )
            local_id = int(cur.lastrowid)
            self.conn.execute("INSERT INTO outbox_packages (outbox_id, package) VALUES (?, ?)",
                              (local_id, package))
        log.info("queued outbox item #%s (document %s)", local_id, summary.get("number"))
        return local_id

    def items(self, states: Collection[str] | None = None) -> list[OutboxItem]:
        """Every item, newest first (or only those in ``states``)."""
        if states:
            marks = ", ".join("?" for _ in states)
            rows = self.conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE state IN ({marks})"
                " ORDER BY local_id DESC", tuple(states)).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT {_ITEM_COLUMNS} FROM outbox ORDER BY local_id DESC").fetchall()
        return [_item(r) for r in rows]

    def get(self, local_id: int) -> OutboxItem:
        r = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE local_id = ?", (local_id,)
        ).fetchone()
        if r is None:
            raise InvalidInput(tr("Không tìm thấy mục #{item} trong hàng đợi gửi.",
                                  item=local_id))
        return _item(r)

    def find(self, key: str) -> OutboxItem | None:
        """An item by local id (``"12"`` or ``"#12"``) or by the treasury's submission id."""
        key = key.strip().lstrip("#")
        r = self.conn.execute(
            f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE submission_id = ? ORDER BY local_id DESC",
            (key,)).fetchone()
        if r is None and key.isdigit():
            r = self.conn.execute(f"SELECT {_ITEM_COLUMNS} FROM outbox WHERE local_id = ?",
                                  (int(key),)).fetchone()
        return _item(r) if r is not None else None

    def package(self, local_id: int) -> bytes:
        """The package bytes exactly as queued (and as sent on every try)."""
        r = self.conn.execute("SELECT package FROM outbox_packages WHERE outbox_id = ?",
                              (local_id,)).fetchone()
        if r is None:
            raise InvalidInput(tr("Không tìm thấy mục #{item} trong hàng đợi gửi.",
                                  item=local_id))
        return bytes(r["package"])

    def history(self, local_id: int) -> list[dict]:
        rows = self.conn.execute(
            "SELECT status, at, note FROM status_history WHERE outbox_id = ? ORDER BY at, id",
            (local_id,),
        ).fetchall()
        return [{"status": r["status"], "at": r["at"], "note": r["note"],
                 "status_text": status_label(r["status"])} for r in rows]

    def receipt(self, local_id: int) -> bytes | None:
        """The treasury's payment confirmation (CMS bytes) once paid, else None."""
        r = self.conn.execute("SELECT receipt FROM outbox_receipts WHERE outbox_id = ?",
                              (local_id,)).fetchone()
        return bytes(r["receipt"]) if r is not None else None

    def summary(self) -> OutboxSummary:
        """Counts for the status bar: how many wait to be sent, need a person, are followed."""
        r = self.conn.execute(
            "SELECT SUM(state IN ('queued', 'sending')) AS waiting,"
            " SUM(state = 'needs-attention') AS attention,"
            " SUM(state = 'sent' AND (treasury_status IS NULL OR treasury_status NOT IN"
            "     ('rejected', 'paid'))) AS following,"
            " MIN(CASE WHEN state = 'queued' THEN next_try END) AS next_try"
            " FROM outbox").fetchone()
        last = self.conn.execute(
            "SELECT last_error FROM outbox WHERE state IN ('queued', 'sending')"
            " AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1").fetchone()
        return OutboxSummary(waiting=r["waiting"] or 0, needs_attention=r["attention"] or 0,
                             following=r["following"] or 0, next_try=r["next_try"],
                             last_error=last["last_error"] if last else None,
                             sending_elsewhere=self.sending_elsewhere())

    # -- notices (polled by the GUI) ------------------------------------------------

    def _notice(self, local_id: int, kind: str, old: str | None, new: str | None,
                reason: str | None, *, receipt: bool = False) -> None:
        """Record a notice; call inside the transaction that makes the change."""
        self.conn.execute(
            "INSERT INTO notices (outbox_id, kind, old_status, new_status, reason, receipt, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (local_id, kind, old, new, reason, int(receipt), iso(utcnow())))

    def notices(self, after: int = 0, *, unseen: bool = False,
                limit: int = 200) -> list[OutboxNotice]:
        """Status-change notices with ``id > after``, oldest first (only unseen ones with
        ``unseen``). A GUI keeps the last id it showed and asks for what came after."""
        rows = self.conn.execute(
            "SELECT n.id, n.outbox_id, n.kind, n.old_status, n.new_status, n.reason, n.receipt,"
            " n.at, n.seen_at, o.document_number, o.kind AS doc_kind, o.total"
            " FROM notices n JOIN outbox o ON o.local_id = n.outbox_id"
            " WHERE n.id > ? AND (? = 0 OR n.seen_at IS NULL) ORDER BY n.id LIMIT ?",
            (int(after), int(unseen), int(limit))).fetchall()
        return [OutboxNotice(id=r["id"], local_id=r["outbox_id"], kind=r["kind"],
                             document_number=r["document_number"], doc_kind=r["doc_kind"],
                             total=r["total"], old_status=r["old_status"],
                             new_status=r["new_status"], reason=r["reason"],
                             receipt=bool(r["receipt"]), at=r["at"], seen_at=r["seen_at"])
                for r in rows]

    def last_notice_id(self) -> int:
        """The id of the newest notice (0 when there is none)."""
        return int(self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM notices").fetchone()[0])

    def unseen_notices(self) -> int:
        """How many notices nobody has marked seen yet (for a badge)."""
        return int(self.conn.execute(
            "SELECT COUNT(*) FROM notices WHERE seen_at IS NULL").fetchone()[0])

    def mark_notices_seen(self, up_to: int | None = None) -> int:
        """Mark every notice (or those with ``id <= up_to``) seen; returns how many."""
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE notices SET seen_at = ? WHERE seen_at IS NULL AND (? IS NULL OR id <= ?)",
                (iso(utcnow()), up_to, up_to))
        return cur.rowcount

    def sending_elsewhere(self) -> bool:
        """True while another process or thread holds the sender lock."""
        if self._file_lock is None or self._file_lock.held:
            return False
        row = self.conn.execute("SELECT owner FROM locks WHERE name = ?", (LOCK_NAME,)).fetchone()
        if row is None:  # a sender records itself while it runs
            return False
        probe = FileLock(self._file_lock.path)
        if probe.acquire():
            probe.release()
            return False
        return True

    def cancel(self, local_id: int) -> None:
        """Withdraw an item the treasury certainly does not have.

        Refused once the treasury has it, while it is being sent, and when an earlier
        try ended without a definite answer (the treasury may have it already).
        """
        with transaction(self.conn):
            item = self.get(local_id)
            if item.submission_id is not None or item.state in ("sent",):
                raise InvalidInput(
                    tr("Không thể hủy mục #{item} (chứng từ số {number}): Kho bạc đã nhận hồ sơ "
                       "này. Nếu cần, hãy đề nghị Kho bạc từ chối hồ sơ.", item=local_id,
                       number=item.document_number))
            if item.state == "cancelled":
                raise InvalidInput(tr("Mục #{item} đã được hủy trước đó.", item=local_id))
            if item.state == "sending":
                raise InvalidInput(
                    tr("Không thể hủy mục #{item} (chứng từ số {number}): hồ sơ đang được gửi "
                       "tới Kho bạc.", item=local_id, number=item.document_number))
            if item.delivery_uncertain:
                raise InvalidInput(
                    tr("Không thể hủy mục #{item} (chứng từ số {number}): lần gửi trước không "
                       "nhận được trả lời rõ ràng nên Kho bạc có thể đã nhận hồ sơ. Hồ sơ sẽ "
                       "được gửi lại (cùng khóa, không bị trùng) để biết chắc chắn; nếu cần, "
                       "hãy đề nghị Kho bạc từ chối hồ sơ.", item=local_id,
                       number=item.document_number))
            now = iso(utcnow())
            self.conn.execute(
                "UPDATE outbox SET state = 'cancelled', next_try = NULL, updated_at = ?"
                " WHERE local_id = ?", (now, local_id))
            if item.document_local_id is not None:
                self.conn.execute(
                    "UPDATE documents SET state = 'signed', updated_at = ? WHERE local_id = ?",
                    (now, item.document_local_id))
        log.info("outbox item #%s cancelled", local_id)

    def retry(self, local_id: int) -> None:
        """Make an item due now: a waiting queued item, or a needs-attention one (same key and
        bytes, e.g. after the unit registered its signer with the treasury)."""
        with transaction(self.conn):
            item = self.get(local_id)
            if item.submission_id is not None or item.state not in ("queued", "needs-attention"):
                raise InvalidInput(
                    tr("Không thể gửi lại mục #{item} (chứng từ số {number}): Kho bạc đã nhận "
                       "hoặc hồ sơ đã bị hủy.", item=local_id, number=item.document_number)
                )
            now = iso(utcnow())
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', next_try = NULL, updated_at = ?"
                " WHERE local_id = ?", (now, local_id))
            if item.document_local_id is not None:
                self.conn.execute(
                    "UPDATE documents SET state = 'queued', updated_at = ? WHERE local_id = ?",
                    (now, item.document_local_id))

    # -- the sender lock ---------------------------------------------------------

    def _take_lease(self) -> bool:
        """Become the one sender: the OS file lock, then the ``locks`` row (for display and
        for databases without a file, where the row's expiry is the only guard)."""
        if self._file_lock is not None and not self._file_lock.acquire():
            return False
        now = utcnow()  # wall clock, whatever ``now`` a flush was given for due times
        try:
            with transaction(self.conn):
                row = self.conn.execute(
                    "SELECT owner, expires_at FROM locks WHERE name = ?", (LOCK_NAME,)).fetchone()
                if (self._file_lock is None and row is not None and row["owner"] != self._owner
                        and parse_iso(row["expires_at"]) > now):
                    return False
                self.conn.execute(
                    "INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?)"
                    " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,"
                    " expires_at = excluded.expires_at",
                    (LOCK_NAME, self._owner, iso(now + timedelta(seconds=LEASE_SECONDS))),
                )
                return True
        except BaseException:
            if self._file_lock is not None:
                self._file_lock.release()
            raise

    def _renew_lease(self) -> bool:
        if self._file_lock is not None:
            return self._file_lock.held
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE locks SET expires_at = ? WHERE name = ? AND owner = ?",
                (iso(utcnow() + timedelta(seconds=LEASE_SECONDS)), LOCK_NAME, self._owner))
            return cur.rowcount == 1

    def _release_lease(self) -> None:
        try:
            with transaction(self.conn):
                self.conn.execute("DELETE FROM locks WHERE name = ? AND owner = ?",
                                  (LOCK_NAME, self._owner))
        finally:
            if self._file_lock is not None:
                self._file_lock.release()

    # -- the treasury's "not before" ------------------------------------------------

    @staticmethod
    def _busy_name(api: TreasuryClient) -> str:
        return f"busy:{getattr(api, 'base_url', '')}"

    def busy_until(self, api: TreasuryClient) -> datetime | None:
        """The time before which the treasury asked not to be called (429/503 Retry-After)."""
        r = self.conn.execute("SELECT value FROM sync_marks WHERE name = ?",
                              (self._busy_name(api),)).fetchone()
        if r is None or not r["value"]:
            return None
        try:
            return parse_iso(r["value"])
        except ValueError:
            return None

    def _set_busy_until(self, api: TreasuryClient, until: datetime | None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO sync_marks (name, value) VALUES (?, ?) ON CONFLICT(name)"
                " DO UPDATE SET value = excluded.value",
                (self._busy_name(api), iso(until) if until else None))

    # -- sending -------------------------------------------------------------------

    def _pending(self, only: Collection[int] | None = None) -> list[sqlite3.Row]:
        # 'sending' rows found while we hold the lock were left by a sender that died.
        rows = self.conn.execute(
            "SELECT local_id, next_try, state FROM outbox WHERE state IN ('queued', 'sending')"
            " ORDER BY local_id").fetchall()
        if only is not None:
            wanted = set(only)
            rows = [r for r in rows if r["local_id"] in wanted]
        return rows

    def flush(self, api: TreasuryClient, *, now: datetime | None = None,
              force: bool = False, only: Collection[int] | None = None,
              should_stop: Callable[[], bool] | None = None,
              progress: Callable[[int, int], None] | None = None) -> FlushResult:
        """Send every due item (``next_try <= now``; all with ``force``), one at a time.

        ``only``: just these local ids. ``should_stop()`` is asked between items (a GUI's
        cancel); ``progress(done, total)`` is told after each. Raises ``AuthError`` when the
        treasury refuses the login (the item stays queued).
        """
        now = now or utcnow()
        if now.tzinfo is None:
            now = now.replace(tzinfo=utcnow().tzinfo)
        started = time.monotonic()
        result = FlushResult()
        if not self._take_lease():
            result.locked = True
            result.waiting = len(self._pending(only))
            result.errors.append(tr("Một cửa sổ hoặc tiến trình khác đang gửi hồ sơ; hàng đợi "
                                    "sẽ được gửi khi tiến trình đó xong."))
            return result
        try:
            rows = self._pending(only)
            busy = self.busy_until(api)
            if busy is not None and busy > now and not force and rows:
                result.waiting = len(rows)
                result.unreachable = True
                result.failure = "treasury-busy"
                result.busy_until = iso(busy)
                result.next_try = iso(busy)
                return result
            stop = False
            for index, row in enumerate(rows):
                due = force or row["next_try"] is None or parse_iso(row["next_try"]) <= now
                if stop or not due or (should_stop is not None and should_stop()):
                    result.waiting += 1
                    continue
                if not self._renew_lease():
                    result.errors.append(tr("Mất quyền gửi hàng đợi (tiến trình khác đã nhận)."))
                    result.waiting += 1
                    stop = True
                    continue
                at = now + timedelta(seconds=time.monotonic() - started)
                stop = self._send_one(api, row["local_id"], at, result,
                                      leftover=row["state"] == "sending")
                if progress is not None:
                    progress(index + 1, len(rows))
            if result.sent and busy is not None and result.busy_until is None:
                self._set_busy_until(api, None)  # it answers again: its "not before" is over
        finally:
            self._release_lease()
        waiting_next = self.conn.execute(
            "SELECT MIN(next_try) FROM outbox WHERE state = 'queued'").fetchone()[0]
        result.next_try = waiting_next
        return result

    def _send_one(self, api: TreasuryClient, local_id: int, now: datetime,
                  result: FlushResult, *, leftover: bool = False) -> bool:
        """Send one item; record the outcome. Returns True when the rest should wait."""
        with transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE outbox SET state = 'sending', updated_at = ?,"
                " delivery_uncertain = delivery_uncertain OR ? WHERE local_id = ?"
                " AND state IN ('queued', 'sending')", (iso(utcnow()), int(leftover), local_id))
            if cur.rowcount == 0:  # cancelled meanwhile
                return False
            row = self.conn.execute(
                "SELECT p.package, o.idempotency_key, o.document_number, o.attempts"
                " FROM outbox o JOIN outbox_packages p ON p.outbox_id = o.local_id"
                " WHERE o.local_id = ?", (local_id,)).fetchone()
        number = row["document_number"]
        attempts = row["attempts"] + 1
        try:
            answer = api.submit(bytes(row["package"]), row["idempotency_key"])
        except Unreachable as exc:
            retry_after = parse_retry_after(getattr(exc, "retry_after", None), now)
            self._retry(local_id, attempts, retry_after, exc.message, now,
                        uncertain=delivery_uncertain(exc),
                        http_status=getattr(exc, "http_status", None))
            result.failed += 1
            result.unreachable = True
            result.failure = failure_of(exc)
            result.errors.append(tr("Chứng từ số {number}: {message}", number=number,
                                    message=exc.message))
            return True
        except AuthError as exc:
            self._back_to_queue(local_id, exc.message)
            raise
        except KbnnError as exc:
            self._back_to_queue(local_id, exc.message)
            result.failed += 1
            result.errors.append(tr("Chứng từ số {number}: {message}", number=number,
                                    message=exc.message))
            return True
        except BaseException:
            self._back_to_queue(local_id, None)
            raise

        if answer.ok and isinstance(answer.body, dict) and answer.body.get("id"):
            self._record_sent(local_id, answer, api)
            result.sent += 1
            result.sent_ids.append(local_id)
            return False
        message = problem_message(answer.body, answer.status)
        if answer.status in ATTENTION_STATUSES:
            self._needs_attention(local_id, attempts, answer, message)
            result.failed += 1
            result.refused += 1
            result.refused_ids.append(local_id)
            result.errors.append(tr("Chứng từ số {number}: {message}", number=number,
                                    message=message))
            return False
        # 409 in-progress, 429/503 overloaded, other 5xx, a 401 that survived a fresh
        # login, or anything unexpected: try again later with the same key and bytes.
        retry_after = parse_retry_after(answer.retry_after, now)
        overloaded = answer.status in (429, 503)
        # The treasury may hold it after: 2xx without an id, 409 (it is processing this
        # key), 5xx — except an overload answer from the treasury itself (per contract, not
        # processed).
        uncertain = (answer.ok or answer.status == 409 or answer.status >= 500) and not (
            overloaded and answer.is_problem)
        if answer.ok:
            message = tr("Kho bạc trả lời không đúng định dạng (HTTP {status}, thiếu mã hồ sơ).",
                         status=answer.status)
        self._retry(local_id, attempts, retry_after, message, now, uncertain=uncertain,
                    http_status=answer.status)
        result.failed += 1
        result.errors.append(tr("Chứng từ số {number}: {message}", number=number,
                                message=message))
        if answer.status == 429 or answer.status >= 500:
            result.unreachable = True
            result.failure = "treasury-busy" if overloaded else "server-error"
        if overloaded:
            until = now + timedelta(seconds=min(retry_after or backoff_delay(attempts),
                                                RETRY_AFTER_CAP))
            self._set_busy_until(api, until)
            result.busy_until = iso(until)
            return True
        return False

    def _back_to_queue(self, local_id: int, error: str | None) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', last_error = COALESCE(?, last_error),"
                " updated_at = ? WHERE local_id = ? AND state = 'sending'",
                (error, iso(utcnow()), local_id))

    def _retry(self, local_id: int, attempts: int, retry_after: float | None, error: str,
               now: datetime, *, uncertain: bool, http_status: int | None) -> None:
        next_try = now + timedelta(seconds=backoff_delay(attempts, retry_after))
        stamp = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'queued', attempts = ?, next_try = ?, last_error = ?,"
                " last_attempt_at = ?, last_http_status = ?,"
                " delivery_uncertain = delivery_uncertain OR ?, updated_at = ? WHERE local_id = ?",
                (attempts, iso(next_try), error, stamp, http_status, int(uncertain), stamp,
                 local_id))
        log.info("outbox item #%s: try %s failed (%s), next try %s", local_id, attempts,
                 http_status or "network", iso(next_try))

    def _needs_attention(self, local_id: int, attempts: int, answer: ApiAnswer,
                         message: str) -> None:
        problems = problems_of(answer.body)
        reason_lines = [message] + [f"- {p}" for p in problems if p.message and p.message != message]
        stamp = iso(utcnow())
        clear_uncertain = answer.status in DEFINITELY_NOT_HELD
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'needs-attention', attempts = ?, next_try = NULL,"
                " reason = ?, problems_json = ?, last_error = ?, last_attempt_at = ?,"
                " last_http_status = ?,"
                " delivery_uncertain = CASE WHEN ? THEN 0 ELSE delivery_uncertain END,"
                " updated_at = ? WHERE local_id = ?",
                (attempts, "\n".join(reason_lines),
                 json.dumps([p.to_json() for p in problems], ensure_ascii=False),
                 f"HTTP {answer.status} {answer.code or ''}".strip(), stamp, answer.status,
                 int(clear_uncertain), stamp, local_id))
            self._set_document_state(local_id, "rejected")
            self._notice(local_id, "refused", None, None, "\n".join(reason_lines))
        log.info("outbox item #%s refused by the treasury: HTTP %s %s", local_id, answer.status,
                 answer.code)

    def _record_sent(self, local_id: int, answer: ApiAnswer, api: TreasuryClient) -> None:
        body = answer.body
        assert isinstance(body, dict)
        status = str(body.get("status") or "received")
        at = str(body.get("received_at") or body.get("updated_at") or iso(utcnow()))
        stamp = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "UPDATE outbox SET state = 'sent', submission_id = ?, treasury_status = ?,"
                " status_text = ?, attempts = attempts + 1, next_try = NULL, last_error = NULL,"
                " reason = NULL, problems_json = NULL, base_url = ?, unit_code = ?,"
                " last_attempt_at = ?, last_http_status = ?, sent_at = ?, delivery_uncertain = 0,"
                " updated_at = ? WHERE local_id = ?",
                (str(body["id"]), status, body.get("status_text") or STATUS_TEXT.get(status),
                 getattr(api, "base_url", None), getattr(api, "unit_code", None),
                 stamp, answer.status, stamp, stamp, local_id))
            self.conn.execute(
                "INSERT OR IGNORE INTO status_history (outbox_id, status, at, note)"
                " VALUES (?, ?, ?, NULL)", (local_id, status, at))
            self._set_document_state(local_id, DOCUMENT_STATE.get(status, "sent"))
            self._notice(local_id, "sent", None, status, None)
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
        changed, _ = self._refresh(api)
        return [self.get(i) for i in sorted(changed)]

    def refresh_changes(self, api: TreasuryClient) -> list[StatusChange]:
        """Like :meth:`refresh`, but returns what the accountant should be told."""
        return self._refresh(api)[1]

    def _open_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT local_id, submission_id, treasury_status, sent_at, created_at FROM outbox"
            " WHERE state = 'sent' AND submission_id IS NOT NULL"
            " AND (treasury_status IS NULL OR treasury_status NOT IN ('rejected', 'paid')"
            "      OR (treasury_status = 'paid' AND NOT EXISTS"
            "          (SELECT 1 FROM outbox_receipts r WHERE r.outbox_id = outbox.local_id)))"
        ).fetchall()

    def _refresh(self, api: TreasuryClient) -> tuple[set[int], list[StatusChange]]:
        open_rows = self._open_rows()
        if not open_rows:
            return set(), []
        by_id = {r["submission_id"]: r["local_id"] for r in open_rows}
        changed: set[int] = set()
        notices: list[StatusChange] = []
        name = self._sync_name(api)
        mark = self.conn.execute("SELECT value FROM sync_marks WHERE name = ?", (name,)).fetchone()
        oldest = min(parse_iso(r["sent_at"] or r["created_at"]) for r in open_rows)
        since_dt = oldest - FIRST_SYNC_SLACK
        if mark is not None and mark["value"]:
            since_dt = max(since_dt, parse_iso(mark["value"]))
        newest: datetime | None = None
        for record in api.changes(iso(since_dt)):
            sid = record.get("id")
            if sid in by_id:
                notice = self._apply(by_id[sid], record)
                if notice is not None:
                    changed.add(by_id[sid])
                    if notice is not True:
                        notices.append(notice)
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
            " AND treasury_status = 'paid' AND submission_id IS NOT NULL AND NOT EXISTS"
            " (SELECT 1 FROM outbox_receipts r WHERE r.outbox_id = outbox.local_id)"
        ).fetchall()
        for r in paid:
            if r["submission_id"] not in by_id:
                continue
            if self._fetch_receipt(api, r["local_id"], r["submission_id"]):
                changed.add(r["local_id"])
                for n in notices:
                    if n.local_id == r["local_id"]:
                        n.receipt = True
        return changed, notices

    def _fetch_receipt(self, api: TreasuryClient, local_id: int, submission_id: str) -> bool:
        try:
            data = api.receipt(submission_id)
        except Unreachable:
            raise
        except AuthError:
            raise
        except KbnnError as exc:
            log.warning("receipt of outbox item #%s: %s", local_id, exc.message)
            return False
        if not data:
            return False
        stamp = iso(utcnow())
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO outbox_receipts (outbox_id, receipt, received_at) VALUES (?, ?, ?)"
                " ON CONFLICT(outbox_id) DO UPDATE SET receipt = excluded.receipt,"
                " received_at = excluded.received_at", (local_id, bytes(data), stamp))
            self.conn.execute("UPDATE outbox SET receipt_at = ?, updated_at = ? WHERE local_id = ?",
                              (stamp, stamp, local_id))
            # the "paid" notice says the confirmation is there (a new one if it was seen)
            cur = self.conn.execute(
                "UPDATE notices SET receipt = 1 WHERE id = (SELECT MAX(id) FROM notices"
                " WHERE outbox_id = ? AND kind = 'paid' AND seen_at IS NULL)", (local_id,))
            if cur.rowcount == 0:
                self._notice(local_id, "receipt", "paid", "paid", None, receipt=True)
        return True

    def refresh_one(self, api: TreasuryClient, local_id: int) -> OutboxItem:
        """Pull the status of one sent item with ``GET /submissions/{id}``."""
        item = self.get(local_id)
        if item.submission_id is None:
            return item
        self._apply(local_id, api.get(item.submission_id))
        if self.get(local_id).treasury_status == "paid" and self.receipt(local_id) is None:
            self._fetch_receipt(api, local_id, item.submission_id)
        return self.get(local_id)

    def _apply(self, local_id: int, record: dict) -> StatusChange | bool | None:
        """Store one status record (and its history).

        Returns a ``StatusChange`` when the status or reason changed, True when only the
        history grew, None when nothing changed.
        """
        status = record.get("status")
        if not status:
            return None
        with transaction(self.conn):
            before = self.conn.execute(
                "SELECT treasury_status, reason, document_number, kind, total FROM outbox"
                " WHERE local_id = ?", (local_id,)).fetchone()
            added = 0
            for h in record.get("history") or []:
                if isinstance(h, dict) and h.get("status") and h.get("at"):
                    added += self.conn.execute(
                        "INSERT OR IGNORE INTO status_history (outbox_id, status, at, note)"
                        " VALUES (?, ?, ?, ?)",
                        (local_id, str(h["status"]), str(h["at"]), h.get("note"))).rowcount
            reason = record.get("reason")
            if before["treasury_status"] == status and before["reason"] == reason:
                return True if added else None
            text = record.get("status_text") or STATUS_TEXT.get(status) or status
            self.conn.execute(
                "UPDATE outbox SET treasury_status = ?, status_text = ?, reason = ?,"
                " updated_at = ? WHERE local_id = ?",
                (status, text, reason, iso(utcnow()), local_id))
            if status in DOCUMENT_STATE:
                self._set_document_state(local_id, DOCUMENT_STATE[status])
            self._notice(local_id, str(status) if status in STATUS_TEXT else "status",
                         before["treasury_status"], str(status), reason)
        log.info("outbox item #%s: treasury status %s -> %s", local_id, before["treasury_status"],
                 status)
        return StatusChange(local_id=local_id, document_number=before["document_number"],
                            kind=before["kind"], total=before["total"],
                            old_status=before["treasury_status"], new_status=str(status),
                            status_text=str(text), reason=reason)
