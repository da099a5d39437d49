"""The SoftHSM2 training token: its configuration, tokens, keys and certificates.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is initialised
(``C_Initialize``), so a process uses one configuration: call
:func:`init_softhsm`, set ``os.environ["SOFTHSM2_CONF"]`` to the path it
returns, and only then create the ``TokenService``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto.core import Integer
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from pkcs11 import Attribute, CertificateType, KeyType, MechanismFlag, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from client.errors import TokenError
from client.i18n import tr
from client.signing.tokens import TokenService
from client.training.pki import TrainingCA, issue_signer_cert

T = TypeVar("T")

SOFTHSM_MODULE_CANDIDATES = [
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
    "/usr/lib64/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",
    "/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so",
    r"C:\SoftHSM2\lib\softhsm2-x64.dll",
    r"C:\SoftHSM2\lib\softhsm2.dll",
]
ENV_SOFTHSM_MODULE = "KBNN_SOFTHSM_MODULE"
CONF_NAME = "softhsm2.conf"
TOKENS_DIR = "tokens"


def softhsm_module() -> str | None:
    """The SoftHSM2 module on this machine, or ``None``.

    ``KBNN_SOFTHSM_MODULE``, when set, is the only place looked at (a path
    that does not exist means "not installed").
    """
    override = os.environ.get(ENV_SOFTHSM_MODULE)
    if override:
        return override if os.path.isfile(override) else None
    for cand in SOFTHSM_MODULE_CANDIDATES:
        if os.path.isfile(cand):
            return cand
    return None


def softhsm_util() -> str | None:
    """The ``softhsm2-util`` program, or ``None``."""
    found = shutil.which("softhsm2-util")
    if found:
        return found
    for cand in (r"C:\SoftHSM2\bin\softhsm2-util.exe", "/usr/local/bin/softhsm2-util",
                 "/opt/homebrew/bin/softhsm2-util"):
        if os.path.isfile(cand):
            return cand
    return None


def softhsm_install_hint() -> str:
    """How to install SoftHSM2 here, in the language of :mod:`client.i18n`."""
    if sys.platform.startswith("win"):
        return tr("Chưa cài SoftHSM2 — token mềm dùng cho chế độ đào tạo. Để cài, tải bộ cài "
                  "SoftHSM2 cho Windows (bản 64-bit) và cài vào thư mục {folder}, hoặc đặt biến "
                  "môi trường KBNN_SOFTHSM_MODULE trỏ tới softhsm2-x64.dll.",
                  folder="C:\\SoftHSM2")
    if sys.platform == "darwin":
        return tr("Chưa cài SoftHSM2 — token mềm dùng cho chế độ đào tạo. Để cài, chạy lệnh: "
                  "brew install softhsm")
    return tr("Chưa cài SoftHSM2 — token mềm dùng cho chế độ đào tạo. Để cài, chạy lệnh: "
              "sudo apt-get install softhsm2 (Debian/Ubuntu) hoặc sudo dnf install softhsm "
              "(Fedora).")


def init_softhsm(folder: Path) -> Path:
    """Write ``folder/softhsm2.conf`` keeping tokens in ``folder/tokens``; return its path.

    The caller sets ``os.environ["SOFTHSM2_CONF"]`` to the result before the
    module is loaded.
    """
    folder = Path(folder).resolve()
    tokens = folder / TOKENS_DIR
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / CONF_NAME
    text = (
        "# SoftHSM2 configuration of the KBNN Client training token\n"
        f"directories.tokendir = {tokens}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )
    if not conf.exists() or conf.read_text(encoding="utf-8") != text:
        conf.write_text(text, encoding="utf-8")
    return conf


def create_token(conf: Path, label: str, so_pin: str, pin: str) -> None:
    """Initialise a new token in the first free slot with ``softhsm2-util``."""
    util = softhsm_util()
    if util is None:
        raise TokenError(softhsm_install_hint(), code="softhsm-missing")
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    try:
        proc = subprocess.run(
            [util, "--init-token", "--free", "--label", label, "--so-pin", so_pin,
             "--pin", pin],
            env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TokenError(tr("Không chạy được softhsm2-util để tạo token «{label}»: {error}.",
                            label=label, error=exc),
                         code="softhsm-util") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise TokenError(tr("Không tạo được token đào tạo «{label}»: {detail}", label=label,
                            detail=detail),
                         code="softhsm-util")


def _public_key(pub: Any, key_type: KeyType) -> Any:
    """A ``cryptography`` public key from a PKCS#11 public-key object."""
    if key_type == KeyType.RSA:
        return rsa.RSAPublicNumbers(
            int.from_bytes(pub[Attribute.PUBLIC_EXPONENT], "big"),
            int.from_bytes(pub[Attribute.MODULUS], "big"),
        ).public_key()
    return load_der_public_key(encode_ec_public_key(pub))


