"""The `rbac-no-wildcards` check: no non-system role uses `*`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.rbac import rbac_index
from regulens.engine.rbac.params import RoleRef
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot


class RbacNoWildcards(Check):
    """No non-system Role or ClusterRole uses `*` in verbs, resources or apiGroups."""

    type: Literal["rbac-no-wildcards"]
    exclude_roles: tuple[RoleRef, ...] = Field(default=(), description="Roles not judged")
    include_system: bool = Field(
        default=False,
        description="Also judge Kubernetes' roles (bootstrapping: rbac-defaults, system:*)",
    )

    def kinds(self) -> frozenset[str] | None:
        """Roles and ClusterRoles."""
        return frozenset({"Role", "ClusterRole"})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge each role's own rules (aggregated rules are judged at their source role)."""
        assert snap.kubernetes is not None
        excluded = {r.key for r in self.exclude_roles}
        for key, role in sorted(rbac_index(snap.kubernetes).roles.items()):
            if key in excluded:
                continue
            if not self.include_system and (role.builtin or key.name.startswith("system:")):
                continue
            bad = [
                {"rule": i, "wildcards": rule.wildcards, **rule.to_json()}
                for i, rule in enumerate(role.own_rules)
                if rule.wildcards
            ]
            ref, where = role.resource.ref, role.resource.source
            if not bad:
                yield Finding(
                    Status.PASS, f"{key} uses no wildcards", ref, where, subject=f"role:{key}"
                )
                continue
            fields = sorted({f for i, rule in enumerate(role.own_rules) for f in rule.wildcards})
            yield Finding(
                Status.FAIL,
                f"{key} uses '*' in {', '.join(fields)} ({len(bad)} rule(s))",
                ref,
                where,
                details={"role": str(key), "rules": bad},
                subject=f"role:{key}",
            )
