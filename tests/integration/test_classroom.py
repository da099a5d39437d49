"""A classroom: trainees, their printed sheets and tokens, joining one, and ``--reset``."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs12

from client.errors import InvalidInput
from client.sandbox.server import start_sandbox
from client.training.classroom import (
    create_classroom,
    load_bundle,
    write_sheets,
)

SERVER = "http://127.0.0.1:8765/api/v1"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
needs_softhsm = pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="needs SoftHSM2")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lop")
    room = create_classroom(folder / "classroom", 3)
    folders = write_sheets(room, folder / "phieu", SERVER)
    return room, folders, folder


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=30).stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True,
                          timeout=30).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@needs_poppler
def test_one_page_sheet_per_trainee_with_everything_to_log_in(classroom):
    room, folders, folder = classroom
    assert [f.name for f in folders] == ["hocvien-01", "hocvien-02", "hocvien-03"]
    assert _pages(folder / "phieu" / "phieu-hoc-vien-tat-ca.pdf") == 3
    for trainee, f in zip(room.trainees, folders, strict=True):
        sheet = f / f"phieu-{f.name}.pdf"
        assert _pages(sheet) == 1
        text = _pdf_text(sheet)
        assert "PHIẾU HỌC VIÊN" in text and SERVER in text
        assert trainee.unit.code in text and trainee.username in text and trainee.password in text
        for signer in trainee.signers.values():
            assert f"PIN: {signer.pin}" in text and signer.token_label in text
        assert f"kbnn-client training --join {f.name}" in text
    codes = [t.unit.code for t in room.trainees]
    assert codes == ["1090001", "1090002", "1090003"]
    assert len({t.password for t in room.trainees}) == 3


def test_two_signer_certificates_per_trainee_as_pkcs12_opened_by_the_sheet_pin(classroom):
    room, folders, _ = classroom
    ca = x509.load_der_x509_certificate(room.ca_der)
    for trainee, f in zip(room.trainees, folders, strict=True):
        bundle = json.loads((f / "classroom.json").read_text("utf-8"))
        assert bundle["server"] == SERVER and bundle["unit"]["code"] == trainee.unit.code
        for role, file in (("chief-accountant", "ke-toan-truong.p12"),
                           ("head-of-unit", "thu-truong-don-vi.p12")):
            pin = bundle["signers"][role]["pin"]
            key, cert, extra = pkcs12.load_key_and_certificates((f / file).read_bytes(),
                                                                pin.encode())
            assert key is not None and cert is not None
            assert cert.issuer == ca.subject and [c.subject for c in extra] == [ca.subject]
            ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                                   cert.signature_hash_algorithm)
            assert f"MNS:{trainee.unit.code}" in cert.subject.rfc4514_string()
            assert cert.public_key().public_numbers() == key.public_key().public_numbers()
            with pytest.raises(ValueError):
                pkcs12.load_key_and_certificates((f / file).read_bytes(), b"000000")


def test_a_classroom_is_made_once_then_kept_and_extended(tmp_path):
    first = create_classroom(tmp_path / "c", 2)
    again = create_classroom(tmp_path / "c", 2)
    assert [(t.username, t.password) for t in again.trainees] == [
        (t.username, t.password) for t in first.trainees]
    assert again.ca_der == first.ca_der
    bigger = create_classroom(tmp_path / "c", 3)
    assert [t.index for t in bigger.trainees] == [1, 2, 3]
    assert bigger.trainees[0].signers["chief-accountant"].cert_der == \
        first.trainees[0].signers["chief-accountant"].cert_der
    for bad in (0, 100):
        with pytest.raises(InvalidInput, match="Số học viên"):
            create_classroom(tmp_path / "c", bad)


def test_the_sandbox_knows_every_trainee(classroom, tmp_path):
    room, _, _ = classroom
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, **room.sandbox_kwargs())
    try:
        for t in room.trainees:
            r = requests.post(srv.base_url + "/sessions", timeout=5, json={
                "unit_code": t.unit.code, "username": t.username, "password": t.password})
            assert r.status_code == 201, r.text
            signers = requests.get(srv.base_url + f"/units/{t.unit.code}/signers", timeout=5,
                                   headers={"Authorization": "Bearer " + r.json()["token"]}).json()
            assert {(s["role"], s["certificate_sha256"]) for s in signers["signers"]} == {
                (role, hashlib.sha256(s.cert_der).hexdigest()) for role, s in t.signers.items()}
        orders = requests.get(srv.base_url + "/_admin/payment-orders", timeout=5).json()["items"]
        assert {o["unit_code"] for o in orders} == {t.unit.code for t in room.trainees}
        assert {o["amount"] for o in orders} == {room.demo_total}
    finally:
        srv.stop()


def test_joining_needs_a_trainee_folder(tmp_path):
    with pytest.raises(InvalidInput, match="Không tìm thấy tệp classroom.json"):
        load_bundle(tmp_path)
    (tmp_path / "classroom.json").write_text('{"format": "khác"}', encoding="utf-8")
    with pytest.raises(InvalidInput, match="không phải phiếu lớp tập huấn"):
        load_bundle(tmp_path)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("SOFTHSM2_CONF", None)
    env.pop("KBNN_CLIENT_HOME", None)
    return subprocess.run([sys.executable, "-m", "client", "--home", str(home), *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=180)


@needs_softhsm
def test_join_from_the_sheet_then_reset_wipes_only_training_data(classroom, tmp_path):
    _, folders, _ = classroom
    home = tmp_path / "may-ke-toan"
    # a real profile: unit, server, its database and logs
    assert _cli(home, "unit", "set", "--code", "1047665", "--name", "Trường Tiểu học Kim Liên",
                "--treasury", "KBNN Đống Đa", "--account", "9523.1.1047665",
                "--account-kind", "estimate").returncode == 0
    (home / "kbnn.sqlite3").write_bytes(b"real work, not to be touched")
    (home / "logs").mkdir(exist_ok=True)
    (home / "logs" / "kbnn-client.log").write_text("nhật ký thật\n", encoding="utf-8")
    real = {p.relative_to(home): p.read_bytes() for p in home.rglob("*") if p.is_file()}

    # join from the sheet PDF's path (the bundle beside it is found)
    joined = _cli(home, "training", "--join", str(folders[0] / "phieu-hocvien-01.pdf"), "--no-gui")
    assert joined.returncode == 0, joined.stderr
    assert "Đã tham gia lớp tập huấn: đơn vị 1090001" in joined.stdout
    settings = (home / "training" / "settings.ini").read_text("utf-8")
    assert "mode = training" in settings and SERVER in settings and "hv01" in settings

    reset = _cli(home, "training", "--reset", "--no-gui")
    assert reset.returncode == 0, reset.stderr
    settings = (home / "training" / "settings.ini").read_text("utf-8")
    assert "source = classroom" not in settings and "1090001" not in settings
    after = {p.relative_to(home): p.read_bytes() for p in home.rglob("*")
             if p.is_file() and p.relative_to(home).parts[0] != "training"}
    assert after == real
    # the core function joins too (the GUI's first-run wizard calls it); in a child process:
    # SoftHSM2 reads its configuration once per process (tests/softhsm.py)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("SOFTHSM2_CONF", None)
    child = subprocess.run([sys.executable, "-c", (
        "import sys; from client.home import Home; "
        "from client.training.classroom import join_classroom; "
        "h = join_classroom(Home(sys.argv[1]), sys.argv[2]); "
        "print(h.get('unit', 'code'), h.is_training)"), str(home), str(folders[1])],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=180)
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["1090002", "True"]
    assert {p.relative_to(home): p.read_bytes() for p in home.rglob("*")
            if p.is_file() and p.relative_to(home).parts[0] != "training"} == real
