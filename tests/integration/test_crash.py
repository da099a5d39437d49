"""kill -9 the client while it flushes its outbox, restart it, repeat.

The client is the real CLI (``kbnn-client queue flush``) in a subprocess; the treasury
is the real sandbox on loopback, with a verifier that accepts small fake packages (the
thing under test is the outbox, not signature checking). Over at least 200 submissions
and 20 kills landing while the client is flushing: nothing is lost, nothing is
duplicated at the treasury, and ``PRAGMA integrity_check`` is ``ok``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from client.home import Home
from client.sandbox.server import start_sandbox
from client.store.db import connect
from client.transport.api import TreasuryClient
from client.transport.outbox import Outbox
from tests.integration.faults import assert_agrees, queue_packages
from tests.integration.sandbox_support import PASSWORD, UNIT, USER, FakeVerifier, signers_for

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="kill -9 is POSIX")]

MIN_SUBMISSIONS = 200
MIN_KILLS = 20
ROOT = Path(__file__).resolve().parents[2]


class SlowVerifier(FakeVerifier):
    """A few milliseconds per package, so kills land in every phase of a send."""

    def __call__(self, data, trust, *, require_complete=False):
        time.sleep(0.01)
        return super().__call__(data, trust, require_complete=require_complete)


def _flush_cmd(home: Path) -> list[str]:
    return [sys.executable, "-m", "client", "--home", str(home), "queue", "flush",
            "--password-env", "KBNN_CRASH_PASSWORD"]


def _sender_pid(conn) -> int | None:
    row = conn.execute("SELECT owner FROM locks WHERE name = 'outbox-sender'").fetchone()
    if row is None:
        return None
    try:
        return int(str(row[0]).split("-", 1)[0])
    except ValueError:
        return None


def test_kill_9_while_flushing(tmp_path):
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD)],
                        signers=signers_for(), verifier=SlowVerifier())
    home_dir = tmp_path / "home"
    home = Home(home_dir)
    home.set("profile", "mode", "training")  # a sandbox is a training treasury
    home.set("server", "url", srv.base_url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.set("network", "proxy", "none")
    home.set("network", "read_timeout", "20")
    home.save()
    env = dict(os.environ, KBNN_CRASH_PASSWORD=PASSWORD, PYTHONIOENCODING="utf-8")
    conn = connect(home.db_path)
    direct = TreasuryClient(srv.base_url, unit_code=UNIT, username=USER,
                            password=lambda: PASSWORD, timeout=(2.0, 20.0))
    rng = random.Random(20261025)
    queued = len(queue_packages(conn, MIN_SUBMISSIONS, "L0", with_documents=False))
    batch = 0
    kills = mid_send = answer_lost = runs = 0
    try:
        deadline = time.monotonic() + 240
        while kills < MIN_KILLS:
            assert time.monotonic() < deadline, f"too slow: {kills} kills, {runs} runs"
            if not Outbox(conn).items(("queued", "sending")):
                batch += 1  # the queue drained before enough kills: more submissions
                queued += len(queue_packages(conn, 25, f"L{batch}", with_documents=False))
            proc = subprocess.Popen(_flush_cmd(home_dir), cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            runs += 1
            # Wait until it is flushing (it holds the sender lock), however long starting
            # Python takes on a busy machine; then kill it at a random point of the flush.
            started = time.monotonic()
            while (_sender_pid(conn) != proc.pid and proc.poll() is None
                   and time.monotonic() - started < 60):
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.25))
            if proc.poll() is not None:  # it finished first: the queue is empty
                assert proc.returncode == 0, proc.stderr.read().decode()
                proc.stderr.close()
                continue
            flushing = _sender_pid(conn) == proc.pid
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            proc.stderr.close()
            if not flushing:
                continue  # killed while starting up: does not count
            kills += 1
            left = Outbox(conn).items(("sending",))
            if left:
                mid_send += 1
                at_treasury = {r["document"]["number"] for r in direct.changes(None, limit=500)}
                answer_lost += sum(1 for i in left if i.document_number in at_treasury)
        # the last restart runs to the end
        final = subprocess.run(_flush_cmd(home_dir), cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=120)
        assert final.returncode == 0, final.stderr
        states = assert_agrees(conn, direct)
        assert states == {"sent": queued}, states
        assert queued >= MIN_SUBMISSIONS and kills >= MIN_KILLS
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert len(direct.changes(None, limit=500)) == queued
        # the kills really landed mid-send, some after the treasury committed
        assert mid_send >= 1, (kills, mid_send)
        print(f"\n{queued} submissions, {runs} runs, {kills} kills while flushing, "
              f"{mid_send} with an item in flight, {answer_lost} answers lost after the "
              "treasury committed")
    finally:
        direct.close()
        conn.close()
        srv.stop()
