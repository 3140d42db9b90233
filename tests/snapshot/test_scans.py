"""Scan section helpers: check id forms, image names, severities."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.snapshot.images import ImageName
from regulens.snapshot.scans import ScanReport, ScanSeverity, normalise_check_id


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


@pytest.mark.parametrize(
    ("ref", "canonical"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("docker.io/library/nginx:1.27", "docker.io/library/nginx:1.27"),
        ("index.docker.io/regulensai/api:v1", "docker.io/regulensai/api:v1"),
        ("registry-1.docker.io/library/nginx", "docker.io/library/nginx:latest"),
        ("regulensai/api:v1", "docker.io/regulensai/api:v1"),
        ("ghcr.io/regulensai/api:v1", "ghcr.io/regulensai/api:v1"),
        ("ghcr.io/api", "ghcr.io/api:latest"),  # no library/ outside Docker Hub
        ("localhost/api", "localhost/api:latest"),
        ("localhost:5000/team/api:v2", "localhost:5000/team/api:v2"),
        ("registry:5000/api", "registry:5000/api:latest"),
        ("team/api", "docker.io/team/api:latest"),  # `team` has no . or :: not a registry
        (" nginx:1.27 ", "docker.io/library/nginx:1.27"),
        ("nginx@sha256:" + "AB" * 32, "docker.io/library/nginx@sha256:" + "ab" * 32),
        # with tag and digest the runtime pulls the digest: the tag is not part of the identity
        ("nginx:1.27@sha256:" + "ab" * 32, "docker.io/library/nginx@sha256:" + "ab" * 32),
    ],
)
def test_image_references_normalise_as_container_runtimes_resolve_them(
    ref: str, canonical: str
) -> None:
    assert ImageName.parse(ref).canonical == canonical


def test_a_malformed_digest_is_not_a_digest() -> None:
    name = ImageName.parse("api@sha256:short")
    assert name.digest is None
    assert name.canonical != ImageName.parse("api").canonical


_PART = st.text(alphabet="abcz09._-", min_size=1, max_size=8)
_REFS = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda reg, path, tag, digest: f"{reg}{path}{tag}{digest}",
        st.sampled_from(["", "docker.io/", "index.docker.io/", "ghcr.io/", "localhost:5000/"]),
        st.lists(_PART, min_size=1, max_size=3).map("/".join),
        st.one_of(st.just(""), _PART.map(lambda t: f":{t}")),
        st.one_of(st.just(""), st.just("@sha256:" + "ab" * 32)),
    ),
)


@settings(max_examples=300, deadline=None)
@given(_REFS)
def test_parsing_any_reference_never_raises_and_the_canonical_form_is_a_fixed_point(
    ref: str,
) -> None:
    name = ImageName.parse(ref)
    assert ImageName.parse(name.canonical).canonical == name.canonical
    assert ImageName.parse(ref) == name  # deterministic


def _report(**fields: object) -> ScanReport:
    base: dict[str, object] = {
        "source": "r.json",
        "digest": "sha256:x",
        "artifact_name": "api.tar",
        "artifact_type": "container_image",
    }
    return ScanReport.model_validate({**base, **fields})


def test_report_names_image_by_tag_or_digest_and_never_another() -> None:
    digest = "sha256:" + "9c" * 32
    rep = _report(
        repo_tags=("regulensai/api:v1.2.0",),
        repo_digests=(f"regulensai/api@{digest}",),
        image_id="sha256:" + "5b" * 32,
    )
    assert rep.image == "regulensai/api:v1.2.0"
    assert rep.names_image("docker.io/regulensai/api:v1.2.0")
    assert rep.names_image("index.docker.io/regulensai/api:v1.2.0")
    assert rep.names_image(f"regulensai/api@{digest}")
    assert rep.names_image(f"regulensai/api:v9@{digest}")  # the digest decides
    assert rep.names_image("regulensai/api@sha256:" + "5b" * 32)  # the ImageID
    assert not rep.names_image("regulensai/api:v1.2.1")
    assert not rep.names_image("regulensai/api")  # implicit :latest is another tag
    assert not rep.names_image("ghcr.io/regulensai/api:v1.2.0")  # another registry
    assert not rep.names_image("regulensai/api@sha256:" + "00" * 32)
    # a digest pin is never satisfied by a tag: the tag may have moved since the scan
    assert not rep.names_image("regulensai/api:v1.2.0@sha256:" + "00" * 32)


def test_implicit_latest_matches_an_explicit_latest() -> None:
    rep = _report(repo_tags=("docker.io/library/nginx:latest",))
    assert rep.names_image("nginx") and rep.names_image("library/nginx:latest")


def test_reports_of_other_artifacts_never_cover_an_image() -> None:
    rep = _report(artifact_name="regulensai/api:v1.2.0", artifact_type="filesystem")
    assert not rep.names_image("regulensai/api:v1.2.0")


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
