"""Typed errors with a user-facing message, an optional hint and the exit code they map to.

The CLI maps every `RegulensError` to its exit code in one place; nothing else
decides exit codes. User mistakes are `RegulensError`s and never print a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from regulens.display import printable


class ExitCode(IntEnum):
    """The documented exit codes of every command."""

    ALLOW = 0
    DENY = 1
    INCOMPLETE = 2
    USAGE = 3
    EVIDENCE = 4
    INTERNAL = 5  # an unexpected exception: a bug, never an allow or a deny


class RegulensError(Exception):
    """An error meant for the user: message, optional hint, exit code."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The lines of the message (one, unless the error lists several problems)."""
        return [self.message]

    def render(self) -> str:
        """Return the message (and hint) as shown to the user, control characters escaped."""
        text = "\n".join(printable(line) for line in self.lines())
        return text if self.hint is None else f"{text}\n  hint: {printable(self.hint)}"


class ConfigError(RegulensError):
    """Bad policy, bad flag, missing or unreadable file: exit 3."""

    exit_code = ExitCode.USAGE


class InputDataError(RegulensError):
    """Input data (a report, a metrics file) is present but unusable: exit 2."""

    exit_code = ExitCode.INCOMPLETE


class EvidenceError(RegulensError):
    """The evidence store could not be read or written: exit 4."""

    exit_code = ExitCode.EVIDENCE


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a document: `file:line:col: path: message`."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DocumentError(ConfigError):
    """One or more located problems in a user document (policy, exception, change request)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def lines(self) -> list[str]:
        """One line per problem."""
        return [str(p) for p in self.problems]
