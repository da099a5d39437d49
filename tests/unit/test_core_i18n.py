"""The core's texts in English (issue 8): ``client.i18n`` and ``kbnn-client --lang en doctor``.

The doctor runs in-process through ``client.cli.main`` with a fresh data folder, a
treasury address on a loopback port nobody listens on and a PKCS#11 module that does
not exist. The catalogue test parses every ``tr("…")`` in ``client/`` so that a new
Vietnamese text without its English fails the suite.
"""

from __future__ import annotations

import ast
import json
import re
import socket
import string
from pathlib import Path

import pytest

from client import attachments as client_attachments
from client import firstrun, i18n
from client import settings as core_settings
from client.cli import main
from client.diagnostics import checks as C
from client.documents import checks as document_checks
from client.documents import validation
from client.i18n import set_language, tr
from client.importers import spec as import_spec
from client.payroll import staff as payroll_staff
from client.transport import outbox as transport_outbox
from client.transport import sync as transport_sync
from client.vouchers import importer as voucher_import

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "resources" / "i18n").glob("core_en*.json"))
# letters only Vietnamese uses (tone marks, ă â đ ê ô ơ ư): none may be left in English texts
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.IGNORECASE)
# dictionaries whose Vietnamese values go through tr() as variables, not literals
TR_TABLES = {"_VERIFY_VI": C._VERIFY_VI, "_OUTBOX_STATE_VI": C._OUTBOX_STATE_VI,
             "STEP_TITLES": firstrun.STEP_TITLES, "_NOT_DONE_ADVICE": firstrun._NOT_DONE_ADVICE,
             "ROLE_VI": firstrun.ROLE_VI}
TR_TABLES.update({"HEADER_LABELS": validation.HEADER_LABELS,
                  "LINE_LABELS": validation.LINE_LABELS})
TR_TABLES.update({"INSURANCE_VI": payroll_staff.INSURANCE_VI})
# the salary parts (also in LINE_LABELS): the staff list shows them
TR_TABLES.update({"PART_LABELS": validation.PART_LABELS})
# documents.checks: the ``register(code, title="…")`` literals are tr() templates (collected
# from the source below), translated where shown: ``Check.title`` is ``tr(self.title_vi)``
TR_TABLES.update({"title_vi": {c.code: c.title_vi for c in document_checks._REGISTRY}})
TR_TABLES.update({"CONNECTIVITY_TEXT": transport_sync.CONNECTIVITY_TEXT,
                  "STATUS_TEXT": transport_outbox.STATUS_TEXT})
# client.settings: Setting.label / Setting.help are tr(SETTING_LABELS/SETTING_HELP[key])
TR_TABLES.update({"SETTING_LABELS": core_settings.SETTING_LABELS,
                  "SETTING_HELP": core_settings.SETTING_HELP})
# importers: the field labels shown in messages (matching keeps the Vietnamese label)
TR_TABLES.update({"FIELD_LABELS": import_spec.FIELD_LABELS,
                  "BUDGET_LABELS": voucher_import.BUDGET_LABELS})
# attachments: what an allowed file type is ("ảnh JPEG"), shown in a type problem
TR_TABLES.update({"KIND_VI": client_attachments.KIND_VI})



def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the with-block ends


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.ini").write_text(
        f"[server]\nurl = http://127.0.0.1:{closed_port()}/api/v1\n\n[network]\nproxy = none\n",
        encoding="utf-8")
    return home


def doctor(capsys, home: Path, tmp_path: Path, *lang: str, as_json: bool = True) -> tuple[int, str]:
    missing = str(tmp_path / "khong-co.so")
    code = main(["--home", str(home), *lang, "doctor", "--module", missing,
                 *(["--json"] if as_json else [])])
    return code, capsys.readouterr().out


def by_id(out: str) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(out)["checks"]}


