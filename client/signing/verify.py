"""Every check of package-format.md §4 — the ONE verifier (CLI, GUI, sandbox).

``verify_package`` never raises on a bad package: it names each failure as a
``Problem`` with a stable code, a Vietnamese message and where it is.

Codes (errors unless noted):
  not-a-zip, mimetype-invalid, entry-name-unsafe, entry-duplicate, entry-corrupt,
  entry-unexpected, too-large, document-missing, document-invalid, pdf-missing,
  pdf-invalid, manifest-invalid, manifest-digest-mismatch, entry-missing,
  entry-not-covered, signature-invalid, algorithm-not-allowed,
  certificate-expired-at-signing, certificate-key-usage, certificate-untrusted,
  certificate-revoked, timestamp-invalid, role-missing, role-repeated, role-order,
  earlier-signature-not-covered, incomplete, attachment-type-not-allowed,
  attachment-missing, attachment-mismatch, attachment-not-listed;
  revocation-unknown (online: an OCSP/CRL server answered without settling the status —
  OCSP "unknown" or "tryLater", a response that does not verify, revoked after the claimed
  signing time —; indeterminate);
  warnings: revocation-not-checked (offline, revocation server unreachable, or no
  OCSP/CRL address in a certificate), signing-time-in-future, attachments-not-listed
  (the document does not list the package's attachments).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from asn1crypto import cms, core, x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.general import CMSExtractionError, extract_certificate_info
from pyhanko.sign.validation import KeyUsageConstraints, async_validate_detached_cms
from pyhanko.sign.validation.errors import SignatureValidationError

from client.errors import HasProblems, KbnnError, Problem
from client.i18n import tr
from client.signing import asice, cades, revocation
from client.signing.asice import (
    DOCUMENT_JSON,
    DOCUMENT_PDF,
    ROLES,
    SHA256_URI,
    SIGNATURE_RE,
    Package,
)

log = logging.getLogger(__name__)


class _PathErrorNoise(logging.Filter):
    """pyHanko logs every failed path building or validation (untrusted, expired, revoked)
    as a warning with a traceback, and also returns it in the validation status; each is
    reported as a named ``Problem`` from that status, so the record goes to our debug log
    without the traceback."""

    _PREFIXES = ("Validation error [cert context:", "Failed to build path for ")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith(self._PREFIXES):
            log.debug("pyHanko: %s", record.getMessage())
            return False
        return True


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_PathErrorNoise())

# Vietnamese names kept for callers that want them whatever the language (texts shown to
# the person come from _role_name()); "verdict_vi" in the JSON report is Vietnamese by name.
ROLE_NAMES_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
VERDICT_VI = {"valid": "hợp lệ", "invalid": "không hợp lệ", "indeterminate": "chưa xác định"}

# Problems that mean "could not establish trust" rather than "proved wrong".
_INDETERMINATE_CODES = frozenset({"certificate-untrusted", "timestamp-invalid",
                                  "revocation-unknown"})
_ALLOWED_SIG_ALGS = {
    ("rsa", "sha256"): {"sha256_rsa", "rsassa_pkcs1v15", "rsassa_pss"},
    ("ec", "sha256"): {"sha256_ecdsa"},
    ("ec", "sha384"): {"sha384_ecdsa"},
}
_ALLOWED_CURVES = {"secp256r1": "sha256", "secp384r1": "sha384"}
_TIME_SKEW = timedelta(minutes=5)
_VN = timezone(timedelta(hours=7))


@dataclass
class SignatureReport:
    index: int
    file: str
    role: str | None
    signer_name: str
    signing_time: datetime | None
    cert_sha256: str
    cert_der: bytes
    verdict: str  # "valid" | "invalid" | "indeterminate"
    reasons: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "file": self.file,
            "role": self.role,
            "role_name": _role_name(self.role),
            "signer_name": self.signer_name,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "cert_sha256": self.cert_sha256,
            "certificate": self.certificate_brief(),
            "verdict": self.verdict,
            "verdict_vi": VERDICT_VI.get(self.verdict, self.verdict),
            "reasons": [p.to_json() for p in self.reasons],
        }

    def certificate_brief(self) -> dict | None:
        """Holder, organisation, UIDs, issuer, serial and validity of the signer's certificate."""
        if not self.cert_der:
            return None
        from client.signing.certs import cert_info

        try:
            info = cert_info(self.cert_der)
        except KbnnError:
            return None
        return {"holder": info.subject_cn, "organisation": info.organisation, "uids": info.uids,
                "issuer": info.issuer_cn, "serial": info.serial_hex,
                "not_before": info.not_before.isoformat(), "not_after": info.not_after.isoformat(),
                "key_usage": sorted(info.key_usage), "key_type": info.key_type,
                "key_size": info.key_size}


