"""CI outputs: SARIF validates against the 2.1.0 schema, JUnit parses, PolicyReport adds up."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import yaml

from regulens.cli.run import judge, load
from regulens.engine.outcome import Outcome
from regulens.reports.junit import render_junit
from regulens.reports.markdown import render_markdown
from regulens.reports.policyreport import policy_reports, render_policyreport
from regulens.reports.sarif import sarif_document
from tests.conftest import EXAMPLES, ROOT
from tests.support.components import component_missing

NOW = "2026-11-30T01:30:00Z"


def _sarif_schema() -> dict[str, object]:
    # the shared schema sits next to the repository (../shared); worktrees are one level deeper
    for base in (ROOT.parent, ROOT.parent.parent):
        path = base / "shared" / "schemas" / "sarif-schema-2.1.0.json"
        if path.is_file():
            loaded: dict[str, object] = json.loads(path.read_text())
            return loaded
    component_missing("../shared/schemas/sarif-schema-2.1.0.json is not available here")


def outcome(change: str, *manifests: str, exceptions: tuple[str, ...] = ()) -> Outcome:
    run = load(
        ("builtin:ops-baseline",),
        (),
        (),
        exceptions,
        {
            "change": str(EXAMPLES / "changes" / change),
            "manifests": manifests or (str(EXAMPLES / "platform"),),
            "current_manifests": (str(EXAMPLES / "platform"),),
        },
        datetime.fromisoformat(NOW),
    )
    return judge(run)


@pytest.fixture(scope="module")
def denied() -> Outcome:
    return outcome(
        "denied-category.yaml",
        str(EXAMPLES / "platform-noncompliant"),
        str(EXAMPLES / "changes" / "manifests" / "debug-rolebinding.yaml"),
    )


def test_sarif_validates_and_locates_manifest_lines(denied: Outcome) -> None:
    doc = sarif_document(denied, fallback_file="examples/changes/denied-category.yaml")
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    (run,) = doc["runs"]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and "change-category-matches-diff" in rule_ids
    assert {r["ruleId"] for r in run["results"]} <= set(rule_ids)
    located = [
        r for r in run["results"]
        if r["ruleId"] == "workload-no-privileged"
    ]  # fmt: skip
    assert located, "the privileged container of the noncompliant platform must be reported"
    physical = located[0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"].endswith("platform-noncompliant/10-api.yaml")
    assert physical["region"]["startLine"] >= 1
    assert all(r["level"] in ("error", "warning", "note") for r in run["results"])
    assert not any(r["properties"]["status"] == "pass" for r in run["results"])


WAIVER = """apiVersion: regulens/v1
kind: ExceptionSet
metadata: {name: w}
exceptions:
  - id: EXC-9
    policy: workload-no-privileged
    resource: {kind: Deployment, namespace: regulensai, name: regulensai-api}
    reason: r
    ticket: SEC-9
    approver: carol@example.com
    created: 2026-11-01T00:00:00Z
    expires: 2026-12-01T00:00:00Z
"""


def test_sarif_marks_waived_results_as_suppressed(tmp_path: Path) -> None:
    waiver = tmp_path / "w.yaml"
    waiver.write_text(WAIVER)
    waived = outcome(
        "allowed.yaml", str(EXAMPLES / "platform-noncompliant"), exceptions=(str(waiver),)
    )
    assert [a["id"] for a in waived.exceptions.applied] == ["EXC-9"]
    doc = sarif_document(waived)
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    suppressed = [r for r in doc["runs"][0]["results"] if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"][0]["justification"] == "EXC-9"
    assert suppressed[0]["properties"] == {
        "status": "skip",
        "enforcement": "deny",
        "waivedStatus": "fail",
    }


def test_junit_one_testcase_per_policy_and_resource(denied: Outcome) -> None:
    root = ET.fromstring(render_junit(denied))
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(keys) == len(set(keys))
    expected = {(r.policy, str(r.resource) if r.resource else "(input)") for r in denied.results}
    assert set(keys) == expected
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "-1")) == len(failures) > 0
    assert int(suite.get("tests", "-1")) == len(cases)
    assert (
        "change-category-matches-diff",
        "RoleBinding regulensai/regulensai-developers-logs",
    ) in {(c.get("classname"), c.get("name")) for c in failures}


def test_policyreport_per_namespace_with_derived_summary(denied: Outcome) -> None:
    reports = policy_reports(denied)
    kinds = [r["kind"] for r in reports]
    assert kinds[-1] == "ClusterPolicyReport" and set(kinds[:-1]) == {"PolicyReport"}
    total = 0
    for report in reports:
        assert report["apiVersion"] == "wgpolicyk8s.io/v1alpha2"
        assert report["metadata"]["name"] == "regulens-chg-2026-0147"
        counts = {k: 0 for k in ("pass", "fail", "warn", "error", "skip")}
        for entry in report["results"]:
            counts[entry["result"]] += 1
            if report["kind"] == "PolicyReport":
                assert entry["resources"][0]["namespace"] == report["metadata"]["namespace"]
        assert report["summary"] == counts
        total += len(report["results"])
    assert total == len(denied.results)
    assert list(yaml.safe_load_all(render_policyreport(denied))) == reports


def test_markdown_names_decision_findings_and_exceptions() -> None:
    expired = outcome(
        "denied-expired-exception.yaml",
        exceptions=(str(EXAMPLES / "exceptions" / "change-waivers.yaml"),),
    )
    text = render_markdown(expired).decode()
    assert text.startswith("## regulens for change `CHG-2026-0148`: ❌ **DENY** (exit 1)")
    assert "| ❌ fail | `change-rollback-plan` |" in text
    assert "**expired** `EXC-2026-011`" in text and "unused `EXC-2026-014`" in text
