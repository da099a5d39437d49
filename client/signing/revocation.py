"""Revocation checking (OCSP/CRL) for the verifier, through pyhanko-certvalidator.

Online, ``ValidationContext(allow_fetching=True, revocation_mode="soft-fail")``
with a ``requests`` fetcher and a short per-request timeout: a revoked
certificate fails path validation (the verifier names it
``certificate-revoked``); a responder or CRL server that cannot be reached is
tolerated by pyHanko ("soft fail") and recorded in
``ValidationContext.soft_fail_exceptions`` — we turn each such case into a
``revocation-not-checked`` WARNING, never a silent pass. Offline, nothing is
fetched and the same warning says so.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.util import get_declared_revinfo

from client.errors import Problem
from client.i18n import tr

DEFAULT_TIMEOUT = 5.0  # seconds per OCSP/CRL request


def validation_context(trust: list[x509.Certificate], moment: datetime, *, online: bool,
                       timeout: float = DEFAULT_TIMEOUT) -> ValidationContext:
    """The path-validation context for a signature made at ``moment``.

    Online: OCSP and CRLs are fetched (``timeout`` seconds per request), in
    soft-fail mode; revocation information newer than the signing time is
    accepted (it is fetched now, after the signature was made).
    """
    if not online:
        return ValidationContext(trust_roots=trust, allow_fetching=False,
                                 revocation_mode="soft-fail", moment=moment,
                                 best_signature_time=moment)
    return ValidationContext(trust_roots=trust, allow_fetching=True, revocation_mode="soft-fail",
                             moment=moment, best_signature_time=moment,
                             retroactive_revinfo=True,
                             fetcher_backend=RequestsFetcherBackend(per_request_timeout=timeout))


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def revocation_problems(vc: ValidationContext, path_certs: list[x509.Certificate] | None, *,
                        online: bool, who: str, where: str) -> list[Problem]:
    """Warnings saying what could NOT be established about revocation.

    ``path_certs``: the validated path without its trust anchor (signer first),
    or ``None`` when no path was built (then nothing more is said here: the
    trust problem is reported on its own).
    """
    if not online:
        return [Problem(
            "revocation-not-checked",
            tr("{who}: chưa kiểm tra tình trạng thu hồi chứng thư số (không có kết nối OCSP/CRL "
               "khi kiểm tra ngoại tuyến).", who=who), where, "warning")]
    out: list[Problem] = []
    failures = list(vc.soft_fail_exceptions)
    if failures:
        out.append(Problem(
            "revocation-not-checked",
            tr("{who}: không lấy được thông tin thu hồi chứng thư số (máy chủ OCSP/CRL không trả "
               "lời: {failure}); chưa xác nhận được chứng thư số không bị thu hồi.",
               who=who, failure=_short(failures[0])),
            where, "warning"))
        return out
    for cert in path_certs or []:
        has_crl, has_ocsp = get_declared_revinfo(cert)
        if not (has_crl or has_ocsp):
            name = cert.subject.native.get("common_name") or cert.subject.human_friendly
            out.append(Problem(
                "revocation-not-checked",
                tr("{who}: chứng thư số «{name}» không ghi địa chỉ OCSP hay CRL nên không kiểm "
                   "tra được tình trạng thu hồi.", who=who, name=name), where, "warning"))
            break
    return out
