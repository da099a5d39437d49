"""Signing workflow: "sign this document / package as this role".

First signature: ``document.json`` bytes → validate → render → new package →
manifest 001 → CAdES signature 001. Second signature: package bytes → verify
→ manifest 002 covering every data entry and signature 001 → signature 002.
The result is verified again before it is returned.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from client.errors import InvalidInput, KbnnError, Problem, TokenError
from client.i18n import tr
from client.signing import asice, cades
from client.signing.asice import DOCUMENT_JSON, DOCUMENT_PDF, ROLES, Package
from client.signing.verify import ROLE_NAMES_VI, VerificationReport, _role_name, verify_package

__all__ = [
    "ROLE_NAMES_VI", "Prepared", "SignerSpec", "is_package", "prepare", "sign",
    "sign_prepared", "token_signer", "write_atomic",
]

# Problems the defensive re-verification tolerates: the local trust store may
# not know the signer's CA (the treasury's may); everything else must pass.
_TOLERATED_AFTER_SIGNING = frozenset({"certificate-untrusted"})


@dataclass
class Prepared:
    package: Package  # the package as it is before this signature
    document: dict
    pdf: bytes  # exactly the document.pdf bytes in the package: what the GUI shows
    existing: VerificationReport | None
    next_role: str  # which role signs next
    trust: list[bytes] = field(default_factory=list)
    # the document.json bytes prepare() validated; sign_prepared() does not validate
    # them a second time (any other bytes are checked in full)
    checked_json: bytes | None = None


@dataclass
class SignerSpec:
    cert_der: bytes
    chain: list[bytes]
    scheme: str
    raw_sign: Callable[[bytes, str], bytes]


def token_signer(service: Any, entry: Any, pin: str | None, *,
                 scheme: str | None = None) -> SignerSpec:
    """A ``SignerSpec`` for certificate ``entry`` (a ``CertEntry``) whose raw signature is
    made by ``service`` (a ``TokenService``) on its own thread.

    ``scheme``: ``"pkcs1v15"`` (default for RSA), ``"pss"`` or ``"ecdsa"`` (EC keys).
    The CA certificates the token holds for this certificate (``entry.chain``) go
    into the signature. ``pin`` is used for exactly one login (``None``: PIN pad or
    no login needed).
    """
    from client.signing.certs import cert_info

    if scheme is None:
        scheme = "ecdsa" if cert_info(entry.cert_der).key_type == "ec" else "pkcs1v15"

    def raw_sign(data: bytes, hash_alg: str) -> bytes:
        return service.sign(entry.token_serial, entry.key_id, pin, data, hash_alg=hash_alg,
                            scheme=scheme)

    return SignerSpec(cert_der=entry.cert_der, chain=list(getattr(entry, "chain", ()) or ()),
                      scheme=scheme, raw_sign=raw_sign)


def is_package(data: bytes) -> bool:
    """Whether ``data`` looks like a zip (an ASiC-E package) rather than document.json."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _role_vi(role: str) -> str:
    """The role's name in the current language (the code itself for an unknown role)."""
    return _role_name(role) or role


def prepare(input_bytes: bytes, *, trust: list[bytes],
            attachments: dict[str, bytes] | None = None) -> Prepared:
    """Everything needed before asking the token: the package-to-be and its PDF."""
    if is_package(input_bytes):
        return _prepare_package(input_bytes, trust, attachments)
    return _prepare_document(input_bytes, trust, attachments)


