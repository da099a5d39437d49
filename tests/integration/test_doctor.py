"""`kbnn-client doctor --json`: a missing module, an expired certificate, an unreachable
server, and the training profile with its sandbox up (everything that can be ok is ok).

Each run is a real child process: SoftHSM2 tokens in their own folder, a loopback port
nobody listens on, the training sandbox on a free loopback port.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.softhsm import make_token_env, run_python, subprocess_env

pytestmark = pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="SoftHSM2 not installed")

ROOT = Path(__file__).resolve().parents[2]
CHECK_IDS = {"app", "profile", "pkcs11-modules", "pkcs11-bitness", "tokens", "certificates", "dns",
             "proxy", "tls", "treasury", "clock", "credentials", "database", "outbox", "disk"}
EXPIRED_PIN = "4711"

PROVISION_EXPIRED = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from client.signing.tokens import TokenService
    from client.training.pki import create_ca
    from client.training.token import provision_signer, softhsm_module
    now = datetime.now(UTC)
    with TokenService(softhsm_module()) as svc:
        provision_signer(svc, "HETHAN", sys.argv[1], create_ca(), name="PHẠM VĂN HẾT HẠN",
                         organisation="Trường Tiểu học Kim Liên", unit_code="1047665",
                         key_id=b"expired", not_before=now - timedelta(days=400),
                         not_after=now - timedelta(days=10))
""")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with-block ends


@pytest.fixture(scope="module")
def expired_world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("doctor")
    conf, module = make_token_env(tmp / "hsm", [("HETHAN", EXPIRED_PIN)])
    res = run_python(conf, PROVISION_EXPIRED.replace("sys.argv[1]", repr(EXPIRED_PIN)))
    assert res.returncode == 0, res.stderr
    home = tmp / "home"
    home.mkdir()
    (home / "settings.ini").write_text(textwrap.dedent(f"""
        [unit]
        code = 1047665
        name = Trường Tiểu học Kim Liên
        treasury = KBNN Đống Đa
        account = 9523.1.1047665
        account_kind = estimate

        [server]
        url = http://127.0.0.1:{closed_port()}/api/v1
        unit = 1047665
        user = ketoan01

        [signing]
        module = {module}
        """), encoding="utf-8")
    return {"conf": conf, "module": module, "home": home}


