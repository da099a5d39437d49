"""`kbnn-client training` prepares a whole classroom profile by itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="SoftHSM2 not installed")


def run(home, *args, env_extra=None):
    env = dict(os.environ, PYTHONIOENCODING="utf-8", **(env_extra or {}))
    env.pop("SOFTHSM2_CONF", None)
    return subprocess.run([sys.executable, "-m", "client", "--home", str(home), "training", "--no-gui", *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=180)


def test_training_creates_profile_once_and_reset_starts_afresh(tmp_path):
    first = run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "111111" in first.stdout and "222222" in first.stdout
    tdir = tmp_path / "training"
    ca1 = (tdir / "training-data" / "pki" / "ca.der").read_bytes()
    settings = (tdir / "settings.ini").read_text("utf-8")
    assert "mode = training" in settings and "1047665" in settings
    # the real profile next to it is untouched: no unit, no server
    assert not (tmp_path / "settings.ini").exists() or "training" not in (tmp_path / "settings.ini").read_text()

    again = run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert (tdir / "training-data" / "pki" / "ca.der").read_bytes() == ca1

    # both training tokens hold a certificate with its private key
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from client.app import AppContext; from client.home import Home;"
         "c = AppContext(Home(sys.argv[1]));"
         "print(sorted(e.token_label for e in c.tokens().certificates() if e.has_private_key));"
         "print(len(c.documents.list())); c.close()", str(tdir)],
        capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.splitlines() == ["['KTT-TAPHUAN', 'TTDV-TAPHUAN']", "1"]

    reset = run(tmp_path, "--reset")
    assert reset.returncode == 0, reset.stderr
    assert (tdir / "training-data" / "pki" / "ca.der").read_bytes() != ca1


def test_training_without_softhsm_explains_in_vietnamese(tmp_path):
    res = run(tmp_path, env_extra={"KBNN_SOFTHSM_MODULE": str(tmp_path / "absent.so")})
    assert res.returncode != 0
    assert "SoftHSM2" in res.stderr and "cài" in res.stderr


def _queued_profile(home_dir, base_url: str, *, training: bool):
    """A profile with one signed dossier queued for ``base_url`` (nothing sent yet)."""
    from client.home import Home, Unit
    from client.store.db import connect
    from client.transport.outbox import Outbox
    from tests.integration.sandbox_support import PASSWORD, UNIT, USER, document, fake_package

    home = Home(home_dir)
    if training:
        home.set("profile", "mode", "training")
        home.set("training", "password", PASSWORD)
    home.set_unit(Unit(code=UNIT, name="Trường Tiểu học Kim Liên", treasury="KBNN Đống Đa",
                       account=f"9523.1.{UNIT}", account_kind="estimate", prepared_by="Lan"))
    home.set("server", "url", base_url)
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.save()
    doc = document(number="BL-TACH-BIET")
    conn = connect(home.db_path)
    try:
        Outbox(conn).enqueue(fake_package(doc), {"kind": doc["kind"], "number": doc["number"],
                                                 "total": doc["total"], "id": doc["id"]})
    finally:
        conn.close()
    return home


@pytest.mark.parametrize("training", [True, False], ids=["training-to-treasury", "real-to-sandbox"])
def test_training_and_real_work_never_cross(tmp_path, training):
    """A training profile refuses a server that is not a sandbox, a real profile refuses a
    sandbox; either way nothing is sent and the dossier stays queued."""
    import requests

    from client.sandbox.server import start_sandbox
    from tests.integration.sandbox_support import PASSWORD, UNIT, USER, FakeVerifier, signers_for

    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, verifier=FakeVerifier(),
                        units=[(UNIT, USER, PASSWORD)], signers=signers_for(UNIT),
                        pose_as_treasury=training)  # the wrong kind of server for the profile
    try:
        home = _queued_profile(tmp_path / "home", srv.base_url, training=training)
        env = dict(os.environ, PYTHONIOENCODING="utf-8", KBNN_TEST_PASSWORD=PASSWORD)
        res = subprocess.run([sys.executable, "-m", "client", "--home", str(home.path), "status",
                              "--refresh", "--password-env", "KBNN_TEST_PASSWORD"],
                             capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
        assert res.returncode == 2, (res.stdout, res.stderr)
        said = " ".join(res.stderr.split())
        if training:
            assert "Hồ sơ tập huấn chỉ được làm việc với Kho bạc mô phỏng" in said
        else:
            assert "là Kho bạc mô phỏng dùng để tập huấn" in said
        assert "BL-TACH-BIET" in res.stdout  # still there, still waiting
        items = requests.get(srv.base_url + "/_admin/submissions", timeout=5).json()["items"]
        assert items == []
    finally:
        srv.stop()
