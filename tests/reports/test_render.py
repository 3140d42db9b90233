from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from regulens.reports.charts import anchor
from regulens.reports.facts import ComplianceReport, EvidenceFacts, ReviewPack
from regulens.reports.loading import Verification
from regulens.reports.oscal import assessment_results, control_token
from regulens.reports.render import render_compliance, render_review, report_json
from tests.reports.chromium import chromium_binary, run_chromium
from tests.reports.oscal_venv import validate_oscal


def test_json_is_the_facts(compliance: dict[str, Any], review: dict[str, Any]) -> None:
    # the JSON report is exactly the models' serialisation, and reads back as the same facts
    assert orjson.loads(render_compliance(compliance, "json")) == compliance.model_dump(mode="json")
    assert orjson.loads(render_review(review, "json")) == review.model_dump(mode="json")
    assert ComplianceReport.model_validate_json(render_compliance(compliance, "json")) == compliance
    assert ReviewPack.model_validate_json(render_review(review, "json")) == review


def test_markdown_states_the_same_facts(compliance: dict[str, Any]) -> None:
    md = render_compliance(compliance, "markdown").decode()
    assert md.startswith("# Compliance report — 2026-11")
    assert "**🟢 Evidence verified and signed.**" in md
    assert "| 30 | 77.8\u00a0% | 9 | 8 | 2 |" in md  # summary row
    row = next(line for line in md.splitlines() if line.startswith("| `workload-no-privileged`"))
    cells = [c.strip() for c in row.split("|")]
    assert cells[3:10] == ["30", "28", "2", "0", "0", "0", "93.3\u00a0%"]
    assert "[run-10](#run-run-10)" in row and "[run-11](#run-run-11)" in row
    assert '<a id="run-run-30"></a>' in md  # every run is a link target
    assert "| standard | 24 | 4 |" in md


def test_markdown_review_sections(review: dict[str, Any]) -> None:
    md = render_review(review, "markdown").decode()
    for heading in (
        "## RBAC drift",
        "## Privileged subjects now",
        "## Exceptions expiring in the next 30 days",
        "## Vulnerabilities by severity",
        "## Changes",
        "## Audit-policy changes",
        "## Recovery and KPI breaches",
        "## Sign-off",
    ):
        assert heading in md
    assert "`regulensai get core/secrets`" in md
    assert "| dana@example.com | 2026-12-02 |" in md


def _evidence(**kw: Any) -> EvidenceFacts:
    base: dict[str, Any] = {
        "ok": True, "status": "OK", "message": "31 records in 1 stream(s) verified",
        "records": 31, "streams": ("production",), "signing_keys": (), "problems": (),
    }  # fmt: skip
    verification = Verification(**{**base, **kw})
    return verification.evidence_json("sqlite:///fixture.db", allow_unverified=not verification.ok)


def test_unverified_evidence_is_stated_prominently(compliance: dict[str, Any]) -> None:
    broken = compliance.model_copy(
        update={
            "evidence": _evidence(ok=False, status="BROKEN_LINK", message="seq 7 does not link")
        }
    )
    md = render_compliance(broken, "markdown").decode()
    assert "**🔴 UNVERIFIED EVIDENCE: BROKEN_LINK.**" in md.splitlines()[2]
    assert "--allow-unverified" in md.splitlines()[2]
    html = render_compliance(broken, "html").decode()
    assert 'class="banner banner-bad" id="verification" data-state="failed"' in html
    assert "UNVERIFIED EVIDENCE: BROKEN_LINK" in html
    assert orjson.loads(render_compliance(broken, "json"))["evidence"]["state"] == "failed"


@pytest.mark.parametrize(
    ("evidence", "state", "css", "words"),
    [
        (
            {"signatures_checked": True, "checkpoints": 1,
             "signing_keys": ({"key_id": "ab" * 32, "fingerprint": "SHA256:" + "cd" * 32},)},
            "verified", "banner-ok", "every record signed by a trusted key: abababababababab",
        ),
        (
            {"signatures_checked": False},
            "integrity-only", "banner-warn", "nothing here shows who wrote them",
        ),
    ],
)  # fmt: skip
def test_the_banner_has_a_state_in_every_format(
    compliance: dict[str, Any], evidence: dict[str, Any], state: str, css: str, words: str
) -> None:
    facts = compliance.model_copy(update={"evidence": _evidence(**evidence)})
    md = render_compliance(facts, "markdown").decode().splitlines()[2]
    html = render_compliance(facts, "html").decode()
    assert words in md and words in html
    assert f'class="banner {css}" id="verification" data-state="{state}"' in html
    assert orjson.loads(render_compliance(facts, "json"))["evidence"]["banner"]["state"] == state
    checkpoint_note = "No external checkpoint was given"
    assert (checkpoint_note in md) is (evidence.get("checkpoints", 0) == 0)


