"""The payroll core's messages in English (issue 8): staff register checks, the rules file,
the month's computation and copy, and `kbnn-client --lang en staff import` end to end.

Texts that go into documents (the drafted "thuyết minh", the C02a sources) are data and
stay Vietnamese whatever the language.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from client import cli
from client.errors import InvalidInput
from client.i18n import set_language, tr
from client.payroll.changes import diff_lines, draft_changes
from client.payroll.compute import compute_month
from client.payroll.month import copy_last_month
from client.payroll.rules import Rules, load_rules
from client.payroll.staff import INSURANCE_VI, Staff
from client.payroll.staff_repo import StaffRepo
from client.store.db import connect


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def bad_person() -> Staff:
    return Staff(name="Nguyễn Văn An", account="12", bank="", category="giam-doc",
                 coefficients={"he_so_luong": "-1"}, dependants=-1, insurance="maybe")


def test_staff_problems_in_english_and_vietnamese(rules: Rules) -> None:
    set_language("en")
    texts = [p.message for p in bad_person().problems(rules)]
    assert "Staff member «Nguyễn Văn An»: account number «12» must have 6–19 digits." in texts
    assert "Staff member «Nguyễn Văn An»: the bank name is missing." in texts
    assert any(t.startswith("Staff member «Nguyễn Văn An»: category «giam-doc» is not in the "
                            "payroll rules (can-bo (") for t in texts)
    assert "Staff member «Nguyễn Văn An»: coefficient he_so_luong must not be negative." in texts
    assert ("Staff member «Nguyễn Văn An»: the number of dependants must be a whole, "
            "non-negative number.") in texts
    assert ("Staff member «Nguyễn Văn An»: insurance status «maybe» must be one of normal, "
            "no-unemployment, none.") in texts
    assert len(texts) == 6
    set_language(None)
    texts = [p.message for p in bad_person().problems(rules)]
    assert "Cán bộ «Nguyễn Văn An»: số tài khoản «12» phải có 6–19 chữ số." in texts
    assert "Cán bộ «Nguyễn Văn An»: chưa có tên ngân hàng." in texts
    assert "Cán bộ «Nguyễn Văn An»: hệ số he_so_luong không được âm." in texts


def test_compute_errors_in_english(rules: Rules) -> None:
    set_language("en")
    with pytest.raises(InvalidInput) as info:
        compute_month([bad_person()], 2026, 7, rules)
    assert info.value.message == ("The staff register has 6 error(s); the payroll cannot be "
                               "computed yet.")
    with pytest.raises(InvalidInput) as info:
        compute_month([], 2026, 7, rules)
    assert info.value.message == ("The staff register has nobody (currently employed) to compute "
                               "the payroll for.")
    set_language(None)
    with pytest.raises(InvalidInput) as info:
        compute_month([], 2026, 7, rules)
    assert info.value.message == "Danh sách cán bộ chưa có ai (đang làm việc) để tính lương."


def test_rules_file_errors_in_english(rules: Rules, tmp_path: Path) -> None:
    set_language("en")
    with pytest.raises(InvalidInput) as info:
        load_rules(tmp_path / "khong-co.json")
    assert info.value.message == f"The payroll rules file «{tmp_path / 'khong-co.json'}» was not found."
    with pytest.raises(InvalidInput) as info:
        rules.for_month(1990, 1)
    assert info.value.message.startswith("The payroll rules have no «base_salary» for month 01/1990 "
                                      "(the earliest entry takes effect on ")
    data = dict(rules.data, rounding={"rule": "down"})
    with pytest.raises(InvalidInput) as info:
        Rules(data, "x.json")
    assert info.value.message == ("The payroll rules file «x.json» is not valid: only the "
                               "\"half-up\" rounding rule is supported.")
    assert info.value.problems[0].message == info.value.message
    set_language(None)
    with pytest.raises(InvalidInput) as info:
        Rules(data, "x.json")
    assert info.value.message == ("Tệp quy định tính lương «x.json» không hợp lệ: chỉ hỗ trợ cách "
                               "làm tròn \"half-up\".")


def test_copy_and_register_lookups_in_english(tmp_path: Path) -> None:
    conn = connect(tmp_path / "kbnn.sqlite3")
    try:
        set_language("en")
        with pytest.raises(InvalidInput) as info:
            copy_last_month(conn, year=2027, month=1, number="x", date="2027-01-25")
        assert info.value.message == "There is no salary table for 12/2026 to copy yet."
        with pytest.raises(InvalidInput) as info:
            StaffRepo(conn).get(42)
        assert info.value.message == "Staff member #42 is not in the register."
        set_language(None)
        with pytest.raises(InvalidInput) as info:
            StaffRepo(conn).get(42)
        assert info.value.message == "Không tìm thấy cán bộ #42 trong danh sách."
    finally:
        conn.close()


def test_insurance_labels_and_document_text(rules: Rules) -> None:
    set_language("en")
    assert tr(INSURANCE_VI["no-unemployment"]) == "no unemployment insurance"
    # the drafted explanation is written into the Mẫu 09 document: it stays Vietnamese
    line = {"name": "An", "account": "0071000123456", "amount": 1_000_000}
    drafted = draft_changes(diff_lines([line], [dict(line, amount=1_200_000)]))
    assert drafted["explanation"].startswith("Tổng số tiền tháng này 1.200.000 đồng (1 người)")
    assert drafted["difference"] == 200_000


def test_lang_en_staff_import_names_rows_in_english(tmp_path: Path, capsys) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Họ và tên", "Số tài khoản", "Ngân hàng", "Đối tượng", "Hệ số lương", "Bảo hiểm"])
    ws.append(["Nguyễn Văn An", "0071000123456", "Vietcombank", "Giám đốc", "4,98", None])
    ws.append(["Trần Thị Bình", "12", "VietinBank", "Viên chức", "3,66", None])
    ws.append(["Lê Văn Cường", "19036677889900", "Techcombank", "Viên chức", "2,34", "có lẽ"])
    path = tmp_path / "sai.xlsx"
    wb.save(path)
    home = tmp_path / "home"
    assert cli.main(["--home", str(home), "--lang", "en", "staff", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "The staff register «sai.xlsx» has 3 error(s)." in err
    assert "File «sai.xlsx», row 2: staff category «Giám đốc» not recognised (expected one of: " \
        in err
    assert ("File «sai.xlsx», row 3: Staff member «Trần Thị Bình»: account number «12» must have "
            "6–19 digits.") in err
    assert ("File «sai.xlsx», row 4: column «Bảo hiểm» «có lẽ» must be empty, «không» or "
            "«không BHTN».") in err
    assert "không nhận ra" not in err
    assert cli.main(["--home", str(home), "staff", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Danh sách cán bộ «sai.xlsx» có 3 lỗi." in err
    assert "Tệp «sai.xlsx», dòng 2: không nhận ra đối tượng «Giám đốc»" in err
