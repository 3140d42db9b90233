"""The security half of ops-baseline runs on its `cases/<policy-id>/{pass,fail}/*.yaml`.

A case is an overlay on `examples/platform`: each object replaces the base object
of the same kind, namespace and name (or is added); an object annotated
`regulens.test/delete: "true"` removes it. A fail case must fail its own policy
(and only it), naming the resource; a `# expect: TEXT` line says what one of
the failure messages must contain (the subject, for RBAC policies).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from regulens.engine import EvalContext, Policy, Result, evaluate
from regulens.policies import load_policies
from regulens.policies.loader import builtin_packs
from regulens.snapshot import KubernetesState, Provenance, Snapshot
from regulens.sources.manifests import read_manifests

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).resolve().parent / "cases"
PLATFORM = ROOT / "examples" / "platform"
NONCOMPLIANT = ROOT / "examples" / "platform-noncompliant"
NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
DELETE = "regulens.test/delete"
SECURITY_HALF = [
    "rbac-user-role-read-only",
    "rbac-secrets-admin-only",
    "rbac-rbac-admin-only",
    "rbac-no-wildcards",
    "rbac-cluster-admin-restricted",
    "audit-secrets-configmaps-metadata",
    "workload-no-privileged",
    "workload-resource-limits",
    "workload-no-latest-tag",
    "hpa-api-bounds",
]
RBAC_AND_AUDIT = SECURITY_HALF[:6]
SUBJECT_POLICIES = {
    "rbac-secrets-admin-only",
    "rbac-rbac-admin-only",
    "rbac-cluster-admin-restricted",
}


@cache
def pack() -> dict[str, Policy]:
    return {p.id: p for p in load_policies(["builtin:ops-baseline"]).policies}


def policies() -> list[Policy]:
    return [pack()[i] for i in SECURITY_HALF]


def overlay(case: Path) -> KubernetesState:
    base = read_manifests([str(PLATFORM)])
    extra = read_manifests([str(case)])
    merged = {(r.kind, r.namespace, r.name): r for r in base.resources}
    for r in extra.resources:
        key = (r.kind, r.namespace, r.name)
        if r.annotations.get(DELETE) == "true":
            assert merged.pop(key, None) is not None, f"{case}: nothing to delete at {key}"
        else:
            merged[key] = r
    return KubernetesState(provenance=Provenance(source="test"), resources=tuple(merged.values()))


def run(state: KubernetesState) -> list[Result]:
    return evaluate(policies(), Snapshot(kubernetes=state), EvalContext(now=NOW))


def case_files(kind: str) -> list[Path]:
    # other halves of the pack (change, recovery...) need other inputs and run their own cases
    return sorted(p for i in SECURITY_HALF for p in (CASES / i / kind).glob("*.yaml"))


def test_every_security_policy_has_pass_and_fail_cases() -> None:
    for policy_id in SECURITY_HALF:
        assert policy_id in pack(), f"{policy_id} is not in builtin:ops-baseline"
        assert list((CASES / policy_id / "pass").glob("*.yaml")), f"{policy_id}: no pass case"
        assert list((CASES / policy_id / "fail").glob("*.yaml")), f"{policy_id}: no fail case"
    # other built-in packs keep their cases here too
    known = {p.id for name in builtin_packs() for p in load_policies([f"builtin:{name}"]).policies}
    for directory in CASES.iterdir():
        assert directory.name in known, f"cases for unknown policy {directory.name}"


def test_every_security_policy_maps_controls() -> None:
    for policy in policies():
        frameworks = {c.split(":", 1)[0] for c in policy.controls}
        assert {"SOC2", "ISO27001"} <= frameworks, policy.id


def test_example_platform_passes_every_policy() -> None:
    results = run(read_manifests([str(PLATFORM)]))
    assert {r.policy for r in results} == set(SECURITY_HALF)
    assert [r for r in results if r.status.value != "pass"] == []


def test_noncompliant_platform_fails_every_rbac_and_audit_policy() -> None:
    results = run(read_manifests([str(NONCOMPLIANT)]))
    failed = {r.policy for r in results if r.status.value == "fail"}
    assert set(RBAC_AND_AUDIT) <= failed


@pytest.mark.parametrize("case", case_files("pass"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_pass_case(case: Path) -> None:
    results = run(overlay(case))
    own = [r for r in results if r.policy == case.parts[-3]]
    assert own and all(r.status.value == "pass" for r in own), [r.message for r in own]
    assert [r.message for r in results if r.status.value != "pass"] == []


@pytest.mark.parametrize("case", case_files("fail"), ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_fail_case(case: Path) -> None:
    policy_id = case.parts[-3]
    results = run(overlay(case))
    bad = [r for r in results if r.status.value != "pass"]
    assert {r.policy for r in bad} == {policy_id}, [(r.policy, r.message) for r in bad]
    failed = [r for r in bad if r.status.value == "fail"]
    assert failed and len(failed) == len(bad)
    for r in failed:
        if policy_id in SUBJECT_POLICIES:
            assert r.details["via"] and r.details["subject"]["name"] in r.message
        assert r.resource is not None or policy_id == "hpa-api-bounds", r.message
    expect = [
        line.split(":", 1)[1].strip()
        for line in case.read_text().splitlines()
        if line.startswith("# expect:")
    ]
    assert expect, f"{case}: add a '# expect: TEXT' line"
    for text in expect:
        assert any(text in f"{r.resource} {r.message}" for r in failed), (
            text,
            [r.message for r in failed],
        )
