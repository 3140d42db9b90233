"""Fold results into one decision, failing closed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from regulens.engine.results import Result, Summary
from regulens.engine.types import Status
from regulens.errors import ExitCode


@dataclass(frozen=True, slots=True)
class Decision:
    """Allow or deny, the exit code that says why, and the blocking results."""

    decision: Literal["allow", "deny"]
    exit_code: ExitCode
    summary: Summary
    blocking: tuple[Result, ...]

    @property
    def allowed(self) -> bool:
        """True when the decision is allow."""
        return self.decision == "allow"


def decide(results: list[Result], *, soft_fail: bool = False) -> Decision:
    """Deny on any enforced failure (exit 1), else on any enforced error (exit 2), else allow.

    Zero results is an error, never an allow: nothing was judged. `soft_fail`
    (evaluate only) changes the exit code, never the decision: a run whose only
    blocking results are policy failures is still recorded and reported as a deny,
    but exits 0; errors still exit 2.
    """
    summary = Summary.of(results)
    blocking = tuple(r for r in results if r.blocking)
    fail = Status.FAIL
    failed = any(r.status is fail for r in blocking)
    if failed and soft_fail and all(r.status is fail for r in blocking):
        return Decision("deny", ExitCode.ALLOW, summary, blocking)
    if failed and not soft_fail:
        return Decision("deny", ExitCode.DENY, summary, blocking)
    if blocking or not results:
        return Decision("deny", ExitCode.INCOMPLETE, summary, blocking)
    return Decision("allow", ExitCode.ALLOW, summary, blocking)
