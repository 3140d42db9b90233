"""Trivy inputs through the CLI: exit codes, messages, and the example change requests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.test_cli import BASELINE, run_main
from tests.cli.test_gate import BASE as GATE_BASE
from tests.cli.test_gate import PLATFORM
from tests.conftest import EXAMPLES
from tests.sources.trivy_data import SECRET, dumps, report, secret_result

NOW = ["--now", "2026-11-30T01:30:00Z"]
SCANS = EXAMPLES / "scans"
FIXABLE = str(SCANS / "api-v1.2.0-fixable-critical.trivy.json")
CLEAN = str(SCANS / "api-v1.2.0.trivy.json")
STALE = str(SCANS / "api-v1.2.0-stale.trivy.json")


def evaluate_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, str]:
    code, out, err = run_main(
        ["evaluate", "--policies", BASELINE, "--format", "json", *NOW, *args], capsys
    )
    return code, (json.loads(out) if out else {}), err


def test_fixable_critical_denies_and_high_warns(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = evaluate_json(
        ["--select", "scan-no-fixable-critical", "--trivy-report", FIXABLE], capsys
    )
    assert code == 1 and doc["decision"] == "deny"
    got = {(r["status"], r["details"]["cve"]) for r in doc["results"]}
    assert got == {("fail", "CVE-2023-38545"), ("warn", "CVE-2023-44487")}
    fail = next(r for r in doc["results"] if r["status"] == "fail")
    assert (
        fail["resource"]["kind"] == "Image" and fail["resource"]["name"] == "regulensai/api:v1.2.0"
    )
    assert fail["location"]["file"] == FIXABLE


def test_clean_report_allows(capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = evaluate_json(["--select", "scan-no-*", "--trivy-report", CLEAN], capsys)
    assert code == 0 and doc["summary"]["pass"] == 3 and doc["summary"]["fail"] == 0


def test_secret_values_never_reach_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "secrets.json"
    path.write_bytes(dumps(report(results=[secret_result()])))
    code, doc, err = evaluate_json(
        ["--select", "scan-no-secrets", "--trivy-report", str(path)], capsys
    )
    assert code == 1 and doc["results"][0]["status"] == "fail"
    assert SECRET not in json.dumps(doc) and SECRET not in err


@pytest.mark.parametrize(
    ("data", "code", "needle"),
    [
        (b'{"SchemaVersion": 2, "ArtifactName": "regulensai/api:v1.2.0", "Resu', 2, "truncated"),
        (b"", 2, "empty"),
        (dumps(report(SchemaVersion=3)), 2, "SchemaVersion is 3"),
        (None, 3, "no such Trivy report file"),
    ],
)
def test_bad_reports_exit_2_and_missing_files_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes | None, code: int, needle: str
) -> None:
    path = tmp_path / "r.json"
    if data is not None:
        path.write_bytes(data)
    got, doc, err = evaluate_json(["--select", "scan-*", "--trivy-report", str(path)], capsys)
    assert got == code and doc == {}
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--trivy-scan"], "give --manifests too"),
        (["--trivy-scan", "--manifests", "-"], "stdin"),
        (["--trivy-scan", "--manifests", str(EXAMPLES / "platform"), "--trivy-timeout", "soon"],
         "--trivy-timeout"),
        (["--image-archive", "/nonexistent/api.tar"], "no such image archive"),
    ],
)  # fmt: skip
def test_scan_flag_mistakes_exit_3(
    capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code, _, err = evaluate_json(["--select", "scan-*", *args], capsys)
    assert code == 3 and needle in err


@pytest.mark.trivy
def test_trivy_scan_of_the_noncompliant_platform_denies_with_locations(
    trivy_binary: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    manifests = str(EXAMPLES / "platform-noncompliant")
    code, doc, _ = evaluate_json(
        ["--select", "scan-no-high-misconfig", "--manifests", manifests, "--trivy-scan"], capsys
    )
    assert code == 1
    privileged = [r for r in doc["results"] if r["details"].get("check") == "KSV-0017"]
    assert privileged and privileged[0]["status"] == "fail"
    assert privileged[0]["location"]["file"] == f"{manifests}/10-api.yaml"
    assert privileged[0]["resource"]["kind"] == "Deployment"
    assert privileged[0]["resource"]["name"] == "regulensai-api"


# --------------------------------------------------------------- example change requests


def _gate(change: str, report: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    # GATE_BASE keeps the reports of the images examples/platform deploys; the change
    # adds its own image (spec.images), whose report is the one under test
    code, out, _ = run_main(
        [
            *GATE_BASE,
            "--change",
            str(EXAMPLES / "changes" / change),
            *PLATFORM,
            "--trivy-report",
            report,
        ],
        capsys,
    )
    return code, json.loads(out)


def test_example_denied_stale_scan_exits_2_on_scan_report_fresh(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = _gate("denied-stale-scan.yaml", STALE, capsys)
    assert code == 2 == doc["exit_code"] and doc["decision"] == "deny"
    bad = [(r["policy"], r["status"]) for r in doc["results"] if r["status"] in ("fail", "error")]
    assert bad == [("scan-report-fresh", "error")]
    fresh = {r["resource"]["name"]: r for r in doc["results"] if r["policy"] == "scan-report-fresh"}
    assert "older than 7d" in fresh["regulensai/api:v1.2.0"]["message"]
    deployed = {"regulensai/api:v1.1.0", "regulensai/worker:v1.1.0", "regulensai/backup:v2.3.1"}
    assert {name for name, r in fresh.items() if r["status"] == "pass"} == deployed


def test_example_denied_fixable_cve_exits_1_on_scan_no_fixable_critical(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = _gate("denied-fixable-cve.yaml", FIXABLE, capsys)
    assert code == 1 == doc["exit_code"] and doc["summary"]["error"] == 0
    bad = [(r["policy"], r.get("details", {}).get("cve")) for r in doc["results"]
           if r["status"] == "fail"]  # fmt: skip
    assert bad == [("scan-no-fixable-critical", "CVE-2023-38545")]


def test_example_change_with_the_clean_report_is_allowed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, doc = _gate("denied-fixable-cve.yaml", CLEAN, capsys)
    assert code == 0 and doc["decision"] == "allow"
    scans = {r["policy"]: r["status"] for r in doc["results"] if r["policy"].startswith("scan-")}
    assert scans == dict.fromkeys(
        (
            "scan-no-fixable-critical",
            "scan-report-fresh",
            "scan-no-secrets",
            "scan-no-high-misconfig",
        ),
        "pass",
    )


def test_a_cve_exception_for_the_image_waives_the_fixable_critical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    waiver = tmp_path / "waivers.yaml"
    waiver.write_text(
        "apiVersion: regulens/v1\nkind: ExceptionSet\nmetadata: {name: scan-waivers}\n"
        "exceptions:\n"
        "  - id: EXC-2026-020\n    policy: scan-no-fixable-critical\n"
        "    cve: CVE-2023-38545\n    image: regulensai/api:v1.2.0\n"
        "    reason: The SOCKS5 proxy code path is not reachable; rebuild scheduled.\n"
        "    ticket: SEC-4200\n    approver: carol@example.com\n"
        '    created: "2026-11-28T09:00:00Z"\n    expires: "2026-12-15T00:00:00Z"\n'
    )
    code, out, _ = run_main(
        [*GATE_BASE, "--change", str(EXAMPLES / "changes" / "denied-fixable-cve.yaml"),
         *PLATFORM, "--trivy-report", FIXABLE, "--exceptions", str(waiver)],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 0 and doc["decision"] == "allow"
    (waived,) = [r for r in doc["results"] if r.get("details", {}).get("cve") == "CVE-2023-38545"]
    assert waived["exception"] == "EXC-2026-020"


def test_scans_are_saved_in_snapshots_and_replay_to_the_same_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "snap.json"
    code, _, _ = run_main(
        ["snapshot", "--manifests", str(EXAMPLES / "platform"), "--trivy-report", FIXABLE,
         "--output", str(saved)],
        capsys,
    )  # fmt: skip
    assert code == 0
    select = ["--select", "scan-no-fixable-critical"]
    _, direct, _ = evaluate_json([*select, "--trivy-report", FIXABLE], capsys)
    code, replayed, _ = evaluate_json([*select, "--snapshot", str(saved)], capsys)
    assert code == 1 and replayed["results"] == direct["results"]


# --------------------------------------------------------------- images come from what is deployed

API_DIGEST = "sha256:" + "d7e3" * 16  # RepoDigests of examples/scans/api-v1.1.0.trivy.json


def _deploy(tmp_path: Path, image: str, *, images_line: str | None) -> list[str]:
    """The example platform with the API's image replaced; the allowed change, re-imaged."""
    rendered = tmp_path / "rendered"
    shutil.copytree(EXAMPLES / "platform", rendered)
    api = rendered / "10-api.yaml"
    api.write_text(api.read_text().replace("image: regulensai/api:v1.1.0", f"image: {image}"))
    text = (EXAMPLES / "changes" / "allowed.yaml").read_text()
    old = "  images: [regulensai/api:v1.1.0, regulensai/worker:v1.1.0]\n"
    assert old in text
    change = tmp_path / "change.yaml"
    change.write_text(text.replace(old, images_line or ""))
    return [*GATE_BASE, "--change", str(change), "--manifests", str(rendered)]


