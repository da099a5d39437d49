"""Diagnostics for treasury IT: one implementation behind ``kbnn-client doctor`` and the GUI.

``run_diagnostics(home) -> Report``; ``Report.to_text()`` (copy report),
``Report.to_json()`` (stable schema, see :mod:`client.diagnostics.model`),
``save_support_bundle(home, report, dest)``, ``read_log_tail(home, lines)``.
"""

from client.diagnostics.checks import CHECKS, CheckSpec, DiagnosticEnv
from client.diagnostics.model import (
    FAILED,
    OK,
    STATUS_EN,
    STATUS_VI,
    STATUSES,
    WARNING,
    CheckResult,
    Report,
)
from client.diagnostics.runner import check_list, run_diagnostics
from client.diagnostics.support import log_files, read_log_tail, save_support_bundle

__all__ = [
    "CHECKS", "FAILED", "OK", "STATUSES", "STATUS_EN", "STATUS_VI", "WARNING", "CheckResult",
    "CheckSpec", "DiagnosticEnv", "Report", "check_list", "log_files", "read_log_tail",
    "run_diagnostics", "save_support_bundle",
]