@dataclass
class VerificationReport(HasProblems):
    valid: bool
    complete: bool  # both roles present, in order
    problems: list[Problem]
    signatures: list[SignatureReport]
    document: dict | None
    document_bytes: bytes | None

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def to_json(self) -> dict:
        return {
            "valid": self.valid,
            "complete": self.complete,
            "problems": [p.to_json() for p in self.problems],
            "signatures": [s.to_json() for s in self.signatures],
            "document": _document_brief(self.document),
            "document_sha256": (hashlib.sha256(self.document_bytes).hexdigest()
                                if self.document_bytes is not None else None),
        }


def _document_brief(doc: dict | None) -> dict | None:
    if not isinstance(doc, dict):
        return None
    unit = doc.get("unit") if isinstance(doc.get("unit"), dict) else {}
    lines = doc.get("lines")
    brief = {
        "kind": doc.get("kind"),
        "id": doc.get("id"),
        "number": doc.get("number"),
        "date": doc.get("date"),
        "unit_code": unit.get("code"),
        "unit_name": unit.get("name"),
        "total": doc.get("total"),
        "lines": len(lines) if isinstance(lines, list) else None,
    }
    # Only JSON scalars: a tampered document may hold anything.
    return {k: v for k, v in brief.items()
            if v is None or isinstance(v, (str, int, float, bool))}


def _role_name(role: str | None) -> str | None:
    """The name of a signing role in the current language (``None``: not a role)."""
    if role == "chief-accountant":
        return tr("Kế toán trưởng")
    if role == "head-of-unit":
        return tr("Thủ trưởng đơn vị")
    return None


def _who(index: int, role: str | None) -> str:
    name = _role_name(role)
    if name is not None:
        return tr("Chữ ký số của {role}", role=name)
    return tr("Chữ ký số thứ {index}", index=index)


# ---- document ---------------------------------------------------------------


def _parse_document(data: bytes) -> dict:
    try:
        from client.documents import parse
    except ImportError:  # documents package not available: plain strict JSON
        obj = json.loads(data.decode("utf-8"))
        if not isinstance(obj, dict):
            raise ValueError(tr("document.json phải là một đối tượng JSON")) from None
        return obj
    return parse(data)


def _default_check_document(doc: dict) -> list[Problem]:
    from client.documents import validate
    return list(validate(doc))


def _check_document(data: bytes | None, check: Callable[[dict], list[Problem]] | None,
                    problems: list[Problem]) -> dict | None:
    if data is None:
        problems.append(Problem("document-missing", tr("Gói thiếu tệp document.json."),
                                DOCUMENT_JSON))
        return None
    try:
        doc = _parse_document(data)
    except KbnnError as exc:
        inner = exc.problems or [Problem("document-invalid", exc.message)]
        for p in inner:
            problems.append(Problem("document-invalid", p.message,
                                    _where_in_doc(p.where)))
        return None
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        problems.append(Problem("document-invalid",
                                tr("document.json không đọc được ({error}).", error=exc),
                                DOCUMENT_JSON))
        return None
    try:
        found = (check or _default_check_document)(doc)
    except Exception as exc:  # a validator crash must not pass the document
        log.exception("document validation crashed")
        problems.append(Problem("document-invalid",
                                tr("Không kiểm tra được document.json ({error}).", error=exc),
                                DOCUMENT_JSON))
        return doc
    for p in found:
        if p.severity == "error":
            problems.append(Problem("document-invalid", p.message, _where_in_doc(p.where)))
        else:
            problems.append(Problem(p.code, p.message, _where_in_doc(p.where), p.severity))
    return doc


