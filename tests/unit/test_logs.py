"""Logs: rotating files in the home folder, read back for the GUI's log viewer, and secrets
never written — not even a password that appears without any "password=" before it.
"""

from __future__ import annotations

import logging

import pytest

from client.app import Credentials
from client.diagnostics.support import log_files, read_log_tail
from client.home import Home, setup_logging


@pytest.fixture
def home(tmp_path):
    h = Home(tmp_path / "home")
    yield h
    setup_logging(Home(tmp_path / "after"))  # release the files of this home


def _all_log_text(home: Home) -> str:
    return "\n".join(p.read_text("utf-8") for p in log_files(home))


def test_logs_rotate_keep_a_bounded_history_and_read_back_in_order(home):
    setup_logging(home, logging.INFO, max_bytes=4000, backups=3)
    log = logging.getLogger("client.test.rotation")
    for i in range(400):
        log.info("dòng nhật ký số %04d — Trường Tiểu học Kim Liên", i)
    names = sorted(p.name for p in log_files(home))
    assert names == ["kbnn-client.log", "kbnn-client.log.1", "kbnn-client.log.2", "kbnn-client.log.3"]
    assert all(p.stat().st_size <= 4000 for p in log_files(home))
    # the viewer's text: the newest lines, oldest first, across the rotated files
    tail = read_log_tail(home, 10_000)
    numbers = [int(line.split("số ")[1][:4]) for line in tail]
    assert numbers == sorted(numbers) and numbers[-1] == 399
    assert 0 < len(numbers) < 400  # the oldest were dropped with the 4th backup
    assert "Trường Tiểu học Kim Liên" in tail[-1]  # UTF-8 kept
    assert len(read_log_tail(home, 5)) == 5 and read_log_tail(home, 5)[-1] == tail[-1]


def test_a_remembered_password_is_never_written_whatever_the_message(home, memory_keyring):
    password = "Kh0-bac!mat-khau"
    home.set("server", "url", "https://dvc.kbnn.example.vn/api/v1")
    home.set("server", "unit", "1047665")
    home.set("server", "user", "ketoan01")
    home.save()
    setup_logging(home, logging.DEBUG)
    Credentials(home).store(password)
    log = logging.getLogger("client.test.literal")
    # no key name anywhere near it: only the literal itself can be recognised
    log.debug("login attempt for %s with %s", "ketoan01", Credentials(home).password())
    try:
        raise ValueError(f"server said: bad credentials {password}")
    except ValueError:
        log.exception("login failed")
    text = _all_log_text(home)
    assert password not in text
    assert "login attempt for ketoan01 with ***" in text
    assert "bad credentials ***" in text  # the traceback too
    assert all(password not in line for line in read_log_tail(home, 100))


def test_setting_up_again_moves_the_log_and_closes_the_old_file(home, tmp_path):
    setup_logging(home)
    logging.getLogger("client.test.move").info("to the first home")
    other = Home(tmp_path / "other")
    setup_logging(other)
    logging.getLogger("client.test.move").info("to the second home")
    assert "to the second home" not in _all_log_text(home)
    assert "to the second home" in _all_log_text(other)
    handlers = [h for h in logging.getLogger("client").handlers if getattr(h, "_kbnn", False)]
    assert len(handlers) == 1
