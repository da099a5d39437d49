"""Before the PIN, online: the sandbox treasury's registered signers and its clock.

The sandbox runs in-process on a loopback port (werkzeug), the client talks to
it with the real ``TreasuryClient``; the CLI signs through the PKCS#11 test
double (``tests.p11fake``) so these tests need no SoftHSM.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from client.cli import main as cli_main
from client.sandbox.server import start_sandbox
from client.signing.preflight import clock_skew, online_facts
from client.signing.tokens import use_lib_factory
from client.training.pki import create_ca, issue_signer_cert
from client.transport.api import TreasuryClient
from tests.p11fake import FakeModule, FakeToken
from tests.unit.test_cades_verify import DOC_BYTES

UNIT, USER, PASSWORD = "1047665", "ketoan01", "mat-khau-thu"
ORG = "Trường Tiểu học Kim Liên"


@pytest.fixture(scope="module")
def pki():
    ca = create_ca("CA Thử Đối Chiếu")
    keys = {n: rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for n in ("registered", "stranger")}
    certs = {n: issue_signer_cert(ca, k.public_key(), name=f"NGƯỜI {n.upper()}", organisation=ORG,
                                  unit_code=UNIT) for n, k in keys.items()}
    return ca, keys, certs


def _sandbox(tmp: Path, pki, offset: timedelta = timedelta(0)):
    ca, _keys, certs = pki
    return start_sandbox(data_dir=tmp, advance=0, units=[(UNIT, USER, PASSWORD)],
                         signers=[(UNIT, "chief-accountant", certs["registered"])],
                         trust=[ca.cert_der], clock=lambda: datetime.now(UTC) + offset)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, pki):
    srv = _sandbox(tmp_path_factory.mktemp("sb"), pki)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def slow_sandbox(tmp_path_factory, pki):
    """A treasury whose clock is 10 minutes AHEAD of the PC (the PC is slow)."""
    srv = _sandbox(tmp_path_factory.mktemp("sb-slow"), pki, timedelta(minutes=10))
    yield srv
    srv.stop()


def api(url: str) -> TreasuryClient:
    return TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: PASSWORD,
                          timeout=(2.0, 5.0))


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def test_clock_skew_against_the_treasury(sandbox, slow_sandbox):
    same = clock_skew(api(sandbox.base_url))
    assert same is not None and abs(same) < timedelta(seconds=30)
    slow = clock_skew(api(slow_sandbox.base_url))
    assert slow is not None and abs(slow + timedelta(minutes=10)) < timedelta(seconds=30)
    assert clock_skew(api(dead_url())) is None


def test_online_facts(sandbox, slow_sandbox, pki):
    facts = online_facts(api(sandbox.base_url), UNIT)
    assert facts.checked and facts.problems == []
    [reg] = facts.registered
    assert reg["role"] == "chief-accountant" and reg["name"] == "NGƯỜI REGISTERED"

    slow = online_facts(api(slow_sandbox.base_url), UNIT)
    [p] = slow.problems
    assert p.code == "clock-skew" and "chậm 10 phút" in p.message

    down = online_facts(api(dead_url()), UNIT)
    assert not down.checked and down.registered is None
    assert [p.code for p in down.problems] == ["online-not-checked"]

    wrong_pw = TreasuryClient(sandbox.base_url, unit_code=UNIT, username=USER,
                              password=lambda: "sai", timeout=(2.0, 5.0))
    half = online_facts(wrong_pw, UNIT)
    assert half.checked and half.registered is None  # clock known, signers not
    assert [p.code for p in half.problems] == ["signers-not-checked"]


# ---------------------------------------------------------------- through the CLI


@pytest.fixture()
def world(tmp_path, pki, monkeypatch):
    ca, keys, certs = pki
    toks = {}
    for n in ("registered", "stranger"):
        tok = FakeToken(label=n.upper(), pin="1234")
        tok.add_key(n.encode(), keys[n], certs[n], n)
        toks[n] = tok
    path = str(tmp_path / "fake-p11.so")
    Path(path).write_bytes(b"")
    use_lib_factory(path, FakeModule(list(toks.values())))
    (tmp_path / "doc.json").write_bytes(DOC_BYTES)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem())
    monkeypatch.setenv("PIN", "1234")
    monkeypatch.setenv("TREASURY_PW", PASSWORD)
    yield {"tmp": tmp_path, "module": path, "toks": toks}
    use_lib_factory(path, None)


def login(w, url: str) -> None:
    """A training profile (it may talk only to a sandbox) pointed at ``url``."""
    from client.home import Home

    home = Home(w["tmp"] / "home")
    home.set("profile", "mode", "training")
    home.set("server", "url", url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.save()


def sign(w, token: str, out: str) -> int:
    t = w["tmp"]
    return cli_main(["--home", str(t / "home"), "sign", str(t / "doc.json"), "-o", str(t / out),
                     "--role", "chief-accountant", "--module", w["module"], "--token", token,
                     "--pin-env", "PIN", "--password-env", "TREASURY_PW", "--trust", str(t / "ca.pem")])


def test_cli_warns_before_signing_with_an_unregistered_certificate(world, sandbox, capsys):
    login(world, sandbox.base_url)
    capsys.readouterr()
    assert sign(world, "STRANGER", "a.asice") == 0
    err = capsys.readouterr().err
    assert "chưa được đăng ký với Kho bạc cho vai trò Kế toán trưởng" in err
    assert "Chưa đối chiếu được" not in err  # it WAS checked
    assert world["toks"]["stranger"].logins == ["pin"]

    assert sign(world, "REGISTERED", "b.asice") == 0
    err = capsys.readouterr().err
    assert "đăng ký" not in err and "clock-skew" not in err


def test_cli_warns_about_the_clock_and_offline(world, slow_sandbox, capsys):
    login(world, slow_sandbox.base_url)
    capsys.readouterr()
    assert sign(world, "REGISTERED", "c.asice") == 0
    err = capsys.readouterr().err
    assert "Đồng hồ máy tính đang chậm 10 phút" in err
    # the treasury is down: a warning that nothing could be checked, signing goes on
    login(world, dead_url())
    assert sign(world, "REGISTERED", "d.asice") == 0
    err = capsys.readouterr().err
    assert "Chưa đối chiếu được với Kho bạc (Không kết nối được" in err
