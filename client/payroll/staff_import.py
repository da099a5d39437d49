"""Loading the staff register from a workbook (``kbnn-client staff import FILE``).

The same importer as the salary tables (``importers.spec``), with a spec
built from the rules file: one column per pay item ("Hệ số lương", "PC chức
vụ", "PC thâm niên nghề (%)" …), the fixed amounts, dependants, insurance and
union membership. The category comes from its own column ("Công chức",
"Hợp đồng lao động" …) or from the group heading rows ("I. Công chức").
"""

from __future__ import annotations

import re
from pathlib import Path

from client.documents import PART_KEYS, PART_LABELS
from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.importers.spec import Field, ImportReport, TableSpec, read_table
from client.importers.tabular import heading_key
from client.payroll.rules import Rules
from client.payroll.staff import Staff

_AMOUNT_HEADINGS = {
    "contract_wage": ("tien cong hop dong", "tien cong", "luong hop dong", "tien cong lao dong",
                      "muc luong hop dong"),
    "extra_income": ("thu nhap tang them", "tntt"),
    "bonus": ("tien thuong", "thuong"),
    "other_allowance": ("phu cap khac", "tro cap khac", "phu cap va tro cap khac"),
    "lump_sum": ("tien khoan", "khoan"),
    "scholarship": ("hoc bong",),
}


def _variants(label: str, short: str) -> tuple[str, ...]:
    key = heading_key(label)
    out = [key]
    if key.startswith("pc "):
        out += ["phu cap " + key[3:], key[3:]]
    if short:
        out.append(heading_key(short))
    if key == "he so luong":
        out += ["hs luong", "hsl", "he so"]
    return tuple(dict.fromkeys(out))


def staff_spec(rules: Rules) -> TableSpec:
    """The columns of a staff register workbook under ``rules``."""
    fields = [
        Field("code", "Mã cán bộ", ("ma can bo", "ma nv", "ma nhan vien", "ma so", "ma cb",
                                    "ma")),
        Field("name", "Họ và tên", ("ho va ten", "ho ten", "ten can bo", "ho va ten can bo"),
              required=True),
        Field("account", "Số tài khoản", ("so tai khoan", "stk", "so tk", "tai khoan",
                                          "so tai khoan ngan hang"), kind="account",
              required=True),
        Field("bank", "Ngân hàng", ("ngan hang", "ten ngan hang", "noi mo tai khoan",
                                    "ngan hang mo tai khoan")),
        Field("category", "Đối tượng", ("doi tuong", "loai can bo", "nhom", "ngach doi tuong",
                                        "phan loai")),
        Field("grade_code", "Mã ngạch", ("ma ngach", "ngach", "ma ngach bac")),
    ]
    fields += [Field(f"coef.{i.key}", i.label + (" (%)" if i.kind == "percent" else ""),
                     _variants(i.label, i.short), kind="decimal") for i in rules.pay_items]
    fields += [Field(f"amount.{k}", PART_LABELS[k], (heading_key(PART_LABELS[k]),
                                                     *_AMOUNT_HEADINGS[k]), kind="amount")
               for k in PART_KEYS if k != "salary"]
    fields += [
        Field("dependants", "Số người phụ thuộc", ("so nguoi phu thuoc", "nguoi phu thuoc",
                                                   "npt", "so npt", "giam tru nguoi phu thuoc"),
              kind="int"),
        Field("insurance", "Bảo hiểm", ("bao hiem", "tinh trang bao hiem", "dong bao hiem",
                                        "bhxh")),
        Field("union_member", "Đoàn viên công đoàn", ("doan vien cong doan", "doan vien",
                                                      "cong doan", "doan phi"), kind="bool"),
        Field("note", "Ghi chú", ("ghi chu",)),
    ]
    return TableSpec(name="staff", fields=tuple(fields), money_fields=("coef", "amount"),
                     id_fields=("account",), group_field=None)


_INSURANCE = {"": "normal", "co": "normal", "x": "normal", "day du": "normal",
              "binh thuong": "normal", "theo doi tuong": "normal", "normal": "normal",
              "khong": "none", "none": "none", "khong dong": "none", "khong tham gia": "none",
              "khong bhtn": "no-unemployment", "khong dong bhtn": "no-unemployment",
              "no unemployment": "no-unemployment"}


def _category(text: str, rules: Rules) -> str | None:
    key = heading_key(re.sub(r"^\s*[IVXLC]+[.)]?\s+|^\s*[0-9A-Z][.)]\s+", "", text or ""))
    for c in rules.categories:
        if key in (c.key.replace("-", " "), heading_key(c.label)) or (
                key and heading_key(c.label) in key):
            return c.key
    return None


def read_staff(path: Path, rules: Rules, *, sheet: str | int | None = None,
               mapping: dict[str, str] | None = None) -> tuple[list[Staff], ImportReport]:
    """The people of a staff register workbook, checked against ``rules``."""
    spec = staff_spec(rules)
    read = read_table(Path(path), spec, sheet=sheet, mapping=mapping)
    people: list[Staff] = []
    problems: list[Problem] = []
    for r in read.rows:
        v = r.values
        where = tr("Tệp «{file}», dòng {row}", file=read.report.file, row=r.row)
        category = _category(v.get("category") or r.group, rules)
        if category is None:
            problems.append(Problem("staff-category",
                                    tr("{where}: không nhận ra đối tượng «{value}» (cần một trong: "
                                       "{known}).", where=where,
                                       value=v.get("category") or r.group,
                                       known=", ".join(c.label for c in rules.categories)),
                                    f"{read.report.file}:{r.row}"))
            continue
        insurance = _INSURANCE.get(heading_key(v.get("insurance") or ""))
        if insurance is None:
            problems.append(Problem("staff-insurance",
                                    tr("{where}: cột «{column}» «{value}» phải để trống, "
                                       "«{no}» hoặc «{no_bhtn}».", where=where,
                                       column=spec.field("insurance").label,
                                       value=v.get("insurance"), no="không",
                                       no_bhtn="không BHTN"),
                                    f"{read.report.file}:{r.row}"))
            continue
        person = Staff(
            code=v.get("code") or "", name=v.get("name") or "", account=v.get("account") or "",
            bank=v.get("bank") or "", category=category, grade_code=v.get("grade_code") or "",
            coefficients={k.split(".", 1)[1]: x for k, x in v.items()
                          if k.startswith("coef.") and x not in (None, "", "0")},
            amounts={k.split(".", 1)[1]: x for k, x in v.items()
                     if k.startswith("amount.") and x},
            dependants=int(v.get("dependants") or 0), insurance=insurance,
            union_member=True if v.get("union_member") is None else bool(v["union_member"]),
            note=v.get("note") or "")
        problems += [Problem(p.code, f"{where}: {p.message}", f"{read.report.file}:{r.row}")
                     for p in person.problems(rules)]
        people.append(person)
    if problems:
        raise InvalidInput(tr("Danh sách cán bộ «{file}» có {count} lỗi.",
                              file=read.report.file, count=len(problems)), problems[:50])
    return people, read.report


__all__ = ["read_staff", "staff_spec"]
