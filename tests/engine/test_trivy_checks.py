"""The Trivy check types and the ops-baseline scan policies, on snapshots built in Python."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from regulens.engine import EvalContext, Status, decide, evaluate
from regulens.engine.policy import Policy
from regulens.errors import ExitCode
from regulens.policies import load_policies
from regulens.snapshot import (
    CoverageGap,
    KubernetesState,
    Provenance,
    Resource,
    Snapshot,
    SourceLocation,
)
from regulens.snapshot.change import ChangeRequest
from regulens.snapshot.scans import ScanSet
from regulens.sources.trivy import parse_report
from tests.engine.helpers import NOW, policy
from tests.sources.trivy_data import (
    SECRET,
    dumps,
    misconfig,
    os_result,
    report,
    secret_result,
    vuln,
)

FRESH = "2026-11-29T18:04:11Z"


def pack() -> dict[str, Policy]:
    loaded = load_policies(["builtin:ops-baseline"])
    return {p.id: p for p in loaded.policies if p.id.startswith("scan-")}


def change(*images: str) -> ChangeRequest:
    return ChangeRequest.model_validate(
        {
            "apiVersion": "regulens/v1",
            "kind": "ChangeRequest",
            "metadata": {"id": "CHG-1"},
            "spec": {
                "title": "t",
                "category": "normal",
                "requester": "alice@example.com",
                "environment": "production",
                "scheduled": {"start": "2026-11-30T02:00:00Z", "end": "2026-11-30T03:00:00Z"},
                "images": list(images),
            },
        }
    )


def snap(
    *docs: dict[str, Any],
    images: tuple[str, ...] = ("regulensai/api:v1.2.0",),
    deployed: tuple[dict[str, Any], ...] = (),
    gaps: tuple[CoverageGap, ...] = (),
) -> Snapshot:
    """Reports, a change naming `images`, and the workload objects `deployed`."""
    reports = tuple(parse_report(dumps(d), f"r{i}.json") for i, d in enumerate(docs))
    state = KubernetesState.model_construct(
        provenance=Provenance(source="test"),
        resources=tuple(
            Resource.from_object(o, SourceLocation("m/app.yaml", i, 1 + 20 * i))
            for i, o in enumerate(deployed)
        ),
        gaps=gaps,
    )
    return Snapshot(kubernetes=state, scans=ScanSet(reports=reports), change=change(*images))


def run(policy_id: str, s: Snapshot, now: Any = NOW) -> list[tuple[Status, str]]:
    results = evaluate([pack()[policy_id]], s, EvalContext(now=now))
    return [(r.status, r.message) for r in results]


def test_pack_ids_are_the_contract() -> None:
    assert set(pack()) == {
        "scan-no-fixable-critical",
        "scan-report-fresh",
        "scan-no-secrets",
        "scan-no-high-misconfig",
    }


def test_fixable_critical_fails_high_warns_and_unfixed_is_ignored() -> None:
    s = snap(report(results=[os_result(
        vuln("CVE-C", "CRITICAL"), vuln("CVE-H", "HIGH"), vuln("CVE-U", "CRITICAL", fixed=None),
        vuln("CVE-L", "LOW"),
    )]))  # fmt: skip
    results = evaluate([pack()["scan-no-fixable-critical"]], s, EvalContext(now=NOW))
    got = {(r.status, r.details["cve"]) for r in results}
    assert got == {(Status.FAIL, "CVE-C"), (Status.WARN, "CVE-H")}
    assert results[0].resource is not None and results[0].resource.name == "regulensai/api:v1.2.0"
    decision = decide(results)
    assert decision.exit_code is ExitCode.DENY and len(decision.blocking) == 1


def test_high_alone_only_warns_and_allows() -> None:
    results = evaluate(
        [pack()["scan-no-fixable-critical"]],
        snap(report(results=[os_result(vuln("CVE-H", "HIGH"))])),
        EvalContext(now=NOW),
    )
    assert [r.status for r in results] == [Status.WARN]
    assert decide(results).exit_code is ExitCode.ALLOW


def test_unknown_severity_with_a_fix_fails_as_critical() -> None:
    (result,) = run(
        "scan-no-fixable-critical", snap(report(results=[os_result(vuln("CVE-X", "UNKNOWN"))]))
    )
    assert result[0] is Status.FAIL and "UNKNOWN (counted as CRITICAL)" in result[1]


def test_clean_report_passes_per_report() -> None:
    assert run("scan-no-fixable-critical", snap(report(results=[os_result()]))) == [
        (Status.PASS, "no fixable vulnerabilities at critical, high in regulensai/api:v1.2.0")
    ]


def test_vulnerability_params_are_validated() -> None:
    with pytest.raises(ValueError, match="both fail_on and warn_on"):
        policy({"type": "trivy-vulnerabilities", "fail_on": ["high"], "warn_on": ["high"]})
    with pytest.raises(ValueError, match="at least one severity"):
        policy({"type": "trivy-vulnerabilities", "fail_on": []})
    p = policy({"type": "trivy-vulnerabilities", "fail_on": ["medium", "high", "critical"]})
    s = snap(report(results=[os_result(vuln("CVE-M", "MEDIUM", fixed=None))]))
    assert [r.status for r in evaluate([p], s, EvalContext(now=NOW))] == [Status.FAIL]


@pytest.mark.parametrize(
    ("created", "status", "needle"),
    [
        (FRESH, Status.PASS, "is 8h5m old"),
        ("2026-11-23T02:10:01Z", Status.PASS, "old"),
        ("2026-11-23T02:09:59Z", Status.ERROR, "older than 7d: rescan"),
        ("2026-11-16T07:41:53Z", Status.ERROR, "older than 7d"),
        ("2026-12-01T00:00:00Z", Status.ERROR, "after the evaluation time"),
        (None, Status.ERROR, "no CreatedAt"),
    ],
)
def test_report_freshness(created: str | None, status: Status, needle: str) -> None:
    ((got, message),) = run("scan-report-fresh", snap(report(created=created)))
    assert got is status and needle in message


def test_report_for_another_image_fails_naming_the_change_image() -> None:
    s = snap(report(image="regulensai/api:v1.1.0"))
    ((status, message),) = run("scan-report-fresh", s)
    assert status is Status.FAIL
    assert "no Trivy report for image regulensai/api:v1.2.0" in message
    assert "reports given for: regulensai/api:v1.1.0" in message
    assert (
        decide(evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))).exit_code
        is ExitCode.DENY
    )


def test_every_image_needs_its_own_report_and_the_newest_counts() -> None:
    s = snap(
        report(created="2026-11-01T00:00:00Z"),
        report(created=FRESH),
        images=("regulensai/api:v1.2.0", "regulensai/worker:v1.2.0"),
    )
    got = run("scan-report-fresh", s)
    assert [g[0] for g in got] == [Status.PASS, Status.FAIL]
    assert "regulensai/worker:v1.2.0" in got[1][1]


def test_freshness_needs_what_is_deployed() -> None:
    s = Snapshot(
        scans=ScanSet(reports=(parse_report(dumps(report()), "r.json"),)),
        change=change("regulensai/api:v1.2.0"),
    )
    ((status, message),) = run("scan-report-fresh", s)
    assert status is Status.ERROR and "--manifests, --snapshot or --cluster" in message


def _workload(kind: str, field: str, image: Any, name: str = "api") -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "main", "image": "regulensai/api:v1.2.0"}]}
    pod_spec.setdefault(field, []).append({"name": "extra", "image": image})
    template = {"spec": pod_spec}
    if kind == "PodTemplate":
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "app"},
                "template": template}  # fmt: skip
    spec: dict[str, Any] = {
        "Pod": pod_spec,
        "CronJob": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}},
    }.get(kind, {"template": template})
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "app"},
            "spec": spec}  # fmt: skip


def test_a_deployed_image_without_a_report_fails_when_the_change_names_none() -> None:
    # the wrong allow: spec.images omitted, an unscanned image deployed
    unscanned = _workload("Deployment", "containers", "regulensai/api:v9.9.9")
    s = snap(report(created=FRESH), images=(), deployed=(unscanned,))
    results = evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))
    assert [(r.status, r.details["image"]) for r in results] == [
        (Status.PASS, "regulensai/api:v1.2.0"),
        (Status.FAIL, "regulensai/api:v9.9.9"),
    ]
    assert "Deployment app/api container extra" in results[1].message
    assert results[1].location is not None and results[1].location.file == "m/app.yaml"
    assert decide(results).exit_code is ExitCode.DENY


def test_the_change_request_adds_images_and_never_removes_deployed_ones() -> None:
    unscanned = _workload("Deployment", "containers", "regulensai/api:v9.9.9")
    s = snap(report(created=FRESH), images=("regulensai/api:v1.2.0",), deployed=(unscanned,))
    got = {r.details["image"]: r.status for r in
           evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))}  # fmt: skip
    assert got == {"regulensai/api:v1.2.0": Status.PASS, "regulensai/api:v9.9.9": Status.FAIL}
    s = snap(report(created=FRESH), images=("regulensai/worker:v1.0.0",))
    got = {r.details["image"]: r.status for r in
           evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))}  # fmt: skip
    assert got == {"regulensai/worker:v1.0.0": Status.FAIL}


@pytest.mark.parametrize(
    "kind", ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
             "ReplicationController", "Job", "CronJob", "PodTemplate"],
)  # fmt: skip
@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_every_container_of_every_workload_kind_is_judged(kind: str, field: str) -> None:
    s = snap(report(created=FRESH), images=(),
             deployed=(_workload(kind, field, "regulensai/sidecar:v1"),))  # fmt: skip
    results = evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))
    failed = [r for r in results if r.status is Status.FAIL]
    assert [r.details["image"] for r in failed] == ["regulensai/sidecar:v1"]
    role = field[:-1]
    assert f"{kind} app/api {role} extra" in failed[0].message


_PINNED = "sha256:" + "9c" * 32  # the RepoDigest of trivy_data.report()
_IMAGE_ID = "sha256:" + "5b" * 32


@pytest.mark.parametrize(
    ("image", "status"),
    [
        (f"regulensai/api@{_PINNED}", Status.PASS),
        (f"docker.io/regulensai/api:v1.2.0@{_PINNED}", Status.PASS),
        (f"regulensai/api@{_IMAGE_ID}", Status.PASS),
        ("regulensai/api@sha256:" + "00" * 32, Status.FAIL),  # a digest with no report
        ("regulensai/api:v1.2.0@sha256:" + "00" * 32, Status.FAIL),  # the tag does not count
        ("docker.io/regulensai/api:v1.2.0", Status.PASS),
        ("index.docker.io/regulensai/api:v1.2.0", Status.PASS),
        ("regulensai/api", Status.FAIL),  # implicit :latest
        ("ghcr.io/regulensai/api:v1.2.0", Status.FAIL),
    ],
)
def test_deployed_images_match_reports_by_digest_else_by_name_and_tag(
    image: str, status: Status
) -> None:
    s = snap(report(created=FRESH), images=(),
             deployed=(_workload("Pod", "initContainers", image),))  # fmt: skip
    results = evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))
    (extra,) = [r for r in results if "Pod app/api initContainer extra" in r.details["deployed_in"]]
    assert extra.status is status


def test_one_image_deployed_twice_is_one_finding_naming_both_places() -> None:
    s = snap(images=("docker.io/regulensai/api:v9",), deployed=(
        _workload("Deployment", "containers", "regulensai/api:v9", name="a"),
        _workload("CronJob", "containers", "regulensai/api:v9", name="b"),
    ))  # fmt: skip
    results = evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))
    (bad,) = [r for r in results if r.details["image"] == "regulensai/api:v9"]
    assert bad.status is Status.FAIL
    assert bad.details["deployed_in"] == [
        "Deployment app/a container extra",
        "CronJob app/b container extra",
        "ChangeRequest CHG-1 spec.images",
    ]


@pytest.mark.parametrize("image", ["", "   ", None, 123, ["regulensai/api:v1.2.0"]])
def test_a_container_without_an_image_fails(image: Any) -> None:
    s = snap(report(created=FRESH), images=(),
             deployed=(_workload("Deployment", "containers", image),))  # fmt: skip
    results = evaluate([pack()["scan-report-fresh"]], s, EvalContext(now=NOW))
    assert [r.status for r in results] == [Status.PASS, Status.FAIL]
    assert "has no image" in results[1].message


def test_unreadable_workloads_are_an_error_not_a_pass() -> None:
    s = snap(report(created=FRESH), gaps=(CoverageGap(kind="CronJob", reason="403"),))
    ((status, message),) = run("scan-report-fresh", s)
    assert status is Status.ERROR and "CronJob" in message


def test_max_age_is_a_parameter() -> None:
    p = policy({"type": "trivy-report-fresh", "max_age": "1h"})
    results = evaluate([p], snap(report(created=FRESH)), EvalContext(now=NOW))
    assert [r.status for r in results] == [Status.ERROR]
    results = evaluate(
        [p], snap(report(created=FRESH)), EvalContext(now=NOW - timedelta(hours=7.5))
    )
    assert [r.status for r in results] == [Status.PASS]


def test_secrets_fail_without_revealing_the_value() -> None:
    results = evaluate(
        [pack()["scan-no-secrets"]], snap(report(results=[secret_result()])), EvalContext(now=NOW)
    )
    (r,) = results
    assert r.status is Status.FAIL and "app/settings.py:3" in r.message
    assert r.location is not None and r.location.line == 3
    assert SECRET not in str(r.to_json())
    clean = evaluate([pack()["scan-no-secrets"]], snap(report()), EvalContext(now=NOW))
    assert [c.status for c in clean] == [Status.PASS]


def test_misconfigurations_at_or_above_high_fail_with_their_place() -> None:
    entries = [
        misconfig("KSV017", "HIGH"),
        misconfig("KSV-0001", "MEDIUM"),
        misconfig("KSV-0099", "UNKNOWN"),
    ]
    doc = report(results=[{"Target": "api.yaml", "Class": "config", "Misconfigurations": entries}])
    results = evaluate([pack()["scan-no-high-misconfig"]], snap(doc), EvalContext(now=NOW))
    assert [(r.status, r.details["check"]) for r in results] == [
        (Status.FAIL, "KSV-0017"),
        (Status.FAIL, "KSV-0099"),
    ]
    assert results[0].location is not None and results[0].location.file == "api.yaml"


def test_ignored_misconfiguration_ids_match_in_any_form() -> None:
    p = policy({"type": "trivy-misconfigurations", "ignore_ids": ["AVD-KSV-0017"]})
    doc = report(results=[{"Target": "a.yaml", "Misconfigurations": [misconfig("KSV017")]}])
    assert [r.status for r in evaluate([p], snap(doc), EvalContext(now=NOW))] == [Status.PASS]


def test_scan_policies_without_scan_input_error_naming_the_flag() -> None:
    bare = snap(images=("a:1",))
    s = Snapshot(kubernetes=bare.kubernetes, change=bare.change)
    results = evaluate(list(pack().values()), s, EvalContext(now=NOW))
    assert {r.status for r in results} == {Status.ERROR}
    assert all("--trivy-report FILE or --trivy-scan" in r.message for r in results)


def test_misconfigurations_name_the_manifest_object_at_their_line() -> None:
    from tests.engine.helpers import deployment

    objs = [
        Resource.from_object(deployment("first"), SourceLocation("m/app.yaml", 0, 1)),
        Resource.from_object(deployment("second"), SourceLocation("m/app.yaml", 1, 10)),
    ]
    state = KubernetesState.model_construct(
        provenance=Provenance(source="t"), resources=tuple(objs)
    )
    entries = [misconfig("KSV-0017", CauseMetadata={"StartLine": 12}),
               misconfig("KSV-0017", CauseMetadata={"StartLine": 5})]  # fmt: skip
    doc = report(results=[{"Target": "m/app.yaml", "Misconfigurations": entries}])
    base = snap(doc)
    s = Snapshot(kubernetes=state, scans=base.scans, change=base.change)
    results = evaluate([pack()["scan-no-high-misconfig"]], s, EvalContext(now=NOW))
    assert [r.resource.name for r in results if r.resource] == ["second", "first"]


def _target(name: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"Target": name, "Class": "lang-pkgs", "Type": "gomod", "Vulnerabilities": list(vulns)}


def test_a_fixable_critical_after_an_unfixed_medium_duplicate_still_fails() -> None:
    # same (id, package, version) in two targets: the first is unfixed MEDIUM, the second
    # fixable CRITICAL; merging before filtering kept the first and allowed
    doc = report(results=[
        _target("a/go.mod", vuln("CVE-D", "MEDIUM", fixed=None)),
        _target("b/go.mod", vuln("CVE-D", "CRITICAL")),
    ])  # fmt: skip
    results = evaluate([pack()["scan-no-fixable-critical"]], snap(doc), EvalContext(now=NOW))
    assert [(r.status, r.details["cve"], r.details["targets"]) for r in results] == [
        (Status.FAIL, "CVE-D", ["b/go.mod"])
    ]
    assert decide(results).exit_code is ExitCode.DENY


def test_duplicates_across_targets_are_one_finding_naming_every_target() -> None:
    doc = report(results=[
        _target("go.mod", vuln("GMS-1", "UNKNOWN")),
        _target("submod/go.mod", vuln("GMS-1", "UNKNOWN")),
        _target("submod2/go.mod", vuln("GMS-1", "UNKNOWN"), vuln("CVE-H", "HIGH")),
    ])  # fmt: skip
    results = evaluate([pack()["scan-no-fixable-critical"]], snap(doc), EvalContext(now=NOW))
    assert [(r.status, r.details["cve"], r.details["targets"]) for r in results] == [
        (Status.FAIL, "GMS-1", ["go.mod", "submod/go.mod", "submod2/go.mod"]),
        (Status.WARN, "CVE-H", ["submod2/go.mod"]),
    ]
    assert "[in go.mod, submod/go.mod, submod2/go.mod]" in results[0].message


def test_the_worst_duplicate_speaks_for_the_merged_finding() -> None:
    # HIGH (warn) first, CRITICAL (fail) second: one finding, a fail, with both targets
    doc = report(results=[
        _target("x/go.mod", vuln("CVE-W", "HIGH")),
        _target("y/go.mod", vuln("CVE-W", "CRITICAL")),
    ])  # fmt: skip
    results = evaluate([pack()["scan-no-fixable-critical"]], snap(doc), EvalContext(now=NOW))
    assert [(r.status, r.details["severity"], r.details["targets"]) for r in results] == [
        (Status.FAIL, "critical", ["y/go.mod", "x/go.mod"])
    ]
