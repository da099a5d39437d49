"""Training CA and signer certificates (client.training.pki / token helpers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding

from client.training.pki import create_ca, issue_signer_cert, load_or_create_ca
from client.training.token import init_softhsm, softhsm_install_hint


def test_ca_is_a_ten_year_ca():
    ca = create_ca("CA Thử")
    cert = ca.cert
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    life = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=365 * 10) <= life <= timedelta(days=365 * 10 + 5)
    assert ca.cert_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    assert create_ca(key_type="ec").cert.public_key().curve.name == "secp256r1"


def test_load_or_create_ca_creates_once(tmp_path: Path):
    folder = tmp_path / "training"
    first = load_or_create_ca(folder)
    assert (folder / "ca.pem").exists() and (folder / "ca.key.pem").exists()
    again = load_or_create_ca(folder)
    assert again.cert_der == first.cert_der
    assert again.key.private_numbers() == first.key.private_numbers()


def test_signer_certificate_is_signed_by_the_ca():
    ca = create_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime(2026, 1, 1, tzinfo=UTC)
    der = issue_signer_cert(ca, key.public_key(), name="PHẠM VĂN D", organisation="UBND Xã A",
                            unit_code="1234567", not_before=start,
                            not_after=start + timedelta(days=30))
    cert = x509.load_der_x509_certificate(der)
    ca.cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                padding.PKCS1v15(), cert.signature_hash_algorithm)
    assert cert.issuer == ca.cert.subject
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.not_valid_after_utc == start + timedelta(days=30)
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest


def test_init_softhsm_writes_conf(tmp_path: Path):
    conf = init_softhsm(tmp_path / "hsm")
    text = conf.read_text(encoding="utf-8")
    assert f"directories.tokendir = {(tmp_path / 'hsm' / 'tokens').resolve()}" in text
    assert (tmp_path / "hsm" / "tokens").is_dir()
    assert init_softhsm(tmp_path / "hsm") == conf  # idempotent
    assert "SoftHSM2" in softhsm_install_hint()


def test_softhsm_module_override(tmp_path: Path, monkeypatch):
    from client.training.token import softhsm_module

    fake = tmp_path / "libsofthsm2.so"
    fake.write_bytes(b"")
    monkeypatch.setenv("KBNN_SOFTHSM_MODULE", str(fake))
    assert softhsm_module() == str(fake)
    monkeypatch.setenv("KBNN_SOFTHSM_MODULE", str(tmp_path / "absent.so"))
    assert softhsm_module() is None  # an explicit path that is missing = not installed
