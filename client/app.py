"""The application core that both front ends (CLI and GUI) drive.

``AppContext`` ties one home folder to its database, its token service and
its treasury connection, and offers the few high-level operations a person
performs: add a document, sign it as a role, submit it, flush the outbox,
refresh statuses. It imports no Qt; the GUI calls it from worker threads.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from client import documents
from client.errors import InvalidInput, Problem, UsageError
from client.home import Home, remember_secret, secret_from_env, setup_logging
from client.i18n import tr

log = logging.getLogger("client.app")

KEYRING_SERVICE = "kbnn-client"

STATE_LABELS_VI = {
    "draft": "Bản nháp — chờ Kế toán trưởng ký",
    "signed-partial": "Chờ Thủ trưởng đơn vị ký",
    "signed": "Đã ký đủ — chờ gửi",
    "queued": "Đang chờ gửi",
    "sent": "Đã gửi — Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}


@dataclass
class Credentials:
    """Where the treasury password comes from, in order: env var, keyring, training profile."""

    home: Home
    password_env: str | None = None

    def password(self) -> str | None:
        value = self._password()
        remember_secret(value)  # the log scrubs this literal wherever it would appear
        return value

    def _password(self) -> str | None:
        if self.password_env:
            return secret_from_env(self.password_env)
        if self.home.is_training:
            return self.home.get("training", "password")
        server = self.home.server()
        try:
            import keyring

            return keyring.get_password(KEYRING_SERVICE, f"{server['url']}|{server['unit']}|{server['user']}")
        except Exception as exc:  # keyring backends raise many kinds
            log.warning("keyring unavailable: %s", type(exc).__name__)
            return None

    def store(self, password: str) -> None:
        import keyring

        remember_secret(password)
        server = self.home.server()
        keyring.set_password(KEYRING_SERVICE, f"{server['url']}|{server['unit']}|{server['user']}", password)


class AppContext:
    """One profile's live state: database, token service, treasury client."""

    def __init__(self, home: Home, *, password_env: str | None = None) -> None:
        from client.store.db import connect
        from client.store.documents import DocumentRepo
        from client.transport.outbox import Outbox

        self.home = home
        setup_logging(home)
        if home.is_training:
            conf = home.get("training", "softhsm_conf")
            if conf:
                os.environ["SOFTHSM2_CONF"] = conf
        self.conn = connect(home.db_path)
        self.documents = DocumentRepo(self.conn)
        self.outbox = Outbox(self.conn)
        self.credentials = Credentials(home, password_env)
        self._tokens = None
        self._api = None
        self._lock = threading.RLock()

    @property
    def training(self) -> bool:
        return self.home.is_training

    # -- trust -----------------------------------------------------------------
    def trust(self, extra: list[Path] | None = None) -> list[bytes]:
        from client.signing.trust import trust_anchors

        return trust_anchors(self.home, extra)

    # -- tokens ----------------------------------------------------------------
    def module_path(self, override: str | None = None) -> str:
        from client.signing.discovery import require_module

        # --module must exist; a path remembered in settings falls back to discovery.
        return require_module(override or self.home.get("signing", "module"),
                              strict=override is not None)

    def tokens(self, module: str | None = None):
        """The one ``TokenService`` of this process (it owns the PKCS#11 thread)."""
        from client.signing.tokens import TokenService

        with self._lock:
            path = self.module_path(module)
            if self._tokens is None or getattr(self._tokens, "module_path", path) != path:
                if self._tokens is not None:
                    self._tokens.close()
                from client.signing.discovery import ensure_safe_to_load

                ensure_safe_to_load(path)  # an unknown module is tried in a child process first
                self._tokens = TokenService(path)
                self._tokens.module_path = path
            return self._tokens

    def signing_candidates(self, role: str, module: str | None = None) -> list:
        """Certificates with their private key on a token, preferred for ``role`` first."""
        entries = [e for e in self.tokens(module).certificates() if e.has_private_key]
        preferred = self.home.get("signers", role)
        if preferred:
            entries.sort(key=lambda e: 0 if preferred in (e.token_label, _sha256(e.cert_der)) else 1)
        return entries

    # -- treasury --------------------------------------------------------------
    def api(self):
        """The treasury client of this home: server, CA file, proxy and timeouts from settings
        (``client.transport.network.client_for_home``); UsageError while not configured."""
        from client.transport.network import client_for_home

        with self._lock:
            if self._api is None:
                api = client_for_home(self.home, self.credentials.password)
                check_server_kind(api, training=self.training)
                self._api = api
            return self._api

    def reset_api(self) -> None:
        """Forget the treasury client (after the server, proxy or password changed)."""
        with self._lock:
            if self._api is not None:
                self._api.close()
            self._api = None

    def sync_service(self, on_report=None, on_notice=None, **kwargs):
        """A ``client.transport.sync.SyncService`` over this home's database and treasury
        (callbacks run on the service's thread)."""
        from client.transport.sync import SyncService

        return SyncService(self.home.db_path, self.api, on_report=on_report,
                           on_notice=on_notice, **kwargs)

    # -- documents -------------------------------------------------------------
    def add_document(self, document_json: bytes, title: str = "") -> int:
        doc = documents.parse(document_json)
        problems = [p for p in documents.validate(doc) if p.severity == "error"]
        if problems:
            raise InvalidInput(tr("Tài liệu chưa hợp lệ."), problems)
        return self.documents.add_draft(document_json, documents.summary(doc), title)

    def prepare(self, local_id: int):
        from client.signing.workflow import prepare

        row = self.documents.get(local_id)
        return prepare(row.package or row.document_json, trust=self.trust())

    def signing_gate(self, local_id: int):
        """What stands before the first signature: errors, warnings still to confirm
        (a ``Gate``); ``None`` once the document is signed. Later signatures are not
        re-gated: the chief accountant's signature already covers the checked content."""
        from client.documents.confirmations import signing_gate

        if self.documents.get(local_id).state != "draft":
            return None
        return signing_gate(self.conn, local_id, catalogue=self.catalogue())

    def confirm_warnings(self, local_id: int, codes: list[str] | str, by: str) -> list[str]:
        """Record that ``by`` accepts the document's warnings ``codes`` ("all": every one)."""
        from client.documents.confirmations import confirm_warnings

        return confirm_warnings(self.conn, local_id, codes, by, catalogue=self.catalogue())

    def catalogue(self):
        """The NDKT catalogue in use: the one imported into this data folder, else the shipped one."""
        from client.catalogue import load

        return load(self.home.path)

    def require_signable(self, local_id: int) -> None:
        """Before the first signature (and before any PIN): raise ``InvalidInput`` for a
        draft with errors or with warnings nobody has confirmed (see ``signing_gate``)."""
        from client.documents.confirmations import refuse_unless_ok

        gate = self.signing_gate(local_id)
        if gate is not None:
            refuse_unless_ok(gate)

    def admit_document(self, document_json: bytes, *, confirm: list[str] | str | None = None,
                       by: str = "") -> int:
        """A document.json file about to get its first signature (CLI ``sign``): stored as
        a draft (or found again by id and bytes), its confirmations recorded, then gated
        like a document made in the app. Returns its local id."""
        doc = documents.parse(document_json)
        existing = self.documents.find_by_doc_id(str(doc.get("id") or ""))
        if existing is not None and existing.document_json == bytes(document_json):
            local_id = existing.local_id
        else:
            local_id = self.add_document(document_json)
        if confirm:
            self.confirm_warnings(local_id, confirm, by)
        self.require_signable(local_id)
        return local_id

    def sign(self, local_id: int, role: str, entry, pin: str | None, prepared=None) -> None:
        """Sign a stored document as ``role`` with certificate ``entry``; PIN used once.
        A draft must pass ``require_signable`` (callers check it before asking the PIN)."""
        from client.signing.asice import ROLES
        from client.signing.workflow import sign_prepared

        self.require_signable(local_id)
        prepared = prepared or self.prepare(local_id)
        package = sign_prepared(prepared, role, token_signer(self.tokens(), entry, pin))
        # sign_prepared has verified the new package; the last role completes it
        state = "signed" if role == ROLES[-1] else "signed-partial"
        self.documents.set_package(local_id, package, state)

    def submit(self, local_id: int) -> int:
        """Commit a complete package to the outbox (durable before any network)."""
        from client.signing.verify import verify_package

        row = self.documents.get(local_id)
        if not row.package:
            raise InvalidInput(tr("Tài liệu chưa được ký."))
        report = verify_package(row.package, self.trust(), require_complete=True)
        errors = [p for p in report.problems if p.severity == "error"]
        if errors:
            raise InvalidInput(tr("Gói hồ sơ chưa hợp lệ hoặc chưa đủ chữ ký, không thể gửi."),
                               errors)
        return self.outbox.enqueue(row.package, documents.summary(report.document),
                                   document_local_id=local_id)

    def submit_package(self, package: bytes, extra_trust: list[Path] | None = None) -> int:
        """Queue a package file (CLI ``submit``): verified complete, then committed durably."""
        from client.signing.verify import verify_package

        report = verify_package(package, self.trust(extra_trust), require_complete=True)
        errors = [p for p in report.problems if p.severity == "error"]
        if errors:
            raise InvalidInput(tr("Gói hồ sơ chưa hợp lệ hoặc chưa đủ chữ ký, không thể gửi."),
                               errors)
        existing = self.documents.find_by_doc_id(report.document["id"])
        if existing is None:
            local_id = self.documents.add_draft(report.document_bytes, documents.summary(report.document))
        else:
            local_id = existing.local_id
        self.documents.set_package(local_id, package, "signed")
        return self.outbox.enqueue(package, documents.summary(report.document), document_local_id=local_id)

    def flush(self, force: bool = False):
        return self.outbox.flush(self.api(), force=force)

    def refresh(self):
        return self.outbox.refresh(self.api())

    def close(self) -> None:
        if self._tokens is not None:
            self._tokens.close()
            self._tokens = None
        self.conn.close()


