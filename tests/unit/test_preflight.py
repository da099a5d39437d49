"""Choosing the certificate and the checks before the PIN (client.signing.preflight), offline parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from client.signing.certs import cert_info
from client.signing.preflight import (
    OnlineFacts,
    before_pin,
    clock_problem,
    describe_candidate,
    pin_problems_before_asking,
    rank_candidates,
)
from client.signing.tokens import CertEntry, TokenInfo
from client.training.pki import create_ca, issue_signer_cert

UNIT = "1047665"
ORG = "Trường Tiểu học Kim Liên"
NOW = datetime.now(UTC).replace(microsecond=0)
BASE = 0x400 | 0x4 | 0x8  # initialized, login required, user PIN initialized


@pytest.fixture(scope="module")
def ca():
    return create_ca("CA Chọn Chứng Thư")


def entry(ca, name: str, *, key_id: bytes, token: str = "KTT", has_key: bool = True,
          unit_code: str = UNIT, **kw) -> CertEntry:
    key = ec.generate_private_key(ec.SECP256R1())
    der = issue_signer_cert(ca, key.public_key(), name=name, organisation=ORG,
                            unit_code=unit_code, cccd="001085000001", mst="0101234567", **kw)
    return CertEntry(token_serial=f"sn-{token}", token_label=token, key_id=key_id, label=name,
                     cert_der=der, has_private_key=has_key, key_type="ec")


@pytest.fixture(scope="module")
def pool(ca):
    return {
        "good": entry(ca, "NGUYỄN THỊ A", key_id=b"1"),
        "ds_only": entry(ca, "NGUYỄN THỊ A (ký số)", key_id=b"2", key_usage=("digitalSignature",)),
        "other_unit": entry(ca, "NGUYỄN THỊ A (đơn vị khác)", key_id=b"3", unit_code="1099999"),
        "expired": entry(ca, "HẾT HẠN", key_id=b"4", not_before=NOW - timedelta(days=800),
                         not_after=NOW - timedelta(days=2)),
        "future": entry(ca, "CHƯA HIỆU LỰC", key_id=b"5", not_before=NOW + timedelta(days=3),
                        not_after=NOW + timedelta(days=700)),
        "no_ku": entry(ca, "KHÔNG KÝ ĐƯỢC", key_id=b"6", key_usage=("keyEncipherment",)),
        "expiring": entry(ca, "SẮP HẾT HẠN", key_id=b"7", not_before=NOW - timedelta(days=700),
                          not_after=NOW + timedelta(days=10)),
        "no_key": entry(ca, "KHÔNG CÓ KHÓA", key_id=b"8", has_key=False),
        "head": entry(ca, "TRẦN VĂN B", key_id=b"9", token="TTDV"),
    }


def codes(cand) -> list[str]:
    return [p.code for p in cand.problems]


def test_only_certificates_with_their_key_are_offered(pool, ca):
    ca_entry = CertEntry("sn-KTT", "KTT", b"", "CA", ca.cert_der, False, "rsa", is_ca=True)
    ranked = rank_candidates([*pool.values(), ca_entry], UNIT, "chief-accountant")
    names = [c.info.subject_cn for c in ranked]
    assert "KHÔNG CÓ KHÓA" not in names and "CA Chọn Chứng Thư" not in names
    assert len(ranked) == len(pool) - 1


def test_ranking_offline(pool):
    ranked = rank_candidates(pool.values(), UNIT, "chief-accountant", now=NOW)
    usable = [c.info.subject_cn for c in ranked if c.usable]
    unusable = [c.info.subject_cn for c in ranked if not c.usable]
    # refused ones last; among usable: MNS of the unit, non-repudiation, longest validity
    assert set(unusable) == {"HẾT HẠN", "CHƯA HIỆU LỰC", "KHÔNG KÝ ĐƯỢC"}
    assert [c.usable for c in ranked] == sorted((c.usable for c in ranked), reverse=True)
    assert usable.index("NGUYỄN THỊ A") < usable.index("NGUYỄN THỊ A (ký số)")
    assert usable.index("NGUYỄN THỊ A (ký số)") < usable.index("NGUYỄN THỊ A (đơn vị khác)")
    assert usable[-1] == "NGUYỄN THỊ A (đơn vị khác)"
    by = {c.info.subject_cn: c for c in ranked}
    assert by["NGUYỄN THỊ A"].mns_matches is True and by["NGUYỄN THỊ A"].non_repudiation
    assert by["NGUYỄN THỊ A (ký số)"].non_repudiation is False
    assert by["NGUYỄN THỊ A (đơn vị khác)"].mns_matches is False
    assert "cert-unit-mismatch" in codes(by["NGUYỄN THỊ A (đơn vị khác)"])
    assert all(c.registered_for_role is None for c in ranked)  # offline: unknown


def test_refusals_and_warnings_are_named_in_vietnamese(pool):
    by = {c.info.subject_cn: c for c in rank_candidates(pool.values(), UNIT, "chief-accountant",
                                                        now=NOW)}
    exp = by["HẾT HẠN"]
    assert "cert-expired" in codes(exp) and not exp.usable
    assert "hết hạn" in exp.errors[0].message
    fut = by["CHƯA HIỆU LỰC"]
    assert "cert-not-yet-valid" in codes(fut) and "chưa có hiệu lực" in fut.errors[0].message
    noku = by["KHÔNG KÝ ĐƯỢC"]
    assert "cert-key-usage" in codes(noku) and "nonRepudiation" in noku.errors[0].message
    soon = by["SẮP HẾT HẠN"]
    assert soon.usable and [p.code for p in soon.warnings] == ["cert-expiring"]
    assert "sau 9 ngày" in soon.warnings[0].message or "sau 10 ngày" in soon.warnings[0].message


def test_registered_signer_ranks_first_and_others_are_warned(pool):
    good = cert_info(pool["ds_only"].cert_der)  # registered: the digitalSignature-only one
    head = cert_info(pool["head"].cert_der)
    registered = [
        {"role": "chief-accountant", "name": good.subject_cn, "certificate_sha256": good.sha256_hex,
         "not_after": good.not_after.isoformat()},
        {"role": "head-of-unit", "name": head.subject_cn, "certificate_sha256": head.sha256_hex.upper(),
         "not_after": head.not_after.isoformat()},
    ]
    ranked = rank_candidates(pool.values(), UNIT, "chief-accountant", registered, now=NOW)
    first = ranked[0]
    assert first.info.subject_cn == "NGUYỄN THỊ A (ký số)"
    assert first.registered_for_role is True and first.registered_roles == ("chief-accountant",)
    assert first.warnings == []
    by = {c.info.subject_cn: c for c in ranked}
    other_role = by["TRẦN VĂN B"]
    assert other_role.registered_for_role is False
    assert other_role.registered_roles == ("head-of-unit",)
    assert "cert-registered-other-role" in codes(other_role)
    assert "Thủ trưởng đơn vị" in other_role.warnings[0].message
    unreg = by["NGUYỄN THỊ A"]
    assert "cert-not-registered" in codes(unreg) and "chưa được đăng ký" in unreg.warnings[0].message


def test_renewed_token_is_recognised(pool):
    """The registered certificate is the holder's old one: say the serial changed."""
    info = cert_info(pool["good"].cert_der)
    registered = [{"role": "chief-accountant", "name": info.subject_cn.lower(),
                   "certificate_sha256": "00" * 32, "not_after": "2025-06-30T00:00:00Z"}]
    cand = describe_candidate(pool["good"], UNIT, "chief-accountant", registered, now=NOW)
    [warn] = [p for p in cand.problems if p.code == "cert-not-registered"]
    assert "gia hạn" in warn.message and "30/06/2025" in warn.message


