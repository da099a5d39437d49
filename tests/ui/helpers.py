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
