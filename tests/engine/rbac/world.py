"""Tiny builders for RBAC objects in tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from regulens.snapshot import KubernetesState, Provenance, Resource

RBAC_V1 = "rbac.authorization.k8s.io/v1"


def rule(verbs: str, resources: str = "", groups: str = "", **extra: Any) -> dict[str, Any]:
    """`rule("get list", "pods", "")`; groups "" is core, "*" any; extra: resourceNames etc."""
    out: dict[str, Any] = {"verbs": verbs.split()}
    if resources:
        out["apiGroups"] = [g if g != "core" else "" for g in (groups.split() or [""])]
        out["resources"] = resources.split()
    out.update(extra)
    return out


def role(
    name: str,
    *rules: Mapping[str, Any],
    ns: str | None = None,
    labels: Mapping[str, str] | None = None,
    aggregate: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Role (with ns) or ClusterRole (without)."""
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    if labels:
        meta["labels"] = dict(labels)
    obj: dict[str, Any] = {
        "apiVersion": RBAC_V1,
        "kind": "Role" if ns else "ClusterRole",
        "metadata": meta,
        "rules": list(rules),
    }
    if aggregate is not None:
        obj["aggregationRule"] = {"clusterRoleSelectors": aggregate}
    return obj


def subject(text: str) -> dict[str, Any]:
    """`User:alice`, `Group:devs`, `ServiceAccount:ns:name` or `ServiceAccount::name` (no ns)."""
    kind, _, rest = text.partition(":")
    if kind == "ServiceAccount":
        ns, _, name = rest.partition(":")
        out: dict[str, Any] = {"kind": kind, "name": name}
        if ns:
            out["namespace"] = ns
        return out
    return {"kind": kind, "name": rest, "apiGroup": "rbac.authorization.k8s.io"}


def binding(name: str, role_ref: str, *subjects: str, ns: str | None = None) -> dict[str, Any]:
    """`binding("b", "ClusterRole/view", "User:alice", ns="a")`: RoleBinding when ns is given."""
    kind, _, role_name = role_ref.partition("/")
    meta: dict[str, Any] = {"name": name}
    if ns:
        meta["namespace"] = ns
    return {
        "apiVersion": RBAC_V1,
        "kind": "RoleBinding" if ns else "ClusterRoleBinding",
        "metadata": meta,
        "subjects": [subject(s) for s in subjects],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
    }


def state(objects: Iterable[Mapping[str, Any]]) -> KubernetesState:
    """A Kubernetes snapshot section holding exactly these objects."""
    return KubernetesState(
        provenance=Provenance(source="test"),
        resources=tuple(Resource.from_object(o) for o in objects),
    )
