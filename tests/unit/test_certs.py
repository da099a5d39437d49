"""Certificate facts and usability checks (client.signing.certs)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from client.errors import InvalidInput
from client.signing.certs import UID_OID, cert_info, check_usable
from client.training.pki import create_ca, issue_signer_cert

NOW = datetime(2026, 10, 25, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca():
    return create_ca()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _issue(ca, key, **kw):
    kw.setdefault("name", "NGUYỄN VĂN AN")
    kw.setdefault("organisation", "Trường Tiểu học Đào Tạo")
    kw.setdefault("unit_code", "1047665")
    kw.setdefault("not_before", NOW - timedelta(days=100))
    kw.setdefault("not_after", NOW + timedelta(days=365))
    return issue_signer_cert(ca, key.public_key(), **kw)


def test_cert_info_reads_the_vietnamese_subject(ca, rsa_key):
    der = _issue(ca, rsa_key, cccd="001085012345", mst="0101234567-001")
    info = cert_info(der)
    assert info.subject_cn == "NGUYỄN VĂN AN"
    assert info.organisation == "Trường Tiểu học Đào Tạo"
    assert info.uids == {"MST": ["0101234567-001"], "MNS": ["1047665"],
                         "CCCD": ["001085012345"]}
    assert info.mns() == "1047665" and info.mst() == "0101234567-001"
    assert info.citizen_id() == "001085012345"
    assert info.issuer_cn == "KBNN Client Training CA"
    assert info.key_usage == frozenset({"digitalSignature", "nonRepudiation"})
    assert (info.key_type, info.key_size) == ("rsa", 2048)
    assert info.sha256_hex == hashlib.sha256(der).hexdigest()
    cert = x509.load_der_x509_certificate(der)
    assert int(info.serial_hex, 16) == cert.serial_number and len(info.serial_hex) % 2 == 0
    assert info.not_before == NOW - timedelta(days=100)
    assert info.not_after.tzinfo is not None and info.not_after == NOW + timedelta(days=365)


def test_subject_order_follows_the_convention(ca, rsa_key):
    cert = x509.load_der_x509_certificate(_issue(ca, rsa_key, cccd="001085012345",
                                                 locality="Hoàn Kiếm"))
    oids = [a.oid.dotted_string for a in cert.subject]
    assert oids == [NameOID.COUNTRY_NAME.dotted_string, NameOID.STATE_OR_PROVINCE_NAME.dotted_string,
                    NameOID.LOCALITY_NAME.dotted_string, NameOID.ORGANIZATION_NAME.dotted_string,
                    UID_OID, UID_OID, NameOID.COMMON_NAME.dotted_string]
    assert [a.value for a in cert.subject][4:6] == ["MNS:1047665", "CCCD:001085012345"]


def test_cert_info_ec_key_pem_input_and_cmnd(ca):
    key = ec.generate_private_key(ec.SECP384R1())
    # A certificate issued elsewhere: old-style CMND, lower-case key, no MNS.
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(x509.ObjectIdentifier(UID_OID), "cmnd: 012345678"),
        x509.NameAttribute(x509.ObjectIdentifier(UID_OID), "no-prefix"),
        x509.NameAttribute(NameOID.COMMON_NAME, "LÊ THỊ C"),
    ])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(5)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=90))
            .sign(ca.key, hashes.SHA256()))
    info = cert_info(cert.public_bytes(serialization.Encoding.PEM))
    assert (info.key_type, info.key_size) == ("ec", 384)
    assert info.uids == {"CMND": ["012345678"], "": ["no-prefix"]}
    assert info.mns() is None and info.citizen_id() == "012345678"
    assert info.organisation == "" and info.serial_hex == "05"
    assert info.key_usage == frozenset() and not info.has_key_usage
    # no KeyUsage extension: the package format requires one, so it is refused before any PIN
    assert [p.code for p in check_usable(info, NOW)] == ["cert-key-usage"]


def test_garbage_is_invalid_input():
    with pytest.raises(InvalidInput):
        cert_info(b"not a certificate")


def test_usable_certificate_has_no_problems(ca, rsa_key):
    assert check_usable(cert_info(_issue(ca, rsa_key)), NOW) == []


def test_expired_names_the_date_in_vietnam_time(ca, rsa_key):
    # 20:00 UTC on 1 March is 03:00 on 2 March in Vietnam.
    end = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    info = cert_info(_issue(ca, rsa_key, not_before=end - timedelta(days=700), not_after=end))
    problems = check_usable(info, NOW)
    assert [(p.code, p.severity) for p in problems] == [("cert-expired", "error")]
    assert "hết hạn ngày 02/03/2026" in problems[0].message
    assert problems[0].where == "NGUYỄN VĂN AN"


def test_not_yet_valid(ca, rsa_key):
    start = NOW + timedelta(days=3)
    info = cert_info(_issue(ca, rsa_key, not_before=start, not_after=start + timedelta(days=9)))
    problems = check_usable(info, NOW)
    assert [p.code for p in problems] == ["cert-not-yet-valid"]
    assert "28/10/2026" in problems[0].message


def test_key_usage_without_signing_is_refused(ca, rsa_key):
    info = cert_info(_issue(ca, rsa_key, key_usage=("keyEncipherment",)))
    assert info.key_usage == frozenset({"keyEncipherment"})
    problems = check_usable(info, NOW)
    assert [p.code for p in problems] == ["cert-key-usage"]
    assert "digitalSignature" in problems[0].message


@pytest.mark.parametrize("usage", [("digitalSignature",), ("nonRepudiation",)])
def test_either_signing_usage_is_enough(ca, rsa_key, usage):
    assert check_usable(cert_info(_issue(ca, rsa_key, key_usage=usage)), NOW) == []


def test_expiring_soon_is_a_warning_with_days(ca, rsa_key):
    info = cert_info(_issue(ca, rsa_key, not_after=NOW + timedelta(days=10, hours=5)))
    problems = check_usable(info, NOW)
    assert [(p.code, p.severity) for p in problems] == [("cert-expiring", "warning")]
    assert "10 ngày" in problems[0].message
    far = cert_info(_issue(ca, rsa_key, not_after=NOW + timedelta(days=31)))
    assert check_usable(far, NOW) == []


def test_now_defaults_to_the_clock(ca, rsa_key):
    info = cert_info(_issue(ca, rsa_key, not_before=datetime.now(UTC) - timedelta(days=1),
                            not_after=datetime.now(UTC) + timedelta(days=400)))
    assert check_usable(info) == []
