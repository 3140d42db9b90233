"""SARIF that GitHub code scanning can use, and JUnit that CI test tabs show.

GitHub's "SARIF support for code scanning" lists what an upload needs: per run
`tool.driver.name` and rules with an `id`; per result `ruleId`, `message.text`,
a `physicalLocation` with `artifactLocation.uri` and `region.startLine`, and
`partialFingerprints` to track an alert across runs; a rule's
`properties.security-severity` is a number string from 0.0 to 10.0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from regulens.reports.sarif import FINGERPRINT
from tests.cli.helpers import run_cli
from tests.conftest import EXAMPLES, ROOT
from tests.reports.test_formats import _sarif_schema

NOW = "2026-11-30T01:30:00Z"
GATE = [
    "gate", "--policies", "builtin:ops-baseline",
    "--baseline-manifests", str(EXAMPLES / "platform"),
    "--now", NOW,
    "--backups", str(EXAMPLES / "ops" / "backups.yaml"),
    "--drills", str(EXAMPLES / "ops" / "drills.yaml"),
    "--metrics", str(EXAMPLES / "ops" / "metrics.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "api-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "worker-v1.1.0.trivy.json"),
    "--trivy-report", str(EXAMPLES / "scans" / "backup-v2.3.1.trivy.json"),
]  # fmt: skip
NONCOMPLIANT = ["--manifests", str(EXAMPLES / "platform-noncompliant")]


def _sarif(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = run_cli([*args, "--format", "sarif"], capsys)
    assert code in (0, 1, 2), err
    doc: dict[str, Any] = json.loads(out)
    return doc


def assert_github_ready(doc: dict[str, Any]) -> None:
    """The SARIF 2.1.0 schema, then the fields GitHub code scanning documents as needed."""
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    assert doc["version"] == "2.1.0"
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"]
        rules = {r["id"]: r for r in driver["rules"]}
        for rule in rules.values():
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["help"]["text"] and rule["help"]["markdown"]
            assert rule["helpUri"].startswith("https://")
            assert "security" in rule["properties"]["tags"]
            score = rule["properties"]["security-severity"]
            assert re.fullmatch(r"\d+\.\d", score) and 0.0 <= float(score) <= 10.0
        bases = run.get("originalUriBaseIds", {})
        for result in run["results"]:
            assert result["ruleId"] in rules
            assert result["message"]["text"]
            assert result["partialFingerprints"]
            (location,) = result["locations"]
            physical = location["physicalLocation"]
            uri = physical["artifactLocation"]["uri"]
            assert uri and physical["region"]["startLine"] >= 1
            if "uriBaseId" in physical["artifactLocation"]:
                assert not uri.startswith(("/", "../")), uri
                assert physical["artifactLocation"]["uriBaseId"] in bases


def test_gate_sarif_is_github_ready_with_repository_relative_uris(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [*GATE, "--change", str(EXAMPLES / "changes" / "denied-missing-cab.yaml"),
            *NONCOMPLIANT, "--source-root", str(ROOT)]  # fmt: skip
    doc = _sarif(args, capsys)
    assert_github_ready(doc)
    (run,) = doc["runs"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    physical = by_rule["workload-no-privileged"]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "examples/platform-noncompliant/10-api.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"]["startLine"] >= 1
    # a result about the change request points at the change file
    change = by_rule["change-approval"]["locations"][0]["physicalLocation"]
    assert change["artifactLocation"]["uri"] == "examples/changes/denied-missing-cab.yaml"
    lines = (EXAMPLES / "changes" / "denied-missing-cab.yaml").read_text().splitlines()
    assert lines[change["region"]["startLine"] - 1].strip().startswith("approvals:")
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    privileged = rules["workload-no-privileged"]
    assert "Remediation:" in privileged["help"]["text"]
    assert (
        set(privileged["properties"]["tags"]) >= {"security", "SOC2:CC6.1"}
        or len(privileged["properties"]["tags"]) > 1
    )


def test_scan_results_point_at_the_report_or_the_deploying_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = EXAMPLES / "scans" / "api-v1.2.0-fixable-critical.trivy.json"
    args = [*GATE[:-6], "--trivy-report", str(report),
            "--change", str(EXAMPLES / "changes" / "denied-fixable-cve.yaml"),
            "--manifests", str(EXAMPLES / "platform"), "--source-root", str(ROOT)]  # fmt: skip
    doc = _sarif(args, capsys)
    assert_github_ready(doc)
    uris = {
        r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    # a finding in a report points at the report; an image without one at its manifest
    assert uris["scan-no-fixable-critical"] == str(report.relative_to(ROOT))
    assert uris["scan-report-fresh"] == "examples/platform/60-backups.yaml"


def test_an_input_missing_error_points_at_the_first_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t}\npolicies:\n"
        "  - id: rpo\n    title: t\n    severity: high\n"
        "    check: {type: backup-recency, target: database, max_age: 15m}\n"
    )
    args = ["evaluate", "--policies", str(policy), "--now", NOW, "--source-root", str(tmp_path)]
    doc = _sarif(args, capsys)
    assert_github_ready(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["properties"]["status"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "p.yaml",
        "uriBaseId": "%SRCROOT%",
    }


HELM = """\
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "nginx:latest"}
---
# Source: ../../etc/passwd
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: api, image: "nginx:latest"}
"""


def test_helm_template_on_stdin_maps_back_to_the_chart_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HELM.encode())))
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-latest-tag",
            "--manifests", "-", "--now", NOW, "--source-root", str(tmp_path)]  # fmt: skip
    monkeypatch.chdir(tmp_path)
    doc = _sarif(args, capsys)
    assert_github_ready(doc)
    where = {
        r["locations"][0]["logicalLocations"][0]["name"]: r["locations"][0]["physicalLocation"]
        for r in doc["runs"][0]["results"]
    }
    assert where["web"]["artifactLocation"]["uri"] == "shop/templates/deployment.yaml"
    assert where["web"]["region"]["startLine"] == 1
    # a hostile Source path is ignored: the object keeps its place in the stream
    assert "passwd" not in json.dumps(where["api"])


def test_fingerprints_are_stable_and_ignore_the_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    messages: dict[str, set[str]] = {}

    def prints(now: str) -> dict[str, str]:
        args = ["evaluate", "--policies", "builtin:ops-baseline", *NONCOMPLIANT, "--now", now]
        doc = _sarif(args, capsys)
        out: dict[str, str] = {}
        messages[now] = {r["message"]["text"] for r in doc["runs"][0]["results"]}
        for r in doc["runs"][0]["results"]:
            logical = r["locations"][0].get("logicalLocations", [{}])[0].get("fullyQualifiedName")
            fingerprint = r["partialFingerprints"][FINGERPRINT]
            assert fingerprint not in out, (out.get(fingerprint), r["message"]["text"])
            out[fingerprint] = f"{r['ruleId']} {logical}"
        return out

    assert FINGERPRINT == "regulensFinding/v2"
    first = prints(NOW)
    assert len(first) >= 5
    assert prints(NOW) == first  # one fingerprint per finding, the same run after run
    # minutes later some messages differ (ages), the fingerprints do not
    assert prints("2026-11-30T01:37:00Z") == first
    assert messages[NOW] != messages["2026-11-30T01:37:00Z"]


def test_a_fingerprint_is_policy_resource_and_subject_not_the_message() -> None:
    from dataclasses import replace

    from regulens.engine.baseline import entry_of
    from regulens.engine.results import Result
    from regulens.engine.types import Enforcement, Severity, Status
    from regulens.reports.sarif import fingerprint
    from regulens.snapshot import ResourceRef

    ref = ResourceRef("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "b")
    message = "alice can read secrets (age 5m)"
    base = Result("rbac-x", "t", Status.FAIL, Severity.HIGH, Enforcement.DENY, (), ref,
                  message, details={"age_seconds": 300}, subject="subject:User /alice")  # fmt: skip
    assert fingerprint(base) == entry_of(base).fingerprint  # the baseline's identity
    later = replace(base, message="alice can read secrets (age 9m)", details={"age_seconds": 540})
    assert fingerprint(later) == fingerprint(base)
    assert fingerprint(replace(base, status=Status.WARN)) == fingerprint(base)
    graduated = replace(base, resource=replace(ref, api_version="rbac.authorization.k8s.io/v2"))
    assert fingerprint(graduated) == fingerprint(base)
    assert fingerprint(replace(base, subject="subject:User /bob")) != fingerprint(base)
    other = ResourceRef("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "c")
    assert fingerprint(replace(base, resource=other)) != fingerprint(base)
    assert fingerprint(replace(base, policy="rbac-y")) != fingerprint(base)


def _junit(args: list[str], capsys: pytest.CaptureFixture[str]) -> ET.Element:
    code, out, err = run_cli([*args, "--format", "junit"], capsys)
    assert code in (0, 1, 2), err
    return ET.fromstring(out.encode())


def assert_junit_shape(root: ET.Element) -> None:
    """The JUnit XSD's structure: testsuites > testsuite > testcase, required attributes."""
    assert root.tag == "testsuites"
    for suite in root.findall("testsuite"):
        for attr in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
            assert suite.get(attr) is not None, attr
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", suite.get("timestamp", ""))
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        counted = {"failure": 0, "error": 0, "skipped": 0}
        for case in cases:
            assert case.get("name") and case.get("classname")
            float(case.get("time", "x"))
            outcome = [c.tag for c in case if c.tag in counted]
            assert len(outcome) <= 1, outcome
            for tag in outcome:
                counted[tag] += 1
            assert {c.tag for c in case} <= {*counted, "system-out", "system-err"}
        assert int(suite.get("failures", "-1")) == counted["failure"]
        assert int(suite.get("errors", "-1")) == counted["error"]
        assert int(suite.get("skipped", "-1")) == counted["skipped"]


