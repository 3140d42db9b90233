"""The API server's audit semantics: first match, levels, stages, and `reach` over all users."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine.audit.policy import AuditPolicy, AuditRequest, Level, decide, reach


def policy(*rules: dict[str, Any], **top: Any) -> AuditPolicy:
    return AuditPolicy.model_validate(
        {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": list(rules), **top}
    )


def req(verb: str = "get", resource: str = "secrets", **kw: Any) -> AuditRequest:
    fields: dict[str, Any] = {"user": "alice", "groups": frozenset({"system:authenticated"})}
    fields.update(kw)
    return AuditRequest(verb=verb, resource=resource, **fields)


SECRETS = {"group": "", "resources": ["secrets"]}

# (id, rules, request, expected level, expected rule index)
FIRST_MATCH = [
    (
        "first-rule-wins",
        [{"level": "Metadata", "resources": [SECRETS]}, {"level": "None"}],
        req(),
        Level.METADATA,
        0,
    ),
    (
        "earlier-lower-rule-wins",
        [{"level": "None", "resources": [SECRETS]}, {"level": "RequestResponse"}],
        req(),
        Level.NONE,
        0,
    ),
    (
        "no-match-is-none",
        [{"level": "Metadata", "resources": [{"group": "", "resources": ["pods"]}]}],
        req(),
        Level.NONE,
        None,
    ),
    ("users", [{"level": "None", "users": ["bob"]}, {"level": "Request"}], req(), Level.REQUEST, 1),
    (
        "users-match",
        [{"level": "None", "users": ["alice"]}, {"level": "Request"}],
        req(),
        Level.NONE,
        0,
    ),
    (
        "user-groups",
        [{"level": "None", "userGroups": ["system:authenticated"]}, {"level": "Request"}],
        req(),
        Level.NONE,
        0,
    ),
    (
        "verbs",
        [{"level": "None", "verbs": ["watch"]}, {"level": "Metadata"}],
        req("get"),
        Level.METADATA,
        1,
    ),
    (
        "verbs-match",
        [{"level": "None", "verbs": ["watch"]}, {"level": "Metadata"}],
        req("watch"),
        Level.NONE,
        0,
    ),
    (
        "group-must-match",
        [
            {"level": "None", "resources": [{"group": "apps", "resources": ["secrets"]}]},
            {"level": "Metadata"},
        ],
        req(),
        Level.METADATA,
        1,
    ),
    (
        "group-without-resources-is-whole-group",
        [{"level": "Request", "resources": [{"group": ""}]}],
        req(),
        Level.REQUEST,
        0,
    ),
    (
        "star-resource",
        [{"level": "Request", "resources": [{"group": "", "resources": ["*"]}]}],
        req(),
        Level.REQUEST,
        0,
    ),
    (
        "subresource-needs-its-own-entry",
        [
            {"level": "None", "resources": [{"group": "", "resources": ["pods"]}]},
            {"level": "Metadata"},
        ],
        req("create", "pods", subresource="exec"),
        Level.METADATA,
        1,
    ),
    (
        "subresource-exact",
        [{"level": "Request", "resources": [{"group": "", "resources": ["pods/exec"]}]}],
        req("create", "pods", subresource="exec"),
        Level.REQUEST,
        0,
    ),
    (
        "star-slash-subresource",
        [{"level": "Request", "resources": [{"group": "", "resources": ["*/status"]}]}],
        req("update", "pods", subresource="status"),
        Level.REQUEST,
        0,
    ),
    (
        "resource-slash-star",
        [{"level": "Request", "resources": [{"group": "", "resources": ["pods/*"]}]}],
        req("get", "pods", subresource="log"),
        Level.REQUEST,
        0,
    ),
    (
        "resource-names",
        [
            {
                "level": "None",
                "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["x"]}],
            },
            {"level": "Metadata"},
        ],
        req(name="y"),
        Level.METADATA,
        1,
    ),
    (
        "resource-names-match",
        [
            {
                "level": "None",
                "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["x"]}],
            },
            {"level": "Metadata"},
        ],
        req(name="x"),
        Level.NONE,
        0,
    ),
    (
        "namespaces",
        [{"level": "None", "namespaces": ["kube-system"]}, {"level": "Metadata"}],
        req(namespace="app"),
        Level.METADATA,
        1,
    ),
    (
        "namespaces-match",
        [{"level": "None", "namespaces": ["kube-system"]}, {"level": "Metadata"}],
        req(namespace="kube-system"),
        Level.NONE,
        0,
    ),
    (
        "namespaces-rule-skips-non-resource",
        [{"level": "None", "namespaces": ["kube-system"]}, {"level": "Metadata"}],
        req(resource="", path="/healthz"),
        Level.METADATA,
        1,
    ),
    (
        "non-resource-urls",
        [{"level": "None", "nonResourceURLs": ["/healthz*"]}, {"level": "Metadata"}],
        req(resource="", path="/healthz/etcd"),
        Level.NONE,
        0,
    ),
    (
        "non-resource-rule-skips-resources",
        [{"level": "None", "nonResourceURLs": ["*"]}, {"level": "Metadata"}],
        req(),
        Level.METADATA,
        1,
    ),
    (
        "resource-rule-skips-non-resource",
        [{"level": "Request", "resources": [{"group": ""}]}],
        req(resource="", path="/metrics"),
        Level.NONE,
        None,
    ),
]


@pytest.mark.parametrize(
    ("rules", "request_", "level", "index"), [pytest.param(*c[1:], id=c[0]) for c in FIRST_MATCH]
)
def test_first_match(
    rules: list[dict[str, Any]], request_: AuditRequest, level: Level, index: int | None
) -> None:
    decision = decide(policy(*rules), request_)
    assert (decision.level, decision.rule) == (level, index)


def test_levels_are_ordered() -> None:
    assert Level.NONE < Level.METADATA < Level.REQUEST < Level.REQUEST_RESPONSE
    assert [Level.of(n).label for n in ("None", "Metadata", "Request", "RequestResponse")] == [
        "None",
        "Metadata",
        "Request",
        "RequestResponse",
    ]


def test_omit_stages_union_of_policy_and_rule() -> None:
    p = policy(
        {"level": "Metadata", "omitStages": ["ResponseStarted"]}, omitStages=["RequestReceived"]
    )
    assert decide(p, req()).omit_stages == {"RequestReceived", "ResponseStarted"}


def test_reach_walks_conditional_rules_then_stops() -> None:
    p = policy(
        {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"]},
        {
            "level": "None",
            "resources": [{"group": "", "resources": ["secrets"], "resourceNames": ["x"]}],
        },
        {"level": "Metadata", "resources": [SECRETS]},
        {"level": "None"},
    )
    hits = reach(p, "watch", "", "secrets")
    assert [(h.rule, h.level, h.conditions) for h in hits] == [
        (0, Level.NONE, ("users system:kube-proxy",)),
        (1, Level.NONE, ("resourceNames x",)),
        (2, Level.METADATA, ()),
    ]
    assert [h.rule for h in reach(p, "get", "", "configmaps")] == [3]


def test_reach_falls_through_to_none() -> None:
    hits = reach(policy({"level": "Metadata", "namespaces": ["a"]}), "get", "", "secrets")
    assert [(h.rule, h.level) for h in hits] == [(0, Level.METADATA), (None, Level.NONE)]
    assert [
        h.rule
        for h in reach(
            policy({"level": "Metadata", "namespaces": ["a"]}), "get", "", "secrets", namespace="a"
        )
    ] == [0]
