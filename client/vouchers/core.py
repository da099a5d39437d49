"""Facts of a voucher list: subtotals by NDKT, payment-order lines, advances."""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import Any

from client.documents.model import KIND_VOUCHERS


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_date(value: Any) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def subtotals(doc: dict) -> list[dict]:
    """``[{"ndkt", "amount", "lines"}]`` per NDKT, in code order (lines: how many)."""
    sums: dict[str, list[int]] = {}
    for line in doc.get("lines") or []:
        if not isinstance(line, dict):
            continue
        ndkt, amount = line.get("ndkt"), as_int(line.get("amount"))
        if not isinstance(ndkt, str) or amount is None:
            continue
        entry = sums.setdefault(ndkt, [0, 0])
        entry[0] += amount
        entry[1] += 1
    return [{"ndkt": k, "amount": v[0], "lines": v[1]} for k, v in sorted(sums.items())]


def order_lines(doc: dict) -> list[dict] | None:
    """The payment order's lines recorded in the document (``payment_order.lines``), or None."""
    order = doc.get("payment_order")
    lines = order.get("lines") if isinstance(order, dict) else None
    return lines if isinstance(lines, list) else None


def voucher_key(line: dict) -> tuple[str, str, int] | None:
    """What identifies a voucher across lists: (number folded, date, amount)."""
    voucher = line.get("voucher") if isinstance(line, dict) else None
    if not isinstance(voucher, dict):
        return None
    number, date, amount = voucher.get("number"), voucher.get("date"), as_int(line.get("amount"))
    if not isinstance(number, str) or not number.strip() or not isinstance(date, str) \
            or amount is None:
        return None
    return " ".join(number.casefold().split()), date, amount


def advance_due(date: str | _dt.date) -> _dt.date | None:
    """An advance drawn on ``date`` must be settled by the last day of the next month."""
    day = date if isinstance(date, _dt.date) else as_date(date)
    if day is None:
        return None
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return _dt.date(year, month, calendar.monthrange(year, month)[1])


def settled_numbers(docs: list[dict]) -> set[str]:
    """Numbers of the advance lists that the ``payment`` lists among ``docs`` settle."""
    out: set[str] = set()
    for doc in docs:
        if doc.get("kind") != KIND_VOUCHERS or doc.get("purpose") != "payment":
            continue
        for ref in doc.get("settles") or []:
            if isinstance(ref, dict) and isinstance(ref.get("number"), str):
                out.add(ref["number"].strip())
    return out


def unsettled_advances(others: list[dict], today: _dt.date) -> list[dict]:
    """The reminder list: advance lists beyond draft that no payment list settles yet.

    ``others``: stored documents ``{"local_id", "number", "state", "document"}``.
    Each result: number, date, total, due (ISO date), days_left (negative: overdue),
    overdue, state, local_id. Ordered by due date.
    """
    docs = [o for o in others if isinstance(o.get("document"), dict)]
    settled = settled_numbers([o["document"] for o in docs if o.get("state") != "rejected"])
    out = []
    for o in docs:
        doc = o["document"]
        if doc.get("kind") != KIND_VOUCHERS or doc.get("purpose") != "advance":
            continue
        if o.get("state") in ("draft", "rejected") or doc.get("number") in settled:
            continue
        due = advance_due(doc.get("date"))
        if due is None:
            continue
        out.append({"local_id": o.get("local_id"), "number": doc.get("number"),
                    "date": doc.get("date"), "total": doc.get("total"), "state": o.get("state"),
                    "due": due.isoformat(), "days_left": (due - today).days,
                    "overdue": today > due})
    out.sort(key=lambda a: (a["due"], str(a["number"])))
    return out


__all__ = ["advance_due", "order_lines", "settled_numbers", "subtotals", "unsettled_advances",
           "voucher_key"]
