"""Kubernetes' bootstrap RBAC (its own test data): answer who-can / can-i as a fresh cluster.

The expected answers come from a small oracle below that reads the raw YAML with
PyYAML and plain dictionary code (sharing nothing with `regulens.engine.rbac`),
plus the facts every fresh cluster shows: system:masters may do anything,
authenticated users get discovery, anonymous users only the public info, and
admin ⊇ edit ⊇ view through aggregation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from regulens.engine import EvalContext, Policy, decide, evaluate
from regulens.engine.rbac import (
    Identity,
    NonResourceRequest,
    ObjectKey,
    RbacIndex,
    Request,
    Subject,
    build_index,
)
from regulens.snapshot import Snapshot
from regulens.sources.manifests import read_manifests
from tests.engine.checks.rbac_helpers import NOW
from tests.support.components import component_missing

BOOTSTRAP = (
    Path(__file__).resolve().parents[3]
    / ".."
    / "shared"
    / "conformance"
    / "kubernetes-rbac-bootstrap"
)


@pytest.fixture(scope="module")
def raw() -> dict[str, list[dict[str, Any]]]:
    if not BOOTSTRAP.is_dir():
        component_missing(f"conformance data {BOOTSTRAP} is absent")
    out = {}
    for name in ("cluster-roles", "cluster-role-bindings"):
        doc = yaml.safe_load((BOOTSTRAP / f"{name}.yaml").read_text())
        out[name] = doc["items"]
    return out


@pytest.fixture(scope="module")
def index(raw: dict[str, list[dict[str, Any]]]) -> RbacIndex:
    state = read_manifests([str(BOOTSTRAP)])
    assert len(state.of_kind("ClusterRole")) == len(raw["cluster-roles"])
    assert len(state.of_kind("ClusterRoleBinding")) == len(raw["cluster-role-bindings"])
    return build_index(state)


# -- the oracle: plain dictionaries, the authorizer's rules written out once more ----------


def _oracle_rules(roles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each ClusterRole's rules after aggregation (acyclic here: resolve until stable)."""
    by_name = {r["metadata"]["name"]: r for r in roles}
    rules = {n: list(r.get("rules") or []) for n, r in by_name.items()}
    for _ in range(len(by_name)):
        for name, role in by_name.items():
            agg = role.get("aggregationRule")
            if not agg:
                continue
            union: list[dict[str, Any]] = []
            for sel in agg.get("clusterRoleSelectors") or []:
                want = sel.get("matchLabels") or {}
                for other, o in sorted(by_name.items()):
                    labels = o["metadata"].get("labels") or {}
                    if other != name and all(labels.get(k) == v for k, v in want.items()):
                        union += [r for r in rules[other] if r not in union]
            rules[name] = union
    return rules


def _grants(rule: dict[str, Any], req: tuple[str, ...]) -> bool:
    verbs = rule.get("verbs") or []
    if req[0] not in verbs and "*" not in verbs:
        return False
    if len(req) == 2:  # (verb, url)
        urls = rule.get("nonResourceURLs") or []
        return any(
            u in ("*", req[1]) or (u.endswith("*") and req[1].startswith(u[:-1])) for u in urls
        )
    _, group, resource = req
    groups, resources = rule.get("apiGroups") or [], rule.get("resources") or []
    if group not in groups and "*" not in groups:
        return False
    if rule.get("resourceNames"):
        return False
    sub = resource.partition("/")[2]
    return resource in resources or "*" in resources or bool(sub and f"*/{sub}" in resources)


def _subject(s: dict[str, Any]) -> Subject:
    return Subject(s["kind"], s["name"], s.get("namespace"))


def _oracle_who(raw: dict[str, list[dict[str, Any]]], req: tuple[str, ...]) -> set[Subject]:
    rules = _oracle_rules(raw["cluster-roles"])
    out: set[Subject] = set()
    for b in raw["cluster-role-bindings"]:
        role_rules = rules.get(b["roleRef"]["name"])
        if role_rules and any(_grants(r, req) for r in role_rules):
            out |= {_subject(s) for s in b.get("subjects") or []}
    return out


