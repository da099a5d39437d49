"""Before the first signature: errors block it, warnings need a recorded confirmation.

Over the client's database (``client.store.db.connect``): the checks' inputs
kept per stored document (the payment order's amount), the documents of the
same kind and month already beyond draft, and who confirmed which warning
when. A confirmation holds for the exact document bytes it was given for
(their SHA-256): edit the document and its warnings must be confirmed again.

``signing_gate(conn, local_id)`` is what a front end asks before signing;
``require_signable`` raises with the Vietnamese reasons.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field

from client.catalogue import Catalogue
from client.catalogue import load as load_catalogue
from client.documents import codec
from client.documents.checks import CheckInputs, errors, run_checks, warnings
from client.documents.model import KIND_VOUCHERS
from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.store.db import iso, transaction, utcnow

SUBMITTED_STATES = ("signed-partial", "signed", "queued", "sent", "accepted", "paid")


def document_sha256(document_json: bytes) -> str:
    return hashlib.sha256(bytes(document_json)).hexdigest()


def submitted_documents(conn: sqlite3.Connection, kind: str, period: str | None,
                        exclude_local_id: int | None = None) -> list[dict]:
    """Stored documents of ``kind`` for ``period`` ("2026-07") whose state is beyond draft."""
    if not period:
        return []
    marks = ",".join("?" * len(SUBMITTED_STATES))
    rows = conn.execute(
        f"SELECT local_id, number, state FROM documents WHERE kind = ? AND period = ?"
        f" AND state IN ({marks}) AND local_id != ? ORDER BY local_id",
        (kind, period, *SUBMITTED_STATES, -1 if exclude_local_id is None else exclude_local_id),
    ).fetchall()
    return [{"local_id": r["local_id"], "number": r["number"], "state": r["state"]} for r in rows]


def set_payment_order_amount(conn: sqlite3.Connection, local_id: int, amount: int | None) -> None:
    """Record (or clear) the payment order's amount the total must equal."""
    if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int)):
        raise TypeError("amount must be an int number of đồng")
    with transaction(conn):
        conn.execute(
            "INSERT INTO check_inputs (local_id, payment_order_amount, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(local_id) DO UPDATE SET payment_order_amount = excluded.payment_order_amount,"
            " updated_at = excluded.updated_at", (local_id, amount, iso(utcnow())))


def _stored(conn: sqlite3.Connection, local_id: int) -> sqlite3.Row:
    row = conn.execute("SELECT local_id, kind, period, document_json FROM documents"
                       " WHERE local_id = ?", (local_id,)).fetchone()
    if row is None:
        raise InvalidInput(tr("Không tìm thấy chứng từ #{id}.", id=local_id))
    return row


def inputs_for(conn: sqlite3.Connection, local_id: int, *,
               payment_order_amount: int | None = None,
               catalogue: Catalogue | None = None) -> CheckInputs:
    """The checks' inputs for a stored document (an explicit amount wins over the stored one).
    ``catalogue``: the NDKT catalogue in use (the home folder's, see ``client.catalogue.load``);
    the one shipped with the software when not given."""
    row = _stored(conn, local_id)
    if payment_order_amount is None:
        stored = conn.execute("SELECT payment_order_amount FROM check_inputs WHERE local_id = ?",
                              (local_id,)).fetchone()
        payment_order_amount = stored["payment_order_amount"] if stored else None
    return CheckInputs(payment_order_amount=payment_order_amount,
                       submitted=submitted_documents(conn, row["kind"], row["period"], local_id),
                       # only voucher lists are checked across lists (same voucher, advances)
                       others=(other_documents(conn, row["kind"], local_id)
                               if row["kind"] == KIND_VOUCHERS else []),
                       catalogue=catalogue if catalogue is not None else load_catalogue(None))


def other_documents(conn: sqlite3.Connection, kind: str,
                    exclude_local_id: int | None = None) -> list[dict]:
    """Every other stored document of ``kind`` (any state), parsed: for checks across lists."""
    rows = conn.execute("SELECT local_id, number, state, document_json FROM documents"
                        " WHERE kind = ? AND local_id != ? ORDER BY local_id",
                        (kind, -1 if exclude_local_id is None else exclude_local_id)).fetchall()
    out = []
    for r in rows:
        try:
            doc = codec.parse(bytes(r["document_json"]))
        except (ValueError, TypeError, InvalidInput):
            continue
        out.append({"local_id": r["local_id"], "number": r["number"], "state": r["state"],
                    "document": doc})
    return out


def check_stored(conn: sqlite3.Connection, local_id: int, *,
                 payment_order_amount: int | None = None,
                 catalogue: Catalogue | None = None) -> list[Problem]:
    """``run_checks`` over a stored document with its inputs."""
    row = _stored(conn, local_id)
    doc = codec.parse(bytes(row["document_json"]))
    return run_checks(doc, inputs_for(conn, local_id, payment_order_amount=payment_order_amount,
                                      catalogue=catalogue))


