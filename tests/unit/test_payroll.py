"""Payroll computed from the staff register and the dated rules, against amounts worked out by
hand (resources/rules/payroll-vn.json; reference/domain.md "Payroll rules").

June 2026: lương cơ sở 2 340 000 (NĐ 73/2024); July 2026: 2 530 000 (NĐ 161/2026, marked
unverified in the rules file: data, not logic). Both months: family deduction 15 500 000 self
+ 6 200 000 per dependant and the 5-bracket schedule (from 2026-01-01); insurance cap 20 × base
salary; union dues 1 % of the insurance base, capped at 10 % of the base salary. Every amount
rounded to the đồng, half up.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from client.documents import validate
from client.errors import InvalidInput
from client.money import round_half_up
from client.payroll.changes import diff_lines, draft_changes
from client.payroll.compute import compute_month, income_tax, salary_lines
from client.payroll.month import compute_payroll, copy_last_month
from client.payroll.rules import Rules, load_rules
from client.payroll.staff import Staff
from client.payroll.staff_repo import StaffRepo
from client.store.db import connect

UNIT = {"code": "1047665", "name": "Trường Tiểu học Hòa Bình", "treasury": "KBNN Quận 1",
        "account": "9523.1.1047665", "account_kind": "estimate"}


def people() -> list[Staff]:
    return [
        # A: công chức (no BHTN), HSL 4,98, PC chức vụ 0,30, PC khu vực 0,20, PC công vụ 25 %.
        Staff(name="Nguyễn Văn An", account="0071000123456", bank="Vietcombank",
              category="cong-chuc", grade_code="01.003",
              coefficients={"he_so_luong": "4.98", "pc_chuc_vu": "0.3", "pc_khu_vuc": "0.2",
                            "pc_cong_vu": "25"}),
        # B: viên chức, HSL 3,66, PC thâm niên nghề 10 %, PC ưu đãi nghề 30 %, 2 dependants.
        Staff(name="Trần Thị Bình", account="1010 2020 3030", bank="VietinBank",
              category="vien-chuc", grade_code="V.07.03.29",
              coefficients={"he_so_luong": "3.66", "pc_tham_nien_nghe": "10",
                            "pc_uu_dai_nghe": "30"}, dependants=2),
        # C: hợp đồng, contract wage 60 000 000 (above the insurance cap), 1 dependant.
        Staff(name="Lê Văn Cường", account="19036677889900", bank="Techcombank",
              category="hop-dong", amounts={"contract_wage": 60_000_000}, dependants=1),
    ]


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules()


def test_june_2026_by_hand(rules: Rules) -> None:
    sheet = compute_month(people(), 2026, 6, rules)
    assert sheet.base_salary == 2_340_000
    # Rows come grouped by category in the rules' order: công chức, viên chức, hợp đồng.
    a, b, c = sheet.rows
    assert [r.group for r in sheet.rows] == ["I. Công chức", "II. Viên chức",
                                             "III. Hợp đồng lao động"]

    # A: HSL 4,98 × 2 340 000 = 11 653 200; CV 0,3 × = 702 000; KV 0,2 × = 468 000;
    #    công vụ 25 % × (4,98 + 0,30) = 1,32 × 2 340 000 = 3 088 800; salary = 15 912 000.
    assert a.item_amounts == {"he_so_luong": 11_653_200, "pc_chuc_vu": 702_000,
                              "pc_khu_vuc": 468_000, "pc_cong_vu": 3_088_800}
    assert a.coefficients["pc_cong_vu"] == "1.32"
    assert a.salary == 15_912_000
    #    insurable = HSL + CV = 12 355 200 (KV and công vụ are not);
    #    BHXH 8 % = 988 416; BHYT 1,5 % = 185 328; no BHTN for công chức.
    assert a.bases["bhxh"] == 12_355_200
    assert a.employee == {"bhxh": 988_416, "bhyt": 185_328, "bhtn": 0}
    #    employer: BHXH 17,5 % = 2 162 160; BHYT 3 % = 370 656; KPCĐ 2 % = 247 104.
    assert a.employer == {"bhxh": 2_162_160, "bhyt": 370_656, "bhtn": 0, "kpcd": 247_104}
    #    union dues 1 % × 12 355 200 = 123 552 (under the cap 234 000).
    assert a.union_dues == 123_552
    #    taxable = 15 444 000 (KV exempt) − 1 173 744 = 14 270 256 < 15 500 000 → no tax.
    assert (a.taxable_income, a.assessable_income, a.pit) == (14_270_256, 0, 0)
    #    net = 15 912 000 − 1 173 744 − 123 552 = 14 614 704.
    assert a.net == 14_614_704

    # B: HSL 3,66 × 2 340 000 = 8 564 400; TNN 10 % × 3,66 = 0,366 → 856 440;
    #    ƯĐ 30 % × 3,66 = 1,098 → 2 569 320; salary 11 990 160; insurable 9 420 840.
    assert b.salary == 11_990_160 and b.insurable == 9_420_840
    #    BHXH 753 667,2 → 753 667; BHYT 141 312,6 → 141 313; BHTN 94 208,4 → 94 208.
    assert b.employee == {"bhxh": 753_667, "bhyt": 141_313, "bhtn": 94_208}
    assert b.union_dues == 94_208
    #    family 15 500 000 + 2 × 6 200 000 = 27 900 000 > taxable 11 000 972 → no tax.
    assert (b.taxable_income, b.family_deduction, b.pit) == (11_000_972, 27_900_000, 0)
    #    net = 11 990 160 − 989 188 − 94 208 = 10 906 764.
    assert b.net == 10_906_764

    # C: gross 60 000 000, insurance base capped at 20 × 2 340 000 = 46 800 000;
    #    BHXH 3 744 000, BHYT 702 000, BHTN 468 000 (= 4 914 000);
    #    union dues 1 % = 468 000, capped at 10 % × 2 340 000 = 234 000.
    assert c.bases == {"bhxh": 46_800_000, "bhyt": 46_800_000, "bhtn": 46_800_000}
    assert c.employee == {"bhxh": 3_744_000, "bhyt": 702_000, "bhtn": 468_000}
    assert c.union_dues == 234_000
    #    taxable 55 086 000 − family 21 700 000 = 33 386 000 assessable:
    #    10 000 000 × 5 % = 500 000; 20 000 000 × 10 % = 2 000 000;
    #    3 386 000 × 20 % = 677 200 → tax 3 177 200 (three brackets).
    assert (c.taxable_income, c.assessable_income, c.pit) == (55_086_000, 33_386_000, 3_177_200)
    #    net = 60 000 000 − 4 914 000 − 234 000 − 3 177 200 = 51 674 800.
    assert c.net == 51_674_800
    #    Mẫu 09 "Trong đó": everything deducted from the contract wage part.
    assert c.parts["contract_wage"] == 51_674_800 and c.parts["salary"] == 0
    assert sheet.total("net") == 14_614_704 + 10_906_764 + 51_674_800


def test_july_2026_after_the_base_salary_change(rules: Rules) -> None:
    sheet = compute_month(people(), 2026, 7, rules)
    assert sheet.base_salary == 2_530_000 and sheet.base_salary_from == "2026-07-01"
    assert "chưa kiểm chứng" in sheet.base_salary_source  # NĐ 161/2026 is unverified data
    a, b, c = sheet.rows
    # A: 4,98 × 2 530 000 = 12 599 400; 0,3 × = 759 000; 0,2 × = 506 000;
    #    1,32 × = 3 339 600; salary 17 204 000; insurable 13 358 400;
    #    BHXH 1 068 672, BHYT 200 376; union 133 584;
    #    taxable 16 698 000 − 1 269 048 = 15 428 952 < 15 500 000 → no tax.
    assert a.salary == 17_204_000
    assert a.employee == {"bhxh": 1_068_672, "bhyt": 200_376, "bhtn": 0}
    assert (a.union_dues, a.pit) == (133_584, 0)
    assert a.net == 17_204_000 - 1_269_048 - 133_584 == 15_801_368
    # B: 9 259 800 + 925 980 + 2 777 940 = 12 963 720; insurable 10 185 780;
    #    BHXH 814 862,4 → 814 862; BHYT 152 786,7 → 152 787; BHTN 101 857,8 → 101 858.
    assert b.salary == 12_963_720
    assert b.employee == {"bhxh": 814_862, "bhyt": 152_787, "bhtn": 101_858}
    assert b.net == 12_963_720 - 1_069_507 - 101_858 == 11_792_355
    # C: cap 20 × 2 530 000 = 50 600 000: BHXH 4 048 000, BHYT 759 000, BHTN 506 000;
    #    union capped at 253 000; assessable 60 000 000 − 5 313 000 − 21 700 000 = 32 987 000;
    #    tax 500 000 + 2 000 000 + 2 987 000 × 20 % (597 400) = 3 097 400.
    assert c.employee == {"bhxh": 4_048_000, "bhyt": 759_000, "bhtn": 506_000}
    assert (c.union_dues, c.assessable_income, c.pit) == (253_000, 32_987_000, 3_097_400)
    assert c.net == 51_336_600


def test_rounding_is_half_up_on_exact_values(rules: Rules) -> None:
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(Fraction(3, 2)) == 2
    assert round_half_up(Fraction(249, 100)) == 2
    # Contract wage 7 000 050: BHTN 1 % = 70 000,5 → 70 001 (half up, not to even);
    # BHYT 1,5 % = 105 000,75 → 105 001; BHXH 8 % = 560 004 exactly.
    person = Staff(name="Phạm Thu", account="123456789", bank="BIDV", category="hop-dong",
                   amounts={"contract_wage": 7_000_050}, union_member=False)
    row = compute_month([person], 2026, 6, rules).rows[0]
    assert row.employee == {"bhxh": 560_004, "bhyt": 105_001, "bhtn": 70_001}
    # Tax is rounded once on the sum of the brackets: 10 000 001 → 500 000 + 0,1 → 500 000.
    month = rules.for_month(2026, 6)
    assert income_tax(10_000_001, month.brackets) == 500_000
    assert income_tax(10_000_005, month.brackets) == 500_001  # 500 000,5 → 500 001


def test_older_seven_bracket_schedule_applies_to_2025(rules: Rules) -> None:
    month = rules.for_month(2025, 12)
    assert (month.self_deduction, month.dependant_deduction) == (11_000_000, 4_400_000)
    # 20 000 000: 5 000 000 × 5 % + 5 000 000 × 10 % + 8 000 000 × 15 % + 2 000 000 × 20 %
    #           = 250 000 + 500 000 + 1 200 000 + 400 000 = 2 350 000.
    assert income_tax(20_000_000, month.brackets) == 2_350_000
    assert month.base_salary == 2_340_000


def test_insurance_status_and_register_problems(rules: Rules) -> None:
    free = Staff(name="Võ Nam", account="123456789", bank="BIDV", category="vien-chuc",
                 coefficients={"he_so_luong": "2.34"}, insurance="none", union_member=False)
    row = compute_month([free], 2026, 6, rules).rows[0]
    assert row.employee == {"bhxh": 0, "bhyt": 0, "bhtn": 0} and row.net == row.gross
    bad = Staff(name="", account="12-34", bank="", category="giam-doc",
                coefficients={"he_so_luong": "x"})
    with pytest.raises(InvalidInput) as info:
        compute_month([bad], 2026, 6, rules)
    codes = {p.code for p in info.value.problems}
    assert {"staff-name", "staff-account", "staff-bank", "staff-category",
            "staff-coefficient"} <= codes
    with pytest.raises(InvalidInput, match="chưa có ai"):
        compute_month([], 2026, 6, rules)


def test_mau09_lines_are_a_valid_document(rules: Rules) -> None:
    from client.payroll.compute import build_document

    sheet = compute_month(people(), 2026, 7, rules)
    doc = build_document(sheet, unit=UNIT, number="07/2026-BTT", date="2026-07-25",
                         prepared_by="Đỗ Thị Hằng")
    assert validate(doc) == []
    assert doc["total"] == 15_801_368 + 11_792_355 + 51_336_600
    assert [line["amount"] for line in doc["lines"]] == [15_801_368, 11_792_355, 51_336_600]
    assert doc["lines"][1]["account"] == "101020203030"
    assert all(sum(line["parts"].values()) == line["amount"] for line in doc["lines"])
    assert salary_lines(sheet)[0]["group"] == "I. Công chức"


def test_copy_last_month_lists_joiners_leavers_and_changes(tmp_path, rules: Rules) -> None:
    conn = connect(tmp_path / "kbnn.sqlite3")
    try:
        repo = StaffRepo(conn)
        for person in people():
            repo.add(person)
        june = compute_payroll(conn, year=2026, month=6, unit=UNIT, number="06/2026-BTT",
                               date="2026-06-25", prepared_by="Đỗ Thị Hằng", rules=rules)
        assert june.previous is None and not june.doc.get("changes")
        # July: C leaves, D joins, the base salary changes for A and B.
        c = repo.find(account="19036677889900")
        repo.set_active(int(c.id), False)
        repo.add(Staff(name="Hoàng Mai", account="555566667777", bank="Agribank",
                       category="vien-chuc", coefficients={"he_so_luong": "2.34"}))
        july = compute_payroll(conn, year=2026, month=7, unit=UNIT, number="07/2026-BTT",
                               date="2026-07-25", prepared_by="Đỗ Thị Hằng", rules=rules)
        diff = july.diff
        assert [x.name for x in diff.leavers] == ["Lê Văn Cường"]
        assert [x.name for x in diff.joiners] == ["Hoàng Mai"]
        assert sorted(x.name for x in diff.changed) == ["Nguyễn Văn An", "Trần Thị Bình"]
        changed = {x.name: x.difference for x in diff.changed}
        assert changed["Nguyễn Văn An"] == 15_801_368 - 14_614_704
        text = july.doc["changes"]["explanation"]
        assert "Tăng 1 người" in text and "Hoàng Mai" in text
        assert "Giảm 1 người" in text and "Lê Văn Cường" in text
        assert "Lương cơ sở thay đổi từ 2.340.000 đồng lên 2.530.000 đồng từ ngày 01/07/2026" in text
        assert july.doc["changes"]["difference"] == july.doc["total"] - june.doc["total"]
        assert validate(july.doc) == []

        # A unit without a register: August starts as a copy of July.
        august = copy_last_month(conn, year=2026, month=8, number="08/2026-BTT",
                                 date="2026-08-25")
        assert [line["name"] for line in august.doc["lines"]] == \
            [line["name"] for line in july.doc["lines"]]
        assert august.doc["period"] == {"year": 2026, "month": 8}
        assert "Không có thay đổi" in august.doc["changes"]["explanation"]
        assert august.doc["changes"]["difference"] == 0
        with pytest.raises(InvalidInput, match="Chưa có bảng thanh toán tháng 12/2026"):
            copy_last_month(conn, year=2027, month=1, number="x", date="2027-01-25")
    finally:
        conn.close()


def test_draft_names_many_people_briefly() -> None:
    before = [{"name": f"Người {i}", "account": f"1000{i:04d}", "amount": 1_000_000}
              for i in range(20)]
    diff = diff_lines(before, [])
    text = draft_changes(diff)["explanation"]
    assert "Giảm 20 người (−20.000.000 đồng)" in text
    assert "và 5 người khác" in text


def test_rules_file_names_its_sources_and_refuses_bad_data() -> None:
    rules = load_rules()
    unverified = "\n".join(rules.unverified())
    assert "161/2026" in unverified  # the July 2026 base salary is data marked unverified
    data = dict(rules.data)
    data["base_salary"] = list(reversed(data["base_salary"]))
    with pytest.raises(InvalidInput, match="ngày hiệu lực tăng dần"):
        Rules(data)
    data = dict(rules.data)
    data["insurance"] = [dict(data["insurance"][0],
                              employee={"bhxh": 8, "bhyt": "1.5", "bhtn": "1"})]
    with pytest.raises(InvalidInput, match="tỷ lệ phải viết dạng chữ số"):
        Rules(data).for_month(2026, 6)
    with pytest.raises(InvalidInput, match="chưa có «base_salary»"):
        rules.for_month(2018, 1)
