"""A classroom: N trainee units for one sandbox, and joining one from a trainee's PC.

The trainer's side (``kbnn-client sandbox --classroom N``):

* :func:`create_classroom` makes (once, then reuses and extends) a classroom
  CA and N trainees, each with a unit, a login and two signer certificates
  (chief accountant, head of unit) whose keys are generated here and kept as
  PKCS#12 files protected by the token PIN printed on the sheet;
* :meth:`Classroom.sandbox_kwargs` registers them with the sandbox;
* :func:`write_sheets` writes, per trainee, a folder ``hocvien-NN`` holding a
  one-page PDF sheet (server address, unit, login, password, PINs), the two
  ``.p12`` files and ``classroom.json`` (the same facts, for the client),
  plus one PDF with every sheet for printing.

The trainee's side (``kbnn-client training --join FOLDER`` or the first-run
setup): :func:`join_classroom` makes the training profile ``<home>/training``
point at that sandbox, with the two keys and certificates imported into
two local SoftHSM2 tokens (user PIN = the PIN on the sheet).
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from client.errors import InvalidInput, TokenError
from client.home import Home, Unit

log = logging.getLogger("client.training")

STATE_FILE = "classroom-state.json"
BUNDLE_FILE = "classroom.json"
BUNDLE_FORMAT = "kbnn-classroom/1"
ALL_SHEETS = "phieu-hoc-vien-tat-ca.pdf"
MAX_TRAINEES = 99
UNIT_PREFIX = "10900"  # trainee n gets unit code 10900nn
PAYMENT_ORDER = "GRDT-0125"  # the demo table's payment order (training.setup.demo_salary_table)
P12_FILES = {"chief-accountant": "ke-toan-truong.p12", "head-of-unit": "thu-truong-don-vi.p12"}
ROLE_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
LABEL_PREFIX = {"chief-accountant": "KTT", "head-of-unit": "TTDV"}
_CHIEFS = ("NGUYỄN THỊ HOA", "TRẦN THỊ MAI", "PHẠM THỊ LAN", "HOÀNG THỊ THU", "VŨ THỊ HẠNH",
           "ĐẶNG THỊ NGA", "BÙI THỊ HƯƠNG", "ĐỖ THỊ LIÊN", "NGÔ THỊ YẾN", "DƯƠNG THỊ THẢO")
_HEADS = ("LÊ VĂN MINH", "NGUYỄN VĂN HÙNG", "TRẦN VĂN NAM", "PHAN VĂN DŨNG", "VÕ VĂN TUẤN",
          "ĐINH VĂN LONG", "LÝ VĂN KHOA", "TRỊNH VĂN SƠN", "MAI VĂN TÂM", "HỒ VĂN PHÚC")
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


@dataclass
class TraineeSigner:
    role: str
    name: str
    pin: str
    token_label: str
    cert_der: bytes
    p12: bytes  # key + certificate + CA, protected by ``pin``

    @property
    def file(self) -> str:
        return P12_FILES[self.role]


@dataclass
class Trainee:
    index: int
    unit: Unit
    username: str
    password: str
    signers: dict[str, TraineeSigner] = field(default_factory=dict)

    @property
    def folder_name(self) -> str:
        return f"hocvien-{self.index:02d}"

    def bundle(self, server_url: str, ca_pem: str) -> dict:
        """What ``classroom.json`` holds for this trainee."""
        return {
            "format": BUNDLE_FORMAT,
            "server": server_url,
            "trainee": self.index,
            "unit": vars(self.unit),
            "username": self.username,
            "password": self.password,
            "signers": {role: {"name": s.name, "token_label": s.token_label, "pin": s.pin,
                               "file": s.file} for role, s in self.signers.items()},
            "ca_pem": ca_pem,
        }


@dataclass
class Classroom:
    folder: Path
    ca_der: bytes
    trainees: list[Trainee]
    demo_total: int

    @property
    def ca_pem(self) -> str:
        return x509.load_der_x509_certificate(self.ca_der).public_bytes(
            serialization.Encoding.PEM).decode("ascii")

    def sandbox_kwargs(self) -> dict[str, list]:
        """``units``, ``signers``, ``trust`` and ``payment_orders`` for ``create_app``."""
        return {
            "units": [(t.unit.code, t.username, t.password, t.unit.name) for t in self.trainees],
            "signers": [(t.unit.code, role, s.cert_der) for t in self.trainees
                        for role, s in t.signers.items()],
            "trust": [self.ca_der],
            "payment_orders": [(t.unit.code, PAYMENT_ORDER, self.demo_total, "2026-10-25")
                               for t in self.trainees],
        }


# -- the trainer's side ------------------------------------------------------------------

def _password(length: int = 8) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


def _pin() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(6))


def trainee_unit(index: int) -> Unit:
    code = f"{UNIT_PREFIX}{index:02d}"
    return Unit(code=code, name=f"Đơn vị tập huấn số {index:02d}", treasury="KBNN Đống Đa",
                account=f"9523.1.{code}", account_kind="estimate",
                prepared_by=f"Học viên số {index:02d}")


def _p12(key: rsa.RSAPrivateKey, cert_der: bytes, ca_der: bytes, name: str, pin: str) -> bytes:
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(50_000)
                  .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256())
                  .build(pin.encode("ascii")))
    return pkcs12.serialize_key_and_certificates(
        name.encode("utf-8"), key, x509.load_der_x509_certificate(cert_der),
        [x509.load_der_x509_certificate(ca_der)], encryption)


def _new_trainee(index: int, ca: Any) -> Trainee:
    from client.training.pki import issue_signer_cert

    unit = trainee_unit(index)
    trainee = Trainee(index, unit, f"hv{index:02d}", _password())
    names = {"chief-accountant": _CHIEFS[(index - 1) % len(_CHIEFS)],
             "head-of-unit": _HEADS[(index - 1) % len(_HEADS)]}
    for role, name in names.items():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert_der = issue_signer_cert(ca, key.public_key(), name=name, organisation=unit.name,
                                     unit_code=unit.code)
        pin = _pin()
        trainee.signers[role] = TraineeSigner(
            role, name, pin, f"{LABEL_PREFIX[role]}-HV{index:02d}", cert_der,
            _p12(key, cert_der, ca.cert_der, name, pin))
    return trainee


def _save_state(folder: Path, trainees: list[Trainee]) -> None:
    import base64

    state = {"format": "kbnn-classroom-state/1", "trainees": [{
        "index": t.index, "unit": vars(t.unit), "username": t.username, "password": t.password,
        "signers": {role: {"name": s.name, "pin": s.pin, "token_label": s.token_label,
                           "cert": base64.b64encode(s.cert_der).decode("ascii"),
                           "p12": base64.b64encode(s.p12).decode("ascii")}
                    for role, s in t.signers.items()}} for t in trainees]}
    tmp = folder / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, folder / STATE_FILE)


def _load_state(folder: Path) -> list[Trainee]:
    import base64

    path = folder / STATE_FILE
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for t in data.get("trainees") or []:
        trainee = Trainee(int(t["index"]), Unit(**t["unit"]), t["username"], t["password"])
        for role, s in t["signers"].items():
            trainee.signers[role] = TraineeSigner(
                role, s["name"], s["pin"], s["token_label"], base64.b64decode(s["cert"]),
                base64.b64decode(s["p12"]))
        out.append(trainee)
    return sorted(out, key=lambda t: t.index)


def _demo_total() -> int:
    from client.training.setup import demo_salary_table

    return int(demo_salary_table(trainee_unit(1))["total"])


def create_classroom(folder: Path, count: int) -> Classroom:
    """The classroom kept in ``folder`` with at least ``count`` trainees (made once, then
    reused: a second start neither changes passwords nor keys; a larger ``count`` adds)."""
    from client.training.pki import load_or_create_ca

    if not 1 <= count <= MAX_TRAINEES:
        raise InvalidInput(f"Số học viên phải từ 1 đến {MAX_TRAINEES}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ca = load_or_create_ca(folder / "ca")
    trainees = _load_state(folder)
    have = {t.index for t in trainees}
    added = [_new_trainee(i, ca) for i in range(1, count + 1) if i not in have]
    if added:
        trainees = sorted(trainees + added, key=lambda t: t.index)
        _save_state(folder, trainees)
        log.info("classroom: %d trainees (%d new)", len(trainees), len(added))
    return Classroom(folder, ca.cert_der, trainees, _demo_total())


def render_sheets(trainees: list[Trainee], server_url: str) -> bytes:
    """The trainees' sheets as one PDF, one A4 page each (Vietnamese, fonts embedded)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from client.render.common import SANS, SERIF, SERIF_BOLD, register_fonts, style

    register_fonts()
    title = style("title", 15, font=SERIF_BOLD, align=TA_CENTER, space_after=2 * mm)
    sub = style("sub", 10, font=SERIF, align=TA_CENTER, space_after=6 * mm)
    body = style("body", 10.5, font=SERIF, leading=14)
    cell = style("cell", 11, font=SANS, leading=14)
    head = style("head", 11, font=SERIF_BOLD, leading=14)
    small = style("small", 9, font=SERIF, leading=12)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                            topMargin=18 * mm, bottomMargin=18 * mm,
                            title="Phiếu học viên — lớp tập huấn KBNN Client",
                            author="Kho bạc mô phỏng", creator="kbnn-client")
    story: list[Any] = []
    for n, t in enumerate(trainees):
        if n:
            story.append(PageBreak())
        e = escape
        story += [
            Paragraph("PHIẾU HỌC VIÊN — LỚP TẬP HUẤN KBNN CLIENT", title),
            Paragraph(f"Học viên số {t.index:02d} · Dữ liệu tập huấn, không dùng cho hồ sơ thật", sub),
        ]
        rows = [
            ("Địa chỉ máy chủ", server_url),
            ("Mã đơn vị (mã ĐVQHNS)", t.unit.code),
            ("Tên đơn vị", t.unit.name),
            ("Tài khoản dự toán", f"{t.unit.account} tại {t.unit.treasury}"),
            ("Tên đăng nhập", t.username),
            ("Mật khẩu", t.password),
        ]
        for role in ("chief-accountant", "head-of-unit"):
            s = t.signers[role]
            rows.append((f"Token {ROLE_VI[role]}",
                         f"{s.name}\ntệp {s.file} — nhãn token {s.token_label}\nPIN: {s.pin}"))
        table = Table([[Paragraph(e(k), head), Paragraph(e(v).replace("\n", "<br/>"), cell)]
                       for k, v in rows], colWidths=[55 * mm, 115 * mm])
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.6, colors.grey),
            ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ]))
        story += [table, Spacer(1, 7 * mm), Paragraph("<b>Các bước</b>", body)]
        steps = [
            f"Chép thư mục <b>{t.folder_name}</b> (có tệp {BUNDLE_FILE} và hai tệp .p12) vào máy.",
            "Mở KBNN Client, chọn <b>Tham gia lớp tập huấn</b> và chọn thư mục đó; hoặc chạy lệnh "
            f"<font face='{SANS}'>kbnn-client training --join {t.folder_name}</font>.",
            "Phần mềm tạo hồ sơ tập huấn riêng (không đụng tới hồ sơ làm việc thật) và nạp hai "
            "chữ ký số vào token mềm trên máy; PIN của mỗi token là PIN in ở trên.",
            "Ký bảng lương mẫu lần lượt với tư cách Kế toán trưởng rồi Thủ trưởng đơn vị, gửi "
            "Kho bạc mô phỏng và theo dõi trạng thái tới «Đã thanh toán».",
        ]
        for i, text in enumerate(steps, 1):
            story.append(Paragraph(f"{i}. {text}", body))
        story += [Spacer(1, 6 * mm), Paragraph(
            "Giữ phiếu này cho riêng mình: mật khẩu và PIN chỉ dùng trong lớp tập huấn. "
            "Chứng thư số tập huấn do CA của lớp học cấp, Kho bạc thật không chấp nhận.", small)]
    doc.build(story)
    return buf.getvalue()


