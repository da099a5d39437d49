"""Repositories over the client's SQLite (tables of migration 3): the staff register, each
month's computed C02a-HD sheet, and the column mapping remembered per unit."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from client.errors import InvalidInput
from client.i18n import tr
from client.payroll.staff import Staff
from client.store.db import iso, transaction, utcnow

_COLUMNS = ("code", "name", "account", "bank", "category", "grade_code", "coefficients", "amounts",
            "dependants", "insurance", "union_member", "active", "position", "note")


def _values(s: Staff) -> tuple:
    return (s.code or "", s.name, s.account, s.bank, s.category, s.grade_code,
            json.dumps(s.coefficients, ensure_ascii=False, sort_keys=True),
            json.dumps(s.amounts, ensure_ascii=False, sort_keys=True), int(s.dependants),
            s.insurance, int(bool(s.union_member)), int(bool(s.active)), int(s.position), s.note)


def _staff(r: sqlite3.Row) -> Staff:
    return Staff(id=r["id"], code=r["code"], name=r["name"], account=r["account"], bank=r["bank"],
                 category=r["category"], grade_code=r["grade_code"],
                 coefficients=json.loads(r["coefficients"]), amounts=json.loads(r["amounts"]),
                 dependants=r["dependants"], insurance=r["insurance"],
                 union_member=bool(r["union_member"]), active=bool(r["active"]),
                 position=r["position"], note=r["note"])


class StaffRepo:
    """The staff register (``staff`` table)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, staff: Staff) -> int:
        now = iso(utcnow())
        with transaction(self.conn):
            if not staff.position:
                staff.position = int(self.conn.execute(
                    "SELECT COALESCE(MAX(position), 0) + 1 FROM staff").fetchone()[0])
            cur = self.conn.execute(
                f"INSERT INTO staff ({', '.join(_COLUMNS)}, created_at, updated_at)"
                f" VALUES ({', '.join('?' * len(_COLUMNS))}, ?, ?)", (*_values(staff), now, now))
            staff.id = int(cur.lastrowid)
            return staff.id

    def update(self, staff: Staff) -> None:
        if staff.id is None:
            raise ValueError("staff.id is None: use add()")
        with transaction(self.conn):
            cur = self.conn.execute(
                f"UPDATE staff SET {', '.join(f'{c} = ?' for c in _COLUMNS)}, updated_at = ?"
                " WHERE id = ?", (*_values(staff), iso(utcnow()), staff.id))
            if cur.rowcount == 0:
                raise InvalidInput(tr("Không tìm thấy cán bộ #{id} trong danh sách.",
                                      id=staff.id))

    def get(self, staff_id: int) -> Staff:
        r = self.conn.execute("SELECT * FROM staff WHERE id = ?", (staff_id,)).fetchone()
        if r is None:
            raise InvalidInput(tr("Không tìm thấy cán bộ #{id} trong danh sách.", id=staff_id))
        return _staff(r)

    def list(self, *, active_only: bool = False) -> list[Staff]:
        sql = "SELECT * FROM staff" + (" WHERE active = 1" if active_only else "")
        return [_staff(r) for r in self.conn.execute(sql + " ORDER BY position, id")]

    def find(self, *, code: str = "", account: str = "") -> Staff | None:
        """By staff code when given, else by account."""
        r = None
        if code:
            r = self.conn.execute("SELECT * FROM staff WHERE code = ? ORDER BY id LIMIT 1",
                                  (code,)).fetchone()
        if r is None and account:
            r = self.conn.execute("SELECT * FROM staff WHERE account = ? AND (code = '' OR ? = '')"
                                  " ORDER BY id LIMIT 1", (account, code)).fetchone()
        return _staff(r) if r is not None else None

    def set_active(self, staff_id: int, active: bool) -> None:
        with transaction(self.conn):
            self.conn.execute("UPDATE staff SET active = ?, updated_at = ? WHERE id = ?",
                              (int(active), iso(utcnow()), staff_id))

    def upsert_many(self, people: list[Staff], *, deactivate_missing: bool = False
                    ) -> dict[str, list[str]]:
        """Add or update each person (matched by code, else account), in one transaction.

        Returns ``{"added": [...], "updated": [...], "deactivated": [...]}`` (names).
        """
        out: dict[str, list[str]] = {"added": [], "updated": [], "deactivated": []}
        seen: set[int] = set()
        with transaction(self.conn):
            for position, person in enumerate(people, start=1):
                person.position = position
                existing = self.find(code=person.code, account=person.account)
                if existing is None:
                    self.add(person)
                    out["added"].append(person.name)
                else:
                    person.id = existing.id
                    if person.to_json() != existing.to_json():
                        self.update(person)
                        out["updated"].append(person.name)
                seen.add(int(person.id))
            if deactivate_missing:
                for other in self.list(active_only=True):
                    if other.id not in seen:
                        self.set_active(int(other.id), False)
                        out["deactivated"].append(other.name)
        return out


class PayrollRunRepo:
    """The computed C02a-HD sheet of each payroll document (``payroll_runs``), by document id."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def save(self, doc_id: str, period: str, rules_version: str, sheet: dict) -> None:
        with transaction(self.conn):
            self.conn.execute(
                "INSERT INTO payroll_runs (doc_id, period, rules_version, sheet_json, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET period = excluded.period,"
                " rules_version = excluded.rules_version, sheet_json = excluded.sheet_json",
                (doc_id, period, rules_version, json.dumps(sheet, ensure_ascii=False),
                 iso(utcnow())))

    def get(self, doc_id: str) -> dict | None:
        r = self.conn.execute("SELECT sheet_json FROM payroll_runs WHERE doc_id = ?",
                              (doc_id,)).fetchone()
        return json.loads(r["sheet_json"]) if r is not None else None

    def latest_in(self, period: str) -> dict | None:
        """The sheet computed last for ``period`` (e.g. to keep its days paid on a re-run)."""
        r = self.conn.execute("SELECT sheet_json FROM payroll_runs WHERE period = ?"
                              " ORDER BY created_at DESC, rowid DESC LIMIT 1",
                              (period,)).fetchone()
        return json.loads(r["sheet_json"]) if r is not None else None


class MappingRepo:
    """The column mapping (``--map``) remembered per unit and document kind."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, unit_code: str, kind: str) -> dict[str, str]:
        r = self.conn.execute("SELECT mapping_json FROM import_mappings WHERE unit_code = ?"
                              " AND kind = ?", (unit_code, kind)).fetchone()
        return dict(json.loads(r["mapping_json"])) if r is not None else {}

    def set(self, unit_code: str, kind: str, mapping: dict[str, Any]) -> None:
        with transaction(self.conn):
            if not mapping:
                self.conn.execute("DELETE FROM import_mappings WHERE unit_code = ? AND kind = ?",
                                  (unit_code, kind))
                return
            self.conn.execute(
                "INSERT INTO import_mappings (unit_code, kind, mapping_json, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(unit_code, kind) DO UPDATE SET"
                " mapping_json = excluded.mapping_json, updated_at = excluded.updated_at",
                (unit_code, kind, json.dumps(mapping, ensure_ascii=False, sort_keys=True),
                 iso(utcnow())))


__all__ = ["MappingRepo", "PayrollRunRepo", "StaffRepo"]
