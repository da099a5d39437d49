"""The durable outbox against the sandbox treasury over loopback HTTP."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms

from client.errors import InvalidInput
from client.sandbox.server import start_sandbox
from client.store.db import connect, parse_iso
from client.store.documents import DocumentRepo
from client.transport import outbox as outbox_mod
from client.transport.api import AuthError, TreasuryClient
from client.transport.outbox import Outbox, backoff_delay, parse_retry_after
from tests.integration.sandbox_support import (
    PASSWORD,
    STRANGER_CERT,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    signers_for,
)


def _summary(doc: dict) -> dict:
    return {"kind": doc["kind"], "number": doc["number"], "total": doc["total"],
            "period": doc.get("period"), "lines": len(doc["lines"]), "id": doc["id"]}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "home" / "kbnn.sqlite3"


@pytest.fixture
def conn(db_path):
    c = connect(db_path)
    yield c
    c.close()


def _sandbox(data_dir, port=0, **kw):
    kw.setdefault("advance", 0)
    return start_sandbox(port=port, data_dir=data_dir, units=[(UNIT, USER, PASSWORD)],
                         signers=signers_for(), verifier=FakeVerifier(), **kw)


@pytest.fixture
def sandbox(tmp_path):
    srv = _sandbox(tmp_path / "sb")
    yield srv
    srv.stop()


def _api(url: str, password: str = PASSWORD) -> TreasuryClient:
    return TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: password,
                          timeout=(1.0, 5.0))


def _queue_document(conn, number="BL-10/2026", **pkg_kw) -> tuple[int, int, bytes]:
    doc = document(number=number)
    docs = DocumentRepo(conn)
    local = docs.add_draft(json.dumps(doc).encode(), _summary(doc), title="Lương tháng 10")
    package = fake_package(doc, **pkg_kw)
    docs.set_package(local, package, "signed")
    item = Outbox(conn).enqueue(package, _summary(doc), document_local_id=local)
    return local, item, package


def test_enqueue_is_durable_and_atomic(conn, db_path):
    local, item_id, package = _queue_document(conn)
    other = connect(db_path)  # a new connection (another process) sees it at once
    try:
        item = Outbox(other).get(item_id)
        assert item.state == "queued" and item.attempts == 0 and item.next_try is None
        assert item.document_number == "BL-10/2026" and item.total == 15_000_000
        assert item.kind == "salary-table" and item.document_local_id == local
        uuid.UUID(item.idempotency_key)
        assert Outbox(other).package(item_id) == package
        assert DocumentRepo(other).get(local).state == "queued"
        assert item.to_json()["idempotency_key"] == item.idempotency_key
        json.dumps(item.to_json())
    finally:
        other.close()
    # the same package twice is refused; a failing enqueue changes nothing
    with pytest.raises(InvalidInput):
        Outbox(conn).enqueue(package, {"kind": "salary-table", "number": "x", "total": 1})
    with pytest.raises(InvalidInput):
        Outbox(conn).enqueue(b"other", {"kind": "k", "number": "n", "total": 1},
                             document_local_id=999)
    assert len(Outbox(conn).items()) == 1
    # a queued document's package can no longer be replaced
    with pytest.raises(InvalidInput):
        DocumentRepo(conn).set_package(local, b"new", "signed")


def test_flush_sends_and_records_id(conn, sandbox):
    local, item_id, _ = _queue_document(conn)
    api = _api(sandbox.base_url)
    result = Outbox(conn).flush(api)
    assert (result.sent, result.failed, result.waiting, result.unreachable) == (1, 0, 0, False)
    item = Outbox(conn).get(item_id)
    assert item.state == "sent" and item.submission_id and item.treasury_status == "received"
    assert item.status_text == "Đã tiếp nhận" and item.attempts == 1
    assert DocumentRepo(conn).get(local).state == "sent"
    assert [h["status"] for h in Outbox(conn).history(item_id)] == ["received"]
    assert api.get(item.submission_id)["document"]["number"] == "BL-10/2026"
    # nothing left to send
    again = Outbox(conn).flush(api)
    assert (again.sent, again.failed, again.waiting) == (0, 0, 0)
    assert len(api.changes(None)) == 1


def test_unreachable_then_sent_exactly_once(conn, tmp_path):
    data_dir = tmp_path / "sb"
    srv = _sandbox(data_dir)
    port = srv.port
    srv.stop()
    local, item_id, _ = _queue_document(conn)
    now = datetime.now(UTC)
    result = Outbox(conn).flush(_api(srv.base_url), now=now)
    assert result.unreachable and result.sent == 0 and result.failed == 1
    assert result.errors and "kết nối" in result.errors[0]
    item = Outbox(conn).get(item_id)
    assert item.state == "queued" and item.attempts == 1 and item.last_error
    next_try = parse_iso(item.next_try)
    assert now < next_try <= now + timedelta(seconds=5)
    assert DocumentRepo(conn).get(local).state == "queued"

    srv2 = _sandbox(data_dir, port=port)
    try:
        api = _api(srv2.base_url)
        # not due yet: it waits
        early = Outbox(conn).flush(api, now=now)
        assert (early.sent, early.waiting) == (0, 1)
        done = Outbox(conn).flush(api, now=next_try)
        assert done.sent == 1 and not done.unreachable
        item = Outbox(conn).get(item_id)
        assert item.state == "sent" and item.attempts == 2
        assert [s["id"] for s in api.changes(None)] == [item.submission_id]
    finally:
        srv2.stop()


def test_lost_answer_is_not_a_duplicate(conn, sandbox):
    """The treasury got it but the answer was lost: the retry gets the first answer back."""
    _, item_id, package = _queue_document(conn)
    api = _api(sandbox.base_url)
    first = api.submit(package, Outbox(conn).get(item_id).idempotency_key)
    assert first.status == 201
    result = Outbox(conn).flush(api, force=True)
    assert result.sent == 1
    assert Outbox(conn).get(item_id).submission_id == first.body["id"]
    assert len(api.changes(None)) == 1


def test_interrupted_send_is_retried_with_same_key(conn, sandbox):
    """A sender that died after marking an item 'sending' leaves it for the next flush."""
    _, item_id, _ = _queue_document(conn)
    conn.execute("UPDATE outbox SET state = 'sending' WHERE local_id = ?", (item_id,))
    with pytest.raises(InvalidInput):
        Outbox(conn).cancel(item_id)
    assert Outbox(conn).flush(_api(sandbox.base_url)).sent == 1
    assert Outbox(conn).get(item_id).state == "sent"


def test_invalid_package_needs_attention(conn, sandbox):
    local, item_id, _ = _queue_document(conn, signatures=[("chief-accountant", STRANGER_CERT)])
    result = Outbox(conn).flush(_api(sandbox.base_url))
    assert result.sent == 0 and result.failed == 1 and not result.unreachable
    item = Outbox(conn).get(item_id)
    assert item.state == "needs-attention" and item.submission_id is None and item.next_try is None
    assert "chưa được đăng ký" in item.reason and "Kế toán trưởng" in item.reason
    assert [p.code for p in item.problems] == ["signer-not-registered", "incomplete"]
    assert DocumentRepo(conn).get(local).state == "rejected"
    # never re-sent by itself
    assert Outbox(conn).flush(_api(sandbox.base_url), force=True).failed == 0
    # it can be withdrawn, and the document may get a new package
    Outbox(conn).cancel(item_id)
    assert Outbox(conn).get(item_id).state == "cancelled"
    assert DocumentRepo(conn).get(local).state == "signed"
    DocumentRepo(conn).set_package(local, fake_package(), "signed")


def test_cancel_refused_once_treasury_has_it(conn, sandbox):
    _, item_id, _ = _queue_document(conn)
    Outbox(conn).flush(_api(sandbox.base_url))
    with pytest.raises(InvalidInput):
        Outbox(conn).cancel(item_id)


def test_cancel_queued_item_is_not_sent(conn, sandbox):
    _, item_id, _ = _queue_document(conn)
    Outbox(conn).cancel(item_id)
    result = Outbox(conn).flush(_api(sandbox.base_url), force=True)
    assert (result.sent, result.waiting) == (0, 0)
    assert _api(sandbox.base_url).changes(None) == []


def test_bad_password_stops_flush(conn, sandbox):
    _, item_id, _ = _queue_document(conn)
    with pytest.raises(AuthError):
        Outbox(conn).flush(_api(sandbox.base_url, password="sai"))
    item = Outbox(conn).get(item_id)
    assert item.state == "queued" and item.attempts == 0
    # the lease was released: a good flush goes through
    assert Outbox(conn).flush(_api(sandbox.base_url)).sent == 1


def test_one_sender_at_a_time(conn, db_path, sandbox):
    _, item_id, _ = _queue_document(conn)
    holder = Outbox(conn)
    assert holder._take_lease()
    other_conn = connect(db_path)
    try:
        assert Outbox(other_conn).sending_elsewhere()
        assert Outbox(other_conn).summary().sending_elsewhere
        result = Outbox(other_conn).flush(_api(sandbox.base_url), force=True)
        assert result.locked and result.sent == 0 and result.waiting == 1 and result.errors
        assert Outbox(other_conn).get(item_id).state == "queued"
        # a later "now" does not steal a live sender's lock
        later = datetime.now(UTC) + timedelta(seconds=outbox_mod.LEASE_SECONDS + 1)
        assert Outbox(other_conn).flush(_api(sandbox.base_url), now=later).sent == 0
        # two threads of one process exclude each other too (one lock per open file)
        assert not Outbox(conn)._take_lease()
        holder._release_lease()
        assert not Outbox(other_conn).sending_elsewhere()
        assert Outbox(other_conn).flush(_api(sandbox.base_url)).sent == 1
    finally:
        other_conn.close()


def test_a_killed_sender_does_not_block(conn, db_path, sandbox):
    """The sender lock dies with its process (kill -9): the next flush goes at once, even
    though the dead sender's row in ``locks`` says it has minutes left."""
    import subprocess
    import sys

    _, item_id, _ = _queue_document(conn)
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from client.store.db import connect\n"
         "from client.transport.outbox import Outbox\n"
         "ob = Outbox(connect(sys.argv[1]))\n"
         "assert ob._take_lease()\n"
         "print('held', flush=True)\n"
         "time.sleep(60)\n", str(db_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        blocked = Outbox(conn).flush(_api(sandbox.base_url))
        assert blocked.locked and blocked.sent == 0
        child.kill()  # SIGKILL
        child.wait(10)
        row = conn.execute("SELECT expires_at FROM locks").fetchone()
        assert row is not None and parse_iso(row[0]) > datetime.now(UTC)  # left behind
        assert Outbox(conn).flush(_api(sandbox.base_url)).sent == 1
        assert Outbox(conn).get(item_id).state == "sent"
    finally:
        child.kill()
        child.wait(10)


def test_lease_without_a_file(sandbox):
    """An in-memory database has no lock file: the lease row and its expiry guard it."""
    mem = connect(":memory:")
    try:
        a, b = Outbox(mem), Outbox(mem)
        assert a._file_lock is None
        assert a._take_lease() and not b._take_lease()
        mem.execute("UPDATE locks SET expires_at = ?",
                    ((datetime.now(UTC) - timedelta(seconds=1)).isoformat(),))
        assert b._take_lease()  # expired: its holder died
    finally:
        mem.close()


def test_schedule_survives_a_restart(db_path, tmp_path):
    """Attempts, next try and last error are in the database: a new process continues."""
    srv = _sandbox(tmp_path / "sb")
    url = srv.base_url
    srv.stop()
    c = connect(db_path)
    _, item_id, _ = _queue_document(c)
    now = datetime.now(UTC)
    Outbox(c).flush(_api(url), now=now)
    Outbox(c).flush(_api(url), now=now + timedelta(hours=1), force=True)
    c.close()
    c = connect(db_path)  # "restart"
    try:
        item = Outbox(c).get(item_id)
        assert item.attempts == 2 and item.last_error and item.next_try
        assert parse_iso(item.next_try) > now + timedelta(hours=1)
        srv2 = _sandbox(tmp_path / "sb", port=srv.port)
        try:
            early = Outbox(c).flush(_api(url), now=now + timedelta(hours=1))
            assert early.sent == 0 and early.waiting == 1  # not due yet: waits
            done = Outbox(c).flush(_api(url), now=parse_iso(item.next_try))
            assert done.sent == 1 and Outbox(c).get(item_id).attempts == 3
        finally:
            srv2.stop()
    finally:
        c.close()


def test_cancel_rules(conn, sandbox):
    _, a, _ = _queue_document(conn, number="A")
    _, b, _ = _queue_document(conn, number="B")
    _, c, _ = _queue_document(conn, number="C")
    ob = Outbox(conn)
    assert ob.get(a).can_cancel and ob.get(a).state_text == "Chờ gửi"
    # an earlier try without a definite answer: the treasury may have it
    conn.execute("UPDATE outbox SET delivery_uncertain = 1 WHERE local_id = ?", (b,))
    with pytest.raises(InvalidInput, match="có thể đã nhận"):
        ob.cancel(b)
    # being sent right now
    conn.execute("UPDATE outbox SET state = 'sending' WHERE local_id = ?", (c,))
    with pytest.raises(InvalidInput, match="đang được gửi"):
        ob.cancel(c)
    ob.cancel(a)
    with pytest.raises(InvalidInput, match="đã được hủy"):
        ob.cancel(a)
    # the leftover 'sending' row (its sender died) is marked uncertain and sent
    assert ob.flush(_api(sandbox.base_url)).sent == 2
    assert ob.get(c).state == "sent" and not ob.get(c).delivery_uncertain
    assert ob.get(a).state == "cancelled"
    assert {i["local_id"] for i in [x.to_json() for x in ob.items()]} == {a, b, c}


def test_summary_and_find(conn, sandbox):
    _, a, _ = _queue_document(conn, number="A")
    _, b, _ = _queue_document(conn, number="B", signatures=[("chief-accountant", STRANGER_CERT)])
    _, c, _ = _queue_document(conn, number="C")
    ob = Outbox(conn)
    s = ob.summary()
    assert (s.waiting, s.needs_attention, s.following) == (3, 0, 0)
    ob.flush(_api(sandbox.base_url), only=[a, b])
    s = ob.summary()
    assert (s.waiting, s.needs_attention, s.following) == (1, 1, 1)
    sid = ob.get(a).submission_id
    assert ob.find(sid).local_id == a and ob.find(f"#{c}").local_id == c
    assert ob.find(str(b)).local_id == b and ob.find("nope") is None
    data = ob.get(b).to_json()
    assert data["state_text"] == "Cần xử lý" and data["can_retry"] and data["can_cancel"]
    json.dumps(data)


def test_refresh_follows_to_paid(conn, tmp_path):
    srv = _sandbox(tmp_path / "sb", advance=0.2)
    try:
        api = _api(srv.base_url)
        local, item_id, _ = _queue_document(conn)
        local2, item2, _ = _queue_document(conn, number="BL-11/2026")
        ob = Outbox(conn)
        assert ob.flush(api).sent == 2
        seen_states = set()
        deadline = time.monotonic() + 10
        while ob.get(item_id).treasury_status != "paid" or not ob.get(item2).has_receipt:
            assert time.monotonic() < deadline, ob.get(item_id)
            changed = ob.refresh(api)
            assert all(i.local_id in (item_id, item2) for i in changed)
            seen_states.add(DocumentRepo(conn).get(local).state)
            time.sleep(0.05)
        assert seen_states <= {"sent", "accepted", "paid"}
        item = ob.get(item_id)
        assert item.treasury_status == "paid" and item.status_text == "Đã thanh toán"
        assert item.has_receipt
        hist = ob.history(item_id)
        assert [h["status"] for h in hist] == ["received", "accepted", "paid"]
        assert [h["at"] for h in hist] == sorted(h["at"] for h in hist)
        assert DocumentRepo(conn).get(local).state == "paid"
        assert DocumentRepo(conn).get(local2).state == "paid"
        receipt = ob.receipt(item_id)
        content = cms.ContentInfo.load(receipt)["content"]["encap_content_info"]["content"].native
        assert json.loads(content)["id"] == item.submission_id
        # final: nothing more to pull, history not duplicated
        assert ob.refresh(api) == []
        assert len(ob.history(item_id)) == 3
    finally:
        srv.stop()


def test_refresh_reports_only_changes(conn, sandbox):
    import requests

    _, item_id, _ = _queue_document(conn)
    api = _api(sandbox.base_url)
    ob = Outbox(conn)
    ob.flush(api)
    assert ob.refresh(api) == []  # still received: nothing new
    sid = ob.get(item_id).submission_id
    requests.post(f"{sandbox.base_url}/_admin/submissions/{sid}/status", timeout=5,
                  json={"status": "accepted"})
    [item] = ob.refresh(api)
    assert item.local_id == item_id and item.treasury_status == "accepted"
    assert ob.refresh(api) == []
    requests.post(f"{sandbox.base_url}/_admin/submissions/{sid}/status", timeout=5,
                  json={"status": "paid"})
    [change] = ob.refresh_changes(api)
    assert (change.local_id, change.old_status, change.new_status) == (item_id, "accepted", "paid")
    assert change.status_text == "Đã thanh toán" and change.receipt
    assert change.document_number == "BL-10/2026" and change.total == 15_000_000
    assert ob.refresh_changes(api) == []
    assert [h["status_text"] for h in ob.history(item_id)] == [
        "Đã tiếp nhận", "Đã kiểm soát, chờ thanh toán", "Đã thanh toán"]


def test_refresh_rejected_keeps_reason(conn, sandbox):
    import requests

    local, item_id, _ = _queue_document(conn)
    api = _api(sandbox.base_url)
    ob = Outbox(conn)
    ob.flush(api)
    sid = ob.get(item_id).submission_id
    requests.post(f"{sandbox.base_url}/_admin/submissions/{sid}/status", timeout=5,
                  json={"status": "rejected", "reason": "Sai số tài khoản của dòng 2"})
    [item] = ob.refresh(api)
    assert item.treasury_status == "rejected" and item.reason == "Sai số tài khoản của dòng 2"
    assert item.state == "sent"
    assert DocumentRepo(conn).get(local).state == "rejected"
    assert ob.history(item_id)[-1]["note"] == "Sai số tài khoản của dòng 2"
    assert ob.refresh_one(api, item_id).treasury_status == "rejected"


def test_backoff_and_retry_after():
    for attempts in range(1, 12):
        ceiling = min(900.0, 5.0 * 2 ** (attempts - 1))
        for _ in range(20):
            d = backoff_delay(attempts)
            assert 1.0 <= d <= max(1.0, ceiling)
    assert backoff_delay(1, retry_after=120) >= 120
    assert backoff_delay(30, retry_after=3600) == 3600  # Retry-After wins even past the cap
    assert backoff_delay(1, retry_after=10**9) == outbox_mod.RETRY_AFTER_CAP  # but not forever
    assert backoff_delay(10**6) <= outbox_mod.BACKOFF_CAP  # no overflow, capped
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Thu, 01 Oct 2026 00:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None and parse_retry_after(None, now) is None


def test_schema_rows_survive_reopen(db_path, sandbox):
    c = connect(db_path)
    _queue_document(c)
    Outbox(c).flush(_api(sandbox.base_url))
    c.close()
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT state FROM outbox").fetchone()[0] == "sent"
    raw.close()


def test_retry_after_signer_registered(conn, sandbox):
    """needs-attention → the unit registers its certificate → retry sends the same key and bytes."""
    import base64

    import requests

    local, item_id, _ = _queue_document(
        conn, signatures=[("chief-accountant", STRANGER_CERT), ("head-of-unit", signers_for()[1][2])])
    api = _api(sandbox.base_url)
    ob = Outbox(conn)
    ob.flush(api)
    item = ob.get(item_id)
    assert item.state == "needs-attention"
    key = item.idempotency_key
    r = requests.post(f"{sandbox.base_url}/_admin/signers", timeout=5, json={
        "unit_code": UNIT, "role": "chief-accountant",
        "certificate": base64.b64encode(STRANGER_CERT).decode()})
    assert r.status_code == 201
    ob.retry(item_id)
    assert ob.get(item_id).state == "queued" and DocumentRepo(conn).get(local).state == "queued"
    assert ob.flush(api).sent == 1
    item = ob.get(item_id)
    assert item.state == "sent" and item.idempotency_key == key and item.reason is None
    assert item.problems == []
    with pytest.raises(InvalidInput):
        ob.retry(item_id)


def test_real_package_through_outbox(conn, tmp_path):
    """A package signed by client.signing.workflow, checked by the real verify_package."""
    real = pytest.importorskip("tests.integration._real_package",
                               reason="client.signing.verify/workflow not available yet")
    built = real.build_signed_package(tmp_path)
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(built.unit_code, USER, PASSWORD)],
                        signers=built.signers, trust=built.trust)
    try:
        api = TreasuryClient(srv.base_url, unit_code=built.unit_code, username=USER,
                             password=lambda: PASSWORD)
        ob = Outbox(conn)
        ok = ob.enqueue(built.package, built.summary)
        partial = ob.enqueue(built.partial, built.summary)
        result = ob.flush(api)
        assert (result.sent, result.failed) == (1, 1)
        assert ob.get(ok).state == "sent"
        assert api.get(ob.get(ok).submission_id)["document"]["total"] == built.total
        bad = ob.get(partial)
        assert bad.state == "needs-attention" and "incomplete" in {p.code for p in bad.problems}
        assert "Thủ trưởng" in bad.reason
    finally:
        srv.stop()


