"""The identity of a finding (baseline fingerprint = SARIF partialFingerprint), over every pack.

Every built-in pack runs on the example inputs (and a small generated cluster):
within one run no two findings (fail, warn, error) share a fingerprint, and a
second run at another `--now` gives the same fingerprints wherever it gives the
same results. The audit collision that let one baselined finding hide another
is replayed through `baseline create` and `evaluate --findings-baseline`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from regulens.engine.fingerprint import finding_fingerprint
from regulens.engine.results import Result
from regulens.policies.loader import builtin_packs
from regulens.reports.recorded import _result
from regulens.reports.sarif import FINGERPRINT
from tests.cli.test_cli import run_main
from tests.conftest import EXAMPLES, ROOT

NOW = datetime(2026, 11, 30, 2, 10)
LATER = NOW + timedelta(minutes=7)
FINDINGS = ("fail", "warn", "error")
OPS = [
    *("--backups", str(EXAMPLES / "ops" / "backups.yaml")),
    *("--drills", str(EXAMPLES / "ops" / "drills.yaml")),
    *("--metrics", str(EXAMPLES / "ops" / "metrics.json")),
]
SCANS = [a for f in sorted((EXAMPLES / "scans").glob("*.json")) for a in ("--trivy-report", str(f))]
SECURITY_LOGS = [
    a
    for f in ("audit.log", "audit-secret-read.log")
    for a in ("--audit-log", str(EXAMPLES / "ops" / f))
]
GENERATED = "generated"  # placeholder for the bench/generate.py output directory

# (name, the packs it covers, command line); every built-in pack must appear in one
RUNS: list[tuple[str, tuple[str, ...], list[str]]] = [
    (
        "ops-baseline/noncompliant",
        ("ops-baseline",),
        ["evaluate", "--policies", "builtin:ops-baseline", "--manifests",
         str(EXAMPLES / "platform-noncompliant"), *OPS, *SCANS],
    ),
    (
        "ops-baseline/platform",
        ("ops-baseline",),
        ["evaluate", "--policies", "builtin:ops-baseline", "--manifests",
         str(EXAMPLES / "platform"), *OPS, *SCANS],
    ),
    *(
        (
            f"gate/{change.stem}",
            ("ops-baseline",),
            ["gate", "--change", str(change), "--policies", "builtin:ops-baseline",
             "--manifests", str(EXAMPLES / "changes" / "manifests"), "--current-manifests",
             str(EXAMPLES / "platform"), *OPS, *SCANS],
        )
        for change in sorted((EXAMPLES / "changes").glob("*.yaml"))
    ),
    (
        "ops-daily",
        ("ops-daily",),
        ["evaluate", "--policies", "builtin:ops-daily", "--manifests",
         str(EXAMPLES / "platform-noncompliant")],
    ),
    (
        "ops-incidents",
        ("ops-incidents",),
        ["evaluate", "--policies", "builtin:ops-incidents", "--incidents",
         str(EXAMPLES / "ops" / "incidents.yaml"), "--alertmanager-silences",
         str(EXAMPLES / "ops" / "alertmanager-silences.json")],
    ),
    (
        "ops-security-events",
        ("ops-security-events",),
        ["evaluate", "--policies", "builtin:ops-security-events", *SECURITY_LOGS],
    ),
    *(
        (
            f"{pack}/examples",
            (pack,),
            ["evaluate", "--policies", f"builtin:{pack}", "--manifests",
             str(EXAMPLES / "pod-security")],
        )
        for pack in (
            "pod-security-baseline",
            "pod-security-restricted",
            "pod-security-namespace-labels",
        )
    ),
    *(
        (
            f"{pack}/generated",
            (pack,),
            ["evaluate", "--policies", f"builtin:{pack}", "--manifests", GENERATED, *OPS, *SCANS],
        )
        for pack in (
            "ops-baseline",
            "ops-daily",
            "pod-security-baseline",
            "pod-security-restricted",
            "pod-security-namespace-labels",
        )
    ),
]  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small cluster from bench/generate.py (team namespaces, RBAC, workloads)."""
    out = tmp_path_factory.mktemp("bench")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--sizes", "300", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    (multi,) = out.glob("*/multi")
    return multi


def results_of(
    args: list[str], now: datetime, generated: Path, capsys: pytest.CaptureFixture[str]
) -> list[Result]:
    """Run the command (JSON output) and read its results back as the reports do."""
    argv = [str(generated) if a == GENERATED else a for a in args]
    code, out, err = run_main([*argv, "--now", f"{now.isoformat()}Z", "--format", "json"], capsys)
    assert code in (0, 1, 2), err
    return [_result(r) for r in json.loads(out)["results"]]


def test_every_builtin_pack_is_run() -> None:
    covered = {pack for _, packs, _ in RUNS for pack in packs}
    assert covered == set(builtin_packs())


