"""Fixtures for the GUI tests: Qt offscreen, one training profile per pytest session.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the library is initialised, so every UI
test shares one training home (and one ``AppContext``) for the whole session.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import shutil  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def training(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The training profile (SoftHSM2 tokens, sandbox treasury advancing every 2 s)."""
    if shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 not installed")
    from client.home import Home
    from client.training.setup import ensure_training

    base = tmp_path_factory.mktemp("ui-home")
    saved = os.environ.get("SOFTHSM2_CONF")
    session = ensure_training(Home(base), advance=2.0)
    try:
        yield session
    finally:
        session.stop()
        if saved is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved


@pytest.fixture(scope="session")
def ctx(training) -> Iterator:
    from client.app import AppContext

    context = AppContext(training.home)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def window(qtbot, ctx) -> Iterator:
    from client.ui.app import create_main_window

    win = create_main_window(ctx)
    # The shared training profile collects dossiers across tests (the same month is
    # then "already submitted"): warnings are accepted here and kept for assertions,
    # instead of a modal box that would wait for a click.
    win.confirmed_warnings = []
    win.warning_confirmer = lambda _parent, warns: win.confirmed_warnings.append(
        [w.code for w in warns]) or True
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.model.rowCount() >= 1, timeout=15_000)
    yield win
    win.close()
