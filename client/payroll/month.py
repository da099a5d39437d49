"""A month's salary table, started from the last one ("copy last month").

``compute_payroll`` computes the month from the staff register, compares it
with last month's table (joiners, leavers, changed amounts, and why — e.g. a
new base salary) and drafts the "thuyết minh"; the document is stored as a
draft with its C02a-HD sheet. ``copy_last_month`` is the same start for a
unit that keeps no register: last month's lines, renumbered for the new month.
``refresh_changes`` re-drafts the explanation after the lines were edited.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from client.documents import KIND_SALARY, codec, new_salary_table, summary
from client.errors import InvalidInput
from client.i18n import tr
from client.payroll.changes import MonthDiff, diff_lines, draft_changes, reasons_between
from client.payroll.compute import PayrollSheet, build_document, compute_month, person_key
from client.payroll.rules import Rules, load_rules
from client.payroll.staff_repo import PayrollRunRepo, StaffRepo


def previous_period(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def period_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


@dataclass
class Previous:
    """Last month's table: its document and, when it was computed, its C02a sheet."""

    doc: dict
    number: str
    period: str
    state: str
    sheet: dict | None = None


@dataclass
class MonthResult:
    doc: dict
    sheet: PayrollSheet | None
    diff: MonthDiff | None
    previous: Previous | None
    local_id: int | None = None


def find_previous(conn: sqlite3.Connection, year: int, month: int) -> Previous | None:
    """The salary table of the month before ``month``/``year``: the one signed or sent if any,
    else the newest draft."""
    py, pm = previous_period(year, month)
    key = period_key(py, pm)
    row = conn.execute(
        "SELECT number, state, document_json FROM documents WHERE kind = ? AND period = ?"
        " ORDER BY (state = 'draft'), local_id DESC LIMIT 1", (KIND_SALARY, key)).fetchone()
    if row is None:
        return None
    doc = codec.parse(bytes(row["document_json"]))
    return Previous(doc, row["number"], key, row["state"],
                    PayrollRunRepo(conn).get(str(doc.get("id", ""))))


def _label(previous: Previous) -> str:
    return f"tháng {previous.period[5:7]}/{previous.period[:4]}"


def changes_against(previous: Previous | None, doc: dict, sheet: dict | None = None
                    ) -> tuple[MonthDiff | None, dict | None]:
    """The diff with last month and the drafted ``changes`` (None when there is no last month)."""
    if previous is None:
        return None, None
    diff = diff_lines(previous.doc.get("lines") or [], doc.get("lines") or [])
    reasons = reasons_between(previous.sheet, sheet) if sheet else []
    return diff, draft_changes(diff, previous_label=_label(previous), reasons=reasons)


def _with_changes(doc: dict, changes: dict | None) -> dict:
    return new_salary_table(unit=doc["unit"], number=doc["number"], date=doc["date"],
                            period=doc["period"], lines=doc["lines"],
                            prepared_by=doc["prepared_by"], payment_order=doc["payment_order"],
                            changes=changes, doc_id=doc["id"])


def _store(conn: sqlite3.Connection, doc: dict, sheet: PayrollSheet | None) -> int:
    from client.store.documents import DocumentRepo

    local_id = DocumentRepo(conn).add_draft(codec.serialize(doc), summary(doc),
                                            title=f"Bảng lương tháng {doc['period']['month']:02d}/"
                                                  f"{doc['period']['year']}")
    if sheet is not None:
        PayrollRunRepo(conn).save(doc["id"], sheet.period, sheet.rules_version, sheet.to_json())
    return local_id


def days_entered(conn: sqlite3.Connection, year: int, month: int) -> dict[str, str]:
    """The days paid entered for this month's last computation (staff code or account → days)."""
    data = PayrollRunRepo(conn).latest_in(period_key(year, month))
    return {(r.get("code") or r.get("account", "")): r["days"]
            for r in (data or {}).get("rows", []) if r.get("days")}


def compute_payroll(conn: sqlite3.Connection, *, year: int, month: int, unit: dict, number: str,
                    date: str, prepared_by: str, payment_order: dict | None = None,
                    rules: Rules | None = None, previous: Previous | None = None,
                    store: bool = True, days: dict[str, str] | None = None) -> MonthResult:
    """The month computed from the register, compared with last month, stored as a draft.

    ``days`` (staff code or account → days paid; "" for the full month again) updates the
    days kept from this month's last computation, so a re-run keeps what was entered.
    """
    rules = rules or load_rules()
    people = StaffRepo(conn).list(active_only=True)
    known = {person_key(p) for p in people}
    paid = {k: v for k, v in days_entered(conn, year, month).items() if k in known}
    paid.update(days or {})
    paid = {k: v for k, v in paid.items() if str(v).strip() != ""}
    sheet = compute_month(people, year, month, rules, paid)
    sheet.unit = dict(unit)
    doc = build_document(sheet, unit=unit, number=number, date=date, prepared_by=prepared_by,
                         payment_order=payment_order)
    previous = previous if previous is not None else find_previous(conn, year, month)
    diff, changes = changes_against(previous, doc, sheet.to_json())
    if changes is not None:
        doc = _with_changes(doc, changes)
    local_id = _store(conn, doc, sheet) if store else None
    return MonthResult(doc, sheet, diff, previous, local_id)


def copy_last_month(conn: sqlite3.Connection, *, year: int, month: int, number: str, date: str,
                    prepared_by: str | None = None, payment_order: dict | None = None,
                    store: bool = True) -> MonthResult:
    """A new month's draft that starts as a copy of last month's lines (no register needed)."""
    previous = find_previous(conn, year, month)
    if previous is None:
        py, pm = previous_period(year, month)
        raise InvalidInput(tr("Chưa có bảng thanh toán tháng {month:02d}/{year} để sao chép.",
                              month=pm, year=py))
    old = previous.doc
    lines = [{k: v for k, v in line.items() if k != "no"} for line in old.get("lines") or []]
    doc = new_salary_table(unit=old["unit"], number=number, date=date,
                           period={"year": year, "month": month}, lines=lines,
                           prepared_by=prepared_by if prepared_by is not None
                           else old.get("prepared_by", ""), payment_order=payment_order)
    diff, changes = changes_against(previous, doc)
    doc = _with_changes(doc, changes)
    local_id = _store(conn, doc, None) if store else None
    return MonthResult(doc, None, diff, previous, local_id)


def refresh_changes(doc: dict, previous: Previous | None, sheet: dict | None = None) -> dict:
    """``doc`` with its "thuyết minh" drafted again from its current lines."""
    _, changes = changes_against(previous, doc, sheet)
    return _with_changes(doc, changes)


def sheet_for(conn: sqlite3.Connection, doc_id: str) -> PayrollSheet | None:
    """The C02a sheet a payroll document was made from (None for imported documents)."""
    data = PayrollRunRepo(conn).get(doc_id)
    return PayrollSheet.from_json(data) if data is not None else None


def summary_of(result: MonthResult) -> dict[str, Any]:
    """For ``--json`` output and the GUI's "changes" panel."""
    return {"document": summary(result.doc), "local_id": result.local_id,
            "previous": None if result.previous is None else {
                "number": result.previous.number, "period": result.previous.period,
                "state": result.previous.state},
            "changes": result.doc.get("changes"),
            "diff": None if result.diff is None else result.diff.to_json()}


__all__ = ["MonthResult", "Previous", "changes_against", "compute_payroll", "copy_last_month",
           "days_entered", "find_previous", "previous_period", "refresh_changes", "sheet_for", "summary_of"]
