"""Errors the core raises, each kind tied to a CLI exit code.

Messages are Vietnamese (shown to the accountant as they are); ``Problem``
names exactly what failed and where.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

EXIT_OK = 0
EXIT_INVALID = 1  # invalid input, verification failed, treasury rejected
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # treasury could not be reached (queued items stay queued)
EXIT_TOKEN = 4  # token or PIN problem


@dataclass(frozen=True)
class Problem:
    """One named failure: a stable machine code, where it is, and a Vietnamese message."""

    code: str
    message: str
    where: str = ""
    severity: str = "error"  # "error" | "warning"

    def to_json(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class HasProblems:
    """For a class with a ``problems`` list: its errors, and the rest (warnings)."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]


@dataclass
class KbnnError(Exception):
    """Base error; ``message`` is Vietnamese, ``problems`` lists details."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    exit_code: int = EXIT_INVALID

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        lines = [self.message]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InvalidInput(KbnnError):
    """Bad file, bad document, failed verification (exit 1)."""


class UsageError(KbnnError):
    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message, problems or [], 2)


class Unreachable(KbnnError):
    """The treasury could not be reached (exit 3)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message, problems or [], 3)


class Rejected(KbnnError):
    """The treasury answered and refused (exit 1)."""


class TokenError(KbnnError):
    """Token missing, PIN wrong/locked/cancelled, certificate refused (exit 4)."""

    def __init__(self, message: str, problems: list[Problem] | None = None,
                 code: str = "token-error") -> None:
        super().__init__(message, problems or [], 4)
        self.code = code
