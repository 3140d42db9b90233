"""The `rbac-role-bindings` check: only listed subjects are bound to a role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.rbac import RBAC_KINDS, rbac_index
from regulens.engine.rbac.findings import subject_details, subject_key
from regulens.engine.rbac.params import RoleRef, SubjectPattern, listed
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot


class RbacRoleBindings(Check):
    """Only the listed subjects are bound to a role (e.g. cluster-admin only to system:masters)."""

    type: Literal["rbac-role-bindings"]
    role: RoleRef
    subjects: tuple[SubjectPattern, ...] = Field(
        default=(), description="Who may be bound (empty: nobody)"
    )

    def kinds(self) -> frozenset[str] | None:
        """RoleBindings and ClusterRoleBindings (and the roles they name)."""
        return RBAC_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge every subject of every binding to the role, whether or not the role exists."""
        assert snap.kubernetes is not None
        bindings = rbac_index(snap.kubernetes).by_role.get(self.role.key, [])
        role = str(self.role.key)
        for binding in bindings:
            ref, where = binding.resource.ref, binding.resource.source
            bad = [s for s in binding.subjects if not any(p.matches(s) for p in self.subjects)]
            for subject in bad:
                yield Finding(
                    Status.FAIL,
                    f"{subject} is bound to {role} via {binding.key}; only "
                    f"{listed([str(p) for p in self.subjects], none='no subject')} may be "
                    "bound to it",
                    ref,
                    where,
                    details=subject_details(subject, [binding.via]),
                    subject=subject_key(subject),
                )
            if not bad:
                yield Finding(
                    Status.PASS, f"{binding.key} binds only allowed subjects to {role}", ref, where
                )
        if not bindings:
            yield Finding(
                Status.PASS,
                f"nothing is bound to {role}",
                details={"role": role},
                subject=f"role:{role}",
            )
