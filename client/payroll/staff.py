"""A person on the staff register: who is paid, where, and from which coefficients."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from client.documents import PART_KEYS, clean_account
from client.errors import Problem
from client.i18n import tr
from client.money import parse_decimal
from client.payroll.rules import Rules

INSURANCE = ("normal", "no-unemployment", "none")
# display texts: wrap at the point of use, ``tr(INSURANCE_VI[k])`` (in tests' TR_TABLES)
INSURANCE_VI = {"normal": "theo đối tượng", "no-unemployment": "không đóng BHTN",
                "none": "không đóng bảo hiểm"}


@dataclass
class Staff:
    """One register entry. Coefficients are exact decimals as text ("4.98"); a percent pay
    item holds its percentage ("12" for 12 %). Amounts are monthly integer đồng per Mẫu 09
    part (contract wage, extra income, bonus…)."""

    name: str
    account: str
    bank: str
    category: str
    grade_code: str = ""
    coefficients: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)
    dependants: int = 0
    insurance: str = "normal"
    union_member: bool = True
    active: bool = True
    position: int = 0
    note: str = ""
    code: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        self.account = clean_account(self.account) if isinstance(self.account, str) else ""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Staff:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def problems(self, rules: Rules) -> list[Problem]:
        """What is wrong with this entry for ``rules`` (Vietnamese, naming the person)."""
        who = self.name or "?"
        out: list[Problem] = []

        def bad(code: str, text: str, where: str) -> None:
            out.append(Problem(code, text, where))

        if not self.name.strip():
            bad("staff-name", tr("Cán bộ «{who}»: chưa có họ tên.", who=who), "name")
        if not (self.account.isdigit() and 6 <= len(self.account) <= 19):
            bad("staff-account", tr("Cán bộ «{who}»: số tài khoản «{account}» phải có 6–19 chữ số.",
                                    who=who, account=self.account), "account")
        if not self.bank.strip():
            bad("staff-bank", tr("Cán bộ «{who}»: chưa có tên ngân hàng.", who=who), "bank")
        if rules.category(self.category) is None:
            known = ", ".join(f"{c.key} ({c.label})" for c in rules.categories)
            bad("staff-category", tr("Cán bộ «{who}»: đối tượng «{category}» không có trong quy "
                                     "định ({known}).", who=who, category=self.category,
                                     known=known), "category")
        for key, value in self.coefficients.items():
            if rules.pay_item(key) is None:
                bad("staff-item", tr("Cán bộ «{who}»: không có khoản lương «{key}».", who=who,
                                     key=key), f"coefficients.{key}")
                continue
            try:
                number = parse_decimal(value)
            except (TypeError, ValueError):
                bad("staff-coefficient", tr("Cán bộ «{who}»: hệ số «{value}» của {key} không "
                                            "phải số.", who=who, value=value, key=key), key)
                continue
            if number < 0:
                bad("staff-coefficient", tr("Cán bộ «{who}»: hệ số {key} không được âm.", who=who,
                                            key=key), key)
        for key, value in self.amounts.items():
            if key not in PART_KEYS or key == "salary":
                bad("staff-amount", tr("Cán bộ «{who}»: không có khoản tiền «{key}».", who=who,
                                       key=key), f"amounts.{key}")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                bad("staff-amount", tr("Cán bộ «{who}»: khoản {key} phải là số nguyên đồng không "
                                       "âm.", who=who, key=key), key)
        if isinstance(self.dependants, bool) or not isinstance(self.dependants, int) \
                or self.dependants < 0:
            bad("staff-dependants", tr("Cán bộ «{who}»: số người phụ thuộc phải là số nguyên "
                                       "không âm.", who=who), "dependants")
        if self.insurance not in INSURANCE:
            bad("staff-insurance", tr("Cán bộ «{who}»: tình trạng bảo hiểm «{value}» phải là "
                                      "{allowed}.", who=who, value=self.insurance,
                                      allowed=", ".join(INSURANCE)), "insurance")
        return out


__all__ = ["INSURANCE", "INSURANCE_VI", "Staff"]
