"""The trainer's page in headless Chromium (Debian's chromium + chromium-driver, Selenium).

A training profile sends two dossiers to the sandbox; the trainer logs in on
``/trainer``, accepts one, rejects the other with a reason, switches the
scenario and marks the accepted one paid; the client's status view
(``kbnn-client status --refresh --json``) shows each result. A screenshot of
the page lands in ``build/screenshots/trainer-page.png``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from client.home import Home, Unit
from client.sandbox.server import start_sandbox
from client.store.db import connect
from client.store.documents import DocumentRepo
from client.transport.network import client_for_home
from client.transport.outbox import Outbox
from tests.integration.sandbox_support import (
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    signers_for,
)

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
DRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1400,1000", "--lang=vi")
TRAINER = ("giangvien", "mk-lop-tap-huan")

pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason="needs Debian's chromium and chromium-driver (tools/bootstrap.sh installs them)")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def sandbox(tmp_path):
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=FakeVerifier(),
                        units=[(UNIT, USER, PASSWORD, "Trường Tiểu học Kim Liên")],
                        signers=signers_for(UNIT), trainer=TRAINER)
    yield srv
    srv.stop()


def _training_home(path: Path, base_url: str) -> Home:
    home = Home(path)
    home.set("profile", "mode", "training")
    home.set_unit(Unit(code=UNIT, name="Trường Tiểu học Kim Liên", treasury="KBNN Đống Đa",
                       account=f"9523.1.{UNIT}", account_kind="estimate", prepared_by="Lan"))
    home.set("server", "url", base_url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.set("training", "password", PASSWORD)
    home.save()
    return home


def _send(home: Home, numbers: list[str]) -> None:
    """Queue one signed package per number and send them (the client's core outbox)."""
    conn = connect(home.db_path)
    try:
        docs, outbox = DocumentRepo(conn), Outbox(conn)
        for number in numbers:
            doc = document(number=number, total=12_345_000)
            summary = {"kind": doc["kind"], "number": number, "total": doc["total"],
                       "period": doc["period"], "lines": 1, "id": doc["id"]}
            local = docs.add_draft(json.dumps(doc).encode(), summary, title=f"Lương {number}")
            package = fake_package(doc)
            docs.set_package(local, package, "signed")
            outbox.enqueue(package, summary, document_local_id=local)
        api = client_for_home(home, lambda: PASSWORD)
        result = outbox.flush(api)
        assert result.sent == len(numbers), result
    finally:
        conn.close()


def _status(home: Home) -> dict[str, dict]:
    """``kbnn-client status --refresh --json``, by document number."""
    done = subprocess.run(
        [sys.executable, "-m", "client", "--home", str(home.path), "status", "--refresh", "--json"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert done.returncode == 0, done.stderr
    return {i["document_number"]: i for i in json.loads(done.stdout)}


def _row(driver, number: str):
    from selenium.webdriver.common.by import By

    for tr in driver.find_elements(By.CSS_SELECTOR, "#submissions tbody tr"):
        if tr.find_elements(By.TAG_NAME, "td")[1].text == number:
            return tr
    return None


def _wait_row_status(driver, number: str, status: str) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(d) -> bool:
        tr = _row(d, number)
        return tr is not None and tr.get_attribute("data-status") == status

    WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        ready, f"{number} never showed as {status}")


def test_trainer_accepts_one_rejects_another_and_the_client_sees_both(
        browser, sandbox, tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    home = _training_home(tmp_path / "home", sandbox.base_url)
    _send(home, ["BL-CHAP-NHAN", "BL-TU-CHOI"])
    before = _status(home)
    assert {n: i["treasury_status"] for n, i in before.items()} == {
        "BL-CHAP-NHAN": "received", "BL-TU-CHOI": "received"}

    site = sandbox.base_url.rsplit("/api/v1", 1)[0]
    browser.get(site + "/trainer")
    # the page is behind the trainer's login: a wrong password is refused
    browser.find_element(By.ID, "username").send_keys(TRAINER[0])
    browser.find_element(By.ID, "password").send_keys("sai-mat-khau")
    browser.find_element(By.ID, "login").click()
    # the form posts and the page comes back with the error (wait for the new page)
    WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "Sai tên đăng nhập hoặc mật khẩu giảng viên." in " ".join(
            e.text for e in d.find_elements(By.CSS_SELECTOR, ".error")))
    browser.find_element(By.ID, "username").send_keys(TRAINER[0])
    browser.find_element(By.ID, "password").send_keys(TRAINER[1])
    browser.find_element(By.ID, "login").click()

    _wait_row_status(browser, "BL-CHAP-NHAN", "received")
    _wait_row_status(browser, "BL-TU-CHOI", "received")
    assert "Trường Tiểu học Kim Liên" in _row(browser, "BL-CHAP-NHAN").text
    assert "12.345.000" in _row(browser, "BL-CHAP-NHAN").text

    _row(browser, "BL-CHAP-NHAN").find_element(By.CSS_SELECTOR, "button[data-action=accept]").click()
    _wait_row_status(browser, "BL-CHAP-NHAN", "accepted")

    reason = "Sai số tài khoản người hưởng ở dòng 3."
    row = _row(browser, "BL-TU-CHOI")
    row.find_element(By.CSS_SELECTOR, "button[data-action=reject]").click()  # no reason yet
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.ID, "flash").text == "Hãy ghi lý do từ chối.")
    # while the trainer types, another unit's dossier arrives: the page polls every 2 s,
    # and what is being typed is neither lost nor interrupted
    box = _row(browser, "BL-TU-CHOI").find_element(By.CSS_SELECTOR, ".reason-input")
    box.send_keys(reason[:10])
    other = client_for_home(home, lambda: PASSWORD)
    assert other.submit(fake_package(document(number="BL-KHAC")), str(uuid.uuid4())).status == 201
    time.sleep(2.5)  # one poll of the page
    assert browser.switch_to.active_element == box
    box.send_keys(reason[10:])
    assert box.get_attribute("value") == reason
    _row(browser, "BL-TU-CHOI").find_element(By.CSS_SELECTOR, "button[data-action=reject]").click()
    _wait_row_status(browser, "BL-TU-CHOI", "rejected")
    assert reason in _row(browser, "BL-TU-CHOI").text
    _wait_row_status(browser, "BL-KHAC", "received")  # and now the table shows the newcomer

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "trainer-page.png"
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    after = _status(home)
    assert set(after) == {"BL-CHAP-NHAN", "BL-TU-CHOI"}
    assert after["BL-CHAP-NHAN"]["treasury_status"] == "accepted"
    assert after["BL-CHAP-NHAN"]["status_text"] == "Đã kiểm soát, chờ thanh toán"
    assert after["BL-TU-CHOI"]["treasury_status"] == "rejected"
    assert after["BL-TU-CHOI"]["reason"] == reason

    # switch the scenario from the page
    Select(browser.find_element(By.ID, "scenario-name")).select_by_value("year-end")
    param = browser.find_element(By.ID, "scenario-param")
    assert param.get_attribute("value") == "2"
    seed = browser.find_element(By.ID, "scenario-seed")
    seed.clear()
    seed.send_keys("17")
    browser.find_element(By.ID, "scenario-apply").click()
    WebDriverWait(browser, 10).until(
        lambda d: "Cao điểm cuối năm" in d.find_element(By.ID, "scenario-badge").text)
    assert (str(sandbox.sandbox.scenario.spec), sandbox.sandbox.scenario.seed) == ("year-end:2", 17)
    Select(browser.find_element(By.ID, "scenario-name")).select_by_value("normal")
    browser.find_element(By.ID, "scenario-apply").click()
    WebDriverWait(browser, 10).until(
        lambda d: "Bình thường" in d.find_element(By.ID, "scenario-badge").text)

    # and mark the accepted one paid: the client gets "paid" and the receipt
    _row(browser, "BL-CHAP-NHAN").find_element(By.CSS_SELECTOR, "button[data-action=paid]").click()
    _wait_row_status(browser, "BL-CHAP-NHAN", "paid")
    final = _status(home)
    assert final["BL-CHAP-NHAN"]["treasury_status"] == "paid"
    assert final["BL-CHAP-NHAN"]["has_receipt"] is True
    assert final["BL-TU-CHOI"]["treasury_status"] == "rejected"


def test_the_trainer_api_refuses_without_the_trainer_login(sandbox):
    import requests

    site = sandbox.base_url.rsplit("/api/v1", 1)[0]
    assert "Đăng nhập giảng viên" in requests.get(site + "/trainer", timeout=5).text
    r = requests.get(site + "/trainer/api/state", timeout=5)
    assert r.status_code == 401 and r.json()["code"] == "not-logged-in"
    s = requests.Session()
    assert s.post(site + "/trainer/login", data={"username": TRAINER[0], "password": TRAINER[1]},
                  timeout=5).status_code == 200
    assert s.get(site + "/trainer/api/state", timeout=5).status_code == 200
    # a cross-site form cannot act: every action needs X-Trainer
    r = s.post(site + "/trainer/api/scenario", json={"scenario": "outage"}, timeout=5)
    assert r.status_code == 403 and sandbox.sandbox.scenario.spec.name == "normal"


