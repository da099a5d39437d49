"""The modal questions the views ask (file paths, yes/no), in one place.

Each view keeps them as replaceable attributes (``ask_save_path``, ``confirm``…)
so the tests can answer without a modal dialog.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def ask_open_path(parent: QWidget, title: str, start: str, filters: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, start, filters)
    return path or None


def ask_save_path(parent: QWidget, title: str, start: str, filters: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, start, filters)
    return path or None


def confirm(parent: QWidget, title: str, text: str, *, default_yes: bool = False) -> bool:
    """Yes/No; No is the default button unless ``default_yes``."""
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    return QMessageBox.question(parent, title, text, yes | no, yes if default_yes else no) == yes
