"""Compare a test's results with its expectations: pure, no I/O.

An expectation selects the results of its policy (and of its resource, and
whose message contains its `message`, when given). It holds when it selects at
least one result and every selected result has the expected status. With
`others`, every result no expectation selects must have that status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from regulens.engine.results import Result
from regulens.engine.types import Status
from regulens.policytest.model import Expectation, PolicyTest


@dataclass(frozen=True)
class Got:
    """One result as a test shows it."""

    resource: str
    status: Status
    message: str


@dataclass(frozen=True)
class Check:
    """One expectation (or the `others` rule for one result) and what the run said."""

    policy: str
    resource: str  # "*" for an expectation about every result of the policy
    expected: Status
    message: str | None
    got: tuple[Got, ...]
    ok: bool
    reason: str  # why it failed ("" when ok)


def resource_id(result: Result) -> str:
    """The id tests use for a result's resource (`Kind/namespace/name`, `-` for none)."""
    return str(result.resource.key) if result.resource is not None else "-"


def _selects(exp: Expectation, result: Result) -> bool:
    return (
        result.policy == exp.policy
        and (exp.resource is None or resource_id(result) == exp.resource)
        and (exp.message is None or exp.message in result.message)
    )


def _got(results: Sequence[Result]) -> tuple[Got, ...]:
    return tuple(Got(resource_id(r), r.status, r.message) for r in results)


def compare(test: PolicyTest, results: Sequence[Result]) -> list[Check]:
    """Judge every expectation of `test` (and `others`) against `results`."""
    checks: list[Check] = []
    claimed: set[int] = set()
    for exp in test.expect:
        selected = [(i, r) for i, r in enumerate(results) if _selects(exp, r)]
        claimed.update(i for i, _ in selected)
        chosen = [r for _, r in selected]
        reason = ""
        if not chosen:
            reason = "no result for this policy and resource" + (
                f" whose message contains {exp.message!r}" if exp.message else ""
            )
        elif any(r.status is not exp.status for r in chosen):
            wrong = sorted({r.status.value for r in chosen if r.status is not exp.status})
            reason = f"status {', '.join(wrong)}, expected {exp.status.value}"
        checks.append(
            Check(
                exp.policy,
                exp.resource or "*",
                exp.status,
                exp.message,
                _got(chosen),
                not reason,
                reason,
            )
        )
    if test.others is not None:
        for i, r in enumerate(results):
            if i in claimed or r.status is test.others:
                continue
            reason = f"status {r.status.value}, expected {test.others.value} (others)"
            checks.append(
                Check(r.policy, resource_id(r), test.others, None, _got([r]), False, reason)
            )
    return checks
