"""Signing GUI: certificate picker, PIN dialog, signatures panel, opening packages (issue 3 §8).

Real SoftHSM2 tokens and real packages signed with them; certificates the
training tokens do not have (expired, without key, another unit's, without
non-repudiation) are made here with ``cryptography``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from client.signing.preflight import OnlineFacts
from client.signing.tokens import CertEntry, TokenInfo
from client.ui.cert_picker import CertificatePicker, PickerFacts
from client.ui.package_view import PackageView, install_package_actions, load_package, package_views
from client.ui.pin_dialog import PinDialog
from tests.ui.shoot import grab

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "build" / "screenshots"
UNIT = "1047665"
UID = x509.ObjectIdentifier("0.9.2342.19200300.100.1.1")


def make_entry(cn: str, *, uids: tuple[str, ...] = (), nonrep: bool = True, days: int = 365,
               start_days: int = -10, has_key: bool = True, is_ca: bool = False,
               token: str = "TOKEN-THU") -> CertEntry:
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Trường Tiểu học Thử")]
    attrs += [x509.NameAttribute(UID, u) for u in uids]
    name = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA Thử Nghiệm")]))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=start_days)).not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.KeyUsage(True, nonrep, False, False, False, False, False, False, False),
                       critical=True)
        .sign(key, hashes.SHA256()))
    return CertEntry(token_serial=token, token_label=token, key_id=cn.encode(), label=cn,
                     cert_der=cert.public_bytes(Encoding.DER), has_private_key=has_key,
                     key_type="ec", is_ca=is_ca)


def sha(entry: CertEntry) -> str:
    return hashlib.sha256(entry.cert_der).hexdigest()


def labels_text(widget) -> str:
    return " | ".join(w.text() for w in widget.findChildren(QLabel) if w.isVisible())


def save_shot(widget, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    path = SHOTS / name
    assert grab(widget).save(str(path), "PNG")
    assert path.stat().st_size > 5_000
    return path


# --------------------------------------------------------------------------- picker


def test_picker_offers_only_keys_ranks_registered_mns_nonrep_and_refuses_before_pin(qtbot, tmp_path):
    plain = make_entry("TRẦN VĂN BA", uids=("MNS:1047665",), nonrep=False)
    registered = make_entry("NGUYỄN THỊ HOA", uids=("MNS:1047665", "CCCD:001188000111"))
    other_unit = make_entry("LÊ VĂN NAM", uids=("MNS:9999999", "MST:0101234567"))
    expired = make_entry("PHẠM CŨ", uids=("MNS:1047665",), start_days=-800, days=-3)
    future = make_entry("ĐỖ MỚI", uids=("MNS:1047665",), start_days=5, days=400)
    no_key = make_entry("KHÔNG CÓ KHÓA", has_key=False)
    ca = make_entry("CA TRÊN TOKEN", is_ca=True)
    facts = PickerFacts(UNIT, OnlineFacts(
        registered=[{"role": "chief-accountant", "name": "NGUYỄN THỊ HOA",
                     "certificate_sha256": sha(registered)}], checked=True))
    dlg = CertificatePicker("chief-accountant", [expired, plain, no_key, other_unit, ca, future,
                                                 registered], facts)
    qtbot.addWidget(dlg)
    dlg.show()
    t, c = dlg.table, CertificatePicker

    holders = [t.item(r, c.COL_HOLDER).text() for r in range(t.rowCount())]
    # Only certificates with their key on the token; best first; refused ones last.
    assert "KHÔNG CÓ KHÓA" not in holders and "CA TRÊN TOKEN" not in holders
    assert holders[:3] == ["NGUYỄN THỊ HOA", "TRẦN VĂN BA", "LÊ VĂN NAM"]
    assert set(holders[3:]) == {"PHẠM CŨ", "ĐỖ MỚI"}
    # The registered one, with the unit's MNS, is preselected and marked.
    assert dlg.selected() is registered
    status = t.item(0, c.COL_STATUS).text()
    assert "Đúng mã đơn vị" in status and "Đã đăng ký với Kho bạc" in status
    assert "MNS: 1047665" in t.item(0, c.COL_UIDS).text() and "CCCD: 001188000111" in t.item(0, c.COL_UIDS).text()
    assert t.item(0, c.COL_ISSUER).text() == "CA Thử Nghiệm"
    assert t.item(0, c.COL_SERIAL).text()
    assert "Chống chối bỏ" in t.item(0, c.COL_USAGE).text()
    assert "Chống chối bỏ" not in t.item(1, c.COL_USAGE).text()  # ranked below: no non-repudiation
    # Not registered / another unit: warned before the PIN, still selectable.
    dlg.select_row(2)
    assert dlg.selected() is other_unit
    warn = dlg.detail.text()
    assert "9999999" in warn and "chưa được đăng ký với Kho bạc" in warn
    # Expired / not yet valid: refused with the reason, cannot be chosen.
    for row in (3, 4):
        assert not t.item(row, 0).flags() & Qt.ItemFlag.ItemIsSelectable
        dlg.select_row(row)
        assert dlg.selected() is None
        assert not dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()
    refused = {t.item(r, c.COL_HOLDER).text(): t.item(r, c.COL_STATUS).text() for r in (3, 4)}
    assert "hết hạn" in refused["PHẠM CŨ"] and "chưa có hiệu lực" in refused["ĐỖ MỚI"]


def test_picker_offline_shows_not_checked_and_real_tokens(qtbot, ctx, training):
    entries = ctx.signing_candidates("head-of-unit")
    label = training.token_labels["head-of-unit"]
    facts = PickerFacts(UNIT, OnlineFacts.not_checked("không kết nối được máy chủ Kho bạc"), preferred=label)
    dlg = CertificatePicker("head-of-unit", entries, facts)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.general.isVisible() and "Chưa đối chiếu được với Kho bạc" in dlg.general.text()
    # the certificate remembered for the role comes first, preselected and marked
    assert dlg.table.item(0, CertificatePicker.COL_TOKEN).text() == label
    assert dlg.selected() is not None and dlg.selected().token_label == label
    assert "Đã dùng lần trước" in dlg.table.item(0, CertificatePicker.COL_STATUS).text()


# --------------------------------------------------------------------------- PIN dialog


def token(**flags) -> TokenInfo:
    base = TokenInfo.from_flags(0, label="KTT-TAPHUAN", serial="1")
    return dataclasses.replace(base, **flags)


@pytest.mark.parametrize(("flags", "expected", "can_type"), [
    ({}, "bình thường", True),
    ({"pin_count_low": True}, "CÒN ÍT", True),
    ({"pin_final_try": True}, "LẦN CUỐI CÙNG", True),
    ({"pin_locked": True}, "KHÓA", False),
])
def test_pin_dialog_shows_token_counters(qtbot, flags, expected, can_type):
    dlg = PinDialog("chief-accountant", "KTT-TAPHUAN", "NGUYỄN THỊ HOA", [], token=token(**flags))
    qtbot.addWidget(dlg)
    dlg.show()
    assert expected in dlg.counter_label.text()
    assert (dlg.edit is not None) == can_type
    if can_type:
        assert dlg.edit.echoMode() == QLineEdit.EchoMode.Password
        qtbot.keyClicks(dlg.edit, "123456")
        assert dlg.ok_button.isEnabled()
        dlg.ok_button.click()
        assert dlg.take_pin() == "123456" and dlg.edit.text() == ""  # handed over once, cleared
        assert dlg.take_pin() == ""
    else:  # locked: nothing can be tried
        assert not dlg.ok_button.isEnabled()
        dlg.accept()
        assert dlg.result() != dlg.DialogCode.Accepted


def test_pin_dialog_protected_path_asks_on_device(qtbot):
    dlg = PinDialog("head-of-unit", "PINPAD", token=token(protected_auth_path=True, pin_count_low=True))
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.findChildren(QLineEdit)
    text = labels_text(dlg)
    assert "Nhập PIN trên bàn phím của token" in text and "CÒN ÍT" in text
    assert dlg.ok_button.isEnabled() and dlg.ok_button.text() == "Tiếp tục"
    dlg.accept()
    assert dlg.take_pin() == ""


# --------------------------------------------------------------------------- packages


@pytest.fixture(scope="module")
def signed_package(ctx, training) -> bytes:
    """The demo salary table with an attachment, signed by both training tokens (no database)."""
    from client import documents
    from client.app import token_signer
    from client.signing.workflow import prepare, sign_prepared
    from client.training.setup import demo_salary_table

    doc = demo_salary_table(training.home.require_unit(), number="TH-GOI-GUI")
    data = documents.serialize(doc)
    attachments = {"giay-rut-du-toan.pdf": b"%PDF-1.4\n% attachment\n"}
    for role in ("chief-accountant", "head-of-unit"):
        prepared = prepare(data, trust=ctx.trust(), attachments=attachments if role == "chief-accountant" else None)
        entry = next(e for e in ctx.signing_candidates(role) if e.token_label == training.token_labels[role])
        data = sign_prepared(prepared, role, token_signer(ctx.tokens(), entry, training.pins[role]))
    return data


def tamper(package: bytes, name: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename == name:
                body = body[:-40] + bytes([body[-40] ^ 0x01]) + body[-39:]
            zout.writestr(info, body)
    return out.getvalue()


def test_package_view_of_valid_package(qtbot, ctx, signed_package, tmp_path):
    path = tmp_path / "bang-luong.asice"
    path.write_bytes(signed_package)
    view = PackageView(load_package(path, ctx.trust()))
    qtbot.addWidget(view)
    view.show()
    assert view.verdict == "valid"
    assert "HỢP LỆ" in view.signatures.verdict_label.text()
    m = view.signatures.model
    assert m.rowCount() == 2
    assert [m.index(r, 0).data() for r in range(2)] == ["Kế toán trưởng", "Thủ trưởng đơn vị"]
    assert {m.index(r, m.COL_VERDICT).data() for r in range(2)} == {"Hợp lệ"}
    assert all(m.index(r, 1).data() and m.index(r, 2).data() for r in range(2))  # signer, time
    assert "cấp bởi" in m.index(0, 3).data()  # certificate
    assert view.attachment_names() == ["giay-rut-du-toan.pdf"]
    view.save_attachment("giay-rut-du-toan.pdf", tmp_path / "ra.pdf")
    assert (tmp_path / "ra.pdf").read_bytes() == b"%PDF-1.4\n% attachment\n"
    with zipfile.ZipFile(io.BytesIO(signed_package)) as zf:
        assert view.shown_pdf_bytes() == zf.read("document.pdf")  # exactly what was signed
    assert "TH-GOI-GUI" in view.title_label.text()


def test_signatures_panel_on_tampered_package_says_invalid_and_why(qtbot, ctx, signed_package, tmp_path):
    path = tmp_path / "sua.asice"
    path.write_bytes(tamper(signed_package, "document.pdf"))
    view = PackageView(load_package(path, ctx.trust()))
    qtbot.addWidget(view)
    view.show()
    assert view.verdict == "invalid"
    assert "KHÔNG HỢP LỆ" in view.signatures.verdict_label.text()
    m = view.signatures.model
    verdicts = [m.index(r, m.COL_VERDICT).data() for r in range(m.rowCount())]
    assert verdicts and set(verdicts) == {"Không hợp lệ"}
    reasons = m.index(0, m.COL_REASONS).data()
    assert "document.pdf" in reasons.splitlines()[0]  # the error first, before any "Lưu ý"
    assert "document.pdf" in view.signatures.detail_label.text()
    qtbot.waitUntil(lambda: view.pdf_document.status() in (view.pdf_document.Status.Ready,
                                                          view.pdf_document.Status.Error), timeout=10_000)
    qtbot.wait(300)
    save_shot(view, "package-view-invalid.png")


def test_untrusted_signer_is_indeterminate(qtbot, signed_package, tmp_path):
    path = tmp_path / "la.asice"
    path.write_bytes(signed_package)
    view = PackageView(load_package(path, []))  # no trust anchors at all
    qtbot.addWidget(view)
    view.show()
    m = view.signatures.model
    assert {m.index(r, m.COL_VERDICT).data() for r in range(m.rowCount())} == {"Chưa xác định"}
    assert view.verdict in ("invalid", "indeterminate")


def _drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPoint(200, 200), actions, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(200, 200), actions, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # QDragEnterEvent(QPoint, …): the only constructor
def test_drag_and_drop_opens_package_view(qtbot, window, signed_package, tmp_path):
    if getattr(window, "open_package_action", None) is None:
        install_package_actions(window)
    action = window.open_package_action
    assert action.text().replace("&", "") == "Mở gói hồ sơ (.asice)…"
    assert action in window.menus["file"].actions()  # File > Open
    assert window.acceptDrops()
    path = tmp_path / "keo-tha.asice"
    path.write_bytes(signed_package)
    before = len(package_views(window))
    _drop(window, path)
    qtbot.waitUntil(lambda: len(package_views(window)) > before, timeout=30_000)
    view = package_views(window)[-1]  # owned by the window, deleted on close
    assert view.isVisible() and view.verdict == "valid"
    assert view.signatures.model.rowCount() == 2
    qtbot.waitUntil(lambda: view.pdf_document.pageCount() >= 1, timeout=10_000)
    view.close()
    # A file that is not a package is not accepted by the drop.
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "ghi-chu.txt"))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, other, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_signing_dialogs_switch_to_english(qtbot, qapp):
    from client.ui import i18n

    i18n.install_language(qapp, "en")
    try:
        dlg = PinDialog("chief-accountant", "KTT-TAPHUAN", token=token(pin_final_try=True))
        qtbot.addWidget(dlg)
        assert dlg.windowTitle() == "Enter the token PIN"
        assert "FINAL TRY" in dlg.counter_label.text()
        picker = CertificatePicker("chief-accountant", [make_entry("A", uids=("MNS:1047665",))],
                                   PickerFacts(UNIT))
        qtbot.addWidget(picker)
        assert picker.table.horizontalHeaderItem(CertificatePicker.COL_HOLDER).text() == "Holder"
        assert "Digital signature" in picker.table.item(0, CertificatePicker.COL_USAGE).text()
    finally:
        i18n.remove_language(qapp)


def test_sign_flow_warns_unregistered_and_refuses_expired_before_the_pin(qtbot, window, training, ctx):
    """Online facts reach the picker and the PIN dialog; an expired certificate never gets a PIN."""
    from client.ui import sign_dialog
    from tests.ui.helpers import add_demo_draft, chooser_by_label

    local_id = add_demo_draft(training.home, "TH-DANG-KY")
    window.reload()
    qtbot.waitUntil(lambda: window.model.row_of(local_id) >= 0, timeout=10_000)
    entries = ctx.signing_candidates("chief-accountant")
    tokens = ctx.tokens().tokens()
    facts = PickerFacts(UNIT, OnlineFacts(registered=[], checked=True))
    asked: list = []
    window.pin_provider = lambda *a: asked.append([w.code for w in a[4]])  # None: cancel
    seen: list = []

    def chooser(parent, role, offered):
        seen.append(getattr(parent, "picker_facts", None))
        return chooser_by_label(training.token_labels)(parent, role, offered)

    window.cert_chooser = chooser
    flow = sign_dialog.SignFlow(window, local_id, type("P", (), {"next_role": "chief-accountant",
                                                                 "document": {"unit": {"code": UNIT}}})())
    flow._on_candidates((entries, tokens, facts))
    assert seen == [facts]
    assert asked and "cert-not-registered" in asked[0]

    expired = make_entry("PHẠM CŨ", uids=("MNS:1047665",), start_days=-800, days=-3,
                         token=tokens[0].serial)
    window.cert_chooser = lambda *_a: expired
    asked.clear()
    flow = sign_dialog.SignFlow(window, local_id, type("P", (), {"next_role": "chief-accountant",
                                                                 "document": {"unit": {"code": UNIT}}})())
    flow._on_candidates((entries + [expired], tokens, facts))
    assert asked == []  # never asked for a PIN
    assert window.last_error_title == "Không ký được" and "hết hạn" in window.last_error_text
    window.last_message_box.close()


def test_sign_flow_gates_the_draft_before_the_pin(qtbot, window, training):
    """Warnings of the stored draft need a recorded confirmation before any PIN; declining stops."""
    from client import documents
    from client.documents.confirmations import confirmations
    from client.store.db import connect
    from client.store.documents import DocumentRepo
    from client.training.setup import demo_salary_table
    from client.ui import sign_dialog

    doc = demo_salary_table(training.home.require_unit(), number="TH-CANH-BAO",
                            period={"year": 2024, "month": 5})
    doc["lines"][1]["name"] = doc["lines"][0]["name"]  # same name, other account: a warning
    conn = connect(training.home.db_path)
    try:
        local_id = DocumentRepo(conn).add_draft(documents.serialize(doc), documents.summary(doc), "")
    finally:
        conn.close()
    prepared = type("P", (), {"next_role": "chief-accountant", "document": doc})()
    confirmed: list = []
    pins: list = []
    window.pin_provider = lambda *a: pins.append(a[1])  # None: cancel at the PIN
    window.cert_chooser = lambda _p, role, entries: next(
        e for e in entries if e.token_label == training.token_labels[role])
    results: list = []

    def run(answer: bool) -> None:
        window.warning_confirmer = lambda _p, warns: confirmed.append([w.code for w in warns]) or answer
        flow = sign_dialog.SignFlow(window, local_id, prepared)
        flow.finished.connect(lambda ok, msg: results.append((ok, msg)))
        flow.start()
        qtbot.waitUntil(lambda: len(results) == len(confirmed) and not window.busy, timeout=30_000)

    run(False)
    assert confirmed == [["name-duplicate"]] and pins == []  # declined: no PIN asked
    run(True)
    qtbot.waitUntil(lambda: pins == ["chief-accountant"], timeout=30_000)
    conn = connect(training.home.db_path)
    try:
        assert [c["code"] for c in confirmations(conn, local_id)] == ["name-duplicate"]
        assert DocumentRepo(conn).get(local_id).state == "draft"  # cancelled at the PIN
    finally:
        conn.close()
