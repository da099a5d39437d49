"""A person on the staff register: who is paid, where, and from which coefficients."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from client.documents import PART_KEYS, clean_account
from client.errors import Problem
from client.money import parse_decimal
from client.payroll.rules import Rules

INSURANCE = ("normal", "no-unemployment", "none")
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
        who = f"Cán bộ «{self.name or '?'}»"
        out: list[Problem] = []

        def bad(code: str, text: str, where: str) -> None:
            out.append(Problem(code, f"{who}: {text}.", where))

        if not self.name.strip():
            bad("staff-name", "chưa có họ tên", "name")
        if not (self.account.isdigit() and 6 <= len(self.account) <= 19):
            bad("staff-account", f"số tài khoản «{self.account}» phải có 6–19 chữ số", "account")
        if not self.bank.strip():
            bad("staff-bank", "chưa có tên ngân hàng", "bank")
        if rules.category(self.category) is None:
            known = ", ".join(f"{c.key} ({c.label})" for c in rules.categories)
            bad("staff-category", f"đối tượng «{self.category}» không có trong quy định ({known})",
                "category")
        for key, value in self.coefficients.items():
            if rules.pay_item(key) is None:
                bad("staff-item", f"không có khoản lương «{key}»", f"coefficients.{key}")
                continue
            try:
                number = parse_decimal(value)
            except (TypeError, ValueError):
                bad("staff-coefficient", f"hệ số «{value}» của {key} không phải số", key)
                continue
            if number < 0:
                bad("staff-coefficient", f"hệ số {key} không được âm", key)
        for key, value in self.amounts.items():
            if key not in PART_KEYS or key == "salary":
                bad("staff-amount", f"không có khoản tiền «{key}»", f"amounts.{key}")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                bad("staff-amount", f"khoản {key} phải là số nguyên đồng không âm", key)
        if isinstance(self.dependants, bool) or not isinstance(self.dependants, int) \
                or self.dependants < 0:
            bad("staff-dependants", "số người phụ thuộc phải là số nguyên không âm", "dependants")
        if self.insurance not in INSURANCE:
            bad("staff-insurance", f"tình trạng bảo hiểm «{self.insurance}» phải là "
                                   + ", ".join(INSURANCE), "insurance")
        return out


__all__ = ["INSURANCE", "INSURANCE_VI", "Staff"]