def doctor(conf: Path, home: Path, *args: str, timeout: float = 120) -> tuple[int, dict, str]:
    env = subprocess_env(conf)
    env.pop("KBNN_PKCS11_MODULE", None)
    proc = subprocess.run([sys.executable, "-m", "client", "--home", str(home), "doctor", "--json", *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT,
                          timeout=timeout)
    assert proc.stdout.strip().startswith("{"), proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def by_id(report: dict) -> dict[str, dict]:
    return {c["id"]: c for c in report["checks"]}


def assert_schema(report: dict) -> None:
    assert {"version", "generated_at", "checks"} <= set(report)
    assert report["version"] and report["generated_at"].endswith("+00:00")
    assert {c["id"] for c in report["checks"]} == CHECK_IDS
    for c in report["checks"]:
        assert set(c) == {"id", "status", "title", "detail", "advice", "data"}, c
        assert c["status"] in ("ok", "warning", "failed")
        assert c["title"] and isinstance(c["data"], dict)
        if c["status"] != "ok":
            assert c["advice"], f"{c['id']} has no advice"
    assert sum(report["summary"].values()) == len(report["checks"])


def test_expired_certificate_and_unreachable_server(expired_world):
    rc, report, _err = doctor(expired_world["conf"], expired_world["home"])
    assert_schema(report)
    checks = by_id(report)
    assert rc == 1  # something failed

    # the token is there, but its only certificate expired ten days ago
    assert checks["tokens"]["status"] == "ok"
    assert [t["label"] for t in checks["tokens"]["data"]["tokens"]] == ["HETHAN"]
    cert = checks["certificates"]
    assert cert["status"] == "failed"
    (row,) = cert["data"]["certificates"]
    assert row["subject_cn"] == "PHẠM VĂN HẾT HẠN" and row["has_private_key"]
    assert row["days_left"] <= -10 and not row["usable"]
    assert "cert-expired" in [p["code"] for p in row["problems"]]
    assert "hết hạn" in cert["detail"] and "gia hạn" in cert["advice"]

    # nobody listens on the server's port: health fails, the clock cannot be compared
    assert checks["treasury"]["status"] == "failed"
    assert checks["treasury"]["data"]["code"] in ("connection-refused", "connection-error")
    assert "Không kết nối được" in checks["treasury"]["detail"] and checks["treasury"]["advice"]
    assert checks["clock"]["status"] == "warning" and "Chưa so được giờ" in checks["clock"]["detail"]
    # ... while the checks that do not need it still pass
    assert checks["dns"]["status"] == "ok" and checks["tls"]["status"] == "ok"
    assert checks["pkcs11-modules"]["status"] == "ok"
    assert checks["pkcs11-bitness"]["status"] == "ok"
    assert checks["app"]["data"]["bits"] in (32, 64)
    assert checks["database"]["status"] == "warning"  # no database yet in this home
    # the PIN never appears anywhere in the report
    assert EXPIRED_PIN not in json.dumps(report)


def test_missing_module_fails_its_checks_and_only_those(expired_world, tmp_path):
    missing = str(tmp_path / "vendor" / "vnptca_p11_v10.so")
    rc, report, _err = doctor(expired_world["conf"], expired_world["home"], "--module", missing)
    assert_schema(report)
    checks = by_id(report)
    assert rc == 1
    mod = checks["pkcs11-modules"]
    assert mod["status"] == "failed" and missing in mod["detail"] and "không tìm thấy" in mod["detail"]
    assert mod["data"]["modules"] == [{"path": missing, "source": "--module", "exists": False, "ok": False,
                                       "message": "không tìm thấy tệp"}]
    assert checks["tokens"]["status"] == "failed" and checks["certificates"]["status"] == "failed"
    assert checks["pkcs11-bitness"]["status"] == "warning"
    # every other check still ran and gave its own verdict
    assert checks["app"]["status"] == "ok" and checks["disk"]["status"] in ("ok", "warning")
    assert checks["treasury"]["data"]["code"] in ("connection-refused", "connection-error")


TRAINING_DOCTOR = textwrap.dedent("""
    import sys
    from client import cli
    from client.home import Home
    from client.training.setup import ensure_training
    session = ensure_training(Home(sys.argv[1]))
    try:
        rc = cli.main(["--home", str(session.home.path), "doctor", "--json",
                       "--bundle", sys.argv[2]])
    finally:
        session.stop()
    sys.exit(rc)
""")


def test_training_profile_with_sandbox_is_all_ok(tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONPATH=str(ROOT))
    env.pop("SOFTHSM2_CONF", None)  # the training profile brings its own
    env.pop("KBNN_PKCS11_MODULE", None)
    bundle = tmp_path / "ho-tro.zip"
    proc = subprocess.run([sys.executable, "-c", TRAINING_DOCTOR, str(tmp_path / "base"), str(bundle)],
                          capture_output=True, text=True, encoding="utf-8", env=env, cwd=ROOT,
                          timeout=240)
    report = json.loads(proc.stdout[: proc.stdout.rindex("}") + 1])
    assert_schema(report)
    checks = by_id(report)
    not_ok = {k: (c["status"], c["detail"]) for k, c in checks.items() if c["status"] != "ok"}
    # only what a test machine may legitimately lack (little disk, a broken extra module)
    assert set(not_ok) <= {"disk", "pkcs11-modules", "pkcs11-bitness"}, not_ok
    assert not any(s == "failed" for s, _ in not_ok.values()), not_ok
    assert proc.returncode == 0, proc.stderr
    assert sorted(t["label"] for t in checks["tokens"]["data"]["tokens"]) == ["KTT-TAPHUAN", "TTDV-TAPHUAN"]
    assert all(c["usable"] and c["days_left"] > 300 for c in checks["certificates"]["data"]["certificates"])
    assert abs(checks["clock"]["data"]["skew_seconds"]) < 60
    assert checks["database"]["data"]["integrity_check"] == ["ok"]
    assert checks["credentials"]["data"]["present"] is True
    # the support bundle holds the report and the logs, without the training password
    import zipfile

    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        assert {"bao-cao.txt", "bao-cao.json", "settings.ini"} <= set(names)
        assert any(n.startswith("logs/") for n in names)
        everything = b"".join(z.read(n) for n in names).decode("utf-8")
    assert "taphuan2026" not in everything and "111111" not in everything
    assert "Đồng hồ máy tính" in everything
