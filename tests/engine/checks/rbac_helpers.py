"""Run one RBAC or audit check through the engine on a small snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from regulens.engine import EvalContext, Policy, Result, evaluate
from regulens.snapshot import Snapshot
from regulens.snapshot.audit import AuditPolicyFile
from tests.engine.rbac.world import state

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def run(
    check: Mapping[str, Any],
    objects: Iterable[Mapping[str, Any]] | None = (),
    audit_text: str | None = None,
) -> list[Result]:
    policy = Policy.model_validate(
        {"id": "p", "title": "t", "severity": "high", "check": dict(check)}
    )
    snap = Snapshot(
        kubernetes=None if objects is None else state(objects),
        audit_policy=None
        if audit_text is None
        else AuditPolicyFile(source="audit.yaml", text=audit_text),
    )
    return evaluate([policy], snap, EvalContext(now=NOW))


def statuses(results: list[Result]) -> list[str]:
    return [r.status.value for r in results]
