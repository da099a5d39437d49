"""The whole path through the CLI, each step a subprocess, nothing mocked.

SoftHSM2 tokens set up by the test (keys generated on the token), the sandbox
treasury as its own process on a free loopback port, the client's SQLite:
import → render → sign (chief accountant) → sign (head of unit) → verify →
login → submit → status until paid. The packages are then checked with
``openssl cms -verify`` and plain SHA-256, independently of the client.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from client.resources import resource

pytestmark = pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="SoftHSM2 not installed")

UNIT = "1047665"
PINS = {"chief-accountant": ("KTT", "1234"), "head-of-unit": ("TTDV", "5678")}

PROVISION = r"""
import os, sys
from pathlib import Path
from client.signing.tokens import TokenService
from client.training.pki import load_or_create_ca
from client.training.token import create_token, provision_signer, softhsm_module
tmp = Path(sys.argv[1])
ca = load_or_create_ca(tmp / "ca")
(tmp / "ca.pem").write_bytes(ca.cert_pem())
conf = Path(os.environ["SOFTHSM2_CONF"])
svc = TokenService(softhsm_module())
try:
    for role, label, pin, name, kt in [("chief-accountant", "KTT", "1234", "NGUYỄN THỊ HOA", "rsa"),
                                       ("head-of-unit", "TTDV", "5678", "LÊ VĂN MINH", "ec")]:
        create_token(conf, label, "87654321", pin)
        der = provision_signer(svc, label, pin, ca, name=name, organisation="Trường Tiểu học Kim Liên",
                               unit_code="1047665", key_type=kt)
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding
        (tmp / f"{role}.pem").write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
finally:
    svc.close()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from client.training.token import init_softhsm

    tmp = tmp_path_factory.mktemp("cli")
    conf = init_softhsm(tmp / "hsm")
    env = dict(os.environ, SOFTHSM2_CONF=str(conf), KBNN_CLIENT_HOME=str(tmp / "home"),
               PIN_KTT="1234", PIN_TTDV="5678", TREASURY_PASSWORD="mat-khau-thu",
               PYTHONIOENCODING="utf-8")
    subprocess.run([sys.executable, "-c", PROVISION, str(tmp)], env=env, check=True, timeout=120)
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "client", "sandbox", "--port", str(port), "--data", str(tmp / "sandbox"),
         "--advance", "0.5", "--unit", f"{UNIT}:ketoan01:mat-khau-thu",
         "--signer", f"{UNIT}:chief-accountant:{tmp / 'chief-accountant.pem'}",
         "--signer", f"{UNIT}:head-of-unit:{tmp / 'head-of-unit.pem'}",
         "--trust", str(tmp / "ca.pem"), "--pose-as-treasury"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=2) as r:
                assert json.load(r)["status"] == "ok"
            break
        except OSError:
            if time.monotonic() > deadline or sandbox.poll() is not None:
                sandbox.kill()
                pytest.fail("sandbox did not start: " + sandbox.stdout.read().decode(errors="replace"))
            time.sleep(0.2)
    yield {"tmp": tmp, "env": env, "base": base}
    sandbox.terminate()
    sandbox.wait(10)


def cli(world, *args, ok=True, timeout=120):
    proc = subprocess.run([sys.executable, "-m", "client", *args], env=world["env"], cwd=world["tmp"],
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    if ok is True and proc.returncode != 0:
        pytest.fail(f"kbnn-client {' '.join(args)} → {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def _openssl_verify(sig: bytes, content: bytes, ca: Path, tmp: Path) -> subprocess.CompletedProcess:
    (tmp / "s.p7s").write_bytes(sig)
    (tmp / "m.xml").write_bytes(content)
    return subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp / "s.p7s"),
                           "-content", str(tmp / "m.xml"), "-CAfile", str(ca), "-purpose", "any",
                           "-out", os.devnull], capture_output=True, text=True)


