"""Training mode: a complete, self-contained classroom profile.

On first run it creates, under ``<home>/training``: a training certificate
authority, two SoftHSM2 tokens (chief accountant, head of unit) each holding
a key pair generated on the token and its certificate, a training unit and
login, the sandbox treasury's data, and a demo salary table. Every run
starts the sandbox on a free loopback port and registers both signers.
Nothing here touches the real profile next to it; ``reset`` wipes only
``<home>/training``.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from client.errors import TokenError, UsageError
from client.home import Home, Unit
from client.i18n import tr
from client.resources import resource

log = logging.getLogger("client.training")

TRAINING_UNIT = Unit(
    code="1047665",
    name="Trường Tiểu học Kim Liên (đơn vị tập huấn)",
    treasury="KBNN Đống Đa",
    account="9523.1.1047665",
    account_kind="estimate",
    prepared_by="Trần Thị Lan",
)
TRAINING_USER = "ketoan01"
TRAINING_PASSWORD = "taphuan2026"  # public: printed on every trainee sheet

SIGNERS = {
    # role: (token label, PIN, holder name)
    "chief-accountant": ("KTT-TAPHUAN", "111111", "NGUYỄN THỊ HOA"),
    "head-of-unit": ("TTDV-TAPHUAN", "222222", "LÊ VĂN MINH"),
}
SO_PIN = "12345678"


@dataclass
class TrainingSession:
    home: Home
    sandbox: object
    pins: dict[str, str] = field(default_factory=dict)
    token_labels: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        self.sandbox.stop()


def training_home(base: Home) -> Path:
    return base.path / "training"


def ensure_training(base: Home, reset: bool = False, *, advance: float = 5.0,
                    port: int = 0) -> TrainingSession:
    """Create (once) and start the training environment; return its profile."""
    from client.sandbox.server import start_sandbox
    from client.training.token import softhsm_install_hint, softhsm_module

    folder = training_home(base)
    if reset and folder.exists():
        shutil.rmtree(folder)
    module = softhsm_module()
    if module is None:
        raise TokenError(softhsm_install_hint(), code="softhsm-missing")

    home = Home(folder)
    if home.get("training", "source") == "classroom" and home.get("training", "ready") == "yes":
        # joined a classroom (training.classroom.join_classroom): the trainer runs the sandbox
        from client.training.classroom import classroom_session

        return classroom_session(home)
    pki = home.training_dir / "pki"
    if home.get("training", "ready") != "yes":
        _create(home, module)

    certs = {role: (pki / f"{role}.der").read_bytes() for role in SIGNERS}
    ca_der = (pki / "ca.der").read_bytes()
    sandbox = start_sandbox(
        "127.0.0.1", port,
        data_dir=home.training_dir / "sandbox", advance=advance,
        units=[(TRAINING_UNIT.code, TRAINING_USER, TRAINING_PASSWORD)],
        signers=[(TRAINING_UNIT.code, role, der) for role, der in certs.items()],
        trust=[ca_der],
    )
    home.set("server", "url", sandbox.base_url)
    home.save()
    log.info("training sandbox at %s", sandbox.base_url)
    return TrainingSession(
        home=home, sandbox=sandbox,
        pins={role: s[1] for role, s in SIGNERS.items()},
        token_labels={role: s[0] for role, s in SIGNERS.items()},
    )


def _create(home: Home, module: str) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from client.signing.tokens import TokenService
    from client.training.pki import load_or_create_ca
    from client.training.token import create_token, init_softhsm, provision_signer

    tdir = home.training_dir
    pki = tdir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    conf = init_softhsm(tdir / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    ca = load_or_create_ca(pki / "ca")
    (pki / "ca.der").write_bytes(ca.cert_der)
    (pki / "ca.pem").write_bytes(ca.cert_pem())
    for label, pin, _name in SIGNERS.values():
        create_token(conf, label, SO_PIN, pin)
    service = TokenService(module)
    try:
        for role, (label, pin, name) in SIGNERS.items():
            der = provision_signer(service, label, pin, ca, name=name,
                                   organisation=TRAINING_UNIT.name, unit_code=TRAINING_UNIT.code)
            (pki / f"{role}.der").write_bytes(der)
    finally:
        service.close()
    del Encoding

    home.set("profile", "mode", "training")
    home.set_unit(TRAINING_UNIT)
    home.set("server", "unit", TRAINING_UNIT.code)
    home.set("server", "user", TRAINING_USER)
    home.set("training", "password", TRAINING_PASSWORD)
    home.set("training", "softhsm_conf", str(conf))
    home.set("signing", "module", module)
    for role, (label, _pin, _name) in SIGNERS.items():
        home.set("signers", role, label)
    home.save()
    _seed_demo(home)
    home.set("training", "ready", "yes")
    home.save()


def demo_salary_table(unit: Unit, *, number: str = "TH-09/2026-10",
                      date: str = "2026-10-25", period: dict | None = None) -> dict:
    """The demo salary table every trainee starts from (resources/demo)."""
    from client import documents
    from client.importers.salary import read_salary_lines

    lines = read_salary_lines(resource("demo", "salary-demo.csv"))
    return documents.new_salary_table(
        unit=unit.as_document_unit(), number=number, date=date,
        period=period or {"year": 2026, "month": 10}, lines=lines,
        prepared_by=unit.prepared_by,
        payment_order={"number": "GRDT-0125", "date": date},
    )


def _seed_demo(home: Home) -> None:
    from client import documents
    from client.store.db import connect
    from client.store.documents import DocumentRepo

    doc = demo_salary_table(home.require_unit())
    conn = connect(home.db_path)
    try:
        DocumentRepo(conn).add_draft(documents.serialize(doc), documents.summary(doc),
                                     "Bảng thanh toán lương tháng 10/2026 (mẫu tập huấn)")
    finally:
        conn.close()


def write_demo_table(home: Home, path: Path) -> Path:
    """Write the demo salary table of a training profile (its unit, the payment order the
    sandbox knows) as canonical ``document.json`` bytes, ready for ``kbnn-client sign``."""
    from client import documents

    if not home.is_training:
        raise UsageError(tr("Bảng lương mẫu chỉ có trong hồ sơ tập huấn."))
    path = Path(path)
    path.write_bytes(documents.serialize(demo_salary_table(home.require_unit())))
    return path
