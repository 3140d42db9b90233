"""Shared vocabulary of the change checks: category order and the change under review."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category, ChangeRequest

# Least to most scrutiny: a change declared at a lower rank than it needs is under-classified.
RANK: dict[Category, int] = {Category.STANDARD: 0, Category.NORMAL: 1, Category.EMERGENCY: 2}


def change_of(snap: Snapshot) -> ChangeRequest:
    """Return the change under review (the engine guarantees the input was given)."""
    assert snap.change is not None, "evaluate() reports a missing change input first"
    return snap.change


def iso(value: datetime) -> str:
    """Render a time as ISO 8601, UTC as Z."""
    return value.isoformat().replace("+00:00", "Z")


def change_subject(change: ChangeRequest) -> str:
    """The finding subject of every change check: the change request (`change:ID`)."""
    return f"change:{change.metadata.id}"


def not_required(change: ChangeRequest) -> Finding:
    """The skip finding of a check that does not apply to the change's category."""
    category = change.spec.category.value
    return Finding(
        Status.SKIP,
        f"{change.metadata.id}: not required for {category} changes",
        details={"category": category},
        subject=change_subject(change),
    )


def required_text(
    change: ChangeRequest,
    categories: Sequence[Category],
    field: Literal["rollback", "incident"],
    *,
    present: Callable[[str], str],
    missing: str,
) -> Finding:
    """Judge a free-text field a category requires: skip, pass with the value, or fail."""
    spec = change.spec
    if spec.category not in categories:
        return not_required(change)
    value = getattr(spec, field)
    if value and value.strip():
        return Finding(
            Status.PASS,
            f"{change.metadata.id}: {present(value)}",
            details={field: value},
            subject=change_subject(change),
        )
    return Finding(
        Status.FAIL,
        f"{change.metadata.id}: {spec.category.value} change {missing} (set spec.{field})",
        subject=change_subject(change),
    )