@pytest.mark.parametrize("args", [a for _, _, a in RUNS], ids=[n for n, _, _ in RUNS])
def test_no_two_findings_of_a_run_share_a_fingerprint_and_reruns_keep_them(
    args: list[str], generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = results_of(args, NOW, generated, capsys)
    by_fingerprint: dict[str, list[Result]] = defaultdict(list)
    for r in first:
        if r.status.value in FINDINGS:
            by_fingerprint[finding_fingerprint(r)].append(r)
    shared = {
        fp: [(r.policy, r.resource and str(r.resource.key), r.subject, r.message) for r in rs]
        for fp, rs in by_fingerprint.items()
        if len(rs) > 1
    }
    assert not shared, shared
    # passes too: results sharing a fingerprint are one claim repeated (the passes of two
    # reports of one image), never two different findings
    claims: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in first:
        if r.status.value != "skip":
            claims[finding_fingerprint(r)].add((r.status.value, r.message))
    assert all(len(c) == 1 for c in claims.values()), [c for c in claims.values() if len(c) > 1]

    again = results_of(args, LATER, generated, capsys)
    assert [r.policy for r in again] == [r.policy for r in first]
    same = [
        (a, b)
        for a, b in zip(first, again, strict=True)
        if (a.resource, a.status) == (b.resource, b.status)
    ]
    assert same  # a run whose results all changed would prove nothing
    moved = [(a.policy, a.subject, b.subject) for a, b in same if a.subject != b.subject]
    assert not moved
    assert all(finding_fingerprint(a) == finding_fingerprint(b) for a, b in same)


AUDIT = [
    "--policies", "builtin:ops-baseline", "--select", "audit-secrets-configmaps-metadata",
    "--manifests", str(EXAMPLES / "platform-noncompliant"), "--now", "2026-11-30T02:10:00Z",
]  # fmt: skip


def test_a_baselined_audit_finding_does_not_hide_the_other_one_on_the_same_configmap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "baseline.json"
    code, _, err = run_main(["baseline", "create", *AUDIT, "-o", str(path)], capsys)
    assert code == 0, err
    doc = json.loads(path.read_text())
    entries = doc["findings"]
    # one ConfigMap (kube-system/audit-policy), two findings: two entries
    assert {e["resource"]["name"] for e in entries} == {"audit-policy"}
    assert sorted(e["subject"] for e in entries) == ["audited:configmaps", "audited:secrets"]

    # accept only the configmaps finding: the secrets one must still deny
    doc["findings"] = [e for e in entries if e["subject"] == "audited:configmaps"]
    path.write_text(json.dumps(doc))
    code, out, err = run_main(
        ["evaluate", *AUDIT, "--findings-baseline", str(path), "--format", "json"], capsys
    )
    results = {r["subject"]: r for r in json.loads(out)["results"]}
    assert code == 1, err
    assert results["audited:secrets"]["status"] == "fail"
    assert results["audited:configmaps"]["status"] == "warn"
    assert results["audited:configmaps"]["message"].startswith("in baseline: ")


def test_sarif_partial_fingerprints_are_the_baseline_fingerprints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noncompliant = str(EXAMPLES / "platform-noncompliant")
    args = ["--policies", "builtin:ops-baseline", "--manifests", noncompliant, *OPS, *SCANS]
    args += ["--now", "2026-11-30T02:10:00Z"]
    path = tmp_path / "baseline.json"
    code, _, err = run_main(["baseline", "create", *args, "-o", str(path)], capsys)
    assert code == 0, err
    baselined = {(e["policy"], e["fingerprint"]) for e in json.loads(path.read_text())["findings"]}
    code, out, err = run_main(["evaluate", *args, "--format", "sarif"], capsys)
    assert code in (1, 2), err
    sarif = json.loads(out)["runs"][0]["results"]
    shown = {
        (r["ruleId"], r["partialFingerprints"][FINGERPRINT])
        for r in sarif
        if r["properties"]["status"] in ("fail", "warn")
    }
    assert len(baselined) > 5
    assert shown == baselined


def test_a_baseline_written_before_subjects_keeps_matching_where_the_subject_is_unchanged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`data/findings-baseline-0.1.json` was written by `baseline create` of 0.1.0 on these inputs.

    Entries whose subject format did not change (RBAC subjects and roles, backup
    targets, per-object findings) still match; the others (CVEs now name the
    installed version, per-container findings the container, audit findings the
    audited resource) match nothing and their findings deny again: fail closed.
    """
    old = Path(__file__).parent / "data" / "findings-baseline-0.1.json"
    scan = str(EXAMPLES / "scans" / "api-v1.2.0-fixable-critical.trivy.json")
    noncompliant = str(EXAMPLES / "platform-noncompliant")
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--manifests", noncompliant, *OPS]
    args += ["--trivy-report", scan, "--now", "2026-11-30T02:10:00Z"]
    args += ["--findings-baseline", str(old), "--format", "json"]
    code, out, err = run_main(args, capsys)
    doc = json.loads(out)
    entries = json.loads(old.read_text())["findings"]
    resolved = doc["gating"]["baseline"]["resolved"]
    changed = {
        "scan-no-fixable-critical",
        "audit-secrets-configmaps-metadata",
        "workload-no-privileged",
        "workload-no-latest-tag",
        "workload-resource-limits",
    }
    assert sorted(r["policy"] for r in resolved) == sorted(
        e["policy"] for e in entries if e["policy"] in changed
    )
    assert doc["gating"]["baseline"]["matched"] == len(entries) - len(resolved) > 10
    still = {(r["policy"], r["status"]) for r in doc["results"] if r["policy"] in changed}
    assert ("scan-no-fixable-critical", "fail") in still
    assert ("audit-secrets-configmaps-metadata", "fail") in still
    assert code == 1, err
