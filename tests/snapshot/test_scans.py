"""Scan section helpers: check id forms, image names, severities."""

from __future__ import annotations

import pytest

from regulens.snapshot.scans import ScanReport, ScanSeverity, normalise_check_id, normalise_image


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("KSV-0044", "KSV-0044"),
        ("KSV044", "KSV-0044"),
        ("ksv44", "KSV-0044"),
        ("AVD-KSV-0044", "KSV-0044"),
        ("AVD-DS-0002", "DS-0002"),
        ("DS002", "DS-0002"),
        ("custom-check", "CUSTOM-CHECK"),
    ],
)
def test_check_id_forms(raw: str, want: str) -> None:
    assert normalise_check_id(raw) == want


def test_image_names_ignore_the_implicit_docker_hub_registry() -> None:
    assert normalise_image("docker.io/library/nginx:1.27") == "nginx:1.27"
    assert normalise_image("index.docker.io/regulensai/api:v1") == "regulensai/api:v1"
    assert normalise_image("ghcr.io/regulensai/api:v1") == "ghcr.io/regulensai/api:v1"


def test_report_names_image_by_tag_or_digest_and_never_another() -> None:
    digest = "sha256:" + "9c" * 32
    rep = ScanReport(
        source="r.json",
        digest="sha256:x",
        artifact_name="api.tar",
        artifact_type="container_image",
        repo_tags=("regulensai/api:v1.2.0",),
        repo_digests=(f"regulensai/api@{digest}",),
    )
    assert rep.image == "regulensai/api:v1.2.0"
    assert rep.names_image("docker.io/regulensai/api:v1.2.0")
    assert rep.names_image(f"regulensai/api@{digest}")
    assert not rep.names_image("regulensai/api:v1.2.1")
    assert not rep.names_image("regulensai/api@sha256:" + "00" * 32)


def test_unknown_severity_is_critical() -> None:
    assert ScanSeverity.from_trivy("UNKNOWN") is ScanSeverity.CRITICAL
    assert ScanSeverity.from_trivy(None) is ScanSeverity.CRITICAL
    assert ScanSeverity.from_trivy("HIGH") is ScanSeverity.HIGH
    assert ScanSeverity.LOW.rank < ScanSeverity.HIGH.rank < ScanSeverity.CRITICAL.rank


def test_scans_section_replays_from_json() -> None:
    from regulens.snapshot import Snapshot
    from regulens.snapshot.scans import ScanSet
    from regulens.sources.trivy import parse_report
    from tests.sources.trivy_data import dumps, misconfig, os_result, report, secret_result, vuln

    config = {"Target": "a.yaml", "Misconfigurations": [misconfig("KSV017")]}
    doc = report(results=[os_result(vuln("CVE-1", "UNKNOWN")), secret_result(), config])
    snap = Snapshot(scans=ScanSet(reports=(parse_report(dumps(doc), "r.json"),)))
    again = Snapshot.model_validate_json(snap.model_dump_json())
    assert again == snap and again.scans is not None
    assert again.scans.reports[0].vulnerabilities[0].reported_severity == "UNKNOWN"
