"""Staying current with the treasury, without Qt.

:class:`SyncService` sends what is due and pulls status changes: on start,
when the network returns, and every few minutes while online. It runs either
on its own daemon thread (``start()``/``stop()``/``wake()``) or one cycle at a
time with ``run_once()`` (a GUI may call it from a worker on a timer). Each
cycle:

1. ``GET /health`` — tells "no network" from "treasury down", and compares
   clocks; when it fails, nothing else is tried (no attempt is spent);
2. ``Outbox.flush`` — sends what is due (one sender across processes);
3. ``Outbox.refresh_changes`` — pulls status changes, keeps the history, and
   the receipt once paid.

It reports through two callbacks, called on the thread that ran the cycle (a
GUI must hand them to its UI thread, e.g. through a Qt signal):
``on_report(SyncReport)`` after every cycle (status bar: connectivity and how
many wait) and ``on_notice(Notice)`` for each thing to tell the accountant
(tray and in-app notices: sent, refused, accepted, rejected, paid). The notices
are stored by the outbox in the same transaction as each change (table
``notices``), so a GUI may instead poll ``Outbox.notices(after=last_id)`` and
see changes made by a CLI run as well.

Connectivity is one of :data:`CONNECTIVITY_TEXT`: ``online``, ``no-network``
(DNS, connection refused, no route, proxy), ``treasury-down`` (5xx, 503/429,
timeouts or resets from the treasury), ``login-refused`` (401
``bad-credentials``, 429 ``too-many-attempts`` on login, or no password),
plus ``tls-error``, ``not-configured`` and ``unknown``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from client.errors import KbnnError, UsageError
from client.i18n import tr
from client.store.db import connect, iso, parse_iso, utcnow
from client.transport.api import (
    TREASURY_FAILURES,
    AuthError,
    TreasuryClient,
    failure_of,
)
from client.transport.outbox import FlushResult, Outbox, OutboxNotice

log = logging.getLogger(__name__)

CONNECTIVITY_TEXT = {
    "online": "Kho bạc: đang kết nối",
    "no-network": "Không có mạng — hồ sơ sẽ tự gửi khi có mạng trở lại",
    "treasury-down": "Máy chủ Kho bạc đang quá tải hoặc tạm ngừng — sẽ tự thử lại",
    "login-refused": "Kho bạc từ chối đăng nhập — kiểm tra tên đăng nhập và mật khẩu",
    "tls-error": "Không xác thực được máy chủ Kho bạc (chứng chỉ TLS) — kiểm tra tệp CA",
    "not-configured": "Chưa cấu hình máy chủ Kho bạc",
    "unknown": "Chưa kiểm tra kết nối tới Kho bạc",
}
OFFLINE = ("no-network", "treasury-down", "tls-error")

DEFAULT_INTERVAL = 180.0  # seconds between cycles while online
OFFLINE_INTERVAL = 30.0  # seconds between health probes while offline
LOGIN_RETRY_INTERVAL = 15 * 60.0  # a refused password is not retried sooner (lockout)


def connectivity_of(exc: BaseException) -> str:
    """Connectivity class of an error raised by the transport or the outbox."""
    if isinstance(exc, AuthError):
        return "login-refused"
    if isinstance(exc, UsageError):
        return "not-configured"
    return connectivity_of_failure(failure_of(exc))


def connectivity_of_failure(failure: str | None) -> str:
    if failure is None:
        return "unknown"
    if failure == "tls-error":
        return "tls-error"
    if failure in ("bad-credentials", "too-many-attempts", "no-password", "not-logged-in"):
        return "login-refused"
    if failure in TREASURY_FAILURES:
        return "treasury-down"
    return "no-network"


@dataclass
class Notice:
    """One thing to tell the accountant (tray balloon and in-app notice)."""

    kind: str  # "sent" | "refused" | "received" | "accepted" | "rejected" | "paid" | "receipt" | "status"
    local_id: int
    document_number: str
    total: int
    status: str | None
    title: str
    text: str
    id: int = 0  # the stored notice's id (``Outbox.notices``)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, n: OutboxNotice) -> Notice:
        return cls(n.kind, n.local_id, n.document_number, n.total, n.new_status, n.title,
                   n.text, n.id)


@dataclass
class SyncReport:
    """What one cycle found: for the status bar and the outbox view."""

    connectivity: str
    text: str  # short Vietnamese status-bar text
    detail: str | None = None  # the Vietnamese message of the failure, if any
    at: str = ""
    sent: int = 0
    refused: int = 0
    failed: int = 0
    waiting: int = 0  # still to be sent
    needs_attention: int = 0
    following: int = 0  # sent, not yet paid or rejected
    next_try: str | None = None
    busy_until: str | None = None
    retry_after: float | None = None  # seconds, after a throttled login
    clock_skew: float | None = None
    clock_warning: str | None = None
    sending_elsewhere: bool = False
    notices: list[Notice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def online(self) -> bool:
        return self.connectivity == "online"

    def status_line(self) -> str:
        """One line for a status bar: connectivity and what waits."""
        parts = [self.text]
        if self.waiting:
            parts.append(tr("{count} hồ sơ chờ gửi", count=self.waiting))
        if self.needs_attention:
            parts.append(tr("{count} hồ sơ cần xử lý", count=self.needs_attention))
        return " · ".join(parts)

    def to_json(self) -> dict:
        out = asdict(self)
        out["online"] = self.online
        return out


class SyncService:
    """Keeps the outbox of ``db_path`` moving and its statuses current.

    ``api`` is a ``TreasuryClient`` or a function returning one (it may raise
    ``UsageError`` while the server is not configured).
    """

    def __init__(self, db_path: Path | str, api: TreasuryClient | Callable[[], TreasuryClient],
                 *, on_report: Callable[[SyncReport], None] | None = None,
                 on_notice: Callable[[Notice], None] | None = None,
                 interval: float = DEFAULT_INTERVAL, offline_interval: float = OFFLINE_INTERVAL,
                 login_retry_interval: float = LOGIN_RETRY_INTERVAL) -> None:
        self.db_path = Path(db_path)
        self._api = api if callable(api) and not isinstance(api, TreasuryClient) else (lambda: api)
        self.on_report = on_report
        self.on_notice = on_notice
        self.interval = interval
        self.offline_interval = offline_interval
        self.login_retry_interval = login_retry_interval
        self.last_report: SyncReport | None = None
        self.last_notice_id: int | None = None  # notices up to this id have been reported
        self._run_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._thread: threading.Thread | None = None

    # -- one cycle ------------------------------------------------------------------

    def run_once(self, *, force: bool = False, send: bool = True) -> SyncReport:
        """Health, then send what is due (everything queued with ``force``), then pull
        status changes. Never raises for network or treasury trouble: it is in the report."""
        with self._run_lock:
            report = self._cycle(force=force, send=send)
        self.last_report = report
        self._emit(report)
        return report

    def check(self) -> SyncReport:
        """Only ``GET /health``: connectivity and clock, nothing sent or pulled."""
        return self.run_once(send=False)

    def _cycle(self, *, force: bool, send: bool) -> SyncReport:
        report = SyncReport("unknown", tr(CONNECTIVITY_TEXT["unknown"]), at=iso(utcnow()))
        conn = connect(self.db_path)
        try:
            outbox = Outbox(conn)
            mark = self.last_notice_id
            if mark is None:  # first cycle: from now on (older ones: Outbox.notices(unseen=True))
                mark = outbox.last_notice_id()
            try:
                self._run(outbox, report, force=force, send=send)
            except KbnnError as exc:
                self._failed(report, exc)
            except Exception as exc:  # never let the loop die; the log has the rest
                log.exception("sync cycle failed")
                report.connectivity = "unknown"
                report.detail = tr("Lỗi không mong đợi khi đồng bộ: {error}", error=type(exc).__name__)
                report.errors.append(report.detail)
            # Every notice recorded since the last cycle: this cycle's changes, and those
            # another process (a CLI flush) made meanwhile.
            found = outbox.notices(after=mark, limit=1000)
            report.notices = [Notice.of(n) for n in found]
            self.last_notice_id = found[-1].id if found else mark
            summary = outbox.summary()
            report.waiting = summary.waiting
            report.needs_attention = summary.needs_attention
            report.following = summary.following
            report.next_try = summary.next_try
            report.sending_elsewhere = summary.sending_elsewhere
        finally:
            conn.close()
        report.text = tr(CONNECTIVITY_TEXT[report.connectivity])
        return report

    def _run(self, outbox: Outbox, report: SyncReport, *, force: bool, send: bool) -> None:
        api = self._api()
        health = api.health_check()
        report.clock_skew = health.clock_skew
        report.clock_warning = health.clock_warning()
        report.connectivity = "online"
        if not send:
            return
        result = outbox.flush(api, force=force)
        self._flushed(outbox, report, result)
        if result.unreachable:
            return  # the treasury is down or overloaded: statuses can wait
        outbox.refresh_changes(api)

    def _flushed(self, outbox: Outbox, report: SyncReport, result: FlushResult) -> None:
        report.sent, report.refused, report.failed = result.sent, result.refused, result.failed
        report.busy_until = result.busy_until
        report.errors.extend(result.errors)
        if result.unreachable:
            report.connectivity = connectivity_of_failure(result.failure or "connection-error")
            report.detail = result.errors[-1] if result.errors else None

    @staticmethod
    def _failed(report: SyncReport, exc: KbnnError) -> None:
        report.connectivity = connectivity_of(exc)
        report.detail = exc.message
        report.errors.append(exc.message)
        if isinstance(exc, AuthError) and exc.retry_after:
            try:
                report.retry_after = float(exc.retry_after)  # seconds, not money
            except ValueError:
                report.retry_after = None
        busy = getattr(exc, "retry_after", None)
        if report.connectivity == "treasury-down" and busy:
            try:
                report.retry_after = float(busy)  # seconds, not money
            except (TypeError, ValueError):
                pass

    def _emit(self, report: SyncReport) -> None:
        for notice in report.notices:
            if self.on_notice is not None:
                try:
                    self.on_notice(notice)
                except Exception:
                    log.exception("on_notice callback failed")
        if self.on_report is not None:
            try:
                self.on_report(report)
            except Exception:
                log.exception("on_report callback failed")

    # -- the background thread --------------------------------------------------------

    def next_delay(self, report: SyncReport | None, now: datetime | None = None) -> float:
        """Seconds until the next cycle after ``report``."""
        now = now or utcnow()
        if report is None:
            return self.offline_interval
        if report.connectivity == "login-refused":
            if report.retry_after:
                return max(report.retry_after, self.offline_interval)
            return self.login_retry_interval
        if report.connectivity in OFFLINE or report.connectivity == "unknown":
            delay = self.offline_interval
            for mark in (report.busy_until,):
                if mark:
                    delay = max(delay, (parse_iso(mark) - now).total_seconds())
            if report.retry_after:
                delay = max(delay, report.retry_after)
            return delay
        delay = self.interval
        if report.waiting and report.next_try:
            delay = min(delay, max(1.0, (parse_iso(report.next_try) - now).total_seconds()))
        elif report.waiting:
            delay = min(delay, self.offline_interval)  # someone else is sending
        return delay

    def start(self) -> None:
        """Run cycles on a daemon thread: now, then by ``next_delay``, or when woken."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._wake.set()  # on start: a cycle at once
        self._thread = threading.Thread(target=self._loop, name="kbnn-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread (after the request in flight, bounded by its timeouts)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self, *, force: bool = False) -> None:
        """Run a cycle now ("send now", settings or password changed); ``force`` also sends
        items whose next try has not come yet."""
        self._force = self._force or force
        self._wake.set()

    def network_changed(self, reachable: bool) -> None:
        """Tell the service the OS says the network came back (or went away)."""
        if reachable:
            self.wake()

    def _loop(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            self._wake.wait(timeout=delay)
            if self._stop.is_set():
                break
            self._wake.clear()
            force, self._force = self._force, False
            try:
                report: SyncReport | None = self.run_once(force=force)
            except Exception:
                log.exception("sync cycle crashed")
                report = None
            delay = self.next_delay(report)
