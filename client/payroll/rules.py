"""The payroll rules: a dated, sourced data file (``resources/rules/payroll-vn.json``).

Every rate, cap, bracket and amount the computation uses comes from here,
each entry with the date it takes effect, the legal text it comes from and
whether that was checked (reference/domain.md, "Payroll rules"). A new decree
is a new dated entry in the file, not a code change. The value that applies to
a month is the one in force on the first day of that month.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.money import parse_decimal
from client.resources import resource

FORMAT = "kbnn-payroll-rules/1"
STATUSES = ("checked", "unverified")
SCHEMES = ("bhxh", "bhyt", "bhtn")


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    status: str
    note: str = ""

    def cite(self) -> str:
        return self.title + ("" if self.status == "checked" else " — chưa kiểm chứng")


@dataclass(frozen=True)
class PayItem:
    """A pay item with a coefficient (or a percentage of other items) — one C02a column."""

    key: str
    label: str
    short: str
    kind: str  # "coefficient" | "percent"
    of: tuple[str, ...]
    insurable: bool
    taxable: bool
    source: str
    status: str


@dataclass(frozen=True)
class AmountItem:
    """A fixed monthly amount that is its own Mẫu 09 part (contract wage, bonus…)."""

    key: str  # a Mẫu 09 part key
    label: str
    insurable: bool
    taxable: bool
    status: str


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    unemployment_insurance: bool
    source: str
    status: str


@dataclass(frozen=True)
class PartialMonth:
    """How a month paid for only some days is computed (``partial_month`` in the rules)."""

    standard_days: str | int  # "working_days" (Monday–Friday of the month) or a fixed number
    prorated_pay_items: tuple[str, ...]
    prorated_amounts: tuple[str, ...]
    insurance_base: str  # "full" | "prorated"
    no_insurance_unpaid_days: int | None  # unpaid days from which no insurance is due
    rounding: str
    source: str
    status: str


def working_days(year: int, month: int) -> int:
    """Monday to Friday in ``month``/``year`` (no holiday calendar)."""
    day = _dt.date(year, month, 1)
    count = 0
    while day.month == month:
        count += day.weekday() < 5
        day += _dt.timedelta(days=1)
    return count


@dataclass(frozen=True)
class MonthRules:
    """Everything that applies to one month, resolved from the dated lists."""

    year: int
    month: int
    base_salary: int
    base_salary_source: Source
    base_salary_from: _dt.date
    employee: dict[str, Fraction]  # percent
    employer: dict[str, Fraction]  # percent, with "kpcd"
    caps: dict[str, int]  # đồng
    union_rate: Fraction  # percent
    union_cap: int  # đồng
    union_deductible: bool
    self_deduction: int
    dependant_deduction: int
    brackets: tuple[tuple[int | None, Fraction], ...]  # (upper bound or None, percent)
    sources: tuple[Source, ...]

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _fail(path: str, message: str) -> InvalidInput:
    text = tr("Tệp quy định tính lương «{path}» không hợp lệ: {message}", path=path,
              message=message)
    return InvalidInput(text, [Problem("rules-invalid", text, path)])


def _date(value: Any, where: str, path: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise _fail(path, tr("{where}: ngày «{value}» phải có dạng NNNN-TT-NN.", where=where,
                             value=value)) from None


def _int(value: Any, where: str, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(path, tr("{where}: phải là số nguyên đồng.", where=where))
    return value


def _rate(value: Any, where: str, path: str) -> Fraction:
    if not isinstance(value, str):
        raise _fail(path, tr("{where}: tỷ lệ phải viết dạng chữ số, ví dụ \"1.5\" (không dùng "
                             "số thực để tránh sai số).", where=where))
    try:
        return parse_decimal(value)
    except ValueError:
        raise _fail(path, tr("{where}: «{value}» không phải tỷ lệ phần trăm.", where=where,
                             value=value)) from None


class Rules:
    """A loaded, checked rules file."""

    def __init__(self, data: dict, path: str = "payroll-vn.json") -> None:
        self.path = path
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise _fail(path, tr("thiếu \"format\": \"{format}\".", format=FORMAT))
        self.data = data
        self.version = str(data.get("version", ""))
        self.name = str(data.get("name", ""))
        self.rounding_text = str((data.get("rounding") or {}).get("text", ""))
        if (data.get("rounding") or {}).get("rule") != "half-up":
            raise _fail(path, tr("chỉ hỗ trợ cách làm tròn \"half-up\"."))
        self.sources = {k: Source(k, str(v.get("title", k)), str(v.get("status", "unverified")),
                                  str(v.get("note", "")))
                        for k, v in (data.get("sources") or {}).items()}
        for key, src in self.sources.items():
            if src.status not in STATUSES:
                raise _fail(path, tr("nguồn «{key}»: status phải là checked hoặc unverified.",
                                     key=key))
        self.pay_items = [self._pay_item(x, i) for i, x in enumerate(data.get("pay_items") or [])]
        keys = [p.key for p in self.pay_items]
        for item in self.pay_items:
            for ref in item.of:
                if ref not in keys[:keys.index(item.key)]:
                    raise _fail(path, tr("khoản «{item}» tính theo «{ref}», khoản này phải có "
                                         "trước nó.", item=item.key, ref=ref))
        self.amount_items = [AmountItem(str(x["key"]), str(x["label"]), bool(x["insurable"]),
                                        bool(x["taxable"]), str(x.get("status", "unverified")))
                             for x in data.get("amount_items") or []]
        self.categories = [Category(str(x["key"]), str(x["label"]),
                                    bool(x["unemployment_insurance"]), str(x.get("source", "")),
                                    str(x.get("status", "unverified")))
                           for x in data.get("categories") or []]
        if not self.categories:
            raise _fail(path, tr("cần ít nhất một đối tượng (categories)."))
        self.deduct_from_parts = tuple(data.get("deduct_from_parts") or ())
        self.partial_month = self._partial_month(data.get("partial_month"))
        for name in ("base_salary", "insurance", "union_dues", "family_deduction",
                     "pit_schedule"):
            self._dated(name)  # checks order and dates now, not at the first month asked

    def _partial_month(self, x: Any) -> PartialMonth | None:
        if x is None:
            return None
        where = "partial_month"
        if not isinstance(x, dict):
            raise _fail(self.path, tr("{where}: phải là một đối tượng.", where=where))
        standard = x.get("standard_days")
        if standard != "working_days" and (isinstance(standard, bool) or not isinstance(
                standard, int) or not 1 <= standard <= 31):
            raise _fail(self.path, tr("{where}: standard_days phải là \"working_days\" hoặc "
                                      "một số ngày từ 1 đến 31.", where=where))
        base = x.get("insurance_base")
        if base not in ("full", "prorated"):
            raise _fail(self.path, tr("{where}: insurance_base phải là full hoặc prorated.",
                                      where=where))
        unpaid = x.get("no_insurance_if_unpaid_days_at_least")
        if unpaid is not None:
            unpaid = _int(unpaid, where, self.path)
        source = str(x.get("source", ""))
        if source and source not in self.sources:
            raise _fail(self.path, tr("{where}: nguồn «{source}» không có trong \"sources\".",
                                      where=where, source=source))
        if x.get("status") not in STATUSES:
            raise _fail(self.path, tr("{where}: status phải là checked hoặc unverified.",
                                      where=where))
        return PartialMonth(standard, tuple(x.get("prorated_pay_items") or ()),
                            tuple(x.get("prorated_amounts") or ()), base, unpaid,
                            str(x.get("rounding", "")), source, str(x["status"]))

    def standard_days(self, year: int, month: int) -> int:
        """The month's standard days (0 when the rules have no ``partial_month``)."""
        pm = self.partial_month
        if pm is None:
            return 0
        if pm.standard_days == "working_days":
            return working_days(year, month)
        return int(pm.standard_days)

    def _pay_item(self, x: dict, i: int) -> PayItem:
        where = f"pay_items[{i}]"
        kind = x.get("kind")
        if kind not in ("coefficient", "percent"):
            raise _fail(self.path, tr("{where}: kind phải là coefficient hoặc percent.",
                                      where=where))
        source = str(x.get("source", ""))
        if source and source not in self.sources:
            raise _fail(self.path, tr("{where}: nguồn «{source}» không có trong \"sources\".",
                                      where=where, source=source))
        return PayItem(str(x["key"]), str(x["label"]), str(x.get("short", x["key"])), kind,
                       tuple(x.get("of") or ()), bool(x.get("insurable")),
                       bool(x.get("taxable", True)), source, str(x.get("status", "unverified")))

    def _dated(self, name: str) -> list[tuple[_dt.date, dict]]:
        entries = self.data.get(name)
        if not isinstance(entries, list) or not entries:
            raise _fail(self.path, tr("thiếu danh sách «{name}».", name=name))
        out = []
        for i, entry in enumerate(entries):
            where = f"{name}[{i}]"
            start = _date(entry.get("from"), where, self.path)
            if entry.get("status") not in STATUSES:
                raise _fail(self.path, tr("{where}: status phải là checked hoặc unverified.",
                                          where=where))
            for src in [entry.get("source")] + list(entry.get("sources") or []):
                if src is not None and src not in self.sources:
                    raise _fail(self.path, tr("{where}: nguồn «{source}» không có trong "
                                              "\"sources\".", where=where, source=src))
            if out and start <= out[-1][0]:
                raise _fail(self.path, tr("{where}: các mục phải xếp theo ngày hiệu lực tăng "
                                          "dần.", where=where))
            out.append((start, entry))
        return out

    def _in_force(self, name: str, day: _dt.date) -> tuple[_dt.date, dict]:
        found = None
        for start, entry in self._dated(name):
            if start <= day:
                found = (start, entry)
        if found is None:
            raise InvalidInput(tr("Quy định tính lương chưa có «{name}» cho tháng "
                                  "{month:02d}/{year} (mục sớm nhất có hiệu lực từ "
                                  "{start:%d/%m/%Y}).", name=name, month=day.month,
                                  year=day.year, start=self._dated(name)[0][0]))
        return found

    def _source(self, key: str | None) -> Source:
        if key and key in self.sources:
            return self.sources[key]
        return Source(key or "", key or "", "unverified")

    def for_month(self, year: int, month: int) -> MonthRules:
        """The rules in force on the first day of ``month``/``year``."""
        day = _dt.date(year, month, 1)
        p = self.path
        base_from, base = self._in_force("base_salary", day)
        amount = _int(base.get("amount"), "base_salary", p)
        _, ins = self._in_force("insurance", day)
        employee = {k: _rate(ins["employee"][k], f"insurance.employee.{k}", p) for k in SCHEMES}
        employer = {k: _rate(ins["employer"][k], f"insurance.employer.{k}", p)
                    for k in (*SCHEMES, "kpcd")}
        caps = {k: amount * _int(ins["cap_times_base_salary"][k], f"insurance.cap.{k}", p)
                for k in SCHEMES}
        _, union = self._in_force("union_dues", day)
        union_rate = _rate(union["rate"], "union_dues.rate", p)
        cap_percent = _rate(union["cap_percent_of_base_salary"], "union_dues.cap", p)
        from client.money import round_half_up

        union_cap = round_half_up(amount * cap_percent / 100)
        _, family = self._in_force("family_deduction", day)
        _, schedule = self._in_force("pit_schedule", day)
        brackets = []
        for j, (upper, rate) in enumerate(schedule["brackets"]):
            if upper is not None:
                upper = _int(upper, f"pit_schedule.brackets[{j}]", p)
            brackets.append((upper, _rate(rate, f"pit_schedule.brackets[{j}]", p)))
        if brackets[-1][0] is not None:
            raise _fail(p, tr("bậc thuế cuối cùng phải không có mức trên (null)."))
        keys = [base.get("source"), *ins.get("sources", []), union.get("source"),
                family.get("source"), schedule.get("source")]
        sources = tuple(self._source(k) for k in dict.fromkeys(k for k in keys if k))
        return MonthRules(
            year=year, month=month, base_salary=amount, base_salary_source=self._source(
                base.get("source")), base_salary_from=base_from, employee=employee,
            employer=employer, caps=caps, union_rate=union_rate, union_cap=union_cap,
            union_deductible=bool(union.get("deductible_for_pit", False)),
            self_deduction=_int(family["self"], "family_deduction.self", p),
            dependant_deduction=_int(family["dependant"], "family_deduction.dependant", p),
            brackets=tuple(brackets), sources=sources)

    def category(self, key: str) -> Category | None:
        return next((c for c in self.categories if c.key == key), None)

    def pay_item(self, key: str) -> PayItem | None:
        return next((c for c in self.pay_items if c.key == key), None)

    def unverified(self) -> list[str]:
        """Vietnamese lines naming every fact in the file not yet checked against a legal text."""
        out = [f"{s.title}" + (f" ({s.note})" if s.note else "")
               for s in self.sources.values() if s.status != "checked"]
        return out


RULES_FILE = ("rules", "payroll-vn.json")


def load_rules(path: Path | None = None) -> Rules:
    """The rules file (default: the shipped ``resources/rules/payroll-vn.json``)."""
    path = Path(path) if path else resource(*RULES_FILE)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(tr("Không tìm thấy tệp quy định tính lương «{path}».",
                              path=path)) from None
    except (OSError, ValueError) as exc:
        raise _fail(str(path), tr("không đọc được ({error}).", error=exc)) from None
    return Rules(data, str(path.name))


__all__ = ["AmountItem", "Category", "MonthRules", "PartialMonth", "PayItem", "Rules", "Source",
           "load_rules", "working_days"]
