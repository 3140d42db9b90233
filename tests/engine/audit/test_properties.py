"""`reach` (every user, name, namespace) is sound with respect to `decide` (one request)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine.audit.policy import AuditPolicy, AuditRequest, decide, reach

USERS = ["alice", "system:kube-proxy"]
GROUPS = ["system:authenticated", "ops"]
NAMESPACES = ["a", "kube-system"]
RESOURCES = ["secrets", "configmaps", "pods", "pods/exec", "*", "*/exec"]


def small(values: list[str]) -> Any:
    return st.lists(st.sampled_from(values), max_size=2, unique=True)


group_resources = st.fixed_dictionaries(
    {"group": st.sampled_from(["", "apps"])},
    optional={
        "resources": small(RESOURCES),
        "resourceNames": st.lists(st.sampled_from(["x", "y"]), min_size=1, max_size=1),
    },
)
rules = st.fixed_dictionaries(
    {"level": st.sampled_from(["None", "Metadata", "Request", "RequestResponse"])},
    optional={
        "users": small(USERS),
        "userGroups": small(GROUPS),
        "verbs": small(["get", "watch", "create"]),
        "namespaces": small(NAMESPACES),
        "resources": st.lists(group_resources, max_size=2),
        "nonResourceURLs": small(["/healthz*", "*"]),
    },
)
policies = st.lists(rules, max_size=5).map(
    lambda r: AuditPolicy.model_validate(
        {"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": r}
    )
)
requests = st.builds(
    AuditRequest,
    user=st.sampled_from(USERS),
    groups=st.frozensets(st.sampled_from(GROUPS)),
    verb=st.sampled_from(["get", "watch", "create"]),
    group=st.sampled_from(["", "apps"]),
    resource=st.sampled_from(["secrets", "configmaps", "pods"]),
    subresource=st.sampled_from(["", "exec"]),
    name=st.sampled_from(["", "x", "y"]),
    namespace=st.sampled_from(["", *NAMESPACES]),
)


@settings(max_examples=300, deadline=None)
@given(policies, requests)
def test_the_deciding_rule_is_one_reach_reports(policy: AuditPolicy, req: AuditRequest) -> None:
    hits = reach(policy, req.verb, req.group, req.resource, req.subresource)
    decision = decide(policy, req)
    assert decision.rule in [h.rule for h in hits]
    assert decision.level >= min(h.level for h in hits)


@settings(max_examples=200, deadline=None)
@given(policies, requests)
def test_concrete_namespace_and_user_probe_is_exact_for_unnamed_requests(
    policy: AuditPolicy, req: AuditRequest
) -> None:
    req = AuditRequest(**{**{f: getattr(req, f) for f in req.__slots__}, "name": ""})
    hits = reach(
        policy,
        req.verb,
        req.group,
        req.resource,
        req.subresource,
        req.namespace,
        (req.user, req.groups),
    )
    unconditional = [h for h in hits if not h.conditions]
    decision = decide(policy, req)
    # only resourceNames stay conditional; a request without a name skips those rules
    assert unconditional[-1].rule == decision.rule
    assert unconditional[-1].level == decision.level
