"""The outbox against a fault-injecting treasury double (real HTTP on loopback, in front of
the real sandbox). After each case every package is at the treasury exactly once and the
client's state agrees with the treasury's (``faults.assert_agrees``)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from client.sandbox.server import start_sandbox
from client.store.db import connect, parse_iso
from client.transport.api import TreasuryClient
from client.transport.outbox import Outbox
from tests.integration.faults import FaultyTreasury, assert_agrees, queue_packages
from tests.integration.sandbox_support import (
    PASSWORD,
    STRANGER_CERT,
    UNIT,
    USER,
    FakeVerifier,
    signers_for,
)

READ_TIMEOUT = 1.0


@pytest.fixture
def verifier():
    return FakeVerifier()


@pytest.fixture
def sandbox(tmp_path, verifier):
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD)],
                        signers=signers_for(), verifier=verifier)
    yield srv
    srv.stop()


@pytest.fixture
def front(sandbox):
    f = FaultyTreasury(sandbox)
    yield f
    f.stop()


@pytest.fixture
def conn(tmp_path):
    c = connect(tmp_path / "home" / "kbnn.sqlite3")
    yield c
    c.close()


def _api(url: str) -> TreasuryClient:
    return TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: PASSWORD,
                          timeout=(1.0, READ_TIMEOUT))


@pytest.fixture
def api(front):
    a = _api(front.base_url)
    yield a
    a.close()


@pytest.fixture
def direct(sandbox):
    """A client straight to the sandbox, for checking what the treasury holds."""
    a = _api(sandbox.base_url)
    yield a
    a.close()


def _settle(conn, api, front, rounds: int = 5):
    """Faults gone: flush until nothing waits (as the schedule would, just sooner)."""
    front.clear()
    ob = Outbox(conn)
    for _ in range(rounds):
        if not ob.items(("queued", "sending")):
            break
        ob.flush(api, force=True)
    assert not ob.items(("queued", "sending"))


def _by_id(conn) -> dict:
    return {i.local_id: i for i in Outbox(conn).items()}


def test_connection_refused(conn, api, front, direct):
    ids = queue_packages(conn, 3)
    front.pause()
    now = datetime.now(UTC)
    result = Outbox(conn).flush(api, now=now)
    assert result.unreachable and result.failure == "connection-refused"
    assert (result.sent, result.failed, result.waiting) == (0, 1, 2)  # the rest waits
    first = Outbox(conn).get(ids[0])
    assert first.state == "queued" and first.attempts == 1 and "từ chối" in first.last_error
    assert not first.delivery_uncertain and first.can_cancel  # it never left
    assert now < parse_iso(first.next_try) <= now + timedelta(seconds=6)
    assert direct.changes(None) == []
    front.resume()
    done = Outbox(conn).flush(api, now=parse_iso(first.next_try))
    assert done.sent == 3 and not done.unreachable
    assert assert_agrees(conn, direct) == {"sent": 3}


def test_reset_before_the_answer(conn, api, front, direct):
    ids = queue_packages(conn, 3)
    front.add("reset")
    result = Outbox(conn).flush(api)
    assert result.unreachable and result.failure == "connection-reset" and result.sent == 0
    item = Outbox(conn).get(ids[0])
    assert item.state == "queued" and item.delivery_uncertain and not item.can_cancel
    assert "ngắt" in item.last_error
    assert direct.changes(None) == []  # the treasury never saw it
    _settle(conn, api, front)
    assert assert_agrees(conn, direct) == {"sent": 3}
    keys = [h.key for h in front.hits if h.path == "/api/v1/submissions"]
    assert keys.count(Outbox(conn).get(ids[0]).idempotency_key) == 2  # same key both times


def test_server_commits_then_drops_the_connection(conn, api, front, direct):
    ids = queue_packages(conn, 2)
    front.add("commit-drop")
    result = Outbox(conn).flush(api)
    assert result.unreachable and result.sent == 0
    item = Outbox(conn).get(ids[0])
    assert item.state == "queued" and item.submission_id is None and item.delivery_uncertain
    [at_treasury] = direct.changes(None)  # it is there, the client does not know yet
    with pytest.raises(Exception, match="có thể đã nhận"):
        Outbox(conn).cancel(ids[0])  # cannot be withdrawn: the treasury may have it
    _settle(conn, api, front)
    item = Outbox(conn).get(ids[0])
    assert item.submission_id == at_treasury["id"]  # the first answer back, same id
    assert item.last_http_status == 200 and item.attempts == 2
    assert assert_agrees(conn, direct) == {"sent": 2}


def test_500_is_retried_later(conn, api, front, direct):
    ids = queue_packages(conn, 3)
    front.add("status", status=500)
    now = datetime.now(UTC)
    result = Outbox(conn).flush(api, now=now)
    # a 500 concerns this request: the others still go in the same flush
    assert (result.sent, result.failed, result.waiting) == (2, 1, 0)
    assert result.unreachable and result.failure == "server-error"
    item = Outbox(conn).get(ids[0])
    assert item.state == "queued" and item.last_http_status == 500 and item.delivery_uncertain
    assert parse_iso(item.next_try) > now
    _settle(conn, api, front)
    assert assert_agrees(conn, direct) == {"sent": 3}


@pytest.mark.parametrize("status,retry_after", [
    (503, "120"),
    (429, "Thu, 01 Jan 2099 00:00:00 GMT"),
])
def test_overloaded_waits_for_retry_after(conn, api, front, direct, status, retry_after):
    ids = queue_packages(conn, 3)
    front.add("status", status=status, headers={"Retry-After": retry_after})
    now = datetime.now(UTC)
    result = Outbox(conn).flush(api, now=now)
    assert (result.sent, result.failed, result.waiting) == (0, 1, 2)
    assert result.unreachable and result.failure == "treasury-busy"
    item = Outbox(conn).get(ids[0])
    floor = 120 if status == 503 else 6 * 3600  # an HTTP-date far away: capped at 6 h
    assert parse_iso(item.next_try) >= now + timedelta(seconds=floor)
    assert item.attempts == 1 and item.last_http_status == status
    assert not item.delivery_uncertain  # the treasury's own overload answer: not processed
    assert parse_iso(result.busy_until) >= now + timedelta(seconds=floor)
    # the schedule holds: a flush before Retry-After does not call the treasury at all
    posts = front.count()
    later = Outbox(conn).flush(api, now=now + timedelta(seconds=60))
    assert later.sent == 0 and later.waiting == 3 and front.count() == posts
    # after Retry-After everything goes, once
    done = Outbox(conn).flush(api, now=now + timedelta(seconds=floor + 1))
    assert done.sent == 3
    assert Outbox(conn).busy_until(api) is None  # it answered again: no "not before" left
    assert assert_agrees(conn, direct) == {"sent": 3}


def test_answer_slower_than_read_timeout(conn, api, front, direct):
    ids = queue_packages(conn, 2)
    front.add("slow", delay=READ_TIMEOUT + 1.0)
    result = Outbox(conn).flush(api)
    assert result.unreachable and result.failure == "read-timeout" and result.sent == 0
    item = Outbox(conn).get(ids[0])
    assert item.delivery_uncertain and "không trả lời kịp" in item.last_error
    assert len(direct.changes(None)) == 1  # committed while the client had given up
    _settle(conn, api, front)
    assert Outbox(conn).get(ids[0]).last_http_status == 200
    assert assert_agrees(conn, direct) == {"sent": 2}


def test_token_expired_in_the_middle_of_a_queue(conn, api, front, direct):
    queue_packages(conn, 5)
    front.add("expire", after=2)  # the third submission finds the session expired
    result = Outbox(conn).flush(api)
    assert (result.sent, result.failed) == (5, 0)  # logged in again by itself, same flush
    assert front.count("POST", "/api/v1/sessions") == 2
    answers = [h.status for h in front.hits if h.path == "/api/v1/submissions"]
    assert answers == [201, 201, 401, 201, 201, 201]
    assert all(i.attempts == 1 for i in Outbox(conn).items())
    assert assert_agrees(conn, direct) == {"sent": 5}


def test_409_in_progress(conn, api, front, direct, verifier):
    ids = queue_packages(conn, 1)
    verifier.gate = threading.Event()  # the treasury is stuck checking the first request
    try:
        first = Outbox(conn).flush(api)
        assert first.failure == "read-timeout"
        now = datetime.now(UTC)
        second = Outbox(conn).flush(api, force=True, now=now)
        item = Outbox(conn).get(ids[0])
        assert second.sent == 0 and item.last_http_status == 409 and item.state == "queued"
        assert "đang được xử lý" in item.last_error and item.delivery_uncertain
        assert parse_iso(item.next_try) >= now + timedelta(seconds=2)  # its Retry-After
    finally:
        verifier.gate.set()
    assert _wait_at_treasury(direct, 1)
    third = Outbox(conn).flush(api, force=True)
    assert third.sent == 1 and Outbox(conn).get(ids[0]).last_http_status == 200
    assert assert_agrees(conn, direct) == {"sent": 1}


def _wait_at_treasury(api, n: int) -> bool:
    from tests.integration.faults import wait_for

    return wait_for(lambda: len(api.changes(None)) >= n, timeout=15, step=0.1)


def test_422_is_not_retried(conn, api, front, direct):
    good = queue_packages(conn, 2, "OK")
    [bad] = queue_packages(conn, 1, "BAD", signatures=[("chief-accountant", STRANGER_CERT)])
    result = Outbox(conn).flush(api)
    assert (result.sent, result.refused, result.unreachable) == (2, 1, False)
    item = Outbox(conn).get(bad)
    assert item.state == "needs-attention" and item.next_try is None
    assert "chưa được đăng ký" in item.reason and "Kế toán trưởng" in item.reason  # Vietnamese
    assert {p.code for p in item.problems} >= {"signer-not-registered"}
    assert not item.delivery_uncertain and item.can_cancel
    posts = front.count()
    again = Outbox(conn).flush(api, force=True)
    assert again.sent == again.failed == 0 and front.count() == posts  # never re-sent by itself
    assert assert_agrees(conn, direct) == {"sent": 2, "needs-attention": 1}
    assert all(Outbox(conn).get(i).state == "sent" for i in good)


@pytest.mark.parametrize("status", [400, 403, 413])
def test_other_refusals_need_a_person(conn, api, front, direct, status):
    [item_id] = queue_packages(conn, 1)
    front.add("status", status=status)
    result = Outbox(conn).flush(api)
    assert result.refused == 1 and not result.unreachable
    item = Outbox(conn).get(item_id)
    assert item.state == "needs-attention" and item.last_http_status == status
    assert item.reason and item.problems and item.problems[0].code
    assert Outbox(conn).flush(api, force=True).failed == 0
    assert assert_agrees(conn, direct) == {"needs-attention": 1}
    # after the cause is fixed (e.g. signer registered), retry sends the same key and bytes
    Outbox(conn).retry(item_id)
    assert Outbox(conn).flush(api).sent == 1
    assert assert_agrees(conn, direct) == {"sent": 1}


def test_401_after_a_fresh_login_waits(conn, api, front, direct):
    [item_id] = queue_packages(conn, 1)
    front.add("status", status=401, times=2)  # refused again after logging in again
    result = Outbox(conn).flush(api)
    item = Outbox(conn).get(item_id)
    assert result.sent == 0 and item.state == "queued" and item.last_http_status == 401
    assert not item.delivery_uncertain  # a 401 is answered before anything is processed
    _settle(conn, api, front)
    assert assert_agrees(conn, direct) == {"sent": 1}


def test_2xx_without_id_is_uncertain(conn, api, front, direct):
    [item_id] = queue_packages(conn, 1)
    front.add("respond", status=200, body={"status": "received"})
    Outbox(conn).flush(api)
    item = Outbox(conn).get(item_id)
    assert item.state == "queued" and item.delivery_uncertain and "thiếu mã hồ sơ" in item.last_error
    _settle(conn, api, front)
    assert assert_agrees(conn, direct) == {"sent": 1}


def test_every_case_in_one_queue(conn, api, front, direct):
    """All the faults at once across one queue, settled by the normal schedule."""
    queue_packages(conn, 10)
    front.add("reset", after=0)
    front.add("commit-drop", after=1)
    front.add("status", status=500, after=2)
    front.add("status", status=503, after=3, headers={"Retry-After": "1"})
    front.add("slow", after=4, delay=READ_TIMEOUT + 0.5)
    front.add("expire", after=5)
    ob = Outbox(conn)
    now = datetime.now(UTC)
    for step in range(40):
        if not ob.items(("queued", "sending")):
            break
        ob.flush(api, now=now + timedelta(seconds=step * 60))
    assert assert_agrees(conn, direct) == {"sent": 10}
    assert [f.applied for f in front.faults] == [1] * 6
    keys = [h.key for h in front.hits if h.path == "/api/v1/submissions"]
    assert len(set(keys)) == 10  # one key per package, reused on every try