def write_sheets(classroom: Classroom, out_dir: Path, server_url: str) -> list[Path]:
    """Write every trainee's folder and the all-sheets PDF into ``out_dir``; returns the
    trainee folders. Existing files are replaced (the server address may have changed)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ca_pem = classroom.ca_pem
    folders = []
    for t in classroom.trainees:
        folder = out_dir / t.folder_name
        folder.mkdir(exist_ok=True)
        (folder / f"phieu-{t.folder_name}.pdf").write_bytes(render_sheets([t], server_url))
        for s in t.signers.values():
            (folder / s.file).write_bytes(s.p12)
        (folder / BUNDLE_FILE).write_text(
            json.dumps(t.bundle(server_url, ca_pem), ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "ca-lop-tap-huan.pem").write_text(ca_pem, encoding="ascii")
        folders.append(folder)
    (out_dir / ALL_SHEETS).write_bytes(render_sheets(classroom.trainees, server_url))
    return folders


# -- the trainee's side --------------------------------------------------------------------

def load_bundle(path: Path | str) -> tuple[dict, Path]:
    """The trainee's ``classroom.json`` (given as its folder, the file, or the sheet PDF
    beside it) and the folder holding it."""
    p = Path(path)
    candidate = p / BUNDLE_FILE if p.is_dir() else (p if p.suffix.lower() == ".json"
                                                     else p.with_name(BUNDLE_FILE))
    if not candidate.is_file():
        raise InvalidInput(f"Không tìm thấy tệp {BUNDLE_FILE} của lớp tập huấn tại «{path}». "
                           "Hãy chọn thư mục học viên mà giảng viên đã phát.")
    try:
        data = json.loads(candidate.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"Tệp «{candidate}» không đọc được: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise InvalidInput(f"Tệp «{candidate}» không phải phiếu lớp tập huấn ({BUNDLE_FORMAT}).")
    missing = [k for k in ("server", "unit", "username", "password", "signers", "ca_pem")
               if not data.get(k)]
    if missing or set(data["signers"]) != set(P12_FILES):
        raise InvalidInput(f"Phiếu lớp tập huấn «{candidate}» thiếu thông tin: "
                           f"{', '.join(missing) or 'người ký'}.")
    return data, candidate.parent


def _import_p12(service: Any, token_label: str, pin: str, p12: bytes, label: str,
                key_id: bytes) -> bytes:
    """Put the key and certificate of a PKCS#12 file on a token; returns the certificate."""
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.rsa import decode_rsa_private_key, decode_rsa_public_key

    from client.training.token import _store_certificate, on_token

    try:
        key, cert, _cas = pkcs12.load_key_and_certificates(p12, pin.encode("ascii"))
    except ValueError as exc:
        raise TokenError(f"Không mở được tệp chữ ký số «{label}» bằng PIN trên phiếu.",
                         code="p12-invalid") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
        raise TokenError(f"Tệp chữ ký số «{label}» không chứa khóa RSA và chứng thư số.",
                         code="p12-invalid")
    priv = decode_rsa_private_key(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    priv.update({Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                 Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.DECRYPT: False,
                 Attribute.UNWRAP: False, Attribute.ID: key_id, Attribute.LABEL: label})
    pub = decode_rsa_public_key(key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
    pub.update({Attribute.TOKEN: True, Attribute.PRIVATE: False, Attribute.VERIFY: True,
                Attribute.ENCRYPT: False, Attribute.WRAP: False, Attribute.ID: key_id,
                Attribute.LABEL: label})
    pub[Attribute.CLASS] = ObjectClass.PUBLIC_KEY
    cert_der = cert.public_bytes(serialization.Encoding.DER)

    def work(session: Any) -> None:
        session.create_object(priv)
        session.create_object(pub)
        _store_certificate(session, cert_der, key_id, label)

    on_token(service, token_label, pin, work)
    return cert_der


def join_classroom(base: Home, bundle: Path | str, *, module: str | None = None) -> Home:
    """Make ``<base>/training`` the training profile of the classroom in ``bundle`` (a
    trainee folder, its ``classroom.json`` or its sheet PDF) and return it.

    Any earlier training profile there is replaced (training data only: the real
    profile in ``base`` is not touched). The two keys go into two new SoftHSM2
    tokens of this profile, each with the PIN printed on the sheet. Sets
    ``SOFTHSM2_CONF`` for this process (SoftHSM2 reads it once per process).
    """
    from client.signing.tokens import TokenService
    from client.training.setup import SO_PIN, _seed_demo, training_home
    from client.training.token import (
        create_token,
        init_softhsm,
        softhsm_install_hint,
        softhsm_module,
    )

    data, folder = load_bundle(bundle)
    module = module or softhsm_module()
    if module is None:
        raise TokenError(softhsm_install_hint(), code="softhsm-missing")
    unit = Unit(**{k: str(v) for k, v in data["unit"].items()})
    problems = unit.problems()
    if problems:
        raise InvalidInput("Thông tin đơn vị trên phiếu lớp tập huấn chưa hợp lệ.", problems)
    p12s = {}
    for role, s in data["signers"].items():
        path = folder / s["file"]
        if not path.is_file():
            raise InvalidInput(f"Thiếu tệp chữ ký số «{s['file']}» trong «{folder}».")
        p12s[role] = path.read_bytes()

    target = training_home(base)
    if target.exists():
        shutil.rmtree(target)
    home = Home(target)
    tdir = home.training_dir
    pki = tdir / "pki"
    pki.mkdir(parents=True, exist_ok=True)
    ca = x509.load_pem_x509_certificate(data["ca_pem"].encode("ascii"))
    (pki / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (pki / "ca.der").write_bytes(ca.public_bytes(serialization.Encoding.DER))
    conf = init_softhsm(tdir / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for s in data["signers"].values():
        create_token(conf, s["token_label"], SO_PIN, s["pin"])
    certs = tdir / "certs"
    certs.mkdir(exist_ok=True)
    service = TokenService(module)
    try:
        for role, s in data["signers"].items():
            der = _import_p12(service, s["token_label"], s["pin"], p12s[role], s["name"],
                              f"{LABEL_PREFIX[role]}-1".encode())
            (certs / f"{role}.der").write_bytes(der)
    finally:
        service.close()

    home.set("profile", "mode", "training")
    home.set_unit(unit)
    home.set("server", "url", str(data["server"]))
    home.set("server", "unit", unit.code)
    home.set("server", "user", str(data["username"]))
    home.set("training", "source", "classroom")
    home.set("training", "password", str(data["password"]))
    home.set("training", "softhsm_conf", str(conf))
    home.set("signing", "module", module)
    for role, s in data["signers"].items():
        home.set("signers", role, s["token_label"])
        home.set("training", f"pin_{role}", s["pin"])
    home.save()
    _seed_demo(home)
    home.set("training", "ready", "yes")
    home.save()
    log.info("joined classroom at %s as unit %s", data["server"], unit.code)
    return home


@dataclass
class ClassroomServer:
    """Stands for the classroom's sandbox in a ``TrainingSession`` (run by the trainer)."""

    base_url: str

    def stop(self) -> None:
        """Nothing to stop: the trainer's PC runs the sandbox."""


def classroom_session(home: Home) -> Any:
    """The ``TrainingSession`` of a joined classroom profile (no local sandbox)."""
    from client.training.setup import TrainingSession

    roles = ("chief-accountant", "head-of-unit")
    return TrainingSession(
        home=home, sandbox=ClassroomServer(home.get("server", "url") or ""),
        pins={r: home.get("training", f"pin_{r}") or "" for r in roles},
        token_labels={r: home.get("signers", r) or "" for r in roles})
