"""A person paid for only part of the month ("Ngày hưởng lương" of C02a-HD), against amounts
worked out by hand from resources/rules/payroll-vn.json, ``partial_month``:

standard days = Monday–Friday of the month (June 2026: 22); the pay items and the contract
wage are prorated, each ``round_half_up(coefficient × base salary × days / standard days)``;
insurance stays on the full month's base, and none is due when the unpaid days reach 14.
June 2026: lương cơ sở 2 340 000; family deduction 15 500 000 self + 6 200 000 per dependant.
"""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from client import cli
from client.errors import InvalidInput
from client.i18n import set_language
from client.money import round_half_up
from client.payroll.compute import compute_month, salary_lines
from client.payroll.rules import Rules, load_rules, working_days
from client.payroll.staff import Staff
from tests.unit.test_payroll import UNIT, people
from tests.unit.test_payroll_cli import UNIT_ARGS


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def coded() -> list[Staff]:
    staff = people()
    for i, person in enumerate(staff, start=1):
        person.code = f"NV{i:02d}"
    return staff


def test_standard_days_are_monday_to_friday_and_the_rule_is_unverified_data(
        rules: Rules) -> None:
    assert (working_days(2026, 6), working_days(2026, 7), working_days(2026, 2)) == (22, 23, 20)
    assert rules.standard_days(2026, 6) == 22
    pm = rules.partial_month
    assert pm is not None and pm.status == "unverified" and pm.insurance_base == "full"
    assert rules.sources[pm.source].status == "unverified"
    assert "thứ Hai đến thứ Sáu" in rules.sources[pm.source].note
    assert "contract_wage" in pm.prorated_amounts and "bonus" not in pm.prorated_amounts


def test_eleven_of_twenty_two_days_is_exactly_half_the_salary(rules: Rules) -> None:
    full = compute_month(coded(), 2026, 6, rules)
    sheet = compute_month(coded(), 2026, 6, rules, {"NV01": 11})
    a, b, c = sheet.rows
    assert sheet.standard_days == 22 and a.days == "11" and b.days == c.days == ""
    # HSL 4,98 × 2 340 000 × 11/22 = 5 826 600; CV 0,3 → 351 000; KV 0,2 → 234 000;
    # công vụ 1,32 → 1 544 400: each exactly half of the full month's amount.
    assert a.item_amounts == {"he_so_luong": 5_826_600, "pc_chuc_vu": 351_000,
                              "pc_khu_vuc": 234_000, "pc_cong_vu": 1_544_400}
    assert {k: 2 * v for k, v in a.item_amounts.items()} == full.rows[0].item_amounts
    assert a.salary == 7_956_000 == full.rows[0].salary // 2 and a.gross == 7_956_000
    # 11 unpaid days < 14: insurance and union dues on the full base 12 355 200, unchanged.
    assert a.bases["bhxh"] == 12_355_200
    assert a.employee == {"bhxh": 988_416, "bhyt": 185_328, "bhtn": 0}
    assert a.employer == full.rows[0].employer and a.union_dues == 123_552
    # taxable = 7 956 000 − 234 000 (KV) − 1 173 744 = 6 548 256 < 15 500 000 → no tax.
    assert (a.taxable_income, a.pit) == (6_548_256, 0)
    # net = 7 956 000 − 1 173 744 − 123 552 = 6 658 704, and that is the Mẫu 09 line.
    assert a.net == 6_658_704
    assert salary_lines(sheet)[0]["amount"] == 6_658_704
    assert salary_lines(sheet)[0]["parts"]["salary"] == 6_658_704
    # The full-month people are computed exactly as without any days.
    assert [r.to_json() for r in sheet.rows[1:]] == [r.to_json() for r in full.rows[1:]]
    assert "days" not in full.rows[0].to_json() and "standard_days" not in full.to_json()


def test_prorated_amounts_round_half_up_once(rules: Rules) -> None:
    staff = coded()
    staff[2].amounts = {"contract_wage": 1_000_001, "bonus": 300_001}
    sheet = compute_month(staff, 2026, 6, rules, {"NV03": "11", "NV02": "7,5"})
    b, c = sheet.rows[1], sheet.rows[2]
    # 1 000 001 × 11/22 = 500 000,5 → 500 001 (half up); the bonus is not prorated.
    assert c.amounts == {"contract_wage": 500_001, "bonus": 300_001}
    # HSL 3,66 × 2 340 000 × 7,5/22 = 8 564 400 × 15/44 = 2 919 681,8… → 2 919 682.
    assert b.days == "7.5" and b.item_amounts["he_so_luong"] == 2_919_682
    assert b.item_amounts["he_so_luong"] == round_half_up(
        Fraction(366, 100) * 2_340_000 * Fraction(15, 2) / 22)
    # 14,5 unpaid days ≥ 14: no insurance, no KPCĐ this month.
    assert b.employee == {"bhxh": 0, "bhyt": 0, "bhtn": 0} and b.employer["kpcd"] == 0


