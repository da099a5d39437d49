"""PKCS#11 tokens: the one thread that owns the library, token flags, PIN login, raw signing.

Every call into python-pkcs11 (loading the module, listing slots, login,
signing, logout) runs on a single owner thread per module file; callers hand
it jobs through :meth:`TokenService.submit` and wait on a
``concurrent.futures.Future``. Two ``TokenService`` objects for the same module
file share that owner thread (a PKCS#11 module may be initialised only once
per process).

No session outlives a job: each job opens what it needs and closes it before
returning, so the owner may re-initialise the library between jobs (SoftHSM2
only discovers tokens created after ``C_Initialize`` that way).

The PIN is handed to the login job and dropped when the job returns; it is
never logged, stored or retried.

``python -m client.signing.tokens --probe PATH`` loads a module in a child
process and prints what it found as JSON (see :func:`probe_module`).
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import platform
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pkcs11
from asn1crypto.algos import DigestInfo
from asn1crypto.core import Null
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pkcs11 import MGF, Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11x
from pkcs11.attributes import AttributeMapper, handle_ulong

from client.errors import TokenError
from client.i18n import language, set_language, tr

log = logging.getLogger(__name__)

T = TypeVar("T")

ENV_MODULE = "KBNN_PKCS11_MODULE"

# Lower-level loading seam: ``path -> library object`` with python-pkcs11's ``lib``
# interface (initialize/reinitialize/finalize, get_slots, manufacturer_id …).
LibFactory = Callable[[str], Any]


def _module_key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


_lib_factories: dict[str, LibFactory] = {}
_lib_factories_lock = threading.Lock()


def use_lib_factory(path: str, factory: LibFactory | None) -> None:
    """Serve module ``path`` through ``factory`` instead of ``pkcs11.lib`` (``None`` removes it).

    For test doubles and instrumented modules: every ``TokenService(path)`` created
    afterwards (also inside ``AppContext`` and the CLI) loads through it; such a
    module is never probed in a child process.
    """
    key = _module_key(path)
    with _lib_factories_lock:
        if factory is None:
            _lib_factories.pop(key, None)
        else:
            _lib_factories[key] = factory


def lib_factory_for(path: str) -> LibFactory | None:
    with _lib_factories_lock:
        return _lib_factories.get(_module_key(path))


def platform_modules() -> list[str]:
    """Known module paths for this platform that exist (see ``client.signing.discovery``)."""
    from client.signing.discovery import discover_modules

    return [m.path for m in discover_modules() if m.source not in ("configured", "env")]


def find_modules(configured: str | None = None) -> list[str]:
    """Existing, loadable module paths: the configured one first, then
    ``KBNN_PKCS11_MODULE``, then the known modules of this platform. No duplicates."""
    from client.signing.discovery import find_module_paths

    return find_module_paths(configured)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class TokenInfo:
    slot_id: int
    label: str
    serial: str
    manufacturer: str
    model: str
    login_required: bool
    protected_auth_path: bool
    pin_count_low: bool
    pin_final_try: bool
    pin_locked: bool
    initialized: bool

    @classmethod
    def from_flags(cls, flags: int, *, slot_id: int = 0, label: str = "", serial: str = "",
                   manufacturer: str = "", model: str = "") -> TokenInfo:
        """Build from the raw ``CK_TOKEN_INFO.flags`` value."""
        flags = int(flags)
        return cls(
            slot_id=int(slot_id),
            label=label,
            serial=serial,
            manufacturer=manufacturer,
            model=model,
            login_required=bool(flags & TokenFlag.LOGIN_REQUIRED),
            protected_auth_path=bool(flags & TokenFlag.PROTECTED_AUTHENTICATION_PATH),
            pin_count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
            pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
            initialized=bool(flags & TokenFlag.TOKEN_INITIALIZED),
        )

    def pin_warning(self) -> str | None:
        """A Vietnamese warning about remaining PIN tries, or ``None``."""
        if self.pin_locked:
            return _msg_locked()
        if self.pin_final_try:
            return tr("Chỉ còn một lần thử cuối cùng: nếu nhập sai mã PIN lần nữa, "
                      "token sẽ bị khóa.")
        if self.pin_count_low:
            # FINAL_TRY is not set, so more than one try remains.
            return tr("Token báo đã có lần nhập sai mã PIN: vẫn còn từ hai lần thử trở lên "
                      "(token không cho biết chính xác), hãy kiểm tra kỹ trước khi nhập lại.")
        return None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CertEntry:
    token_serial: str
    token_label: str
    key_id: bytes
    label: str
    cert_der: bytes
    # True when a private key with the same CKA_ID is visible, or (private keys
    # being hidden before login) a public key with that CKA_ID is.
    has_private_key: bool
    key_type: str  # "rsa" | "ec" | "other" (from the certificate's public key)
    # Certification-authority certificates on the same token that lead from this
    # certificate towards its root (nearest issuer first, self-signed roots left
    # out): they go into the signature so a verifier knowing only the root can
    # build the path.
    chain: tuple[bytes, ...] = ()
    is_ca: bool = False  # a CA certificate (CKA_CERTIFICATE_CATEGORY authority or CA:TRUE)


@dataclass
class ProbeResult:
    ok: bool
    message: str
    tokens: list[dict] = field(default_factory=list)


# --------------------------------------------------------------------------- errors


def _bitness_hint() -> str:
    return tr("Có thể mô-đun là bản 32-bit trong khi ứng dụng chạy 64-bit (hoặc ngược lại) — "
              "nhiều nhà cung cấp chỉ cài bản 32-bit trong thư mục SysWOW64; "
              "hoặc tệp không phải mô-đun PKCS#11 (tệp có đuôi _s thường là vỏ CSP, không "
              "phải PKCS#11).")


def module_load_error(path: str, exc: BaseException) -> TokenError:
    bits = "64-bit" if sys.maxsize > 2**32 else "32-bit"
    return TokenError(
        tr("Không nạp được mô-đun PKCS#11 «{path}» (ứng dụng đang chạy {bits}): {error}. ",
           path=path, bits=bits, error=exc) + _bitness_hint(),
        code="module-load",
    )


_REMOVED = (p11x.TokenNotPresent, p11x.DeviceRemoved, p11x.SessionClosed,
            p11x.SessionHandleInvalid, p11x.TokenNotRecognised, p11x.SlotIDInvalid)

def _msg_locked() -> str:
    return tr("Token đã bị khóa do nhập sai mã PIN quá số lần cho phép. "
              "Hãy liên hệ nhà cung cấp chữ ký số để mở khóa.")


def map_pkcs11_error(exc: BaseException, what: str) -> TokenError:
    """A ``TokenError`` for a python-pkcs11 exception raised while doing ``what``."""
    if isinstance(exc, TokenError):
        return exc
    if isinstance(exc, _REMOVED):
        return TokenError(tr("Token đã bị rút ra hoặc không còn phản hồi. Hãy cắm lại token "
                             "rồi thử lại."), code="token-removed")
    if isinstance(exc, p11x.FunctionCancelled):
        return TokenError(tr("Đã hủy thao tác trên token."), code="cancelled")
    if isinstance(exc, p11x.PinLocked):
        return TokenError(_msg_locked(), code="pin-locked")
    if isinstance(exc, p11x.PinLenRange | p11x.PinInvalid):
        return TokenError(tr("Mã PIN có độ dài hoặc ký tự không hợp lệ với token này."),
                          code="pin-len")
    if isinstance(exc, p11x.PinExpired):
        return TokenError(tr("Mã PIN đã hết hạn; hãy đổi mã PIN bằng phần mềm của nhà cung "
                             "cấp chữ ký số."), code="pin-expired")
    if isinstance(exc, p11x.PinIncorrect):
        return TokenError(tr("Mã PIN không đúng."), code="pin-incorrect")
    name = type(exc).__name__
    return TokenError(tr("Lỗi token khi {what}: {name} {error}", what=what, name=name,
                         error=exc).rstrip(), code="token-error")


def pin_incorrect_error(after: TokenInfo | None) -> TokenError:
    """The error for a rejected PIN, given the token's flags re-read after the attempt."""
    if after is not None and after.pin_locked:
        return TokenError(_msg_locked(), code="pin-locked")
    message = tr("Mã PIN không đúng.")
    warning = after.pin_warning() if after is not None else None
    if warning:
        message += " " + warning
    else:
        message += " " + tr("Token có thể vẫn còn vài lần thử, nhưng nhập sai quá số lần cho "
                            "phép token sẽ bị khóa: hãy kiểm tra kỹ trước khi thử lại.")
    return TokenError(message, code="pin-incorrect")