REQUESTS: list[tuple[str, ...]] = [
    ("get", "", "secrets"),
    ("list", "", "pods"),
    ("create", "", "pods/exec"),
    ("list", "", "endpoints"),
    ("list", "", "nodes"),
    ("watch", "", "services"),
    ("create", "", "events"),
    ("update", "apps", "deployments/scale"),
    ("get", "coordination.k8s.io", "leases"),
    ("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
    ("create", "rbac.authorization.k8s.io", "rolebindings"),
    ("get", "/api"),
    ("get", "/apis/apps/v1"),
    ("get", "/healthz"),
    ("get", "/version/"),
    ("get", "/metrics"),
    ("delete", "/logs"),
]


def _request(req: tuple[str, ...], namespace: str | None) -> Request | NonResourceRequest:
    if len(req) == 2:
        return NonResourceRequest(req[0], req[1])
    base, _, sub = req[2].partition("/")
    return Request(req[0], req[1], base, sub, "", namespace)


WHERE = [
    pytest.param(req, ns, id=" ".join(x or "core" for x in req) + f" -n {ns}")
    for req in REQUESTS
    for ns in ((None, "kube-system", "team-a") if len(req) == 3 else (None,))
]


@pytest.mark.parametrize(("req", "namespace"), WHERE)
def test_who_can_matches_the_oracle(
    raw: dict[str, list[dict[str, Any]]],
    index: RbacIndex,
    req: tuple[str, ...],
    namespace: str | None,
) -> None:
    grants = index.who_can(_request(req, namespace))
    assert {g.subject for g in grants if not g.names} == _oracle_who(raw, req)
    assert grants == sorted(grants, key=lambda g: g.subject.order)


def _can(index: RbacIndex, who: Subject, req: tuple[str, ...], ns: str | None = "team-a") -> bool:
    return bool(index.can(Identity.of(who), _request(req, ns if len(req) == 3 else None)))


MASTERS = Subject("Group", "system:masters")
ALICE = Subject("User", "alice")
ANONYMOUS = Subject("User", "system:anonymous")


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: " ".join(x or "core" for x in r))
def test_system_masters_can_do_everything(index: RbacIndex, req: tuple[str, ...]) -> None:
    via = index.can(Identity.of(MASTERS), _request(req, "team-a" if len(req) == 3 else None))
    # members of system:masters are authenticated too: cluster-admin is one path of several
    assert "ClusterRoleBinding/cluster-admin → ClusterRole/cluster-admin" in [str(v) for v in via]


def test_authenticated_users_get_discovery_and_basic_user_only(index: RbacIndex) -> None:
    for url in ("/api", "/api/v1", "/apis", "/apis/apps/v1", "/openapi/v2", "/version", "/livez"):
        assert _can(index, ALICE, ("get", url)), url
    assert _can(index, ALICE, ("create", "authorization.k8s.io", "selfsubjectaccessreviews"), None)
    assert _can(index, ALICE, ("create", "authentication.k8s.io", "selfsubjectreviews"), None)
    for req in [
        ("get", "", "secrets"),
        ("list", "", "pods"),
        ("get", "/metrics"),
        ("get", "/logs"),
    ]:
        assert not _can(index, ALICE, req), req
    # a service account is authenticated too
    bot = Subject("ServiceAccount", "bot", "team-a")
    assert _can(index, bot, ("get", "/apis")) and not _can(index, bot, ("get", "", "secrets"))


def test_anonymous_gets_public_info_but_not_discovery(index: RbacIndex) -> None:
    for url in ("/healthz", "/livez", "/readyz", "/version", "/version/"):
        assert _can(index, ANONYMOUS, ("get", url)), url
    for url in ("/api", "/apis", "/apis/apps/v1", "/openapi/v2"):
        assert not _can(index, ANONYMOUS, ("get", url)), url
    assert not _can(
        index, ANONYMOUS, ("create", "authorization.k8s.io", "selfsubjectaccessreviews"), None
    )
    unauthenticated = index.who_can(NonResourceRequest("get", "/api"))
    assert Subject("Group", "system:unauthenticated") not in {g.subject for g in unauthenticated}


def _breakdown(index: RbacIndex, name: str) -> set[tuple[str, str, str]]:
    role = index.roles[ObjectKey("ClusterRole", None, name)]
    return {
        (g, r, v)
        for rule in role.rules
        for g in rule.api_groups
        for r in rule.resources
        for v in rule.verbs
    }


def _oracle_breakdown(raw: dict[str, list[dict[str, Any]]], name: str) -> set[tuple[str, ...]]:
    return {
        (g, r, v)
        for rule in _oracle_rules(raw["cluster-roles"])[name]
        for g in rule.get("apiGroups") or []
        for r in rule.get("resources") or []
        for v in rule["verbs"]
    }


