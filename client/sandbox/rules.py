"""The sandbox's control rules (kiểm soát chi): when a received dossier is rejected, and why.

The rules and their Vietnamese reasons are data (``rules_vi.json`` beside this
file, or a file given with ``--rules``): a trainer can reword a reason or turn
a rule off without touching code. Each reason is a ``str.format`` template
over the facts the rule found (``{total}``, ``{account}`` …).

The rules run when a dossier leaves ``received`` by itself; the first step
that finds something rejects it with every reason found. They never reject
for lack of data: a payment order the sandbox does not know, a document
without lines of accounts, … pass.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.money import format_vnd

RULES_FILE = Path(__file__).with_name("rules_vi.json")
RULES_FORMAT = "kbnn-sandbox-rules/1"
VN_TZ = dt.timezone(dt.timedelta(hours=7))
ROLE_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
KNOWN_CODES = ("signer-not-registered", "total-differs-from-payment-order",
               "beneficiary-account-blocked", "date-in-future", "duplicate-document")


@dataclass(frozen=True)
class Rule:
    code: str
    enabled: bool
    title: str
    reason: str


@dataclass(frozen=True)
class Finding:
    """One rule that matched: its code and the Vietnamese reason, filled in."""

    code: str
    reason: str
    where: str = ""

    def to_json(self) -> dict:
        return {"code": self.code, "reason": self.reason, "where": self.where}


@dataclass
class Facts:
    """What the rules look at for one dossier."""

    unit_code: str
    document: dict
    signers: list[dict]  # [{"role", "cert_sha256", "name"}] as verified on receipt
    registered: set[tuple[str, str]]  # (role, sha256) registered and not withdrawn now
    payment_orders: dict[str, dict]  # number -> {"amount": int, "date": str | None}
    blocked: dict[str, str]  # account (digits) -> note
    today: dt.date
    earlier: dict | None = None  # an earlier, not rejected dossier of the same number


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, values: dict[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Safe(values))


def _date_vi(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return str(text)


def _digits(text: Any) -> str:
    return "".join(ch for ch in str(text or "") if ch.isdigit())


@dataclass
class RuleBook:
    rules: dict[str, Rule] = field(default_factory=dict)
    blocked_accounts: list[dict] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None = None) -> RuleBook:
        """The rules from ``path`` (default: ``rules_vi.json``); raises ``ValueError`` if unreadable."""
        path = Path(path) if path else RULES_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"Không đọc được tệp quy tắc «{path}»: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != RULES_FORMAT:
            raise ValueError(f"Tệp quy tắc «{path}» không đúng định dạng {RULES_FORMAT}.")
        rules: dict[str, Rule] = {}
        for item in data.get("rules") or []:
            code = str(item.get("code") or "")
            if code not in KNOWN_CODES:
                raise ValueError(f"Quy tắc «{code}» không có trong sandbox ({', '.join(KNOWN_CODES)}).")
            rules[code] = Rule(code, bool(item.get("enabled", True)), str(item.get("title") or code),
                               str(item.get("reason") or item.get("title") or code))
        blocked = [{"account": _digits(b.get("account")), "note": str(b.get("note") or "")}
                   for b in data.get("blocked_accounts") or [] if _digits(b.get("account"))]
        return cls(rules, blocked)

    def describe(self) -> list[dict]:
        return [{"code": r.code, "enabled": r.enabled, "title": r.title, "reason": r.reason}
                for r in self.rules.values()]

    def _on(self, code: str) -> Rule | None:
        rule = self.rules.get(code)
        return rule if rule is not None and rule.enabled else None

    def evaluate(self, facts: Facts) -> list[Finding]:
        """Every finding of every enabled rule, in the order of the rule file."""
        out: list[Finding] = []
        for code in self.rules:
            rule = self._on(code)
            if rule is not None:
                out.extend(getattr(self, "_" + code.replace("-", "_"))(rule, facts))
        return out

    # -- the rules ------------------------------------------------------------------

    def _signer_not_registered(self, rule: Rule, f: Facts) -> Iterable[Finding]:
        for s in f.signers:
            role, sha = s.get("role"), str(s.get("cert_sha256") or "").lower()
            if role and sha and (role, sha) not in f.registered:
                yield Finding(rule.code, _fill(rule.reason, {
                    "role": ROLE_VI.get(role, role), "signer": s.get("name") or sha[:16],
                    "unit_code": f.unit_code}), str(s.get("file") or ""))

    def _total_differs_from_payment_order(self, rule: Rule, f: Facts) -> Iterable[Finding]:
        order = f.document.get("payment_order")
        total = f.document.get("total")
        if not isinstance(order, dict) or not isinstance(total, int):
            return
        known = f.payment_orders.get(str(order.get("number") or ""))
        if known is None or known.get("amount") == total:
            return
        yield Finding(rule.code, _fill(rule.reason, {
            "total": format_vnd(total), "order_number": order.get("number"),
            "order_amount": format_vnd(int(known["amount"])),
            "order_date": _date_vi(str(known.get("date") or order.get("date") or ""))}),
            "payment_order")

    def _beneficiary_account_blocked(self, rule: Rule, f: Facts) -> Iterable[Finding]:
        if not f.blocked:
            return
        for i, line in enumerate(f.document.get("lines") or []):
            if not isinstance(line, dict):
                continue
            account = _digits(line.get("account"))
            if account and account in f.blocked:
                yield Finding(rule.code, _fill(rule.reason, {
                    "account": account, "name": line.get("name") or "",
                    "no": line.get("no", i + 1), "note": f.blocked[account]}), f"lines[{i}].account")

    def _date_in_future(self, rule: Rule, f: Facts) -> Iterable[Finding]:
        today = f.today.strftime("%d/%m/%Y")
        date = f.document.get("date")
        if isinstance(date, str) and _later(date, f.today):
            yield Finding(rule.code, _fill(rule.reason, {
                "what": "Bảng kê", "date": _date_vi(date), "today": today}), "date")
        for i, line in enumerate(f.document.get("lines") or []):
            voucher = line.get("voucher") if isinstance(line, dict) else None
            vdate = voucher.get("date") if isinstance(voucher, dict) else None
            if isinstance(vdate, str) and _later(vdate, f.today):
                yield Finding(rule.code, _fill(rule.reason, {
                    "what": f"Chứng từ số {voucher.get('number', '')} (dòng {line.get('no', i + 1)})",
                    "date": _date_vi(vdate), "today": today}), f"lines[{i}].voucher.date")

    def _duplicate_document(self, rule: Rule, f: Facts) -> Iterable[Finding]:
        if f.earlier is None:
            return
        yield Finding(rule.code, _fill(rule.reason, {
            "number": f.document.get("number", ""), "first_id": f.earlier["id"],
            "first_received": _vn_time(f.earlier["received_at"])}), "number")


def _later(text: str, today: dt.date) -> bool:
    try:
        return dt.date.fromisoformat(text) > today
    except ValueError:
        return False


def _vn_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
    except (TypeError, ValueError):
        return str(iso)


def today_vn(now: dt.datetime) -> dt.date:
    """The date in Việt Nam at ``now``."""
    return now.astimezone(VN_TZ).date()