# --------------------------------------------------------------------------- owner thread


class _Owner:
    """The thread that loads one module and runs every job against it."""

    def __init__(self, path: str, factory: LibFactory | None = None) -> None:
        self.path = path
        self.factory = factory
        self.refs = 0
        self.lib: Any = None
        self._load_error: BaseException | None = None
        self._jobs: queue.SimpleQueue[tuple[concurrent.futures.Future, Callable] | None] = (
            queue.SimpleQueue())
        self.loaded: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.thread = threading.Thread(target=self._run, name=f"pkcs11:{Path(path).name}",
                                       daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.lib = (self.factory or pkcs11.lib)(self.path)
        except BaseException as exc:  # noqa: BLE001 - any failure means "cannot load"
            self._load_error = exc
            self.loaded.set_exception(module_load_error(self.path, exc))
        else:
            self.loaded.set_result(None)
        while True:
            item = self._jobs.get()
            if item is None:
                break
            fut, fn = item
            item = None
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                if self._load_error is not None:
                    raise module_load_error(self.path, self._load_error)
                if not self.lib.initialized:
                    self.lib.initialize()
                result = fn(self.lib)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)
            else:
                fut.set_result(result)
            fut = fn = None  # drop references (a job's closure may hold a PIN)
        if self.lib is not None:
            try:
                self.lib.finalize()
            except Exception:  # noqa: BLE001
                log.debug("C_Finalize failed for %s", self.path, exc_info=True)

    def submit(self, fn: Callable[[Any], T]) -> concurrent.futures.Future[T]:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._jobs.put((fut, fn))
        return fut

    def stop(self, timeout: float = 10) -> None:
        self._jobs.put(None)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)


