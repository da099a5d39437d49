"""The month's payroll sheet (C02a-HD) computed from the staff register and the dated rules.

For each active person, in this order (every amount in integer đồng, each
rounded half up where a fraction appears — ``money.round_half_up``):

1. each pay item's coefficient: as entered, or for a percent item
   ``percent / 100 × (sum of the coefficients it is a percentage of)``, exact;
2. each item's amount = ``round(coefficient × base salary in force on the 1st
   of the month)``; salary (lương và phụ cấp theo lương) = the sum of the items;
3. gross = salary + the person's fixed amounts (contract wage, extra income…);
4. contribution base = the insurable items + insurable amounts; per scheme
   capped at ``cap × base salary``; employee BHXH/BHYT/BHTN and employer
   BHXH/BHYT/BHTN/KPCĐ = ``round(capped base × rate)`` each (BHTN only for
   categories that have it and people whose insurance status allows it);
5. union dues = ``min(round(BHXH base × rate), round(cap % × base salary))``
   for union members;
6. PIT: taxable = taxable items and amounts − employee insurance (− union dues
   when the rules say they are deductible); assessable = taxable − family
   deduction (self + dependants), not below 0; tax = ``round(Σ bracket part ×
   rate)`` over the progressive schedule in force;
7. net pay = gross − employee insurance − union dues − PIT; its Mẫu 09
   "Trong đó" parts are the gross parts with the deductions taken from them
   in the rules' order (salary first), never below zero.

A person paid for only some days of the month (joined or left mid-month,
unpaid leave) has ``days`` of the month's standard days (rules
``partial_month``): the prorated items and amounts are ``round(full amount
before rounding × days / standard days)``, each rounded once; the insurance base
is the full month's or the prorated one as the rules say, and nothing is due
when the unpaid days reach the rules' threshold. Without days the row is the
full month, computed exactly as above.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

from client.documents import PART_KEYS, new_salary_table
from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.importers.spec import decimal_text
from client.money import parse_decimal, round_half_up
from client.payroll.rules import MonthRules, Rules
from client.payroll.staff import Staff

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
SCHEMES = ("bhxh", "bhyt", "bhtn")


def _pct(amount: int, percent: Fraction) -> int:
    return round_half_up(Fraction(amount) * percent / 100)


def income_tax(assessable: int, brackets: tuple[tuple[int | None, Fraction], ...]) -> int:
    """Progressive tax on a month's assessable income, rounded half up once at the end."""
    total = Fraction(0)
    lower = 0
    for upper, rate in brackets:
        if assessable <= lower:
            break
        top = assessable if upper is None else min(assessable, upper)
        total += Fraction(top - lower) * rate / 100
        if upper is None:
            break
        lower = upper
    return round_half_up(total)


@dataclass
class PayRow:
    """One person's line of the C02a-HD sheet."""

    staff_id: int | None
    code: str
    name: str
    account: str
    bank: str
    category: str
    group: str
    grade_code: str
    note: str
    entered: dict[str, str]  # as in the register: coefficient, or percent for percent items
    coefficients: dict[str, str]  # coefficient of each item (exact decimal text)
    coefficient_total: str
    item_amounts: dict[str, int]
    salary: int
    amounts: dict[str, int]
    gross: int
    insurable: int
    bases: dict[str, int]
    employee: dict[str, int]
    employer: dict[str, int]
    union_dues: int
    taxable_income: int
    family_deduction: int
    assessable_income: int
    pit: int
    net: int
    parts: dict[str, int]
    dependants: int = 0
    days: str = ""  # days paid (exact decimal text); "" = the full month

    @property
    def employee_insurance(self) -> int:
        return sum(self.employee.values())

    def to_json(self) -> dict:
        data = asdict(self)
        if not self.days:
            del data["days"]  # a full-month row keeps the JSON (and the PDF seed) it had
        return data

    @classmethod
    def from_json(cls, data: dict) -> PayRow:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass
