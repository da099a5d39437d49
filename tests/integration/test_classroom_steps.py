"""docs/CLASSROOM.md, followed to the letter through the CLI.

The test reads the shell blocks of the document and runs each ``kbnn-client``
line as it is written, in one working folder, each as its own process (the
sandbox line in the background, on a free port instead of 8765). The PINs of
the ``export`` lines are read off the trainee's printed sheet (the PDF), as
a trainee would. Step 4 (the trainer presses «Đã thanh toán» on the trainer's
page) is done through the same endpoints the page calls.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

DOC = Path(__file__).resolve().parents[2] / "docs" / "CLASSROOM.md"

pytestmark = pytest.mark.skipif(
    shutil.which("softhsm2-util") is None or shutil.which("pdftotext") is None,
    reason="needs SoftHSM2 and poppler-utils (tools/bootstrap.sh installs them)")


def _blocks() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    return [[line.strip() for line in block.splitlines() if line.strip()]
            for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sheet_pins(sheet: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(sheet), "-"], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    return re.findall(r"PIN: (\d{6})", text)


def test_the_classroom_document_step_by_step(tmp_path):
    blocks = _blocks()
    assert len(blocks) == 5, "the document's five steps changed: update this test with it"
    env = {k: v for k, v in os.environ.items() if k not in ("SOFTHSM2_CONF", "KBNN_CLIENT_HOME")}
    env.update(PYTHONIOENCODING="utf-8", KBNN_CLIENT_HOME=str(tmp_path / "trainer-home"))
    port = _free_port()
    outputs: list[str] = []

    def run(line: str) -> str:
        argv = shlex.split(line)
        assert argv[0] == "kbnn-client", line
        done = subprocess.run([sys.executable, "-m", "client", *argv[1:]], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout)
        return done.stdout

    # Step 1: the trainer's sandbox with a classroom of 3, in the background
    (sandbox_line,) = blocks[0]
    argv = shlex.split(sandbox_line)
    trainer_user, trainer_password = argv[argv.index("--trainer") + 1].split(":", 1)
    sandbox = subprocess.Popen([sys.executable, "-m", "client", *argv[1:], "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        assert sandbox.stdout is not None
        printed = []
        deadline = time.monotonic() + 120
        while not printed or "Ctrl+C" not in printed[-1]:
            line = sandbox.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(printed)
            printed.append(line)
        printed_text = "".join(printed)
        base = f"http://127.0.0.1:{port}/api/v1"
        assert f"Sandbox Kho bạc đang chạy: {base}" in printed_text
        for n in (1, 2, 3):
            assert f"hocvien-0{n}: đơn vị 109000{n}, đăng nhập hv0{n} / " in printed_text
        sheets = tmp_path / "lop-tap-huan" / "phieu-hoc-vien"
        assert (sheets / "phieu-hoc-vien-tat-ca.pdf").is_file()

        # Step 2: trainee 01 joins
        (join_line,) = blocks[1]
        said = run(join_line)
        assert "Đã tham gia lớp tập huấn: đơn vị 1090001" in said
        assert "Hồ sơ tập huấn: hocvien-01/training" in said
        assert (tmp_path / "bang-luong.json").is_file()

        # Step 3: the PINs from the printed sheet, then sign, sign, submit, status
        pins = _sheet_pins(sheets / "hocvien-01" / "phieu-hocvien-01.pdf")
        assert len(pins) == 2
        exports = blocks[2]
        assert [e.split("=")[0] for e in exports] == ["export PIN_KTT", "export PIN_TTDV"]
        env["PIN_KTT"], env["PIN_TTDV"] = pins
        for line in blocks[3]:
            run(line)
        assert "Kho bạc: Đã tiếp nhận (mã hồ sơ" in outputs[-1]
        sid = re.search(r"mã hồ sơ ([0-9a-f-]{36})", outputs[-1]).group(1)

        # Step 4: the trainer marks it paid on the trainer's page
        page = requests.Session()
        site = base.rsplit("/api/v1", 1)[0]
        assert page.post(site + "/trainer/login", timeout=10, data={
            "username": trainer_user, "password": trainer_password}).status_code == 200
        state = page.get(site + "/trainer/api/state", timeout=10).json()
        mine = [s for s in state["submissions"] if s["id"] == sid]
        assert mine and mine[0]["unit_code"] == "1090001" and mine[0]["checks"] == []
        r = page.post(site + f"/trainer/api/submissions/{sid}/status", json={"status": "paid"},
                      headers={"X-Trainer": "1"}, timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "paid"

        # Step 5: the trainee sees "paid" and has the receipt
        (last,) = blocks[4]
        said = run(last)
        assert "Kho bạc: Đã thanh toán" in said and "đã có chứng từ báo Nợ" in said
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
