"""Diagnostics: the checks one by one against real things (SQLite files, loopback HTTP and
HTTPS sandboxes, sockets), the runner's independence, the report, the support bundle."""

from __future__ import annotations

import json
import socket
import sqlite3
import ssl
import threading
import zipfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from client.diagnostics import (
    CHECKS,
    FAILED,
    OK,
    WARNING,
    CheckResult,
    CheckSpec,
    DiagnosticEnv,
    check_list,
    read_log_tail,
    run_diagnostics,
    save_support_bundle,
)
from client.diagnostics import checks as C
from client.home import Home
from client.sandbox.server import start_sandbox
from client.store.db import connect
from client.store.documents import DocumentRepo
from client.transport.outbox import Outbox


def run_one(home: Home, check_id: str, **env_kwargs) -> CheckResult:
    report = run_diagnostics(home, env=DiagnosticEnv(home, **env_kwargs), only=[check_id])
    (result,) = report.checks
    assert result.id == check_id
    return result


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home")


# --------------------------------------------------------------------------- runner and report


def test_one_check_raising_or_hanging_never_stops_the_others(home):
    release = threading.Event()

    def boom(env):
        raise RuntimeError("hỏng")

    def hang(env):
        release.wait(30)
        return C._r(OK, "muộn")

    def fine(env):
        return C._r(OK, "tốt", value=1)

    specs = [CheckSpec("boom", "Nổ", "Boom", boom), CheckSpec("hang", "Treo", "Hang", hang, timeout=0.3),
             CheckSpec("fine", "Ổn", "Fine", fine)]
    seen: list[str] = []
    try:
        report = run_diagnostics(home, checks=specs, on_result=lambda r: seen.append(r.id))
    finally:
        release.set()
    by = {c.id: c for c in report.checks}
    assert [c.id for c in report.checks] == ["boom", "hang", "fine"]  # report order, not finish order
    assert by["boom"].status == FAILED and "RuntimeError: hỏng" in by["boom"].detail and by["boom"].advice
    assert by["hang"].status == FAILED and "không xong" in by["hang"].detail
    assert by["fine"].status == OK and by["fine"].data == {"value": 1} and by["fine"].title == "Ổn"
    assert sorted(seen) == ["boom", "fine", "hang"]
    assert report.status == FAILED and report.summary() == {"ok": 1, "warning": 0, "failed": 2}


def test_report_json_schema_and_plain_text(home):
    report = run_diagnostics(home, only=["app", "disk", "database", "outbox", "profile"])
    doc = json.loads(report.to_json_text())
    assert set(doc) >= {"version", "generated_at", "checks"}
    assert datetime.fromisoformat(doc["generated_at"]).tzinfo is not None
    assert [c["id"] for c in doc["checks"]] == ["app", "profile", "database", "outbox", "disk"]
    for c in doc["checks"]:
        assert set(c) == {"id", "status", "title", "detail", "advice", "data"}
    app = report.get("app")
    assert app.status == OK and app.data["bits"] in (32, 64) and app.data["app_version"]
    # a fresh home: no unit, no server, no database yet -> warnings with what to do
    assert report.get("profile").status == WARNING and report.get("database").status == WARNING
    text = report.to_text()
    assert text.startswith("BÁO CÁO KIỂM TRA MÁY")
    assert "[CẢNH BÁO] Cấu hình và thông tin đơn vị" in text and "Cách khắc phục:" in text
    assert "[ĐẠT] Ứng dụng và hệ điều hành" in text
    assert [c["id"] for c in check_list()] == [s.id for s in CHECKS]


# --------------------------------------------------------------------------- local data


def _seed(home: Home, n_docs: int = 3) -> None:
    conn = connect(home.db_path)
    try:
        repo, outbox = DocumentRepo(conn), Outbox(conn)
        for i in range(n_docs):
            doc = {"id": f"doc-{i}", "kind": "salary-table", "number": f"BL-{i}", "total": 1000 * (i + 1)}
            local = repo.add_draft(json.dumps(doc).encode(), doc)
            if i < 2:
                outbox.enqueue(f"package {i}".encode(), doc, document_local_id=local)
        old = (datetime.now(UTC) - timedelta(days=3)).isoformat(timespec="microseconds")
        conn.execute("UPDATE outbox SET created_at = ? WHERE document_number = 'BL-0'", (old,))
        conn.execute("UPDATE outbox SET state = 'needs-attention' WHERE document_number = 'BL-1'")
    finally:
        conn.close()


