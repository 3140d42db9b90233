"""Coverage gaps fail closed, scoped by kind and namespace."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.evaluate import required_kinds
from regulens.engine.types import Status
from regulens.snapshot import CoverageGap, KubernetesState, Provenance, Resource, Snapshot
from tests.engine.helpers import NOW, deployment, policy

CONTAINERS = {"type": "resource-condition", "each": "container", "expression": "true"}
OBJECTS = {"type": "resource-condition", "expression": "true"}


def _snap(gaps: list[CoverageGap]) -> Snapshot:
    state = KubernetesState.model_construct(
        provenance=Provenance(source="test"),
        resources=(Resource.from_object(deployment("api", ns="regulensai")),),
        gaps=tuple(gaps),
    )
    return Snapshot(kubernetes=state)


@pytest.mark.parametrize(
    ("check", "fields", "gap", "status"),
    [
        # a gap of a kind the policy reads: error
        (CONTAINERS, {}, CoverageGap(kind="Deployment", reason="403"), Status.ERROR),
        (OBJECTS, {}, CoverageGap(kind="Secret", reason="403"), Status.ERROR),  # any kind
        # a gap of a kind outside check kinds ∩ match.kinds: evaluated
        (CONTAINERS, {}, CoverageGap(kind="ClusterRole", reason="403"), Status.PASS),
        (
            CONTAINERS,
            {"match": {"kinds": ["Deployment"]}},
            CoverageGap(kind="Pod", reason="403"),
            Status.PASS,
        ),
        # namespace-scoped gaps only hide the policy's namespaces
        (
            CONTAINERS,
            {"match": {"namespaces": ["regulensai"]}},
            CoverageGap(kind="Deployment", namespace="kube-system", reason="403"),
            Status.PASS,
        ),
        (
            CONTAINERS,
            {"match": {"namespaces": ["regulensai"]}},
            CoverageGap(kind="Deployment", namespace="regulensai", reason="timeout"),
            Status.ERROR,
        ),
        (
            CONTAINERS,
            {"match": {"namespaces": ["regulensai"]}},
            CoverageGap(kind="Deployment", reason="503"),  # cluster-wide: hides every namespace
            Status.ERROR,
        ),
        (
            CONTAINERS,
            {},
            CoverageGap(kind="Deployment", namespace="kube-system", reason="403"),
            Status.ERROR,
        ),
    ],
)
def test_gap_scoping(
    check: dict[str, Any], fields: dict[str, Any], gap: CoverageGap, status: Status
) -> None:
    results = evaluate([policy(check, **fields)], _snap([gap]), EvalContext(now=NOW))
    assert {r.status for r in results} == {status}
    if status is Status.ERROR:
        assert gap.kind in results[0].message and results[0].details["gaps"]
        assert decide(results).exit_code == 2


def test_required_kinds_narrowed_by_match() -> None:
    assert required_kinds(policy(OBJECTS)) is None
    assert required_kinds(policy(OBJECTS, match={"kinds": ["ClusterRole"]})) == {"ClusterRole"}
    narrowed = required_kinds(policy(CONTAINERS, match={"kinds": ["Deployment", "Service"]}))
    assert narrowed == {"Deployment"}


def test_checks_reading_objects_opportunistically_still_fail_closed() -> None:
    # audit checks need no Kubernetes input (a --audit-policy FILE will do) but read the
    # kube-apiserver Pod when present: a Pod gap must not let them pass unseen
    audit = policy({"type": "audit-policy-present"})
    assert not audit.check.inputs and required_kinds(audit) == {"ConfigMap", "Pod"}
    gap = CoverageGap(kind="Pod", namespace="kube-system", reason="403")
    results = evaluate([audit], _snap([gap]), EvalContext(now=NOW))
    assert [r.status for r in results] == [Status.ERROR] and "Pod in kube-system" in results[
        0
    ].message
