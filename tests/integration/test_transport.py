"""The treasury client over real loopback HTTP(S): TLS against a self-signed treasury,
the proxy settings (system / none / manual with keyring credentials), explicit timeouts on
every call, failure classification, health and clock, the change feed's cursor, and no
password or session token in any log file."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import uuid
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client.errors import Unreachable
from client.home import Home, setup_logging
from client.sandbox.server import start_sandbox
from client.store.db import connect
from client.transport import network
from client.transport.api import (
    AuthError,
    TreasuryClient,
    classify_failure,
    delivery_uncertain,
    failure_of,
)
from client.transport.outbox import Outbox
from client.transport.sync import SyncService, connectivity_of
from tests.integration.faults import FaultyTreasury, ForwardProxy, queue_packages
from tests.integration.sandbox_support import (
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    fake_package,
    signers_for,
)


@pytest.fixture
def sandbox(tmp_path):
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD)],
                        signers=signers_for(), verifier=FakeVerifier())
    yield srv
    srv.stop()


def _home(tmp_path: Path, url: str, **network_settings: str) -> Home:
    home = Home(tmp_path / "home")
    home.set("profile", "mode", "training")
    home.set("server", "url", url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    for k, v in network_settings.items():
        home.set("network", k, v)
    home.save()
    return home


def _api(url: str, **kw) -> TreasuryClient:
    kw.setdefault("timeout", (1.0, 2.0))
    return TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: PASSWORD, **kw)


# -- TLS ------------------------------------------------------------------------------------

def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kho bạc thử nghiệm")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = folder / "treasury.pem", folder / "treasury.key"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pem, key_pem


def test_self_signed_treasury_refused_until_its_ca_is_configured(tmp_path, monkeypatch):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    cert_pem, key_pem = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert_pem), str(key_pem))
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD)],
                        signers=signers_for(), verifier=FakeVerifier(), ssl_context=ctx)
    try:
        assert srv.base_url.startswith("https://127.0.0.1:")
        home = _home(tmp_path, srv.base_url, proxy="none")
        api = network.client_for_home(home, lambda: PASSWORD)
        for call in (api.health, api.login, lambda: api.submit(fake_package(), str(uuid.uuid4()))):
            with pytest.raises(Unreachable) as exc:
                call()
            assert failure_of(exc.value) == "tls-error" and "TLS" in exc.value.message
            assert not delivery_uncertain(exc.value)  # nothing left the client
        conn = connect(home.db_path)
        try:
            [item] = queue_packages(conn, 1)
            report = SyncService(home.db_path, api).run_once()
            assert report.connectivity == "tls-error" and "TLS" in report.text
            assert Outbox(conn).get(item).attempts == 0  # nothing was tried
            # treasury IT's CA file in the settings: now it is trusted
            home.set("server", "ca_file", str(cert_pem))
            home.save()
            trusted = network.client_for_home(home, lambda: PASSWORD)
            assert trusted.ca_file == str(cert_pem)
            assert trusted.health_check().status == "ok"
            report = SyncService(home.db_path, trusted).run_once()
            assert report.online and report.sent == 1
            assert Outbox(conn).get(item).state == "sent"
            # the configured CA adds to the OS store, it does not switch checks off:
            # another self-signed server is still refused
            other_pem, other_key = _self_signed(tmp_path / "x" if (tmp_path / "x").mkdir()
                                                is None else tmp_path)
            ctx2 = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx2.load_cert_chain(str(other_pem), str(other_key))
            srv2 = start_sandbox(data_dir=tmp_path / "sb2", advance=0, ssl_context=ctx2,
                                 verifier=FakeVerifier())
            try:
                stranger = TreasuryClient(srv2.base_url, unit_code=UNIT, username=USER,
                                          password=lambda: PASSWORD, ca_file=str(cert_pem))
                with pytest.raises(Unreachable) as exc:
                    stranger.health()
                assert failure_of(exc.value) == "tls-error"
            finally:
                srv2.stop()
        finally:
            conn.close()
    finally:
        srv.stop()


def test_missing_ca_file_is_a_usage_error(tmp_path, sandbox):
    home = _home(tmp_path, sandbox.base_url)
    home.set("server", "ca_file", str(tmp_path / "nope.pem"))
    from client.errors import UsageError

    with pytest.raises(UsageError, match="tệp CA"):
        network.client_for_home(home, lambda: PASSWORD)


# -- proxy ----------------------------------------------------------------------------------

def test_manual_proxy_with_keyring_credentials(tmp_path, sandbox, memory_keyring, monkeypatch):
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    proxy = ForwardProxy(user="nguyenvana", password="proxy-mật-khẩu-9")
    try:
        home = _home(tmp_path, sandbox.base_url, proxy="manual", proxy_host=proxy.address,
                     proxy_user="nguyenvana", connect_timeout="2", read_timeout="5")
        settings = network.network_settings(home)
        assert settings.timeout == (2.0, 5.0) and settings.problems() == []
        # no password yet: the proxy says 407, reported as such (not "treasury down")
        api = network.client_for_home(home, lambda: PASSWORD)
        with pytest.raises(Unreachable) as exc:
            api.login()
        assert failure_of(exc.value) == "proxy-auth" and "407" in exc.value.message
        assert connectivity_of(exc.value) == "no-network"
        assert proxy.refused == 1
        # the password in the keyring (never in settings.ini)
        network.store_proxy_password(settings, "proxy-mật-khẩu-9")
        assert "proxy-mật-khẩu-9" not in home.settings_path.read_text(encoding="utf-8")
        api = network.client_for_home(home, lambda: PASSWORD)
        assert api.timeout == (2.0, 5.0)
        api.login()
        answer = api.submit(fake_package(), str(uuid.uuid4()))
        assert answer.status == 201
        assert api.get(answer.body["id"])["status"] == "received"
        assert proxy.forwarded == ["POST /api/v1/sessions", "POST /api/v1/submissions",
                                   f"GET /api/v1/submissions/{answer.body['id']}"]
        # the same settings written by the settings screen's canonical form (with scheme)
        home.set("network", "proxy_host", f"http://{proxy.address}")
        assert network.proxy_password(network.network_settings(home)) == "proxy-mật-khẩu-9"
    finally:
        proxy.stop()


def test_proxy_none_ignores_the_environment_and_system_follows_it(tmp_path, sandbox,
                                                                  monkeypatch):
    proxy = ForwardProxy()
    try:
        for var in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("HTTP_PROXY", f"http://{proxy.address}")
        monkeypatch.setenv("http_proxy", f"http://{proxy.address}")
        none = network.client_for_home(_home(tmp_path, sandbox.base_url, proxy="none"),
                                       lambda: PASSWORD)
        assert none.health()["status"] == "ok"
        assert proxy.forwarded == []
        system = network.client_for_home(_home(tmp_path, sandbox.base_url, proxy="system"),
                                         lambda: PASSWORD)
        assert system.health()["status"] == "ok"
        assert proxy.forwarded == ["GET /api/v1/health"]
    finally:
        proxy.stop()


def test_no_keyring_backend_is_handled(tmp_path, caplog):
    """This machine has no keyring: the proxy password is just not there (logged without it)."""
    import keyring.backends.fail

    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        settings = network.NetworkSettings(proxy="manual", proxy_host="127.0.0.1:3128",
                                           proxy_user="u")
        with caplog.at_level(logging.WARNING, logger="client.transport.network"):
            assert network.proxy_password(settings) is None
        assert "keyring unavailable" in caplog.text
        from client.errors import UsageError

        with pytest.raises(UsageError, match="kho khóa"):
            network.store_proxy_password(settings, "x")
    finally:
        keyring.set_keyring(before)


def test_bad_network_settings_are_refused(tmp_path):
    bad = network.NetworkSettings(proxy="manual", proxy_host="no-port")
    assert bad.problems() and "máy:cổng" in bad.problems()[0]
    from client.errors import UsageError

    with pytest.raises(UsageError):
        network.proxy_config(bad)
    with pytest.raises(UsageError):
        network.save_network_settings(Home(tmp_path / "h"), network.NetworkSettings(proxy="vpn"))


# -- timeouts and failures -------------------------------------------------------------------

def test_every_call_has_explicit_timeouts_and_a_read_timeout_fires(sandbox):
    front = FaultyTreasury(sandbox)
    try:
        api = _api(front.base_url, timeout=(0.5, 0.8))
        seen = []
        real = api._http.request

        def recording(method, url, **kw):
            seen.append((method, kw.get("timeout")))
            return real(method, url, **kw)

        api._http.request = recording
        api.login()
        sid = api.submit(fake_package(), str(uuid.uuid4())).body["id"]
        calls = {
            "/api/v1/health": ("GET", api.health),
            "/api/v1/sessions": ("POST", api.login),
            f"/api/v1/units/{UNIT}/signers": ("GET", api.signers),
            "/api/v1/submissions": ("POST", lambda: api.submit(fake_package(), str(uuid.uuid4()))),
            f"/api/v1/submissions/{sid}": ("GET", lambda: api.get(sid)),
            f"/api/v1/submissions/{sid}/receipt": ("GET", lambda: api.receipt(sid)),
        }
        for path, (method, call) in calls.items():
            front.add("slow", method=method, path=path, delay=1.5)
            with pytest.raises(Unreachable) as exc:
                call()
            assert failure_of(exc.value) == "read-timeout", path
            assert connectivity_of(exc.value) == "treasury-down"
        front.add("slow", method="GET", path="/api/v1/submissions", delay=1.5)
        with pytest.raises(Unreachable):
            api.changes(None)
        assert seen and all(t == (0.5, 0.8) for _, t in seen)
        assert {m for m, _ in seen} == {"GET", "POST"}
    finally:
        front.stop()


def test_failure_classes(sandbox, tmp_path):
    # DNS
    with pytest.raises(Unreachable) as exc:
        _api("http://kho-bac-khong-ton-tai.invalid/api/v1").health()
    assert failure_of(exc.value) == "dns-error" and "DNS" in exc.value.message
    assert connectivity_of(exc.value) == "no-network" and not delivery_uncertain(exc.value)
    # connection refused
    front = FaultyTreasury(sandbox)
    url = front.base_url
    front.stop()
    with pytest.raises(Unreachable) as exc:
        _api(url).health()
    assert failure_of(exc.value) == "connection-refused"
    assert connectivity_of(exc.value) == "no-network"
    # a login that fails on the network: the submission was never sent
    with pytest.raises(Unreachable) as exc:
        _api(url).submit(fake_package(), str(uuid.uuid4()))
    assert exc.value.during_login and not delivery_uncertain(exc.value)
    # overloaded / server error / reset
    front = FaultyTreasury(sandbox)
    try:
        front.add("status", method="GET", path="/api/v1/health", status=503,
                  headers={"Retry-After": "30"})
        with pytest.raises(Unreachable) as exc:
            _api(front.base_url).health()
        assert failure_of(exc.value) == "treasury-busy" and exc.value.retry_after == "30"
        assert connectivity_of(exc.value) == "treasury-down"
        front.add("reset", method="GET", path="/api/v1/health")
        with pytest.raises(Unreachable) as exc:
            _api(front.base_url).health()
        assert failure_of(exc.value) == "connection-reset"
        assert connectivity_of(exc.value) == "treasury-down" and delivery_uncertain(exc.value)
        # login refused
        api = TreasuryClient(front.base_url, unit_code=UNIT, username=USER,
                             password=lambda: "sai-mật-khẩu", timeout=(1.0, 2.0))
        with pytest.raises(AuthError) as auth:
            api.login()
        assert auth.value.code == "bad-credentials" and connectivity_of(auth.value) == "login-refused"
    finally:
        front.stop()
    # classify_failure on a bare requests error
    try:
        requests.get(url, timeout=1)
    except requests.RequestException as e:
        assert classify_failure(e) == "connection-refused"


# -- health, clock, feed ---------------------------------------------------------------------

def test_health_and_clock(sandbox):
    h = _api(sandbox.base_url).health_check()
    assert h.status == "ok" and h.api_version == "1" and h.clock_ok
    assert abs(h.clock_skew) < 5 and h.clock_warning() is None and h.round_trip > 0
    front = FaultyTreasury(sandbox)
    try:
        late = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=12)).isoformat()
        front.add("respond", method="GET", path="/api/v1/health", status=200,
                  body={"status": "ok", "time": late, "api_version": "1"})
        h = _api(front.base_url).health_check()
        assert not h.clock_ok and 11 * 60 < h.clock_skew < 13 * 60
        assert "nhanh khoảng 12 phút" in h.clock_warning()
    finally:
        front.stop()


def test_changes_follow_the_cursor(sandbox):
    api = _api(sandbox.base_url)
    ids = [api.submit(fake_package(), str(uuid.uuid4())).body["id"] for _ in range(5)]
    page, cursor = api.changes_page(None, limit=2)
    assert [r["id"] for r in page] == ids[:2] and cursor
    page2, cursor2 = api.changes_page(None, cursor, limit=2)
    assert [r["id"] for r in page2] == ids[2:4] and cursor2
    page3, cursor3 = api.changes_page(None, cursor2, limit=2)
    assert [r["id"] for r in page3] == ids[4:] and cursor3 is None
    assert [r["id"] for r in api.changes(None, limit=2)] == ids
    since = page2[0]["updated_at"]
    assert [r["id"] for r in api.changes(since, limit=2)] == ids[2:]


def test_concurrent_calls_log_in_once(sandbox):
    """Threads sharing one client after its session expired log in again once, not per call."""
    import threading

    front = FaultyTreasury(sandbox)
    try:
        api = _api(front.base_url)
        api.login()
        front.expire_sessions()
        errors = []

        def work():
            try:
                api.signers()
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        assert not errors
        assert front.count("POST", "/api/v1/sessions") == 2  # first login + one more
    finally:
        front.stop()


# -- secrets never in the logs ---------------------------------------------------------------

def test_no_password_or_token_in_any_log(tmp_path, sandbox, memory_keyring, monkeypatch):
    """Whole flows at DEBUG (ours, urllib3's, the sandbox's) into the home's logs; then
    neither the password, a wrong password, the proxy password nor any session token
    appears in any log file."""
    import subprocess
    import sys

    proxy = ForwardProxy(user="proxyuser", password="Proxy-Bí-Mật-77")
    front = FaultyTreasury(sandbox)
    home = _home(tmp_path, front.base_url, proxy="manual", proxy_host=proxy.address,
                 proxy_user="proxyuser")
    network.store_proxy_password(network.network_settings(home), "Proxy-Bí-Mật-77")
    setup_logging(home, logging.DEBUG)
    file_handler = next(h for h in logging.getLogger("client").handlers if getattr(h, "_kbnn", 0))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(file_handler)  # urllib3, werkzeug: everything
    root.setLevel(logging.DEBUG)
    tokens: set[str] = set()
    try:
        api = network.client_for_home(home, lambda: PASSWORD)
        api.login()
        tokens.add(api._token)
        conn = connect(home.db_path)
        queue_packages(conn, 3)
        front.add("expire", after=1)  # a new token in the middle of the queue
        assert Outbox(conn).flush(api).sent == 3
        tokens.add(api._token)
        front.add("reset")  # a failure whose message goes to the log
        queue_packages(conn, 1, "R")
        Outbox(conn).flush(api)
        SyncService(home.db_path, api).run_once(force=True)
        tokens.add(api._token)
        wrong = TreasuryClient(front.base_url, unit_code=UNIT, username=USER,
                               password=lambda: "Sai-Mật-Khẩu-123", proxy=api.proxy)
        with pytest.raises(AuthError):
            wrong.login()
        api.logout()
        conn.close()
        # the CLI as a separate process, same home, same logs
        env = dict(__import__("os").environ, KBNN_PW=PASSWORD)
        subprocess.run([sys.executable, "-m", "client", "--home", str(home.path), "queue",
                        "flush", "--password-env", "KBNN_PW"], env=env, check=False,
                       capture_output=True, timeout=60)
    finally:
        root.removeHandler(file_handler)
        root.setLevel(old_level)
        file_handler.flush()
        proxy.stop()
        front.stop()
    tokens.discard(None)
    assert len(tokens) >= 2
    logs = list(home.logs_dir.glob("*.log*"))
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)
    assert "POST /sessions" in text and "urllib3" in text and len(text) > 2000  # it did log
    for secret in [PASSWORD, "Sai-Mật-Khẩu-123", "Proxy-Bí-Mật-77", *tokens]:
        assert secret not in text, f"secret found in {logs}"
    import base64

    proxy_basic = base64.b64encode(b"proxyuser:Proxy-B\xc3\xad-M\xe1\xba\xadt-77").decode()
    assert proxy_basic not in text


# -- the password from the OS keyring ----------------------------------------------------------

def test_login_keeps_the_password_in_the_keyring_and_logs_in_again_from_it(
        tmp_path, memory_keyring, monkeypatch, capsys):
    """``kbnn-client login`` (password typed) keeps it in the OS keyring only; a later
    ``queue flush`` without any password option logs in from the keyring, and again by
    itself when the session expires in the middle of the queue."""
    import getpass
    import sys

    from client.cli import main
    from client.store.db import connect

    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD)],
                        signers=signers_for(), verifier=FakeVerifier(), pose_as_treasury=True)
    front = FaultyTreasury(srv)
    home_dir = tmp_path / "real-home"  # a real (not training) profile
    try:
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
        assert main(["--home", str(home_dir), "login", "--server", front.base_url,
                     "--unit", UNIT, "--user", USER]) == 0
        assert "kho khóa" in capsys.readouterr().out
        assert list(memory_keyring.values.values()) == [PASSWORD]
        home = Home(home_dir)
        assert not home.is_training
        assert PASSWORD not in (home_dir / "settings.ini").read_text(encoding="utf-8")
        monkeypatch.setattr(getpass, "getpass", lambda prompt="": pytest.fail("asked again"))
        conn = connect(home.db_path)
        try:
            queue_packages(conn, 3)
            front.add("expire", after=1)  # the second submission finds the session expired
            assert main(["--home", str(home_dir), "queue", "flush"]) == 0
            assert "Đã gửi 3" in capsys.readouterr().out
            assert front.count("POST", "/api/v1/sessions") >= 2  # logged in again, by itself
            assert [h.status for h in front.hits if h.path == "/api/v1/submissions"] == [
                201, 401, 201, 201]
            assert {i.state for i in Outbox(conn).items()} == {"sent"}
        finally:
            conn.close()
        # without the keyring entry (and no --password-env) it says what is missing: exit 1
        memory_keyring.values.clear()
        queue = connect(home.db_path)
        try:
            queue_packages(queue, 1, "NO-PW")
        finally:
            queue.close()
        assert main(["--home", str(home_dir), "queue", "flush"]) == 1
        assert "Chưa có mật khẩu" in capsys.readouterr().err
    finally:
        front.stop()
        srv.stop()
