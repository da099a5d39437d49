"""CAdES-BES detached CMS over a manifest, via pyHanko's CMS signer.

The private key never comes here: ``raw_sign(data, hash_name)`` receives the DER
of the signed attributes (the message to sign) and the hash name ("sha256" or
"sha384") and returns the raw signature (for ECDSA a DER Ecdsa-Sig-Value).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from asn1crypto import algos, cms, core, keys, x509
from pyhanko.sign.ades.api import CAdESSignedAttrSpec, SignerAttrSpec
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes, Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

ROLE_OID = "2.5.4.72"  # id-at-role
SCHEMES = ("pkcs1v15", "pss", "ecdsa")

RawSign = Callable[[bytes, str], bytes]
T = TypeVar("T")


class ClaimedRole(core.Choice):
    """One value of a claimed ``id-at-role`` attribute.

    CAdES practice (EU DSS, Spain's @firma, and package-format §1: "a value naming
    the role") writes the role as a DirectoryString, here a UTF8String. asn1crypto
    only knows the RFC 5755 attribute-certificate syntax (``RoleSyntax``) for
    2.5.4.72, so pyHanko could not parse our claimed attribute and logged a warning
    with a traceback on every verification. Both forms are accepted when reading.
    """

    _alternatives = [
        ("role_syntax", cms.RoleSyntax),
        ("teletex_string", core.TeletexString),
        ("printable_string", core.PrintableString),
        ("universal_string", core.UniversalString),
        ("utf8_string", core.UTF8String),
        ("bmp_string", core.BMPString),
    ]


class _SetOfClaimedRole(core.SetOf):
    _child_spec = ClaimedRole


# Register the syntax the way pyHanko registers its own CAdES attributes
# (pyhanko.sign.ades.asn1_util): every AttCertAttribute of type "role" — ours in
# signer-attributes-v2 and any in an attribute certificate — now parses as either form.
cms.AttCertAttribute._oid_specs["role"] = _SetOfClaimedRole


def role_attribute(role: str) -> cms.AttCertAttribute:
    """The claimed ``id-at-role`` attribute with one UTF8String value."""
    return cms.AttCertAttribute({
        "type": "role",
        "values": [ClaimedRole(name="utf8_string", value=role)],
    })


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, also when called from inside a running loop."""
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if not in_loop:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def digest_for(cert: x509.Certificate) -> str:
    """The digest algorithm used with this certificate's key (package-format §1)."""
    pub = cert.public_key
    if pub.algorithm == "rsa":
        if pub.bit_size < 2048:
            raise ValueError(f"RSA key too small ({pub.bit_size} bits; at least 2048 required)")
        return "sha256"
    if pub.algorithm == "ec":
        curve = pub.curve[1]
        if curve in ("secp256r1", "prime256v1"):
            return "sha256"
        if curve == "secp384r1":
            return "sha384"
        raise ValueError(f"unsupported EC curve {curve}")
    raise ValueError(f"unsupported key type {pub.algorithm}")


def signature_mechanism(cert: x509.Certificate, scheme: str,
                        md: str) -> algos.SignedDigestAlgorithm:
    key_alg = cert.public_key.algorithm
    if scheme not in SCHEMES:
        raise ValueError(f"unknown signature scheme {scheme!r}")
    if (key_alg == "ec") != (scheme == "ecdsa"):
        raise ValueError(f"scheme {scheme!r} does not match a {key_alg} key")
    if scheme == "ecdsa":
        return algos.SignedDigestAlgorithm({"algorithm": f"{md}_ecdsa"})
    if scheme == "pkcs1v15":
        return algos.SignedDigestAlgorithm({"algorithm": f"{md}_rsa"})
    # RSASSA-PSS: MGF1 with the same hash, salt length = hash length (what
    # PKCS#11 tokens use with CKM_SHA256_RSA_PKCS_PSS).
    hash_len = {"sha256": 32, "sha384": 48, "sha512": 64}[md]
    params = algos.RSASSAPSSParams({
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": md}),
        "mask_gen_algorithm": algos.MaskGenAlgorithm({
            "algorithm": "mgf1",
            "parameters": algos.DigestAlgorithm({"algorithm": md}),
        }),
        "salt_length": hash_len,
        "trailer_field": "trailer_field_bc",
    })
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})


def _ecdsa_der(sig: bytes, cert: x509.Certificate) -> bytes:
    """Accept a raw r||s ECDSA signature too, and return DER Ecdsa-Sig-Value."""
    try:
        parsed = algos.DSASignature.load(sig, strict=True)
        parsed.native  # noqa: B018 - force a full parse
        return sig
    except (ValueError, TypeError):
        pass
    size = (cert.public_key.bit_size + 7) // 8
    if len(sig) != 2 * size:
        raise ValueError("ECDSA signature has an unexpected format")
    return algos.DSASignature.from_p1363(sig).dump()


