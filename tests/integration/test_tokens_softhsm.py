"""TokenService against a real SoftHSM2 module (tokens in the process-wide test folder)."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from pkcs11 import Mechanism

from client.errors import TokenError
from client.signing.certs import cert_info
from client.signing.tokens import TokenService, probe_module
from client.training.pki import create_ca
from client.training.token import create_token, import_cert_only, provision_signer
from tests.softhsm import make_token_env, process_token_env, run_python, signing_env

DATA = "Bảng thanh toán tiền lương tháng 10/2026".encode()

ID_RSA = b"tok-test-rsa"
ID_EC = b"tok-test-ec"
ID_B = b"tok-test-b-rsa"
ID_ORPHAN = b"tok-test-orphan"


@pytest.fixture(scope="module")
def hsm():
    env = process_token_env([("KTT", "1111"), ("TTDV", "2222")])
    ca = create_ca()
    with TokenService(env.module) as svc:
        serials = {t.label: t.serial for t in svc.tokens()}
        certs = {
            ID_RSA: provision_signer(svc, "KTT", "1111", ca, name="NGUYỄN VĂN A",
                                     organisation="UBND Xã Thử Nghiệm", unit_code="1047665",
                                     cccd="001085012345", key_id=ID_RSA),
            ID_EC: provision_signer(svc, "KTT", "1111", ca, name="NGUYỄN VĂN A EC",
                                    organisation="UBND Xã Thử Nghiệm", unit_code="1047665",
                                    key_type="ec", key_id=ID_EC),
            ID_B: provision_signer(svc, "TTDV", "2222", ca, name="TRẦN THỊ B",
                                   organisation="UBND Xã Thử Nghiệm", unit_code="1047665",
                                   key_id=ID_B),
        }
        # A certificate whose key is somewhere else: reuse B's certificate bytes.
        import_cert_only(svc, "TTDV", "2222", certs[ID_B], ID_ORPHAN)
    return env, serials, certs


@pytest.fixture()
def svc(hsm):
    env = hsm[0]
    service = TokenService(env.module)
    yield service
    service.close()


def _public_key(cert_der: bytes):
    return x509.load_der_x509_certificate(cert_der).public_key()


def test_tokens_lists_both_tokens_and_skips_the_empty_slot(svc, hsm):
    tokens = svc.tokens()
    labels = [t.label for t in tokens]
    assert "KTT" in labels and "TTDV" in labels
    assert all(t.initialized for t in tokens)  # SoftHSM's free slot is left out
    ktt = next(t for t in tokens if t.label == "KTT")
    assert ktt.serial == hsm[1]["KTT"] and ktt.serial
    assert ktt.login_required and not ktt.protected_auth_path
    assert not (ktt.pin_locked or ktt.pin_final_try or ktt.pin_count_low)
    assert "SoftHSM" in ktt.manufacturer


def test_certificates_match_keys_by_id(svc, hsm):
    _, serials, certs = hsm
    entries = {e.key_id: e for e in svc.certificates()}
    rsa, ecc, b, orphan = entries[ID_RSA], entries[ID_EC], entries[ID_B], entries[ID_ORPHAN]
    assert (rsa.token_label, rsa.token_serial) == ("KTT", serials["KTT"])
    assert rsa.key_type == "rsa" and rsa.has_private_key and rsa.cert_der == certs[ID_RSA]
    assert ecc.key_type == "ec" and ecc.has_private_key
    assert b.token_label == "TTDV" and b.has_private_key
    assert orphan.has_private_key is False
    assert rsa.label == "NGUYỄN VĂN A"
    info = cert_info(rsa.cert_der)
    assert info.mns() == "1047665" and info.uids["CCCD"] == ["001085012345"]

    only_b = svc.certificates(serials["TTDV"])
    assert {e.key_id for e in only_b} >= {ID_B, ID_ORPHAN}
    assert all(e.token_label == "TTDV" for e in only_b)


def test_sign_rsa_pkcs1v15_verifies(svc, hsm):
    _, serials, certs = hsm
    sig = svc.sign(serials["KTT"], ID_RSA, "1111", DATA)
    _public_key(certs[ID_RSA]).verify(sig, DATA, padding.PKCS1v15(), hashes.SHA256())


def test_sign_rsa_pss_verifies(svc, hsm):
    _, serials, certs = hsm
    sig = svc.sign(serials["KTT"], ID_RSA, "1111", DATA, scheme="pss")
    _public_key(certs[ID_RSA]).verify(
        sig, DATA, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256())


def test_sign_ecdsa_returns_der_that_verifies(svc, hsm):
    _, serials, certs = hsm
    sig = svc.sign(serials["KTT"], ID_EC, "1111", DATA, scheme="ecdsa")
    assert sig[0] == 0x30  # DER SEQUENCE, not PKCS#11's r||s
    _public_key(certs[ID_EC]).verify(sig, DATA, ec.ECDSA(hashes.SHA256()))


def test_sign_sha384_on_second_token(svc, hsm):
    _, serials, certs = hsm
    sig = svc.sign(serials["TTDV"], ID_B, "2222", DATA, hash_alg="sha384")
    _public_key(certs[ID_B]).verify(sig, DATA, padding.PKCS1v15(), hashes.SHA384())


@pytest.mark.parametrize("scheme,hidden", [
    ("pkcs1v15", Mechanism.SHA256_RSA_PKCS),
    ("pss", Mechanism.SHA256_RSA_PKCS_PSS),
])
def test_fallback_hashes_outside_the_token(svc, hsm, scheme, hidden):
    _, serials, certs = hsm
    svc._hidden_mechanisms = {int(hidden)}
    sig = svc.sign(serials["KTT"], ID_RSA, "1111", DATA, scheme=scheme)
    pad = (padding.PKCS1v15() if scheme == "pkcs1v15"
           else padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32))
    _public_key(certs[ID_RSA]).verify(sig, DATA, pad, hashes.SHA256())


def test_no_usable_mechanism_is_named(svc, hsm):
    svc._hidden_mechanisms = {int(Mechanism.SHA256_RSA_PKCS), int(Mechanism.RSA_PKCS)}
    with pytest.raises(TokenError) as ei:
        svc.sign(hsm[1]["KTT"], ID_RSA, "1111", DATA)
    assert ei.value.code == "mechanism"


def test_wrong_pin_is_pin_incorrect_and_not_retried(svc, hsm):
    serial = hsm[1]["KTT"]
    with pytest.raises(TokenError) as ei:
        svc.sign(serial, ID_RSA, "9999", DATA)
    assert ei.value.code == "pin-incorrect"
    assert ei.value.exit_code == 4
    assert "PIN không đúng" in ei.value.message
    assert "9999" not in str(ei.value)
    # The failed login left nothing behind: the right PIN works at once.
    assert svc.sign(serial, ID_RSA, "1111", DATA)


def test_missing_pin_token_and_key_errors(svc, hsm):
    serial = hsm[1]["KTT"]
    with pytest.raises(TokenError) as ei:
        svc.sign(serial, ID_RSA, None, DATA)
    assert ei.value.code == "pin-required"
    with pytest.raises(TokenError) as ei:
        svc.sign("khong-co-token", ID_RSA, "1111", DATA)
    assert ei.value.code == "token-not-found"
    with pytest.raises(TokenError) as ei:
        svc.sign(serial, b"no-such-key", "1111", DATA)
    assert ei.value.code == "key-not-found"
    with pytest.raises(TokenError) as ei:  # the orphan certificate has no key
        svc.sign(hsm[1]["TTDV"], ID_ORPHAN, "2222", DATA)
    assert ei.value.code == "key-not-found"
    with pytest.raises(TokenError) as ei:
        svc.sign(serial, ID_RSA, "1111", DATA, scheme="ecdsa")
    assert ei.value.code == "key-type"


def test_token_created_after_start_appears(svc, hsm):
    env = hsm[0]
    before = {t.label for t in svc.tokens()}
    label = "MOI-" + uuid.uuid4().hex[:8]
    create_token(env.conf, label, env.so_pin, "3333")
    env.pins[label] = "3333"
    after = {t.label for t in svc.tokens()}
    assert label not in before and label in after


def test_every_pkcs11_call_runs_on_the_owner_thread(svc, hsm):
    _, serials, _ = hsm
    main_ident = threading.get_ident()
    assert svc.submit(lambda lib: threading.get_ident()).result() == svc.thread_ident
    assert svc.thread_ident != main_ident

    pkg = os.path.dirname(sys.modules["pkcs11"].__file__)
    seen: list[tuple[int, str]] = []

    def prof(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(pkg):
            seen.append((threading.get_ident(), frame.f_code.co_name))

    svc.submit(lambda lib: sys.setprofile(prof)).result()
    sys.setprofile(prof)
    try:
        svc.tokens()
        svc.certificates()
        svc.sign(serials["KTT"], ID_RSA, "1111", DATA)
        svc.sign(serials["KTT"], ID_EC, "1111", DATA, scheme="ecdsa")
    finally:
        sys.setprofile(None)
        svc.submit(lambda lib: sys.setprofile(None)).result()
    names = {name for _, name in seen}
    # The tracer did see slot/token reads, attribute templates and signing.
    assert {"_CK_UTF8CHAR_to_str", "pack_attribute", "sign"} <= names
    assert {ident for ident, _ in seen} == {svc.thread_ident}


def test_services_for_one_module_share_the_owner(svc, hsm):
    other = TokenService(hsm[0].module)
    try:
        assert other.thread_ident == svc.thread_ident
        other.close()
        assert svc.tokens()  # the shared owner is still running
    finally:
        other.close()


def test_unloadable_module_is_module_load(tmp_path: Path):
    bogus = tmp_path / "vnptca_p11_v8.dll"
    bogus.write_bytes(b"MZ this is not a PKCS#11 module")
    service = TokenService(str(bogus))
    try:
        with pytest.raises(TokenError) as ei:
            service.wait_loaded()
        assert ei.value.code == "module-load"
        assert "32-bit" in ei.value.message
        with pytest.raises(TokenError) as ei:
            service.tokens()
        assert ei.value.code == "module-load"
    finally:
        service.close()


def test_probe_module_ok_and_bogus(hsm, tmp_path: Path):
    env = hsm[0]
    res = probe_module(env.module)
    assert res.ok, res.message
    assert {"KTT", "TTDV"} <= {t["label"] for t in res.tokens}
    assert "2 token" not in res.message or len(res.tokens) == 2

    bogus = tmp_path / "libbogus.so"
    bogus.write_bytes(b"\x7fELF garbage")
    res = probe_module(str(bogus))
    assert not res.ok and "32-bit" in res.message
    res = probe_module(str(tmp_path / "missing.so"))
    assert not res.ok and "Không tìm thấy" in res.message


def test_own_token_folder_runs_in_a_child_process(tmp_path: Path):
    """The documented pattern for a private token folder: PKCS#11 in a child process."""
    conf, module = make_token_env(tmp_path, [("RIENG", "4444")])
    proc = run_python(conf, (
        "from client.signing.tokens import TokenService\n"
        f"with TokenService({module!r}) as s:\n"
        "    print(sorted(t.label for t in s.tokens()))\n"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['RIENG']"


def test_signing_env_helper_gives_working_signers():
    env = signing_env()
    assert signing_env() is env  # built once per process
    with TokenService(env.module) as service:
        for label in ("KTT", "TTDV"):
            s = env.signers[label]
            sig = service.sign(s.token_serial, s.key_id, s.pin, DATA)
            _public_key(s.cert_der).verify(sig, DATA, padding.PKCS1v15(), hashes.SHA256())
            assert cert_info(s.cert_der).mns() == "1047665"