@pytest.mark.parametrize(
    "images_line",
    [None, "  images: [regulensai/api:v1.1.0]\n", "  images: []\n"],
    ids=["images-omitted", "images-lists-another-tag", "images-empty"],
)
def test_an_unscanned_deployed_image_denies_whatever_the_change_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], images_line: str | None
) -> None:
    code, out, _ = run_main(_deploy(tmp_path, "regulensai/api:v9.9.9", images_line=images_line),
                            capsys)  # fmt: skip
    doc = json.loads(out)
    assert code == 1 == doc["exit_code"] and doc["decision"] == "deny"
    bad = [r for r in doc["results"] if r["status"] == "fail"]
    assert [(r["policy"], r["resource"]["name"]) for r in bad] == [
        ("scan-report-fresh", "regulensai/api:v9.9.9")
    ]
    assert "Deployment regulensai/regulensai-api container api" in bad[0]["message"]
    assert bad[0]["location"]["file"].endswith("10-api.yaml")


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (f"regulensai/api@{API_DIGEST}", 0),
        (f"docker.io/regulensai/api:v1.1.0@{API_DIGEST}", 0),
        ("regulensai/api@sha256:" + "0" * 64, 1),  # a digest no report records
        ("regulensai/api:v1.1.0@sha256:" + "0" * 64, 1),  # the tag's report is not the digest's
        ("docker.io/regulensai/api:v1.1.0", 0),
    ],
)
def test_a_pinned_digest_needs_a_report_recording_that_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], image: str, code: int
) -> None:
    got, out, _ = run_main(_deploy(tmp_path, image, images_line=None), capsys)
    doc = json.loads(out)
    fresh = [r for r in doc["results"] if r["policy"] == "scan-report-fresh"]
    assert got == code, [r["message"] for r in fresh if r["status"] != "pass"]
    (mine,) = [r for r in fresh if r["details"]["image"] == image]
    assert mine["status"] == ("pass" if code == 0 else "fail")