def _where_in_doc(where: str) -> str:
    if not where or where == DOCUMENT_JSON or where.startswith(DOCUMENT_JSON + ":"):
        return where or DOCUMENT_JSON
    return f"{DOCUMENT_JSON}: {where}"


# ---- one signature ----------------------------------------------------------


def _b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _check_manifest(pkg: Package, index: int, man_name: str, sig_name: str,
                    report: SignatureReport) -> None:
    add = report.reasons.append
    who = _who(index, report.role)
    try:
        manifest = asice.parse_manifest(pkg.entries[man_name])
    except asice.ManifestError as exc:
        add(Problem("manifest-invalid", str(exc), man_name))
        return
    if manifest.sig_reference != sig_name:
        add(Problem("signature-invalid",
                    tr("{who}: tệp kê khai {manifest} thuộc về {owner}, không phải {signature}.",
                       who=who, manifest=man_name, owner=manifest.sig_reference,
                       signature=sig_name), man_name))
    refs = manifest.by_uri()
    for ref in manifest.references:
        name = ref.uri
        sig_m = SIGNATURE_RE.match(name)
        if ref.digest_alg != SHA256_URI:
            add(Problem("manifest-invalid",
                        tr("Tệp kê khai dùng thuật toán băm không được phép ({alg}); chỉ chấp "
                           "nhận SHA-256.", alg=ref.digest_alg), f"{man_name}: {name}"))
            continue
        if ref.rootfile != (name == DOCUMENT_JSON):
            add(Problem("manifest-invalid",
                        tr("Chỉ document.json được đánh dấu Rootfile=\"true\"."),
                        f"{man_name}: {name}"))
        if sig_m:
            if int(sig_m.group(1)) >= index:
                add(Problem("manifest-invalid",
                            tr("Tệp kê khai {manifest} tham chiếu chữ ký không đứng trước nó.",
                               manifest=man_name),
                            f"{man_name}: {name}"))
        elif not asice.is_data_name(name):
            add(Problem("manifest-invalid",
                        tr("Tệp kê khai tham chiếu một mục không được phép."),
                        f"{man_name}: {name}"))
        if name not in pkg.entries:
            add(Problem("entry-missing",
                        tr("Tệp {name} được ký trong {manifest} nhưng không có trong gói.",
                           name=name, manifest=man_name), name))
            continue
        if ref.digest_b64 != _b64_sha256(pkg.entries[name]):
            add(Problem("manifest-digest-mismatch",
                        tr("Nội dung tệp {name} đã bị thay đổi sau khi ký (mã băm không khớp "
                           "với {manifest}).", name=name, manifest=man_name), name))
    if DOCUMENT_JSON not in refs:
        add(Problem("manifest-invalid", tr("Tệp kê khai không tham chiếu document.json."),
                    man_name))
    for name in pkg.data_entries():
        if name not in refs:
            add(Problem("entry-not-covered",
                        tr("Tệp {name} không được {who} bao phủ ({manifest}).", name=name,
                           who=who.lower()[0] + who[1:], manifest=man_name),
                        name))
    for earlier in pkg.signature_names():
        m = SIGNATURE_RE.match(earlier)
        if m and int(m.group(1)) < index and earlier not in refs:
            add(Problem("earlier-signature-not-covered",
                        tr("{who} không bao phủ chữ ký trước đó {earlier} (không chứng minh được "
                           "thứ tự ký).", who=who, earlier=earlier), man_name))


def _load_signed_data(data: bytes) -> cms.SignedData:
    ci = cms.ContentInfo.load(data, strict=True)
    if ci["content_type"].native != "signed_data":
        raise ValueError(tr("không phải CMS SignedData"))
    sd = ci["content"]
    if len(sd["signer_infos"]) != 1:
        raise ValueError(tr("phải có đúng một SignerInfo"))
    if not isinstance(sd["encap_content_info"]["content"], core.Void):
        raise ValueError(tr("chữ ký phải ở dạng tách rời (detached)"))
    return sd


