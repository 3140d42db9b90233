"""The RBAC check types on small worlds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from regulens.engine import EvalContext, Policy, evaluate
from regulens.snapshot import CoverageGap, KubernetesState, Provenance, Snapshot
from tests.engine.checks.rbac_helpers import NOW, run, statuses
from tests.engine.rbac.world import binding, role, rule

READ_ONLY = {
    "type": "rbac-role-within",
    "role": {"kind": "Role", "namespace": "app", "name": "user"},
    "allow": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
}


def test_role_within_passes_and_fails_naming_excess() -> None:
    ok = run(READ_ONLY, [role("user", rule("get list", "pods"), ns="app")])
    assert statuses(ok) == ["pass"]
    bad = run(
        READ_ONLY, [role("user", rule("get delete", "pods"), rule("get", "secrets"), ns="app")]
    )
    assert statuses(bad) == ["fail"]
    assert bad[0].details["excess"] == [
        {"apiGroup": "", "resource": "pods", "verb": "delete"},
        {"apiGroup": "", "resource": "secrets", "verb": "get"},
    ]
    assert str(bad[0].resource) == "Role app/user"


def test_role_within_wildcard_is_not_covered_by_names() -> None:
    bad = run(READ_ONLY, [role("user", rule("*", "pods"), ns="app")])
    assert statuses(bad) == ["fail"]
    assert "* pods" in bad[0].message


def test_role_within_missing_role_fails() -> None:
    res = run(READ_ONLY, [role("user", rule("get", "pods"), ns="other")])
    assert statuses(res) == ["fail"]
    assert "does not exist" in res[0].message


def test_role_within_expands_aggregation() -> None:
    check = {**READ_ONLY, "role": {"kind": "ClusterRole", "name": "agg"}}
    objects = [
        role("agg", aggregate=[{"matchLabels": {"to": "agg"}}]),
        role("extra", rule("get", "secrets"), labels={"to": "agg"}),
    ]
    assert statuses(run(check, objects)) == ["fail"]


RESTRICTED = {
    "type": "rbac-permission-restricted",
    "permissions": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
    "namespaces": ["app"],
    "allow_roles": [{"kind": "ClusterRole", "name": "security-admin"}],
}
ADMIN = role("security-admin", rule("get list", "secrets"))
READER = role("secret-reader", rule("get", "secrets"))


@pytest.mark.parametrize(
    ("objects", "offenders"),
    [
        pytest.param(
            [ADMIN, binding("a", "ClusterRole/security-admin", "Group:sec")], [], id="allowed-role"
        ),
        pytest.param(
            [
                ADMIN,
                READER,
                binding("a", "ClusterRole/security-admin", "Group:sec"),
                binding("r", "ClusterRole/secret-reader", "Group:sec", ns="app"),
            ],
            [],
            id="subject-bound-to-allowed-role",
        ),
        pytest.param(
            [READER, binding("r", "ClusterRole/secret-reader", "User:eve", ns="app")],
            ["User eve"],
            id="rolebinding-in-scope",
        ),
        pytest.param(
            [READER, binding("r", "ClusterRole/secret-reader", "User:eve", ns="other")],
            [],
            id="rolebinding-out-of-scope",
        ),
        pytest.param(
            [READER, binding("r", "ClusterRole/secret-reader", "User:eve")],
            ["User eve"],
            id="clusterrolebinding-covers-namespace",
        ),
        pytest.param(
            [
                role("n", rule("get", "secrets", resourceNames=["tls"])),
                binding("r", "ClusterRole/n", "User:eve"),
            ],
            ["User eve"],
            id="resource-names-count",
        ),
        pytest.param(
            [
                READER,
                binding(
                    "r",
                    "ClusterRole/secret-reader",
                    "ServiceAccount:kube-system:ctl",
                    "User:system:kube-controller-manager",
                    "User:system:node:n1",
                    "Group:system:nodes",
                    "Group:system:masters",
                ),
            ],
            [],
            id="kubernetes-components-excluded",
        ),
        pytest.param(
            [
                READER,
                binding(
                    "r",
                    "ClusterRole/secret-reader",
                    "Group:system:authenticated",
                    "Group:system:serviceaccounts",
                    "Group:system:serviceaccounts:kube-system",
                ),
            ],
            [
                "Group system:authenticated",
                "Group system:serviceaccounts",
                "Group system:serviceaccounts:kube-system",
            ],
            id="broad-groups-never-excluded",
        ),
        pytest.param(
            [ADMIN, binding("a", "ClusterRole/security-admin", "Group:system:authenticated")],
            ["Group system:authenticated"],
            id="broad-group-not-allowed-by-role",
        ),
        pytest.param(
            [role("all", rule("*", "*", "*")), binding("r", "ClusterRole/all", "User:eve")],
            ["User eve"],
            id="wildcards",
        ),
        pytest.param(
            [binding("r", "ClusterRole/ghost", "User:eve")], [], id="missing-role-grants-nothing"
        ),
    ],
)
def test_permission_restricted(objects: list[dict[str, object]], offenders: list[str]) -> None:
    res = run(RESTRICTED, objects)
    failed = [r for r in res if r.status.value == "fail"]
    names = [f"{r.details['subject']['kind']} {r.details['subject']['name']}" for r in failed]
    assert names == offenders
    for r in failed:
        assert r.details["via"] and r.resource is not None
        assert r.details["subject"]["name"] in r.message
    if not offenders:
        assert statuses(res) == ["pass"]


def test_permission_restricted_reports_missing_roles() -> None:
    res = run(RESTRICTED, [binding("r", "ClusterRole/ghost", "User:eve")])
    assert res[0].details["missing_roles"] == [
        {"binding": "ClusterRoleBinding/r", "role": "ClusterRole/ghost"}
    ]


def test_exclusions_are_configurable_but_never_broad() -> None:
    objects = [READER, binding("r", "ClusterRole/secret-reader", "Group:system:masters")]
    assert statuses(run({**RESTRICTED, "exclude": []}, objects)) == ["fail"]
    for name in (
        "system:authenticated",
        "system:serviceaccounts*",
        "system:serviceaccounts:app",
        "*",
    ):
        with pytest.raises(ValidationError, match="broadest grants"):
            Policy.model_validate(
                {
                    "id": "p",
                    "title": "t",
                    "severity": "high",
                    "check": {**RESTRICTED, "exclude": [{"kind": "Group", "name": name}]},
                }
            )


def test_no_wildcards() -> None:
    objects = [
        role("ok", rule("get", "pods")),
        role("verbs", rule("*", "pods"), ns="app"),
        role("groups", rule("get", "pods", "*")),
        role(
            "cluster-admin",
            rule("*", "*", "*"),
            labels={"kubernetes.io/bootstrapping": "rbac-defaults"},
        ),
        role("system:thing", rule("*", "*", "*")),
    ]
    res = run({"type": "rbac-no-wildcards"}, objects)
    assert sorted((r.status.value, str(r.resource)) for r in res) == [
        ("fail", "ClusterRole groups"),
        ("fail", "Role app/verbs"),
        ("pass", "ClusterRole ok"),
    ]
    everything = run({"type": "rbac-no-wildcards", "include_system": True}, objects)
    assert statuses(everything).count("fail") == 4


def test_role_bindings_restricts_cluster_admin() -> None:
    check = {
        "type": "rbac-role-bindings",
        "role": {"kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "Group", "name": "system:masters"}],
    }
    objects = [
        binding("cluster-admin", "ClusterRole/cluster-admin", "Group:system:masters"),
        binding("tiller", "ClusterRole/cluster-admin", "ServiceAccount:kube-system:tiller"),
        binding("ns-admin", "ClusterRole/cluster-admin", "User:bob", ns="app"),
    ]
    res = run(check, objects)
    failed = sorted(
        (r.details["subject"]["name"], r.details["via"][0]["binding"])
        for r in res
        if r.status.value == "fail"
    )
    assert failed == [("bob", "RoleBinding/app/ns-admin"), ("tiller", "ClusterRoleBinding/tiller")]
    assert statuses(run(check, [])) == ["pass"]


ESCALATION = {"type": "rbac-escalation"}


@pytest.mark.parametrize(
    ("rules", "ns", "capability"),
    [
        ([rule("escalate", "clusterroles", "rbac.authorization.k8s.io")], None, "escalate"),
        ([rule("bind", "roles", "rbac.authorization.k8s.io")], "app", "bind"),
        ([rule("impersonate", "users")], None, "impersonate"),
        ([rule("patch", "rolebindings", "rbac.authorization.k8s.io")], "app", "write-bindings"),
        ([rule("create", "pods/exec")], "app", "pods-exec"),
        ([rule("list", "secrets")], None, "read-secrets-cluster-wide"),
        ([rule("create", "serviceaccounts/token")], "app", "create-serviceaccount-tokens"),
    ],
)
def test_escalation_paths(rules: list[dict[str, object]], ns: str | None, capability: str) -> None:
    objects = [role("r", *rules), binding("b", "ClusterRole/r", "User:eve", ns=ns)]
    res = run(ESCALATION, objects)
    assert statuses(res) == ["fail"]
    assert res[0].details["capabilities"] == [capability]
    assert res[0].details["subject"] == {"kind": "User", "name": "eve", "namespace": None}


def test_escalation_namespaced_secret_read_is_not_cluster_wide() -> None:
    objects = [
        role("r", rule("list", "secrets")),
        binding("b", "ClusterRole/r", "User:eve", ns="app"),
    ]
    assert statuses(run(ESCALATION, objects)) == ["pass"]


def test_escalation_cluster_admin_and_allow() -> None:
    objects = [
        role("cluster-admin", rule("get", "pods")),
        binding("b", "ClusterRole/cluster-admin", "User:eve", "Group:system:masters"),
    ]
    res = run(ESCALATION, objects)
    assert [r.details["subject"]["name"] for r in res] == ["eve"]
    assert res[0].details["capabilities"] == ["cluster-admin"]
    allowed = {**ESCALATION, "allow_subjects": [{"kind": "User", "name": "eve"}]}
    assert statuses(run(allowed, objects)) == ["pass"]


def test_rbac_checks_need_kubernetes_input() -> None:
    res = run(RESTRICTED, None)
    assert statuses(res) == ["error"]
    assert "--manifests" in res[0].message


def test_unreadable_rbac_kinds_are_an_error() -> None:
    state = KubernetesState(
        provenance=Provenance(source="test"),
        resources=(),
        gaps=(CoverageGap(kind="ClusterRoleBinding", reason="403 Forbidden"),),
    )
    policy = Policy.model_validate(
        {"id": "p", "title": "t", "severity": "high", "check": RESTRICTED}
    )
    [result] = evaluate([policy], Snapshot(kubernetes=state), EvalContext(now=NOW))
    assert result.status.value == "error"
    assert "ClusterRoleBinding" in result.message


def test_allowed_role_elsewhere_does_not_allow_here() -> None:
    objects = [
        ADMIN,
        READER,
        binding("a", "ClusterRole/security-admin", "Group:sec", ns="other"),
        binding("r", "ClusterRole/secret-reader", "Group:sec", ns="app"),
    ]
    res = run(RESTRICTED, objects)
    assert [r.details["subject"]["name"] for r in res] == ["sec"]
