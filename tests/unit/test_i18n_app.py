"""English for the settings, the unit profile and the NDKT catalogue (issue 8).

The command line runs in-process through ``client.cli.main`` with ``--lang en`` and a
fresh data folder; the catalogue's checks are run as the GUI editor's checks panel runs
them (``client.documents.checks.run_checks``). The default language stays Vietnamese.
"""

from __future__ import annotations

import json
import re

import pytest

from client import catalogue
from client.cli import main
from client.documents.checks import CheckInputs, run_checks
from client.errors import InvalidInput
from client.home import Home, Unit
from client.i18n import set_language
from client.settings import SETTINGS
from tests.unit.test_catalogue import one_line_voucher_list

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)
OFFICIAL = ("code,name,level,parent,status\n"
            "6500,Thanh toán dịch vụ công cộng,muc,,official\n"
            "6501,Thanh toán tiền điện,tieu_muc,6500,official\n")



def test_settings_set_rejects_in_english(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert main(["--home", home, "--lang", "en", "settings", "set", "server.url",
                 "http://dvc.example.vn/api"]) != 0
    err = capsys.readouterr().err
    assert ("Value «http://dvc.example.vn/api» is not valid for «Treasury server address» "
            "(server.url): the connection to the treasury must be encrypted") in err
    assert main(["--home", home, "--lang", "en", "settings", "set", "network.proxy",
                 "maybe"]) != 0
    assert "«Proxy server» (network.proxy): choose one of: system / none / manual." in (
        capsys.readouterr().err)
    assert main(["--home", home, "--lang", "en", "settings", "set", "nothing.here", "1"]) != 0
    assert "There is no setting «nothing.here». Settings you can set: server.url" in (
        capsys.readouterr().err)


def test_settings_list_labels_and_help_in_english(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert main(["--home", home, "--lang", "en", "settings", "show", "--json"]) == 0
    shown = {v["key"]: v for v in json.loads(capsys.readouterr().out)}
    assert shown["network.read_timeout"]["label"] == "Timeout for the treasury's answer (seconds)"
    assert shown["ui.language"]["label"] == "Interface language"
    assert len(shown) == len(SETTINGS)
    for v in shown.values():
        assert not VIETNAMESE.search(v["label"]), v
    set_language("en")
    trust = SETTINGS["signing.trust"]
    assert trust.help.startswith("PEM/DER files, separated by «") and "{sep}" not in trust.help
    for setting in SETTINGS.values():
        assert not VIETNAMESE.search(setting.help), setting.key


def test_settings_stay_vietnamese_by_default(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert main(["--home", home, "settings", "set", "network.connect_timeout", "0"]) != 0
    assert ("Giá trị «0» không hợp lệ cho «Thời gian chờ kết nối tới Kho bạc (giây)» "
            "(network.connect_timeout): nhập số giây lớn hơn 0 và không quá 600.") in (
        capsys.readouterr().err)
    assert main(["--home", home, "settings", "show", "--json"]) == 0
    shown = {v["key"]: v for v in json.loads(capsys.readouterr().out)}
    assert shown["server.url"]["label"] == "Địa chỉ máy chủ Kho bạc"
    assert "{sep}" not in SETTINGS["signing.trust"].help
    assert SETTINGS["signing.trust"].help.startswith("Các tệp PEM/DER, cách nhau bởi «")


def test_unit_and_damaged_settings_file_in_english(tmp_path):
    home = Home(tmp_path / "home")
    set_language("en")
    with pytest.raises(InvalidInput) as info:
        home.require_unit()
    assert str(info.value).startswith("The unit's details are not set yet. Run: kbnn-client unit")
    with pytest.raises(InvalidInput) as info:
        home.set_unit(Unit("12", "", "KBNN", "95x", "loan"))
    assert info.value.message == "The unit's details are not valid."
    assert [p.message for p in info.value.problems] == [
        "The unit code (DVQHNS code) must have exactly 7 digits.",
        "The unit's name is not entered.",
        "The unit's account has only digits and dots (for example 9523.1.1047665).",
        "The account kind must be «estimate» (budget estimate) or «deposit»."]
    home.settings_path.write_text("no section header\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"is damaged and cannot be read\. Fix that file"):
        Home(home.path)
    set_language(None)
    with pytest.raises(InvalidInput, match="bị hỏng nên không đọc được"):
        Home(home.path)


def test_catalogue_import_errors_in_english(tmp_path, capsys):
    home = str(tmp_path / "home")
    (tmp_path / "bad.csv").write_text("ma,ten\n6501,Điện\n", encoding="utf-8")
    assert main(["--home", home, "--lang", "en", "catalogue", "import",
                 str(tmp_path / "bad.csv"), "--version", "x1"]) == 1
    assert ("Catalogue file «bad.csv» must have a header row with the columns code, name "
            "(and optionally level, parent, status).") in capsys.readouterr().err
    assert main(["--home", home, "--lang", "en", "catalogue", "import",
                 str(tmp_path / "bad.csv")]) == 1
    assert ("The version of catalogue «bad.csv» is not known: name the file ndkt-VERSION.csv "
            "or use --version.") in capsys.readouterr().err

    set_language("en")
    data = (OFFICIAL + "650,Sai,tieu_muc,,official\n6501,Lần hai,tieu_muc,6500,official\n").encode()
    with pytest.raises(InvalidInput) as info:
        catalogue.parse_catalogue(data, version="2026.2", source="ndkt-2026.2.csv")
    assert [p.message for p in info.value.problems] == [
        "Row 4: code «650» must have exactly 4 digits.",
        "Row 5: code 6501 is repeated (already on row 3)."]
    assert info.value.message == ("Catalogue file «ndkt-2026.2.csv» has a wrong structure and "
                                  "was not imported: Row 4: code «650» must have exactly 4 "
                                  "digits. (and 1 more)")
    set_language(None)
    with pytest.raises(InvalidInput) as info:
        catalogue.parse_catalogue(data, version="2026.2", source="ndkt-2026.2.csv")
    assert info.value.message.startswith("Tệp danh mục «ndkt-2026.2.csv» sai cấu trúc, chưa nạp: "
                                         "Dòng 4: mã «650» phải gồm đúng 4 chữ số.")
    assert info.value.message.endswith(" (và 1 lỗi khác)")


def test_ndkt_checks_panel_in_english(tmp_path):
    home = tmp_path / "home"
    (tmp_path / "ndkt-2026.2.csv").write_text(OFFICIAL, encoding="utf-8")
    set_language("en")
    cat = catalogue.import_file(home, tmp_path / "ndkt-2026.2.csv")
    assert cat.source.startswith("imported on ") and cat.source.endswith(" from ndkt-2026.2.csv")
    assert catalogue.shipped().source == "shipped with the software (ndkt-2026.1-partial.csv)"
    (p,) = run_checks(one_line_voucher_list("6502"), CheckInputs(catalogue=catalogue.load(home)))
    assert p.code == "ndkt-unknown"
    assert ("code 6502 (under group 6500 «Thanh toán dịch vụ công cộng») is not in the NDKT "
            "catalogue version 2026.2 in use; check the code") in p.message
    odd = catalogue.Catalogue("x", [catalogue.Entry("6510", "Nhóm", "muc", "", "official")])
    assert odd.check("6510") == ("ndkt-group", "error", "6510 «Nhóm» is a group code (muc); "
                                 "write a sub-item code (tieu muc)")
    assert catalogue.code_problem("5999") == "a spending NDKT code must be between 6000 and 9999"

    set_language(None)
    (p,) = run_checks(one_line_voucher_list("6502"), CheckInputs(catalogue=catalogue.load(home)))
    assert ("mã 6502 (thuộc mục 6500 «Thanh toán dịch vụ công cộng») không có trong danh mục "
            "NDKT phiên bản 2026.2 đang dùng") in p.message
    assert catalogue.shipped().source == "kèm phần mềm (ndkt-2026.1-partial.csv)"