def test_whole_path_to_paid(world):
    tmp = world["tmp"]
    ca = str(tmp / "ca.pem")
    cli(world, "unit", "set", "--code", UNIT, "--name", "Trường Tiểu học Kim Liên", "--treasury",
        "KBNN Đống Đa", "--account", "9523.1.1047665", "--account-kind", "estimate",
        "--prepared-by", "Trần Thị Lan")
    cli(world, "import", "salary", str(resource("demo", "salary-demo.csv")), "-o", "doc.json",
        "--period", "2026-10", "--number", "09/2026-10", "--date", "2026-10-25",
        "--payment-order", "GRDT-0125:2026-10-25")
    doc = json.loads((tmp / "doc.json").read_text("utf-8"))
    assert doc["kind"] == "salary-table" and len(doc["lines"]) == 12
    assert doc["unit"]["code"] == UNIT and doc["period"] == {"year": 2026, "month": 10}
    assert doc["payment_order"] == {"number": "GRDT-0125", "date": "2026-10-25"}
    assert doc["total"] == sum(line["amount"] for line in doc["lines"])

    cli(world, "render", "doc.json", "-o", "form.pdf")
    assert (tmp / "form.pdf").read_bytes().startswith(b"%PDF")

    # signing out of order is refused, with a token/usage exit code and no file left behind
    bad = cli(world, "sign", "doc.json", "-o", "wrong.asice", "--role", "head-of-unit", "--token", "TTDV",
              "--pin-env", "PIN_TTDV", "--trust", ca, ok=False)
    assert bad.returncode == 1 and not (tmp / "wrong.asice").exists()

    cli(world, "sign", "doc.json", "-o", "p1.asice", "--role", "chief-accountant", "--token", "KTT",
        "--pin-env", "PIN_KTT", "--trust", ca)
    partial = cli(world, "verify", "p1.asice", "--trust", ca, "--require-complete", "--json", ok=False)
    assert partial.returncode == 1
    cli(world, "sign", "p1.asice", "-o", "p2.asice", "--role", "head-of-unit", "--token", "TTDV",
        "--pin-env", "PIN_TTDV", "--trust", ca)
    report = json.loads(cli(world, "verify", "p2.asice", "--trust", ca, "--require-complete", "--json").stdout)
    assert report["valid"] and report["complete"]
    assert [s["role"] for s in report["signatures"]] == ["chief-accountant", "head-of-unit"]

    # the signed document.json is byte for byte the imported one (never re-serialised)
    with zipfile.ZipFile(tmp / "p2.asice") as z:
        names = z.namelist()
        assert names[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert z.read("document.json") == (tmp / "doc.json").read_bytes()
        # independent check: openssl over each manifest, and SHA-256 of each referenced entry
        for n in (1, 2):
            manifest = z.read(f"META-INF/ASiCManifest00{n}.xml")
            res = _openssl_verify(z.read(f"META-INF/signature00{n}.p7s"), manifest, Path(ca), tmp)
            assert res.returncode == 0, res.stderr
            refs = re.findall(rb'URI="([^"]+)"[^>]*>\s*<ds:DigestMethod[^>]*/>\s*<ds:DigestValue>([^<]+)<',
                              manifest)
            covered = {uri.decode() for uri, _ in refs}
            assert {"document.json", "document.pdf"} <= covered
            if n == 2:
                assert "META-INF/signature001.p7s" in covered
            for uri, digest in refs:
                assert base64.b64decode(digest) == hashlib.sha256(z.read(uri.decode())).digest()

    # a wrong password is refused with exit 1 and nothing stored
    world["env"]["BAD_PASSWORD"] = "sai"
    refused = cli(world, "login", "--server", world["base"], "--unit", UNIT, "--user", "ketoan01",
                  "--password-env", "BAD_PASSWORD", ok=False)
    assert refused.returncode == 1
    cli(world, "login", "--server", world["base"], "--unit", UNIT, "--user", "ketoan01",
        "--password-env", "TREASURY_PASSWORD")
    sub = cli(world, "submit", "p2.asice", "--password-env", "TREASURY_PASSWORD", "--trust", ca)
    assert "Đã gửi" in sub.stdout

    items = json.loads(cli(world, "queue", "list", "--json").stdout)
    assert len(items) == 1
    item = items[0]
    for key in ("local_id", "submission_id", "state", "treasury_status", "idempotency_key",
                "document_number", "total"):
        assert key in item
    assert item["submission_id"] and item["total"] == doc["total"] and item["document_number"] == "09/2026-10"

    deadline = time.monotonic() + 60
    while True:
        status = json.loads(cli(world, "status", item["submission_id"], "--refresh", "--json",
                                "--password-env", "TREASURY_PASSWORD").stdout)
        if status["treasury_status"] == "paid":
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.5)
    assert [h["status"] for h in status["history"]][-1] == "paid"

    # submitting the same package again does not create a second payment
    cli(world, "submit", "p2.asice", "--password-env", "TREASURY_PASSWORD", "--trust", ca, ok=None)
    ids = {i["submission_id"] for i in json.loads(cli(world, "queue", "list", "--json").stdout)}
    assert ids == {item["submission_id"]}


