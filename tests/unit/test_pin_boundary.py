"""PIN counters, PIN pad, removal and cancelling at the PKCS#11 boundary (test double).

SoftHSM2 never locks a PIN, so these run ``TokenService`` — the real class, on
its owner thread — over ``tests.p11fake``, which has python-pkcs11's ``lib``
interface and raises its exceptions. The CLI tests go through
``client.cli.main`` with the fake registered for a module path, so the whole
``sign`` command (ranking, pre-PIN checks, ``write_atomic``) is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import exceptions as p11x

from client.cli import main as cli_main
from client.errors import TokenError
from client.signing.preflight import pin_problems_before_asking
from client.signing.tokens import TokenService, use_lib_factory
from client.signing.verify import verify_package
from client.training.pki import create_ca, issue_signer_cert
from tests.p11fake import FakeModule, FakeToken
from tests.unit.test_cades_verify import DOC_BYTES

DATA = b"manifest bytes"
KID = b"ktt-key"
ORG = "Trường Tiểu học Kim Liên"


@pytest.fixture(scope="module")
def pki():
    ca = create_ca("CA Thử Token Giả")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_cert = issue_signer_cert(ca, rsa_key.public_key(), name="NGUYỄN THỊ KẾ TOÁN",
                                 organisation=ORG, unit_code="1047665", cccd="001085000001")
    ec_cert = issue_signer_cert(ca, ec_key.public_key(), name="TRẦN VĂN THỦ TRƯỞNG",
                                organisation=ORG, unit_code="1047665")
    return {"ca": ca, "rsa": (rsa_key, rsa_cert), "ec": (ec_key, ec_cert)}


def make_token(pki, **kw) -> FakeToken:
    tok = FakeToken(label=kw.pop("label", "KTT"), pin=kw.pop("pin", "1234"), **kw)
    key, cert = pki["rsa"]
    tok.add_key(KID, key, cert, "NGUYỄN THỊ KẾ TOÁN")
    return tok


@pytest.fixture()
def fake(pki, tmp_path):
    """A fake module file path served by a FakeModule with one RSA token (3 tries)."""
    tok = make_token(pki)
    module = FakeModule([tok])
    path = str(tmp_path / "fake-pkcs11.so")
    Path(path).write_bytes(b"")
    use_lib_factory(path, module)
    yield path, tok, module
    use_lib_factory(path, None)


def info_of(svc: TokenService, tok: FakeToken):
    return next(t for t in svc.tokens() if t.serial == tok.serial_text)


# ---------------------------------------------------------------- TokenService over the fake


def test_right_pin_signs_with_exactly_one_login(fake, pki):
    path, tok, module = fake
    with TokenService(path) as svc:
        sig = svc.sign(tok.serial_text, KID, "1234", DATA)
    assert module.loads == [str(Path(path).resolve())]  # loaded through the factory
    assert tok.logins == ["pin"] and tok.sign_calls == 1
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    pki["rsa"][0].public_key().verify(sig, DATA, padding.PKCS1v15(), hashes.SHA256())
    assert tok.open_sessions == 0  # nothing left open


def test_wrong_pin_counts_down_then_locks_never_retrying(fake):
    path, tok, _ = fake
    with TokenService(path) as svc:
        assert pin_problems_before_asking(info_of(svc, tok)) == []

        # 1st wrong PIN: the flags re-read say COUNT_LOW without FINAL_TRY -> 2+ tries left
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "0000", DATA)
        assert ei.value.code == "pin-incorrect"
        assert "vẫn còn từ hai lần thử trở lên" in ei.value.message
        assert "0000" not in str(ei.value)
        assert tok.logins == ["pin"]  # one login for one sign call: never retried

        # the flags are re-read: count low
        info = info_of(svc, tok)
        assert info.pin_count_low and not info.pin_final_try
        assert [p.code for p in pin_problems_before_asking(info)] == ["pin-count-low"]

        # 2nd wrong PIN: one try left -> the message says so, loudly
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "1111", DATA)
        assert ei.value.code == "pin-incorrect"
        assert "lần thử cuối cùng" in ei.value.message
        assert len(tok.logins) == 2
        info = info_of(svc, tok)
        assert info.pin_final_try
        warn = pin_problems_before_asking(info)
        assert [(p.code, p.severity) for p in warn] == [("pin-final-try", "warning")]
        assert "CẢNH BÁO" in warn[0].message

        # 3rd wrong PIN: locked, and said so
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "2222", DATA)
        assert ei.value.code == "pin-locked" and "bị khóa" in ei.value.message
        assert len(tok.logins) == 3

        # locked: refused before any login, even with the right PIN
        info = info_of(svc, tok)
        assert info.pin_locked
        refuse = pin_problems_before_asking(info)
        assert [(p.code, p.severity) for p in refuse] == [("pin-locked", "error")]
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "1234", DATA)
        assert ei.value.code == "pin-locked"
        assert len(tok.logins) == 3  # the token never saw that PIN
        assert tok.sign_calls == 0


def test_token_without_counters_says_tries_may_remain(pki, tmp_path):
    tok = make_token(pki, reports_counters=False)
    with TokenService(str(tmp_path / "quiet.so"), lib_factory=FakeModule([tok])) as svc:
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "0000", DATA)
    assert ei.value.code == "pin-incorrect"
    assert "có thể vẫn còn vài lần thử" in ei.value.message
    assert tok.logins == ["pin"]


def test_right_pin_resets_the_counter(fake):
    path, tok, _ = fake
    with TokenService(path) as svc:
        with pytest.raises(TokenError):
            svc.sign(tok.serial_text, KID, "9999", DATA)
        assert info_of(svc, tok).pin_count_low
        assert svc.sign(tok.serial_text, KID, "1234", DATA)
        assert not info_of(svc, tok).pin_count_low
        assert tok.logins == ["pin", "pin"]


def test_pin_pad_token_signs_without_a_pin(pki, tmp_path):
    tok = make_token(pki, protected_auth=True)
    with TokenService(str(tmp_path / "pad.so"), lib_factory=FakeModule([tok])) as svc:
        info = info_of(svc, tok)
        assert info.protected_auth_path
        assert svc.sign(tok.serial_text, KID, None, DATA)
        assert tok.logins == ["pad"]
        tok.pad_result = p11x.FunctionCancelled()
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, None, DATA)
        assert ei.value.code == "cancelled"
        assert tok.logins == ["pad", "pad"]


@pytest.mark.parametrize("fault,code", [
    (p11x.TokenNotPresent(), "token-removed"),
    (p11x.DeviceRemoved(), "token-removed"),
    (p11x.FunctionCancelled(), "cancelled"),
])
def test_fault_during_signature_is_named_and_not_retried(fake, fault, code):
    path, tok, _ = fake
    tok.fail_sign = fault
    with TokenService(path) as svc, pytest.raises(TokenError) as ei:
        svc.sign(tok.serial_text, KID, "1234", DATA)
    assert ei.value.code == code and ei.value.exit_code == 4
    assert tok.logins == ["pin"] and tok.sign_calls == 1
    assert tok.open_sessions == 0


def test_removed_token_disappears_and_comes_back(fake):
    path, tok, _ = fake
    with TokenService(path) as svc:
        tok.removed = True
        assert svc.tokens() == []
        with pytest.raises(TokenError) as ei:
            svc.sign(tok.serial_text, KID, "1234", DATA)
        assert ei.value.code == "token-not-found"
        assert tok.logins == []
        tok.removed = False  # plugged in again: found without restarting
        assert [t.label for t in svc.tokens()] == ["KTT"]


def test_ca_certificate_on_the_token_becomes_the_chain(pki, tmp_path):
    from client.signing.tokens import CATEGORY_AUTHORITY
    from client.training.pki import create_intermediate_ca

    root = create_ca("Gốc", path_length=1)
    sub = create_intermediate_ca(root, "Trung Gian")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = issue_signer_cert(sub, key.public_key(), name="NGƯỜI KÝ", organisation=ORG,
                             unit_code="1047665")
    tok = FakeToken(label="T", pin="1")
    tok.add_key(b"k", key, cert, "NGƯỜI KÝ")
    tok.add_certificate(sub.cert_der, b"", "Trung Gian", category=CATEGORY_AUTHORITY)
    tok.add_certificate(root.cert_der, b"", "Gốc")  # no category: found by CA:TRUE
    with TokenService(str(tmp_path / "chain.so"), lib_factory=FakeModule([tok])) as svc:
        entries = {e.label: e for e in svc.certificates()}
    signer = entries["NGƯỜI KÝ"]
    assert signer.has_private_key and not signer.is_ca
    assert signer.chain == (sub.cert_der,)  # intermediate only; the root is not embedded
    assert entries["Trung Gian"].is_ca and entries["Gốc"].is_ca
    assert not entries["Trung Gian"].has_private_key


# ---------------------------------------------------------------- the CLI: no file left behind


@pytest.fixture()
def cli_world(fake, pki, tmp_path, monkeypatch):
    path, tok, module = fake
    (tmp_path / "doc.json").write_bytes(DOC_BYTES)
    (tmp_path / "ca.pem").write_bytes(pki["ca"].cert_pem())
    monkeypatch.setenv("PIN_OK", "1234")
    monkeypatch.setenv("PIN_BAD", "0000")
    return {"tmp": tmp_path, "module": path, "tok": tok}


def sign_cli(w, out_name: str, pin_env: str, *extra: str) -> int:
    tmp = w["tmp"]
    return cli_main(["--home", str(tmp / "home"), "sign", str(tmp / "doc.json"), "-o",
                     str(tmp / out_name), "--role", "chief-accountant", "--module", w["module"],
                     "--pin-env", pin_env, "--trust", str(tmp / "ca.pem"), *extra])


def leftovers(tmp: Path, name: str) -> list[str]:
    return [p.name for p in tmp.iterdir() if p.name.startswith(name) or p.name.startswith("." + name)]


def test_cli_signs_through_the_fake_with_one_login(cli_world, pki, capsys):
    w = cli_world
    assert sign_cli(w, "ok.asice", "PIN_OK") == 0
    assert w["tok"].logins == ["pin"]
    rep = verify_package((w["tmp"] / "ok.asice").read_bytes(), [pki["ca"].cert_der])
    assert rep.valid and rep.signatures[0].role == "chief-accountant"
    err = capsys.readouterr().err
    assert "online-not-checked" not in err and "Chưa đối chiếu được với Kho bạc" in err


@pytest.mark.parametrize("setup,pin_env,code_text", [
    ("wrong-pin", "PIN_BAD", "PIN không đúng"),
    ("removed", "PIN_OK", "rút ra"),
    ("device-removed", "PIN_OK", "rút ra"),
    ("cancelled", "PIN_OK", "hủy"),
])
def test_cli_failure_leaves_no_file(cli_world, setup, pin_env, code_text, capsys):
    w = cli_world
    tok = w["tok"]
    if setup == "removed":
        tok.fail_sign = p11x.TokenNotPresent()
    elif setup == "device-removed":
        tok.fail_sign = p11x.DeviceRemoved()
    elif setup == "cancelled":
        tok.fail_sign = p11x.FunctionCancelled()
    rc = sign_cli(w, "out.asice", pin_env)
    assert rc == 4
    assert code_text in capsys.readouterr().err
    assert leftovers(w["tmp"], "out.asice") == []  # neither the package nor a temp file
    assert tok.logins == ["pin"]  # exactly one login: never retried


def test_cli_locked_token_refused_before_the_pin(cli_world, capsys):
    w = cli_world
    tok = w["tok"]
    tok.tries_left = 0
    rc = sign_cli(w, "locked.asice", "PIN_OK")
    assert rc == 4
    err = capsys.readouterr().err
    assert "chưa hỏi mã PIN" in err and "khóa" in err
    assert tok.logins == [] and tok.sign_calls == 0
    assert leftovers(w["tmp"], "locked.asice") == []


def test_cli_final_try_is_warned_before_signing(cli_world, capsys):
    w = cli_world
    w["tok"].tries_left = 1
    assert sign_cli(w, "last.asice", "PIN_OK") == 0
    assert "lần thử PIN cuối cùng" in capsys.readouterr().err


def test_cli_tokens_json_lists_the_fake(cli_world, capsys):
    w = cli_world
    rc = cli_main(["--home", str(w["tmp"] / "home"), "tokens", "--module", w["module"], "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["module"] == w["module"]
    [mod] = doc["modules"]
    assert mod["selected"] and mod["loadable"] and mod["source"] == "configured"
    [tok] = doc["tokens"]
    assert tok["label"] == "KTT" and not tok["pin_locked"]
    [cert] = tok["certificates"]
    assert cert["has_private_key"] and cert["uids"]["MNS"] == ["1047665"]
    assert cert["subject"] == "NGUYỄN THỊ KẾ TOÁN" and cert["problems"] == []
    assert w["tok"].logins == []  # listing never logs in


def test_cli_pin_pad_token_is_never_sent_a_pin(pki, tmp_path, capsys, monkeypatch):
    """A token with a protected authentication path: the CLI asks nothing (not even without a
    terminal), tells the user to type on the device, and a cancel there leaves no file."""
    tok = make_token(pki, protected_auth=True)
    path = str(tmp_path / "pad-pkcs11.so")
    Path(path).write_bytes(b"")
    use_lib_factory(path, FakeModule([tok]))
    try:
        w = {"tmp": tmp_path, "module": path, "tok": tok}
        (tmp_path / "doc.json").write_bytes(DOC_BYTES)
        (tmp_path / "ca.pem").write_bytes(pki["ca"].cert_pem())
        monkeypatch.setenv("PIN_OK", "1234")
        assert sign_cli(w, "pad.asice", "PIN_OK") == 0
        assert tok.logins == ["pad"]  # the PIN from the environment was not used
        assert "bàn phím của token" in capsys.readouterr().out
        assert verify_package((tmp_path / "pad.asice").read_bytes(), [pki["ca"].cert_der]).valid

        tok.pad_result = p11x.FunctionCancelled()
        assert sign_cli(w, "pad2.asice", "PIN_OK") == 4
        assert "hủy" in capsys.readouterr().err
        assert leftovers(tmp_path, "pad2.asice") == []
    finally:
        use_lib_factory(path, None)