def test_lang_en_doctor_json_is_english(capsys, home, tmp_path):
    code, out = doctor(capsys, home, tmp_path, "--lang", "en")
    assert code == 1  # failed checks
    checks = by_id(out)
    assert len(checks) == len(C.CHECKS)
    mods = checks["pkcs11-modules"]
    assert mods["status"] == "failed" and mods["title"] == "PKCS#11 token modules"
    assert mods["detail"].startswith("The PKCS#11 module given was not found: ")
    assert "FILE NOT FOUND" in mods["detail"] and "given with --module" in mods["detail"]
    assert mods["advice"].startswith("Check the path of the token module")
    assert checks["tokens"]["detail"] == ("Cannot read the tokens: no PKCS#11 module could be "
                                          "loaded.")
    assert checks["treasury"]["title"] == "Treasury service health"
    assert checks["treasury"]["advice"].startswith("Check the Internet/office network connection")
    assert checks["database"]["detail"].startswith("No database yet (")
    assert checks["clock"]["detail"].startswith("Clock not compared with the treasury")
    assert checks["credentials"]["detail"] == ("Not logged in to the treasury's public service "
                                               "on this computer.")
    for cid, c in checks.items():
        # the treasury's detail is the transport's own message (not converted yet)
        texts = [c["title"], c["advice"]] + ([] if cid == "treasury" else [c["detail"]])
        for text in texts:
            assert not VIETNAMESE.search(text), (cid, text)


def test_default_language_stays_vietnamese(capsys, home, tmp_path):
    _code, out = doctor(capsys, home, tmp_path)
    checks = by_id(out)
    mods = checks["pkcs11-modules"]
    assert mods["title"] == "Thư viện PKCS#11 của token"
    assert mods["detail"].startswith("Thư viện PKCS#11 đã chỉ định không tìm thấy: ")
    assert "KHÔNG TÌM THẤY TỆP" in mods["detail"]
    assert checks["credentials"]["detail"] == "Chưa đăng nhập dịch vụ công Kho bạc trên máy này."
    assert checks["treasury"]["advice"].startswith("Kiểm tra kết nối Internet/mạng của cơ quan")


def test_plain_report_follows_the_language(capsys, home, tmp_path):
    _code, out = doctor(capsys, home, tmp_path, "--lang", "en", as_json=False)
    assert out.startswith("COMPUTER CHECK REPORT — KBNN Client ")
    assert "[FAILED] PKCS#11 token modules" in out and "How to fix: Check the path" in out
    assert "Summary: " in out and "Cách khắc phục" not in out
    _code, out = doctor(capsys, home, tmp_path, as_json=False)
    assert out.startswith("BÁO CÁO KIỂM TRA MÁY — KBNN Client ")
    assert "[LỖI] Thư viện PKCS#11 của token" in out and "Cách khắc phục: Kiểm tra lại" in out


def test_settings_language_applies_without_the_flag_and_the_flag_wins(capsys, home, tmp_path):
    with open(home / "settings.ini", "a", encoding="utf-8") as fh:
        fh.write("\n[ui]\nlanguage = en\n")
    _code, out = doctor(capsys, home, tmp_path)
    assert by_id(out)["disk"]["title"] == "Disk space"
    _code, out = doctor(capsys, home, tmp_path, "--lang", "vi")
    assert by_id(out)["disk"]["title"] == "Dung lượng ổ đĩa"


def test_tr_formats_falls_back_and_formats_numbers():
    template = "Đồng hồ máy tính khớp giờ Kho bạc (lệch {seconds:.1f} giây)."
    assert tr(template, seconds=2.25) == "Đồng hồ máy tính khớp giờ Kho bạc (lệch 2.2 giây)."
    set_language("en")
    assert i18n.language() == "en"
    assert tr(template, seconds=2.25) == "The computer clock matches treasury time (off by 2.2 seconds)."
    assert tr("Chưa có trong danh mục {x}.", x=1) == "Chưa có trong danh mục 1."  # fallback
    assert set_language("fr") == "vi" and tr(template, seconds=1) == (
        "Đồng hồ máy tính khớp giờ Kho bạc (lệch 1.0 giây).")


# --------------------------------------------------------------------------- the catalogue


def _tr_templates() -> tuple[dict[str, str], list[str]]:
    """Every ``tr("literal", …)`` template in client/ (→ where), and non-literal calls."""
    found: dict[str, str] = {}
    odd: list[str] = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "register"):
                for kw in node.keywords:
                    if (kw.arg == "title" and isinstance(kw.value, ast.Constant)
                            and isinstance(kw.value.value, str)):
                        found.setdefault(kw.value.value, f"{path.relative_to(ROOT)}:{node.lineno}")
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and node.args):
                continue
            arg = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.setdefault(arg.value, where)
            elif not any(name in ast.unparse(arg) for name in TR_TABLES):
                odd.append(where)
    for table in TR_TABLES.values():
        for text in table.values():
            found.setdefault(text, "table")
    return found, odd


