"""Building the two document kinds as plain dicts shaped like ``document.json``."""

from __future__ import annotations

import datetime as _dt
import unicodedata
import uuid
from typing import Any

from client.money import amount_in_words

FORMAT = "kbnn-document/1"
KIND_SALARY = "salary-table"
KIND_VOUCHERS = "voucher-list"
KINDS = (KIND_SALARY, KIND_VOUCHERS)
PART_KEYS = ("salary", "contract_wage", "extra_income", "bonus", "other_allowance", "lump_sum",
             "scholarship")

# The "Trong đó" columns of Mẫu 09 (columns 6–12), as printed on the form.
PART_LABELS: dict[str, str] = {
    "salary": "Lương và phụ cấp theo lương",
    "contract_wage": "Tiền công lao động thường xuyên theo hợp đồng",
    "extra_income": "Tiền thu nhập tăng thêm",
    "bonus": "Tiền thưởng",
    "other_allowance": "Tiền phụ cấp và trợ cấp khác",
    "lump_sum": "Tiền khoán",
    "scholarship": "Tiền học bổng",
}

ACCOUNT_KINDS = ("estimate", "deposit")
PURPOSES = ("payment", "advance")
_ACCOUNT_JUNK = str.maketrans("", "", " .-\t\u00a0")


def nfc(value: Any) -> Any:
    """NFC-normalise every string inside ``value`` (dicts, lists, strings); keys too."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {nfc(k): nfc(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [nfc(v) for v in value]
    return value


def _text(value: Any) -> Any:
    return nfc(value).strip() if isinstance(value, str) else value


def _date(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return _text(value)


def clean_account(value: Any) -> Any:
    """A beneficiary account as stored: spaces, dots and dashes removed."""
    if isinstance(value, str):
        return nfc(value).translate(_ACCOUNT_JUNK)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _total(lines: list[dict]) -> int:
    # Builders don't validate; a non-integer amount is left for validate() to name.
    return sum(line["amount"] for line in lines if _is_int(line.get("amount")))


def _unit(unit: dict) -> dict:
    u = {k: _text(v) for k, v in nfc(dict(unit)).items()}
    if isinstance(u.get("account"), str):
        u["account"] = u["account"].replace(" ", "")
    return u


def _payment_order(order: dict | None) -> dict | None:
    if order is None:
        return None
    o = {k: _text(v) for k, v in nfc(dict(order)).items()}
    if "date" in o:
        o["date"] = _date(o["date"])
    return o


def _salary_line(line: dict, no: int) -> dict:
    src = nfc(dict(line))
    raw_parts = src.get("parts")
    amount = src.get("amount")
    if raw_parts is None:
        parts = {key: 0 for key in PART_KEYS}
        parts["salary"] = amount
    else:
        parts = {key: raw_parts.get(key, 0) for key in PART_KEYS}
        parts.update({k: v for k, v in raw_parts.items() if k not in parts})
        if amount is None and all(_is_int(v) for v in parts.values()):
            amount = sum(parts.values())
    out = {
        "no": no,
        "group": _text(src.get("group", "")),
        "name": _text(src.get("name", "")),
        "account": clean_account(src.get("account", "")),
        "bank": _text(src.get("bank", "")),
        "amount": amount,
        "parts": parts,
        "note": _text(src.get("note", "")),
    }
    for key, value in src.items():  # extensions ride along unchanged
        if key not in out:
            out[key] = value
    return out


def _voucher_line(line: dict, no: int) -> dict:
    src = nfc(dict(line))
    voucher = dict(src.get("voucher") or {})
    out = {
        "no": no,
        "voucher": {"number": _text(voucher.get("number", "")),
                    "date": _date(voucher.get("date", ""))},
        "description": _text(src.get("description", "")),
        "ndkt": _text(src.get("ndkt", "")),
        "amount": src.get("amount"),
    }
    if _is_int(out["ndkt"]):
        out["ndkt"] = str(out["ndkt"])
    for key, value in src.items():
        if key not in out:
            out[key] = value
    return out


def _common(kind: str, *, unit: dict, number: str, date: Any, lines: list[dict],
            prepared_by: str, payment_order: dict | None, doc_id: str | None) -> dict:
    return {
        "format": FORMAT,
        "kind": kind,
        "id": doc_id if doc_id is not None else str(uuid.uuid4()),
        "number": _text(number),
        "date": _date(date),
        "unit": _unit(unit),
        "payment_order": _payment_order(payment_order),
        "currency": "VND",
        "prepared_by": _text(prepared_by),
        "lines": lines,
    }


def _finish(doc: dict) -> dict:
    total = _total(doc["lines"])
    doc["total"] = total
    doc["total_in_words"] = amount_in_words(total)
    return doc


def reword(doc: dict, *, zero_tens: str = "linh", four: str = "tư",
           thousand: str = "nghìn") -> dict:
    """Write the total in words with the unit's wording (linh/lẻ, tư/bốn, nghìn/ngàn:
    Settings.words_options()); every variant validates. Returns ``doc``, changed in place."""
    doc["total_in_words"] = amount_in_words(doc["total"], zero_tens=zero_tens, four=four,
                                            thousand=thousand)
    return doc


def new_salary_table(*, unit: dict, number: str, date: str, period: dict, lines: list[dict],
                     prepared_by: str, payment_order: dict | None = None,
                     changes: dict | None = None, doc_id: str | None = None) -> dict:
    """A Mẫu 09 ``salary-table``: numbers the lines, fills parts, totals and words.

    Does not validate: call ``validate`` on the result.
    """
    built = [_salary_line(line, i) for i, line in enumerate(lines, start=1)]
    doc = _common(KIND_SALARY, unit=unit, number=number, date=date, lines=built,
                  prepared_by=prepared_by, payment_order=payment_order, doc_id=doc_id)
    doc["period"] = dict(period)
    doc["changes"] = None if changes is None else {k: _text(v) for k, v in nfc(dict(changes)).items()}
    return _finish(doc)


def new_voucher_list(*, unit: dict, number: str, date: str, purpose: str, budget: dict,
                     lines: list[dict], prepared_by: str, payment_order: dict | None = None,
                     doc_id: str | None = None) -> dict:
    """A Mẫu 07 ``voucher-list``. Does not validate: call ``validate`` on the result."""
    built = [_voucher_line(line, i) for i, line in enumerate(lines, start=1)]
    doc = _common(KIND_VOUCHERS, unit=unit, number=number, date=date, lines=built,
                  prepared_by=prepared_by, payment_order=payment_order, doc_id=doc_id)
    doc["purpose"] = _text(purpose)
    doc["budget"] = {k: (str(v) if _is_int(v) else _text(v)) for k, v in nfc(dict(budget)).items()}
    return _finish(doc)


def summary(doc: dict) -> dict:
    """A few facts for lists and logs."""
    period = doc.get("period") if doc.get("kind") == KIND_SALARY else None
    lines = doc.get("lines")
    return {
        "kind": doc.get("kind"),
        "number": doc.get("number"),
        "total": doc.get("total"),
        "period": dict(period) if isinstance(period, dict) else None,
        "lines": len(lines) if isinstance(lines, list) else 0,
        "id": doc.get("id"),
    }


def group_lines(doc: dict) -> list[tuple[str, list[dict]]]:
    """Salary lines grouped by ``group``, groups in first-seen order."""
    groups: dict[str, list[dict]] = {}
    for line in doc.get("lines") or []:
        groups.setdefault(line.get("group") or "", []).append(line)
    return list(groups.items())
