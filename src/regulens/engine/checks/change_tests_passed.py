"""The `change-tests-passed` check: the required test suites passed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.changes import change_of, change_subject, not_required
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category


class ChangeTestsPassed(Check):
    """Changes of the given categories report every required test suite as passed."""

    type: Literal["change-tests-passed"]
    categories: tuple[Category, ...] = Field(
        default=(Category.NORMAL,), description="Categories that need the tests"
    )
    required: tuple[str, ...] = Field(
        min_length=1, description="Test suites (keys of spec.tests) that must be passed"
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Require spec.tests[suite] == passed for every required suite."""
        change = change_of(snap)
        spec = change.spec
        if spec.category not in self.categories:
            yield not_required(change)
            return
        outcomes = {suite: spec.tests.get(suite, "missing") for suite in self.required}
        bad = {suite: outcome for suite, outcome in outcomes.items() if outcome != "passed"}
        details = {"required": list(self.required), "tests": outcomes}
        if not bad:
            yield Finding(
                Status.PASS,
                f"{change.metadata.id}: {', '.join(self.required)} passed",
                details=details,
                subject=change_subject(change),
            )
        else:
            listed = ", ".join(f"{s}: {o}" for s, o in bad.items())
            yield Finding(
                Status.FAIL,
                f"{change.metadata.id}: required tests did not pass ({listed})",
                details=details,
                subject=change_subject(change),
            )
