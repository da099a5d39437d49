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