def test_database_ok_then_corrupted_then_newer_schema(home):
    _seed(home)
    ok = run_one(home, "database")
    assert ok.status == OK and ok.data["integrity_check"] == ["ok"] and ok.data["documents"] == 3

    with closing(sqlite3.connect(home.db_path, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA user_version = {ok.data['expected_schema'] + 5}")
    newer = run_one(home, "database")
    assert newer.status == FAILED and "mới hơn" in newer.detail and "Cài phiên bản" in newer.advice

    with closing(sqlite3.connect(home.db_path, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA user_version = {ok.data['expected_schema']}")
        conn.execute("PRAGMA journal_mode = DELETE")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'documents'").fetchone()[0]
    raw = bytearray(home.db_path.read_bytes())
    start = (root - 1) * page
    raw[start + 8: start + page] = b"\xa5" * (page - 8)  # the table's root page is garbage now
    home.db_path.write_bytes(bytes(raw))
    broken = run_one(home, "database")
    assert broken.status == FAILED and "restore" in broken.advice


def test_outbox_counts_oldest_and_needs_attention(home):
    _seed(home)
    result = run_one(home, "outbox")
    assert result.status == WARNING
    assert result.data["counts"] == {"queued": 1, "needs-attention": 1}
    assert result.data["needs_attention"] == ["BL-1"]
    assert result.data["oldest_queued_age_seconds"] >= 3 * 86400 - 60
    assert "chờ gửi: 1" in result.detail and "BL-0" in result.detail


def test_disk_reports_free_space(home):
    result = run_one(home, "disk")
    assert result.status in (OK, WARNING, FAILED)
    assert result.data["free_bytes"] > 0 and result.data["total_bytes"] >= result.data["free_bytes"]


def test_disk_counts_the_data_folder_even_when_sqlite_files_vanish(tmp_path, monkeypatch):
    """SQLite removes kbnn.sqlite3-shm when the last connection closes: a doctor run at that
    moment once failed its disk check with FileNotFoundError (CI, a training profile)."""
    import os

    root = tmp_path / "home"
    (root / "logs").mkdir(parents=True)
    (root / "settings.ini").write_bytes(b"x" * 1000)
    (root / "logs" / "kbnn.log").write_bytes(b"y" * 500)
    (root / "kbnn.sqlite3-shm").write_bytes(b"z" * 32768)
    (root / "training").mkdir()
    (root / "training" / "kbnn.sqlite3").write_bytes(b"t" * 5000)  # the training profile's own
    real_scandir = os.scandir

    def scandir_then_close_last_connection(path):
        entries = list(real_scandir(path))
        (Path(path) / "kbnn.sqlite3-shm").unlink(missing_ok=True)
        return iter(entries)

    monkeypatch.setattr(C.os, "scandir", scandir_then_close_last_connection)
    assert C.folder_bytes(root, skip=("training",)) == 1500
    monkeypatch.undo()
    assert C.folder_bytes(root) == 6500


# --------------------------------------------------------------------------- network


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kho bạc thử nghiệm")])
    now = datetime.now(UTC)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "server.pem", tmp / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_not_trusted_until_the_ca_file_is_configured(home, tmp_path):
    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with start_sandbox("127.0.0.1", 0, data_dir=tmp_path / "sb", ssl_context=ctx) as sandbox:
        home.set("server", "url", sandbox.base_url)
        assert sandbox.base_url.startswith("https://")
        report = run_diagnostics(home, only=["tls", "treasury", "clock", "dns"])
        tls, treasury = report.get("tls"), report.get("treasury")
        assert tls.status == FAILED and "certificate not trusted" in tls.detail
        assert "không được tin cậy" in tls.detail and "server.ca_file" in tls.advice
        assert treasury.status == FAILED and treasury.data["code"] == "tls-error"
        assert report.get("clock").status == WARNING  # could not compare
        assert report.get("dns").status == OK

        home.set("server", "ca_file", str(cert))
        report = run_diagnostics(home, only=["tls", "treasury", "clock"])
        tls = report.get("tls")
        assert tls.status == OK, tls.detail
        assert tls.data["protocol"].startswith("TLS") and 80 <= tls.data["days_left"] <= 90
        assert report.get("treasury").status == OK and report.get("treasury").data["api_version"] == "1"
        assert report.get("clock").status == OK


def test_clock_off_by_ten_minutes_is_a_warning(home, tmp_path):
    behind = lambda: datetime.now(UTC) - timedelta(minutes=10)  # noqa: E731
    with start_sandbox("127.0.0.1", 0, data_dir=tmp_path / "sb", clock=behind) as sandbox:
        home.set("server", "url", sandbox.base_url)
        result = run_one(home, "clock")
    assert result.status == WARNING
    assert 590 <= result.data["skew_seconds"] <= 610  # the PC is ahead of the treasury
    assert "nhanh hơn giờ Kho bạc 10 phút" in result.detail and "giờ" in result.advice


def test_unreachable_server_and_dead_manual_proxy(home):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    home.set("server", "url", f"http://127.0.0.1:{dead}/api/v1")
    home.set("network", "proxy", "none")
    report = run_diagnostics(home, only=["treasury", "proxy"])
    assert report.get("treasury").status == FAILED
    assert report.get("proxy").status == OK and report.get("proxy").data["proxy"] is None

    home.set("server", "url", "https://dvc.example.invalid/api/v1")
    home.set("network", "proxy", "manual")
    home.set("network", "proxy_host", f"http://127.0.0.1:{dead}")
    proxy = run_one(home, "proxy")
    assert proxy.status == FAILED and f"127.0.0.1:{dead}" in proxy.detail
    # DNS failing while a proxy resolves names for us is only a warning
    dns = run_one(home, "dns")
    assert dns.status == WARNING and "proxy" in dns.detail

    with socket.socket() as listener:  # a proxy that accepts connections
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        home.set("network", "proxy_host", f"http://127.0.0.1:{listener.getsockname()[1]}")
        assert run_one(home, "proxy").status == OK


def test_missing_server_fails_the_network_checks_with_advice(home):
    report = run_diagnostics(home, only=["dns", "tls", "treasury", "clock", "credentials"])
    for cid in ("dns", "tls", "treasury"):
        assert report.get(cid).status == FAILED and "server.url" in report.get(cid).advice
    assert report.get("clock").status == WARNING
    assert report.get("credentials").status == WARNING


# --------------------------------------------------------------------------- PKCS#11 (no token here)


def test_missing_module_and_bitness_not_checkable(home, tmp_path):
    missing = str(tmp_path / "nope.so")
    report = run_diagnostics(home, module=missing, only=["pkcs11-modules", "pkcs11-bitness", "tokens",
                                                         "certificates"])
    assert report.get("pkcs11-modules").status == FAILED
    assert report.get("pkcs11-bitness").status == WARNING
    assert report.get("tokens").status == FAILED and report.get("certificates").status == FAILED


def test_a_file_that_is_not_a_module_is_probed_in_a_child(home, tmp_path):
    fake = tmp_path / "vnptca_p11_v10.so"
    fake.write_bytes(b"\x7fELF" + b"\0" * 60)  # a broken "library": loading it must not crash us
    report = run_diagnostics(home, module=str(fake), only=["pkcs11-modules", "pkcs11-bitness"])
    mods = report.get("pkcs11-modules")
    assert mods.status == FAILED and mods.data["modules"][0]["exists"] is True
    assert mods.data["modules"][0]["ok"] is False
    assert report.get("pkcs11-bitness").status in (WARNING, FAILED)


def test_bits_are_read_from_any_shape():
    assert C._as_bits("x64") == 64 and C._as_bits("x86") == 32 and C._as_bits(64) == 64
    assert C._as_bits("arm64") == 64 and C._as_bits(None) is None and C._as_bits("weird") is None


# --------------------------------------------------------------------------- support bundle and logs


SECRETS = {
    "password": "Mật-khẩu-Bí-Mật-9931",
    "pin": "736251",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXNlc3Npb24.Zm9v",
    "session": "sess_7Yq2Lk9PzXw4",
    "proxy": "proxyPa55word",
    "training": "taphuan-Bí-mật-2026",
}


def _plant_logs(home: Home) -> None:
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    (home.logs_dir / "kbnn-client.log").write_text("\n".join([
        "2026-10-25 08:00:01 INFO client.app: dòng bình thường số 1",
        f'2026-10-25 08:00:02 DEBUG urllib3: POST /sessions body={{"username": "ketoan01", '
        f'"password": "{SECRETS["password"]}"}}',
        f"2026-10-25 08:00:03 DEBUG client.transport: headers Authorization: Bearer {SECRETS['bearer']}",
        f"2026-10-25 08:00:04 DEBUG client.signing: login PIN: {SECRETS['pin']}",
        f"2026-10-25 08:00:05 DEBUG client.x: token={SECRETS['session']}&next=1",
        f"2026-10-25 08:00:06 DEBUG client.x: proxy http://nva:{SECRETS['proxy']}@10.0.0.1:3128",
        f"2026-10-25 08:00:07 DEBUG client.x: {SECRETS['training']} was typed",
        "2026-10-25 08:00:08 INFO client.app: dòng bình thường số 2",
    ]) + "\n", encoding="utf-8")
    (home.logs_dir / "kbnn-client.log.1").write_text(
        f"older: {{'pin': '{SECRETS['pin']}', 'user_pin': '{SECRETS['pin']}'}}\n"
        f"older: mật khẩu: {SECRETS['password']}\n", encoding="utf-8")


def test_support_bundle_has_report_and_logs_without_secrets(home, tmp_path):
    _plant_logs(home)
    home.set("profile", "mode", "training")
    home.set("training", "password", SECRETS["training"])
    home.save()
    report = run_diagnostics(home, only=["app", "disk"])
    path = save_support_bundle(home, report, tmp_path)
    assert path.parent == tmp_path and path.suffix == ".zip"
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert names == {"bao-cao.txt", "bao-cao.json", "logs/kbnn-client.log", "logs/kbnn-client.log.1",
                         "settings.ini"}
        contents = {n: z.read(n).decode("utf-8") for n in names}
    everything = "\n".join(contents.values())
    for name, secret in SECRETS.items():
        assert secret not in everything, name
    assert "dòng bình thường số 1" in contents["logs/kbnn-client.log"]
    assert "dòng bình thường số 2" in contents["logs/kbnn-client.log"]
    assert "Authorization: Bearer ***" in contents["logs/kbnn-client.log"]
    assert "nva:***@10.0.0.1:3128" in contents["logs/kbnn-client.log"]
    assert json.loads(contents["bao-cao.json"])["checks"][0]["id"] == "app"
    assert contents["bao-cao.txt"].startswith("BÁO CÁO KIỂM TRA MÁY")


def test_read_log_tail_spans_rotated_files_and_scrubs(home):
    home.logs_dir.mkdir(parents=True)
    (home.logs_dir / "kbnn-client.log.2").write_text("".join(f"a{i}\n" for i in range(5)), "utf-8")
    (home.logs_dir / "kbnn-client.log.1").write_text("".join(f"b{i}\n" for i in range(5)), "utf-8")
    (home.logs_dir / "kbnn-client.log").write_text(
        "".join(f"c{i}\n" for i in range(3)) + "password=hunter22\n", "utf-8")
    assert read_log_tail(home, 2) == ["c2", "password=***"]
    assert read_log_tail(home, 7) == ["b2", "b3", "b4", "c0", "c1", "c2", "password=***"]
    assert read_log_tail(home, 100)[0] == "a0" and len(read_log_tail(home, 100)) == 14
    big = "x" * 100 + "\n"
    (home.logs_dir / "kbnn-client.log").write_text(big * 5000 + "last\n", "utf-8")  # > one block
    tail = read_log_tail(home, 3)
    assert tail == ["x" * 100, "x" * 100, "last"]
    assert read_log_tail(Home(home.path / "empty"), 10) == []


def test_support_bundle_carries_the_installer_preset_scrubbed(home, tmp_path, monkeypatch):
    preset = tmp_path / "kbnn-client.ini"
    preset.write_text("[server]\nurl = https://dvc.kbnn.example.vn/api/v1\n"
                      "[network]\nproxy_password = Bi-Mat-Proxy-99\n", encoding="utf-16")
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    report = run_diagnostics(home, only=["app"])
    path = save_support_bundle(home, report, tmp_path / "ho-tro.zip")
    with zipfile.ZipFile(path) as z:
        presets = [n for n in z.namelist() if n.startswith("presets/")]
        assert presets == ["presets/1-kbnn-client.ini"]
        text = z.read(presets[0]).decode("utf-8")
    assert "https://dvc.kbnn.example.vn/api/v1" in text and str(preset) in text
    assert "Bi-Mat-Proxy-99" not in text and "proxy_password = ***" in text