def test_the_noncompliant_platform_denies_its_unscanned_latest_image(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(
        [*GATE_BASE, "--change", str(EXAMPLES / "changes" / "allowed.yaml"),
         "--manifests", str(EXAMPLES / "platform-noncompliant")],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 1 and doc["decision"] == "deny"
    fresh = {r["resource"]["name"]: r["status"] for r in doc["results"]
             if r["policy"] == "scan-report-fresh"}  # fmt: skip
    assert fresh["regulensai/api:latest"] == "fail"


@pytest.mark.parametrize(
    ("change", "code", "blocking"),
    [("denied-stale-scan.yaml", 2, {("scan-report-fresh", "error")}),
     ("denied-fixable-cve.yaml", 1, {("scan-no-fixable-critical", "fail")})],
)  # fmt: skip
def test_the_command_in_each_scan_examples_header_gives_its_documented_exit_code(
    change: str, code: int, blocking: set[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    header = []
    for line in (EXAMPLES / "changes" / change).read_text().splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    command = " ".join(header).split("regulens gate ", 1)[1].replace("\\", " ").split()
    monkeypatch.chdir(EXAMPLES.parent)
    got, out, _ = run_main(["gate", *command, "--format", "json"], capsys)
    doc = json.loads(out)
    assert got == code
    assert {(r["policy"], r["status"]) for r in doc["results"]
            if r["status"] in ("fail", "error")} == blocking  # fmt: skip