class PayrollSheet:
    """The month: rules applied, rows, and what the amounts are based on."""

    year: int
    month: int
    rules_version: str
    base_salary: int
    base_salary_source: str
    base_salary_from: str
    rounding: str
    sources: list[str]
    items: list[dict]  # pay items used: key, label, short, kind
    rows: list[PayRow] = field(default_factory=list)
    unit: dict = field(default_factory=dict)
    standard_days: int = 0  # the month's standard days (rules ``partial_month``)

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def has_partial_days(self) -> bool:
        return any(r.days for r in self.rows)

    def days_text(self, row: PayRow) -> str:
        """The row's "Ngày hưởng lương": its days, or the standard days for a full month."""
        return (row.days or str(self.standard_days or "")).replace(".", ",")

    def total(self, name: str) -> int:
        """Sum of a row attribute ("net", "gross", "pit") or "employee.bhxh"-style key."""
        if "." in name:
            outer, inner = name.split(".", 1)
            return sum(getattr(r, outer).get(inner, 0) for r in self.rows)
        return sum(getattr(r, name) for r in self.rows)

    def to_json(self) -> dict:
        data = asdict(self)
        data["rows"] = [r.to_json() for r in self.rows]
        if not self.has_partial_days:
            del data["standard_days"]
        return data

    @classmethod
    def from_json(cls, data: dict) -> PayrollSheet:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data and k != "rows"}
        return cls(rows=[PayRow.from_json(r) for r in data.get("rows", [])], **fields)


def _coefficients(person: Staff, rules: Rules) -> dict[str, Fraction]:
    coef: dict[str, Fraction] = {}
    for item in rules.pay_items:
        raw = person.coefficients.get(item.key)
        if raw in (None, ""):
            continue
        value = parse_decimal(raw)
        if item.kind == "percent":
            value = value / 100 * sum((coef.get(k, Fraction(0)) for k in item.of), Fraction(0))
        if value:
            coef[item.key] = value
    return coef


def compute_person(person: Staff, rules: Rules, month: MonthRules, group: str = "",
                   days: Fraction | None = None, standard_days: int = 0) -> PayRow:
    """One person's C02a row for ``month`` (see the module docstring for the order).

    ``days`` of ``standard_days`` paid (None: the full month) — see ``partial_month``.
    """
    base = month.base_salary
    coef = _coefficients(person, rules)
    pm = rules.partial_month if days is not None else None
    share = Fraction(1) if pm is None else Fraction(days) / standard_days
    full_items = {k: round_half_up(v * base) for k, v in coef.items()}
    items = {k: (round_half_up(v * base * share) if pm and k in pm.prorated_pay_items
                 else full_items[k]) for k, v in coef.items()}
    salary = sum(items.values())
    full_amounts = {k: int(v) for k, v in person.amounts.items() if v}
    amounts = {k: (round_half_up(v * share) if pm and k in pm.prorated_amounts else v)
               for k, v in full_amounts.items()}
    gross = salary + sum(amounts.values())
    amount_items = {a.key: a for a in rules.amount_items}

    def insurable_of(item_values: dict[str, int], amount_values: dict[str, int]) -> int:
        return sum(v for k, v in item_values.items() if rules.pay_item(k).insurable) + sum(
            v for k, v in amount_values.items() if k in amount_items and amount_items[k].insurable)

    on_full = pm is not None and pm.insurance_base == "full"
    insurable = insurable_of(full_items, full_amounts) if on_full else insurable_of(items, amounts)
    category = rules.category(person.category)
    insured = person.insurance != "none"
    if pm is not None and pm.no_insurance_unpaid_days is not None and (
            standard_days - Fraction(days) >= pm.no_insurance_unpaid_days):
        insured = False  # not paid for long enough this month: no contribution is due
        insurable = insurable_of(items, amounts)  # union dues follow the pay received
    schemes = [s for s in SCHEMES if insured and not (
        s == "bhtn" and (person.insurance == "no-unemployment"
                         or (category is not None and not category.unemployment_insurance)))]
    bases = {s: (min(insurable, month.caps[s]) if s in schemes else 0) for s in SCHEMES}
    employee = {s: _pct(bases[s], month.employee[s]) for s in SCHEMES}
    employer = {s: _pct(bases[s], month.employer[s]) for s in SCHEMES}
    employer["kpcd"] = _pct(bases["bhxh"], month.employer["kpcd"]) if insured else 0
    union = 0
    if person.union_member:
        union = min(_pct(bases["bhxh"] if insured else insurable, month.union_rate),
                    month.union_cap)
    taxable_gross = sum(v for k, v in items.items() if rules.pay_item(k).taxable) + sum(
        v for k, v in amounts.items() if k not in amount_items or amount_items[k].taxable)
    taxable = taxable_gross - sum(employee.values()) - (union if month.union_deductible else 0)
    family = month.self_deduction + month.dependant_deduction * int(person.dependants)
    assessable = max(0, taxable - family)
    pit = income_tax(assessable, month.brackets)
    net = gross - sum(employee.values()) - union - pit
    parts = {k: 0 for k in PART_KEYS}
    parts["salary"] = salary
    for k, v in amounts.items():
        parts[k] = parts.get(k, 0) + v
    owed = gross - net
    for key in rules.deduct_from_parts or PART_KEYS:
        take = min(parts.get(key, 0), owed)
        parts[key] -= take
        owed -= take
    entered = {k: str(v) for k, v in person.coefficients.items() if v not in (None, "")}
    return PayRow(
        staff_id=person.id, code=person.code, name=person.name, account=person.account,
        bank=person.bank, category=person.category, group=group, grade_code=person.grade_code,
        note=person.note, entered=entered,
        coefficients={k: decimal_text(v) for k, v in coef.items()},
        coefficient_total=decimal_text(sum(coef.values(), Fraction(0))), item_amounts=items,
        salary=salary, amounts=amounts, gross=gross, insurable=insurable, bases=bases,
        employee=employee, employer=employer, union_dues=union, taxable_income=taxable,
        family_deduction=family, assessable_income=assessable, pit=pit, net=net, parts=parts,
        dependants=int(person.dependants), days="" if pm is None else decimal_text(days))


