"""RBAC semantics as the API server applies them (issue 12): identity keys, RoleBinding scope,
aggregation, coverage wildcard forms, anonymous, and who-can over resourceNames."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine.rbac import Identity, ObjectKey, Request, Subject, build_index
from regulens.engine.rbac.params import AllowRule
from tests.engine.checks.rbac_helpers import run, statuses
from tests.engine.rbac.test_properties import worlds
from tests.engine.rbac.world import binding, role, rule, state

RBAC_V1 = "rbac.authorization.k8s.io/v1"


def namespaceless_role(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    """A Role as shipped in an install.yaml applied with `kubectl apply -n`: no namespace."""
    return {"apiVersion": RBAC_V1, "kind": "Role", "metadata": {"name": name}, "rules": list(rules)}


def namespaceless_binding(name: str, role_ref: str, *subjects: dict[str, Any]) -> dict[str, Any]:
    kind, _, role_name = role_ref.partition("/")
    return {
        "apiVersion": RBAC_V1,
        "kind": "RoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
        "subjects": list(subjects),
    }


WILD = rule("*", "secrets")
MIXED: list[dict[str, Any]] = [
    namespaceless_role("r", WILD),
    role("r", WILD, ns="a"),
    role("r", WILD),
    namespaceless_binding("b", "Role/r", {"kind": "ServiceAccount", "name": "bot"}),
    namespaceless_binding("b", "ClusterRole/r", {"kind": "User", "name": "eve"}),
    binding("b", "Role/r", "ServiceAccount::bot", "User:eve", ns="a"),
    binding("b", "ClusterRole/r", "User:eve", "ServiceAccount:a:bot"),
]

EVERY_RBAC_CHECK: list[dict[str, Any]] = [
    {"type": "rbac-no-wildcards"},
    {"type": "rbac-escalation"},
    {
        "type": "rbac-permission-restricted",
        "permissions": [{"resources": ["secrets"], "verbs": ["get"]}],
    },
    {
        "type": "rbac-permission-restricted",
        "permissions": [{"resources": ["secrets"], "verbs": ["get"]}],
        "namespaces": ["a"],
    },
    {"type": "rbac-role-bindings", "role": {"kind": "ClusterRole", "name": "r"}},
    {"type": "rbac-role-bindings", "role": {"kind": "Role", "namespace": "a", "name": "r"}},
    {
        "type": "rbac-role-within",
        "role": {"kind": "Role", "namespace": "a", "name": "r"},
        "allow": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
    },
]


@pytest.mark.parametrize("check", EVERY_RBAC_CHECK, ids=lambda c: str(c["type"]))
def test_mixed_namespaced_and_namespaceless_objects_never_crash_a_check(
    check: dict[str, Any],
) -> None:
    for order in (MIXED, MIXED[::-1]):
        results = run(check, order)
        assert results and "error" not in statuses(results)
        assert "fail" in statuses(results)  # every check here sees a wildcard or a grant


def test_no_wildcards_names_both_roles_named_r() -> None:
    results = run({"type": "rbac-no-wildcards"}, MIXED)
    assert [r.details["role"] for r in results] == ["ClusterRole/r", "Role/r", "Role/a/r"]


def test_identity_keys_and_subjects_sort_without_namespace() -> None:
    keys = [ObjectKey("Role", "a", "r"), ObjectKey("Role", None, "r"), ObjectKey("Role", "", "q")]
    assert sorted(keys)[0] == ObjectKey("Role", None, "r")
    subjects = [Subject("ServiceAccount", "bot", "a"), Subject("ServiceAccount", "bot")]
    assert sorted(subjects) == [Subject("ServiceAccount", "bot"), subjects[0]]
    index = build_index(state(MIXED))
    assert sorted(index.roles) == sorted(index.roles, key=lambda k: k.order)
    assert [str(k) for k in sorted(index.roles)] == ["ClusterRole/r", "Role/r", "Role/a/r"]


SECRET_READER = role("secret-reader", rule("get list", "secrets"))
ALICE = Identity.of(Subject("User", "alice"))


def test_rolebinding_without_namespace_grants_nowhere() -> None:
    objects = [
        SECRET_READER,
        namespaceless_binding("b", "ClusterRole/secret-reader", {"kind": "User", "name": "alice"}),
    ]
    index = build_index(state(objects))
    assert not index.can(ALICE, Request("get", "", "secrets", namespace="x"))
    assert not index.can(ALICE, Request("get", "", "secrets"))
    assert not index.who_can(Request("get", "", "secrets"))
    escalation = run({"type": "rbac-escalation"}, objects)
    assert statuses(escalation) == ["pass"]


def test_rolebinding_grants_only_in_its_namespace_and_defaults_sa_namespace() -> None:
    objects = [
        SECRET_READER,
        binding("b", "ClusterRole/secret-reader", "ServiceAccount::dex", ns="argocd"),
    ]
    index = build_index(state(objects))
    dex = Identity.of(Subject("ServiceAccount", "dex", "argocd"))
    assert index.can(dex, Request("get", "", "secrets", namespace="argocd"))
    assert not index.can(dex, Request("get", "", "secrets", namespace="default"))
    assert not index.can(dex, Request("get", "", "secrets"))


def _rules_of(objects: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    entry = build_index(state(objects)).roles[ObjectKey("ClusterRole", None, name)]
    return [r.to_json() for r in entry.rules]


def test_aggregation_replaces_the_aggregated_roles_own_rules() -> None:
    objects = [
        role("agg", rule("get", "secrets"), aggregate=[{"matchLabels": {"to": "agg"}}]),
        role("pods", rule("get", "pods"), labels={"to": "agg"}),
    ]
    assert _rules_of(objects, "agg") == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    ]
    index = build_index(state([*objects, binding("b", "ClusterRole/agg", "User:alice")]))
    assert not index.can(ALICE, Request("get", "", "secrets", namespace="x"))
    assert index.can(ALICE, Request("get", "", "pods", namespace="x"))


def test_aggregation_selecting_nothing_leaves_no_rules() -> None:
    objects = [role("agg", rule("get", "secrets"), aggregate=[{"matchLabels": {"to": "none"}}])]
    assert _rules_of(objects, "agg") == []
    objects = [{**objects[0], "aggregationRule": {}}]
    assert _rules_of(objects, "agg") == []


def test_aggregation_chain_uses_aggregated_rules_and_is_order_independent() -> None:
    objects = [
        role("admin", rule("delete", "stale"), aggregate=[{"matchLabels": {"to": "admin"}}]),
        role(
            "edit",
            rule("update", "stale"),
            labels={"to": "admin"},
            aggregate=[{"matchLabels": {"to": "edit"}}],
        ),
        role(
            "view",
            rule("watch", "stale"),
            labels={"to": "edit"},
            aggregate=[{"matchLabels": {"to": "view"}}],
        ),
        role("a-view", rule("get", "pods"), labels={"to": "view"}),
        role("a-edit", rule("update", "pods"), labels={"to": "edit"}),
        role(
            "a-admin",
            rule("create", "rolebindings", "rbac.authorization.k8s.io"),
            labels={"to": "admin"},
        ),
    ]
    expected = _rules_of(objects, "admin")
    assert expected == [
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["rolebindings"],
            "verbs": ["create"],
        },
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
    ]
    rng = random.Random(12)
    for _ in range(10):
        shuffled = objects[:]
        rng.shuffle(shuffled)
        assert _rules_of(shuffled, "admin") == expected
        assert _rules_of(shuffled, "view") == [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
        ]


def test_aggregation_cycle_members_share_their_rules_and_what_they_select() -> None:
    objects = [
        role("x", rule("get", "xs"), labels={"l": "x"}, aggregate=[{"matchLabels": {"l": "y"}}]),
        role("y", rule("get", "ys"), labels={"l": "y"}, aggregate=[{"matchLabels": {"l": "x"}}]),
        role("leaf", rule("get", "leaves"), labels={"l": "y"}),
        role(
            "self", rule("get", "own"), labels={"l": "s"}, aggregate=[{"matchLabels": {"l": "s"}}]
        ),
    ]
    x = {tuple(r["resources"]) for r in _rules_of(objects, "x")}
    assert x == {("xs",), ("ys",), ("leaves",)}
    assert {tuple(r["resources"]) for r in _rules_of(objects, "y")} == x
    # an aggregated role never selects itself: selecting only itself leaves it empty
    assert _rules_of(objects, "self") == []


def test_aggregation_of_a_long_chain_does_not_recurse() -> None:
    objects = [role("r0", rule("get", "pods"), labels={"to": "r1"})]
    for i in range(1, 3000):
        objects.append(
            role(f"r{i}", labels={"to": f"r{i + 1}"}, aggregate=[{"matchLabels": {"to": f"r{i}"}}])
        )
    objects.reverse()  # the last role first: resolving it walks the whole chain
    assert _rules_of(objects, "r2999") == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    ]


def _allow(**fields: Any) -> AllowRule:
    return AllowRule.model_validate(fields)


@pytest.mark.parametrize(
    ("allow", "args", "covered"),
    [
        (
            {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]},
            ("apps", "deployments/scale", "get"),
            True,
        ),
        (
            {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]},
            ("apps", "deployments", "get"),
            False,
        ),
        (
            {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get"]},
            ("apps", "deployments/status", "get"),
            False,
        ),
        (
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"]},
            ("apps", "*", "get"),
            False,
        ),
        (
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]},
            ("", "secrets", "get", "a"),
            True,
        ),
        (
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]},
            ("", "secrets", "get", "b"),
            False,
        ),
        (
            {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["a"], "verbs": ["get"]},
            ("", "secrets", "get"),
            False,
        ),
        (
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
            ("", "secrets", "get", "a"),
            True,
        ),
    ],
)
def test_allow_rule_covers_like_kubernetes(
    allow: dict[str, Any], args: tuple[Any, ...], covered: bool
) -> None:
    assert _allow(**allow).covers(*args) is covered


@pytest.mark.parametrize(
    ("allowed", "url", "covered"),
    [
        ("/apis/*", "/apis/v1/foo", True),
        ("/apis/*", "/apis/*", True),
        ("/apis/*", "/api", False),
        ("/apis/*", "/*", False),
        ("/healthz", "/healthz/ping", False),
        ("*", "/anything", True),
    ],
)
def test_allow_rule_covers_non_resource_urls(allowed: str, url: str, covered: bool) -> None:
    assert _allow(nonResourceURLs=[allowed], verbs=["get"]).covers_url(url, "get") is covered


def test_allow_rule_resource_names_need_resources() -> None:
    with pytest.raises(ValueError, match="resourceNames"):
        _allow(resourceNames=["a"], verbs=["get"])


def test_role_within_honours_scale_urls_and_resource_names() -> None:
    check = {
        "type": "rbac-role-within",
        "role": {"kind": "ClusterRole", "name": "r"},
        "allow": [
            {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["get", "update"]},
            {"nonResourceURLs": ["/apis/*"], "verbs": ["get"]},
            {
                "apiGroups": [""],
                "resources": ["configmaps"],
                "resourceNames": ["cfg"],
                "verbs": ["get"],
            },
        ],
    }
    ok = role(
        "r",
        rule("get update", "deployments/scale statefulsets/scale", "apps"),
        {"nonResourceURLs": ["/apis/v1/foo", "/apis/*"], "verbs": ["get"]},
        rule("get", "configmaps", resourceNames=["cfg"]),
    )
    assert statuses(run(check, [ok])) == ["pass"]
    bad = role(
        "r",
        rule("get", "deployments", "apps"),
        {"nonResourceURLs": ["/api"], "verbs": ["get"]},
        rule("get", "configmaps", resourceNames=["cfg", "other"]),
        rule("get", "configmaps"),
    )
    [result] = run(check, [bad])
    assert result.status.value == "fail"
    assert result.details["excess"] == [
        {"apiGroup": "apps", "resource": "deployments", "verb": "get"},
        {"nonResourceURL": "/api", "verb": "get"},
        {"apiGroup": "", "resource": "configmaps", "verb": "get", "resourceName": "other"},
        {"apiGroup": "", "resource": "configmaps", "verb": "get"},
    ]
    assert "get configmaps named other" in result.message


DISCOVERY = role("discovery", {"nonResourceURLs": ["/api", "/apis"], "verbs": ["get"]})


@pytest.mark.parametrize(
    ("group", "anonymous_allowed"),
    [("system:authenticated", False), ("system:unauthenticated", True)],
)
def test_anonymous_is_unauthenticated_only(group: str, anonymous_allowed: bool) -> None:
    index = build_index(state([DISCOVERY, binding("b", "ClusterRole/discovery", f"Group:{group}")]))
    anonymous = Identity.of(Subject("User", "system:anonymous"))
    assert anonymous.groups == frozenset({"system:unauthenticated"})
    from regulens.engine.rbac import NonResourceRequest

    assert bool(index.can(anonymous, NonResourceRequest("get", "/api"))) is anonymous_allowed
    assert bool(index.can(ALICE, NonResourceRequest("get", "/api"))) is (not anonymous_allowed)


def test_who_can_lists_subjects_limited_to_named_objects() -> None:
    objects = [
        SECRET_READER,
        role("one-secret", rule("get", "secrets", resourceNames=["db-pass", "api-key"]), ns="x"),
        role("other-secret", rule("get", "secrets", resourceNames=["tls"]), ns="x"),
        binding("full", "ClusterRole/secret-reader", "User:alice"),
        binding("named", "Role/one-secret", "User:bob", "User:alice", ns="x"),
        binding("named2", "Role/other-secret", "User:bob", ns="x"),
    ]
    index = build_index(state(objects))
    grants = index.who_can(Request("get", "", "secrets", namespace="x"))
    by_name = {g.subject.name: g for g in grants}
    assert set(by_name) == {"alice", "bob"}
    assert by_name["alice"].names == ()
    assert by_name["bob"].names == ("api-key", "db-pass", "tls")
    assert by_name["bob"].to_json()["resourceNames"] == ["api-key", "db-pass", "tls"]
    assert "resourceNames" not in by_name["alice"].to_json()
    bob = Identity.of(Subject("User", "bob"))
    # can-i keeps Kubernetes' answer: no without a name, yes for a named one
    assert not index.can(bob, Request("get", "", "secrets", namespace="x"))
    assert index.can(bob, Request("get", "", "secrets", name="tls", namespace="x"))
    named = index.who_can(Request("get", "", "secrets", name="db-pass", namespace="x"))
    assert {(g.subject.name, g.names) for g in named} == {("alice", ()), ("bob", ())}
    # elsewhere the namespaced Roles grant nothing
    elsewhere = index.who_can(Request("get", "", "secrets", namespace="y"))
    assert [g.subject.name for g in elsewhere] == ["alice"]


@st.composite
def mixed_worlds(draw: Any) -> list[dict[str, Any]]:
    """Worlds where any Role or RoleBinding may have lost its namespace."""
    objects = []
    for obj in draw(worlds()):
        meta = obj["metadata"]
        if obj["kind"] in ("Role", "RoleBinding") and draw(st.booleans()):
            meta = {k: v for k, v in meta.items() if k != "namespace"}
        objects.append({**obj, "metadata": meta})
    return objects


def _verdicts(results: list[Any]) -> list[tuple[str, str, str]]:
    """Which role or subject got which status (paths are listed in input order)."""
    return sorted(
        (r.status.value, str(r.details.get("role", "")), str(r.details.get("subject", "")))
        for r in results
    )


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    return (obj["kind"], obj["metadata"].get("namespace") or "", obj["metadata"]["name"])


@settings(max_examples=40, deadline=None)
@given(mixed_worlds())
def test_every_check_is_total_and_order_independent_on_mixed_worlds(
    objects: list[dict[str, Any]],
) -> None:
    unique = len({_identity(o) for o in objects}) == len(objects)
    for check in EVERY_RBAC_CHECK:
        results = run(check, objects)
        assert results and "error" not in statuses(results)
        if unique:  # with duplicate identities the last object wins, as with kubectl apply
            again = run(check, objects[::-1])
            assert _verdicts(again) == _verdicts(results)
    index = build_index(state(objects))
    for req in (Request("get", "", "secrets"), Request("get", "", "secrets", namespace="a")):
        grants = index.who_can(req)
        assert grants == sorted(grants, key=lambda g: g.subject.order)