# -- notices the GUI polls, and the sync service's report -----------------------------------

def _admin_status(sandbox, sid: str, status: str, reason: str | None = None) -> None:
    import requests

    body = {"status": status} | ({"reason": reason} if reason else {})
    r = requests.post(f"{sandbox.base_url}/_admin/submissions/{sid}/status", json=body, timeout=5)
    assert r.status_code == 200, r.text


def test_notices_are_stored_with_each_change_and_polled(db_path, conn, sandbox):
    """Every change leaves a stored notice (sent, refused, accepted, paid with its receipt,
    rejected with its reason), in Vietnamese, visible to another connection (a GUI while a
    CLI flushes), until marked seen."""
    _, good, _ = _queue_document(conn, number="BL-1")
    _, bad, _ = _queue_document(conn, number="BL-2",
                                signatures=[("chief-accountant", STRANGER_CERT)])
    _, third, _ = _queue_document(conn, number="BL-3")
    gui = connect(db_path)  # another process's view of the same database
    try:
        gui_outbox = Outbox(gui)
        assert gui_outbox.notices() == [] and gui_outbox.last_notice_id() == 0
        api = _api(sandbox.base_url)
        ob = Outbox(conn)
        ob.flush(api)
        first = gui_outbox.notices()
        assert [(n.local_id, n.kind) for n in first] == [(good, "sent"), (bad, "refused"),
                                                          (third, "sent")]
        assert first[0].title == "Đã gửi hồ sơ tới Kho bạc"
        assert first[0].text == "Chứng từ số BL-1 (15.000.000 đ): Đã tiếp nhận."
        assert first[1].title.startswith("Kho bạc không nhận hồ sơ")
        assert "chưa được đăng ký" in first[1].text
        mark = gui_outbox.last_notice_id()
        assert mark == first[-1].id
        _admin_status(sandbox, ob.get(good).submission_id, "accepted")
        _admin_status(sandbox, ob.get(good).submission_id, "paid")
        _admin_status(sandbox, ob.get(third).submission_id, "rejected", "Sai số tài khoản dòng 2")
        ob.refresh(api)
        later = gui_outbox.notices(after=mark)
        assert {(n.local_id, n.kind) for n in later} == {(good, "paid"), (third, "rejected")}
        paid = next(n for n in later if n.kind == "paid")
        assert paid.old_status == "received" and paid.receipt
        assert paid.text.endswith("Đã thanh toán — đã có chứng từ báo Nợ.")
        rejected = next(n for n in later if n.kind == "rejected")
        assert rejected.reason == "Sai số tài khoản dòng 2"
        assert "Sai số tài khoản dòng 2" in rejected.text
        assert ob.refresh(api) == [] and gui_outbox.notices(after=later[-1].id) == []
        # seen once, by either side
        assert gui_outbox.unseen_notices() == 5
        assert gui_outbox.mark_notices_seen(up_to=mark) == 3
        assert [n.kind for n in ob.notices(unseen=True)] == [n.kind for n in later]
        ob.mark_notices_seen()
        assert gui_outbox.unseen_notices() == 0 and len(gui_outbox.notices()) == 5
        assert all(n.to_json()["seen"] for n in gui_outbox.notices())
    finally:
        gui.close()