def person_key(person: Staff | PayRow) -> str:
    """How ``--days`` names a person: the staff code, else the account."""
    return person.code or person.account


def days_paid(people: list[Staff], days: dict[str, Any], year: int, month: int,
              rules: Rules) -> dict[str, Fraction]:
    """``{staff code or account: days}`` checked: a known active person, 0 ≤ days ≤ the
    month's standard days. Raises ``InvalidInput`` naming each person at fault."""
    if not days:
        return {}
    standard = rules.standard_days(year, month)
    keys = {person_key(p) for p in people}
    out: dict[str, Fraction] = {}
    problems: list[Problem] = []
    for who, raw in days.items():
        where = f"days.{who}"
        if rules.partial_month is None:
            problems.append(Problem("days-no-rule", tr(
                "Quy định tính lương không có mục «partial_month»: chưa tính được lương theo "
                "số ngày hưởng lương (cán bộ «{who}»).", who=who), where))
            continue
        if who not in keys:
            problems.append(Problem("days-unknown-staff", tr(
                "Không có cán bộ mã «{who}» (đang hưởng lương) trong danh sách để ghi số ngày "
                "hưởng lương.", who=who), where))
            continue
        try:
            value = parse_decimal(raw)
        except (TypeError, ValueError):
            problems.append(Problem("days-invalid", tr(
                "Cán bộ «{who}»: số ngày hưởng lương «{days}» không phải là số.", who=who,
                days=raw), where))
            continue
        if not 0 <= value <= standard:
            problems.append(Problem("days-out-of-range", tr(
                "Cán bộ «{who}»: số ngày hưởng lương {days} phải từ 0 đến {standard} (số ngày "
                "công chuẩn tháng {month:02d}/{year}).", who=who,
                days=str(raw).replace(".", ","), standard=standard, month=month, year=year),
                where))
            continue
        out[who] = value
    if problems:
        raise InvalidInput(problems[0].message if len(problems) == 1 else tr(
            "Số ngày hưởng lương có {count} lỗi, chưa tính được lương.",
            count=len(problems)), problems)
    return out


