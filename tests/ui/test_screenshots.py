"""Screenshots of the real window under Xvfb (build/screenshots/*.png)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[2]
OUTDIR = REPO / "build" / "screenshots"

pytestmark = [
    pytest.mark.gui,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb not installed"),
    pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="SoftHSM2 not installed"),
]


@pytest.fixture
def xvfb() -> Iterator[str]:
    """An Xvfb server on a display number it picks itself (``-displayfd``)."""
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number:
            pytest.fail("Xvfb did not report a display number")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def distinct_colours(image: QImage, samples: int = 60) -> int:
    step_x, step_y = max(1, image.width() // samples), max(1, image.height() // samples)
    return len({image.pixel(x, y) for x in range(0, image.width(), step_x)
                for y in range(0, image.height(), step_y)})


def test_screenshots_of_main_window_and_signed_document(xvfb, tmp_path):
    for name in ("main-window.png", "signed-document.png"):
        (OUTDIR / name).unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=xvfb, PYTHONIOENCODING="utf-8")
    env.pop("SOFTHSM2_CONF", None)
    env.pop("WAYLAND_DISPLAY", None)
    res = subprocess.run([sys.executable, "-m", "tests.ui.shoot", str(OUTDIR), str(tmp_path / "home")],
                         cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8",
                         timeout=240)
    assert res.returncode == 0, res.stderr[-4000:]
    for name in ("main-window.png", "signed-document.png"):
        path = OUTDIR / name
        assert path.is_file(), name
        assert path.stat().st_size > 10_000, (name, path.stat().st_size)
        image = QImage(str(path))
        assert not image.isNull() and image.width() >= 800 and image.height() >= 500
        assert distinct_colours(image) > 20, name