_owners: dict[tuple[str, int], _Owner] = {}
_owners_lock = threading.Lock()


def _owner_key(path: str, factory: LibFactory | None) -> tuple[str, int]:
    return _module_key(path), id(factory) if factory is not None else 0


def _acquire_owner(path: str, factory: LibFactory | None = None) -> _Owner:
    key = _owner_key(path, factory)
    with _owners_lock:
        owner = _owners.get(key)
        if owner is None:
            owner = _owners[key] = _Owner(os.path.realpath(path), factory)
        owner.refs += 1
        return owner


def _release_owner(owner: _Owner) -> None:
    with _owners_lock:
        owner.refs -= 1
        if owner.refs > 0:
            return
        key = _owner_key(owner.path, owner.factory)
        if _owners.get(key) is owner:
            del _owners[key]
    owner.stop()


# --------------------------------------------------------------------------- helpers (owner thread)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value or "").strip()


def _token_info(token: Any) -> TokenInfo:
    return TokenInfo.from_flags(
        int(token.flags),
        slot_id=int(token.slot.slot_id),
        label=_text(token.label),
        serial=_text(token.serial),
        manufacturer=_text(token.manufacturer_id),
        model=_text(token.model),
    )


def _present_tokens(lib: Any) -> list[Any]:
    """Initialised tokens in the slots, in slot order."""
    out = []
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except _REMOVED:
            continue
        if not int(token.flags) & TokenFlag.TOKEN_INITIALIZED:
            continue
        out.append(token)
    return out


def _attr(obj: Any, attr: Attribute, default: Any = None) -> Any:
    try:
        return obj[attr]
    except (p11x.AttributeTypeInvalid, p11x.AttributeSensitive, KeyError, NotImplementedError):
        return default


