"""SoftHSM2 helpers for tests.

THE RULE — one SoftHSM2 configuration per PROCESS
-------------------------------------------------
SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is initialised
(``C_Initialize``), a PKCS#11 module is loaded once per process, and
``TokenService`` re-initialises SoftHSM when it re-reads the slots (which
re-reads ``SOFTHSM2_CONF`` too). Two tests in one pytest process that point
``SOFTHSM2_CONF`` at different folders would therefore see each other's
tokens, or none. So:

* In-process tests (``TokenService`` in the pytest process) share ONE token
  folder through :func:`process_token_env`. Never set ``SOFTHSM2_CONF``
  yourself. Use a session-scoped fixture::

      from tests.softhsm import process_token_env

      @pytest.fixture(scope="session")
      def hsm():
          return process_token_env([("KTT", "1111"), ("TTDV", "2222")])

      def test_something(hsm):
          with TokenService(hsm.module) as svc:
              ...

  Tokens are shared by every test of the run: create your keys with your own
  ``key_id`` (or your own token label) and filter by it. :func:`signing_env`
  gives ready-made signers (CA + one RSA key/certificate per token).

* A test that needs its OWN token folder (e.g. a fresh training home) runs
  the PKCS#11 side in a CHILD process: :func:`make_token_env` builds the
  configuration and tokens without touching ``os.environ``, and
  :func:`run_python` / :func:`subprocess_env` start the child with
  ``SOFTHSM2_CONF`` set.

Every helper skips the test (``pytest.skip``) when SoftHSM2 is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from client.training.token import (
    create_token,
    init_softhsm,
    softhsm_install_hint,
    softhsm_module,
    softhsm_util,
)

SO_PIN = "12345678"
DEFAULT_TOKENS = (("KTT", "1111"), ("TTDV", "2222"))
ROOT = Path(__file__).resolve().parents[1]

_lock = threading.Lock()
_process_env: TokenEnv | None = None
_signing_env: SigningEnv | None = None


def require_softhsm() -> str:
    """The SoftHSM2 module path; skips the test when SoftHSM2 or its util is missing."""
    module = softhsm_module()
    if module is None or softhsm_util() is None:
        pytest.skip(softhsm_install_hint())
    return module


@dataclass
class TokenEnv:
    """A SoftHSM2 token folder: ``folder/softhsm2.conf`` and ``folder/tokens``."""

    folder: Path
    conf: Path
    module: str
    pins: dict[str, str] = field(default_factory=dict)  # token label -> user PIN
    so_pin: str = SO_PIN

    def add_token(self, label: str, pin: str) -> None:
        """Create token ``label`` unless it exists (with the same PIN)."""
        known = self.pins.get(label)
        if known is not None:
            if known != pin:
                raise RuntimeError(f"token {label!r} already exists with another PIN")
            return
        create_token(self.conf, label, self.so_pin, pin)
        self.pins[label] = pin


def make_token_env(tmp_path: Path, tokens: list[tuple[str, str]] | tuple = DEFAULT_TOKENS,
                   ) -> tuple[Path, str]:
    """Build a SoftHSM2 configuration with ``tokens`` ((label, pin), …) under ``tmp_path``.

    Does NOT set ``SOFTHSM2_CONF``: use the result in a child process
    (:func:`run_python`). Returns ``(conf_path, module_path)``.
    """
    module = require_softhsm()
    env = TokenEnv(Path(tmp_path), init_softhsm(Path(tmp_path)), module)
    for label, pin in tokens:
        env.add_token(label, pin)
    return env.conf, module


def process_token_env(tokens: list[tuple[str, str]] | tuple = DEFAULT_TOKENS) -> TokenEnv:
    """The one SoftHSM2 token folder of this process, with at least ``tokens``.

    The first call creates it in a temporary folder and sets
    ``os.environ["SOFTHSM2_CONF"]``; later calls return the same folder and add
    any missing token. Raises if something else changed ``SOFTHSM2_CONF``.
    """
    global _process_env
    module = require_softhsm()
    with _lock:
        if _process_env is None:
            folder = Path(tempfile.mkdtemp(prefix="kbnn-softhsm-"))
            conf = init_softhsm(folder)
            _process_env = TokenEnv(folder, conf, module)
            os.environ["SOFTHSM2_CONF"] = str(conf)
        env = _process_env
        if os.environ.get("SOFTHSM2_CONF") != str(env.conf):
            raise RuntimeError(
                "SOFTHSM2_CONF was changed by another test; in-process SoftHSM tests must "
                "share tests.softhsm.process_token_env() (see tests/softhsm.py)")
        for label, pin in tokens:
            env.add_token(label, pin)
        return env


@dataclass
class Signer:
    token_label: str
    token_serial: str
    pin: str
    key_id: bytes
    cert_der: bytes


@dataclass
class SigningEnv:
    """The process token folder with a training CA and one RSA signer per token."""

    tokens: TokenEnv
    ca: object  # client.training.pki.TrainingCA
    signers: dict[str, Signer]  # by token label ("KTT", "TTDV")

    @property
    def module(self) -> str:
        return self.tokens.module


def signing_env() -> SigningEnv:
    """Process-wide: tokens KTT (PIN 1111) and TTDV (PIN 2222), each holding an RSA key
    and a certificate from one training CA (key ids ``b"KTT-rsa"`` / ``b"TTDV-rsa"``)."""
    global _signing_env
    from client.signing.tokens import TokenService
    from client.training.pki import create_ca
    from client.training.token import provision_signer

    env = process_token_env(DEFAULT_TOKENS)
    with _lock:
        if _signing_env is not None:
            return _signing_env
        ca = create_ca()
        people = {"KTT": ("NGUYỄN THỊ KẾ TOÁN", "001085000001"),
                  "TTDV": ("TRẦN VĂN THỦ TRƯỞNG", "001080000002")}
        signers: dict[str, Signer] = {}
        with TokenService(env.module) as svc:
            serials = {t.label: t.serial for t in svc.tokens()}
            for label, pin in DEFAULT_TOKENS:
                name, cccd = people[label]
                key_id = f"{label}-rsa".encode()
                cert = provision_signer(
                    svc, label, pin, ca, name=name, organisation="Trường Tiểu học Đào Tạo",
                    unit_code="1047665", cccd=cccd, key_id=key_id)
                signers[label] = Signer(label, serials[label], pin, key_id, cert)
        _signing_env = SigningEnv(env, ca, signers)
        return _signing_env


def subprocess_env(conf: Path) -> dict[str, str]:
    """``os.environ`` for a child process using ``conf`` (and able to import ``client``)."""
    env = dict(os.environ)
    env["SOFTHSM2_CONF"] = str(conf)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_python(conf: Path, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run ``python -c code`` in a child process that uses SoftHSM configuration ``conf``."""
    return subprocess.run([sys.executable, "-c", code], env=subprocess_env(conf), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