def test_days_out_of_range_name_the_person(rules: Rules) -> None:
    for days, needle in ((23, "từ 0 đến 22"), (-1, "từ 0 đến 22"), ("mười", "không phải là số")):
        with pytest.raises(InvalidInput) as err:
            compute_month(coded(), 2026, 6, rules, {"NV02": days})
        assert "«NV02»" in str(err.value) and needle in str(err.value)
        assert err.value.problems[0].where == "days.NV02"
    with pytest.raises(InvalidInput, match="«NV09»"):
        compute_month(coded(), 2026, 6, rules, {"NV09": 3})
    assert compute_month(coded(), 2026, 6, rules, {"NV02": 22}).rows[1].days == "22"
    set_language("en")
    try:
        with pytest.raises(InvalidInput) as err:
            compute_month(coded(), 2026, 6, rules, {"NV02": 23})
        assert err.value.problems[0].message == ("Staff member «NV02»: days paid 23 must be from 0 to 22 "
                                  "(the standard days of 06/2026).")
    finally:
        set_language(None)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text in content order, on one line."""
    path = tmp_path / "c02a.pdf"
    path.write_bytes(pdf)
    return " ".join(subprocess.run(["pdftotext", "-raw", str(path), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())


def test_c02a_pdf_and_xlsx_show_the_days_column(rules: Rules, tmp_path: Path) -> None:
    from client.export.xlsx import c02a_table
    from client.render.c02a import render_c02a

    full = compute_month(coded(), 2026, 6, rules)
    full.unit = dict(UNIT)
    text = pdf_text(render_c02a(full, date="2026-06-25"), tmp_path)
    assert "Ngày hưởng" not in text and "Tiền lương tháng Các khoản khác" in text
    sheet = compute_month(coded(), 2026, 6, rules, {"NV01": 11})
    sheet.unit = dict(UNIT)
    text = pdf_text(render_c02a(sheet, date="2026-06-25"), tmp_path)
    assert "Tiền lương tháng Ngày hưởng lương Các khoản khác" in text
    # Salary then the days: 11 for An, the standard 22 for the full-month Bình.
    assert "Nguyễn Văn An 01.003 4,98 0,3 0,2 1,32 6,8 7.956.000 11 7.956.000 988.416" in text
    assert "Trần Thị Bình V.07.03.29 3,66 0,366 1,098 5,124 11.990.160 22 11.990.160" in text
    assert "15.500.000 6.658.704" in text

    table = c02a_table(sheet)
    i = table.header[0].index("Ngày hưởng lương")
    assert table.header[0][i - 1] == "Tiền lương tháng"
    values = [cells[i] for cells, kind in table.rows if not kind]
    assert [str(v) for v in values] == ["11", "22", "22"]


def register(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã cán bộ", "Họ và tên", "Số tài khoản", "Ngân hàng", "Đối tượng", "Mã ngạch",
               "Hệ số lương", "PC chức vụ", "PC khu vực", "PC công vụ (%)",
               "PC thâm niên nghề (%)", "PC ưu đãi nghề (%)", "Số người phụ thuộc"])
    ws.append(["NV01", "Nguyễn Văn An", "0071000123456", "Vietcombank", "Công chức", "01.003",
               "4,98", "0,3", "0,2", 25, None, None, 0])
    ws.append(["NV02", "Trần Thị Bình", "101020203030", "VietinBank", "Viên chức",
               "V.07.03.29", "3,66", None, None, None, 10, 30, 2])
    wb.save(path)
    return path


def test_cli_days_option_end_to_end(tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"

    def run(*args: str) -> int:
        return cli.main(["--home", str(home), *args])

    assert run(*UNIT_ARGS) == 0
    assert run("staff", "import", str(register(tmp_path / "cb.xlsx"))) == 0
    out = tmp_path / "t6.json"
    capsys.readouterr()
    assert run("payroll", "compute", "--month", "2026-06", "-o", str(out), "--date",
               "2026-06-25", "--days", "NV01=11") == 0
    assert "Nguyễn Văn An 11" in capsys.readouterr().out
    doc = json.loads(out.read_text("utf-8"))
    assert [line["amount"] for line in doc["lines"]] == [6_658_704, 10_906_764]

    # Computing the month again keeps the days entered; "NV01=" pays the full month again.
    assert run("payroll", "compute", "--month", "2026-06", "-o", str(out), "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == {"NV01": "11"} and data["standard_days"] == 22
    assert data["document"]["total"] == 6_658_704 + 10_906_764
    assert run("payroll", "compute", "--month", "2026-06", "-o", str(out), "--days",
               "NV01=", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["days"] == {} and data["document"]["total"] == 14_614_704 + 10_906_764

    assert run("payroll", "compute", "--month", "2026-06", "-o", str(out), "--days",
               "NV02=23") != 0
    err = capsys.readouterr().err
    assert "Cán bộ «NV02»: số ngày hưởng lương 23 phải từ 0 đến 22" in err
    assert run("payroll", "compute", "--month", "2026-06", "-o", str(out), "--days",
               "11") != 0
    assert "MÃ=SỐ_NGÀY" in capsys.readouterr().err
