"""The `change-emergency-incident` check: emergency changes name the incident they fix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.changes import change_of, required_text
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
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
        category = change.spec.category.value
        yield required_text(
            change,
            self.categories,
            "incident",
            present=lambda incident: f"{category} change for incident {incident}",
            missing="names no incident",
        )
