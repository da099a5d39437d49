"""What changed since last month: joiners, leavers, changed amounts, and the drafted
"Phần thuyết minh thay đổi so với tháng trước" (explanation and difference) of Mẫu 09.

Works on Mẫu 09 lines, whatever made them (a payroll computation or an
imported workbook): a person is matched by account number, else by name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from client.documents import PART_KEYS, PART_LABELS
from client.money import format_vnd

MAX_NAMES = 15


@dataclass
class LineChange:
    name: str
    account: str
    before: int  # 0 for a joiner
    after: int  # 0 for a leaver
    parts: dict[str, int] = field(default_factory=dict)  # part -> after - before (non-zero)

    @property
    def difference(self) -> int:
        return self.after - self.before

    def to_json(self) -> dict:
        return {"name": self.name, "account": self.account, "before": self.before,
                "after": self.after, "difference": self.difference, "parts": self.parts}


@dataclass
class MonthDiff:
    previous_total: int
    total: int
    previous_count: int
    count: int
    joiners: list[LineChange] = field(default_factory=list)
    leavers: list[LineChange] = field(default_factory=list)
    changed: list[LineChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def difference(self) -> int:
        return self.total - self.previous_total

    def to_json(self) -> dict:
        return {"previous_total": self.previous_total, "total": self.total,
                "difference": self.difference, "previous_count": self.previous_count,
                "count": self.count, "joiners": [c.to_json() for c in self.joiners],
                "leavers": [c.to_json() for c in self.leavers],
                "changed": [c.to_json() for c in self.changed], "unchanged": self.unchanged}


def _key(line: dict) -> str:
    account = str(line.get("account") or "")
    if account:
        return "a:" + account
    name = unicodedata.normalize("NFC", str(line.get("name") or "")).casefold()
    return "n:" + " ".join(name.split())


def _amount(line: dict) -> int:
    value = line.get("amount")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _parts(line: dict) -> dict[str, int]:
    parts = line.get("parts") or {}
    return {k: parts.get(k, 0) if isinstance(parts.get(k, 0), int) else 0 for k in PART_KEYS}


def diff_lines(previous: list[dict], current: list[dict]) -> MonthDiff:
    """Compare last month's lines with this month's (several lines of one person are summed)."""

    def index(lines: list[dict]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for line in lines:
            k = _key(line)
            entry = out.setdefault(k, {"name": line.get("name", ""),
                                       "account": line.get("account", ""), "amount": 0,
                                       "parts": {p: 0 for p in PART_KEYS}})
            entry["amount"] += _amount(line)
            for p, v in _parts(line).items():
                entry["parts"][p] += v
        return out

    before, after = index(previous), index(current)
    diff = MonthDiff(sum(_amount(x) for x in previous), sum(_amount(x) for x in current),
                     len(before), len(after))
    for k, now in after.items():
        old = before.get(k)
        if old is None:
            diff.joiners.append(LineChange(now["name"], now["account"], 0, now["amount"],
                                           {p: v for p, v in now["parts"].items() if v}))
            continue
        delta = {p: now["parts"][p] - old["parts"][p] for p in PART_KEYS
                 if now["parts"][p] != old["parts"][p]}
        if now["amount"] != old["amount"] or delta:
            diff.changed.append(LineChange(now["name"], now["account"], old["amount"],
                                           now["amount"], delta))
        else:
            diff.unchanged += 1
    for k, old in before.items():
        if k not in after:
            diff.leavers.append(LineChange(old["name"], old["account"], old["amount"], 0,
                                           {p: -v for p, v in old["parts"].items() if v}))
    return diff


def _signed(amount: int) -> str:
    return ("+" if amount > 0 else "−" if amount < 0 else "") + format_vnd(abs(amount))


def _names(changes: list[LineChange]) -> str:
    shown = [f"{c.name} ({_signed(c.difference)})" for c in changes[:MAX_NAMES]]
    more = len(changes) - MAX_NAMES
    return "; ".join(shown) + (f" và {more} người khác" if more > 0 else "")


def draft_changes(diff: MonthDiff, *, previous_label: str = "tháng trước",
                  reasons: list[str] | None = None) -> dict:
    """``{"explanation", "difference"}`` for the document, drafted from ``diff``.

    The accountant edits the text before signing; the difference is the
    arithmetic one (this month's total − last month's).
    """
    lines = [f"Tổng số tiền tháng này {format_vnd(diff.total)} đồng ({diff.count} người), "
             f"{previous_label} {format_vnd(diff.previous_total)} đồng ({diff.previous_count} "
             f"người): chênh lệch {_signed(diff.difference)} đồng."]
    if diff.joiners:
        total = sum(c.difference for c in diff.joiners)
        lines.append(f"- Tăng {len(diff.joiners)} người ({_signed(total)} đồng): "
                     f"{_names(diff.joiners)}.")
    if diff.leavers:
        total = sum(c.difference for c in diff.leavers)
        lines.append(f"- Giảm {len(diff.leavers)} người ({_signed(total)} đồng): "
                     f"{_names(diff.leavers)}.")
    if diff.changed:
        total = sum(c.difference for c in diff.changed)
        moved = {p for c in diff.changed for p in c.parts}
        what = ", ".join(PART_LABELS[p].lower() for p in PART_KEYS if p in moved)
        lines.append(f"- Thay đổi số tiền {len(diff.changed)} người ({_signed(total)} đồng"
                     + (f"; khoản thay đổi: {what}" if what else "") + f"): "
                     f"{_names(diff.changed)}.")
    for reason in reasons or []:
        lines.append(f"- {reason}")
    if not (diff.joiners or diff.leavers or diff.changed):
        lines.append("- Không có thay đổi về người hưởng và số tiền.")
    return {"explanation": "\n".join(lines), "difference": diff.difference}


def reasons_between(previous_sheet: dict | None, sheet: dict) -> list[str]:
    """Why amounts moved, from two C02a sheets (``PayrollSheet.to_json``): the base salary."""
    if not previous_sheet:
        return []
    before, after = previous_sheet.get("base_salary"), sheet.get("base_salary")
    if isinstance(before, int) and isinstance(after, int) and before != after:
        start = sheet.get("base_salary_from", "")
        day = f" từ ngày {start[8:10]}/{start[5:7]}/{start[:4]}" if len(start) == 10 else ""
        verb = "lên" if after > before else "xuống"
        return [f"Lương cơ sở thay đổi từ {format_vnd(before)} đồng {verb} {format_vnd(after)} đồng"
                f"{day} ({sheet.get('base_salary_source', '')})."]
    return []


__all__ = ["LineChange", "MonthDiff", "diff_lines", "draft_changes", "reasons_between"]
