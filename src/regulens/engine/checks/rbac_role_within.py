"""The `rbac-role-within` check: a role grants nothing beyond an allow-list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.rbac import RBAC_KINDS, rbac_index
from regulens.engine.rbac.params import AllowRule, RoleRef
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import ResourceRef, Snapshot


class RbacRoleWithin(Check):
    """A named Role or ClusterRole grants nothing beyond an allow-list (a missing role fails)."""

    type: Literal["rbac-role-within"]
    role: RoleRef
    allow: tuple[AllowRule, ...] = Field(
        min_length=1,
        description="Allowed (apiGroups, resources, resourceNames, verbs, nonResourceURLs), "
        "judged like Kubernetes' rule coverage; aggregation expanded",
    )

    def kinds(self) -> frozenset[str] | None:
        """Roles and ClusterRoles (aggregated ClusterRoles read their sources)."""
        return RBAC_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Compare every (group, resource, verb) and URL the role grants with the allow-list."""
        assert snap.kubernetes is not None
        role = rbac_index(snap.kubernetes).role(self.role.kind, self.role.namespace, self.role.name)
        name = str(self.role.key)
        if role is None:
            ref = ResourceRef(
                "rbac.authorization.k8s.io/v1", self.role.kind, self.role.namespace, self.role.name
            )
            yield Finding(
                Status.FAIL,
                f"{name} does not exist",
                ref,
                details={"role": name},
                subject=f"role:{name}",
            )
            return
        excess: list[dict[str, str]] = []
        for rule in role.rules:
            for url in sorted(rule.non_resource_urls):
                for verb in sorted(rule.verbs):
                    if not any(a.covers_url(url, verb) for a in self.allow):
                        excess.append({"nonResourceURL": url, "verb": verb})
            names: list[str | None] = [*sorted(rule.resource_names)] or [None]
            for group in sorted(rule.api_groups):
                for res in sorted(rule.resources):
                    for verb in sorted(rule.verbs):
                        for named in names:
                            if any(a.covers(group, res, verb, named) for a in self.allow):
                                continue
                            item = {"apiGroup": group, "resource": res, "verb": verb}
                            if named is not None:
                                item["resourceName"] = named
                            excess.append(item)
        ref, where = role.resource.ref, role.resource.source
        if not excess:
            yield Finding(
                Status.PASS,
                f"{name} grants only what is allowed",
                ref,
                where,
                subject=f"role:{name}",
            )
            return
        shown = ", ".join(_grant_text(e) for e in excess[:8])
        more = f" and {len(excess) - 8} more" if len(excess) > 8 else ""
        yield Finding(
            Status.FAIL,
            f"{name} grants more than allowed: {shown}{more}",
            ref,
            where,
            details={"role": name, "excess": excess},
            subject=f"role:{name}",
        )


def _grant_text(item: dict[str, str]) -> str:
    if "nonResourceURL" in item:
        return f"{item['verb']} {item['nonResourceURL']}"
    group = f".{item['apiGroup']}" if item["apiGroup"] else ""
    named = f" named {item['resourceName']}" if "resourceName" in item else ""
    return f"{item['verb']} {item['resource']}{group}{named}"
