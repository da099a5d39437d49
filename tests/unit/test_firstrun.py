"""First-run setup core (client.firstrun): the steps the GUI wizard drives, against the
sandbox treasury over loopback HTTP (posing as the real treasury) and real SoftHSM2 tokens.

Tokens: the process-wide SoftHSM2 folder of tests.softhsm.signing_env() — token KTT holds
the chief accountant's certificate, token TTDV the head of unit's, both for unit 1047665.
"""

from __future__ import annotations

import socket
import textwrap

import pytest

from client.app import Credentials
from client.diagnostics.support import read_log_tail
from client.firstrun import FirstRun, needs_first_run
from client.home import Home, Unit, setup_logging
from client.sandbox.server import start_sandbox
from client.signing.certs import cert_info
from tests.softhsm import signing_env

UNIT, USER, PASSWORD = "1047665", "ketoan01", "Mk-thu-nghiem-7391"
UNIT_PROFILE = Unit(code=UNIT, name="Trường Tiểu học Kim Liên", treasury="KBNN Đống Đa",
                    account="9523.1.1047665", account_kind="estimate")





@pytest.fixture(scope="module")
def tokens():
    return signing_env()


def _sandbox(tmp, env, roles: dict[str, str], *, pose: bool = True):
    """A sandbox where token label -> role is registered for UNIT."""
    signers = [(UNIT, role, env.signers[label].cert_der) for label, role in roles.items()]
    return start_sandbox(data_dir=tmp, advance=0, units=[(UNIT, USER, PASSWORD)], signers=signers,
                         trust=[env.ca.cert_der], pose_as_treasury=pose)


@pytest.fixture(scope="module")
def treasury(tmp_path_factory, tokens):
    srv = _sandbox(tmp_path_factory.mktemp("sb-both"), tokens,
                   {"KTT": "chief-accountant", "TTDV": "head-of-unit"})
    yield srv
    srv.stop()


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    return Home(tmp_path / "home")


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


def test_whole_setup_ready_with_preset_server(tmp_path, monkeypatch, treasury, tokens,
                                              memory_keyring):
    preset = tmp_path / "kbnn-client.ini"
    preset.write_text(textwrap.dedent(f"""
        [server]
        url = {treasury.base_url}
        [signing]
        module = {tokens.module}
        """), encoding="utf-8")
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    home = Home(tmp_path / "home")
    setup_logging(home)
    assert needs_first_run(home)
    fr = FirstRun(home)

    # 1. the installer's preset is what the wizard shows pre-filled
    p = fr.preset()
    assert p.found and p.server_url == treasury.base_url and p.module == tokens.module
    # 2. the server check uses it when the user keeps it
    server = fr.check_server()
    assert server.status == "ok", server
    assert "giờ máy tính khớp" in server.detail
    # 3. unit, 4. login
    assert fr.set_unit(UNIT_PROFILE).status == "ok"
    login = fr.login(USER, PASSWORD)
    assert login.status == "ok", login
    # 5. tokens against the registered signers (module from the preset)
    chief, head = fr.check_signers()
    assert chief.status == "ok" and "NGUYỄN THỊ KẾ TOÁN" in chief.detail, chief
    assert head.status == "ok" and "TRẦN VĂN THỦ TRƯỞNG" in head.detail, head
    # 6. the last page
    assert fr.ready
    text = fr.summary_text()
    assert text.startswith("Đã sẵn sàng") and "Chưa sẵn sàng" not in text

    # what was saved: a new Home (as the app opens next time) has it all
    again = Home(tmp_path / "home")
    assert not needs_first_run(again)
    assert again.server() == {"url": treasury.base_url, "unit": UNIT, "user": USER, "ca_file": None}
    assert again.unit().name == UNIT_PROFILE.name
    # the chosen certificates are remembered for the signing dialog
    assert again.get("signers", "chief-accountant") == cert_info(tokens.signers["KTT"].cert_der).sha256_hex
    assert again.get("signers", "head-of-unit") == cert_info(tokens.signers["TTDV"].cert_der).sha256_hex
    # the password is in the keyring only: not in settings.ini, not in the log
    assert Credentials(again).password() == PASSWORD
    assert PASSWORD not in (tmp_path / "home" / "settings.ini").read_text("utf-8")
    assert PASSWORD not in "\n".join(read_log_tail(again, 1000))
    assert PASSWORD not in (tmp_path / "home" / "logs" / "kbnn-client.log").read_text("utf-8")


def test_unregistered_head_of_unit_is_not_ready_and_says_what_to_do(tmp_path, tokens, home,
                                                                    memory_keyring):
    srv = _sandbox(tmp_path / "sb", tokens, {"KTT": "chief-accountant"})
    try:
        fr = FirstRun(home)
        assert fr.check_server(srv.base_url).status == "ok"
        fr.set_unit(UNIT_PROFILE)
        assert fr.login(USER, PASSWORD).status == "ok"
        chief, head = fr.check_signers(tokens.module)
    finally:
        srv.stop()
    assert chief.status == "ok"
    assert head.status == "failed"
    assert "chưa được đăng ký với Kho bạc" in head.detail and "Thủ trưởng đơn vị" in head.detail
    assert "Đăng ký chứng thư số" in head.advice
    assert not fr.ready
    text = fr.summary_text()
    assert text.startswith("Chưa sẵn sàng")
    assert "[Chưa sẵn sàng] Chữ ký số của Thủ trưởng đơn vị" in text
    assert "[Sẵn sàng] Chữ ký số của Kế toán trưởng" in text


