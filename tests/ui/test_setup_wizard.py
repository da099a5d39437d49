"""First-run setup wizard, driven like a person would, against a sandbox treasury posing as
the real one (loopback HTTP) and the training profile's SoftHSM2 tokens."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from client.home import Home
from client.sandbox.server import start_sandbox
from client.ui.setup_wizard import (
    PAGE_LOGIN,
    PAGE_SERVER,
    PAGE_SUMMARY,
    PAGE_TOKENS,
    PAGE_UNIT,
    SetupWizard,
)

pytestmark = [pytest.mark.gui]

UNIT, USER, PASSWORD = "1047665", "ketoan-gui", "Mk-gui-4821"





@pytest.fixture(scope="module")
def real_treasury(training, tmp_path_factory):
    """A sandbox that answers as the real treasury, knowing the training tokens' signers."""
    pki = training.home.training_dir / "pki"
    signers = [(UNIT, role, (pki / f"{role}.der").read_bytes())
               for role in ("chief-accountant", "head-of-unit")]
    srv = start_sandbox(data_dir=tmp_path_factory.mktemp("sb-wizard"), advance=0,
                        units=[(UNIT, USER, PASSWORD)], signers=signers,
                        trust=[(pki / "ca.der").read_bytes()], pose_as_treasury=True)
    yield srv
    srv.stop()


def click_next(qtbot, wizard: SetupWizard) -> None:
    before = wizard.currentId()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.currentId() != before, timeout=5_000)


def test_first_run_wizard_sets_up_a_real_profile(qtbot, tmp_path, monkeypatch, training,
                                                  real_treasury, memory_keyring):
    module = training.home.get("signing", "module")
    preset = tmp_path / "kbnn-client.ini"
    preset.write_text(f"[server]\nurl = {real_treasury.base_url}\n[signing]\nmodule = {module}\n",
                      encoding="utf-8")
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    home = Home(tmp_path / "home")
    wizard = SetupWizard(home)
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        # welcome -> server, pre-filled from the installer's preset
        click_next(qtbot, wizard)
        assert wizard.currentId() == PAGE_SERVER
        server = wizard.page(PAGE_SERVER)
        assert server.url_edit.text() == real_treasury.base_url
        assert str(preset) in server.preset_label.text()
        server.check_button.click()
        qtbot.waitUntil(lambda: server.check_button.isEnabled() and "trả lời" in server.result.text(),
                        timeout=20_000)
        click_next(qtbot, wizard)

        # unit: a wrong code is refused on the page itself
        unit = wizard.page(PAGE_UNIT)
        assert wizard.currentId() == PAGE_UNIT
        unit.code.setText("12345")
        unit.name.setText("Trường Tiểu học Kim Liên")
        unit.treasury.setText("KBNN Đống Đa")
        unit.account.setText("9523.1.1047665")
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                         Qt.MouseButton.LeftButton)
        assert wizard.currentId() == PAGE_UNIT
        assert "7 chữ số" in unit.result.text()
        unit.code.setText(UNIT)
        click_next(qtbot, wizard)

        # login: a wrong password first, then the right one (kept in the keyring only)
        login = wizard.page(PAGE_LOGIN)
        assert wizard.currentId() == PAGE_LOGIN
        login.user.setText(USER)
        login.password.setText("sai-mat-khau")
        login.login_button.click()
        qtbot.waitUntil(lambda: login.login_button.isEnabled()
                        and "Không đăng nhập được" in login.result.text(), timeout=20_000)
        login.password.setText(PASSWORD)
        login.login_button.click()
        qtbot.waitUntil(lambda: login.login_button.isEnabled() and "Đăng nhập được" in login.result.text(),
                        timeout=20_000)
        assert login.password.text() == ""  # not kept in the widget
        assert PASSWORD in memory_keyring.values.values()
        click_next(qtbot, wizard)

        # tokens against the registered signers
        tokens = wizard.page(PAGE_TOKENS)
        assert wizard.currentId() == PAGE_TOKENS
        assert tokens.module_edit.text() == module
        tokens.check_button.click()
        qtbot.waitUntil(lambda: tokens.check_button.isEnabled() and tokens.results.rowCount() == 2,
                        timeout=60_000)
        details = [tokens.results.item(r, 1).text() for r in range(2)]
        assert "NGUYỄN THỊ HOA" in details[0] and "LÊ VĂN MINH" in details[1], details
        click_next(qtbot, wizard)

        # the last page says ready, step by step
        summary = wizard.page(PAGE_SUMMARY)
        assert wizard.currentId() == PAGE_SUMMARY
        statuses = [summary.table.item(r, 1).text() for r in range(summary.table.rowCount())]
        assert summary.headline.text() == "Đã sẵn sàng làm việc.", (statuses, details)
        assert statuses and all(s.startswith("Sẵn sàng") for s in statuses)
        assert wizard.ready
    finally:
        wizard.close()

    again = Home(tmp_path / "home")
    assert again.server()["url"] == real_treasury.base_url
    assert again.server()["user"] == USER
    assert again.unit().code == UNIT
    assert PASSWORD not in (tmp_path / "home" / "settings.ini").read_text("utf-8")


def test_wizard_last_page_lists_what_is_not_ready(qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    wizard = SetupWizard(Home(tmp_path / "home"))
    qtbot.addWidget(wizard)
    wizard.show()
    try:
        click_next(qtbot, wizard)
        server = wizard.page(PAGE_SERVER)
        server.url_edit.setText("http://dvc.example.vn/api/v1")  # plain http to a real server
        server.check_button.click()
        qtbot.waitUntil(lambda: server.check_button.isEnabled() and server.result.text() != ""
                        and "Đang" not in server.result.text(), timeout=20_000)
        assert "https" in server.result.text()
        wizard.setStartId(PAGE_SUMMARY)
        wizard.restart()
        summary = wizard.page(PAGE_SUMMARY)
        assert summary.headline.text().startswith("Chưa sẵn sàng")
        statuses = [summary.table.item(r, 1).text() for r in range(summary.table.rowCount())]
        assert statuses.count("Chưa sẵn sàng") == summary.table.rowCount() == 5
        advice = summary.table.item(0, 2).text()
        assert "Cần làm" in advice
        assert not wizard.ready
    finally:
        wizard.close()


def test_app_opens_the_wizard_first_on_a_profile_not_set_up(qtbot, tmp_path, monkeypatch):
    """run_gui's first step on a real profile without unit/server/account: the wizard."""
    from types import SimpleNamespace

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from client.ui.app import run_first_run

    monkeypatch.delenv("KBNN_CLIENT_PRESET", raising=False)
    home = Home(tmp_path / "home")
    ctx = SimpleNamespace(home=home, training=False, reset_api=lambda: None)
    shown = []

    def close_it() -> None:
        wizard = QApplication.activeModalWidget()
        shown.append(wizard)
        wizard.reject()

    QTimer.singleShot(200, close_it)
    assert run_first_run(ctx) is False  # quit before finishing: the app does not open
    assert isinstance(shown[0], SetupWizard)

    home.set("server", "url", "https://dvc.example.vn/api/v1")
    home.set("server", "unit", UNIT)
    home.set("server", "user", USER)
    home.set("unit", "code", UNIT)
    home.set("unit", "name", "Trường Tiểu học Kim Liên")
    home.save()
    assert run_first_run(ctx) is True  # set up: straight to the main window
    assert len(shown) == 1
