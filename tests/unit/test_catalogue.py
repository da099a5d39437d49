"""The NDKT catalogue: shipped version, lookup, structure checks, replacement by treasury IT."""

from __future__ import annotations

import json

import pytest

from client import catalogue
from client.cli import main
from client.documents import new_voucher_list
from client.documents.checks import CheckInputs, run_checks
from client.errors import InvalidInput

OFFICIAL = ("code,name,level,parent,status\n"
            "6500,Thanh toán dịch vụ công cộng,muc,,official\n"
            "6501,Thanh toán tiền điện,tieu_muc,6500,official\n"
            "6550,Vật tư văn phòng,muc,,official\n"
            "6551,Văn phòng phẩm,tieu_muc,6550,official\n"
            "6598,Vật tư văn phòng theo đề án,tieu_muc,6550,official\n")


def one_line_voucher_list(ndkt: str = "6598") -> dict:
    """A voucher list of one line with NDKT ``ndkt`` (6598: not in the shipped partial list,
    in OFFICIAL)."""
    return new_voucher_list(unit={"code": "1047665", "name": "Trường", "treasury": "KBNN",
                                  "account": "9523", "account_kind": "estimate"},
                            number="BK-1", date="2026-10-20", purpose="payment",
                            budget={"chapter": "622", "sector": "072", "source": "13",
                                    "program": "00000"}, prepared_by="A",
                            lines=[{"voucher": {"number": "1", "date": "2026-10-01"},
                                    "description": "Vật tư", "ndkt": ndkt, "amount": 1000}])


def test_shipped_catalogue_says_its_version_and_source():
    cat = catalogue.shipped()
    assert cat.version == "2026.1-partial"
    assert cat.describe()["codes"] == 73 and "ndkt-2026.1-partial.csv" in cat.source
    assert cat.get("6501").name == "Thanh toán tiền điện"
    assert cat.get("6001").status == "checked" and cat.get("6501").status == "unverified"


def test_lookup_by_code_or_part_of_name_accents_optional():
    cat = catalogue.shipped()
    assert [e.code for e in cat.search("655")] == ["6551", "6552"]
    assert [e.code for e in cat.search("van phong pham")] == ["6551"]
    assert [e.code for e in cat.search("tiền điện")] == ["6501"]
    assert "6500" not in [e.code for e in cat.search("65")]  # mục are not offered for a line
    assert cat.search("") == [] and cat.search("không có mã này") == []


def test_completions_for_the_editor_column():
    cat = catalogue.shipped()
    words = cat.completions()
    assert "6501 · Thanh toán tiền điện" in words and not any(w.startswith("6500") for w in words)
    assert cat.code_of("6501 · Thanh toán tiền điện") == "6501" and cat.code_of(" 6551 ") == "6551"
    assert cat.code_of("điện") == "điện"  # not a code: left for the checks to name


@pytest.mark.parametrize(("code", "verdict"), [
    ("6501", None),
    ("6598", "ndkt-unknown"),  # well formed, not in this version
    ("6500", "ndkt-group"),  # a mục in the catalogue
    ("6650", "ndkt-group"),  # a mục by structure
    ("5999", "ndkt-invalid"),
    ("65a1", "ndkt-invalid"),
])
def test_every_code_is_checked_for_structure(code, verdict):
    found = catalogue.shipped().check(code)
    assert (found[0] if found else None) == verdict


@pytest.mark.parametrize(("row", "why"), [
    ("650,Sai,tieu_muc,,official", "đúng 4 chữ số"),
    ("6501,,tieu_muc,6500,official", "chưa có tên"),
    ("6501,Điện,nhom,6500,official", "phải là muc hoặc tieu_muc"),
    ("6510,Điện,muc,,official", "bội của 50"),
    ("6600,Điện,tieu_muc,,official", "đó là mã mục"),
    ("6552,Điện,tieu_muc,6500,official", "phải thuộc mục 6550"),
    ("6501,Điện lần hai,tieu_muc,6500,official", "lặp lại (đã có ở dòng 3)"),
    ("6502,Nước,tieu_muc,6500,maybe", "trạng thái"),
])
def test_structure_errors_name_the_row(row, why):
    data = (OFFICIAL + row + "\n").encode()
    with pytest.raises(InvalidInput) as exc:
        catalogue.parse_catalogue(data, version="2026.2", source="ndkt-2026.2.csv")
    assert any(why in p.message and p.message.startswith("Dòng 7") for p in exc.value.problems)


