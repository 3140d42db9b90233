"""The `rbac-escalation` check: flag subjects that can raise their own privileges."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.rbac import RBAC_KINDS, BindingEntry, Request, Subject, rbac_index
from regulens.engine.rbac.findings import path_text, subject_details, subject_key
from regulens.engine.rbac.model import RBAC_GROUP, Rule, rule_touches
from regulens.engine.rbac.params import (
    GrantAllowList,
)
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot

Capability = Literal[
    "escalate",
    "bind",
    "impersonate",
    "write-bindings",
    "pods-exec",
    "read-secrets-cluster-wide",
    "create-serviceaccount-tokens",
    "cluster-admin",
]
ALL_CAPABILITIES: tuple[Capability, ...] = (
    "escalate",
    "bind",
    "impersonate",
    "write-bindings",
    "pods-exec",
    "read-secrets-cluster-wide",
    "create-serviceaccount-tokens",
    "cluster-admin",
)


def _reqs(verbs: str, group: str, resources: str) -> tuple[Request, ...]:
    return tuple(
        Request(v, group, r.partition("/")[0], r.partition("/")[2])
        for v in verbs.split()
        for r in resources.split()
    )


_ROLES = "roles clusterroles"
_PROBES: dict[str, tuple[Request, ...]] = {
    "escalate": _reqs("escalate", RBAC_GROUP, _ROLES),
    "bind": _reqs("bind", RBAC_GROUP, _ROLES),
    "impersonate": _reqs("impersonate", "", "users groups serviceaccounts")
    + _reqs("impersonate", "authentication.k8s.io", "userextras/scopes uids"),
    "write-bindings": _reqs("create update patch", RBAC_GROUP, "rolebindings clusterrolebindings"),
    "pods-exec": _reqs("create", "", "pods/exec"),
    "read-secrets-cluster-wide": _reqs("get list watch", "", "secrets"),
    "create-serviceaccount-tokens": _reqs("create", "", "serviceaccounts/token"),
}


class RbacEscalation(GrantAllowList, Check):
    """Flag subjects that can escalate: escalate/bind/impersonate, write bindings, exec, secrets."""

    type: Literal["rbac-escalation"]
    capabilities: tuple[Capability, ...] = Field(
        default=ALL_CAPABILITIES, min_length=1, description="Which escalation paths to flag"
    )

    def kinds(self) -> frozenset[str] | None:
        """Roles, ClusterRoles and their bindings."""
        return RBAC_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Walk every binding once; each role's capabilities are computed once."""
        assert snap.kubernetes is not None
        index = rbac_index(snap.kubernetes)
        allowed_roles = {r.key for r in self.allow_roles}
        memo: dict[object, frozenset[str]] = {}
        found: dict[Subject, list[tuple[BindingEntry, frozenset[str]]]] = {}
        for binding in index.bindings:
            if binding.role is None:
                continue
            caps = memo.get(binding.role.key)
            if caps is None:
                caps = memo[binding.role.key] = self._capabilities(binding.role.rules)
            caps = caps if binding.cluster else caps - {"read-secrets-cluster-wide"}
            if binding.role_key.kind == "ClusterRole" and binding.role_key.name == "cluster-admin":
                caps = caps | ({"cluster-admin"} if "cluster-admin" in self.capabilities else set())
            if not caps:
                continue
            for subject in binding.subjects:
                if self.allowed(subject):
                    continue
                if not subject.broad and binding.role_key in allowed_roles:
                    continue
                found.setdefault(subject, []).append((binding, caps))
        for subject, items in sorted(found.items()):
            via = [b.via for b, _ in items]
            caps_all = sorted({c for _, cs in items for c in cs})
            first = items[0][0]
            yield Finding(
                Status.FAIL,
                f"{subject} can escalate ({', '.join(caps_all)}) via {path_text(via)}",
                first.resource.ref,
                first.resource.source,
                details=subject_details(subject, via, capabilities=caps_all),
                subject=subject_key(subject),
            )
        if not found:
            yield Finding(Status.PASS, "no subject outside the allowed ones can escalate")

    def _capabilities(self, rules: tuple[Rule, ...]) -> frozenset[str]:
        return frozenset(
            cap
            for cap in self.capabilities
            if cap in _PROBES and any(rule_touches(r, q) for q in _PROBES[cap] for r in rules)
        )
