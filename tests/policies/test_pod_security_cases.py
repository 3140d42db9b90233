"""The Pod Security Standards packs run on their `cases/pod-security-*/{pass,fail}/*.yaml`.

A case is a workload manifest judged on its own by its policy, in every built-in
PSS pack that has the policy (baseline, restricted, and namespace-labels with the
case's namespace labelled at the check's level). A fail case fails, naming the
object, the container and the field (`# expect: TEXT` is part of the message).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from regulens.engine import EvalContext, Policy, Result, evaluate
from regulens.engine.pod_security.standards import BY_ID, Level
from regulens.policies import load_policies
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.sources.manifests import read_manifests

CASES = Path(__file__).resolve().parent / "cases"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PACKS = ("baseline", "restricted", "namespace-labels")


@cache
def pack(name: str) -> dict[str, Policy]:
    return {p.id: p for p in load_policies([f"builtin:pod-security-{name}"]).policies}


def case_files(status: str) -> list[tuple[str, Path]]:
    out = []
    for directory in sorted(CASES.glob("pod-security-*")):
        for name in PACKS:
            if directory.name in pack(name):
                out += [(name, p) for p in sorted((directory / status).glob("*.yaml"))]
    return out


def namespace(labels: dict[str, str]) -> Resource:
    meta = {"name": "apps", "labels": labels}
    return Resource.from_object({"apiVersion": "v1", "kind": "Namespace", "metadata": meta})


def run(pack_name: str, case: Path) -> list[Result]:
    policy = pack(pack_name)[case.parts[-3]]
    objects = read_manifests([str(case)]).resources
    if pack_name == "namespace-labels":
        level = BY_ID[policy.check.check].level  # type: ignore[union-attr]
        objects = (*objects, namespace({"pod-security.kubernetes.io/enforce": level.value}))
    state = KubernetesState(provenance=Provenance(source="test"), resources=tuple(objects))
    return evaluate([policy], Snapshot(kubernetes=state), EvalContext(now=NOW))


def test_every_pod_security_policy_has_pass_and_fail_cases() -> None:
    every = pack("namespace-labels")
    assert len(every) == len(BY_ID) == 19
    assert set(pack("baseline")) | set(pack("restricted")) == set(every)
    for policy_id in every:
        assert list((CASES / policy_id / "pass").glob("*.yaml")), f"{policy_id}: no pass case"
        assert list((CASES / policy_id / "fail").glob("*.yaml")), f"{policy_id}: no fail case"


def test_restricted_pack_is_baseline_minus_overridden_plus_restricted() -> None:
    baseline, restricted = set(pack("baseline")), set(pack("restricted"))
    replaced = {f"pod-security-{c}" for c in ("host-path-volumes", "proc-mount")} | {
        "pod-security-seccomp-profile-baseline",
        "pod-security-capabilities-baseline",
    }
    assert baseline - restricted == replaced
    for pid in baseline & restricted:  # the shared policies are the same but for the level
        a, b = pack("baseline")[pid], pack("restricted")[pid]
        assert a.model_copy(update={"check": b.check}) == b
    for pid in restricted:
        std = BY_ID[pack("restricted")[pid].check.check]  # type: ignore[union-attr]
        assert std.level in (Level.BASELINE, Level.RESTRICTED)


@pytest.mark.parametrize(("pack_name", "case"), case_files("pass"), ids=str)
def test_pass_case(pack_name: str, case: Path) -> None:
    results = run(pack_name, case)
    assert results and all(r.status.value == "pass" for r in results), [r.message for r in results]


@pytest.mark.parametrize(("pack_name", "case"), case_files("fail"), ids=str)
def test_fail_case(pack_name: str, case: Path) -> None:
    results = run(pack_name, case)
    failed = [r for r in results if r.status.value == "fail"]
    assert failed and len(failed) == len(results), [(r.status, r.message) for r in results]
    for r in failed:
        assert r.resource is not None and r.resource.name in ("app",)
        assert r.details["field"] and r.details["field"] in r.message
    expect = [
        ln.split(":", 1)[1].strip()
        for ln in case.read_text().splitlines()
        if ln.startswith("# expect:")
    ]
    assert expect, f"{case}: add a '# expect: TEXT' line"
    for text in expect:
        assert any(text in r.message for r in failed), (text, [r.message for r in failed])