def test_sync_service_reports_connectivity_pending_and_notices(db_path, conn, sandbox, tmp_path):
    """One cycle at a time, as the GUI's timer runs it: 'no network', 'treasury down or
    overloaded' and 'login refused' are told apart, with how many wait; when the treasury
    answers, what was sent (also by another process) comes back as notices."""
    from client.transport.sync import CONNECTIVITY_TEXT, SyncService
    from tests.integration.faults import FaultyTreasury

    front = FaultyTreasury(sandbox)
    password = {"value": PASSWORD}
    api = TreasuryClient(front.base_url, unit_code=UNIT, username=USER,
                         password=lambda: password["value"], timeout=(1.0, 3.0))
    reports, told = [], []
    service = SyncService(db_path, api, on_report=reports.append, on_notice=told.append)
    try:
        _queue_document(conn, number="BL-1")
        _queue_document(conn, number="BL-2")
        front.pause()  # no network: nobody listens
        r = service.run_once()
        assert (r.connectivity, r.online, r.waiting) == ("no-network", False, 2)
        assert r.status_line() == f"{CONNECTIVITY_TEXT['no-network']} · 2 hồ sơ chờ gửi"
        assert service.next_delay(r) == service.offline_interval
        front.resume()
        front.add("status", method="GET", path="/api/v1/health", status=503,
                  headers={"Retry-After": "120"})
        r = service.run_once()
        assert r.connectivity == "treasury-down" and r.waiting == 2
        assert r.text.startswith("Máy chủ Kho bạc đang quá tải") and r.retry_after == 120
        assert service.next_delay(r) >= 120
        password["value"] = "mật-khẩu-sai"
        r = service.run_once()
        assert r.connectivity == "login-refused" and r.waiting == 2 and not r.sent
        assert "từ chối đăng nhập" in r.text
        assert Outbox(conn).get(1).attempts == 0  # a refused login spends no attempt
        assert front.count() == 0  # nothing was posted while it could not work
        password["value"] = PASSWORD
        r = service.run_once()
        assert (r.connectivity, r.sent, r.waiting, r.following) == ("online", 2, 0, 2)
        assert [n.kind for n in r.notices] == ["sent", "sent"]
        assert [n.document_number for n in told] == ["BL-1", "BL-2"] and reports[-1] is r
        # a CLI (another connection) sends one more: the next cycle tells about it too
        _, third, _ = _queue_document(conn, number="BL-3")
        Outbox(conn).flush(_api(sandbox.base_url))
        r = service.run_once()
        assert [(n.kind, n.local_id) for n in r.notices] == [("sent", third)]
        assert r.following == 3 and r.status_line() == CONNECTIVITY_TEXT["online"]
        assert service.run_once().notices == []
    finally:
        api.close()
        front.stop()