def _close_quietly(session: Any) -> None:
    try:
        session.close()
    except Exception:  # noqa: BLE001 - the session ends either way
        log.debug("closing the PKCS#11 session failed", exc_info=True)


CATEGORY_AUTHORITY = 2  # CKA_CERTIFICATE_CATEGORY: certificate of a CA


def attribute_mapper() -> AttributeMapper:
    """python-pkcs11's attribute mapper, taught CKA_CERTIFICATE_CATEGORY (a CK_ULONG)."""
    mapper = AttributeMapper()
    mapper.register_handler(Attribute.CERTIFICATE_CATEGORY, *handle_ulong)
    return mapper


def _parsed(der: bytes) -> Any:
    from cryptography import x509

    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def _is_ca_cert(cert: Any) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def issuer_chain(cert_der: bytes, pool: list[bytes], limit: int = 8) -> tuple[bytes, ...]:
    """CA certificates from ``pool`` leading from ``cert_der`` towards its root, nearest
    issuer first, found by name and checked by signature; self-signed roots are left
    out (a verifier must have them as trust anchors, not take them from the signature)."""
    leaf = _parsed(cert_der)
    if leaf is None:
        return ()
    cands = [(der, c) for der in pool if der != cert_der
             for c in (_parsed(der),) if c is not None and _is_ca_cert(c)]
    chain: list[bytes] = []
    current = leaf
    for _ in range(limit):
        if current.issuer == current.subject:
            break
        nxt = None
        for der, cand in cands:
            if cand.subject != current.issuer or der in chain:
                continue
            try:
                current.verify_directly_issued_by(cand)
            except Exception:  # noqa: BLE001 - InvalidSignature, ValueError…: not the issuer
                continue
            nxt = (der, cand)
            break
        if nxt is None:
            break
        if nxt[1].issuer == nxt[1].subject:  # the root: not embedded
            break
        chain.append(nxt[0])
        current = nxt[1]
    return tuple(chain)


def certificate_entries(serial: str, label: str,
                        found: list[tuple[bytes, bytes, str, Any]],
                        key_ids: set[bytes]) -> list[CertEntry]:
    """``CertEntry`` objects for the certificates of one token: ``found`` holds
    (DER, CKA_ID, CKA_LABEL, CKA_CERTIFICATE_CATEGORY) per certificate object,
    ``key_ids`` the CKA_ID of every key object seen."""
    from client.signing.certs import cert_info

    pool = [der for der, *_ in found]
    out: list[CertEntry] = []
    for der, kid, obj_label, category in found:
        cert = _parsed(der)
        try:
            key_type = cert_info(der).key_type
        except Exception:  # noqa: BLE001 - unreadable certificate
            key_type = "other"
        is_ca = (category is not None and int(category) == CATEGORY_AUTHORITY) or (
            cert is not None and _is_ca_cert(cert))
        has_key = bool(kid) and kid in key_ids
        out.append(CertEntry(
            token_serial=serial,
            token_label=label,
            key_id=kid,
            label=obj_label,
            cert_der=der,
            has_private_key=has_key,
            key_type=key_type,
            chain=issuer_chain(der, pool) if has_key and not is_ca else (),
            is_ca=is_ca,
        ))
    return out


_HASHES: dict[str, dict[str, Any]] = {
    "sha256": {"digest": hashlib.sha256, "asn1": "sha256", "mech": Mechanism.SHA256,
               "mgf": MGF.SHA256, "rsa": Mechanism.SHA256_RSA_PKCS,
               "pss": Mechanism.SHA256_RSA_PKCS_PSS, "ecdsa": Mechanism.ECDSA_SHA256},
    "sha384": {"digest": hashlib.sha384, "asn1": "sha384", "mech": Mechanism.SHA384,
               "mgf": MGF.SHA384, "rsa": Mechanism.SHA384_RSA_PKCS,
               "pss": Mechanism.SHA384_RSA_PKCS_PSS, "ecdsa": Mechanism.ECDSA_SHA384},
    "sha512": {"digest": hashlib.sha512, "asn1": "sha512", "mech": Mechanism.SHA512,
               "mgf": MGF.SHA512, "rsa": Mechanism.SHA512_RSA_PKCS,
               "pss": Mechanism.SHA512_RSA_PKCS_PSS, "ecdsa": Mechanism.ECDSA_SHA512},
}
SCHEMES = ("pkcs1v15", "pss", "ecdsa")


