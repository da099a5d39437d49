"""What the read-only lists of the application share: one row chosen at a time, no editing."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QTableView


def read_only_rows(table: QTableView, *, word_wrap: bool = False,
                   alternating: bool = False) -> None:
    """Make ``table`` a read-only list: whole rows selected, one at a time, no row numbers."""
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.verticalHeader().setVisible(False)
    table.setWordWrap(word_wrap)