def compute_month(people: list[Staff], year: int, month: int, rules: Rules,
                  days: dict[str, Any] | None = None) -> PayrollSheet:
    """The C02a-HD sheet of ``month``/``year`` for the active people of the register.

    People are grouped by category in the rules' order ("I. Công chức",
    "II. Viên chức" … numbered by the groups present), then by register
    position. ``days`` maps a staff code (or account) to the days paid this month
    (default: the full month). Raises ``InvalidInput`` listing every register problem,
    or every person whose days are wrong.
    """
    active = [p for p in people if p.active]
    problems: list[Problem] = [q for p in active for q in p.problems(rules)]
    if problems:
        raise InvalidInput(tr("Danh sách cán bộ có {count} lỗi, chưa tính được lương.",
                              count=len(problems)), problems)
    if not active:
        raise InvalidInput(tr("Danh sách cán bộ chưa có ai (đang làm việc) để tính lương."))
    paid = days_paid(active, days or {}, year, month, rules)
    standard = rules.standard_days(year, month)
    mr = rules.for_month(year, month)
    order = {c.key: i for i, c in enumerate(rules.categories)}
    active.sort(key=lambda p: (order[p.category], p.position, p.id or 0))
    present = [c for c in rules.categories if any(p.category == c.key for p in active)]
    labels = {c.key: f"{ROMAN[i] if i < len(ROMAN) else i + 1}. {c.label}"
              for i, c in enumerate(present)}
    used = {k for p in active for k in p.coefficients if p.coefficients[k] not in (None, "")}
    items = [{"key": i.key, "label": i.label, "short": i.short, "kind": i.kind}
             for i in rules.pay_items if i.key in used]
    sheet = PayrollSheet(
        year=year, month=month, rules_version=rules.version, base_salary=mr.base_salary,
        base_salary_source=mr.base_salary_source.cite(),
        base_salary_from=mr.base_salary_from.isoformat(), rounding=rules.rounding_text,
        sources=[s.cite() for s in mr.sources], items=items, standard_days=standard)
    sheet.rows = [compute_person(p, rules, mr, labels[p.category], paid.get(person_key(p)),
                                 standard) for p in active]
    if sheet.has_partial_days and rules.partial_month is not None:
        pm = rules.partial_month
        if pm.rounding:
            sheet.rounding = f"{sheet.rounding} {pm.rounding}".strip()
        source = rules.sources.get(pm.source)
        if source is not None:
            sheet.sources.append(source.cite())
    return sheet


def salary_lines(sheet: PayrollSheet) -> list[dict]:
    """Each person's net pay as a Mẫu 09 line with its "Trong đó" parts."""
    return [{"group": r.group, "name": r.name, "account": r.account, "bank": r.bank,
             "amount": r.net, "parts": dict(r.parts), "note": r.note} for r in sheet.rows]


def build_document(sheet: PayrollSheet, *, unit: dict, number: str, date: str,
                   prepared_by: str, payment_order: dict | None = None,
                   changes: dict | None = None, doc_id: str | None = None) -> dict:
    """The Mẫu 09 ``salary-table`` of the sheet (not checked: run ``documents.checks``)."""
    return new_salary_table(unit=unit, number=number, date=date,
                            period={"year": sheet.year, "month": sheet.month},
                            lines=salary_lines(sheet), prepared_by=prepared_by,
                            payment_order=payment_order, changes=changes, doc_id=doc_id)


def explain_row(row: PayRow) -> dict[str, Any]:
    """A person's computation as plain numbers (for a detail view or a test's message)."""
    return {"coefficients": row.coefficients, "items": row.item_amounts, "gross": row.gross,
            "bases": row.bases, "employee": row.employee, "union_dues": row.union_dues,
            "taxable": row.taxable_income, "family": row.family_deduction,
            "assessable": row.assessable_income, "pit": row.pit, "net": row.net}


__all__ = ["PayRow", "PayrollSheet", "build_document", "compute_month", "compute_person",
           "days_paid", "explain_row", "income_tax", "person_key", "salary_lines"]
