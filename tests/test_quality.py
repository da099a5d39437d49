"""Project-wide rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_core_imports_no_qt():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "client").rglob("*.py")
                 if "ui" not in p.relative_to(ROOT / "client").parts[:1]
                 and _imports(p) & {"PySide6", "shiboken6", "PyQt5", "PyQt6"}]
    assert offenders == []


def test_no_float_money_in_core():
    """Money is int đồng end to end: the core never calls float(), except on a line
    that says it handles seconds ("not money"): timeouts, delays, Retry-After."""
    offenders = []
    for p in (ROOT / "client").rglob("*.py"):
        if p.relative_to(ROOT / "client").parts[0] == "ui":
            continue
        text = p.read_text("utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "float" \
                    and "not money" not in lines[node.lineno - 1]:
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.prefix) / "bin" / "ruff").exists(),
                    reason="ruff not installed")
def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.prefix) / "bin" / "ruff")
    res = subprocess.run([ruff, "check", "client", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