def _check_cms(pkg: Package, index: int, man_name: str, sig_name: str,
               report: SignatureReport, trust: list[x509.Certificate], now: datetime,
               online: bool = False, fetch_timeout: float = revocation.DEFAULT_TIMEOUT) -> None:
    try:
        _check_cms_inner(pkg, index, man_name, sig_name, report, trust, now, online,
                         fetch_timeout)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # Malformed DER surfaces lazily in asn1crypto, wherever it is first touched.
        report.reasons.append(Problem(
            "signature-invalid",
            tr("{who} không đúng định dạng CMS ({error}).", who=_who(index, report.role),
               error=exc), sig_name))


def _check_cms_inner(pkg: Package, index: int, man_name: str, sig_name: str,
                     report: SignatureReport, trust: list[x509.Certificate],
                     now: datetime, online: bool, fetch_timeout: float) -> None:
    add = report.reasons.append
    try:
        sd = _load_signed_data(pkg.entries[sig_name])
        signer_info = sd["signer_infos"][0]
        cert = extract_certificate_info(sd).signer_cert
    except CMSExtractionError as exc:
        add(Problem("signature-invalid",
                    tr("Chữ ký số thứ {index} không chứa chứng thư số của người ký ({error}).",
                       index=index, error=exc),
                    sig_name))
        return
    except (ValueError, TypeError, KeyError) as exc:
        add(Problem("signature-invalid",
                    tr("{who} không đúng định dạng CMS ({error}).", who=_who(index, None),
                       error=exc), sig_name))
        return

    report.cert_der = cert.dump()
    report.cert_sha256 = hashlib.sha256(report.cert_der).hexdigest()
    subject = cert.subject.native
    report.signer_name = str(subject.get("common_name") or subject.get("organization_name") or "")
    roles = cades.claimed_roles(signer_info)
    report.role = roles[0] if len(roles) == 1 and roles[0] in ROLES else None
    who = _who(index, report.role)
    if len(roles) != 1 or roles[0] not in ROLES:
        shown = ", ".join(roles) if roles else tr("không có")
        add(Problem("role-missing",
                    tr("{who} không ghi một vai trò hợp lệ (id-at-role: {roles}).", who=who,
                       roles=shown), sig_name))

    attr_names = ([a["type"].native for a in signer_info["signed_attrs"]]
                  if not isinstance(signer_info["signed_attrs"], core.Void) else [])
    for required in ("content_type", "message_digest", "signing_time", "signing_certificate_v2"):
        if attr_names.count(required) != 1:
            add(Problem("signature-invalid",
                        tr("{who} không đúng CAdES-BES: thiếu hoặc lặp thuộc tính {attribute}.",
                           who=who, attribute=required),
                        sig_name))
    signing_time = cades.signing_time_of(signer_info)
    report.signing_time = signing_time
    if signing_time is not None and signing_time > now + _TIME_SKEW:
        add(Problem("signing-time-in-future",
                    tr("{who} ghi thời điểm ký ở tương lai ({time}).", who=who,
                       time=signing_time.isoformat()),
                    sig_name, "warning"))

    # Algorithms (package-format §1).
    pub = cert.public_key
    md = signer_info["digest_algorithm"]["algorithm"].native
    mech = signer_info["signature_algorithm"]["algorithm"].native
    key_alg = pub.algorithm
    alg_ok = (key_alg, md) in _ALLOWED_SIG_ALGS and mech in _ALLOWED_SIG_ALGS[(key_alg, md)]
    if alg_ok and key_alg == "rsa" and pub.bit_size < 2048:
        alg_ok = False
    if alg_ok and key_alg == "ec" and _ALLOWED_CURVES.get(pub.curve[1]) != md:
        alg_ok = False
    if alg_ok and mech == "rsassa_pss":
        params = signer_info["signature_algorithm"]["parameters"]
        alg_ok = params["hash_algorithm"]["algorithm"].native == md
    if not alg_ok:
        add(Problem("algorithm-not-allowed",
                    tr("{who} dùng thuật toán không được phép ({key_alg} {bits} bit, {mech}, "
                       "{digest}).", who=who, key_alg=key_alg, bits=pub.bit_size, mech=mech,
                       digest=md), sig_name))

    # Certificate facts at the signing time.
    validity = cert["tbs_certificate"]["validity"]
    not_before = validity["not_before"].native
    not_after = validity["not_after"].native
    if signing_time is not None and not (not_before <= signing_time <= not_after):
        add(Problem("certificate-expired-at-signing",
                    tr("{who}: chứng thư số của {signer} không còn hiệu lực tại thời điểm ký "
                       "{time} (hiệu lực từ {start} đến {end}).", who=who,
                       signer=report.signer_name, time=f"{signing_time:%d/%m/%Y %H:%M}",
                       start=f"{not_before:%d/%m/%Y}", end=f"{not_after:%d/%m/%Y}"), sig_name))
    ku = cert.key_usage_value
    usages = set(ku.native) if ku is not None else set()
    if not usages & {"digital_signature", "non_repudiation"}:
        add(Problem("certificate-key-usage",
                    tr("{who}: chứng thư số của {signer} không có mục đích sử dụng ký số "
                       "(digitalSignature hoặc nonRepudiation).", who=who,
                       signer=report.signer_name), sig_name))

    # Cryptographic check and chain to a trust anchor (pyHanko).
    moment = signing_time or now
    vc = revocation.validation_context(trust, moment, online=online, timeout=fetch_timeout)
    try:
        status = cades.run_sync(async_validate_detached_cms(
            pkg.entries[man_name], sd, signer_validation_context=vc,
            key_usage_settings=KeyUsageConstraints(key_usage=frozenset()),
        ))
    except SignatureValidationError as exc:
        add(Problem("signature-invalid",
                    tr("{who} không hợp lệ ({error}) ({signature}).", who=who,
                       error=exc.failure_message, signature=sig_name), sig_name))
        return
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        add(Problem("signature-invalid",
                    tr("{who} không kiểm tra được ({error}) ({signature}).", who=who, error=exc,
                       signature=sig_name), sig_name))
        return
    if not status.intact:
        add(Problem("signature-invalid",
                    tr("{who} không khớp với nội dung bảng kê ({signature}).", who=who,
                       signature=sig_name), sig_name))
        return
    if not status.valid:
        add(Problem("signature-invalid",
                    tr("{who} sai: giá trị chữ ký không đúng với chứng thư số ({signature}).",
                       who=who, signature=sig_name),
                    sig_name))
        return
    ts = status.timestamp_validity
    if ts is not None and not (ts.valid and ts.intact and ts.trusted):
        add(Problem("timestamp-invalid",
                    tr("{who}: dấu thời gian kèm theo không hợp lệ ({signature}).", who=who,
                       signature=sig_name), sig_name))
    if status.trust_problem_indic is not None or status.validation_path is None:
        indic = status.trust_problem_indic
        have = {p.code for p in report.reasons}
        if indic in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.EXPIRED,
                     AdESIndeterminate.NOT_YET_VALID,
                     AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED):
            if "certificate-expired-at-signing" not in have:
                add(Problem("certificate-expired-at-signing",
                            tr("{who}: chứng thư số không còn hiệu lực tại thời điểm ký.",
                               who=who),
                            sig_name))
        elif indic in (AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE):
            details = getattr(status, "revocation_details", None)
            whose = (tr("chứng thư số của tổ chức cấp (CA) trong chuỗi")
                     if indic == AdESIndeterminate.REVOKED_CA_NO_POE
                     else tr("chứng thư số của {signer}", signer=report.signer_name))
            when = ""
            if details is not None and getattr(details, "revocation_date", None):
                when = tr(" từ ngày {date}",
                          date=f"{details.revocation_date.astimezone(_VN):%d/%m/%Y %H:%M}")
            add(Problem("certificate-revoked",
                        tr("{who}: {whose} đã bị thu hồi{when}.", who=who, whose=whose,
                           when=when), sig_name))
        elif "certificate-expired-at-signing" in have and indic == \
                AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE:
            pass  # already named precisely
        elif online and indic == AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE and (
                failure := revocation.revocation_failure(vc, cert)) is not None:
            whose = (tr("chứng thư số của tổ chức cấp (CA) trong chuỗi") if failure.ca
                     else tr("chứng thư số của {signer}", signer=report.signer_name))
            add(Problem("revocation-unknown",
                        tr("{who}: không xác định được tình trạng thu hồi của {whose}: máy chủ "
                           "OCSP/CRL có trả lời nhưng không xác nhận chứng thư số chưa bị thu "
                           "hồi ({failure}).", who=who, whose=whose, failure=failure.detail),
                        sig_name))
        else:
            add(Problem("certificate-untrusted",
                        tr("{who}: chứng thư số của {signer} không được cấp bởi tổ chức chứng "
                           "thực tin cậy ({signature}).", who=who, signer=report.signer_name,
                           signature=sig_name), sig_name))
    path = status.validation_path
    path_certs = list(path.iter_certs(include_root=False)) if path is not None else None
    if "certificate-revoked" not in {p.code for p in report.reasons}:
        for problem in revocation.revocation_problems(vc, path_certs, online=online, who=who,
                                                      where=sig_name, path=path):
            add(problem)


