"""Tiny test PKI built with ``cryptography``: CAs, signer certificates, raw signers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.now(UTC).replace(microsecond=0)


@functools.cache
def rsa_key(slot: int = 0, bits: int = 2048) -> rsa.RSAPrivateKey:
    """RSA keys are slow to make: one per (slot, bits), shared by every test."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key(curve: str = "p256") -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1() if curve == "p384" else ec.SECP256R1())


@dataclass
class Issued:
    key: object
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def make_ca(cn: str = "Test CA", key: object | None = None, *,
            not_before: datetime | None = None, days: int = 3650) -> Issued:
    key = key or ec_key("p256")
    nb = not_before or NOW - timedelta(days=365)
    name = _name(cn, "Test PKI")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb).not_valid_after(nb + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def make_signer(ca: Issued, cn: str, key: object, *, org: str = "Trường Tiểu học A",
                key_usage: bool = True, not_before: datetime | None = None,
                not_after: datetime | None = None) -> Issued:
    nb = not_before or NOW - timedelta(days=30)
    na = not_after or NOW + timedelta(days=365)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, org)).issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nb).not_valid_after(na)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                       critical=False)
    )
    if key_usage:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
    cert = builder.sign(ca.key, hashes.SHA256())
    return Issued(key, cert)


def raw_signer(key: object, scheme: str = "pkcs1v15") -> Callable[[bytes, str], bytes]:
    """What TokenService.sign does, in software: sign the message bytes."""

    def sign(data: bytes, hash_name: str) -> bytes:
        h = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
        if scheme == "ecdsa":
            return key.sign(data, ec.ECDSA(h))
        if scheme == "pss":
            return key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
        return key.sign(data, padding.PKCS1v15(), h)

    return sign
