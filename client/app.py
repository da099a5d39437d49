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
from client.errors import InvalidInput, Problem, TokenError, UsageError
from client.home import Home, setup_logging
from client.resources import resource

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


def load_trust_dir(folder: Path) -> list[bytes]:
    """DER certificates from every .pem/.cer/.crt/.der file in ``folder``."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    out: list[bytes] = []
    if not folder.is_dir():
        return out
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() not in (".pem", ".cer", ".crt", ".der"):
            continue
        out.extend(load_cert_file(p, x509, Encoding))
    return out


def load_cert_file(path: Path, x509=None, Encoding=None) -> list[bytes]:  # noqa: N803
    if x509 is None:
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding
    data = Path(path).read_bytes()
    try:
        if b"-----BEGIN" in data:
            return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]
    except ValueError as exc:
        raise InvalidInput(f"Tệp «{path}» không phải là chứng thư số (PEM hoặc DER).") from exc


@dataclass
class Credentials:
    """Where the treasury password comes from, in order: env var, keyring, training profile."""

    home: Home
    password_env: str | None = None

    def password(self) -> str | None:
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise UsageError(f"Biến môi trường {self.password_env} chưa được đặt.")
            return value
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
        anchors = load_trust_dir(resource("trust"))
        if self.training:
            anchors += load_trust_dir(self.home.training_dir / "pki")
        for f in (self.home.get("signing", "trust") or "").split(os.pathsep):
            if f.strip():
                anchors += load_cert_file(Path(f.strip()))
        for p in extra or []:
            anchors += load_cert_file(p)
        return anchors

    # -- tokens ----------------------------------------------------------------
    def module_path(self, override: str | None = None) -> str:
        from client.signing.tokens import find_modules

        found = find_modules(override or self.home.get("signing", "module"))
        if not found:
            raise TokenError("Không tìm thấy thư viện PKCS#11 của token. Hãy cài trình điều khiển token "
                             "(driver) của nhà cung cấp chữ ký số, hoặc chỉ đường dẫn bằng --module.",
                             code="module-not-found")
        return found[0]

    def tokens(self, module: str | None = None):
        """The one ``TokenService`` of this process (it owns the PKCS#11 thread)."""
        from client.signing.tokens import TokenService

        with self._lock:
            path = self.module_path(module)
            if self._tokens is None or getattr(self._tokens, "module_path", path) != path:
                if self._tokens is not None:
                    self._tokens.close()
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
        from client.transport.api import TreasuryClient

        with self._lock:
            if self._api is None:
                server = self.home.server()
                if not server["url"] or not server["unit"] or not server["user"]:
                    raise UsageError("Chưa đăng nhập Kho bạc. Hãy chạy: kbnn-client login --server URL "
                                     "--unit MÃ_ĐƠN_VỊ --user TÊN_ĐĂNG_NHẬP")
                from client import __version__

                self._api = TreasuryClient(
                    server["url"], unit_code=server["unit"], username=server["user"],
                    password=self.credentials.password, ca_file=server["ca_file"] or None,
                    client_info={"name": "kbnn-client", "version": __version__,
                                 "machine": os.environ.get("COMPUTERNAME") or os.uname().nodename},
                )
            return self._api

    # -- documents -------------------------------------------------------------
    def add_document(self, document_json: bytes, title: str = "") -> int:
        doc = documents.parse(document_json)
        problems = [p for p in documents.validate(doc) if p.severity == "error"]
        if problems:
            raise InvalidInput("Tài liệu chưa hợp lệ.", problems)
        return self.documents.add_draft(document_json, documents.summary(doc), title)

    def prepare(self, local_id: int):
        from client.signing.workflow import prepare

        row = self.documents.get(local_id)
        return prepare(row.package or row.document_json, trust=self.trust())

    def sign(self, local_id: int, role: str, entry, pin: str | None, prepared=None) -> None:
        """Sign a stored document as ``role`` with certificate ``entry``; PIN used once."""
        from client.signing.verify import verify_package
        from client.signing.workflow import sign_prepared

        prepared = prepared or self.prepare(local_id)
        package = sign_prepared(prepared, role, token_signer(self.tokens(), entry, pin))
        report = verify_package(package, self.trust())
        state = "signed" if report.complete else "signed-partial"
        self.documents.set_package(local_id, package, state)

    def submit(self, local_id: int) -> int:
        """Commit a complete package to the outbox (durable before any network)."""
        from client.signing.verify import verify_package

        row = self.documents.get(local_id)
        if not row.package:
            raise InvalidInput("Tài liệu chưa được ký.")
        report = verify_package(row.package, self.trust(), require_complete=True)
        errors = [p for p in report.problems if p.severity == "error"]
        if errors:
            raise InvalidInput("Gói hồ sơ chưa hợp lệ hoặc chưa đủ chữ ký, không thể gửi.", errors)
        return self.outbox.enqueue(row.package, documents.summary(report.document),
                                   document_local_id=local_id)

    def submit_package(self, package: bytes, extra_trust: list[Path] | None = None) -> int:
        """Queue a package file (CLI ``submit``): verified complete, then committed durably."""
        from client.signing.verify import verify_package

        report = verify_package(package, self.trust(extra_trust), require_complete=True)
        errors = [p for p in report.problems if p.severity == "error"]
        if errors:
            raise InvalidInput("Gói hồ sơ chưa hợp lệ hoặc chưa đủ chữ ký, không thể gửi.", errors)
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


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def token_signer(service, entry, pin: str | None):
    """A ``SignerSpec`` whose raw signature is made on the token's own thread."""
    from client.signing.certs import cert_info
    from client.signing.workflow import SignerSpec

    info = cert_info(entry.cert_der)
    scheme = "ecdsa" if info.key_type == "ec" else "pkcs1v15"

    def raw_sign(data: bytes, hash_alg: str) -> bytes:
        return service.sign(entry.token_serial, entry.key_id, pin, data, hash_alg=hash_alg, scheme=scheme)

    return SignerSpec(cert_der=entry.cert_der, chain=[], scheme=scheme, raw_sign=raw_sign)


def pin_problems_before_asking(token) -> list[Problem]:
    """What the token's flags say before a PIN is asked for (DigiDoc-style)."""
    out = []
    if token.pin_locked:
        out.append(Problem("pin-locked", "Mã PIN của token đã bị khóa. Hãy liên hệ nhà cung cấp chữ ký số "
                           "để mở khóa bằng mã PUK/SO PIN.", token.label))
    elif token.pin_final_try:
        out.append(Problem("pin-final-try", "CẢNH BÁO: đây là lần thử PIN cuối cùng. Nhập sai, token sẽ bị khóa.",
                           token.label, "warning"))
    elif token.pin_count_low:
        out.append(Problem("pin-count-low", "Lưu ý: token đã ghi nhận nhập sai PIN, còn ít lần thử.",
                           token.label, "warning"))
    return out


def open_context(home_dir: str | None, *, password_env: str | None = None,
                 on_ready: Callable[[AppContext], None] | None = None) -> AppContext:
    ctx = AppContext(Home(home_dir), password_env=password_env)
    if on_ready:
        on_ready(ctx)
    return ctx