def test_admin_contains_edit_contains_view_through_aggregation(
    raw: dict[str, list[dict[str, Any]]], index: RbacIndex
) -> None:
    view, edit, admin = (_breakdown(index, n) for n in ("view", "edit", "admin"))
    assert view < edit < admin
    for name, got in (("view", view), ("edit", edit), ("admin", admin)):
        assert got == _oracle_breakdown(raw, name), name
        assert index.roles[ObjectKey("ClusterRole", None, name)].own_rules == ()  # rules: null
    assert view == _breakdown(index, "system:aggregate-to-view")
    assert edit == view | _breakdown(index, "system:aggregate-to-edit")
    assert admin == edit | _breakdown(index, "system:aggregate-to-admin")
    assert ("", "secrets", "get") not in view and ("", "secrets", "get") in edit
    assert ("rbac.authorization.k8s.io", "rolebindings", "create") not in edit
    assert ("rbac.authorization.k8s.io", "rolebindings", "create") in admin
    assert index.roles[ObjectKey("ClusterRole", None, "admin")].aggregated_from == (
        "edit",
        "system:aggregate-to-admin",
    )


def test_bound_to_view_edit_admin_in_one_namespace(raw: Any, tmp_path: Path) -> None:
    """RoleBindings to the aggregated roles grant their aggregated rules, there only."""
    bindings = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{user}-{role}"},  # placed in team-a, as kubectl apply -n
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "User", "name": user}],
        }
        for role, user in (("view", "v"), ("edit", "e"), ("admin", "a"))
    ]
    extra = tmp_path / "bindings.yaml"
    extra.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": bindings}))
    index = build_index(read_manifests([str(BOOTSTRAP), str(extra)], "team-a"))
    v, e, a = (Subject("User", n) for n in "vea")
    assert _can(index, v, ("list", "", "pods")) and not _can(index, v, ("get", "", "secrets"))
    assert _can(index, e, ("get", "", "secrets")) and _can(index, e, ("create", "", "pods/exec"))
    assert not _can(index, e, ("create", "rbac.authorization.k8s.io", "rolebindings"))
    assert _can(index, a, ("create", "rbac.authorization.k8s.io", "rolebindings"))
    for who in (v, e, a):
        assert not _can(index, who, ("list", "", "pods"), "kube-system")
        assert not _can(index, who, ("list", "", "pods"), None)


def _policy(i: int, check: dict[str, Any]) -> Policy:
    return Policy.model_validate({"id": f"p{i}", "title": "t", "severity": "high", "check": check})


CHECKS: list[dict[str, Any]] = [
    {"type": "rbac-no-wildcards"},  # Kubernetes' own roles are not judged by default
    {
        "type": "rbac-role-bindings",
        "role": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "system:masters"}],
    },
    {"type": "rbac-escalation"},
    {
        "type": "rbac-role-within",
        "role": {"kind": "ClusterRole", "name": "system:discovery"},
        "allow": [
            {
                "nonResourceURLs": ["/api*", "/apis/*", "/healthz", "/livez", "/readyz"],
                "verbs": ["get"],
            },
            {"nonResourceURLs": ["/openapi", "/openapi/*", "/version*"], "verbs": ["get"]},
        ],
    },
]


def test_the_rbac_checks_on_a_fresh_cluster(raw: dict[str, list[dict[str, Any]]]) -> None:
    snap = Snapshot(kubernetes=read_manifests([str(BOOTSTRAP)]))
    results = evaluate([_policy(i, c) for i, c in enumerate(CHECKS)], snap, EvalContext(now=NOW))
    by_policy = {r.policy: r.status.value for r in results}
    assert by_policy == {"p0": "skip", "p1": "pass", "p2": "pass", "p3": "pass"}
    # judging Kubernetes' own roles too, exactly the ones with a literal '*' fail
    strict = {"type": "rbac-no-wildcards", "include_system": True}
    results = evaluate([_policy(0, strict)], snap, EvalContext(now=NOW))
    failing = {r.details["role"] for r in results if r.status.value == "fail"}
    expected = {
        f"ClusterRole/{r['metadata']['name']}"
        for r in raw["cluster-roles"]
        if any(
            "*" in (rule.get(f) or [])
            for rule in r.get("rules") or []
            for f in ("verbs", "resources", "apiGroups")
        )
    }
    assert failing == expected and "ClusterRole/cluster-admin" in expected
    assert len(results) == len(raw["cluster-roles"])
    assert not decide(results).allowed
