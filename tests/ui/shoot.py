"""Screenshots of the GUI on a training profile (run under a real X server, e.g. Xvfb).

    python -m tests.ui.shoot OUTDIR HOME

Opens the main window on the training profile in HOME, shows the demo salary
table, saves OUTDIR/main-window.png, signs it as chief accountant and head
of unit (training PINs, through the window's dialog hooks), and saves
OUTDIR/signed-document.png. Exit code 0 on success.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtPdf import QPdfDocument
from PySide6.QtWidgets import QApplication


def wait_until(app: QApplication, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def is_uniform(image: QImage) -> bool:
    first = image.pixel(0, 0)
    step_x, step_y = max(1, image.width() // 40), max(1, image.height() // 40)
    return all(image.pixel(x, y) == first
               for x in range(0, image.width(), step_x) for y in range(0, image.height(), step_y))


def grab(window) -> QPixmap:
    """The window as the X server shows it; the widget's own rendering if that fails."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    pix = screen.grabWindow(window.winId()) if screen is not None else QPixmap()
    if pix.isNull() or is_uniform(pix.toImage()):
        pix = window.grab()
    return pix


def main(argv: list[str]) -> int:
    outdir, home_dir = Path(argv[0]), Path(argv[1])
    outdir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["kbnn-client-shoot"])

    from client.app import AppContext
    from client.home import Home
    from client.training.setup import ensure_training
    from client.ui.app import create_main_window
    from tests.ui.helpers import chooser_by_label, pin_from

    session = ensure_training(Home(home_dir))
    ctx = AppContext(session.home)
    window = create_main_window(ctx)
    try:
        window.resize(1360, 860)
        window.show()
        window.raise_()
        window.activateWindow()
        wait_until(app, lambda: window.windowHandle() is not None and window.windowHandle().isExposed(),
                   20, "the window to be exposed")
        wait_until(app, lambda: window.model.rowCount() >= 1, 20, "the dossier list")
        demo = next(r for r in window.model.rows() if r.number == "TH-09/2026-10")
        window.select_local_id(demo.local_id)
        wait_until(app, lambda: window.current_prepared is not None and window.pdf_document is not None
                   and window.pdf_document.status() == QPdfDocument.Status.Ready, 60, "the PDF")
        settle(app, 2.0)  # pages render on QPdfView's own threads
        main_png = outdir / "main-window.png"
        if not grab(window).save(str(main_png), "PNG"):
            raise RuntimeError(f"could not write {main_png}")

        window.cert_chooser = chooser_by_label(session.token_labels)
        window.pin_provider = pin_from(session.pins)
        for count in (1, 2):
            wait_until(app, lambda: window.sign_action.isEnabled(), 60, "the sign action")
            window.sign_action.trigger()
            wait_until(app, lambda c=count: window.signatures.rowCount() == c and not window.busy
                       and window.current_prepared is not None, 60, f"signature {count}")
        wait_until(app, lambda: window.submit_action.isEnabled(), 30, "the submit action")
        settle(app, 2.0)
        signed_png = outdir / "signed-document.png"
        if not grab(window).save(str(signed_png), "PNG"):
            raise RuntimeError(f"could not write {signed_png}")
        print(main_png)
        print(signed_png)
        return 0
    finally:
        window.close()
        ctx.close()
        session.stop()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
