"""The `change-rollback-plan` check: the change says how it will be rolled back."""

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


class ChangeRollbackPlan(Check):
    """Changes of the given categories carry a rollback plan."""

    type: Literal["change-rollback-plan"]
    categories: tuple[Category, ...] = Field(
        default=(Category.NORMAL, Category.EMERGENCY),
        description="Categories that need spec.rollback",
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Require a non-blank spec.rollback for the configured categories."""
        yield required_text(
            change_of(snap),
            self.categories,
            "rollback",
            present=lambda _: "rollback plan given",
            missing="has no rollback plan",
        )