def sign_plans(scheme: str, hash_alg: str, data: bytes) -> list[tuple[Any, Any, bytes, bool]]:
    """Ways to sign ``data``: (mechanism, mechanism_param, input, output_is_raw_ecdsa),
    the one-step hash-and-sign mechanism first, then hashing outside the token."""
    h = _HASHES[hash_alg]
    digest = h["digest"](data).digest()
    if scheme == "pkcs1v15":
        # RFC 8017 §9.2: the algorithm parameters are an explicit NULL.
        info = DigestInfo({"digest_algorithm": {"algorithm": h["asn1"], "parameters": Null()},
                           "digest": digest}).dump()
        return [(h["rsa"], None, data, False), (Mechanism.RSA_PKCS, None, info, False)]
    if scheme == "pss":
        param = (h["mech"], h["mgf"], len(digest))
        return [(h["pss"], param, data, False), (Mechanism.RSA_PKCS_PSS, param, digest, False)]
    if scheme == "ecdsa":
        return [(h["ecdsa"], None, data, True), (Mechanism.ECDSA, None, digest, True)]
    raise ValueError(f"unknown signature scheme {scheme!r}")


def ecdsa_raw_to_der(raw: bytes) -> bytes:
    """PKCS#11's ``r || s`` to a DER ECDSA-Sig-Value."""
    if not raw or len(raw) % 2:
        raise ValueError("malformed raw ECDSA signature")
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                int.from_bytes(raw[half:], "big"))


# Answers meaning "not this way": the next plan is tried.
_UNSUPPORTED = (p11x.MechanismInvalid, p11x.MechanismParamInvalid, p11x.FunctionNotSupported,
                p11x.KeyTypeInconsistent)


# --------------------------------------------------------------------------- service


