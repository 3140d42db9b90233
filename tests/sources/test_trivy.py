"""Trivy report ingest: clean vs broken reports, strict JSON, id forms, severities, secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.errors import ConfigError, ExitCode
from regulens.snapshot.scans import ScanSeverity
from regulens.sources import trivy
from regulens.sources.trivy import TrivyReportError, collect_scans, parse_report, read_report
from tests.sources.trivy_data import (
    SECRET,
    dumps,
    misconfig,
    os_result,
    report,
    secret_result,
    vuln,
)


@pytest.mark.parametrize(
    "doc",
    [
        report(results=[]),
        report(results=None, Results=None),
        {k: v for k, v in report().items() if k != "Results"},
        report(results=[{"Target": "img", "Class": "os-pkgs", "Vulnerabilities": None}]),
        report(results=[{"Target": "img", "Class": "os-pkgs"}]),
    ],
    ids=["empty-results", "null-results", "no-results", "null-vulnerabilities", "no-key"],
)
def test_clean_reports_parse_to_no_findings(doc: dict[str, object]) -> None:
    rep = parse_report(dumps(doc), "r.json")
    assert rep.vulnerabilities == () and rep.misconfigurations == () and rep.secrets == ()
    assert rep.artifact_name == "regulensai/api:v1.2.0" and rep.is_image
    assert rep.created_at == datetime(2026, 11, 29, 18, 4, 11, 529340, tzinfo=UTC)
    assert rep.digest.startswith("sha256:") and len(rep.digest) == 71
    assert rep.repo_digests[0].startswith("regulensai/api@sha256:")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (dumps(report())[:-40], "truncated"),
        (b"<html>502 Bad Gateway</html>", "not a valid JSON report"),
        (b'{"SchemaVersion": 2, "SchemaVersion": 2, "ArtifactName": "x"}', "duplicate JSON key"),
        (dumps(report(SchemaVersion=1)), "SchemaVersion is 1"),
        (dumps(report(SchemaVersion=True)), "SchemaVersion is True"),
        (dumps({k: v for k, v in report().items() if k != "SchemaVersion"}), "old Trivy JSON"),
        (
            dumps({k: v for k, v in report().items() if k not in ("SchemaVersion", "Results")}),
            "SchemaVersion is None",
        ),
        (dumps(report(SchemaVersion="2")), "SchemaVersion is '2' (a string)"),
        (b"[1, 2]", "expected an object"),
        (dumps(report(results=None, Results={"a": 1})), "Results: expected a list"),
        (dumps(report(results=[os_result({"PkgName": "x"})])), "VulnerabilityID"),
        (dumps(report(CreatedAt="last tuesday")), "CreatedAt"),
        (b'{"SchemaVersion": NaN}', "not a valid JSON report"),
        ("\ufeff".encode() + b"\xff", "not UTF-8"),
    ],
)
def test_unusable_reports_are_input_errors(data: bytes, needle: str) -> None:
    with pytest.raises(TrivyReportError) as info:
        parse_report(data, "r.json")
    assert needle in info.value.message and info.value.message.startswith("r.json")
    assert info.value.exit_code is ExitCode.INCOMPLETE


def test_duplicate_keys_are_rejected_in_nested_objects() -> None:
    data = dumps(report(results=[os_result(vuln("CVE-1", "LOW"))])).replace(
        b'"Severity": "LOW"', b'"Severity": "LOW", "Severity": "CRITICAL"'
    )
    with pytest.raises(TrivyReportError, match="duplicate JSON key 'Severity'"):
        parse_report(data, "r.json")


def test_size_is_capped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(trivy, "MAX_REPORT_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_bytes(dumps(report()))
    with pytest.raises(TrivyReportError, match="larger than 100 bytes"):
        read_report(str(path))


def test_missing_report_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such Trivy report") as info:
        read_report(str(tmp_path / "nope.json"))
    assert info.value.exit_code is ExitCode.USAGE


def test_unknown_severity_counts_as_critical_and_keeps_what_trivy_said() -> None:
    doc = report(results=[os_result(vuln("CVE-1", "UNKNOWN"), vuln("CVE-2", "bogus"),
                                    vuln("CVE-3", "MEDIUM"))])  # fmt: skip
    vulns = {v.id: v for v in parse_report(dumps(doc), "r.json").vulnerabilities}
    assert vulns["CVE-1"].severity is ScanSeverity.CRITICAL
    assert vulns["CVE-1"].reported_severity == "UNKNOWN"
    assert vulns["CVE-2"].severity is ScanSeverity.CRITICAL
    assert vulns["CVE-3"].severity is ScanSeverity.MEDIUM


def test_vulnerabilities_are_normalised_and_every_entry_is_kept() -> None:
    # merging duplicates is the checks' job, after their filters (see test_trivy_checks)
    doc = report(
        results=[os_result(vuln("CVE-1", "HIGH", fixed=None), vuln("CVE-1", "HIGH", fixed=None))]
    )
    v, again = parse_report(dumps(doc), "r.json").vulnerabilities
    assert (v.id, v.pkg, v.installed, v.fixed, v.fixable) == ("CVE-1", "libx", "1.0.0", None, False)
    assert again == v


def test_schema_version_two_point_zero_is_not_two() -> None:
    data = dumps(report()).replace(b'"SchemaVersion": 2,', b'"SchemaVersion": 2.0,')
    assert b"2.0" in data
    with pytest.raises(TrivyReportError, match=r"SchemaVersion is 2\.0 \(float\)") as info:
        parse_report(data, "r.json")
    assert "expected the integer 2" in info.value.message


@pytest.mark.parametrize(
    ("doc", "named", "hint"),
    [
        ({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []},
         "a CycloneDX SBOM", "trivy sbom"),
        ({"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": []},
         "an SPDX SBOM", "trivy sbom"),
        ({"SPDXID": "SPDXRef-DOCUMENT"}, "an SPDX SBOM", "trivy sbom"),
        ({"ClusterName": "kind", "Resources": []}, "`trivy k8s` cluster summary", "trivy image"),
        ({"vulnerabilities": ["CVE-1"], "misconfigurations": ["KSV001"]},
         "`trivy k8s` cluster summary", "trivy image"),
        ([{"Target": "img (alpine 3.9)", "Vulnerabilities": None}],
         "pre-0.20 Trivy JSON list format", "old Trivy JSON format"),
        ({"ImageID": "sha256:" + "1" * 64, "Results": []}, "without SchemaVersion",
         "old Trivy JSON format"),
    ],
    ids=["cyclonedx", "spdx", "spdx-id-only", "k8s-cluster", "k8s-summary-ids", "old-list",
         "old-object"],
)  # fmt: skip
def test_other_formats_are_rejected_naming_what_the_file_is(
    doc: object, named: str, hint: str
) -> None:
    with pytest.raises(TrivyReportError) as info:
        parse_report(json.dumps(doc).encode(), "r.json")
    assert named in info.value.message and info.value.message.startswith("r.json: ")
    assert info.value.hint is not None and hint in info.value.hint
    assert info.value.exit_code is ExitCode.INCOMPLETE


@pytest.mark.parametrize("doc", [[], [1, 2], [{"Vulnerabilities": []}], {}, {"vulnerabilities": 1}])
def test_near_misses_of_other_formats_are_plain_schema_errors(doc: object) -> None:
    with pytest.raises(TrivyReportError, match=r"expected an object|SchemaVersion is None"):
        parse_report(json.dumps(doc).encode(), "r.json")


@pytest.mark.parametrize(
    ("raw", "avd"),
    [("KSV-0017", None), ("KSV017", "AVD-KSV-0017"), ("ksv17", None), (None, "AVD-KSV-0017")],
)
def test_misconfiguration_ids_of_every_trivy_era_compare_equal(
    raw: str | None, avd: str | None
) -> None:
    entry = misconfig(raw or "")
    if raw is None:
        del entry["ID"]
    if avd is not None:
        entry["AVDID"] = avd
    doc = report(results=[{"Target": "api.yaml", "Class": "config", "Misconfigurations": [entry]}])
    (m,) = parse_report(
        dumps(doc), "trivy config manifests", target_prefix="manifests"
    ).misconfigurations
    assert m.id == "KSV-0017" and m.original_id == (raw or avd)
    assert m.target == "manifests/api.yaml" and m.line == 12


def test_passing_misconfigurations_are_not_findings() -> None:
    entries = [misconfig("KSV-0017", Status="PASS"), misconfig("KSV-0014", Status="EXCEPTION")]
    doc = report(results=[{"Target": "a.yaml", "Misconfigurations": entries}])
    assert parse_report(dumps(doc), "r.json").misconfigurations == ()


def test_secret_values_are_dropped_while_parsing() -> None:
    data = dumps(report(results=[secret_result()]))
    assert SECRET.encode() in data
    rep = parse_report(data, "r.json")
    (s,) = rep.secrets
    assert (s.rule_id, s.category, s.target, s.line) == (
        "aws-access-key-id",
        "AWS",
        "app/settings.py",
        3,
    )
    assert SECRET not in rep.model_dump_json()


def test_collect_reads_every_report_and_never_runs_trivy_unasked(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_bytes(dumps(report()))
    b.write_bytes(dumps(report(image="regulensai/worker:v1.2.0")))
    scans = collect_scans([str(a), str(b)])
    assert [r.image for r in scans.reports] == ["regulensai/api:v1.2.0", "regulensai/worker:v1.2.0"]
    assert scans.for_image("docker.io/regulensai/worker:v1.2.0") == [scans.reports[1]]
    with pytest.raises(ConfigError, match="no trivy runner"):
        collect_scans([], None, ["manifests/"])
