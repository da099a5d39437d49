"""No PIN, password or session token is ever written to the log files.

The whole application path runs at DEBUG level against real components: two
SoftHSM2 tokens (this process's shared token folder, tokens of our own), a
sandbox treasury on loopback, the client's SQLite, ``AppContext`` as the GUI
and the CLI use it: a wrong PIN, two signatures, a wrong password, a login, a
submission, a forced re-login, status refresh. Then every log file is read.
"""

from __future__ import annotations

import logging

import pytest

from client import documents
from client.app import AppContext
from client.errors import KbnnError, TokenError
from client.home import Home, Unit, setup_logging
from client.sandbox.server import start_sandbox
from client.signing.tokens import TokenService
from client.training.pki import create_ca
from client.training.setup import demo_salary_table
from client.training.token import provision_signer
from client.transport.api import TreasuryClient
from tests.softhsm import process_token_env

PIN_KTT = "Pin-Ktt-73915"
PIN_TTDV = "Pin-Ttdv-48260"
WRONG_PIN = "Pin-Sai-66104"
PASSWORD = "Mật-khẩu-Kho-bạc-5821"
WRONG_PASSWORD = "Sai-Mat-Khau-55120"
UNIT = Unit(code="1047665", name="Trường Tiểu học Nhật Ký", treasury="KBNN Đống Đa",
            account="9523.1.1047665", account_kind="estimate", prepared_by="Trần Thị Lan")
USER = "ketoan-log"


def _log_text(home: Home) -> str:
    for h in logging.getLogger("client").handlers:
        h.flush()
    return "\n".join(p.read_text("utf-8", errors="replace")
                     for p in sorted(home.logs_dir.iterdir()) if p.is_file())


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    env = process_token_env([("LOGKTT", PIN_KTT), ("LOGTTDV", PIN_TTDV)])
    tmp = tmp_path_factory.mktemp("logsecrets")
    ca = create_ca()
    (tmp / "ca.pem").write_bytes(ca.cert_pem())
    with TokenService(env.module) as svc:
        certs = {label: provision_signer(svc, label, pin, ca, name=name, organisation=UNIT.name,
                                         unit_code=UNIT.code, key_id=f"log-{label}".encode())
                 for label, pin, name in (("LOGKTT", PIN_KTT, "NGUYỄN THỊ NHẬT"),
                                          ("LOGTTDV", PIN_TTDV, "LÊ VĂN KÝ"))}
    sandbox = start_sandbox("127.0.0.1", 0, data_dir=tmp / "sandbox", advance=0.2,
                            units=[(UNIT.code, USER, PASSWORD)],
                            signers=[(UNIT.code, "chief-accountant", certs["LOGKTT"]),
                                     (UNIT.code, "head-of-unit", certs["LOGTTDV"])],
                            trust=[ca.cert_der], pose_as_treasury=True)
    yield {"env": env, "tmp": tmp, "sandbox": sandbox, "certs": certs}
    sandbox.stop()


def test_sign_login_submit_at_debug_level_writes_no_secret(world, monkeypatch):
    tmp, sandbox = world["tmp"], world["sandbox"]
    home = Home(tmp / "home")
    home.set_unit(UNIT)
    home.set("signing", "module", world["env"].module)
    home.set("signing", "trust", str(tmp / "ca.pem"))
    home.set("server", "url", sandbox.base_url)
    home.set("server", "unit", UNIT.code)
    home.set("server", "user", USER)
    home.save()
    monkeypatch.setenv("KBNN_TEST_TREASURY_PASSWORD", PASSWORD)

    ctx = AppContext(home, password_env="KBNN_TEST_TREASURY_PASSWORD")
    setup_logging(home, logging.DEBUG)
    session_tokens: list[str] = []
    try:
        doc = demo_salary_table(UNIT, number="NK-09/2026-10")
        local_id = ctx.add_document(documents.serialize(doc), "Bảng lương kiểm tra nhật ký")
        entries = {e.token_label: e for e in ctx.tokens().certificates()
                   if e.has_private_key and e.key_id.startswith(b"log-")}
        assert set(entries) == {"LOGKTT", "LOGTTDV"}

        with pytest.raises(TokenError):  # a wrong PIN goes through the error paths too
            ctx.sign(local_id, "chief-accountant", entries["LOGKTT"], WRONG_PIN)
        ctx.sign(local_id, "chief-accountant", entries["LOGKTT"], PIN_KTT)
        ctx.sign(local_id, "head-of-unit", entries["LOGTTDV"], PIN_TTDV)

        bad = TreasuryClient(sandbox.base_url, unit_code=UNIT.code, username=USER,
                             password=lambda: WRONG_PASSWORD)
        with pytest.raises(KbnnError):
            bad.login()
        bad.close()

        ctx.submit(local_id)
        ctx.flush(force=True)
        api = ctx.api()
        assert api.logged_in
        session_tokens.append(api._token)
        # the treasury ends every session: the client logs in again by itself
        import requests

        requests.post(sandbox.base_url + "/_admin/sessions/expire", timeout=10).raise_for_status()
        ctx.refresh()
        if api._token:
            session_tokens.append(api._token)
        item = ctx.outbox.items()[0]
        assert item.submission_id, item  # it really went to the treasury
    finally:
        ctx.close()

    text = _log_text(home)
    # the flow really was logged, at DEBUG level
    assert " DEBUG " in text and "POST /submissions" in text and "/sessions" in text
    assert len(session_tokens) >= 1 and all(len(t) >= 16 for t in session_tokens)
    for name, secret in [("PIN_KTT", PIN_KTT), ("PIN_TTDV", PIN_TTDV), ("WRONG_PIN", WRONG_PIN),
                         ("PASSWORD", PASSWORD), ("WRONG_PASSWORD", WRONG_PASSWORD)] + \
            [(f"session token {i}", t) for i, t in enumerate(session_tokens)]:
        assert secret not in text, f"{name} found in the log"
    # and not in the settings file either
    settings = home.settings_path.read_text("utf-8")
    assert PASSWORD not in settings and PIN_KTT not in settings


def test_the_log_handler_scrubs_messages_and_tracebacks(tmp_path):
    home = Home(tmp_path / "h")
    setup_logging(home, logging.DEBUG)
    log = logging.getLogger("client.test.secrets")
    log.debug("request headers {'Authorization': 'Bearer abc.DEF-ghi_123'} body password=hunter2-x")
    log.info("PIN: 918273 entered for token KTT")
    log.info("proxy %s", "http://nva:Proxy-Pass-77@10.0.0.1:3128")
    try:
        raise RuntimeError('login failed: {"password": "trong-ngoac-kep 42", "token": "tok-XYZ-987"}')
    except RuntimeError:
        log.exception("unexpected")
    text = _log_text(home)
    for secret in ("abc.DEF-ghi_123", "hunter2-x", "918273", "Proxy-Pass-77", "trong-ngoac-kep 42",
                   "tok-XYZ-987"):
        assert secret not in text, secret
    # what is not secret stays readable
    assert "for token KTT" in text and "RuntimeError: login failed" in text and "10.0.0.1:3128" in text
    assert "'Authorization': '***'" in text and "password=***" in text
