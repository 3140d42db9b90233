"""Table-driven cases for every RBAC semantic the engine implements."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine.rbac import (
    Identity,
    NonResourceRequest,
    Request,
    Subject,
    build_index,
    rbac_index,
)
from tests.engine.rbac.world import binding, role, rule, state

POD_READER = role("pod-reader", rule("get list", "pods"))
NS_POD_READER = role("pod-reader", rule("get list", "pods"), ns="a")

# (id, objects, subject, verb, resource, namespace, name, allowed)
CASES: list[tuple[str, list[dict[str, Any]], str, str, str, str | None, str, bool]] = [
    (
        "crb-grants-in-any-namespace",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice")],
        "user:alice",
        "get",
        "pods",
        "zz",
        "",
        True,
    ),
    (
        "crb-grants-cluster-wide",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice")],
        "user:alice",
        "list",
        "pods",
        None,
        "",
        True,
    ),
    (
        "verb-not-granted",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice")],
        "user:alice",
        "delete",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "other-user-not-granted",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice")],
        "user:bob",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "rb-to-clusterrole-in-its-namespace",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice", ns="a")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "rb-to-clusterrole-not-other-namespace",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice", ns="a")],
        "user:alice",
        "get",
        "pods",
        "b",
        "",
        False,
    ),
    (
        "rb-to-clusterrole-not-cluster-wide",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:alice", ns="a")],
        "user:alice",
        "list",
        "pods",
        None,
        "",
        False,
    ),
    (
        "rb-to-role-in-namespace",
        [NS_POD_READER, binding("b", "Role/pod-reader", "User:alice", ns="a")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "rb-to-role-of-other-namespace-is-missing",
        [NS_POD_READER, binding("b", "Role/pod-reader", "User:alice", ns="b")],
        "user:alice",
        "get",
        "pods",
        "b",
        "",
        False,
    ),
    (
        "group-member",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:devs")],
        "group:devs",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "user-not-in-group",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:devs")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "sa-direct",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "ServiceAccount:a:bot")],
        "serviceaccount:a:bot",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "sa-other-namespace-same-name",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "ServiceAccount:a:bot")],
        "serviceaccount:b:bot",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "sa-namespace-defaults-to-rolebinding",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "ServiceAccount::bot", ns="a")],
        "system:serviceaccount:a:bot",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "sa-as-user-subject",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "User:system:serviceaccount:a:bot")],
        "serviceaccount:a:bot",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "all-serviceaccounts-group",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:serviceaccounts")],
        "serviceaccount:x:any",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "all-serviceaccounts-not-users",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:serviceaccounts")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "namespace-serviceaccounts-group",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:serviceaccounts:a")],
        "serviceaccount:a:any",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "namespace-serviceaccounts-group-other-ns",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:serviceaccounts:a")],
        "serviceaccount:b:any",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "authenticated-users",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:authenticated")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "authenticated-serviceaccounts",
        [POD_READER, binding("b", "ClusterRole/pod-reader", "Group:system:authenticated")],
        "serviceaccount:a:bot",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "aggregated-clusterrole",
        [
            role("view", aggregate=[{"matchLabels": {"agg-view": "true"}}]),
            role("pods-view", rule("get", "pods"), labels={"agg-view": "true"}),
            role("unlabelled", rule("get", "secrets")),
            binding("b", "ClusterRole/view", "User:alice"),
        ],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "aggregation-ignores-unselected",
        [
            role("view", aggregate=[{"matchLabels": {"agg-view": "true"}}]),
            role("pods-view", rule("get", "pods"), labels={"agg-view": "true"}),
            role("unlabelled", rule("get", "secrets")),
            binding("b", "ClusterRole/view", "User:alice"),
        ],
        "user:alice",
        "get",
        "secrets",
        "a",
        "",
        False,
    ),
    (
        "aggregation-is-transitive",
        [
            role("admin", aggregate=[{"matchLabels": {"agg-admin": "true"}}]),
            role(
                "edit",
                labels={"agg-admin": "true"},
                aggregate=[{"matchLabels": {"agg-edit": "true"}}],
            ),
            role("deploy-edit", rule("patch", "deployments", "apps"), labels={"agg-edit": "true"}),
            binding("b", "ClusterRole/admin", "User:alice"),
        ],
        "user:alice",
        "patch",
        "deployments.apps",
        "a",
        "",
        True,
    ),
    (
        "aggregation-match-expressions",
        [
            role(
                "view",
                aggregate=[
                    {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]}
                ],
            ),
            role("cm-view", rule("get", "configmaps"), labels={"tier": "x"}),
            binding("b", "ClusterRole/view", "User:alice"),
        ],
        "user:alice",
        "get",
        "configmaps",
        "a",
        "",
        True,
    ),
    (
        "wildcard-verbs",
        [role("r", rule("*", "pods")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "deletecollection",
        "pods",
        "a",
        "",
        True,
    ),
    (
        "wildcard-resources",
        [role("r", rule("get", "*")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "get",
        "secrets",
        "a",
        "",
        True,
    ),
    (
        "wildcard-resources-core-only",
        [role("r", rule("get", "*")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "get",
        "deployments.apps",
        "a",
        "",
        False,
    ),
    (
        "wildcard-groups",
        [role("r", rule("get", "deployments", "*")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "get",
        "deployments.apps",
        "a",
        "",
        True,
    ),
    (
        "group-must-match",
        [
            role("r", rule("get", "deployments", "apps")),
            binding("b", "ClusterRole/r", "User:alice"),
        ],
        "user:alice",
        "get",
        "deployments",
        "a",
        "",
        False,
    ),
    (
        "resource-names-named",
        [
            role("r", rule("get", "secrets", resourceNames=["tls"])),
            binding("b", "ClusterRole/r", "User:alice"),
        ],
        "user:alice",
        "get",
        "secrets",
        "a",
        "tls",
        True,
    ),
    (
        "resource-names-other-name",
        [
            role("r", rule("get", "secrets", resourceNames=["tls"])),
            binding("b", "ClusterRole/r", "User:alice"),
        ],
        "user:alice",
        "get",
        "secrets",
        "a",
        "db",
        False,
    ),
    (
        "resource-names-no-name",
        [
            role("r", rule("list", "secrets", resourceNames=["tls"])),
            binding("b", "ClusterRole/r", "User:alice"),
        ],
        "user:alice",
        "list",
        "secrets",
        "a",
        "",
        False,
    ),
    (
        "subresource-not-in-resource",
        [role("r", rule("create", "pods")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "create",
        "pods/exec",
        "a",
        "",
        False,
    ),
    (
        "subresource-exec",
        [role("r", rule("create", "pods/exec")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "create",
        "pods/exec",
        "a",
        "",
        True,
    ),
    (
        "subresource-log",
        [role("r", rule("get", "pods/log")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "get",
        "pods/log",
        "a",
        "",
        True,
    ),
    (
        "subresource-sa-token",
        [
            role("r", rule("create", "serviceaccounts/token")),
            binding("b", "ClusterRole/r", "User:alice"),
        ],
        "user:alice",
        "create",
        "serviceaccounts/token",
        "a",
        "",
        True,
    ),
    (
        "subresource-does-not-grant-resource",
        [role("r", rule("get", "pods/log")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
    (
        "subresource-star-slash",
        [role("r", rule("update", "*/scale", "apps")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "update",
        "deployments.apps/scale",
        "a",
        "",
        True,
    ),
    (
        "wildcard-covers-subresource",
        [role("r", rule("create", "*")), binding("b", "ClusterRole/r", "User:alice")],
        "user:alice",
        "create",
        "pods/exec",
        "a",
        "",
        True,
    ),
    (
        "missing-clusterrole-grants-nothing",
        [binding("b", "ClusterRole/ghost", "User:alice")],
        "user:alice",
        "get",
        "pods",
        "a",
        "",
        False,
    ),
]


@pytest.mark.parametrize(
    ("objects", "who", "verb", "resource", "namespace", "name", "allowed"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_can(
    objects: list[dict[str, Any]],
    who: str,
    verb: str,
    resource: str,
    namespace: str | None,
    name: str,
    allowed: bool,
) -> None:
    index = build_index(state(objects))
    subject = Subject.parse(who)
    req = Request.parse(verb, resource, namespace, name)
    via = index.can(Identity.of(subject), req)
    assert bool(via) is allowed
    # who-can agrees: some binding subject it lists applies to this identity
    holders = index.who_can(req)
    assert any(Identity.of(subject).matches(g.subject) for g in holders if not g.names) is allowed


NON_RESOURCE = [
    role("metrics", {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}),
    role("health", {"nonResourceURLs": ["/healthz/*"], "verbs": ["get"]}),
]


@pytest.mark.parametrize(
    ("binds", "path", "allowed"),
    [
        pytest.param(
            [binding("b", "ClusterRole/metrics", "User:alice")], "/metrics", True, id="exact"
        ),
        pytest.param(
            [binding("b", "ClusterRole/metrics", "User:alice")],
            "/metrics/x",
            False,
            id="exact-only",
        ),
        pytest.param(
            [binding("b", "ClusterRole/health", "User:alice")], "/healthz/etcd", True, id="prefix"
        ),
        pytest.param(
            [binding("b", "ClusterRole/health", "User:alice")], "/livez", False, id="prefix-other"
        ),
        pytest.param(
            [binding("b", "ClusterRole/metrics", "User:alice", ns="a")],
            "/metrics",
            False,
            id="rolebinding-grants-no-urls",
        ),
    ],
)
def test_non_resource_urls(binds: list[dict[str, Any]], path: str, allowed: bool) -> None:
    index = build_index(state([*NON_RESOURCE, *binds]))
    via = index.can(Identity.of(Subject("User", "alice")), NonResourceRequest("get", path))
    assert bool(via) is allowed


def test_resource_rule_grants_no_url_and_url_rule_no_resource() -> None:
    index = build_index(
        state(
            [
                *NON_RESOURCE,
                role("r", rule("get", "*", "*")),
                binding("b", "ClusterRole/r", "User:a"),
                binding("m", "ClusterRole/metrics", "User:m"),
            ]
        )
    )
    assert not index.can(Identity.of(Subject("User", "a")), NonResourceRequest("get", "/metrics"))
    assert not index.can(Identity.of(Subject("User", "m")), Request("get", "", "metrics"))


def test_missing_roles_are_reported() -> None:
    index = build_index(
        state(
            [
                POD_READER,
                binding("ok", "ClusterRole/pod-reader", "User:a"),
                binding("ghost", "ClusterRole/ghost", "User:a"),
                binding("ghost-role", "Role/nope", "User:a", ns="x"),
            ]
        )
    )
    assert sorted(str(b.key) for b in index.missing_roles) == [
        "ClusterRoleBinding/ghost",
        "RoleBinding/x/ghost-role",
    ]
    assert sorted(str(b.role_key) for b in index.missing_roles) == [
        "ClusterRole/ghost",
        "Role/x/nope",
    ]


def test_via_names_binding_and_role() -> None:
    index = build_index(
        state(
            [
                NS_POD_READER,
                POD_READER,
                binding("rb", "Role/pod-reader", "Group:devs", ns="a"),
                binding("crb", "ClusterRole/pod-reader", "Group:devs"),
            ]
        )
    )
    [grant] = index.who_can(Request("get", "", "pods", namespace="a"))
    assert grant.to_json() == {
        "kind": "Group",
        "name": "devs",
        "namespace": None,
        "via": [
            {"binding": "RoleBinding/a/rb", "role": "Role/a/pod-reader"},
            {"binding": "ClusterRoleBinding/crb", "role": "ClusterRole/pod-reader"},
        ],
    }


def test_index_is_built_once_per_snapshot() -> None:
    snap = state([POD_READER])
    assert rbac_index(snap) is rbac_index(snap)
    assert rbac_index(state([POD_READER])) is not rbac_index(snap)


def test_aggregation_cycle_terminates() -> None:
    index = build_index(
        state(
            [
                role(
                    "x",
                    rule("get", "pods"),
                    labels={"l": "x"},
                    aggregate=[{"matchLabels": {"l": "y"}}],
                ),
                role(
                    "y",
                    rule("get", "secrets"),
                    labels={"l": "y"},
                    aggregate=[{"matchLabels": {"l": "x"}}],
                ),
                binding("b", "ClusterRole/x", "User:a"),
            ]
        )
    )
    assert index.can(
        Identity.of(Subject("User", "a")), Request("get", "", "secrets", namespace="n")
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user:alice", Subject("User", "alice")),
        ("group:system:masters", Subject("Group", "system:masters")),
        ("serviceaccount:ns:bot", Subject("ServiceAccount", "bot", "ns")),
        ("system:serviceaccount:ns:bot", Subject("ServiceAccount", "bot", "ns")),
    ],
)
def test_subject_parse(text: str, expected: Subject) -> None:
    assert Subject.parse(text) == expected


@pytest.mark.parametrize(
    "text", ["alice", "robot:x", "serviceaccount:ns", "system:serviceaccount:ns"]
)
def test_subject_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        Subject.parse(text)


def test_build_index_restores_the_garbage_collector() -> None:
    import gc

    assert gc.isenabled()
    build_index(state([POD_READER]))
    assert gc.isenabled()
    gc.disable()
    try:
        build_index(state([POD_READER]))
        assert not gc.isenabled()
    finally:
        gc.enable()