def _prepare_document(data: bytes, trust: list[bytes],
                      attachments: dict[str, bytes] | None) -> Prepared:
    from client import documents
    from client.render import render_pdf

    try:
        doc = documents.parse(data)
    except KbnnError:
        raise
    except (ValueError, TypeError) as exc:
        raise InvalidInput(tr("Tệp document.json không đọc được: {error}.", error=exc),
                           [Problem("document-invalid", str(exc), "document.json")]) from exc
    problems = list(documents.validate(doc))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput(tr("Bảng kê không hợp lệ nên không thể ký. Hãy sửa các lỗi sau:"),
                           errors)
    validated = data
    if attachments:
        data, doc = _list_attachments(data, doc, attachments)
    pdf = render_pdf(doc)
    # The JSON bytes go into the package exactly as given, never re-serialised.
    package = Package.new(data, pdf, attachments)
    # Only the bytes validated above are spared a second check (not a listing added since).
    return Prepared(package=package, document=doc, pdf=pdf, existing=None,
                    next_role=ROLES[0], trust=list(trust), checked_json=validated)


def _list_attachments(data: bytes, doc: dict, attachments: dict[str, bytes]
                      ) -> tuple[bytes, dict]:
    """Before the first signature: the document lists its attachments (so the form names
    them). A document that lists none gets the listing (serialised once, here); one that
    lists them must list exactly these files."""
    from client import attachments as att
    from client import documents

    problems = att.check_files(attachments)
    if problems:
        raise InvalidInput(tr("Chưa đính kèm được: {reason}", reason=problems[0].message),
                           problems)
    if att.listed(doc) is None:
        doc = att.with_attachments(doc, attachments)
        return documents.serialize(doc), doc
    if att.listed(doc) != att.listing(attachments):
        raise InvalidInput(
            tr("Các tệp đính kèm khác với danh sách tệp đính kèm ghi trong bảng kê."),
            [Problem("attachment-mismatch",
                     tr("Tệp đính kèm không khớp danh sách trong bảng kê."), "attachments")])
    return data, doc


def _prepare_package(data: bytes, trust: list[bytes],
                     attachments: dict[str, bytes] | None) -> Prepared:
    if attachments:
        raise InvalidInput(
            tr("Không thể thêm tệp đính kèm vào gói đã có chữ ký."),
            [Problem("attachments-after-signing",
                     tr("Tệp đính kèm chỉ được thêm trước chữ ký đầu tiên."), "attachments/")])
    report = verify_package(data, trust)
    if not report.valid:
        raise InvalidInput(tr("Gói đã ký không hợp lệ nên không thể ký tiếp:"), report.errors)
    if report.complete:
        raise InvalidInput(
            tr("Gói đã đủ chữ ký của Kế toán trưởng và Thủ trưởng đơn vị; không cần ký thêm."),
            [Problem("already-complete", tr("Gói đã đủ chữ ký."), "")])
    package = Package.from_bytes(data)
    done = len(report.signatures)
    if done >= len(ROLES) or report.document is None:  # pragma: no cover - valid implies
        raise InvalidInput(tr("Gói không thể ký tiếp."), report.errors)
    return Prepared(package=package, document=report.document,
                    pdf=package.entries[DOCUMENT_PDF], existing=report,
                    next_role=ROLES[done], trust=list(trust),
                    checked_json=package.entries.get(DOCUMENT_JSON))