def test_preferred_certificate_comes_first_among_usable(pool):
    want = pool["other_unit"]
    ranked = rank_candidates(pool.values(), UNIT, "chief-accountant", now=NOW,
                             preferred=cert_info(want.cert_der).sha256_hex)
    assert ranked[0].entry is want and ranked[0].preferred
    ranked = rank_candidates(pool.values(), UNIT, "head-of-unit", now=NOW, preferred="TTDV")
    assert ranked[0].entry is pool["head"]


def test_candidate_json_has_what_the_picker_shows(pool):
    [cand] = rank_candidates([pool["good"]], UNIT, "chief-accountant", now=NOW)
    doc = cand.to_json()
    for key in ("holder", "organisation", "uids", "mns", "mst", "citizen_id", "issuer", "serial",
                "not_before", "not_after", "key_usage", "usable", "mns_matches",
                "registered_for_role", "non_repudiation", "problems", "token_label", "key_id"):
        assert key in doc, key
    assert doc["mns"] == UNIT and doc["mst"] == "0101234567" and doc["citizen_id"] == "001085000001"
    assert doc["key_usage"] == ["digitalSignature", "nonRepudiation"]
    line = cand.describe_vi()
    assert "NGUYỄN THỊ A" in line and "MNS:1047665" in line and "đúng mã đơn vị" in line


def test_pin_flags_before_asking():
    assert pin_problems_before_asking(TokenInfo.from_flags(BASE, label="K")) == []
    low = pin_problems_before_asking(TokenInfo.from_flags(BASE | 0x10000, label="K"))
    assert [(p.code, p.severity) for p in low] == [("pin-count-low", "warning")]
    final = pin_problems_before_asking(TokenInfo.from_flags(BASE | 0x10000 | 0x20000, label="K"))
    assert [(p.code, p.severity) for p in final] == [("pin-final-try", "warning")]
    locked = pin_problems_before_asking(TokenInfo.from_flags(BASE | 0x40000, label="K"))
    assert [(p.code, p.severity) for p in locked] == [("pin-locked", "error")]


def test_before_pin_puts_errors_first_and_never_passes_silently(pool):
    exp = describe_candidate(pool["expired"], UNIT, "chief-accountant", now=NOW)
    token = TokenInfo.from_flags(BASE | 0x10000 | 0x20000, label="KTT", serial="sn-KTT")
    probs = before_pin(exp, token)  # online=None: the treasury was not asked
    assert probs[0].code == "cert-expired" and probs[0].severity == "error"
    assert {p.code for p in probs} >= {"pin-final-try", "online-not-checked"}
    assert all(p.severity == "warning" for p in probs[1:])
    good = describe_candidate(pool["good"], UNIT, "chief-accountant", now=NOW)
    gone = before_pin(good, None, OnlineFacts(registered=[], checked=True))
    assert [p.code for p in gone] == ["token-removed"]
    ok = before_pin(good, TokenInfo.from_flags(BASE, label="KTT"), OnlineFacts(checked=True))
    assert ok == []


@pytest.mark.parametrize("skew,expected", [
    (timedelta(minutes=4, seconds=59), None),
    (timedelta(minutes=-5), None),
    (timedelta(minutes=6), "nhanh 6 phút"),
    (timedelta(minutes=-75), "chậm 1 giờ 15 phút"),
    (timedelta(days=1, minutes=2), "nhanh 1 ngày 2 phút"),
    (-timedelta(minutes=9, seconds=59, milliseconds=600), "chậm 10 phút"),
])
def test_clock_problem(skew, expected):
    p = clock_problem(skew)
    if expected is None:
        assert p is None
    else:
        assert p.code == "clock-skew" and p.severity == "warning" and expected in p.message
    assert clock_problem(None) is None