class CallbackSigner(Signer):
    """pyHanko ``Signer`` whose raw signing is delegated to a callback (the token)."""

    def __init__(self, cert: x509.Certificate, chain: list[x509.Certificate],
                 raw_sign: RawSign, mechanism: algos.SignedDigestAlgorithm) -> None:
        super().__init__(
            signing_cert=cert,
            cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
            signature_mechanism=mechanism,
            embed_roots=True,
        )
        self._raw_sign = raw_sign

    async def async_sign_raw(self, data: bytes, digest_algorithm: str,
                             dry_run: bool = False) -> bytes:
        if dry_run:  # pragma: no cover - pyHanko only uses this for PDF size estimates
            return bytes(512)
        sig = self._raw_sign(data, digest_algorithm)
        if self.signing_cert.public_key.algorithm == "ec":
            sig = _ecdsa_der(sig, self.signing_cert)
        return sig


def complete_chain(cert_der: bytes, chain: list[bytes], store: list[bytes],
                   max_depth: int = 6) -> list[bytes]:
    """``chain`` (the CA certificates the token holds) plus the intermediates from ``store``
    (the configured trust store) that link ``cert_der`` up to its root (package-format §1:
    "with any intermediates the token or the configured trust store has").

    Only CA certificates whose subject is the issuer (and, when both are present, whose
    key identifier is the authority key identifier) are taken; the self-signed root is
    not embedded — the verifier has it as a trust anchor.
    """
    out = list(chain)
    pool: list[x509.Certificate] = []
    for der in [*chain, *store]:
        try:
            pool.append(x509.Certificate.load(der))
        except ValueError:
            continue
    current = x509.Certificate.load(cert_der)
    for _ in range(max_depth):
        if current.self_signed != "no":
            break
        aki = current.authority_key_identifier
        issuer = next((c for c in pool if c.ca and c.subject == current.issuer
                       and (aki is None or c.key_identifier in (None, aki))), None)
        if issuer is None or issuer.self_signed != "no":
            break
        der = issuer.dump()
        if der in out or der == cert_der:
            break
        out.append(der)
        current = issuer
    return out


def sign_manifest(manifest: bytes, *, cert_der: bytes, chain: list[bytes], role: str,
                  raw_sign: RawSign, scheme: str = "pkcs1v15",
                  signing_time: datetime | None = None) -> bytes:
    """DER CMS SignedData, detached over ``manifest``, CAdES-BES with the claimed role."""
    cert = x509.Certificate.load(cert_der)
    chain_certs = [x509.Certificate.load(c) for c in chain if c != cert_der]
    md = digest_for(cert)
    mech = signature_mechanism(cert, scheme, md)
    when = signing_time or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("signing_time must be timezone-aware")
    when = when.replace(microsecond=0)
    signer = CallbackSigner(cert, chain_certs, raw_sign, mech)
    attrs = PdfCMSSignedAttributes(
        signing_time=when,
        cades_signed_attrs=CAdESSignedAttrSpec(
            signer_attributes=SignerAttrSpec(
                claimed_attrs=[role_attribute(role)], certified_attrs=[],
            ),
        ),
    )
    try:
        content_info = run_sync(signer.async_sign_general_data(
            manifest, md, detached=True, use_cades=True, signed_attr_settings=attrs,
        ))
    except SigningError as exc:
        raise ValueError(f"CMS signing failed: {exc}") from exc
    return content_info.dump()


# ---- reading helpers shared with verify.py ----------------------------------


def _signed_attr(signer_info: cms.SignerInfo, name: str) -> list[Any]:
    attrs = signer_info["signed_attrs"]
    if isinstance(attrs, core.Void):
        return []
    return [a for a in attrs if a["type"].native == name]


def claimed_roles(signer_info: cms.SignerInfo) -> list[str]:
    """Every claimed id-at-role value in signer-attributes-v2 (normally exactly one)."""
    roles: list[str] = []
    for attr in _signed_attr(signer_info, "signer_attributes_v2"):
        for value in attr["values"]:
            claimed = value["claimed_attributes"]
            if isinstance(claimed, core.Void):
                continue
            for item in claimed:
                if item["type"].dotted != ROLE_OID:
                    continue
                for v in item["values"]:
                    if v.name == "role_syntax":
                        # RFC 5755 form: no string of ours; name it for the report
                        roles.append(str(v.chosen["role_name"].native))
                    else:
                        roles.append(str(v.native))
    return roles


def signing_time_of(signer_info: cms.SignerInfo) -> datetime | None:
    values = [v for a in _signed_attr(signer_info, "signing_time") for v in a["values"]]
    if len(values) != 1:
        return None
    value = values[0].native
    return value if isinstance(value, datetime) else None


def public_key_info(cert_der: bytes) -> keys.PublicKeyInfo:
    return x509.Certificate.load(cert_der).public_key
