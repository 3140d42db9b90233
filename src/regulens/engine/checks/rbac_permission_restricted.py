"""The `rbac-permission-restricted` check: only allowed subjects hold given permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.rbac import RBAC_KINDS, BindingEntry, ObjectKey, Request, Subject, rbac_index
from regulens.engine.rbac.findings import (
    missing_role_details,
    path_text,
    subject_details,
    subject_key,
)
from regulens.engine.rbac.model import Rule, rule_touches
from regulens.engine.rbac.params import (
    GrantAllowList,
    PermissionRule,
)
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot


class RbacPermissionRestricted(GrantAllowList, Check):
    """Only listed subjects, or subjects bound to listed roles, hold the given permissions."""

    type: Literal["rbac-permission-restricted"]
    permissions: tuple[PermissionRule, ...] = Field(
        min_length=1, description="Restricted permissions, in Role-rule form"
    )
    namespaces: tuple[str, ...] = Field(
        default=(), description="Judge grants in these namespaces (empty: anywhere)"
    )

    def kinds(self) -> frozenset[str] | None:
        """Roles, ClusterRoles and their bindings."""
        return RBAC_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Find every binding subject that holds a restricted permission and is not allowed."""
        assert snap.kubernetes is not None
        index = rbac_index(snap.kubernetes)
        wanted = [r for p in self.permissions for r in p.requests(None)]
        allowed_roles = {r.key for r in self.allow_roles}
        granted: dict[ObjectKey, list[dict[str, object]]] = {}
        offenders: dict[Subject, list[BindingEntry]] = {}
        holders = 0
        scope = set(self.namespaces)
        for binding in index.bindings:
            if binding.role is None:
                continue
            if scope and not binding.cluster and binding.scope not in scope:
                continue
            key = binding.role.key
            if key not in granted:
                granted[key] = _granted(binding.role.rules, wanted)
            if not granted[key]:
                continue
            for subject in binding.subjects:
                holders += 1
                if self.allowed(subject):
                    continue
                if not subject.broad and any(
                    b.role_key in allowed_roles and b.covers(binding.scope)
                    for b in index.by_subject.get(subject, ())
                ):
                    continue  # bound to an allowed role wherever this grant applies
                offenders.setdefault(subject, []).append(binding)
        where = f" in namespace(s) {', '.join(self.namespaces)}" if self.namespaces else ""
        missing = [b for b in index.missing_roles if not scope or b.cluster or b.scope in scope]
        for subject, bindings in sorted(offenders.items()):
            via = [b.via for b in bindings]
            perms = [p for b in bindings for p in granted[b.role_key]]
            summary = _summary(perms)
            first = bindings[0]
            yield Finding(
                Status.FAIL,
                f"{subject} may {summary}{where} via {path_text(via)}; only "
                f"{self.allowed_text()} may hold these permissions",
                first.resource.ref,
                first.resource.source,
                details=subject_details(subject, via, permissions=perms),
                subject=subject_key(subject),
            )
        if not offenders:
            note = f"; {len(missing)} binding(s) to missing roles grant nothing" if missing else ""
            yield Finding(
                Status.PASS,
                f"only allowed subjects hold the restricted permissions{where} "
                f"({holders} allowed grant(s)){note}",
                details={"allowed_grants": holders, "missing_roles": missing_role_details(missing)},
            )


def _granted(rules: tuple[Rule, ...], wanted: list[Request]) -> list[dict[str, object]]:
    """The restricted permissions these rules give (resourceNames-limited ones included)."""
    out: list[dict[str, object]] = []
    for req in wanted:
        for rule in rules:
            if rule_touches(rule, req):
                group = f".{req.group}" if req.group else ""
                item: dict[str, object] = {"permission": f"{req.verb} {req.combined}{group}"}
                if rule.resource_names:
                    item["resourceNames"] = sorted(rule.resource_names)
                out.append(item)
                break
    return out


def _summary(perms: list[dict[str, object]]) -> str:
    """`get, list secrets; create roles.rbac.authorization.k8s.io` (three resources at most)."""
    by_resource: dict[str, set[str]] = {}
    for p in perms:
        verb, _, resource = str(p["permission"]).partition(" ")
        by_resource.setdefault(resource, set()).add(verb)
    parts = [f"{', '.join(sorted(v))} {r}" for r, v in sorted(by_resource.items())]
    more = f"; and {len(parts) - 3} more resource(s)" if len(parts) > 3 else ""
    return "; ".join(parts[:3]) + more
