"""OSCAL assessment-results and assessment-plan: subjects, observations, findings, actors, log."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from regulens.reports.compliance import compliance_facts
from regulens.reports.oscal import assessment_results, render_oscal, render_oscal_plan
from regulens.reports.render import report_json
from regulens.reports.runs import RunRecord, month_period
from tests.reports.oscal_refs import dangling_references, resolve_import_ap
from tests.reports.oscal_venv import validate_oscal
from tests.reports.statements import TOOL, VERIFIED, signoff_record, simulated_month


def facts_of(records: list[RunRecord], generated_at: str = "2026-12-03T08:00:00Z") -> Any:
    return compliance_facts(
        records,
        month_period("2026-11"),
        evidence=VERIFIED,
        generated_at=generated_at,
        tool=TOOL,
    )


@pytest.fixture(scope="module")
def signed() -> Any:
    """November 2026 with the month's review signed off (recorded in December)."""
    records, _ = simulated_month()
    return facts_of([*records, signoff_record(31)])


def _doc(facts: Any) -> dict[str, Any]:
    document: dict[str, Any] = assessment_results(facts)["assessment-results"]
    return document


def _props(node: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in node.get("props", [])}


def _validate(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    validate_oscal(path)


def test_failing_resource_observation_names_subject_evidence_and_time(signed: Any) -> None:
    doc = _doc(signed)
    (result,) = doc["results"]
    items = {i["uuid"]: i for i in result["local-definitions"]["inventory-items"]}
    (obs,) = [
        o
        for o in result["observations"]
        if _props(o).get("policy") == "workload-no-privileged" and o["types"] == ["finding"]
    ]
    subject = items[obs["subjects"][0]["subject-uuid"]]
    assert _props(subject) == {
        "stream": "production",
        "api-version": "apps/v1",
        "kind": "Deployment",
        "name": "regulensai-api",
        "namespace": "regulensai",
    }
    assert obs["subjects"][1]["type"] == "component"
    resources = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    runs = [_props(resources[e["href"][1:]])["run-id"] for e in obs["relevant-evidence"]]
    assert runs == ["run-10", "run-11"]  # the days it failed
    digests = {r["run"]: r["digest"] for r in report_json(signed)["runs"]}
    for evidence in obs["relevant-evidence"]:
        resource = resources[evidence["href"][1:]]
        run = _props(resource)["run-id"]
        assert _props(resource)["record-digest"] == digests[run]
        assert resource["rlinks"][0]["hashes"][0]["value"] == digests[run].removeprefix("sha256:")
        assert resource["rlinks"][0]["href"] == f"regulens-evidence:production/{int(run[-2:])}"
    assert obs["collected"] == "2026-11-11T02:10:05Z"  # recorded_at of run-11
    assert _props(obs)["failing-now"] == "false"


def test_findings_per_control_with_status_and_related_observations(signed: Any) -> None:
    (result,) = _doc(signed)["results"]
    observations = {o["uuid"]: o for o in result["observations"]}
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert len(findings) == len(signed.controls) == 9  # every control, not only failed ones
    states = {k: f["target"]["status"]["state"] for k, f in findings.items()}
    assert states == {
        "iso27001_a.5.15": "not-satisfied",
        "iso27001_a.8.9": "satisfied",
        "soc2_a1.1": "satisfied",
        "soc2_a1.2": "satisfied",
        "soc2_a1.3": "satisfied",
        "soc2_cc6.3": "not-satisfied",
        "soc2_cc6.8": "satisfied",
        "soc2_cc7.1": "not-satisfied",
        "soc2_cc8.1": "not-satisfied",
    }
    related = [
        observations[r["observation-uuid"]] for r in findings["soc2_cc6.8"]["related-observations"]
    ]
    assert [o["types"] for o in related] == [["control-objective"], ["finding"]]
    assert _props(related[1])["policy"] == "workload-no-privileged"
    assert findings["soc2_cc6.3"]["target"]["status"]["reason"] == "fail"


def test_actors_reviewer_and_log(signed: Any) -> None:
    doc = _doc(signed)
    (result,) = doc["results"]
    assets = result["local-definitions"]["assessment-assets"]
    (tool,) = assets["components"]
    assert tool["type"] == "software" and _props(tool)["version"] == "0.1.0"
    (party,) = doc["metadata"]["parties"]
    assert party["name"] == "dana@example.com" and party["type"] == "person"
    finding = result["findings"][0]
    actors = [a for o in finding["origins"] for a in o["actors"]]
    assert {(a["type"], a["actor-uuid"]) for a in actors} == {
        ("tool", tool["uuid"]),
        ("party", party["uuid"]),
    }
    (attestation,) = result["attestations"]
    assert attestation["responsible-parties"][0]["party-uuids"] == [party["uuid"]]
    entries = result["assessment-log"]["entries"]
    assert len(entries) == 30 + 1  # one per run, and the sign-off
    assert entries[0]["start"] == "2026-11-01T02:10:00Z"
    assert entries[0]["end"] == "2026-11-01T02:10:05Z"
    assert entries[-1]["logged-by"] == [{"party-uuid": party["uuid"], "role-id": "reviewer"}]


def test_every_reference_resolves_and_the_checker_catches_a_dangling_one(signed: Any) -> None:
    results = assessment_results(signed)
    assert dangling_references(results) == []
    raw, plan = resolve_import_ap(results)
    assert raw == render_oscal_plan(signed)  # the embedded plan is `--format oscal-ap`
    assert dangling_references(plan) == []
    broken = copy.deepcopy(results)
    broken["assessment-results"]["results"][0]["local-definitions"]["inventory-items"].pop()
    assert len(dangling_references(broken)) == 1
    broken["assessment-results"]["metadata"].pop("parties")
    assert any(m.startswith("party-uuid") for m in dangling_references(broken))
    twice = copy.deepcopy(results)
    observations = twice["assessment-results"]["results"][0]["observations"]
    observations.append(observations[0])
    assert dangling_references(twice) == [f"uuid {observations[0]['uuid']} defined twice"]


def test_both_documents_validate_with_trestle(signed: Any, tmp_path: Path) -> None:
    _validate(tmp_path, "ar.json", render_oscal(signed))
    _validate(tmp_path, "ap.json", render_oscal_plan(signed))
    raw, _ = resolve_import_ap(assessment_results(signed))
    _validate(tmp_path, "embedded-ap.json", raw)


def test_uuids_are_deterministic_and_inventory_is_stable_across_periods(signed: Any) -> None:
    records, _ = simulated_month()
    later = facts_of([*records, signoff_record(31)], generated_at="2027-01-05T00:00:00Z")

    def uuids(doc: Any) -> list[str]:
        text = orjson.dumps(doc).decode()
        return sorted(set(re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f-]{27}", text)))

    assert uuids(_doc(signed)) == uuids(_doc(later))
    assert assessment_results(signed) == assessment_results(signed)
    october = compliance_facts(
        records, month_period("2026-11"), evidence=VERIFIED, generated_at="x", tool=TOOL
    )
    first = _doc(signed)["results"][0]["local-definitions"]["inventory-items"]
    again = _doc(october)["results"][0]["local-definitions"]["inventory-items"]
    assert [i["uuid"] for i in first] == [i["uuid"] for i in again]


def _staging_pass(record: RunRecord) -> RunRecord:
    """The same run on a second cluster an hour later, where every result passes."""
    pred = copy.deepcopy(dict(record.predicate))
    pred["run"] = {**pred["run"], "id": "staging-30", "stream": "staging"}
    pred["run"]["now"] = "2026-11-30T03:10:00Z"
    pred["run"]["recorded_at"] = "2026-11-30T03:10:05Z"
    pred["results"] = [{**r, "status": "pass"} for r in pred["results"]]
    return RunRecord(
        "staging-30", "staging", 1, "2026-11-30T03:10:05Z", "sha256:" + "cd" * 32, pred
    )


def test_a_control_failing_in_one_cluster_is_not_satisfied_when_another_ran_last(
    tmp_path: Path,
) -> None:
    records, _ = simulated_month()
    facts = facts_of([*records, _staging_pass(records[-1])])
    assert (
        next(c for c in report_json(facts)["controls"] if c["control"] == "SOC2:CC6.3")[
            "current_status"
        ]
        == "pass"
    )  # the last run overall (staging) passed it
    doc = _doc(facts)
    (result,) = doc["results"]
    finding = next(f for f in result["findings"] if f["target"]["target-id"] == "soc2_cc6.3")
    assert finding["target"]["status"]["state"] == "not-satisfied"  # production still fails
    clusters = [c["title"] for c in result["local-definitions"]["components"]]
    assert clusters == ["Kubernetes cluster production", "Kubernetes cluster staging"]
    assert dangling_references({"assessment-results": doc}) == []
    _validate(tmp_path, "two.json", render_oscal(facts))


def test_hostile_names_and_an_empty_period_still_validate(tmp_path: Path) -> None:
    records, _ = simulated_month()
    pred = copy.deepcopy(dict(records[9].predicate))
    for r in pred["results"]:
        if r["policy"] == "workload-no-privileged":
            r["resource"] = {**r["resource"], "name": "api\n<script>\u202e", "namespace": "\x1b[2J"}
            r["message"] = "line one\nline two\x00"
    hostile = RunRecord(records[9].run_id, "prod\nuction", 10, records[9].recorded_at, "x", pred)
    facts = facts_of([hostile])
    results = assessment_results(facts)
    assert dangling_references(results) == []
    _validate(tmp_path, "hostile.json", render_oscal(facts))
    _validate(tmp_path, "hostile-ap.json", render_oscal_plan(facts))
    empty = facts_of([])
    results = assessment_results(empty)
    assert "observations" not in results["assessment-results"]["results"][0]
    assert dangling_references(results) == []
    resolve_import_ap(results)
    _validate(tmp_path, "empty.json", render_oscal(empty))
    _validate(tmp_path, "empty-ap.json", render_oscal_plan(empty))


def _live(record: RunRecord, digest: str) -> RunRecord:
    pred = {
        **record.predicate,
        "inputs": {"kubernetes": {"digest": digest, "source": "kubernetes"}},
    }
    return RunRecord(record.run_id, record.stream, record.seq, record.recorded_at, "d", pred)


def test_cluster_identity_from_the_newest_stored_live_section(tmp_path: Path) -> None:
    records, _ = simulated_month()
    identity = {"server": "https://10.0.0.1:6443", "context": "prod", "kube_system_uid": "u-1"}
    sections: dict[str, Any] = {
        "sha256:old": {
            "provenance": {"source": "kubernetes", "cluster": {"server": "https://old"}}
        },
        "sha256:new": {"provenance": {"source": "kubernetes", "cluster": identity}},
    }
    live = [_live(records[0], "sha256:old"), _live(records[1], "sha256:new")]
    facts = compliance_facts(
        live,
        month_period("2026-11"),
        evidence=VERIFIED,
        generated_at="2026-12-03T08:00:00Z",
        tool=TOOL,
        sections=sections.get,
    )
    (cluster,) = _doc(facts)["results"][0]["local-definitions"]["components"]
    props = _props(cluster)
    assert props["api-server"] == "https://10.0.0.1:6443"
    assert props["kube-context"] == "prod" and props["cluster-uid"] == "u-1"
    assert props["kubernetes-source"] == "kubernetes"
    _validate(tmp_path, "live.json", render_oscal(facts))


@pytest.mark.parametrize(
    "section",
    [
        None,  # the store does not hold it (or it failed its digest)
        {"provenance": "x"},
        {"provenance": {"cluster": {"server": 5}}},
        {"provenance": {"cluster": {"server": ""}}},
        {"provenance": {"cluster": ["https://x"]}},
    ],
)
def test_cluster_identity_absent_or_malformed_is_left_out(section: Any) -> None:
    records, _ = simulated_month()
    facts = compliance_facts(
        [_live(records[0], "sha256:s")],
        month_period("2026-11"),
        evidence=VERIFIED,
        generated_at="2026-12-03T08:00:00Z",
        tool=TOOL,
        sections=lambda _digest: section,
    )
    (cluster,) = _doc(facts)["results"][0]["local-definitions"]["components"]
    assert "api-server" not in _props(cluster)
    assert report_json(facts)["assessment"]["clusters"][0]["identity"] is None
