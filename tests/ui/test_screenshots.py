"""Screenshots of the real window under Xvfb (build/screenshots/*.png)."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def start_xvfb() -> Iterator[str]:
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


@pytest.fixture
def xvfb() -> Iterator[str]:
    with start_xvfb() as display:
        yield display


@pytest.fixture
def xvfb2() -> Iterator[str]:
    """A second display: two processes on one display would capture each other's windows."""
    with start_xvfb() as display:
        yield display


def distinct_colours(image: QImage, samples: int = 60) -> int:
    step_x, step_y = max(1, image.width() // samples), max(1, image.height() // samples)
    return len({image.pixel(x, y) for x in range(0, image.width(), step_x)
                for y in range(0, image.height(), step_y)})


SMALL = {"pin-dialog": (400, 150)}  # screens smaller than a window: (least width, least height)


def test_screenshots_of_every_screen_in_vietnamese_and_english(xvfb, xvfb2, tmp_path):
    from tests.ui.shoot import SCREENS

    langs = ("vi", "en")
    # shot into a folder of this run, checked there, then copied: another test run writing
    # build/screenshots/ at the same time cannot make this one fail (or the reverse)
    shots = tmp_path / "shots"
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", PYTHONIOENCODING="utf-8")
    env.pop("SOFTHSM2_CONF", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("KBNN_CLIENT_PRESET", None)
    displays = {"vi": xvfb, "en": xvfb2}
    # both languages at once (separate processes, displays and training profiles)
    procs = {lang: subprocess.Popen(
        [sys.executable, "-m", "tests.ui.shoot", str(shots), str(tmp_path / f"home-{lang}"), lang],
        cwd=REPO, env=dict(env, DISPLAY=displays[lang]), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8") for lang in langs}
    for lang, proc in procs.items():
        try:
            _out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            _out, err = proc.communicate()
        assert proc.returncode == 0, (lang, err[-4000:])
    for lang in langs:
        for name in SCREENS:
            path = shots / f"{name}-{lang}.png"
            assert path.is_file(), path.name
            assert path.stat().st_size > 5_000, (path.name, path.stat().st_size)
            image = QImage(str(path))
            width, height = SMALL.get(name, (500, 300))
            assert not image.isNull() and image.width() >= width and image.height() >= height, path.name
            assert distinct_colours(image) > 8, path.name
    OUTDIR.mkdir(parents=True, exist_ok=True)
    for old in ("main-window.png", "signed-document.png", "cert-picker.png", "pin-dialog.png",
                "table-editor.png", "package-view.png"):  # names of an earlier layout
        (OUTDIR / old).unlink(missing_ok=True)
    for path in shots.glob("*.png"):
        shutil.copyfile(path, OUTDIR / path.name)