def test_words_and_usage_errors(world):
    assert cli(world, "words", "1000005").stdout.strip() == "Một triệu không trăm linh năm đồng"
    assert cli(world, "words", "abc", ok=False).returncode == 2
    assert cli(world, "sign", ok=False).returncode == 2


def test_wrong_pin_exit_4_and_no_file(world):
    tmp = world["tmp"]
    if not (tmp / "doc.json").exists():
        pytest.skip("needs the document of the path test")
    world["env"]["PIN_BAD"] = "0000"
    res = cli(world, "sign", "doc.json", "-o", "bad.asice", "--role", "chief-accountant", "--token", "KTT",
              "--pin-env", "PIN_BAD", "--trust", str(tmp / "ca.pem"), ok=False)
    assert res.returncode == 4, res.stderr
    assert "PIN" in res.stderr
    assert not (tmp / "bad.asice").exists()
    assert not [p for p in tmp.iterdir() if p.name.startswith("bad.asice")]


def test_first_signature_waits_for_warnings_to_be_confirmed(world):
    """A warning of the content checks stops `sign` before the PIN; `--confirm-warnings`
    records who accepted it (the signer), and then the document is signed."""
    import sqlite3

    tmp = world["tmp"]
    ca = str(tmp / "ca.pem")
    cli(world, "unit", "set", "--code", UNIT, "--name", "Trường Tiểu học Kim Liên", "--treasury",
        "KBNN Đống Đa", "--account", "9523.1.1047665", "--account-kind", "estimate",
        "--prepared-by", "Trần Thị Lan")
    (tmp / "trung-ten.csv").write_text(
        "Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n"
        "Nguyễn Văn An,0011004455601,Vietcombank,5.000.000\n"
        "Nguyễn Văn An,0011004455602,Vietcombank,6.000.000\n", encoding="utf-8")
    cli(world, "import", "salary", "trung-ten.csv", "-o", "warn.json", "--period", "2026-09",
        "--number", "09/2026-09b", "--date", "2026-09-25")
    world["env"]["PIN_WRONG"] = "000000"  # never reaches the token: no PIN is asked
    refused = cli(world, "sign", "warn.json", "-o", "w1.asice", "--role", "chief-accountant",
                  "--token", "KTT", "--pin-env", "PIN_WRONG", "--trust", ca, ok=False)
    assert refused.returncode == 1 and not (tmp / "w1.asice").exists()
    assert "name-duplicate" in refused.stderr and "chưa được xác nhận" in refused.stderr
    cli(world, "sign", "warn.json", "-o", "w1.asice", "--role", "chief-accountant", "--token", "KTT",
        "--pin-env", "PIN_KTT", "--trust", ca, "--confirm-warnings", "name-duplicate")
    assert (tmp / "w1.asice").exists()
    db = sqlite3.connect(tmp / "home" / "kbnn.sqlite3")
    try:
        rows = db.execute("SELECT code, by_name FROM warning_confirmations").fetchall()
        state = db.execute("SELECT state FROM documents WHERE number = '09/2026-09b'").fetchone()
    finally:
        db.close()
    assert ("name-duplicate", "NGUYỄN THỊ HOA") in rows and state == ("signed-partial",)