def check_server_kind(api, *, training: bool) -> None:
    """Keep training and real work apart: a training profile talks only to a sandbox
    (``GET /health`` says ``"sandbox": true``), a real profile never to one.

    Raises ``UsageError`` (code ``server-kind``) before anything is sent; ``Unreachable``
    when the server cannot be asked."""
    is_sandbox = api.health().get("sandbox") is True
    url = getattr(api, "base_url", "")
    if training and not is_sandbox:
        raise UsageError(
            tr("Hồ sơ tập huấn chỉ được làm việc với Kho bạc mô phỏng (sandbox), nhưng máy chủ "
               "{url} không phải Kho bạc mô phỏng. Phần mềm không gửi gì tới đó; hãy kiểm tra địa "
               "chỉ máy chủ của lớp tập huấn.", url=url),
            [Problem("server-kind", tr("Máy chủ không phải Kho bạc mô phỏng."), url)])
    if not training and is_sandbox:
        raise UsageError(
            tr("Máy chủ {url} là Kho bạc mô phỏng dùng để tập huấn, không phải Kho bạc Nhà nước. "
               "Hồ sơ làm việc thật không được gửi tới đó: hãy sửa địa chỉ máy chủ (kbnn-client "
               "login --server …) hoặc dùng chế độ tập huấn (kbnn-client training).", url=url),
            [Problem("server-kind", tr("Máy chủ là Kho bạc mô phỏng (sandbox)."), url)])


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def token_signer(service, entry, pin: str | None):
    """A ``SignerSpec`` whose raw signature is made on the token's own thread; the
    CA certificates found on the token go into the signature as its chain."""
    from client.signing.workflow import token_signer as _token_signer

    return _token_signer(service, entry, pin)


def pin_problems_before_asking(token) -> list[Problem]:
    """What the token's flags say before a PIN is asked for (see client.signing.preflight)."""
    from client.signing.preflight import pin_problems_before_asking as _pin_problems

    return _pin_problems(token)


def open_context(home_dir: str | None, *, password_env: str | None = None,
                 on_ready: Callable[[AppContext], None] | None = None) -> AppContext:
    ctx = AppContext(Home(home_dir), password_env=password_env)
    if on_ready:
        on_ready(ctx)
    return ctx