def test_html_is_self_contained_with_linked_figures(compliance: dict[str, Any]) -> None:
    html = render_compliance(compliance, "html").decode()
    assert not re.search(r'(src|href)="(https?:)?//', html), "external asset"
    assert "<script" not in html and "<link" not in html
    for fig in ("fig-pass-rate", "fig-backup-rpo-database-database", "fig-kpi-kpi-api-p95-latency"):
        assert f'id="{fig}"' in html
    # every point of every plot links to a run that the run index defines
    targets = set(re.findall(r'<tr id="(run-[^"]+)"', html))
    assert len(targets) == 30
    links = set(re.findall(r'href="#(run-[^"]+)"', html))
    assert links and links <= targets


def test_html_escapes_recorded_text(compliance: dict[str, Any]) -> None:
    evil = compliance.model_copy(update={"streams": ("<script>alert(1)</script>",)})
    html = render_compliance(evil, "html").decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_oscal_shape(compliance: dict[str, Any]) -> None:
    doc = assessment_results(compliance)["assessment-results"]
    (result,) = doc["results"]
    per_control = [o for o in result["observations"] if o["types"] == ["control-objective"]]
    assert len(per_control) == len(report_json(compliance)["controls"]) == 9
    states = {f["target"]["target-id"]: f["target"]["status"]["state"] for f in result["findings"]}
    assert {k for k, v in states.items() if v == "not-satisfied"} == {
        "iso27001_a.5.15",
        "soc2_cc6.3",
        "soc2_cc7.1",
        "soc2_cc8.1",
    }
    assert len(states) == 9
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    assert len(resources) == 30 + 1  # one per run, and the assessment plan
    obs = per_control[0]
    for evidence in obs["relevant-evidence"]:
        resource = resources[evidence["href"].lstrip("#")]
        (link,) = resource["rlinks"]
        assert link["hashes"][0]["algorithm"] == "SHA-256"
    assert control_token("SOC2:CC6.3") == "soc2_cc6.3"
    # the same facts give the same document
    assert assessment_results(compliance) == assessment_results(compliance)


def test_oscal_validates_with_trestle(compliance: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "ar.json"
    path.write_bytes(render_compliance(compliance, "oscal"))
    validate_oscal(path)
    bad = orjson.loads(path.read_bytes())
    bad["assessment-results"]["results"][0]["observations"][0]["uuid"] = "run-15"
    path.write_bytes(orjson.dumps(bad))
    with pytest.raises(AssertionError, match="invalid"):
        validate_oscal(path)


@pytest.mark.chromium
def test_html_renders_in_chromium(
    compliance: dict[str, Any], review: dict[str, Any], tmp_path: Path
) -> None:
    binary = chromium_binary()
    report = tmp_path / "report.html"
    report.write_bytes(render_compliance(compliance, "html"))
    page = run_chromium(binary, report, "--dump-dom")
    assert page.console == []
    assert page.dom.count("<figure") == 3
    assert page.dom.count("<svg") == 3
    assert f'href="#{anchor("run-15")}"' in page.dom
    assert "Backup age of database vs RPO" in page.dom
    pdf = tmp_path / "report.pdf"
    run_chromium(binary, report, f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    pack = tmp_path / "review.html"
    pack.write_bytes(render_review(review, "html"))
    shot = tmp_path / "review.png"
    rendered = run_chromium(binary, pack, "--dump-dom", f"--screenshot={shot}")
    assert rendered.console == []
    assert 'id="fig-vulnerabilities"' in rendered.dom
    assert "oncall@example.com" in rendered.dom
    assert shot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.chromium
def test_console_errors_are_detected(tmp_path: Path) -> None:
    # The check above must be able to fail: a page with a script error is caught.
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>missingFunction();</script></body></html>")
    rendered = run_chromium(chromium_binary(), page, "--dump-dom")
    assert any("missingFunction" in line for line in rendered.console)