def test_junit_warn_is_visible_and_cases_carry_file_time_and_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "warn.yaml"
    policy.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t}\npolicies:\n"
        "  - id: privileged-warns\n    title: t\n    severity: low\n    enforcement: warn\n"
        "    check: {type: resource-condition, each: container,"
        ' expression: "!has(container.securityContext)", message: has a securityContext}\n'
    )
    root = _junit(["evaluate", "--policies", str(policy), *NONCOMPLIANT, "--now", NOW], capsys)
    assert_junit_shape(root)
    (suite,) = root.findall("testsuite")
    assert suite.get("timestamp") == "2026-11-30T01:30:00"
    assert suite.get("hostname")
    cases = suite.findall("testcase")
    assert cases
    for case in cases:
        skipped = case.find("skipped")
        assert skipped is not None and skipped.get("message", "").startswith("warn: ")
        assert case.find("failure") is None
        assert case.get("file", "").endswith(".yaml")
        assert "warn: " in (case.findtext("system-out") or "")


def test_junit_of_the_noncompliant_platform_has_the_xsd_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = _junit(["evaluate", "--policies", "builtin:ops-baseline", *NONCOMPLIANT, "--now", NOW],
                  capsys)  # fmt: skip
    assert_junit_shape(root)
    (suite,) = root.findall("testsuite")
    assert int(suite.get("failures", "0")) > 0