class TokenService:
    """One thread owns the PKCS#11 library: every call into python-pkcs11 runs on it."""

    def __init__(self, module_path: str, *, reinitialize_on_refresh: bool | None = None,
                 lib_factory: LibFactory | None = None) -> None:
        """Start (or share) the owner thread for ``module_path``; it loads the module.

        Loading happens on the owner thread; a module that cannot be loaded
        makes every later call raise ``TokenError(code="module-load")``
        (:meth:`wait_loaded` reports it at once).

        ``reinitialize_on_refresh``: re-initialise the library before listing
        tokens so tokens created after loading appear. ``None`` = only for
        SoftHSM2, which never rescans otherwise; hardware modules report
        insertions through ``C_GetSlotList`` on their own.

        ``lib_factory``: how to load the module (default ``pkcs11.lib``, or what
        :func:`use_lib_factory` registered for this path) — a test double or an
        instrumented module with the same interface.
        """
        self.module_path = module_path
        self._reinit = reinitialize_on_refresh
        factory = lib_factory if lib_factory is not None else lib_factory_for(module_path)
        self._owner = _acquire_owner(module_path, factory)
        self._closed = False
        # Tests hide mechanisms to exercise the fallback paths.
        self._hidden_mechanisms: set[int] = set()

    # -- plumbing -----------------------------------------------------------

    @property
    def thread_ident(self) -> int | None:
        """``threading.get_ident()`` of the owner thread."""
        return self._owner.thread.ident

    def wait_loaded(self, timeout: float | None = 30) -> None:
        """Block until the module is loaded; raise ``TokenError("module-load")`` if it failed."""
        try:
            self._owner.loaded.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TokenError(tr("Mô-đun PKCS#11 «{path}» không phản hồi khi nạp.",
                                path=self.module_path),
                             code="timeout") from None

    def submit(self, fn: Callable[[Any], T]) -> concurrent.futures.Future[T]:
        """Run ``fn(lib)`` on the owner thread."""
        if self._closed:
            raise RuntimeError("TokenService is closed")
        return self._owner.submit(fn)

    def _call(self, fn: Callable[[Any], T], timeout: float | None) -> T:
        fut = self.submit(fn)
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TokenError(
                tr("Token không phản hồi sau {timeout:g} giây. Hãy rút token ra, cắm lại rồi "
                   "thử lại.", timeout=timeout),
                code="timeout") from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _release_owner(self._owner)

    def __enter__(self) -> TokenService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- owner-thread helpers -------------------------------------------------

    def _refresh(self, lib: Any) -> None:
        reinit = self._reinit
        if reinit is None:
            reinit = _text(lib.manufacturer_id).startswith("SoftHSM")
        if reinit:
            lib.reinitialize()

    def find_token(self, lib: Any, *, serial: str | None = None,
                   label: str | None = None) -> Any:
        """The present token with this serial and/or label (inside a job only: ``lib``
        is the one handed to the job). Re-reads the slots once before giving up."""

        def match() -> Any:
            for token in _present_tokens(lib):
                if serial is not None and _text(token.serial) != serial:
                    continue
                if label is not None and _text(token.label) != label:
                    continue
                return token
            return None

        token = match()
        if token is None:
            self._refresh(lib)
            token = match()
        if token is None:
            if serial is not None:
                text = tr("Không tìm thấy token có số sê-ri {serial}. Hãy kiểm tra token đã "
                          "được cắm vào máy chưa.", serial=serial)
            else:
                text = tr("Không tìm thấy token có nhãn «{label}». Hãy kiểm tra token đã được "
                          "cắm vào máy chưa.", label=label)
            raise TokenError(text, code="token-not-found")
        return token

    def open_session(self, lib: Any, token: Any, pin: str | None, *, rw: bool = False) -> Any:
        """Open a session on ``token`` and log the user in (or use the PIN pad).

        Inside a job only; the caller closes the session before the job ends.
        A failed login raises ``TokenError`` and is never retried."""
        info = _token_info(token)
        if info.pin_locked:
            raise TokenError(_msg_locked(), code="pin-locked")
        if pin is None:
            if info.protected_auth_path:
                user_pin: Any = pkcs11.PROTECTED_AUTH
            elif not info.login_required:
                user_pin = None
            else:
                raise TokenError(tr("Cần nhập mã PIN của token."), code="pin-required")
        else:
            user_pin = pin
        try:
            return token.open(rw=rw, user_pin=user_pin, attribute_mapper=attribute_mapper())
        except p11x.PKCS11Error as exc:
            err = map_pkcs11_error(exc, tr("đăng nhập token"))
            # python-pkcs11 leaves the session of a failed C_Login open: re-initialise
            # to close it (no session of ours spans jobs, so nothing else is lost).
            try:
                lib.reinitialize()
            except Exception:  # noqa: BLE001
                log.debug("re-initialising after a failed login failed", exc_info=True)
            if err.code == "pin-incorrect":
                err = self._pin_incorrect(lib, info.serial)
            raise err from exc

    def _pin_incorrect(self, lib: Any, serial: str) -> TokenError:
        """The wrong-PIN error, worded from the token's flags as they are now."""
        after: TokenInfo | None = None
        try:
            for token in _present_tokens(lib):
                if _text(token.serial) == serial:
                    after = _token_info(token)
                    break
        except Exception:  # noqa: BLE001
            log.debug("re-reading token flags failed", exc_info=True)
        return pin_incorrect_error(after)

    def _mechanisms(self, token: Any) -> set[int]:
        try:
            mechs = {int(m) for m in token.slot.get_mechanisms()}
        except Exception:  # noqa: BLE001 - some modules cannot list them: try anyway
            mechs = set()
        return mechs - self._hidden_mechanisms

    # -- public operations ------------------------------------------------------

    def tokens(self, timeout: float | None = 30) -> list[TokenInfo]:
        """The initialised tokens present now (slots are re-read on each call)."""

        def job(lib: Any) -> list[TokenInfo]:
            self._refresh(lib)
            try:
                return [_token_info(t) for t in _present_tokens(lib)]
            except p11x.PKCS11Error as exc:
                raise map_pkcs11_error(exc, tr("đọc danh sách token")) from exc

        return self._call(job, timeout)

    def certificates(self, token_serial: str | None = None,
                     timeout: float | None = 60) -> list[CertEntry]:
        """Certificates on one token (or on every token), each with its key match."""

        def job(lib: Any) -> list[CertEntry]:
            if token_serial is None:
                self._refresh(lib)
                tokens = _present_tokens(lib)
            else:
                tokens = [self.find_token(lib, serial=token_serial)]
            out: list[CertEntry] = []
            for token in tokens:
                try:
                    out.extend(self._token_certificates(token))
                except p11x.PKCS11Error as exc:
                    if token_serial is None and isinstance(exc, _REMOVED):
                        continue  # pulled out while listing: skip it
                    raise map_pkcs11_error(exc, tr("đọc chứng thư số trên token")) from exc
            return out

        return self._call(job, timeout)

    def _token_certificates(self, token: Any) -> list[CertEntry]:
        serial, label = _text(token.serial), _text(token.label)
        session = token.open(attribute_mapper=attribute_mapper())
        try:
            key_ids: set[bytes] = set()
            for cls in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY):
                for obj in session.get_objects({Attribute.CLASS: cls}):
                    kid = _attr(obj, Attribute.ID)
                    if kid:
                        key_ids.add(bytes(kid))
            found = []
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                der = _attr(obj, Attribute.VALUE)
                if not der:
                    continue
                found.append((bytes(der), bytes(_attr(obj, Attribute.ID, b"") or b""),
                              _text(_attr(obj, Attribute.LABEL, "")),
                              _attr(obj, Attribute.CERTIFICATE_CATEGORY)))
        finally:
            _close_quietly(session)
        return certificate_entries(serial, label, found, key_ids)

    def sign(self, token_serial: str, key_id: bytes, pin: str | None, data: bytes, *,
             hash_alg: str = "sha256", scheme: str = "pkcs1v15") -> bytes:
        """Sign ``data`` (the message, not a digest) with the key ``key_id`` on the token.

        Returns the raw signature value (DER ECDSA-Sig-Value for ``scheme="ecdsa"``).
        Raises ``TokenError``; blocks until the token answers (a PIN pad may wait
        for the user), so call it off the UI thread.
        """
        if scheme not in SCHEMES:
            raise ValueError(f"unknown signature scheme {scheme!r}")
        if hash_alg not in _HASHES:
            raise ValueError(f"unknown hash algorithm {hash_alg!r}")
        key_id = bytes(key_id)
        data = bytes(data)

        def job(lib: Any) -> bytes:
            try:
                token = self.find_token(lib, serial=token_serial)
            except p11x.PKCS11Error as exc:
                raise map_pkcs11_error(exc, tr("tìm token")) from exc
            session = self.open_session(lib, token, pin)
            try:
                return self._sign_in_session(session, token, key_id, pin, data,
                                             hash_alg, scheme)
            except p11x.PKCS11Error as exc:
                raise map_pkcs11_error(exc, tr("ký")) from exc
            finally:
                _close_quietly(session)

        return self._call(job, None)

    def _sign_in_session(self, session: Any, token: Any, key_id: bytes, pin: str | None,
                         data: bytes, hash_alg: str, scheme: str) -> bytes:
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                         Attribute.ID: key_id}))
        if not keys:
            raise TokenError(
                tr("Không tìm thấy khóa bí mật ứng với chứng thư số đã chọn trên token "
                   "(CKA_ID {key_id}).", key_id=key_id.hex() or tr("(trống)")),
                code="key-not-found")
        key = keys[0]
        key_type = _attr(key, Attribute.KEY_TYPE)
        want = KeyType.EC if scheme == "ecdsa" else KeyType.RSA
        if key_type is not None and int(key_type) != int(want):
            have = "EC" if int(key_type) == int(KeyType.EC) else "RSA"
            raise TokenError(tr("Khóa trên token là khóa {have}, không ký được theo kiểu "
                                "{scheme}.", have=have, scheme=scheme),
                             code="key-type")
        # Keys marked CKA_ALWAYS_AUTHENTICATE need the PIN again for this operation.
        reauth = pin if _attr(key, Attribute.ALWAYS_AUTHENTICATE, False) else None

        available = self._mechanisms(token)
        plans = [p for p in sign_plans(scheme, hash_alg, data)
                 if int(p[0]) not in self._hidden_mechanisms]
        # A mechanism the token lists goes first; unlisted ones are still tried.
        plans.sort(key=lambda p: int(p[0]) not in available)
        last: BaseException | None = None
        for mech, param, payload, is_ecdsa in plans:
            try:
                raw = key.sign(payload, mechanism=mech, mechanism_param=param, pin=reauth)
            except _UNSUPPORTED as exc:
                last = exc
                continue
            return ecdsa_raw_to_der(raw) if is_ecdsa else bytes(raw)
        raise TokenError(
            tr("Token không hỗ trợ thuật toán ký {scheme} với {hash}.", scheme=scheme,
               hash=hash_alg.upper()),
            code="mechanism") from last


