"""Test helpers: an independent view of the database, and dialog hooks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from client.store.db import connect
from client.store.documents import DocumentRepo, DocumentRow


def read_document(home, local_id: int) -> DocumentRow:
    """The row as stored, read through a connection of our own (not the window's)."""
    conn = connect(home.db_path)
    try:
        return DocumentRepo(conn).get(local_id)
    finally:
        conn.close()


def add_demo_draft(home, number: str) -> int:
    """A fresh draft salary table with its own number (so tests do not depend on each other)."""
    from client import documents
    from client.training.setup import demo_salary_table

    doc = demo_salary_table(home.require_unit(), number=number)
    conn = connect(home.db_path)
    try:
        return DocumentRepo(conn).add_draft(documents.serialize(doc), documents.summary(doc), number)
    finally:
        conn.close()


def package_entry(package: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        return zf.read(name)


def chooser_by_label(token_labels: dict[str, str], calls: list | None = None) -> Callable:
    """A ``cert_chooser`` that picks the certificate on the role's training token."""

    def choose(_parent: Any, role: str, entries: list) -> Any:
        if calls is not None:
            calls.append(role)
        for e in entries:
            if e.token_label == token_labels[role]:
                return e
        raise AssertionError(f"no certificate on token {token_labels[role]!r}")

    return choose


def pin_from(pins: dict[str, str], calls: list | None = None) -> Callable:
    def provide(_parent: Any, role: str, _entry: Any, token: Any, warnings: list) -> str:
        if calls is not None:
            calls.append((role, token.label, [w.code for w in warnings]))
        return pins[role]

    return provide


def add_salary_draft(home, number: str, *, month: int = 10, line_count: int | None = None) -> int:
    """A draft salary table for ``month``/2026 with the first ``line_count`` demo lines."""
    from client import documents
    from client.importers.salary import read_salary_lines
    from client.resources import resource

    unit = home.require_unit()
    lines = read_salary_lines(resource("demo", "salary-demo.csv"))
    if line_count is not None:
        lines = lines[:line_count]
    date = f"2026-{month:02d}-25"
    doc = documents.new_salary_table(
        unit=unit.as_document_unit(), number=number, date=date,
        period={"year": 2026, "month": month}, lines=lines, prepared_by=unit.prepared_by,
        payment_order={"number": "GRDT-0125", "date": date})
    conn = connect(home.db_path)
    try:
        return DocumentRepo(conn).add_draft(documents.serialize(doc), documents.summary(doc), number)
    finally:
        conn.close()


def run_on(window, fn: Callable[[], Any], qtbot, timeout: int = 60_000) -> Any:
    """Run ``fn`` on the window's worker thread (which owns the database) and return its result."""
    box: dict[str, Any] = {}
    window.runner.submit(fn, lambda r: box.setdefault("ok", r), lambda e: box.setdefault("err", e))
    qtbot.waitUntil(lambda: "ok" in box or "err" in box, timeout=timeout)
    if "err" in box:
        raise box["err"]
    return box["ok"]


def sign_fully(window, session, local_id: int, qtbot) -> None:
    """Sign ``local_id`` as chief accountant then head of unit, through the core, on the worker."""
    ctx = window.ctx

    def job() -> None:
        # the shared training profile may already hold a paid table of the same month:
        # accept the checks' warnings as the accountant would (recorded in the core)
        ctx.confirm_warnings(local_id, "all", "Người kiểm thử")
        for role in ("chief-accountant", "head-of-unit"):
            entry = next(e for e in ctx.signing_candidates(role)
                         if e.token_label == session.token_labels[role])
            ctx.sign(local_id, role, entry, session.pins[role])

    run_on(window, job, qtbot)


def demo_local_id(window) -> int:
    """The training profile's demo salary table, in ``window``'s list."""
    rows = [r for r in window.model.rows() if r.number == "TH-09/2026-10"]
    assert rows, [r.number for r in window.model.rows()]
    return rows[0].local_id
