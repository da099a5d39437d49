"""A PKCS#11 test double with python-pkcs11's ``lib`` interface, for what SoftHSM2 cannot do.

SoftHSM2 never locks a PIN, has no PIN pad and cannot be pulled out of the
USB port. This fake behaves like a hardware token at the boundary
``TokenService`` uses (``lib.get_slots`` → ``slot.get_token`` →
``token.flags`` / ``token.open(user_pin=…)`` → ``session.get_objects`` →
``key.sign``), raising python-pkcs11's own exceptions:

* a user PIN with a retry counter: a wrong PIN raises ``PinIncorrect``,
  sets ``CKF_USER_PIN_COUNT_LOW``, ``CKF_USER_PIN_FINAL_TRY`` when one try is
  left, and ``CKF_USER_PIN_LOCKED`` (then ``PinLocked``) when none is; the
  right PIN resets the counter;
* a protected authentication path (PIN pad) that may be cancelled;
* faults injected into ``sign`` (``TokenNotPresent``, ``DeviceRemoved``,
  ``FunctionCancelled``…) and a token that can be "removed";
* private keys visible only after login, certificates always.

Signatures are real (``cryptography`` keys), so packages signed through the
fake verify. Every login attempt is recorded in ``FakeToken.logins``.

Use it through ``client.signing.tokens.use_lib_factory(path, FakeModule(...))``
or ``TokenService(path, lib_factory=FakeModule(...))``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pkcs11
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11x

BASE_FLAGS = (TokenFlag.TOKEN_INITIALIZED | TokenFlag.LOGIN_REQUIRED
              | TokenFlag.USER_PIN_INITIALIZED | TokenFlag.RNG)

_HASH = {
    Mechanism.SHA256_RSA_PKCS: hashes.SHA256, Mechanism.SHA384_RSA_PKCS: hashes.SHA384,
    Mechanism.SHA256_RSA_PKCS_PSS: hashes.SHA256, Mechanism.SHA384_RSA_PKCS_PSS: hashes.SHA384,
    Mechanism.ECDSA_SHA256: hashes.SHA256, Mechanism.ECDSA_SHA384: hashes.SHA384,
}
MECHANISMS = frozenset({*_HASH, Mechanism.ECDSA})


@dataclass
class FakeObject:
    attrs: dict
    key: Any = None  # cryptography private key for private-key objects
    token: FakeToken | None = None

    def __getitem__(self, attr: Attribute) -> Any:
        return self.attrs[attr]  # KeyError for attributes the object does not have

    def sign(self, data: bytes, mechanism: Any = None, mechanism_param: Any = None,
             pin: Any = None) -> bytes:
        tok = self.token
        tok.sign_calls += 1
        if tok.fail_sign is not None:
            raise tok.fail_sign
        mech = Mechanism(int(mechanism))
        if mech not in tok.mechanisms:
            raise p11x.MechanismInvalid()
        if isinstance(self.key, rsa.RSAPrivateKey):
            h = _HASH.get(mech)
            if h is None or mech not in (Mechanism.SHA256_RSA_PKCS, Mechanism.SHA384_RSA_PKCS,
                                         Mechanism.SHA256_RSA_PKCS_PSS,
                                         Mechanism.SHA384_RSA_PKCS_PSS):
                raise p11x.MechanismInvalid()
            if "PSS" in mech.name:
                return self.key.sign(data, padding.PSS(mgf=padding.MGF1(h()),
                                                       salt_length=h().digest_size), h())
            return self.key.sign(data, padding.PKCS1v15(), h())
        if mech == Mechanism.ECDSA:  # the data is the digest
            algo = {32: hashes.SHA256(), 48: hashes.SHA384()}[len(data)]
            der = self.key.sign(data, ec.ECDSA(Prehashed(algo)))
        elif mech in (Mechanism.ECDSA_SHA256, Mechanism.ECDSA_SHA384):
            der = self.key.sign(data, ec.ECDSA(_HASH[mech]()))
        else:
            raise p11x.MechanismInvalid()
        r, s = decode_dss_signature(der)
        size = (self.key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")  # PKCS#11: r || s


@dataclass
class FakeSession:
    token: FakeToken
    logged_in: bool
    closed: bool = False

    def get_objects(self, template: dict | None = None) -> list[FakeObject]:
        if self.token.removed:
            raise p11x.DeviceRemoved()
        out = []
        for obj in self.token.objects:
            if obj.attrs.get(Attribute.PRIVATE) and not self.logged_in:
                continue
            if all(obj.attrs.get(k) == v for k, v in (template or {}).items()):
                out.append(obj)
        return out

    def close(self) -> None:
        self.closed = True
        self.token.open_sessions -= 1


@dataclass
class FakeToken:
    label: str
    pin: str
    serial_text: str = ""
    max_tries: int = 3
    protected_auth: bool = False
    pad_result: BaseException | None = None  # what the PIN pad answers (e.g. cancelled)
    reports_counters: bool = True  # some tokens never set COUNT_LOW / FINAL_TRY
    mechanisms: set = field(default_factory=lambda: set(MECHANISMS))
    manufacturer_id: str = "Fake Token Vendor"
    model: str = "FAKE-1"
    # state
    tries_left: int = -1
    removed: bool = False
    fail_sign: BaseException | None = None
    objects: list[FakeObject] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)  # "pin" | "pad" per login attempt
    sign_calls: int = 0
    open_sessions: int = 0
    slot: FakeSlot | None = None

    def __post_init__(self) -> None:
        if self.tries_left < 0:
            self.tries_left = self.max_tries
        if not self.serial_text:
            self.serial_text = hashlib.sha256(self.label.encode()).hexdigest()[:16]

    # -- the python-pkcs11 Token interface ---------------------------------
    @property
    def serial(self) -> bytes:
        return self.serial_text.encode()

    @property
    def flags(self) -> TokenFlag:
        flags = BASE_FLAGS
        if self.protected_auth:
            flags |= TokenFlag.PROTECTED_AUTHENTICATION_PATH
        if self.tries_left <= 0:
            flags |= TokenFlag.USER_PIN_LOCKED
        elif self.reports_counters:
            if self.tries_left < self.max_tries:
                flags |= TokenFlag.USER_PIN_COUNT_LOW
            if self.tries_left == 1:
                flags |= TokenFlag.USER_PIN_FINAL_TRY
        return TokenFlag(flags)

    def open(self, rw: bool = False, user_pin: Any = None, so_pin: Any = None,
             user_type: Any = None, attribute_mapper: Any = None, **_: Any) -> FakeSession:
        if self.removed:
            raise p11x.TokenNotPresent()
        if user_pin is not None:
            if user_pin is pkcs11.PROTECTED_AUTH:
                self.logins.append("pad")
                if self.tries_left <= 0:
                    raise p11x.PinLocked()
                if self.pad_result is not None:
                    raise self.pad_result
            else:
                self.logins.append("pin")
                if self.tries_left <= 0:
                    raise p11x.PinLocked()
                if user_pin != self.pin:
                    self.tries_left -= 1
                    raise p11x.PinIncorrect()
                self.tries_left = self.max_tries
        self.open_sessions += 1
        return FakeSession(self, logged_in=user_pin is not None)

    # -- test helpers ----------------------------------------------------------
    def add_key(self, key_id: bytes, private_key: Any, cert_der: bytes | None,
                label: str = "") -> None:
        """A key pair (and its certificate, unless ``None``) under CKA_ID ``key_id``."""
        kt = KeyType.EC if isinstance(private_key, ec.EllipticCurvePrivateKey) else KeyType.RSA
        self.objects.append(FakeObject({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                        Attribute.ID: key_id, Attribute.LABEL: label,
                                        Attribute.KEY_TYPE: kt, Attribute.PRIVATE: True},
                                       private_key, self))
        self.objects.append(FakeObject({Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                        Attribute.ID: key_id, Attribute.LABEL: label,
                                        Attribute.KEY_TYPE: kt}, None, self))
        if cert_der is not None:
            self.add_certificate(cert_der, key_id, label)

    def add_certificate(self, cert_der: bytes, key_id: bytes = b"", label: str = "",
                        category: int | None = None) -> None:
        attrs = {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.ID: key_id,
                 Attribute.LABEL: label, Attribute.VALUE: cert_der}
        if category is not None:
            attrs[Attribute.CERTIFICATE_CATEGORY] = category
        self.objects.append(FakeObject(attrs, None, self))

    def pin_logins(self) -> int:
        return len(self.logins)


@dataclass
class FakeSlot:
    slot_id: int
    token: FakeToken

    def get_token(self) -> FakeToken:
        if self.token.removed:
            raise p11x.TokenNotPresent()
        return self.token

    def get_mechanisms(self) -> set:
        return set(self.token.mechanisms)


class FakeLib:
    """What ``pkcs11.lib(path)`` returns, for the fake tokens."""

    manufacturer_id = "Fake PKCS#11"
    library_description = "test double"

    def __init__(self, tokens: list[FakeToken]) -> None:
        self.tokens = tokens
        self.initialized = True
        self.init_count = 1
        for i, tok in enumerate(tokens):
            tok.slot = FakeSlot(i, tok)

    def initialize(self) -> None:
        self.initialized = True
        self.init_count += 1

    def finalize(self) -> None:
        self.initialized = False

    def reinitialize(self) -> None:
        self.finalize()
        self.initialize()

    def get_slots(self, token_present: bool = False) -> list[FakeSlot]:
        return [t.slot for t in self.tokens if not (token_present and t.removed)]


class FakeModule:
    """A lib factory: ``FakeModule(tokens)(path)`` → the one ``FakeLib`` of these tokens."""

    def __init__(self, tokens: list[FakeToken]) -> None:
        self.tokens = tokens
        self.lib = FakeLib(tokens)
        self.loads: list[str] = []

    def __call__(self, path: str) -> FakeLib:
        self.loads.append(path)
        return self.lib


# --------------------------------------------------------------------------- a real module, counted


class _Proxy:
    def __init__(self, inner: Any, counter: CountingFactory) -> None:
        self._inner = inner
        self._counter = counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _CountedToken(_Proxy):
    @property
    def slot(self) -> Any:
        return _CountedSlot(self._inner.slot, self._counter)

    def open(self, *args: Any, **kwargs: Any) -> Any:
        pin = kwargs.get("user_pin", args[1] if len(args) > 1 else None)
        if pin is not None:
            self._counter.logins.append(str(self._inner.label).strip())
        return self._inner.open(*args, **kwargs)


class _CountedSlot(_Proxy):
    def get_token(self) -> Any:
        return _CountedToken(self._inner.get_token(), self._counter)


class _CountedLib(_Proxy):
    def get_slots(self, *args: Any, **kwargs: Any) -> list:
        return [_CountedSlot(s, self._counter) for s in self._inner.get_slots(*args, **kwargs)]

    @property
    def initialized(self) -> bool:
        return self._inner.initialized


class CountingFactory:
    """A lib factory around the REAL module (``pkcs11.lib``) that records every login
    (``token.open`` with a user PIN or the PIN pad) by token label."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, path: str) -> Any:
        return _CountedLib(pkcs11.lib(path), self)
