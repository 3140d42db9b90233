"""Benchmark the RBAC engine on a generated cluster of N RBAC objects (default 50 000).

    .venv/bin/python -m bench.rbac_bench [N]

Prints the time to index the snapshot, to answer who-can and can-i, and to
evaluate the RBAC policies of builtin:ops-baseline. Speed is measured here,
never asserted in tests.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

from regulens.engine import EvalContext, evaluate
from regulens.engine.rbac import Identity, Request, Subject, build_index, rbac_index
from regulens.policies import load_policies
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot

RBAC = "rbac.authorization.k8s.io/v1"
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
RESOURCES = ["pods", "services", "configmaps", "secrets", "deployments", "jobs", "pods/log"]


def generate(total: int) -> list[dict[str, Any]]:
    """Per namespace: 4 Roles and 6 RoleBindings; plus ClusterRoles and bindings (~1/6)."""
    objects: list[dict[str, Any]] = []
    namespaces = max(1, total * 5 // 6 // 10)
    for n in range(namespaces):
        ns = f"team-{n}"
        for r in range(4):
            objects.append(
                {
                    "apiVersion": RBAC,
                    "kind": "Role",
                    "metadata": {"name": f"role-{r}", "namespace": ns},
                    "rules": [
                        {
                            "apiGroups": ["", "apps"],
                            "resources": [
                                RESOURCES[(n + r + k) % len(RESOURCES)] for k in range(3)
                            ],
                            "verbs": VERBS[: 1 + (n + r) % len(VERBS)],
                        }
                    ],
                }
            )
        for b in range(6):
            to_cluster = b == 5
            objects.append(
                {
                    "apiVersion": RBAC,
                    "kind": "RoleBinding",
                    "metadata": {"name": f"binding-{b}", "namespace": ns},
                    "subjects": [
                        {"kind": "User", "name": f"user-{(n * 7 + b) % 5000}"},
                        {"kind": "Group", "name": f"group-{(n + b) % 300}"},
                        {"kind": "ServiceAccount", "name": f"sa-{b}", "namespace": ns},
                    ],
                    "roleRef": {
                        "kind": "ClusterRole" if to_cluster else "Role",
                        "name": f"cluster-{n % 500}" if to_cluster else f"role-{b % 4}",
                    },
                }
            )
    cluster_roles = max(1, (total - len(objects)) // 2)
    for c in range(cluster_roles):
        labels = {"aggregate-to-view": "true"} if c % 50 == 0 else {}
        objects.append(
            {
                "apiVersion": RBAC,
                "kind": "ClusterRole",
                "metadata": {"name": f"cluster-{c}", "labels": labels},
                "rules": [
                    {
                        "apiGroups": [""],
                        "resources": [RESOURCES[c % len(RESOURCES)]],
                        "verbs": VERBS[: 1 + c % len(VERBS)],
                    }
                ],
            }
        )
    objects.append(
        {
            "apiVersion": RBAC,
            "kind": "ClusterRole",
            "metadata": {"name": "view"},
            "aggregationRule": {
                "clusterRoleSelectors": [{"matchLabels": {"aggregate-to-view": "true"}}]
            },
        }
    )
    for c in range(total - len(objects)):
        objects.append(
            {
                "apiVersion": RBAC,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"crb-{c}"},
                "subjects": [{"kind": "Group", "name": f"group-{c % 300}"}],
                "roleRef": {
                    "kind": "ClusterRole",
                    "name": "view" if c % 97 == 0 else f"cluster-{c % cluster_roles}",
                },
            }
        )
    return objects


def timed(label: str, func: Any) -> Any:
    start = time.perf_counter()
    value = func()
    print(f"{label:<48} {time.perf_counter() - start:8.3f} s")
    return value


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    objects = generate(total)
    print(f"{len(objects)} RBAC objects")
    state = timed(
        "snapshot (wrap objects)",
        lambda: KubernetesState(
            provenance=Provenance(source="bench"),
            resources=tuple(Resource.from_object(o) for o in objects),
        ),
    )
    index = timed("index (first build, cached)", lambda: rbac_index(state))
    timed("index (cached lookup)", lambda: rbac_index(state))
    print(
        f"  {len(index.roles)} roles, {len(index.bindings)} bindings, "
        f"{len(index.missing_roles)} bindings to missing roles"
    )
    grants = timed(
        "who-can get secrets -n team-3",
        lambda: index.who_can(Request("get", "", "secrets", namespace="team-3")),
    )
    print(f"  {len(grants)} subjects")
    timed("who-can list pods (cluster-wide)", lambda: index.who_can(Request("list", "", "pods")))
    who = Identity.of(Subject("ServiceAccount", "sa-1", "team-3"))
    timed(
        "can-i sa-1 get pods -n team-3",
        lambda: index.can(who, Request("get", "", "pods", namespace="team-3")),
    )
    policies = [
        p for p in load_policies(["builtin:ops-baseline"]).policies if p.id.startswith("rbac-")
    ]
    snap = Snapshot(kubernetes=state)
    results = timed(
        f"evaluate {len(policies)} rbac-* policies (index cached)",
        lambda: evaluate(policies, snap, EvalContext(now=datetime.now(UTC))),
    )
    print(f"  {len(results)} results")
    timed("build_index again (uncached)", lambda: build_index(state))


if __name__ == "__main__":
    main()