def test_every_builtin_policy_has_a_remediation_for_the_sarif_help() -> None:
    from regulens.policies import builtin_packs, load_policies

    for pack in builtin_packs():
        for policy in load_policies([f"builtin:{pack}"]).policies:
            assert policy.remediation and policy.remediation.strip(), f"{pack}: {policy.id}"


MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "nginx:latest"}
"""


def _latest_uri(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-no-latest-tag",
            "--manifests", "app/web.yaml", "--now", NOW, *extra]  # fmt: skip
    doc = _sarif(args, capsys)
    assert_github_ready(doc)
    (result,) = doc["runs"][0]["results"]
    location: dict[str, Any] = result["locations"][0]["physicalLocation"]["artifactLocation"]
    return location


def test_the_default_source_root_is_the_git_top_level(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    git = shutil.which("git")
    assert git is not None, "git is needed to find the default source root"
    repo = tmp_path / "repo"
    (repo / "deploy" / "app").mkdir(parents=True)
    (repo / "deploy" / "app" / "web.yaml").write_text(MANIFEST)
    subprocess.run([git, "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo / "deploy")
    assert _latest_uri(capsys) == {"uri": "deploy/app/web.yaml", "uriBaseId": "%SRCROOT%"}
    # an explicit root; a file outside it is an absolute file:// URI
    assert _latest_uri(capsys, "--source-root", ".") == {
        "uri": "app/web.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    code, _, err = run_cli(
        ["evaluate", "--policies", "builtin:ops-baseline", "--manifests", "app/web.yaml",
         "--format", "sarif", "--source-root", str(tmp_path / "nowhere")],
        capsys,
    )  # fmt: skip
    assert code == 3 and "--source-root" in err
    other = tmp_path / "other"
    other.mkdir()
    assert _latest_uri(capsys, "--source-root", str(other)) == {
        "uri": f"file://{repo}/deploy/app/web.yaml"
    }


def test_outside_a_git_work_tree_the_source_root_is_the_cwd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "web.yaml").write_text(MANIFEST)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert _latest_uri(capsys) == {"uri": "app/web.yaml", "uriBaseId": "%SRCROOT%"}
