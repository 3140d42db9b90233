"""Every Trivy golden report (Trivy's own test data) through ingest and the scan policies.

Accepted reports are checked against counts computed here from the raw JSON with
plain dictionary code that shares nothing with `regulens.sources.trivy`; rejected
ones must say what the file is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from regulens.engine import EvalContext, Status, decide, evaluate
from regulens.engine.fingerprint import finding_fingerprint
from regulens.errors import ExitCode
from regulens.policies import load_policies
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.snapshot.scans import ScanSet
from regulens.sources.trivy import TrivyReportError, parse_report
from tests.cli.test_cli import run_main
from tests.support.components import component_missing

GOLDEN = Path(__file__).resolve().parents[2] / ".." / "shared" / "conformance" / "trivy-golden"

# what each file that is not a SchemaVersion 2 Trivy report is, as the error must name it
REJECTED = {
    "conda-cyclonedx.json.golden": "a CycloneDX SBOM",
    "conda-environment-cyclonedx.json.golden": "a CycloneDX SBOM",
    "fluentd-multiple-lockfiles-short.cdx.json.golden": "a CycloneDX SBOM",
    "fluentd-multiple-lockfiles.cdx.json.golden": "a CycloneDX SBOM",
    "npm-cyclonedx.json.golden": "a CycloneDX SBOM",
    "pom-cyclonedx.json.golden": "a CycloneDX SBOM",
    "conda-spdx.json.golden": "an SPDX SBOM",
    "julia-spdx.json.golden": "an SPDX SBOM",
    "fixtures__k8s__summary-ids.json.golden": "`trivy k8s` cluster summary",
    "report__old.json.golden": "pre-0.20 Trivy JSON list format",
    "report__new.json.golden": "old Trivy JSON format",
}
FAILING = {"CRITICAL", "UNKNOWN"}  # Trivy UNKNOWN (and anything unrecognised) counts as critical
KNOWN = {"LOW", "MEDIUM", "HIGH", "CRITICAL"}


def _goldens() -> list[Path]:
    return sorted(GOLDEN.glob("*.golden")) if GOLDEN.is_dir() else []


def _require() -> None:
    if not _goldens():
        component_missing(f"Trivy golden reports not found in {GOLDEN}")


def _names(rejected: bool) -> list[str]:
    return [p.name for p in _goldens() if (p.name in REJECTED) is rejected] or ["(absent)"]


def _pack() -> dict[str, Any]:
    loaded = load_policies(["builtin:ops-baseline"])
    return {p.id: p for p in loaded.policies if p.id.startswith("scan-")}


# ---------------------------------------------------------------- independent counting


def _results(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return raw.get("Results") or []


def _vulns(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for res in _results(raw):
        for v in res.get("Vulnerabilities") or []:
            yield res.get("Target", ""), v


def _counted_as(severity: Any) -> str:
    return severity if severity in KNOWN else "CRITICAL"


def _expected_vulnerability_findings(raw: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    """(id, pkg, version) -> (status, targets) as scan-no-fixable-critical must judge them."""
    by_key: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for target, v in _vulns(raw):
        if not v.get("FixedVersion"):
            continue
        level = _counted_as(v.get("Severity"))
        if level not in ("CRITICAL", "HIGH"):
            continue
        key = (v["VulnerabilityID"], v["PkgName"], v.get("InstalledVersion") or "")
        by_key.setdefault(key, []).append((level, target))
    out = {}
    for key, hits in by_key.items():
        status = Status.FAIL if any(level == "CRITICAL" for level, _ in hits) else Status.WARN
        out[key] = (status, {t for _, t in hits if t})
    return out


def _failed_misconfigs(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for res in _results(raw) for m in res.get("Misconfigurations") or []
            if m.get("Status", "FAIL") == "FAIL"]  # fmt: skip


def _secrets(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for res in _results(raw) for s in res.get("Secrets") or []]


def _created(raw: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(raw["CreatedAt"][:19] + "+00:00")


# ---------------------------------------------------------------- accepted reports


def test_the_golden_reports_are_present_and_each_is_classified() -> None:
    _require()
    names = {p.name for p in _goldens()}
    assert set(REJECTED) <= names, sorted(set(REJECTED) - names)
    assert len(names - set(REJECTED)) >= 80  # the SchemaVersion 2 reports


@pytest.mark.parametrize("name", _names(rejected=False))
def test_every_accepted_golden_report_ingests_with_independently_counted_findings(
    name: str,
) -> None:
    _require()
    data = (GOLDEN / name).read_bytes()
    raw = json.loads(data)
    assert raw["SchemaVersion"] == 2 and type(raw["SchemaVersion"]) is int
    rep = parse_report(data, name)
    assert rep.artifact_name == raw["ArtifactName"]
    assert rep.is_image is (raw.get("ArtifactType") == "container_image")
    assert len(rep.vulnerabilities) == sum(1 for _ in _vulns(raw))
    assert len(rep.misconfigurations) == len(_failed_misconfigs(raw))
    assert len(rep.secrets) == len(_secrets(raw))
    # secret text never survives ingest
    for s in _secrets(raw):
        if s.get("Match"):
            assert s["Match"] not in rep.model_dump_json()


@pytest.mark.parametrize("name", _names(rejected=False))
def test_every_accepted_golden_report_through_the_scan_policies(name: str) -> None:
    _require()
    data = (GOLDEN / name).read_bytes()
    raw = json.loads(data)
    snap = Snapshot(scans=ScanSet(reports=(parse_report(data, name),)))
    ctx = EvalContext(now=_created(raw) + timedelta(hours=1))
    pack = _pack()
    results = evaluate(
        [pack["scan-no-fixable-critical"], pack["scan-no-secrets"], pack["scan-no-high-misconfig"]],
        snap,
        ctx,
    )

    vulns = [r for r in results if r.policy == "scan-no-fixable-critical"]
    expected = _expected_vulnerability_findings(raw)
    got = {
        (r.details["cve"], r.details["package"], r.details["installed"]): (
            r.status,
            set(r.details["targets"]),
        )
        for r in vulns
        if r.status is not Status.PASS
    }
    assert got == expected
    assert len([r for r in vulns if r.status is not Status.PASS]) == len(expected)  # no duplicate
    if expected:
        assert Status.PASS not in [r.status for r in vulns]
    else:
        assert [r.status for r in vulns] == [Status.PASS]

    secrets = [r for r in results if r.policy == "scan-no-secrets"]
    want_secrets = len(_secrets(raw))
    assert [r.status for r in secrets] == (
        [Status.FAIL] * want_secrets if want_secrets else [Status.PASS]
    )

    misconfigs = [r for r in results if r.policy == "scan-no-high-misconfig"]
    high = [
        m for m in _failed_misconfigs(raw) if _counted_as(m.get("Severity")) in FAILING | {"HIGH"}
    ]
    assert [r.status for r in misconfigs] == ([Status.FAIL] * len(high) if high else [Status.PASS])

    # each finding its own identity (the baseline's fingerprint, SARIF's partialFingerprint):
    # e.g. helm.json.golden fails KSV-0118 twice in one template, for the pod and a container
    found = [finding_fingerprint(r) for r in results if r.status is not Status.PASS]
    assert len(set(found)) == len(found)

    should_deny = any(s is Status.FAIL for s, _ in expected.values()) or want_secrets or high
    want = ExitCode.DENY if should_deny else ExitCode.ALLOW
    assert decide(results).exit_code is want


def _deploying(image: str) -> KubernetesState:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": [{"name": "c", "image": image}]}}  # fmt: skip
    return KubernetesState.model_construct(
        provenance=Provenance(source="test"), resources=(Resource.from_object(pod),), gaps=()
    )


@pytest.mark.parametrize("name", _names(rejected=False))
def test_every_golden_image_report_covers_its_image_by_tag_and_by_digest(name: str) -> None:
    _require()
    data = (GOLDEN / name).read_bytes()
    raw = json.loads(data)
    meta = raw.get("Metadata") or {}
    rep = parse_report(data, name)
    fresh = _pack()["scan-report-fresh"]
    ctx = EvalContext(now=_created(raw) + timedelta(hours=1))
    deployed = [*(meta.get("RepoTags") or []), *(meta.get("RepoDigests") or [])]
    if raw.get("ArtifactType") != "container_image":
        deployed = deployed or [raw["ArtifactName"]]
        want = Status.FAIL  # a filesystem, repository or VM report never covers an image
    else:
        want = Status.PASS
    for image in deployed or [raw["ArtifactName"]]:
        snap = Snapshot(kubernetes=_deploying(image), scans=ScanSet(reports=(rep,)))
        assert [r.status for r in evaluate([fresh], snap, ctx)] == [want], image
    # and a digest no report records is never covered
    snap = Snapshot(kubernetes=_deploying("x/y@sha256:" + "0" * 64), scans=ScanSet(reports=(rep,)))
    assert [r.status for r in evaluate([fresh], snap, ctx)] == [Status.FAIL]


def test_gomod_names_all_three_go_mod_files_of_gms_2022_20() -> None:
    _require()
    name = "gomod.json.golden"
    snap = Snapshot(scans=ScanSet(reports=(parse_report((GOLDEN / name).read_bytes(), name),)))
    results = evaluate([_pack()["scan-no-fixable-critical"]], snap, EvalContext(now=_now(name)))
    (gms,) = [r for r in results if r.details.get("cve") == "GMS-2022-20"]
    assert gms.status is Status.FAIL  # UNKNOWN with a fix counts as critical
    assert sorted(gms.details["targets"]) == ["go.mod", "submod/go.mod", "submod2/go.mod"]
    assert all(t in gms.message for t in ("go.mod", "submod/go.mod", "submod2/go.mod"))


def _now(name: str) -> datetime:
    return _created(json.loads((GOLDEN / name).read_bytes())) + timedelta(hours=1)


# ---------------------------------------------------------------- rejected files


@pytest.mark.parametrize("name", _names(rejected=True))
def test_every_rejected_golden_file_is_named_for_what_it_is(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _require()
    with pytest.raises(TrivyReportError) as info:
        parse_report((GOLDEN / name).read_bytes(), name)
    assert REJECTED[name] in info.value.message
    assert info.value.exit_code is ExitCode.INCOMPLETE
    code, out, err = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "scan-no-*",
         "--trivy-report", str(GOLDEN / name), "--format", "json"],
        capsys,
    )  # fmt: skip
    assert code == 2 and out == ""
    assert REJECTED[name] in err and "Traceback" not in err
