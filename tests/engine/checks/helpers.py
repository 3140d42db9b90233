"""Build small snapshots and run one check (pure: no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from regulens.engine import EvalContext, evaluate
from regulens.engine.checks import AnyCheck
from regulens.engine.policy import Policy
from regulens.engine.results import Result
from regulens.snapshot import Provenance, Snapshot

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
PROVENANCE = Provenance(source="test")


def check(params: dict[str, Any]) -> Any:
    """Validate check parameters as a policy file would."""
    return TypeAdapter(AnyCheck).validate_python(params)


def run(params: dict[str, Any], snap: Snapshot, now: datetime = NOW) -> list[Result]:
    """Evaluate one policy with the given check against `snap`."""
    policy = Policy(id="p", title="t", severity="high", check=check(params))  # type: ignore[arg-type]
    return evaluate([policy], snap, EvalContext(now=now))


def at(text: str) -> datetime:
    """Parse an ISO timestamp."""
    return datetime.fromisoformat(text)
