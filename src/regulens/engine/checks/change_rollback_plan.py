"""The `change-rollback-plan` check: the change says how it will be rolled back."""

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
        change = change_of(snap)
        spec = change.spec
        if spec.category not in self.categories:
            yield not_required(change)
            return
        if spec.rollback and spec.rollback.strip():
            yield Finding(
                Status.PASS,
                f"{change.metadata.id}: rollback plan given",
                details={"rollback": spec.rollback},
            )
        else:
            yield Finding(
                Status.FAIL,
                f"{change.metadata.id}: {spec.category.value} change has no rollback plan "
                "(set spec.rollback)",
            )