def test_import_replaces_the_catalogue_and_the_checks_follow(tmp_path):
    home = tmp_path / "home"
    doc = one_line_voucher_list()
    before = catalogue.load(home)
    assert before.version == "2026.1-partial"
    assert [p.code for p in run_checks(doc, CheckInputs(catalogue=before))] == ["ndkt-unknown"]

    (tmp_path / "ndkt-2026.2.csv").write_text(OFFICIAL, encoding="utf-8")
    catalogue.import_file(home, tmp_path / "ndkt-2026.2.csv")
    after = catalogue.load(home)
    assert after.version == "2026.2" and len(after) == 5 and "ndkt-2026.2.csv" in after.source
    assert run_checks(doc, CheckInputs(catalogue=after)) == []
    # 6502 was in the shipped partial list, not in the official one: now flagged with 2026.2
    doc["lines"][0]["ndkt"] = "6502"
    (p,) = run_checks(doc, CheckInputs(catalogue=after))
    assert p.code == "ndkt-unknown" and "phiên bản 2026.2" in p.message

    # a broken file leaves the catalogue in use untouched
    (tmp_path / "ndkt-2026.3.csv").write_text(OFFICIAL + "65,Sai\n", encoding="utf-8")
    with pytest.raises(InvalidInput):
        catalogue.import_file(home, tmp_path / "ndkt-2026.3.csv")
    assert catalogue.load(home).version == "2026.2"


def test_version_comes_from_the_name_or_the_option(tmp_path):
    (tmp_path / "danh-muc.csv").write_text(OFFICIAL, encoding="utf-8")
    with pytest.raises(InvalidInput, match="--version"):
        catalogue.import_file(tmp_path / "home", tmp_path / "danh-muc.csv")
    assert catalogue.import_file(tmp_path / "home", tmp_path / "danh-muc.csv",
                                 version="TT324-2026").version == "TT324-2026"


def test_cli_catalogue_show_and_import(tmp_path, capsys):
    home = str(tmp_path / "home")
    assert main(["--home", home, "catalogue", "show"]) == 0
    assert "phiên bản 2026.1-partial" in capsys.readouterr().out
    assert main(["--home", home, "catalogue", "show", "điện", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "2026.1-partial"
    assert [e["code"] for e in shown["entries"]] == ["6501", "6601"]
    (tmp_path / "ndkt-2026.2.csv").write_text(OFFICIAL, encoding="utf-8")
    assert main(["--home", home, "catalogue", "import", str(tmp_path / "ndkt-2026.2.csv")]) == 0
    assert "Từ nay dùng: Danh mục NDKT phiên bản 2026.2" in capsys.readouterr().out
    (tmp_path / "bad.csv").write_text("ma,ten\n6501,Điện\n", encoding="utf-8")
    assert main(["--home", home, "catalogue", "import", str(tmp_path / "bad.csv"),
                 "--version", "x1"]) == 1
    assert "code, name" in capsys.readouterr().err
    assert main(["--home", home, "catalogue", "show"]) == 0
    assert "phiên bản 2026.2" in capsys.readouterr().out


def test_validate_uses_the_catalogue_in_use(tmp_path, capsys):
    from client.documents import serialize

    home = str(tmp_path / "home")
    doc = one_line_voucher_list()
    (tmp_path / "bk.json").write_bytes(serialize(doc))
    assert main(["--home", home, "validate", str(tmp_path / "bk.json")]) == 0
    assert "phiên bản 2026.1-partial" in capsys.readouterr().err
    (tmp_path / "ndkt-2026.2.csv").write_text(OFFICIAL, encoding="utf-8")
    assert main(["--home", home, "catalogue", "import", str(tmp_path / "ndkt-2026.2.csv")]) == 0
    capsys.readouterr()
    assert main(["--home", home, "validate", str(tmp_path / "bk.json")]) == 0
    captured = capsys.readouterr()
    assert "hợp lệ, không có lỗi hay cảnh báo" in captured.out and captured.err == ""


def test_the_signing_gate_uses_the_data_folders_catalogue(tmp_path):
    """Before the first signature the checks read the catalogue of the profile's own data
    folder (passed in by AppContext), not one guessed from the database file's place."""
    from client.app import AppContext
    from client.home import Home

    home = Home(tmp_path / "home")
    doc = one_line_voucher_list()
    ctx = AppContext(home)
    try:
        local_id = ctx.add_document(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
        assert [p.code for p in ctx.signing_gate(local_id).unconfirmed] == ["ndkt-unknown"]
        (tmp_path / "ndkt-2026.2.csv").write_text(OFFICIAL, encoding="utf-8")
        catalogue.import_file(home.path, tmp_path / "ndkt-2026.2.csv")
        assert ctx.signing_gate(local_id).ok
        with pytest.raises(InvalidInput):  # no such warning any more: nothing to confirm
            ctx.confirm_warnings(local_id, ["ndkt-unknown"], "Kế toán")
    finally:
        ctx.close()
