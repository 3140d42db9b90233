"""The `change-emergency-incident` check: emergency changes name the incident they fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.changes import change_of, not_required
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category


class ChangeEmergencyIncident(Check):
    """Changes of the given categories reference an incident id."""

    type: Literal["change-emergency-incident"]
    categories: tuple[Category, ...] = Field(
        default=(Category.EMERGENCY,), description="Categories that need spec.incident"
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Require spec.incident for the configured categories."""
        change = change_of(snap)
        spec = change.spec
        if spec.category not in self.categories:
            yield not_required(change)
            return
        if spec.incident and spec.incident.strip():
            yield Finding(
                Status.PASS,
                f"{change.metadata.id}: {spec.category.value} change for incident {spec.incident}",
                details={"incident": spec.incident},
            )
        else:
            yield Finding(
                Status.FAIL,
                f"{change.metadata.id}: {spec.category.value} change names no incident "
                "(set spec.incident)",
            )
