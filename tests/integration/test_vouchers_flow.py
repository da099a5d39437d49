"""A voucher list with two attachments along the same path as a salary table, through the CLI:
import → render (PDF + xlsx) → sign (chief accountant, attaching) → sign (head of unit) →
submit → status until paid, against the sandbox over loopback HTTP with SoftHSM2 tokens.
A package whose attachment was changed after signing is refused by the client and by the
sandbox's verifier (the same ``signing.verify``)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
import uuid
import zipfile

from tests.integration.test_cli_path import UNIT, cli, world  # noqa: F401  (module fixture)
from tests.unit.test_vouchers_import import form_like_workbook

CONTRACT = b"%PDF-1.4\n% Hop dong cung cap van phong pham so 12/2026\n" + bytes(range(256)) * 4
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(512)


def _post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_voucher_list_with_attachments_to_paid(world):  # noqa: F811
    tmp = world["tmp"]
    ca = str(tmp / "ca.pem")
    cli(world, "unit", "set", "--code", UNIT, "--name", "Trường Tiểu học Kim Liên", "--treasury",
        "KBNN Đống Đa", "--account", "9523.1.1047665", "--account-kind", "estimate",
        "--prepared-by", "Trần Thị Lan")
    form_like_workbook(tmp / "bang-ke.xlsx")
    cli(world, "import", "vouchers", "bang-ke.xlsx", "-o", "bk.json", "--chapter", "622",
        "--sector", "072", "--source", "13", "--number", "BK-10/2026", "--date", "2026-10-20",
        "--payment-order", "GRDT-0126:2026-10-20", "--order-line", "6501=1250000",
        "--order-line", "6502=480500", "--order-line", "6551=3450000")
    doc = json.loads((tmp / "bk.json").read_text("utf-8"))
    assert doc["kind"] == "voucher-list" and doc["total"] == 5_180_500
    cli(world, "render", "bk.json", "-o", "bk.pdf", "--xlsx", "bk-out.xlsx")
    assert (tmp / "bk.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp / "bk-out.xlsx").read_bytes().startswith(b"PK")

    (tmp / "Hợp đồng 12-2026.pdf").write_bytes(CONTRACT)
    (tmp / "Biên bản giao nhận.png").write_bytes(PHOTO)
    cli(world, "sign", "bk.json", "-o", "bk1.asice", "--role", "chief-accountant", "--token",
        "KTT", "--pin-env", "PIN_KTT", "--trust", ca, "--attach", "Hợp đồng 12-2026.pdf",
        "Biên bản giao nhận.png")
    # attachments are added with the first signature only
    late = cli(world, "sign", "bk1.asice", "-o", "x.asice", "--role", "head-of-unit", "--token",
               "TTDV", "--pin-env", "PIN_TTDV", "--trust", ca, "--attach", "Hợp đồng 12-2026.pdf",
               ok=False)
    assert late.returncode == 1 and not (tmp / "x.asice").exists()
    cli(world, "sign", "bk1.asice", "-o", "bk2.asice", "--role", "head-of-unit", "--token",
        "TTDV", "--pin-env", "PIN_TTDV", "--trust", ca)
    report = json.loads(cli(world, "verify", "bk2.asice", "--trust", ca, "--require-complete",
                            "--json").stdout)
    assert report["valid"] and report["complete"]

    with zipfile.ZipFile(tmp / "bk2.asice") as z:
        assert z.read("attachments/Hợp đồng 12-2026.pdf") == CONTRACT
        assert z.read("attachments/Biên bản giao nhận.png") == PHOTO
        signed_doc = json.loads(z.read("document.json"))
        assert [a["name"] for a in signed_doc["attachments"]] == [
            "Biên bản giao nhận.png", "Hợp đồng 12-2026.pdf"]
        for n in (1, 2):  # every signature covers both attachments
            manifest = z.read(f"META-INF/ASiCManifest00{n}.xml").decode()
            for data in (CONTRACT, PHOTO):
                digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
                assert digest in manifest
        entries = {i.filename: z.read(i.filename) for i in z.infolist()}

    # change one attachment after signing: the client refuses to verify and to submit it
    (tmp / "tampered.asice").write_bytes(_rezip(entries, "attachments/Hợp đồng 12-2026.pdf",
                                                CONTRACT + b"% price changed\n"))
    bad = cli(world, "verify", "tampered.asice", "--trust", ca, "--json", ok=False)
    assert bad.returncode == 1
    codes = {p["code"] for p in json.loads(bad.stdout)["problems"]}
    assert {"manifest-digest-mismatch", "attachment-mismatch"} <= codes
    refused = cli(world, "submit", "tampered.asice", "--password-env", "TREASURY_PASSWORD",
                  "--trust", ca, ok=False)
    assert refused.returncode == 1

    cli(world, "login", "--server", world["base"], "--unit", UNIT, "--user", "ketoan01",
        "--password-env", "TREASURY_PASSWORD")
    # and the sandbox, given it directly, rejects it naming the changed attachment
    status, token = _post(world["base"] + "/sessions", json.dumps(
        {"unit_code": UNIT, "username": "ketoan01", "password": "mat-khau-thu",
         "client": {"name": "test", "version": "0", "machine": "t"}}).encode(),
        {"Content-Type": "application/json"})
    assert status == 201
    body = (tmp / "tampered.asice").read_bytes()
    status, answer = _post(world["base"] + "/submissions", body, {
        "Authorization": f"Bearer {token['token']}", "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/vnd.etsi.asic-e+zip",
        "Content-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode()
                          + ":"})
    assert status == 422
    assert "attachments/Hợp đồng 12-2026.pdf" in json.dumps(answer, ensure_ascii=False)

    sub = cli(world, "submit", "bk2.asice", "--password-env", "TREASURY_PASSWORD", "--trust", ca)
    assert "Đã gửi" in sub.stdout
    items = [i for i in json.loads(cli(world, "queue", "list", "--json").stdout)
             if i["document_number"] == "BK-10/2026"]
    assert len(items) == 1 and items[0]["total"] == 5_180_500
    deadline = time.monotonic() + 60
    while True:
        status_doc = json.loads(cli(world, "status", items[0]["submission_id"], "--refresh",
                                    "--json", "--password-env", "TREASURY_PASSWORD").stdout)
        if status_doc["treasury_status"] == "paid":
            break
        assert time.monotonic() < deadline, status_doc
        time.sleep(0.5)


def _rezip(entries: dict[str, bytes], name: str, content: bytes) -> bytes:
    from client.signing.asice import Package

    pkg = Package(dict(entries))
    pkg.entries[name] = content
    return pkg.to_bytes()