def _fields(template: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(template) if f}


def test_every_tr_template_has_its_english():
    catalogue: dict[str, str] = {}
    for path in CATALOGUES:
        part = json.loads(path.read_text("utf-8"))
        assert not set(part) & set(catalogue), f"{path.name} repeats entries of another file"
        catalogue.update(part)
    templates, odd = _tr_templates()
    assert len(templates) > 150  # the diagnostics' texts at least
    assert odd == [], f"tr() of a variable outside the known tables: {odd}"
    missing = {t: where for t, where in templates.items() if t not in catalogue}
    assert missing == {}, f"no English in resources/i18n/core_en*.json for: {missing}"
    stale = sorted(set(catalogue) - set(templates))
    assert stale == [], f"catalogue entries no tr() uses: {stale}"
    for vi, en in catalogue.items():
        assert _fields(vi) == _fields(en), (vi, en)
        assert en.strip() and not VIETNAMESE.search(en), en


def test_check_titles_have_english():
    for spec in C.CHECKS:
        assert spec.title_en and not VIETNAMESE.search(spec.title_en), spec.id


def test_amounts_and_revocation_speak_the_language():
    from client.money import parse_vnd

    for lang, expected in ((None, "«12,5x» không phải là số tiền hợp lệ"),
                           ("en", "«12,5x» is not a valid amount")):
        set_language(lang)
        with pytest.raises(ValueError) as info:
            parse_vnd("12,5x")
        assert str(info.value) == expected
    set_language("en")
    with pytest.raises(ValueError, match="must be whole dong"):
        parse_vnd("1.000,50")


# --------------------------------------------------------------------------- nothing left out
# Modules whose Vietnamese is the product's content, not its interface: the forms as printed
# (render, Excel exports, the amount in words), the treasury stand-in (the sandbox answers in
# Vietnamese as the real one does; its classroom page is for Vietnamese trainers), converters
# of legacy encodings, and the change explanation written into a Mẫu 09.
VIETNAMESE_BY_DESIGN = ("client/render/", "client/sandbox/", "client/training/classroom.py",
                        "client/export/xlsx.py", "client/vouchers/export.py", "client/money.py",
                        "client/importers/legacy.py", "client/payroll/changes.py", "client/ui/")
DATA_LITERALS = ROOT / "tests" / "unit" / "vietnamese_data.json"


def _untranslated_literals() -> dict[str, list[str]]:
    """Vietnamese string literals in the core outside tr(), docstrings and the known tables."""
    shown_via_tables = {text for table in TR_TABLES.values() for text in table.values()}
    shown_via_tables |= set(_tr_templates()[0])
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "client").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(VIETNAMESE_BY_DESIGN):
            continue
        tree = ast.parse(path.read_text("utf-8"), rel)
        skip: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr":
                skip.update(id(n) for n in ast.walk(node))
            elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                  and isinstance(node.value.value, str)):
                skip.add(id(node.value))  # a docstring
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in skip and VIETNAMESE.search(node.value)
                    and node.value not in shown_via_tables):
                found.setdefault(rel, [])
                if node.value not in found[rel]:
                    found[rel].append(node.value)
    return found


def test_every_vietnamese_literal_is_translated_or_declared_data():
    """A new Vietnamese text in the core must go through tr() (with its English) or be listed
    in tests/unit/vietnamese_data.json with the reason it is data (matched against users'
    files, written into documents, stored): English mode then shows no stray Vietnamese."""
    declared = json.loads(DATA_LITERALS.read_text("utf-8"))
    found = _untranslated_literals()
    new = {m: [t for t in texts if t not in declared.get(m, {}).get("literals", [])]
           for m, texts in found.items()}
    new = {m: texts for m, texts in new.items() if texts}
    assert new == {}, f"Vietnamese outside tr(): translate it, or declare it data: {new}"
    stale = {m: [t for t in entry["literals"] if t not in found.get(m, [])]
             for m, entry in declared.items()}
    stale = {m: texts for m, texts in stale.items() if texts}
    assert stale == {}, f"declared data no longer in the code: {stale}"
    assert all(entry["why"].strip() for entry in declared.values())
