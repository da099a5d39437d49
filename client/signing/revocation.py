"""Revocation checking (OCSP/CRL) for the verifier, through pyhanko-certvalidator.

Online, ``ValidationContext(allow_fetching=True, revocation_mode="soft-fail")``
with a ``requests`` fetcher and a short per-request timeout: a revoked
certificate fails path validation (the verifier names it
``certificate-revoked``); a responder or CRL server that cannot be reached is
tolerated by pyHanko ("soft fail") and recorded in
``ValidationContext.soft_fail_exceptions`` — we turn each such case into a
``revocation-not-checked`` WARNING, never a silent pass. Offline, nothing is
fetched and the same warning says so.

Two refinements over pyHanko's raw outcome:

* pyHanko records a soft-fail even when another source settled the question
  (the OCSP responder is down but the CRL says "not revoked"). The path is then
  checked again from the same fetched answers (nothing is fetched twice) with
  ``revocation_mode="hard-fail"``; when that passes, revocation WAS established
  and no warning is given.
* A server that answers without settling the status (OCSP ``unknown``,
  ``tryLater``, a response that does not verify, a stale CRL) makes pyHanko reject
  the path like an untrusted chain; ``revocation_failure`` tells that case apart
  so that the verifier names it (``revocation-unknown``) instead of calling the CA
  untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InsufficientRevinfoError, PathValidationError
from pyhanko_certvalidator.fetchers import Fetchers
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.util import get_declared_revinfo
from pyhanko_certvalidator.validate import async_validate_path

from client.errors import Problem
from client.i18n import tr
from client.signing.cades import run_sync

DEFAULT_TIMEOUT = 5.0  # seconds per OCSP/CRL request


class _OnlineContext(ValidationContext):
    """An online context that keeps what it was made from, to check a path again from the
    answers its fetchers already hold (``_established``)."""

    def __init__(self, trust: list[x509.Certificate], moment: datetime, fetchers: Fetchers,
                 mode: str, other_certs: list[x509.Certificate] | None = None) -> None:
        super().__init__(trust_roots=trust, other_certs=other_certs, allow_fetching=True,
                         revocation_mode=mode, moment=moment, best_signature_time=moment,
                         retroactive_revinfo=True, fetchers=fetchers)
        self.trust, self.claimed_moment, self.fetchers = list(trust), moment, fetchers


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
    fetchers = RequestsFetcherBackend(per_request_timeout=timeout).get_fetchers()
    return _OnlineContext(trust, moment, fetchers, "soft-fail")


def _established(vc: ValidationContext, path: ValidationPath) -> bool:
    """Whether the answers fetched for ``vc`` settle the revocation status of every
    certificate of ``path`` that names an OCSP responder or a CRL, although some source
    failed (e.g. OCSP down, CRL fine). Nothing is fetched again: the fetchers keep
    every answer and every failure."""
    if not isinstance(vc, _OnlineContext):
        return False
    # the path's CA certificates: the issuers of the CRLs to check again
    strict = _OnlineContext(vc.trust, vc.claimed_moment, vc.fetchers, "hard-fail",
                            list(path.iter_certs(include_root=False)))
    try:
        run_sync(async_validate_path(strict, path))
    except (PathValidationError, ValueError):
        return False
    return True


def _ocsp_detail(vc: ValidationContext, serials: set[int]) -> str:
    """What the fetched OCSP answers about ``serials`` say that pyHanko's message does not:
    ``unknown``, or revoked after the (claimed) signing time."""
    for response in vc.revinfo_manager.ocsps:
        try:
            answers = response["response_bytes"]["response"].parsed["tbs_response_data"]
            for single in answers["responses"]:
                if single["cert_id"]["serial_number"].native not in serials:
                    continue
                status = single["cert_status"]
                if status.name == "unknown":
                    return "OCSP: unknown"
                if status.name == "revoked":
                    when = status.chosen["revocation_time"].native
                    return f"OCSP: revoked {when:%Y-%m-%d %H:%M} UTC, after the signing time"
        except (KeyError, TypeError, ValueError):
            continue
    return ""


@dataclass(frozen=True)
class RevocationFailure:
    """Revocation information was fetched but did not settle the status."""

    ca: bool  # a CA certificate of the chain, not the signer's
    detail: str


def revocation_failure(vc: ValidationContext, cert: x509.Certificate) -> RevocationFailure | None:
    """Why pyHanko rejected ``cert``'s path, when it is revocation information that did
    not settle the status (OCSP ``unknown`` / ``tryLater`` / a response that does not
    verify, a stale or unusable CRL); ``None`` for any other reason (untrusted chain…)
    and offline. Uses what ``vc`` already fetched."""
    if not isinstance(vc, _OnlineContext):
        return None

    async def first_revinfo_error() -> tuple[InsufficientRevinfoError, ValidationPath] | None:
        for path in await vc.path_builder.async_build_paths(cert):
            try:
                await async_validate_path(vc, path)
            except InsufficientRevinfoError as exc:
                return exc, path
            except (PathValidationError, ValueError):
                continue
        return None

    try:
        found = run_sync(first_revinfo_error())
    except (PathValidationError, LookupError, ValueError):
        return None
    if found is None:
        return None
    exc, path = found
    detail = exc.failure_msg.rpartition("failed: ")[2].strip()
    serials = {c.serial_number for c in path.iter_certs(include_root=False)}
    said = _ocsp_detail(vc, serials)
    if said:
        detail = said + (f"; {detail}" if detail else "")
    return RevocationFailure(ca=not exc.is_ee_cert, detail=_short(detail or exc.failure_msg))


def _revoked_after_claimed_time(vc: ValidationContext, certs: list[x509.Certificate]
                                ) -> tuple[str, datetime] | None:
    """A certificate of the validated path that a fetched CRL lists as revoked AFTER the
    claimed signing time (pyHanko accepts such a path: at the claimed time it was good)."""
    if not isinstance(vc, _OnlineContext) or not certs:
        return None
    wanted = {(c.issuer.hashable, c.serial_number): c for c in certs}
    for crl in vc.revinfo_manager.crls:
        try:
            issuer = crl["tbs_cert_list"]["issuer"].hashable
            for entry in crl["tbs_cert_list"]["revoked_certificates"] or []:
                cert = wanted.get((issuer, entry["user_certificate"].native))
                when = entry["revocation_date"].native
                if cert is not None and when > vc.claimed_moment:
                    name = cert.subject.native.get("common_name") or cert.subject.human_friendly
                    return name, when
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _short(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")


def revocation_problems(vc: ValidationContext, path_certs: list[x509.Certificate] | None, *,
                        online: bool, who: str, where: str,
                        path: ValidationPath | None = None) -> list[Problem]:
    """Warnings saying what could NOT be established about revocation.

    ``path_certs``: the validated path without its trust anchor (signer first),
    or ``None`` when no path was built (then nothing more is said here: the
    trust problem is reported on its own). ``path``: that validated path; with it,
    a failed source (OCSP down) is not reported when another one (the CRL)
    settled the status.
    """
    if not online:
        return [Problem(
            "revocation-not-checked",
            tr("{who}: chưa kiểm tra tình trạng thu hồi chứng thư số (không có kết nối OCSP/CRL "
               "khi kiểm tra ngoại tuyến).", who=who), where, "warning")]
    out: list[Problem] = []
    later = _revoked_after_claimed_time(vc, path_certs or [])
    if later is not None:
        name, when = later
        # No timestamp proves when the signature was made: a certificate revoked since the
        # claimed time may have signed after its revocation (ETSI EN 319 102-1: indeterminate)
        out.append(Problem(
            "revocation-unknown",
            tr("{who}: chứng thư số «{name}» đã bị thu hồi lúc {when} (theo CRL), sau thời điểm "
               "ký ghi trong chữ ký; không có dấu thời gian chứng minh chữ ký có trước khi thu "
               "hồi.", who=who, name=name, when=f"{when:%d/%m/%Y %H:%M} UTC"),
            where))
    failures = list(vc.soft_fail_exceptions)
    if failures and path is not None and _established(vc, path):
        failures = []
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