def _check_role(prepared: Prepared, role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(tr("Vai trò ký không hợp lệ: {role}.", role=role),
                           [Problem("role-invalid", tr("Vai trò không hợp lệ: {role}.", role=role),
                                    "")])
    if role == prepared.next_role:
        return
    signed = [s.role for s in prepared.existing.signatures] if prepared.existing else []
    if role in signed:
        raise InvalidInput(
            tr("{role} đã ký gói này rồi; mỗi vai trò chỉ ký một lần.", role=_role_vi(role)),
            [Problem("role-repeated", tr("{role} đã ký gói này.", role=_role_vi(role)), "")])
    raise InvalidInput(
        tr("Chưa thể ký với vai trò {role}: {next} phải ký trước.",
           role=_role_vi(role), next=_role_vi(prepared.next_role)),
        [Problem("role-order",
                 tr("Thứ tự ký: Kế toán trưởng trước, Thủ trưởng đơn vị sau. Người ký tiếp theo "
                    "phải là {next}.", next=_role_vi(prepared.next_role)), "")])


def _check_certificate(cert_der: bytes, now: datetime) -> None:
    from client.signing import certs

    try:
        info = certs.cert_info(cert_der)
    except (ValueError, TypeError) as exc:
        raise TokenError(tr("Không đọc được chứng thư số trên thiết bị ký."),
                         [Problem("cert-unreadable", str(exc), "")], code="cert-unusable") from exc
    errors = [p for p in certs.check_usable(info, now) if p.severity == "error"]
    # verify.py requires the digitalSignature/nonRepudiation key usage to be
    # present (package-format §4), so a certificate without the KeyUsage
    # extension is refused here too, before the token is asked.
    if not errors and not (info.key_usage & {"digitalSignature", "nonRepudiation"}):
        errors.append(Problem(
            "cert-key-usage",
            tr("Chứng thư số không ghi mục đích sử dụng khóa digitalSignature (ký số) hay "
               "nonRepudiation (chống chối bỏ) nên không thể dùng để ký bảng kê."),
            info.subject_cn))
    if errors:
        raise TokenError(tr("Chứng thư số này không dùng được để ký:"), errors,
                         code="cert-unusable")


def _validated_in_prepare(doc: dict) -> list[Problem]:
    return []


def sign_prepared(prepared: Prepared, role: str, signer: SignerSpec, *,
                  now: datetime | None = None) -> bytes:
    """Add ``role``'s signature to the prepared package; returns the new package bytes."""
    _check_role(prepared, role)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    _check_certificate(signer.cert_der, now)

    pkg = prepared.package.copy()
    index = pkg.next_index()
    if index != ROLES.index(role) + 1:  # pragma: no cover - guarded by prepare()
        raise InvalidInput(tr("Số thứ tự chữ ký không khớp với vai trò."), [])
    manifest = asice.build_manifest(index, pkg.entries, pkg.data_entries(),
                                    pkg.signature_names())
    try:
        signature = cades.sign_manifest(
            manifest, cert_der=signer.cert_der,
            chain=cades.complete_chain(signer.cert_der, list(signer.chain), prepared.trust),
            role=role,
            raw_sign=signer.raw_sign, scheme=signer.scheme, signing_time=now)
    except KbnnError:
        raise
    except ValueError as exc:
        raise TokenError(tr("Không tạo được chữ ký số: {error}", error=exc),
                         [Problem("sign-failed", str(exc), "")], code="sign-failed") from exc
    pkg.entries[asice.manifest_name(index)] = manifest
    pkg.entries[asice.signature_name(index)] = signature
    data = pkg.to_bytes()

    trust = list(prepared.trust)
    # document.json is byte for byte what prepare() validated (or verified, for a second
    # signature): checking its 10 000 lines again would double the cost of signing and
    # prove nothing new. Everything else — digests, the new CMS, chain, roles — is checked.
    unchanged = (prepared.checked_json is not None
                 and pkg.entries.get(DOCUMENT_JSON) == prepared.checked_json)
    report = verify_package(data, trust, now=now,
                            check_document=_validated_in_prepare if unchanged else None)
    bad = [p for p in report.errors if p.code not in _TOLERATED_AFTER_SIGNING]
    mine = report.signatures[-1] if report.signatures else None
    if bad or mine is None or mine.role != role:
        raise InvalidInput(tr("Chữ ký vừa tạo không kiểm tra được; gói không được lưu."),
                           bad or [Problem("signature-invalid", tr("Chữ ký vừa tạo không hợp lệ."),
                                           asice.signature_name(index))])
    return data


def sign(input_bytes: bytes, role: str, signer: SignerSpec, *, trust: list[bytes],
         attachments: dict[str, bytes] | None = None) -> bytes:
    """``prepare`` + ``sign_prepared``."""
    return sign_prepared(prepare(input_bytes, trust=trust, attachments=attachments), role, signer)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if os.name == "posix":
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