# --------------------------------------------------------------------------- probe


LANGUAGE_ENV = "KBNN_CLIENT_LANG"


def _probe_command(path: str) -> list[str]:
    if getattr(sys, "frozen", False):  # a frozen build dispatches this flag itself
        return [sys.executable, "--probe-pkcs11", path]
    return [sys.executable, "-m", "client.signing.tokens", "--probe", path]


def probe_module(path: str, timeout: float = 15) -> ProbeResult:
    """Load ``path`` in a child process and list its tokens; a crashing module
    cannot take the application down."""
    if not os.path.isfile(path):
        return ProbeResult(False, tr("Không tìm thấy tệp mô-đun PKCS#11 «{path}».", path=path))
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    env[LANGUAGE_ENV] = language()  # the child's messages in the caller's language
    try:
        proc = subprocess.run(_probe_command(path), capture_output=True, timeout=timeout,
                              env=env, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        return ProbeResult(False, tr("Mô-đun PKCS#11 «{path}» không phản hồi sau {timeout:g} "
                                     "giây.", path=path, timeout=timeout))
    except OSError as exc:
        return ProbeResult(False, tr("Không chạy được tiến trình kiểm tra mô-đun: {error}.",
                                     error=exc))
    for line in reversed(proc.stdout.decode("utf-8", "replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            return ProbeResult(bool(doc.get("ok")), str(doc.get("message", "")),
                               list(doc.get("tokens", [])))
    return ProbeResult(
        False,
        tr("Mô-đun PKCS#11 «{path}» làm tiến trình kiểm tra dừng đột ngột (mã thoát {code}). ",
           path=path, code=proc.returncode) + _bitness_hint(),
    )


def _probe(path: str) -> dict:
    try:
        lib = pkcs11.lib(path)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "message": module_load_error(path, exc).message, "tokens": []}
    try:
        tokens = [_token_info(t).to_json() for t in _present_tokens(lib)]
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "tokens": [],
                "message": tr("Nạp được mô-đun nhưng không đọc được danh sách token: {error}.",
                              error=exc)}
    name = " ".join(x for x in (_text(lib.manufacturer_id), _text(lib.library_description)) if x)
    found = (tr("tìm thấy {count} token", count=len(tokens)) if tokens
             else tr("chưa thấy token nào được cắm"))
    return {"ok": True, "message": tr("Nạp được mô-đun PKCS#11 {name}; {found}.", name=name,
                                      found=found),
            "tokens": tokens, "library": name, "arch": platform.machine()}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "--probe":
        print("usage: python -m client.signing.tokens --probe MODULE_PATH", file=sys.stderr)
        return 2
    set_language(os.environ.get(LANGUAGE_ENV))
    result = _probe(args[1])
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
