"""Languages: Vietnamese by default, English switchable; Qt's own buttons translated; the
catalogues in resources/i18n are complete and up to date with the code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWizard

from client.ui import i18n
from client.ui.dossiers import DossierFilterBar
from client.ui.labels import kind_label, status_label
from client.ui.models import DossierModel
from client.ui.outbox_view import OutboxModel
from client.ui.setup_wizard import SetupWizard

pytestmark = [pytest.mark.gui]

REPO = Path(__file__).resolve().parents[2]
TS = REPO / "resources" / "i18n" / "kbnn_en.ts"


@pytest.fixture
def language(qapp):
    def use(lang: str) -> None:
        i18n.install_language(qapp, lang)

    yield use
    i18n.remove_language(qapp)


def test_english_catalogue_is_complete():
    root = ET.parse(TS).getroot()
    messages = root.findall("./context/message")
    assert len(messages) > 250
    unfinished = [m.findtext("source") for m in messages
                  if m.find("translation").get("type") == "unfinished"
                  or not (m.findtext("translation") or "").strip()]
    assert unfinished == []
    for name in ("kbnn_en.qm", "qtbase_vi.qm"):
        assert (REPO / "resources" / "i18n" / name).stat().st_size > 1000


@pytest.mark.skipif(not (Path(sys.prefix) / "bin" / "pyside6-lupdate").exists()
                    and shutil.which("pyside6-lupdate") is None, reason="pyside6-lupdate missing")
def test_catalogue_matches_the_code(tmp_path):
    """Every tr()/translate() string of the GUI is in the committed .ts (run tools/i18n.sh)."""
    lupdate = Path(sys.prefix) / "bin" / "pyside6-lupdate"
    fresh = tmp_path / "fresh.ts"
    files = sorted(str(p) for p in (REPO / "client" / "ui").glob("*.py"))
    subprocess.run([str(lupdate if lupdate.exists() else shutil.which("pyside6-lupdate")),
                    "-locations", "none", *files, "-ts", str(fresh)],
                   check=True, capture_output=True, cwd=REPO)

    def sources(path: Path) -> set[tuple[str, str]]:
        root = ET.parse(path).getroot()
        return {(c.findtext("name"), m.findtext("source"))
                for c in root.findall("context") for m in c.findall("message")}

    missing = sources(fresh) - sources(TS)
    assert missing == set(), "run tools/i18n.sh and translate the new strings"


def test_english_switches_every_layer(qtbot, language, tmp_path):
    language("en")
    assert i18n.current_language() == "en"
    bar = DossierFilterBar()
    qtbot.addWidget(bar)
    assert bar.month_combo.itemText(0) == "All months"
    assert bar.search.placeholderText().startswith("Search by dossier number")
    assert DossierModel().headerData(3, Qt.Orientation.Horizontal) == "Total"
    assert OutboxModel().headerData(4, Qt.Orientation.Horizontal) \
        == "Sending state"
    assert status_label("paid") == "Paid"
    assert kind_label("salary-table") == "Payment table (Form 09)"
    from client.home import Home

    wizard = SetupWizard(Home(tmp_path / "home"))
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.windowTitle() == "KBNN Client setup"
    assert wizard.currentPage().title() == "Welcome to KBNN Client"
    assert wizard.buttonText(QWizard.WizardButton.NextButton) == "&Next >"
    # money and dates are shown the Vietnamese way in English too
    assert i18n.money(1234567) == "1.234.567 đ"
    assert i18n.date("2026-10-25") == "25/10/2026"
    wizard.close()


def test_vietnamese_translates_qt_own_buttons(qtbot, language, tmp_path):
    language("vi")
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                           | QDialogButtonBox.StandardButton.Save)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "Hủy"
    assert box.button(QDialogButtonBox.StandardButton.Save).text() == "Lưu"
    from client.home import Home

    wizard = SetupWizard(Home(tmp_path / "home"))
    qtbot.addWidget(wizard)
    assert wizard.buttonText(QWizard.WizardButton.NextButton) == "&Tiếp >"
    assert wizard.buttonText(QWizard.WizardButton.BackButton) == "< &Quay lại"
    assert wizard.page(0).title() == "Chào mừng đến với KBNN Client"
    assert QApplication.translate("QPlatformTheme", "Close") == "Đóng"


# Vietnamese literals that are data, not interface text: money signs, the language's own
# name, the amount-in-words choices (values stored in settings).
NOT_TEXT = {"đ", " đ", "[\\s.,đ]|dong|đồng", "Tiếng Việt", "linh", "lẻ", "tư", "bốn", "nghìn", "ngàn",
            "1.105.024 đ: "}
GUI_FILES = ("app", "main_window", "models", "labels", "workers", "dossiers", "outbox_view",
             "settings_dialog", "diagnostics_view", "setup_wizard", "log_view", "i18n", "notify")


def test_every_vietnamese_text_goes_through_the_translator():
    """A Vietnamese string literal in these GUI files is either a docstring, a log message,
    or an argument of tr()/translate()/QT_TRANSLATE_NOOP — so English can replace it."""
    import ast
    import re

    vi = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", re.I)
    allowed_calls = {"tr", "translate", "QT_TRANSLATE_NOOP", "debug", "info", "warning", "error",
                     "exception"}
    offenders = []
    for name in GUI_FILES:
        path = REPO / "client" / "ui" / f"{name}.py"
        tree = ast.parse(path.read_text("utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and vi.search(node.value)) or node.value in NOT_TEXT:
                continue
            parent = parents.get(node)
            if isinstance(parent, ast.Expr):  # a docstring
                continue
            while parent is not None and not isinstance(parent, ast.Call):
                parent = parents.get(parent)
            func = getattr(parent, "func", None)
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in allowed_calls:
                offenders.append(f"{path.name}:{node.lineno}: {node.value[:50]!r}")
    assert offenders == []
