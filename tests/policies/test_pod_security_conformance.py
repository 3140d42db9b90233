"""The upstream Pod Security Admission fixtures (v1.37) through both built-in PSS packs.

Pass fixtures of a level allow at that level; fail fixtures deny with a fail on
that Pod; whatever fails baseline fails restricted. Each fixture is also wrapped
as the Pod template of a Deployment, a CronJob and a PodTemplate, with the same verdicts.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from regulens.documents import load_documents
from regulens.engine import EvalContext, Policy, Result, evaluate
from regulens.engine.decide import decide
from regulens.engine.pod_security.standards import STANDARD
from regulens.policies import load_policies
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from tests.support.components import component_missing

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "pod-security"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
REPLACED = {c.overrides.lower(): c.id.lower() for c in STANDARD if c.overrides}
EXPECTED_COUNTS = {
    ("baseline", "pass"): 15,
    ("baseline", "fail"): 34,
    ("restricted", "pass"): 23,
    ("restricted", "fail"): 76,
}


def fixtures(level: str, verdict: str) -> list[Path]:
    return sorted((FIXTURES / level / verdict).glob("*.yaml"))


ALL = [(lv, v, p) for (lv, v) in EXPECTED_COUNTS for p in fixtures(lv, v)]


@cache
def pack(level: str) -> tuple[Policy, ...]:
    return tuple(load_policies([f"builtin:pod-security-{level}"]).policies)


def pod_of(path: Path) -> dict[str, Any]:
    docs = load_documents(str(path), path.read_text("utf-8"))
    assert len(docs) == 1 and isinstance(docs[0].data, dict), path
    pod = docs[0].data
    assert pod["kind"] == "Pod" and pod["metadata"]["name"] == path.stem
    return pod


def wrap(pod: dict[str, Any], kind: str) -> dict[str, Any]:
    """Put a fixture Pod's metadata and spec into a Deployment, CronJob or PodTemplate."""
    template = {"metadata": copy.deepcopy(pod["metadata"]), "spec": copy.deepcopy(pod["spec"])}
    name = {"name": pod["metadata"]["name"], "namespace": "fixtures"}
    if kind == "PodTemplate":  # Pod Security admission judges PodTemplate objects too
        return {"apiVersion": "v1", "kind": kind, "metadata": name, "template": template}
    if kind == "Deployment":
        spec: dict[str, Any] = {"selector": {"matchLabels": {}}, "template": template}
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": name, "spec": spec}
    job = {"spec": {"template": template}}
    spec = {"schedule": "0 2 * * 1", "jobTemplate": job}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": name, "spec": spec}


def run(level: str, obj: dict[str, Any]) -> list[Result]:
    state = KubernetesState(
        provenance=Provenance(source="test"), resources=(Resource.from_object(obj),)
    )
    return evaluate(pack(level), Snapshot(kubernetes=state), EvalContext(now=NOW))


def verdict(results: list[Result]) -> str:
    return "allow" if decide(results).allowed else "deny"


def test_fixtures_are_present_and_complete() -> None:
    if not FIXTURES.is_dir():
        component_missing(f"PSA conformance fixtures not found in {FIXTURES}")
    counts = {key: len(fixtures(*key)) for key in EXPECTED_COUNTS}
    assert counts == EXPECTED_COUNTS
    assert len(ALL) == 148


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "CronJob", "PodTemplate"])
@pytest.mark.parametrize(
    ("level", "expected", "path"), ALL, ids=lambda v: v.stem if isinstance(v, Path) else v
)
def test_fixture_verdict(level: str, expected: str, path: Path, kind: str) -> None:
    pod = pod_of(path)
    obj = pod if kind == "Pod" else wrap(pod, kind)
    results = run(level, obj)
    assert not [r for r in results if r.status.value == "error"], [r.message for r in results]
    failed = [r for r in results if r.status.value == "fail"]
    if expected == "pass":
        assert verdict(results) == "allow", [r.message for r in failed]
        return
    assert verdict(results) == "deny"
    assert failed, path
    for r in failed:
        assert r.resource is not None and r.resource.name == path.stem and r.resource.kind == kind
        assert r.details["field"] and r.details["check"] in r.message
    # the fixture's name is its check: a fail fixture fails (at least) that check
    # (at restricted, the check that overrides it when the fixture is a replaced baseline check)
    check = path.stem.rstrip("0123456789")
    if level == "restricted" and check in REPLACED:
        check = REPLACED[check]
    assert any(r.details["check"].lower() == check for r in failed), [r.message for r in failed]
    if level == "baseline":
        assert verdict(run("restricted", obj)) == "deny", "fails baseline but passes restricted"


def test_restricted_pass_fixtures_pass_baseline() -> None:
    if not FIXTURES.is_dir():
        component_missing(f"PSA conformance fixtures not found in {FIXTURES}")
    for path in fixtures("restricted", "pass"):
        assert verdict(run("baseline", pod_of(path))) == "allow", path.name


def test_restricted_fail_fixtures_of_baseline_checks_fail_baseline_with_that_check() -> None:
    if not FIXTURES.is_dir():
        component_missing(f"PSA conformance fixtures not found in {FIXTURES}")
    baseline_ids = {c.id.lower(): c.id for c in STANDARD if c.level.value == "baseline"}
    judged = 0
    for path in fixtures("restricted", "fail"):
        check = baseline_ids.get(path.stem.rstrip("0123456789"))
        if check is None:
            continue
        failed = [r for r in run("baseline", pod_of(path)) if r.status.value == "fail"]
        assert any(r.details["check"] == check for r in failed), path.name
        judged += 1
    assert judged == 34  # the baseline fail cases, rebuilt on a restricted-valid pod
