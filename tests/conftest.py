"""Suite-wide fixtures.

SoftHSM2 reads ``SOFTHSM2_CONF`` when its library is initialised. Some core code
(training profile, classroom join, diagnostics of a training profile) sets it for
the running process, as the app must; inside one pytest process that would leak
into later tests, so every test gets the variable back as it found it. The core's language is
process-wide too: every test starts, and leaves, in the default (Vietnamese).
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _restore_softhsm_conf():
    saved = os.environ.get("SOFTHSM2_CONF")
    yield
    if os.environ.get("SOFTHSM2_CONF") != saved:
        if saved is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = saved


@pytest.fixture(autouse=True)
def _default_core_language():
    from client.i18n import set_language

    set_language(None)
    yield
    set_language(None)


@pytest.fixture
def memory_keyring():
    """The OS keyring replaced by an in-memory one for the test (tests/memkeyring.py)."""
    import keyring

    from tests.memkeyring import MemoryKeyring

    before = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(before)


def pytest_collection_modifyitems(session, config, items):
    """Run the GUI tests last: their session-wide training profile points SoftHSM2 at
    its own token folder until the session ends (see tests/ui/conftest.py)."""
    items.sort(key=lambda item: "/tests/ui/" in str(item.path).replace("\\", "/"))
