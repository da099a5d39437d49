"""catalogue commands (filled in by the issue that brings them)."""

from __future__ import annotations


def register(sub) -> None:
    return None
