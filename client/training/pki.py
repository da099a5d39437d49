"""Training PKI: a local CA and signer certificates shaped like Vietnamese ones.

For training mode only: the CA key is written unencrypted next to its
certificate in the training folder. Signer subjects follow the convention of
government-unit certificates (domain.md): ``C=VN, ST=…, L=…, O=<organisation>,
UID=MST:…, UID=MNS:<unit code>, UID=CCCD:…, CN=<NAME>``.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

from client.signing.certs import UID_OID

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca.key.pem"
CA_YEARS = 10
SIGNER_DAYS = 2 * 365

_UID = x509.ObjectIdentifier(UID_OID)
_KEY_USAGE_ARGS = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "contentCommitment": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "cRLSign": "crl_sign",
}

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass
class TrainingCA:
    """The training CA: its certificate (DER) and private key."""

    cert_der: bytes
    key: Any  # rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.cert_der)

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _new_key(key_type: str) -> PrivateKey:
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r} (expected 'rsa' or 'ec')")


def _ca_subject(name: str, organisation: str = "KBNN Client (đào tạo)") -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _nfc(organisation)),
        x509.NameAttribute(NameOID.COMMON_NAME, _nfc(name)),
    ])


def _ca_cert(subject: x509.Name, key: PrivateKey, issuer: TrainingCA | None, *,
             path_length: int | None, years: int, crl_url: str | None = None,
             ocsp_url: str | None = None) -> bytes:
    now = datetime.now(UTC).replace(microsecond=0)
    signing_key = issuer.key if issuer is not None else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer is not None else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years + years // 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False)
    if crl_url:
        builder = builder.add_extension(_crl_distribution_points(crl_url), critical=False)
    if ocsp_url:
        builder = builder.add_extension(_ocsp_access(ocsp_url), critical=False)
    return builder.sign(signing_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def create_ca(name: str = "KBNN Client Training CA", *, key_type: str = "rsa",
              path_length: int | None = 0,
              organisation: str = "KBNN Client (đào tạo)") -> TrainingCA:
    """A self-signed CA (RSA 2048 by default, or EC P-256), valid for 10 years.

    ``path_length=0`` (the default) lets it issue signer certificates only; pass
    ``1`` (or ``None``) for a root above an intermediate CA.
    """
    key = _new_key(key_type)
    der = _ca_cert(_ca_subject(name, organisation), key, None, path_length=path_length,
                   years=CA_YEARS)
    return TrainingCA(der, key)


def create_intermediate_ca(root: TrainingCA, name: str = "KBNN Client Training Sub CA", *,
                           key_type: str = "rsa", crl_url: str | None = None,
                           ocsp_url: str | None = None) -> TrainingCA:
    """An intermediate CA issued by ``root`` (which needs ``path_length`` ≥ 1), valid for
    5 years, issuing signer certificates only. ``crl_url``: where ``root``'s CRL
    covering this certificate is published; ``ocsp_url``: the OCSP responder answering
    for ``root`` (Authority Information Access)."""
    key = _new_key(key_type)
    der = _ca_cert(_ca_subject(name), key, root, path_length=0, years=5, crl_url=crl_url,
                   ocsp_url=ocsp_url)
    return TrainingCA(der, key)


def _crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None,
        crl_issuer=None)])


def _ocsp_access(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url))])


def issue_crl(ca: TrainingCA, revoked: list[tuple[int, datetime]] | None = None, *,
              this_update: datetime | None = None, next_update: datetime | None = None) -> bytes:
    """A DER CRL signed by ``ca`` listing ``revoked`` (serial number, revocation time)."""
    now = datetime.now(UTC).replace(microsecond=0)
    this_update = this_update or now - timedelta(hours=1)
    next_update = next_update or now + timedelta(days=7)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                       critical=False)
    )
    for serial, when in revoked or []:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def load_or_create_ca(folder: Path) -> TrainingCA:
    """The CA stored in ``folder`` (``ca.pem`` + ``ca.key.pem``), created on first use."""
    from client.signing.workflow import write_atomic

    folder = Path(folder)
    cert_path, key_path = folder / CA_CERT_FILE, folder / CA_KEY_FILE
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        return TrainingCA(cert.public_bytes(serialization.Encoding.DER), key)
    folder.mkdir(parents=True, exist_ok=True)
    ca = create_ca()
    # Key first: a certificate without its key would be useless on the next start.
    write_atomic(key_path, ca.key_pem())
    try:
        os.chmod(key_path, 0o600)
    except OSError:  # pragma: no cover - e.g. filesystems without modes
        pass
    write_atomic(cert_path, ca.cert_pem())
    return ca


def _key_usage(names: tuple[str, ...]) -> x509.KeyUsage:
    flags = dict.fromkeys(set(_KEY_USAGE_ARGS.values()), False)
    for name in names:
        try:
            flags[_KEY_USAGE_ARGS[name]] = True
        except KeyError:
            raise ValueError(f"unknown key usage {name!r}") from None
    return x509.KeyUsage(**flags, encipher_only=False, decipher_only=False)


def signer_subject(*, name: str, organisation: str, unit_code: str,
                   cccd: str | None = None, mst: str | None = None,
                   province: str | None = "Hà Nội", locality: str | None = None) -> x509.Name:
    """The subject of a signer certificate in the Vietnamese government-unit shape."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if province:
        attrs.append(x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, _nfc(province)))
    if locality:
        attrs.append(x509.NameAttribute(NameOID.LOCALITY_NAME, _nfc(locality)))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _nfc(organisation)))
    if mst:
        attrs.append(x509.NameAttribute(_UID, f"MST:{mst}"))
    attrs.append(x509.NameAttribute(_UID, f"MNS:{unit_code}"))
    if cccd:
        attrs.append(x509.NameAttribute(_UID, f"CCCD:{cccd}"))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, _nfc(name)))
    return x509.Name(attrs)


def issue_signer_cert(ca: TrainingCA, public_key: Any, *, name: str, organisation: str,
                      unit_code: str, cccd: str | None = None,
                      not_before: datetime | None = None, not_after: datetime | None = None,
                      key_usage: tuple[str, ...] = ("digitalSignature", "nonRepudiation"),
                      mst: str | None = None, province: str | None = "Hà Nội",
                      locality: str | None = None, crl_url: str | None = None,
                      ocsp_url: str | None = None) -> bytes:
    """Issue a signer certificate for ``public_key`` (a ``cryptography`` public key); DER.

    Validity defaults to [now - 1 hour, now + 2 years]. An empty ``key_usage``
    leaves the KeyUsage extension out. ``crl_url`` adds a CRL distribution point,
    ``ocsp_url`` an OCSP responder (Authority Information Access, as VNPT-CA,
    Viettel-CA, FPT-CA… publish them).
    """
    now = datetime.now(UTC).replace(microsecond=0)
    not_before = not_before or now - timedelta(hours=1)
    not_after = not_after or now + timedelta(days=SIGNER_DAYS)
    ca_cert = ca.cert
    builder = (
        x509.CertificateBuilder()
        .subject_name(signer_subject(name=name, organisation=organisation, unit_code=unit_code,
                                     cccd=cccd, mst=mst, province=province, locality=locality))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    if key_usage:
        builder = builder.add_extension(_key_usage(tuple(key_usage)), critical=True)
    if crl_url:
        builder = builder.add_extension(_crl_distribution_points(crl_url), critical=False)
    if ocsp_url:
        builder = builder.add_extension(_ocsp_access(ocsp_url), critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return cert.public_bytes(serialization.Encoding.DER)