# -- the CLI over the outbox: queue list|flush|retry|cancel, status, receipts ---------------

def test_cli_queue_and_status(tmp_path, sandbox, capsys, monkeypatch):
    """``queue list|flush|retry ID|cancel ID`` and ``status`` (with ``--save-receipt``)
    against the sandbox behind the fault-injecting front, with their exit codes."""
    from client.cli import main
    from client.home import Home
    from tests.integration.faults import FaultyTreasury, queue_packages

    front = FaultyTreasury(sandbox)
    home = Home(tmp_path / "cli-home")
    home.set("profile", "mode", "training")  # a sandbox is a training treasury
    home.set("server", "url", front.base_url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.set("network", "proxy", "none")
    home.save()
    monkeypatch.setenv("KBNN_TEST_PW", PASSWORD)
    conn = connect(home.db_path)
    pw = ["--password-env", "KBNN_TEST_PW"]

    def cli(*argv: str) -> tuple[int, str, str]:
        code = main(["--home", str(home.path), *argv])
        got = capsys.readouterr()
        return code, got.out, got.err

    try:
        ids = queue_packages(conn, 3, "CLI")
        code, text, _ = cli("queue", "list")
        assert code == 0 and "Chứng từ số CLI-1" in text and "Hàng đợi: Chờ gửi" in text
        assert "Chờ gửi: 3; cần xử lý: 0" in text
        code, text, _ = cli("queue", "cancel", str(ids[2]))
        assert code == 0 and f"Đã hủy #{ids[2]}" in text
        assert Outbox(conn).get(ids[2]).state == "cancelled"
        # the treasury is overloaded: exit 3, the item waits with its error and next try
        front.add("status", status=503, headers={"Retry-After": "600"})
        code, text, err = cli("queue", "flush", *pw)
        assert code == 3 and "Đã gửi 0" in text and "quá tải" in err
        code, text, _ = cli("queue", "list")
        assert "Hàng đợi: Chờ gửi lại — đã thử 1 lần, thử lại lúc" in text
        assert "Lỗi gần nhất:" in text
        # retry: due now, sent with the same key; then nothing is left
        code, text, _ = cli("queue", "retry", str(ids[0]))
        assert code == 0 and "cùng khóa" in text
        code, text, _ = cli("queue", "flush", *pw)
        assert code == 0 and "Đã gửi 2" in text and "còn chờ 0" in text
        assert assert_agrees_cli(conn, sandbox) == {"sent": 2, "cancelled": 1}
        code, _, err = cli("queue", "cancel", str(ids[0]))
        assert code == 1 and "Kho bạc đã nhận" in err  # too late to withdraw
        code, _, err = cli("queue", "retry", str(ids[2]))
        assert code == 1 and "đã bị hủy" in err
        # status: paid, history, and the receipt saved as a file
        sid = Outbox(conn).get(ids[0]).submission_id
        _admin_status(sandbox, sid, "accepted")
        _admin_status(sandbox, sid, "paid")
        out_file = tmp_path / "bao-no.p7m"
        code, text, _ = cli("status", sid, "--refresh", "--save-receipt", str(out_file), *pw)
        assert code == 0 and "Đã thanh toán" in text and "đã có chứng từ báo Nợ" in text
        assert "Đã kiểm soát, chờ thanh toán" in text  # the history is printed
        assert out_file.read_bytes() == Outbox(conn).receipt(ids[0]) and out_file.stat().st_size
        code, text, _ = cli("status", "--json")
        rows = json.loads(text)
        assert {r["local_id"]: r["treasury_status"] for r in rows} == {
            ids[0]: "paid", ids[1]: "received", ids[2]: None}
        code, _, err = cli("status", str(ids[1]), "--save-receipt", str(tmp_path / "x.p7m"))
        assert code == 1 and "chưa có chứng từ báo Nợ" in err
        assert not (tmp_path / "x.p7m").exists()
        # the treasury unreachable: status --refresh still shows what is known, exit 3
        front.pause()
        code, text, _ = cli("status", "--refresh", *pw)
        assert code == 3 and "CLI-1" in text
    finally:
        conn.close()
        front.stop()


def assert_agrees_cli(conn, sandbox) -> dict:
    from tests.integration.faults import assert_agrees

    api = _api(sandbox.base_url)
    try:
        return assert_agrees(conn, api)
    finally:
        api.close()


def test_sync_thread_sends_when_the_network_returns(db_path, conn, sandbox):
    """The background service: a cycle on start, probes while offline, sends by itself once
    the treasury can be reached again, and pulls status changes while online."""
    from client.transport.sync import SyncService
    from tests.integration.faults import FaultyTreasury, wait_for

    front = FaultyTreasury(sandbox)
    api = _api(front.base_url)
    reports, told = [], []
    service = SyncService(db_path, api, on_report=reports.append, on_notice=told.append,
                          interval=0.3, offline_interval=0.1)
    try:
        _, item_id, _ = _queue_document(conn, number="BL-NET")
        front.pause()
        service.start()
        assert wait_for(lambda: any(r.connectivity == "no-network" for r in reports), 10)
        assert Outbox(conn).get(item_id).state == "queued"
        front.resume()  # the network is back: no one presses anything
        assert wait_for(lambda: Outbox(conn).get(item_id).state == "sent", 10)
        assert wait_for(lambda: [n.kind for n in told] == ["sent"], 5)
        _admin_status(sandbox, Outbox(conn).get(item_id).submission_id, "accepted")
        assert wait_for(lambda: [n.kind for n in told] == ["sent", "accepted"], 10)
        assert reports[-1].online and reports[-1].following == 1
    finally:
        service.stop()
        api.close()
        front.stop()
    assert not service.running
