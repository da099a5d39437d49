"""The sandbox's network scenarios, over loopback HTTP: normal, slow, flaky, outage, year-end.

Each is deterministic given the seed: the outcomes a run meets are the ones
``ScenarioState`` predicts for that seed, and a second sandbox with the same
seed meets the same ones. The scenario clock is a test clock where time
matters (outage, year-end), so nothing here waits for real seconds.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from client.errors import Unreachable
from client.sandbox.scenarios import ScenarioSpec, ScenarioState
from client.sandbox.server import start_sandbox
from client.transport.api import TreasuryClient
from tests.integration.sandbox_support import (
    OTHER_PASSWORD,
    OTHER_UNIT,
    OTHER_USER,
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    signers_for,
)


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _start(tmp: Path, scenario: str = "normal", seed: int = 1, ticks: Ticks | None = None):
    srv = start_sandbox(data_dir=tmp, advance=0, verifier=FakeVerifier(), scenario=scenario,
                        seed=seed,
                        units=[(UNIT, USER, PASSWORD), (OTHER_UNIT, OTHER_USER, OTHER_PASSWORD)],
                        signers=signers_for(UNIT) + signers_for(OTHER_UNIT))
    if ticks is not None:
        srv.sandbox.scenario.clock = ticks
        _switch(srv, scenario, seed)  # restart the scenario on the test clock
    return srv


def _switch(srv, spec: str, seed: int | None = None) -> dict:
    body: dict = {"scenario": spec}
    if seed is not None:
        body["seed"] = seed
    r = requests.post(srv.base_url + "/_admin/scenario", json=body, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def _health(srv) -> str:
    """What a client meets on one health request: "200", "503", "429" or "dropped"."""
    try:
        r = requests.get(srv.base_url + "/health", timeout=5)
    except requests.ConnectionError:
        return "dropped"
    if r.status_code != 200:
        body = r.json()
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert body["code"] == "overloaded" and body["title"] == "Hệ thống Kho bạc đang quá tải, " \
            "vui lòng thử lại sau"
        assert int(r.headers["Retry-After"]) >= 1
    return str(r.status_code)


def _predicted(spec: str, seed: int, n: int) -> list[str]:
    state = ScenarioState(ScenarioSpec.parse(spec), seed)
    seen = {"pass": "200", "503": "503", "drop-before": "dropped", "drop-after": "dropped"}
    return [seen[state.decide("").action] for _ in range(n)]


def _api(srv, unit=UNIT, user=USER, password=PASSWORD) -> TreasuryClient:
    return TreasuryClient(srv.base_url, unit_code=unit, username=user, password=lambda: password,
                          timeout=(2.0, 10.0))


def test_normal_answers_everything(tmp_path):
    srv = _start(tmp_path / "sb")
    try:
        assert [_health(srv) for _ in range(20)] == ["200"] * 20
        state = requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()
        assert state["name"] == "normal" and state["requests"] == 20
        assert state["label"] == "Bình thường"
    finally:
        srv.stop()


def test_flaky_is_the_same_run_for_the_same_seed(tmp_path):
    spec, n = "flaky:0.5", 30
    expected = _predicted(spec, 7, n)
    assert {"200", "503", "dropped"} <= set(expected)  # the seed shows every outcome
    runs = []
    for i in range(2):
        srv = _start(tmp_path / f"sb{i}", spec, seed=7)
        try:
            runs.append([_health(srv) for _ in range(n)])
            outcomes = requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()["outcomes"]
            assert sum(outcomes.values()) == n
        finally:
            srv.stop()
    assert runs[0] == runs[1] == expected
    assert _predicted(spec, 8, n) != expected  # another seed, another run


def test_flaky_can_lose_the_answer_after_doing_the_work(tmp_path):
    """drop-after: the submission is stored, the client sees a dropped connection, and the
    retry with the same key and bytes gets the first answer (200), not a duplicate."""
    spec, seed = "flaky:0.5", 3
    state = ScenarioState(ScenarioSpec.parse(spec), seed)
    actions = [state.decide("").action for _ in range(40)]
    n = actions.index("drop-after")
    srv = _start(tmp_path / "sb")
    try:
        raw = requests.post(srv.base_url + "/sessions", timeout=5,
                            json={"unit_code": UNIT, "username": USER, "password": PASSWORD})
        assert raw.status_code == 201
        token = raw.json()["token"]
        _switch(srv, spec, seed)
        for _ in range(n):  # use up the outcomes before it
            try:
                requests.get(srv.base_url + "/health", timeout=5)
            except requests.ConnectionError:
                pass
        package, key = fake_package(document(number="BL-DROP")), str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key,
                   "Content-Type": "application/vnd.etsi.asic-e+zip",
                   "Content-Digest": "sha-256=:" + base64.b64encode(
                       hashlib.sha256(package).digest()).decode() + ":"}
        with pytest.raises(requests.ConnectionError):
            requests.post(srv.base_url + "/submissions", data=package, headers=headers, timeout=5)
        _switch(srv, "normal")
        again = _api(srv).submit(package, key)
        assert again.status == 200 and again.body["document"]["number"] == "BL-DROP"
        items = requests.get(srv.base_url + "/_admin/submissions", timeout=5).json()["items"]
        assert len(items) == 1 and items[0]["id"] == again.body["id"]
    finally:
        srv.stop()


def test_slow_waits_before_answering(tmp_path):
    srv = _start(tmp_path / "sb", "slow:0.3-0.4")
    try:
        t0 = time.monotonic()
        assert _health(srv) == "200"
        assert time.monotonic() - t0 >= 0.3  # seconds, not money
        assert requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()["label"] == \
            "Mạng chậm"
        # a client whose read timeout is shorter than the wait sees "unreachable", not a crash
        _switch(srv, "slow:2-2")
        api = TreasuryClient(srv.base_url, unit_code=UNIT, username=USER,
                             password=lambda: PASSWORD, timeout=(1.0, 0.5))
        with pytest.raises(Unreachable):
            api.health()
    finally:
        srv.stop()


def test_outage_drops_everything_then_ends_by_itself(tmp_path):
    ticks = Ticks()
    srv = _start(tmp_path / "sb", "outage:30", ticks=ticks)
    try:
        api = _api(srv)
        key, package = str(uuid.uuid4()), fake_package(document(number="BL-OUT"))
        with pytest.raises(Unreachable):
            api.submit(package, key)  # the dossier stays with the client
        assert [_health(srv) for _ in range(3)] == ["dropped"] * 3
        state = requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()
        assert state["name"] == "outage" and state["seconds_left"] == 30
        ticks.t += 29
        assert _health(srv) == "dropped"
        ticks.t += 1.5
        assert _health(srv) == "200"
        assert requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()["name"] == "normal"
        sent = api.submit(package, key)  # then sent as it was
        assert sent.status == 201 and sent.body["document"]["number"] == "BL-OUT"
    finally:
        srv.stop()


def test_year_end_answers_429_above_the_rate_per_client(tmp_path):
    ticks = Ticks()
    srv = _start(tmp_path / "sb", "year-end:2", seed=11, ticks=ticks)
    try:
        a = _token(srv)  # one request of the address's bucket
        b = _token(srv, OTHER_UNIT, OTHER_USER, OTHER_PASSWORD)
        assert _token_status(srv) == 429  # the address's bucket (no token) is empty now

        def get(token: str) -> requests.Response:
            return requests.get(srv.base_url + f"/units/{UNIT}/signers", timeout=5,
                                headers={"Authorization": f"Bearer {token}"})

        seen = [get(a).status_code for _ in range(4)]
        assert seen == [200, 200, 429, 429]
        r = get(a)
        assert r.status_code == 429 and r.json()["code"] == "overloaded"
        assert 1 <= int(r.headers["Retry-After"]) <= 3
        other = requests.get(srv.base_url + f"/units/{OTHER_UNIT}/signers", timeout=5,
                             headers={"Authorization": f"Bearer {b}"})
        assert other.status_code == 200  # each client has its own rate
        ticks.t += 1.0  # two more requests' worth
        assert [get(a).status_code for _ in range(3)] == [200, 200, 429]
    finally:
        srv.stop()


def test_year_end_retry_after_is_the_same_for_the_same_seed(tmp_path):
    runs = []
    for i in range(2):
        ticks = Ticks()
        srv = _start(tmp_path / f"sb{i}", "year-end:1", seed=5, ticks=ticks)
        try:
            answers = []
            for _ in range(6):
                r = requests.get(srv.base_url + "/health", timeout=5)
                answers.append((r.status_code, r.headers.get("Retry-After")))
            runs.append(answers)
        finally:
            srv.stop()
    assert runs[0] == runs[1]
    assert runs[0][0] == (200, None) and all(s == 429 for s, _ in runs[0][1:])


def _token(srv, unit=UNIT, user=USER, password=PASSWORD) -> str:
    r = requests.post(srv.base_url + "/sessions", timeout=5,
                      json={"unit_code": unit, "username": user, "password": password})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _token_status(srv) -> int:
    return requests.post(srv.base_url + "/sessions", timeout=5, json={
        "unit_code": UNIT, "username": USER, "password": PASSWORD}).status_code


def test_switching_scenarios_while_running_and_bad_specs(tmp_path):
    srv = _start(tmp_path / "sb")
    try:
        assert _switch(srv, "outage:5")["spec"] == "outage:5"
        assert _health(srv) == "dropped"
        state = _switch(srv, "flaky", seed=42)
        assert state["spec"] == "flaky:0.3" and state["seed"] == 42 and state["requests"] == 0
        r = requests.post(srv.base_url + "/_admin/scenario", json={"scenario": "storm"}, timeout=5)
        assert r.status_code == 400 and "Kịch bản «storm» không có" in r.json()["detail"]
        r = requests.post(srv.base_url + "/_admin/scenario", json={"scenario": "flaky:2"}, timeout=5)
        assert r.status_code == 400 and "từ 0 đến 1" in r.json()["detail"]
        assert _switch(srv, "normal")["name"] == "normal"
        assert _health(srv) == "200"
    finally:
        srv.stop()


def test_cli_starts_with_the_scenario_and_seed(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "client", "--home", str(tmp_path / "home"), "sandbox", "--port", "0",
         "--scenario", "year-end:3", "--seed", "99", "--advance", "0", "--trainer", "gv:mk-123"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        m = re.search(r"(http://\S+/api/v1)", line)
        assert m, line
        base = m.group(1)
        state = requests.get(base + "/_admin/scenario", timeout=5).json()
        assert (state["name"], state["param"], state["seed"]) == ("year-end", "3", 99)
        bad = subprocess.run([sys.executable, "-m", "client", "--home", str(tmp_path / "h2"),
                              "sandbox", "--port", "0", "--scenario", "storm"],
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode == 2 and "storm" in bad.stderr + bad.stdout
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _outbox_with_one(tmp: Path, number: str):
    from client.store.db import connect
    from client.transport.outbox import Outbox

    conn = connect(tmp / "client.sqlite3")
    doc = document(number=number)
    outbox = Outbox(conn)
    local = outbox.enqueue(fake_package(doc), {"kind": doc["kind"], "number": number,
                                               "total": doc["total"], "id": doc["id"]})
    return conn, outbox, local


def test_a_dossier_queued_during_an_outage_is_sent_by_itself_afterwards(tmp_path):
    from datetime import UTC, datetime, timedelta

    ticks = Ticks()
    srv = _start(tmp_path / "sb", "outage:60", ticks=ticks)
    conn, outbox, local = _outbox_with_one(tmp_path, "BL-MAT-MANG")
    try:
        api = _api(srv)
        first = outbox.flush(api)
        assert first.unreachable and first.sent == 0
        assert outbox.get(local).state == "queued" and outbox.get(local).attempts == 1
        ticks.t += 61  # the outage ends by itself
        later = outbox.flush(api, now=datetime.now(UTC) + timedelta(hours=1))
        assert later.sent == 1
        item = outbox.get(local)
        assert item.state == "sent" and item.treasury_status == "received"
        items = requests.get(srv.base_url + "/_admin/submissions", timeout=5).json()["items"]
        assert [i["document"]["number"] for i in items] == ["BL-MAT-MANG"]
    finally:
        conn.close()
        srv.stop()


def test_under_flaky_the_outbox_delivers_exactly_once(tmp_path):
    from datetime import UTC, datetime, timedelta

    srv = _start(tmp_path / "sb", "flaky:0.6", seed=2)
    conn, outbox, local = _outbox_with_one(tmp_path, "BL-CHAP-CHON")
    try:
        api = TreasuryClient(srv.base_url, unit_code=UNIT, username=USER,
                             password=lambda: PASSWORD, timeout=(2.0, 5.0))
        now = datetime.now(UTC)
        tries = 0
        while outbox.get(local).state != "sent":
            tries += 1
            assert tries <= 40, outbox.get(local)
            now += timedelta(hours=1)
            try:
                outbox.flush(api, now=now)
            except Exception:  # noqa: BLE001 - a dropped login answer: try again later
                pass
        outcomes = requests.get(srv.base_url + "/_admin/scenario", timeout=5).json()["outcomes"]
        assert outcomes.get("pass", 0) and sum(v for k, v in outcomes.items() if k != "pass")
        items = requests.get(srv.base_url + "/_admin/submissions", timeout=5).json()["items"]
        assert [i["document"]["number"] for i in items] == ["BL-CHAP-CHON"]
        assert outbox.get(local).submission_id == items[0]["id"]
    finally:
        conn.close()
        srv.stop()