# ---- the package ------------------------------------------------------------


def _load_trust(trust: list[bytes]) -> list[x509.Certificate]:
    out = []
    for t in trust:
        try:
            if t.lstrip().startswith(b"-----BEGIN"):
                from asn1crypto import pem
                _, _, t = pem.unarmor(t)
            cert = x509.Certificate.load(t)
            cert.native  # noqa: B018
            out.append(cert)
        except (ValueError, TypeError) as exc:
            log.warning("ignoring unreadable trust anchor: %s", exc)
    return out


def verify_package(data: bytes, trust: list[bytes], *, require_complete: bool = False,
                   now: datetime | None = None,
                   check_document: Callable[[dict], list[Problem]] | None = None,
                   online: bool = False,
                   fetch_timeout: float = revocation.DEFAULT_TIMEOUT,
                   ) -> VerificationReport:
    """Verify an ASiC-E package per package-format.md §4; never raises on bad input.

    ``online``: check revocation (OCSP/CRL named in the certificates), each request
    limited to ``fetch_timeout`` seconds; a revoked certificate makes the signature
    invalid, revocation information that cannot be fetched is a
    ``revocation-not-checked`` warning. Offline that warning is always given.
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    pkg = Package.from_bytes(data)
    problems: list[Problem] = list(pkg.problems)
    codes = {p.code for p in problems}
    if "not-a-zip" in codes or (not pkg.entries and "too-large" in codes):
        return VerificationReport(False, False, problems, [], None, None)

    for name in pkg.entries:
        if not asice.is_expected_name(name):
            problems.append(Problem("entry-unexpected",
                                    tr("Gói chứa tệp không được phép theo định dạng gói."),
                                    name))

    doc_bytes = pkg.entries.get(DOCUMENT_JSON)
    document = _check_document(doc_bytes, check_document, problems)
    from client.attachments import check_entries  # attachments: types and the listing

    problems.extend(check_entries(pkg.entries, document))
    pdf = pkg.entries.get(DOCUMENT_PDF)
    if pdf is None:
        problems.append(Problem("pdf-missing", tr("Gói thiếu tệp document.pdf."), DOCUMENT_PDF))
    elif not pdf.startswith(b"%PDF-"):
        problems.append(Problem("pdf-invalid", tr("Tệp document.pdf không phải là PDF."),
                                DOCUMENT_PDF))

    trust_certs = _load_trust(trust)
    sig_names = set(pkg.signature_names())
    man_names = set(pkg.manifest_names())
    indices = sorted({int(m.group(1)) for n in sig_names | man_names
                      for m in (SIGNATURE_RE.match(n) or asice.MANIFEST_RE.match(n),) if m})
    reports: list[SignatureReport] = []
    for index in indices:
        sig_name, man_name = asice.signature_name(index), asice.manifest_name(index)
        if sig_name not in sig_names:
            problems.append(Problem("manifest-invalid",
                                    tr("Tệp kê khai {manifest} không có chữ ký {signature} đi "
                                       "kèm.", manifest=man_name, signature=sig_name),
                                    man_name))
            continue
        report = SignatureReport(index, sig_name, None, "", None, "", b"", "valid", [])
        reports.append(report)
        if man_name not in man_names:
            report.reasons.append(Problem(
                "signature-invalid",
                tr("Chữ ký số thứ {index} không có tệp kê khai {manifest} đi kèm.", index=index,
                   manifest=man_name), sig_name))
        else:
            _check_cms(pkg, index, man_name, sig_name, report, trust_certs, now, online,
                       fetch_timeout)
            _check_manifest(pkg, index, man_name, sig_name, report)

    # Roles: signature00N must be ROLES[N-1], each role once.
    seen: dict[str, int] = {}
    for report in reports:
        role = report.role
        if role is None:
            continue
        who = _who(report.index, role)
        if role in seen:
            report.reasons.append(Problem(
                "role-repeated",
                tr("{who} lặp lại: vai trò này đã ký ở chữ ký số thứ {earlier}.", who=who,
                   earlier=seen[role]), report.file))
            continue
        seen[role] = report.index
        expected = ROLES[report.index - 1] if report.index <= len(ROLES) else None
        if role != expected:
            report.reasons.append(Problem(
                "role-order",
                tr("{who} sai thứ tự: {file} phải là chữ ký của {expected}; thứ tự ký là Kế toán "
                   "trưởng trước, Thủ trưởng đơn vị sau.", who=who, file=report.file,
                   expected=_role_name(expected) or tr("không ai")), report.file))
    present = [r.role for r in reports]
    for i, role in enumerate(ROLES):
        if role in present:
            continue
        later = [r for r in reports if r.role in ROLES[i + 1:]]
        if later or (i == 0 and not reports):
            problems.append(Problem(
                "role-missing",
                tr("Gói thiếu chữ ký số của {role}.", role=_role_name(role)),
                asice.signature_name(i + 1)))
        elif require_complete:
            problems.append(Problem(
                "incomplete",
                tr("Gói chưa đủ chữ ký: thiếu chữ ký số của {role}.", role=_role_name(role)),
                asice.signature_name(i + 1)))

    for report in reports:
        errors = [p for p in report.reasons if p.severity == "error"]
        if not errors:
            report.verdict = "valid"
        elif all(p.code in _INDETERMINATE_CODES for p in errors):
            report.verdict = "indeterminate"
        else:
            report.verdict = "invalid"
        problems.extend(report.reasons)

    complete = [r.role for r in reports] == list(ROLES) and all(
        r.index == i + 1 for i, r in enumerate(reports))
    valid = not any(p.severity == "error" for p in problems)
    return VerificationReport(valid, complete, problems, reports, document, doc_bytes)


def format_report(report: VerificationReport) -> str:
    """Plain Vietnamese text of a report (CLI / logs)."""
    lines = [tr("Gói HỢP LỆ.") if report.valid else tr("Gói KHÔNG HỢP LỆ.")]
    if report.valid and not report.complete:
        lines.append(tr("Gói chưa đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị."))
    verdicts = {"valid": tr("hợp lệ"), "invalid": tr("không hợp lệ"),
                "indeterminate": tr("chưa xác định")}
    for s in report.signatures:
        when = s.signing_time.astimezone().strftime("%d/%m/%Y %H:%M") if s.signing_time else "?"
        role = _role_name(s.role) or tr("vai trò ?")
        lines.append(tr("  {file}: {role} — {signer} — ký lúc {when} — {verdict}", file=s.file,
                        role=role, signer=s.signer_name or '?', when=when,
                        verdict=verdicts[s.verdict]))
    for p in report.problems:
        mark = tr("Lỗi") if p.severity == "error" else tr("Lưu ý")
        lines.append(f"  [{mark}] {p.code}: {p}")
    return "\n".join(lines)

