"""The ops-baseline pass and fail cases run as shipped PolicyTests (`regulens test`).

The cases live in the package as `kind: PolicyTest` documents
(`regulens/policytest/builtin/ops-baseline/<policy>/{pass,fail}-*.test.yaml`):
the security half layered on `platform.yaml` (a copy of `examples/platform`),
the recovery and KPI policies on `ops/` (a copy of `examples/ops`) or on one
breached data file. A fail case expects its own policy to fail (on the named
resource) with a message, and every other result to pass (`others: pass`); a
pass case expects every result to pass.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from regulens.engine import EvalContext, Policy, Result, evaluate
from regulens.policies import load_policies
from regulens.policytest.load import builtin_tests_root, load_tests
from regulens.snapshot import KubernetesState, Snapshot
from regulens.sources.manifests import read_manifests
from tests.cli.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "examples" / "platform"
NONCOMPLIANT = ROOT / "examples" / "platform-noncompliant"
EXAMPLE_OPS = ROOT / "examples" / "ops"
NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
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
RECOVERY_AND_KPI = [
    "rpo-database",
    "rpo-configuration",
    "rto-critical",
    "rto-non-critical",
    "kpi-api-latency-p95",
    "kpi-throughput",
    "kpi-error-rate",
    "kpi-availability",
    "kpi-resource-utilization",
]


@cache
def pack() -> dict[str, Policy]:
    return {p.id: p for p in load_policies(["builtin:ops-baseline"]).policies}


def policies() -> list[Policy]:
    return [pack()[i] for i in SECURITY_HALF]


def run(state: KubernetesState) -> list[Result]:
    return evaluate(policies(), Snapshot(kubernetes=state), EvalContext(now=NOW))


def test_the_shipped_policy_tests_pass_through_the_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["test", "builtin:ops-baseline", "--format", "json"], capsys)
    report = json.loads(out)
    failed = [t for t in report["tests"] if not t["passed"]]
    assert code == 0, (failed, err)
    assert report["summary"]["failed"] == 0
    covered = len(SECURITY_HALF) + len(RECOVERY_AND_KPI)
    assert report["summary"]["tests"] == len(report["tests"]) >= 2 * covered


def test_every_covered_policy_has_pass_and_fail_cases() -> None:
    tests = load_tests(["builtin:ops-baseline"])
    for policy_id in [*SECURITY_HALF, *RECOVERY_AND_KPI]:
        assert policy_id in pack(), f"{policy_id} is not in builtin:ops-baseline"
        own = [t.test for t in tests if t.file.split("/")[-2] == policy_id]
        statuses = {e.status.value for t in own for e in t.expect if e.policy == policy_id}
        assert {"pass", "fail"} <= statuses, f"{policy_id}: needs a pass and a fail case"
        for t in own:  # a case proves its policy alone: everything else must pass
            assert t.others is not None and t.others.value == "pass", t.metadata.name
            assert any(e.policy == policy_id for e in t.expect), t.metadata.name
    for t in tests:
        assert t.file.split("/")[-2] in pack(), f"cases for unknown policy {t.file}"
        for e in t.test.expect:
            if e.status.value == "fail":  # a failure always names what failed and why
                assert e.message or e.resource, t.file
                if e.policy in SECURITY_HALF and e.policy != "hpa-api-bounds":
                    assert e.resource is not None, t.file


def test_the_shipped_platform_is_examples_platform() -> None:
    shipped = read_manifests([str(builtin_tests_root("ops-baseline") / "platform.yaml")])
    example = read_manifests([str(PLATFORM)])
    assert [(r.key, r.obj) for r in shipped.resources] == [
        (r.key, r.obj) for r in example.resources
    ], "platform.yaml drifted from examples/platform: copy it again"


def test_the_shipped_ops_data_is_examples_ops() -> None:
    shipped = builtin_tests_root("ops-baseline") / "ops"
    for name in ("backups.yaml", "drills.yaml", "metrics.json"):
        ours = (shipped / name).read_text().splitlines()
        if name.endswith(".yaml"):
            ours = ours[1:]  # the line saying it is a copy
        assert ours == (EXAMPLE_OPS / name).read_text().splitlines(), f"ops/{name} drifted"


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
