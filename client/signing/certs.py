"""Certificate facts: holder, organisation, UID values, key usage, validity.

Pure functions over DER bytes (``cryptography``); no token access here.
Vietnamese certificates carry identifiers as repeated ``UID`` attributes
(OID 0.9.2342.19200300.100.1.1) whose values look like ``MST:0101234567``,
``CCCD:001085012345``, ``CMND:...`` or ``MNS:1047665``.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from client.errors import InvalidInput, Problem
from client.i18n import tr

ROLE_OID = "2.5.4.72"  # id-at-role
UID_OID = "0.9.2342.19200300.100.1.1"

# Dates are shown to the user in Vietnam time (UTC+7, no daylight saving).
VN_TZ = timezone(timedelta(hours=7))
EXPIRING_DAYS = 30

# cryptography attribute name -> RFC 5280 name
_KEY_USAGE_NAMES = {
    "digital_signature": "digitalSignature",
    "content_commitment": "nonRepudiation",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
}
_SIGNING_USAGES = frozenset({"digitalSignature", "nonRepudiation"})


@dataclass(frozen=True)
class CertInfo:
    """What the application needs to know about a certificate."""

    subject_cn: str
    organisation: str
    uids: dict[str, list[str]]  # {"MST": ["0101234567"], "MNS": ["1047665"], ...}
    issuer_cn: str
    serial_hex: str  # lowercase hex, even length
    not_before: datetime  # tz-aware UTC
    not_after: datetime  # tz-aware UTC
    key_usage: frozenset[str]  # RFC 5280 names; empty when the extension is absent
    sha256_hex: str  # of the DER encoding, lowercase
    key_type: str  # "rsa" | "ec" | "other"
    key_size: int  # RSA modulus bits or EC curve bits; 0 for other keys
    has_key_usage: bool = True  # False when the certificate has no KeyUsage extension

    def mns(self) -> str | None:
        """The budget-unit code (mã ĐVQHNS) from ``UID=MNS:...``, if any."""
        values = self.uids.get("MNS")
        return values[0] if values else None

    def mst(self) -> str | None:
        """The tax code from ``UID=MST:...``, if any."""
        values = self.uids.get("MST")
        return values[0] if values else None

    def citizen_id(self) -> str | None:
        """The citizen id from ``UID=CCCD:...`` (or the older ``CMND:``), if any."""
        for key in ("CCCD", "CMND"):
            values = self.uids.get(key)
            if values:
                return values[0]
        return None


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    attrs = name.get_attributes_for_oid(oid)
    if not attrs:
        return ""
    value = attrs[0].value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return _nfc(str(value)).strip()


def parse_uids(name: x509.Name) -> dict[str, list[str]]:
    """``UID=KEY:value`` attributes of ``name`` grouped by upper-case key, in order.

    A UID value without a ``KEY:`` prefix is kept under the empty key.
    """
    out: dict[str, list[str]] = {}
    for attr in name.get_attributes_for_oid(x509.ObjectIdentifier(UID_OID)):
        raw = attr.value
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        text = _nfc(str(raw)).strip()
        key, sep, value = text.partition(":")
        if sep:
            key, value = key.strip().upper(), value.strip()
        else:
            key, value = "", text
        out.setdefault(key, []).append(value)
    return out


def load_certificate(der: bytes) -> x509.Certificate:
    """Parse DER (or PEM) certificate bytes; a bad input raises ``InvalidInput``."""
    try:
        if der.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(der)
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise InvalidInput(
            tr("Không đọc được chứng thư số: dữ liệu không phải chứng thư X.509 hợp lệ."),
            [Problem("cert-unreadable", tr("Chứng thư số hỏng hoặc sai định dạng ({error}).",
                                           error=exc))],
        ) from exc


def cert_info(der: bytes) -> CertInfo:
    """Facts about the certificate in ``der``."""
    cert = load_certificate(der)
    der = cert.public_bytes(Encoding.DER)

    try:
        ku_ext = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        ku_ext = None
    usages: set[str] = set()
    if ku_ext is not None:
        for attr, rfc_name in _KEY_USAGE_NAMES.items():
            if getattr(ku_ext, attr):
                usages.add(rfc_name)
        if ku_ext.key_agreement:
            if ku_ext.encipher_only:
                usages.add("encipherOnly")
            if ku_ext.decipher_only:
                usages.add("decipherOnly")

    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey):
        key_type, key_size = "rsa", public_key.key_size
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        key_type, key_size = "ec", public_key.curve.key_size
    else:
        key_type, key_size = "other", 0

    serial = cert.serial_number
    serial_hex = f"{serial:x}"
    if len(serial_hex) % 2:
        serial_hex = "0" + serial_hex

    return CertInfo(
        subject_cn=_first(cert.subject, NameOID.COMMON_NAME),
        organisation=_first(cert.subject, NameOID.ORGANIZATION_NAME),
        uids=parse_uids(cert.subject),
        issuer_cn=_first(cert.issuer, NameOID.COMMON_NAME),
        serial_hex=serial_hex,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_usage=frozenset(usages),
        sha256_hex=hashlib.sha256(der).hexdigest(),
        key_type=key_type,
        key_size=key_size,
        has_key_usage=ku_ext is not None,
    )


def format_date_vn(moment: datetime) -> str:
    """``dd/mm/yyyy`` in Vietnam time."""
    return moment.astimezone(VN_TZ).strftime("%d/%m/%Y")


def check_usable(info: CertInfo, now: datetime | None = None) -> list[Problem]:
    """Why this certificate cannot (errors) or soon cannot (warnings) be used to sign.

    The package format (section 4) requires the digitalSignature or
    nonRepudiation key usage, so a certificate without a KeyUsage extension
    is refused here exactly as the verifier (and the treasury) would.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    where = info.subject_cn or info.sha256_hex[:16]
    problems: list[Problem] = []

    if now > info.not_after:
        problems.append(Problem(
            "cert-expired",
            tr("Chứng thư số đã hết hạn ngày {date}; không thể dùng để ký. Hãy liên hệ nhà "
               "cung cấp chữ ký số để gia hạn.", date=format_date_vn(info.not_after)),
            where,
        ))
    elif now < info.not_before:
        problems.append(Problem(
            "cert-not-yet-valid",
            tr("Chứng thư số chưa có hiệu lực: hiệu lực từ ngày {date}.",
               date=format_date_vn(info.not_before)),
            where,
        ))

    if not (info.key_usage & _SIGNING_USAGES):
        problems.append(Problem(
            "cert-key-usage",
            tr("Chứng thư số không được phép dùng để ký: mục đích sử dụng khóa không có "
               "digitalSignature (ký số) hay nonRepudiation (chống chối bỏ)."),
            where,
        ))

    if info.not_before <= now <= info.not_after:
        remaining = info.not_after - now
        if remaining < timedelta(days=EXPIRING_DAYS):
            days = remaining // timedelta(days=1)
            when = (tr("sau {days} ngày", days=days) if days >= 1
                    else tr("trong vòng 24 giờ tới"))
            problems.append(Problem(
                "cert-expiring",
                tr("Chứng thư số sẽ hết hạn {when} (ngày {date}); hãy liên hệ nhà cung cấp chữ "
                   "ký số để gia hạn.", when=when, date=format_date_vn(info.not_after)),
                where,
                severity="warning",
            ))
    return problems