def confirmations(conn: sqlite3.Connection, local_id: int) -> list[dict]:
    """Confirmations recorded for the current bytes of the document: code, message, by, at."""
    sha = document_sha256(bytes(_stored(conn, local_id)["document_json"]))
    rows = conn.execute("SELECT code, message, by_name, at FROM warning_confirmations"
                        " WHERE local_id = ? AND doc_sha256 = ? ORDER BY id", (local_id, sha))
    return [{"code": r["code"], "message": r["message"], "by": r["by_name"], "at": r["at"]}
            for r in rows]


def confirm_warnings(conn: sqlite3.Connection, local_id: int, codes: list[str] | str,
                     by: str, *, catalogue: Catalogue | None = None) -> list[str]:
    """Record that ``by`` has seen and accepts the warnings with ``codes`` ("all": every one).

    Only codes of the document's current warnings can be confirmed; errors
    cannot. Returns the codes recorded.
    """
    if not by or not by.strip():
        raise InvalidInput(tr("Cần ghi rõ người xác nhận cảnh báo."))
    current = warnings(check_stored(conn, local_id, catalogue=catalogue))
    by_code: dict[str, list[Problem]] = {}
    for p in current:
        by_code.setdefault(p.code, []).append(p)
    wanted = list(by_code) if codes == "all" or codes == ["all"] else list(dict.fromkeys(codes))
    unknown = [c for c in wanted if c not in by_code]
    if unknown:
        have = ", ".join(by_code) or tr("không có cảnh báo nào")
        raise InvalidInput(tr("Tài liệu không có cảnh báo {codes} để xác nhận "
                              "(cảnh báo hiện có: {have}).", codes=", ".join(unknown), have=have))
    sha = document_sha256(bytes(_stored(conn, local_id)["document_json"]))
    now = iso(utcnow())
    with transaction(conn):
        for code in wanted:
            message = " | ".join(p.message for p in by_code[code])[:4000]
            conn.execute(
                "INSERT INTO warning_confirmations (local_id, doc_sha256, code, message, by_name, at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(local_id, doc_sha256, code) DO UPDATE SET"
                " message = excluded.message, by_name = excluded.by_name, at = excluded.at",
                (local_id, sha, code, message, by.strip(), now))
    return wanted


@dataclass
class Gate:
    """What stands between a stored document and its first signature."""

    errors: list[Problem] = field(default_factory=list)
    unconfirmed: list[Problem] = field(default_factory=list)
    confirmed: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.unconfirmed

    def to_json(self) -> dict:
        return {"ok": self.ok, "errors": [p.to_json() for p in self.errors],
                "unconfirmed": [p.to_json() for p in self.unconfirmed],
                "confirmed": self.confirmed}


def signing_gate(conn: sqlite3.Connection, local_id: int, *,
                 payment_order_amount: int | None = None,
                 catalogue: Catalogue | None = None) -> Gate:
    problems = check_stored(conn, local_id, payment_order_amount=payment_order_amount,
                            catalogue=catalogue)
    done = confirmations(conn, local_id)
    confirmed_codes = {c["code"] for c in done}
    return Gate(errors=errors(problems),
                unconfirmed=[p for p in warnings(problems) if p.code not in confirmed_codes],
                confirmed=done)


def require_signable(conn: sqlite3.Connection, local_id: int, *,
                     catalogue: Catalogue | None = None) -> Gate:
    """Raise ``InvalidInput`` (exit 1) listing the errors and unconfirmed warnings, if any."""
    return refuse_unless_ok(signing_gate(conn, local_id, catalogue=catalogue))


def refuse_unless_ok(gate: Gate) -> Gate:
    """``gate`` itself when nothing stands in the way, else ``InvalidInput`` naming it."""
    if gate.errors:
        raise InvalidInput(tr("Chưa ký được: tài liệu còn {count} lỗi phải sửa.",
                              count=len(gate.errors)),
                           gate.errors + gate.unconfirmed)
    if gate.unconfirmed:
        codes = ", ".join(dict.fromkeys(p.code for p in gate.unconfirmed))
        raise InvalidInput(tr("Chưa ký được: còn {count} cảnh báo chưa được xác nhận ({codes}).",
                              count=len(gate.unconfirmed), codes=codes), gate.unconfirmed)
    return gate


__all__ = ["Gate", "SUBMITTED_STATES", "check_stored", "confirm_warnings", "confirmations",
           "document_sha256", "inputs_for", "other_documents", "refuse_unless_ok", "require_signable", "set_payment_order_amount",
           "signing_gate", "submitted_documents"]
