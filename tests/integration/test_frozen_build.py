"""The frozen build (PyInstaller, installer/kbnn-client.spec) works on its own.

The app is frozen once per run with ``installer/build.sh`` into a temporary folder (the same
spec the Windows build uses), then only the FROZEN programs are run, in a bare environment
(no virtualenv, no PYTHONPATH, working folder outside the source tree): help in English,
amounts in words, doctor, the training profile (sandbox treasury, SoftHSM2 training tokens),
render (fonts embedded in the PDF), two signatures and their verification, the PKCS#11 probe
child (``--probe-pkcs11``), the window under Qt offscreen, a preset file next to the program,
and finally the NSIS installer compiled around that folder.

Freezing takes ~30-60 s on two cores: that is the reason this module is slow.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_UNIT = "Trường Tiểu học Kim Liên"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(importlib.util.find_spec("PyInstaller") is None,
                       reason="PyInstaller not installed (pip install -e .[test])"),
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="the frozen build is smoke-tested on Linux (installer/build.sh)"),
]

needs_softhsm = pytest.mark.skipif(shutil.which("softhsm2-util") is None,
                                   reason="SoftHSM2 not installed")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The frozen one-folder build: ``kbnn-client``, ``kbnn-client-gui`` and ``_internal/``."""
    tmp = tmp_path_factory.mktemp("frozen")
    res = subprocess.run([str(ROOT / "installer" / "build.sh"), str(tmp / "dist"), str(tmp / "work")],
                         env=dict(os.environ, PYTHON=sys.executable), capture_output=True, text=True,
                         timeout=840)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-6000:]
    shutil.rmtree(tmp / "work", ignore_errors=True)
    yield tmp / "dist" / "kbnn-client"
    shutil.rmtree(tmp / "dist", ignore_errors=True)  # ~270 MB: not kept among pytest's tmp dirs


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """A bare environment: nothing of the virtualenv or the source tree leaks in."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "LANG": "C.UTF-8", "TMPDIR": str(tmp),
            **extra}


def run(dist: Path, *args: str, tmp: Path, program: str = "kbnn-client", ok: bool = True,
        timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(dist / program), *args], cwd=tmp, env=_env(tmp, **env),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    if ok and proc.returncode != 0:
        pytest.fail(f"{program} {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_layout_two_programs_and_resources(dist):
    assert os.access(dist / "kbnn-client", os.X_OK) and os.access(dist / "kbnn-client-gui", os.X_OK)
    internal = dist / "_internal"
    for rel in ("resources/fonts/DejaVuSerif.ttf", "resources/i18n/kbnn_en.qm",
                "resources/i18n/core_en.json", "resources/pkcs11-modules.json", "resources/banks.csv",
                "resources/rules/payroll-vn.json", "client/sandbox/rules_vi.json"):
        assert (internal / rel).is_file(), rel
    # unused Qt modules and heavy optional packages were left out
    assert not list(internal.rglob("*WebEngine*"))
    assert not (internal / "pydantic_core").exists() and not (internal / "numpy").exists()


def test_help_in_english(dist, tmp_path):
    res = run(dist, "--lang", "en", "--help", tmp=tmp_path)
    assert res.stdout.startswith("usage: kbnn-client")
    assert "Prepare, digitally sign and send payment documents to the State Treasury" in res.stdout
    for command in ("training", "render", "sign", "verify", "doctor", "gui"):
        assert command in res.stdout


def test_words_in_vietnamese(dist, tmp_path):
    res = run(dist, "words", "105470500", tmp=tmp_path)
    assert res.stdout.strip() == "Một trăm linh năm triệu bốn trăm bảy mươi nghìn năm trăm đồng"


def test_doctor_json_in_english(dist, tmp_path):
    res = run(dist, "--home", str(tmp_path / "home"), "--lang", "en", "doctor", "--json",
              "--module", "/nonexistent.so", tmp=tmp_path, ok=False)
    assert res.returncode in (0, 1), res.stderr
    report = json.loads(res.stdout)
    checks = {c["id"]: c for c in report["checks"]}
    assert {"app", "pkcs11-modules", "tokens", "database", "disk"} <= set(checks)
    app = checks["app"]
    assert app["title"] == "Application and operating system"
    assert app["data"]["frozen"] is True
    assert Path(app["data"]["executable"]).resolve() == (dist / "kbnn-client").resolve()
    modules = checks["pkcs11-modules"]
    assert modules["title"] == "PKCS#11 token modules" and modules["status"] == "failed"
    assert "/nonexistent.so" in modules["detail"]


@pytest.fixture(scope="module")
def training(dist, tmp_path_factory):
    """A training profile made by the frozen program, and its sample payroll."""
    tmp = tmp_path_factory.mktemp("training")
    res = run(dist, "--home", str(tmp / "home"), "--lang", "en", "training", "--no-gui",
              "--demo-out", str(tmp / "demo.json"), tmp=tmp)
    assert "Training mode: sandbox treasury at http://127.0.0.1:" in res.stdout
    return {"tmp": tmp, "home": tmp / "home" / "training", "doc": tmp / "demo.json",
            "pins": {"chief-accountant": "111111", "head-of-unit": "222222"}}


@needs_softhsm
def test_validate_and_render_with_embedded_fonts(dist, training):
    tmp, home = training["tmp"], str(training["home"])
    report = json.loads(run(dist, "--lang", "en", "validate", "--json", str(training["doc"]),
                            tmp=tmp).stdout)
    assert report["ok"] is True and report["errors"] == 0
    run(dist, "--lang", "en", "--home", home, "render", str(training["doc"]), "-o", "form.pdf",
        "--xlsx", "form.xlsx", tmp=tmp)
    pdf = tmp / "form.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (tmp / "form.xlsx").read_bytes().startswith(b"PK")
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) not installed")
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    fonts = {line.split()[0].split("+")[-1]: line.split()[-5] for line in lines}
    assert "DejaVuSerif" in fonts and set(fonts.values()) == {"yes"}, fonts  # every font embedded
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert DEMO_UNIT in text


@needs_softhsm
def test_sign_twice_and_verify_with_training_tokens(dist, training):
    tmp, home = training["tmp"], str(training["home"])
    run(dist, "--lang", "en", "--home", home, "sign", str(training["doc"]), "-o", "p1.asice",
        "--role", "chief-accountant", "--pin-env", "PIN", "--offline", "--confirm-warnings", "all",
        tmp=tmp, PIN=training["pins"]["chief-accountant"])
    run(dist, "--lang", "en", "--home", home, "sign", "p1.asice", "-o", "p2.asice",
        "--role", "head-of-unit", "--pin-env", "PIN", "--offline",
        tmp=tmp, PIN=training["pins"]["head-of-unit"])
    report = json.loads(run(dist, "--lang", "en", "--home", home, "verify", "p2.asice", "--json",
                            "--require-complete", tmp=tmp).stdout)
    assert report["valid"] is True and report["complete"] is True
    assert [s["role"] for s in report["signatures"]] == ["chief-accountant", "head-of-unit"]


@needs_softhsm
def test_doctor_probes_a_real_module_in_a_frozen_child(dist, training):
    """The PKCS#11 module is loaded in a child of the frozen program (``--probe-pkcs11``)."""
    settings = configparser.ConfigParser()
    settings.read(training["home"] / "settings.ini", encoding="utf-8")
    module, conf = settings["signing"]["module"], settings["training"]["softhsm_conf"]
    tmp = training["tmp"]
    res = run(dist, "--home", str(tmp / "other-home"), "--lang", "en", "doctor", "--json",
              "--module", module, tmp=tmp, ok=False, SOFTHSM2_CONF=conf)
    checks = {c["id"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["pkcs11-modules"]["status"] == "ok", checks["pkcs11-modules"]
    assert "2 token(s) found" in checks["pkcs11-modules"]["detail"]
    assert checks["tokens"]["status"] == "ok"
    assert "KTT-TAPHUAN" in checks["tokens"]["detail"]


def _smoke_log(home: Path) -> str:
    logs = sorted((home / "logs").glob("*.log"))
    return "".join(p.read_text("utf-8") for p in logs)


@needs_softhsm
def test_window_opens_in_training_mode_without_std_streams(dist, tmp_path):
    """What the "KBNN Client (tập huấn)" shortcut runs, with the smoke-test exit
    (client/ui/app.py SMOKE_EXIT_ENV): the window is shown, then closed. Standard input,
    output and error are closed, as for a GUI-subsystem program on Windows (sys.stdout is
    None there): the training command's printed lines must not break it."""
    home = tmp_path / "home"
    closed = ["/bin/sh", "-c", 'exec 0<&- 1>&- 2>&-; exec "$0" "$@"', str(dist / "kbnn-client-gui"),
              "--home", str(home), "--lang", "en", "training"]
    res = subprocess.run(closed, cwd=tmp_path, timeout=90, env=_env(
        tmp_path, QT_QPA_PLATFORM="offscreen", KBNN_CLIENT_SMOKE_EXIT="1"))
    assert res.returncode == 0
    log = _smoke_log(home / "training")
    assert "smoke exit: main window shown (KBNN Client" in log and "platform offscreen" in log


def test_window_opens_with_the_preset_next_to_the_program(dist, tmp_path):
    """What the "KBNN Client" shortcut runs (``gui``) on a PC the installer configured:
    ``kbnn-client.ini`` beside the program settles the server and unit, so no setup
    wizard comes first and the main window opens."""
    preset = dist / "kbnn-client.ini"
    preset.write_text("[server]\nurl = http://127.0.0.1:9/api/v1\nunit = 1047665\n"
                      "user = ketoan01\n\n[unit]\ncode = 1047665\nname = " + DEMO_UNIT + "\n"
                      "treasury = KBNN Đống Đa\naccount = 9523.1.1047665\naccount_kind = estimate\n",
                      encoding="utf-8")
    home = tmp_path / "home"
    try:
        run(dist, "--home", str(home), "--lang", "en", "gui", tmp=tmp_path, program="kbnn-client-gui",
            timeout=90, QT_QPA_PLATFORM="offscreen", KBNN_CLIENT_SMOKE_EXIT="1")
        doctor = run(dist, "--home", str(home), "--lang", "en", "doctor", "--json", tmp=tmp_path,
                     ok=False)
    finally:
        preset.unlink()
    assert "smoke exit: main window shown" in _smoke_log(home)
    profile = {c["id"]: c for c in json.loads(doctor.stdout)["checks"]}["profile"]
    assert profile["data"]["server_url"] == "http://127.0.0.1:9/api/v1"
    assert profile["data"]["unit"] == "1047665"


@pytest.mark.skipif(shutil.which("makensis") is None, reason="NSIS (makensis) not installed")
def test_windows_installer_compiles_around_the_frozen_folder(dist, tmp_path):
    nsi = ROOT / "installer" / "kbnn-client.nsi"
    base = ["makensis", f"-DDIST={dist}", f"-DOUTFILE={tmp_path / 'setup.exe'}"]
    # the script refuses a folder without its two Windows programs (here: no .exe suffix)
    refused = subprocess.run([*base, str(nsi)], capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "kbnn-client-gui.exe not found" in refused.stdout + refused.stderr
    assert not (tmp_path / "setup.exe").exists()
    # the release build compresses with solid LZMA (~2 min here); the test stores the files
    res = subprocess.run([*base, "-DNO_EXE_CHECK", "-DVERSION=0.1.0",
                          "-XSetCompressor /FINAL zlib", "-XSetCompress off", str(nsi)],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    setup = tmp_path / "setup.exe"
    assert setup.read_bytes()[:2] == b"MZ"
    # every file of the frozen folder went in: NSIS reports the data before its block
    # de-duplication, symlinks of the Linux build followed, as the sum over the folder is
    stored = re.search(r"Install data:\s+\d+ / (\d+) bytes", res.stdout)
    assert stored, res.stdout[-2000:]
    payload = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file())
    assert payload <= int(stored.group(1)) < payload + 1_000_000
    assert setup.stat().st_size > 100_000_000
    setup.unlink()
