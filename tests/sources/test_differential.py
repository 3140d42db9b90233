"""A restricted identity never turns a deny into an allow: restricted vs full runs."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.decide import Decision
from regulens.engine.evaluate import required_kinds
from regulens.engine.inputs import Input
from regulens.engine.policy import Policy
from regulens.policies import load_policies
from regulens.snapshot import CoverageGap, KubernetesState, Snapshot
from regulens.sources.backups import build_backups
from regulens.sources.kubernetes import ClusterOptions, read_cluster
from tests.conftest import EXAMPLES
from tests.support.fake_apiserver import FakeApiServer, FakeCluster, example_objects

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)  # the demo time of the examples
EXTRA_POLICIES = """\
apiVersion: regulens/v1
kind: PolicySet
metadata: {name: differential}
policies:
  - id: security-admin-exists
    title: The security-admin ClusterRole exists
    severity: high
    match: {kinds: [ClusterRole]}
    check:
      type: resource-condition
      min_matches: 1
      filter: "object.metadata.name == 'security-admin'"
      expression: "has(object.rules)"
  - id: audit-policy-present
    title: The audit policy ConfigMap exists in kube-system
    severity: high
    match: {kinds: [ConfigMap], namespaces: [kube-system]}
    check:
      type: resource-condition
      min_matches: 1
      filter: "object.metadata.name == 'audit-policy'"
      expression: "has(object.data)"
  - id: backups-scheduled
    title: Backup CronJobs run in regulensai
    severity: high
    match: {kinds: [CronJob], namespaces: [regulensai]}
    check: {type: resource-condition, min_matches: 1, expression: "has(object.spec.schedule)"}
"""
PLATFORMS = ("platform", "platform-noncompliant")
# (forbidden (kind, namespace) pairs, missing groups, unavailable aggregated groups)
RESTRICTIONS: list[tuple[frozenset[tuple[str, str | None]], frozenset[str], frozenset[str]]] = [
    (frozenset({(k, None)}), frozenset(), frozenset())
    for k in (
        "Deployment",
        "Pod",
        "ReplicaSet",
        "CronJob",
        "HorizontalPodAutoscaler",
        "ClusterRole",
        "ConfigMap",
        "Secret",
        "Namespace",
    )
]
RESTRICTIONS += [
    (frozenset({("ConfigMap", "kube-system")}), frozenset(), frozenset()),
    (frozenset({("Deployment", "regulensai")}), frozenset(), frozenset()),
    (frozenset({("ClusterRole", None), ("Pod", None)}), frozenset(), frozenset()),
    (frozenset(), frozenset({"autoscaling"}), frozenset()),
    (frozenset(), frozenset(), frozenset({"apps"})),
]


@cache
def _policies(directory: str) -> tuple[Policy, ...]:
    path = Path(directory) / "differential.yaml"
    path.write_text(EXTRA_POLICIES)
    loaded = load_policies(["builtin:ops-baseline", str(path)]).policies
    # the policies judging Kubernetes state (and what derives from it) alone
    return tuple(p for p in loaded if p.check.inputs <= {Input.KUBERNETES, Input.BACKUPS})


def _collect(fake: FakeCluster, tmp: Path) -> KubernetesState:
    with FakeApiServer(fake) as server:
        kc = server.kubeconfig(tmp / "kc")
        return read_cluster(ClusterOptions(kubeconfig=str(kc), timeout=5), None, NOW)


def _snapshot(state: KubernetesState) -> Snapshot:
    return Snapshot(kubernetes=state, backups=build_backups(state, None))


def _decide(policies: tuple[Policy, ...], state: KubernetesState) -> Decision:
    return decide(evaluate(list(policies), _snapshot(state), EvalContext(now=NOW)))


def _never_more_permissive(full: Decision, restricted: Decision) -> None:
    if restricted.allowed:
        assert full.allowed
    if not full.allowed:
        assert not restricted.allowed
    assert int(restricted.exit_code) >= min(int(full.exit_code), 1)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_restricted_runs_never_flip_to_allow(
    platform: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("diff")
    policies = _policies(str(tmp))
    objects = example_objects(EXAMPLES / platform)
    full = _decide(policies, _collect(FakeCluster(objects=objects), tmp))
    assert full.allowed is (platform == "platform")  # the baseline the differential needs
    for forbidden, missing, unavailable in RESTRICTIONS:
        fake = FakeCluster(
            objects=example_objects(EXAMPLES / platform),
            forbidden=set(forbidden),
            missing_groups=set(missing),
            unavailable_groups=set(unavailable),
            retry_after="0",
        )
        state = _collect(fake, tmp)
        assert state.gaps, (forbidden, missing, unavailable)
        restricted = _decide(policies, state)
        _never_more_permissive(full, restricted)
        wide = {g.kind for g in state.gaps if g.namespace is None}
        # a policy reading a kind that could not be read at all is never pass or fail
        for policy in policies:
            kinds = required_kinds(policy)
            if wide and (kinds is None or kinds & wide):
                results = evaluate([policy], _snapshot(state), EvalContext(now=NOW))
                assert {r.status.value for r in results} == {"error"}, (policy.id, forbidden)


# The same property over arbitrary sets of unreadable kinds, at the engine level: what a
# restricted identity sees is the full state minus those kinds, plus gaps naming them.
_FULL: dict[str, KubernetesState] = {}


def _full_state(platform: str, tmp: Path) -> KubernetesState:
    if platform not in _FULL:
        _FULL[platform] = _collect(FakeCluster(objects=example_objects(EXAMPLES / platform)), tmp)
    return _FULL[platform]


KINDS = sorted(
    {"Deployment", "Pod", "HorizontalPodAutoscaler", "ClusterRole", "ConfigMap", "CronJob"}
    | {"Secret", "Service", "Namespace", "Role", "RoleBinding", "Ingress", "Backup"}
)


@settings(max_examples=60, deadline=None)
@given(
    platform=st.sampled_from(PLATFORMS),
    hidden=st.sets(st.sampled_from(KINDS), min_size=1),
    namespace=st.sampled_from([None, "regulensai", "kube-system"]),
)
def test_any_hidden_kinds_never_flip_to_allow(
    platform: str, hidden: set[str], namespace: str | None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.getbasetemp()
    policies = _policies(str(tmp))
    full_state = _full_state(platform, tmp)
    kept = tuple(
        r
        for r in full_state.resources
        if not (r.kind in hidden and (namespace is None or r.namespace == namespace))
    )
    gaps = tuple(CoverageGap(kind=k, namespace=namespace, reason="403") for k in sorted(hidden))
    restricted_state = KubernetesState.model_construct(
        provenance=full_state.provenance, resources=kept, gaps=gaps
    )
    _never_more_permissive(_decide(policies, full_state), _decide(policies, restricted_state))