def _store_certificate(session: Any, cert_der: bytes, key_id: bytes, label: str,
                       category: int | None = None) -> None:
    cert = x509.load_der_x509_certificate(cert_der)
    extra = {} if category is None else {Attribute.CERTIFICATE_CATEGORY: category}
    session.create_object({
        **extra,
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: False,
        Attribute.ID: key_id,
        Attribute.LABEL: label,
        Attribute.SUBJECT: cert.subject.public_bytes(),
        Attribute.ISSUER: cert.issuer.public_bytes(),
        Attribute.SERIAL_NUMBER: Integer(cert.serial_number).dump(),
        Attribute.VALUE: cert.public_bytes(Encoding.DER),
    })


def on_token(service: TokenService, token_label: str, pin: str,
             work: Callable[[Any], T]) -> T:
    """Run ``work(session)`` in a read-write session of the token labelled ``token_label``
    (logged in with ``pin``) on the service's owner thread; the session is closed after."""

    def job(lib: Any) -> T:
        token = service.find_token(lib, label=token_label)
        session = service.open_session(lib, token, pin, rw=True)
        try:
            return work(session)
        finally:
            try:
                session.close()
            except Exception:  # noqa: BLE001
                pass

    return service.submit(job).result()


def provision_signer(service: TokenService, token_label: str, pin: str, ca: TrainingCA, *,
                     name: str, organisation: str, unit_code: str, key_type: str = "rsa",
                     key_id: bytes | None = None, **cert_kwargs: Any) -> bytes:
    """Generate a key pair on the token, issue its certificate with ``ca`` and store it
    beside the key (same CKA_ID, label ``name``). Returns the certificate (DER).

    ``key_type``: ``"rsa"`` (2048) or ``"ec"`` (P-256). ``cert_kwargs`` go to
    :func:`client.training.pki.issue_signer_cert` (``cccd``, validity, key usage …).
    """
    if key_type not in ("rsa", "ec"):
        raise ValueError(f"unknown key type {key_type!r}")
    kid = key_id if key_id is not None else os.urandom(8)
    label = name

    def work(session: Any) -> bytes:
        caps = MechanismFlag.SIGN | MechanismFlag.VERIFY
        if key_type == "rsa":
            pub, _priv = session.generate_keypair(
                KeyType.RSA, 2048, id=kid, label=label, store=True, capabilities=caps)
            public_key = _public_key(pub, KeyType.RSA)
        else:
            params = session.create_domain_parameters(
                KeyType.EC,
                {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
                local=True)
            pub, _priv = params.generate_keypair(
                id=kid, label=label, store=True, capabilities=caps)
            public_key = _public_key(pub, KeyType.EC)
        cert_der = issue_signer_cert(ca, public_key, name=name, organisation=organisation,
                                     unit_code=unit_code, **cert_kwargs)
        _store_certificate(session, cert_der, kid, label)
        return cert_der

    return on_token(service, token_label, pin, work)


def import_cert_only(service: TokenService, token_label: str, pin: str, cert_der: bytes,
                     key_id: bytes, label: str = "") -> None:
    """Store a certificate without any key (tests: "certificate without its key")."""
    on_token(service, token_label, pin,
             lambda session: _store_certificate(session, cert_der, key_id, label or "certificate"))


def store_ca_certificate(service: TokenService, token_label: str, pin: str, cert_der: bytes,
                         label: str = "CA") -> None:
    """Store a CA certificate (e.g. the intermediate that issued the signer) on the token,
    as vendors do: no key, CKA_CERTIFICATE_CATEGORY = authority."""
    from client.signing.tokens import CATEGORY_AUTHORITY

    kid = hashlib.sha1(cert_der).digest()  # noqa: S324 - an object id, not security
    on_token(service, token_label, pin,
             lambda session: _store_certificate(session, cert_der, kid, label,
                                                category=CATEGORY_AUTHORITY))
