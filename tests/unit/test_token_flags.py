"""Token flags, error mapping and module discovery (no token needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pkcs11 import Mechanism, TokenFlag
from pkcs11 import exceptions as p11x

from client.signing.tokens import (
    TokenInfo,
    ecdsa_raw_to_der,
    find_modules,
    map_pkcs11_error,
    pin_incorrect_error,
    sign_plans,
)

BASE = int(TokenFlag.TOKEN_INITIALIZED | TokenFlag.LOGIN_REQUIRED | TokenFlag.USER_PIN_INITIALIZED)


def test_from_flags_reads_each_bit():
    info = TokenInfo.from_flags(BASE, slot_id=3, label="KTT", serial="ab12")
    assert (info.slot_id, info.label, info.serial) == (3, "KTT", "ab12")
    assert info.initialized and info.login_required
    assert not (info.protected_auth_path or info.pin_count_low or info.pin_final_try
                or info.pin_locked)
    assert info.pin_warning() is None

    assert TokenInfo.from_flags(BASE | 0x100).protected_auth_path
    assert TokenInfo.from_flags(BASE | 0x10000).pin_count_low
    assert TokenInfo.from_flags(BASE | 0x20000).pin_final_try
    assert TokenInfo.from_flags(BASE | 0x40000).pin_locked
    assert not TokenInfo.from_flags(0).initialized
    # SO-PIN flags are not user-PIN flags.
    so = TokenInfo.from_flags(BASE | 0x100000 | 0x200000 | 0x400000)
    assert not (so.pin_count_low or so.pin_final_try or so.pin_locked)


def test_pin_incorrect_message_follows_the_flags():
    plain = pin_incorrect_error(TokenInfo.from_flags(BASE))
    assert plain.code == "pin-incorrect" and plain.message.startswith("Mã PIN không đúng.")
    assert "bị khóa" in plain.message  # no counter flag: still warn that tries are limited
    low = pin_incorrect_error(TokenInfo.from_flags(BASE | 0x10000))
    assert low.code == "pin-incorrect" and "còn từ hai lần thử" in low.message
    final = pin_incorrect_error(TokenInfo.from_flags(BASE | 0x10000 | 0x20000))
    assert final.code == "pin-incorrect" and "lần thử cuối cùng" in final.message
    locked = pin_incorrect_error(TokenInfo.from_flags(BASE | 0x40000))
    assert locked.code == "pin-locked" and "bị khóa" in locked.message
    assert pin_incorrect_error(None).code == "pin-incorrect"


@pytest.mark.parametrize("exc,code", [
    (p11x.PinIncorrect(), "pin-incorrect"),
    (p11x.PinLocked(), "pin-locked"),
    (p11x.PinLenRange(), "pin-len"),
    (p11x.FunctionCancelled(), "cancelled"),
    (p11x.TokenNotPresent(), "token-removed"),
    (p11x.DeviceRemoved(), "token-removed"),
    (p11x.SessionHandleInvalid(), "token-removed"),
    (p11x.GeneralError(), "token-error"),
])
def test_pkcs11_errors_map_to_codes(exc, code):
    err = map_pkcs11_error(exc, "ký")
    assert err.code == code and err.exit_code == 4 and err.message


def test_sign_plans_put_the_one_step_mechanism_first():
    data = b"x"
    rsa = sign_plans("pkcs1v15", "sha256", data)
    assert [p[0] for p in rsa] == [Mechanism.SHA256_RSA_PKCS, Mechanism.RSA_PKCS]
    assert rsa[0][2] == data
    # DigestInfo with an explicit NULL, as RFC 8017 requires.
    assert rsa[1][2].startswith(bytes.fromhex("3031300d060960864801650304020105000420"))
    pss = sign_plans("pss", "sha384", data)
    assert [p[0] for p in pss] == [Mechanism.SHA384_RSA_PKCS_PSS, Mechanism.RSA_PKCS_PSS]
    assert pss[0][1] == (Mechanism.SHA384, pss[0][1][1], 48)
    eca = sign_plans("ecdsa", "sha256", data)
    assert [p[0] for p in eca] == [Mechanism.ECDSA_SHA256, Mechanism.ECDSA]
    assert all(p[3] for p in eca) and len(eca[1][2]) == 32
    with pytest.raises(ValueError):
        sign_plans("dsa", "sha256", data)


def test_ecdsa_raw_to_der_round_trips():
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(b"m", ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert ecdsa_raw_to_der(raw) == der
    key.public_key().verify(ecdsa_raw_to_der(raw), b"m", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(ValueError):
        ecdsa_raw_to_der(b"\x01\x02\x03")


def test_find_modules_order(tmp_path: Path, monkeypatch):
    configured = tmp_path / "vendor.so"
    from_env = tmp_path / "env.so"
    configured.write_bytes(b"")
    from_env.write_bytes(b"")
    monkeypatch.setenv("KBNN_PKCS11_MODULE", str(from_env))
    found = find_modules(str(configured))
    assert found[:2] == [str(configured), str(from_env)]
    assert len(found) == len(set(found))
    # Missing files are left out; a configured path equal to the env one appears once.
    assert str(tmp_path / "missing.so") not in find_modules(str(tmp_path / "missing.so"))
    assert find_modules(str(from_env)).count(str(from_env)) == 1
