"""Trust anchors for verification: one place for the CLI, the GUI and the sandbox.

In order: the national roots shipped in ``resources/trust/`` (PEM/DER files,
see its README), the training CA in training mode (``training/pki/ca.pem``
only — never the signer certificates kept beside it), the files listed in
``settings.ini`` ``[signing] trust`` (separated by the OS path separator),
and the files given on the command line (``--trust``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from client.errors import InvalidInput
from client.i18n import tr
from client.resources import resource

CERT_SUFFIXES = (".pem", ".cer", ".crt", ".der")


def load_cert_file(path: str | os.PathLike) -> list[bytes]:
    """DER certificates in a PEM (one or more) or DER file; ``InvalidInput`` otherwise."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(tr("Không đọc được tệp chứng thư số «{path}»: {error}.",
                              path=path, error=exc.strerror)) from exc
    try:
        if b"-----BEGIN" in data:
            return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]
    except ValueError as exc:
        raise InvalidInput(tr("Tệp «{path}» không phải là chứng thư số (PEM hoặc DER).",
                              path=path)) from exc


def load_trust_dir(folder: str | os.PathLike, *, ca_only: bool = False) -> list[bytes]:
    """DER certificates from every .pem/.cer/.crt/.der file in ``folder`` (not recursive).

    ``ca_only``: keep only CA certificates (basicConstraints CA:TRUE).
    """
    folder = Path(folder)
    out: list[bytes] = []
    if not folder.is_dir():
        return out
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in CERT_SUFFIXES or not p.is_file():
            continue
        for der in load_cert_file(p):
            if ca_only and not _is_ca(der):
                continue
            if der not in out:
                out.append(der)
    return out


def _is_ca(der: bytes) -> bool:
    cert = x509.load_der_x509_certificate(der)
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def national_roots() -> list[bytes]:
    """The roots shipped with the application (``resources/trust/``)."""
    return load_trust_dir(resource("trust"))


def trust_anchors(home: Any | None = None, extra: list[str | os.PathLike] | None = None
                  ) -> list[bytes]:
    """Every trust anchor for ``home`` (a ``client.home.Home`` or ``None``) plus ``extra``
    files, without duplicates."""
    anchors = national_roots()
    if home is not None:
        if home.is_training:
            anchors += load_trust_dir(home.training_dir / "pki", ca_only=True)
        for f in (home.get("signing", "trust") or "").split(os.pathsep):
            if f.strip():
                anchors += load_cert_file(f.strip())
    for p in extra or []:
        anchors += load_cert_file(p)
    out: list[bytes] = []
    for der in anchors:
        if der not in out:
            out.append(der)
    return out