def test_server_refusals_unreachable_sandbox_and_plain_http(tmp_path, tokens, home):
    fr = FirstRun(home, timeout=(2.0, 5.0))
    dead = fr.check_server(dead_url())
    assert dead.status == "failed" and "Không kết nối được" in dead.detail and dead.advice
    assert home.get("server", "url") is None  # nothing saved

    srv = _sandbox(tmp_path / "sb", tokens, {}, pose=False)
    try:
        sandbox = fr.check_server(srv.base_url)
    finally:
        srv.stop()
    assert sandbox.status == "failed" and "Kho bạc mô phỏng" in sandbox.detail
    assert home.get("server", "url") is None

    plain = fr.check_server("http://dvc.kbnn.example.vn/api/v1")
    assert plain.status == "failed" and "https://" in plain.detail
    # the summary lists every step not done, each with what to do
    summary = fr.summary()
    assert [r.id for r in summary][1:] == ["unit", "login", "signer:chief-accountant",
                                          "signer:head-of-unit"]
    assert all(r.status == "failed" and r.advice for r in summary)


def test_wrong_password_and_bad_unit_save_nothing(treasury, home, memory_keyring):
    fr = FirstRun(home)
    bad = fr.set_unit(Unit(code="12345", name="", treasury="KBNN Đống Đa", account="abc",
                           account_kind="estimate"))
    assert bad.status == "failed" and "7 chữ số" in bad.detail and home.unit() is None
    assert fr.check_server(treasury.base_url).status == "ok"
    fr.set_unit(UNIT_PROFILE)
    wrong = fr.login(USER, "sai-mat-khau")
    assert wrong.status == "failed" and "Không đăng nhập được" in wrong.detail
    assert home.get("server", "user") is None and memory_keyring.values == {}


def test_no_keyring_is_a_warning_and_offline_signers_are_not_checked(treasury, tokens, home):
    import keyring.backends.fail

    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        fr = FirstRun(home)
        fr.check_server(treasury.base_url)
        fr.set_unit(UNIT_PROFILE)
        login = fr.login(USER, PASSWORD)
        # nothing in the keyring: the token check cannot ask the treasury
        chief, _head = fr.check_signers(tokens.module)
    finally:
        keyring.set_keyring(before)
    assert login.status == "warning" and "kho khóa" in login.detail
    assert home.get("server", "user") == USER
    assert chief.status == "warning" and "chưa đối chiếu được với Kho bạc" in chief.detail
    assert fr.ready  # warnings do not block


def test_missing_module_fails_both_roles(home, tmp_path):
    fr = FirstRun(home)
    results = fr.check_signers(str(tmp_path / "khong-co.so"))
    assert [r.status for r in results] == ["failed", "failed"]
    assert all("Không tìm thấy tệp mô-đun PKCS#11" in r.detail and r.advice for r in results)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "utf-8", "cp1258"])
def test_preset_as_windows_tools_write_it(tmp_path, monkeypatch, encoding):
    """The installer writes the preset with WriteINIStr (UTF-16 + BOM); IT may edit it in
    Notepad (UTF-8, with or without BOM, or the ANSI code page)."""
    module = r"C:\Program Files\Nhà cung cấp\vnpt_p11.dll"
    preset = tmp_path / "kbnn-client.ini"
    text = ("[server]\r\nurl=https://dvc.kbnn.example.vn/api/v1\r\nunit=1047665\r\n"
            f"[signing]\r\nmodule={module}\r\n")
    if encoding == "cp1258":  # Windows writes Vietnamese tones as combining marks there
        text = text.replace("ấ", "â\u0301")
    preset.write_bytes(text.encode(encoding))
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    home = Home(tmp_path / "home")
    p = FirstRun(home).preset()
    assert p.server_url == "https://dvc.kbnn.example.vn/api/v1" and p.unit_code == UNIT
    assert p.module == module
    assert home.get("signing", "module") == module  # the app itself reads it the same way
    # the user's own settings win, and saving does not copy the preset into settings.ini
    home.set("server", "user", USER)
    home.save()
    saved = home.settings_path.read_text("utf-8")
    assert "user = ketoan01" in saved and "dvc.kbnn.example.vn" not in saved


def test_a_broken_preset_is_skipped_not_fatal(tmp_path, monkeypatch):
    preset = tmp_path / "kbnn-client.ini"
    preset.write_bytes(b"url = https://no-section.example.vn\n\x00\x01")
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    home = Home(tmp_path / "home")  # opens, as before the preset was there
    assert home.get("server", "url") is None
    assert not FirstRun(home).preset().server_url
    assert needs_first_run(home)


def test_cli_setup_headless_for_treasury_it(tmp_path, monkeypatch, treasury, tokens, capsys):
    import json

    from client.cli import main as cli_main

    home_dir = tmp_path / "home"
    monkeypatch.setenv("KBNN_SETUP_PW", PASSWORD)
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    args = ["--home", str(home_dir), "setup", "--server", treasury.base_url, "--user", USER,
            "--unit", UNIT, "--password-env", "KBNN_SETUP_PW", "--module", tokens.module, "--json"]
    # no unit profile yet: not ready, and it says what is missing
    assert cli_main(args) == 1
    report = json.loads(capsys.readouterr().out)
    steps = {s["id"]: s for s in report["steps"]}
    assert report["ready"] is False and steps["unit"]["status"] == "failed"
    assert steps["server"]["status"] == "ok" and steps["login"]["status"] == "warning"
    assert steps["signer:chief-accountant"]["status"] == "ok"

    Home(home_dir).set_unit(UNIT_PROFILE)
    assert cli_main(args[:-1]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Đã sẵn sàng làm việc.")
    assert "[Sẵn sàng] Chữ ký số của Thủ trưởng đơn vị" in text
    assert PASSWORD not in text and PASSWORD not in (home_dir / "settings.ini").read_text("utf-8")
