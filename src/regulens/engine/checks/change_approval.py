"""The `change-approval` check: enough distinct, timely approvals in the right roles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from regulens.engine.changes import change_of, change_subject, iso, not_required
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category
from regulens.snapshot.identity import identity_key


class ApprovalRule(BaseModel):
    """How many approvals a category needs, and which roles count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_approvals: int = Field(ge=0, description="Distinct approvers needed")
    roles: tuple[str, ...] = Field(default=(), description="Roles that count (empty: any role)")


class ChangeApproval(Check):
    """The change has enough approvals by distinct non-requesters, given before its start."""

    type: Literal["change-approval"]
    rules: dict[Category, ApprovalRule] = Field(
        description="Per category; a category without a rule needs no approval (result skip)"
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Count the approvals that satisfy the rule of the change's category."""
        change = change_of(snap)
        spec = change.spec
        rule = self.rules.get(spec.category)
        if rule is None:
            yield not_required(change)
            return
        counted: list[dict[str, Any]] = []
        ignored: list[dict[str, Any]] = []
        people: set[str] = set()
        requester = identity_key(spec.requester)
        for approval in spec.approvals:
            # NFKC + case folding: a full-width or differently cased requester is the requester
            who = identity_key(approval.approver)
            reason = None
            if who == requester:
                reason = "the requester cannot approve their own change"
            elif rule.roles and approval.role not in rule.roles:
                reason = f"role {approval.role!r} does not count (needs {', '.join(rule.roles)})"
            elif approval.at >= spec.scheduled.start:
                reason = "given at or after the scheduled start"
            elif approval.at > ctx.now:
                reason = "dated in the future"
            elif who in people:
                reason = "this person is already counted"
            entry = {"approver": approval.approver, "role": approval.role, "at": iso(approval.at)}
            if reason is None:
                people.add(who)
                counted.append(entry)
            else:
                ignored.append({**entry, "reason": reason})
        roles = f" with role {'/'.join(rule.roles)}" if rule.roles else ""
        details = {
            "category": spec.category.value,
            "required": rule.min_approvals,
            "roles": list(rule.roles),
            "counted": counted,
            "ignored": ignored,
        }
        if len(counted) >= rule.min_approvals:
            yield Finding(
                Status.PASS,
                f"{change.metadata.id}: {len(counted)} of {rule.min_approvals} required "
                f"approval(s){roles}",
                details=details,
                subject=change_subject(change),
            )
            return
        why = "; ".join(f"{i['approver']}: {i['reason']}" for i in ignored)
        yield Finding(
            Status.FAIL,
            f"{change.metadata.id}: {spec.category.value} change has {len(counted)} of "
            f"{rule.min_approvals} required approval(s){roles}"
            + (f" (ignored: {why})" if why else ""),
            details=details,
            subject=change_subject(change),
        )
