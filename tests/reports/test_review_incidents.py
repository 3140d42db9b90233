"""The monthly review's incident section, from runs recorded through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.cli.helpers import run_cli
from tests.reports.month import run_cli as month_cli

SEV1_OPEN = {
    "id": "INC-A",
    "severity": 1,
    "service": "regulensai-api",
    "detected": "2026-11-12T14:03:00Z",
}
SEV1_DONE = {
    **SEV1_OPEN,
    "acknowledged": "2026-11-12T14:40:00Z",
    "resolved": "2026-11-12T15:20:00Z",
    "review": {
        "summary": "Pool exhaustion.",
        "timeline": [{"at": "2026-11-12T14:03:00Z", "event": "alert fired"}],
        "root_cause": "Slow query.",
        "resolution": "Index added.",
        "lessons": "Alert on saturation.",
        "action_items": [],
        "completed": "2026-11-14T10:00:00Z",
    },
}
SEV2 = {
    "id": "INC-B",
    "severity": 2,
    "service": "regulensai-worker",
    "detected": "2026-11-18T08:00:00Z",
    "acknowledged": "2026-11-18T08:20:00Z",
    "resolved": "2026-11-18T09:00:00Z",
    "review": {
        **SEV1_DONE["review"],  # type: ignore[dict-item]
        "action_items": [
            {"description": "Probe progress", "owner": "lee@example.com", "due": "2026-11-25",
             "status": "open"},
        ],
        "completed": "2026-11-20T10:00:00Z",
    },
}  # fmt: skip
SEV3_OPEN = {
    "id": "INC-C",
    "severity": 3,
    "service": "regulensai-database",
    "detected": "2026-11-29T22:00:00Z",
    "acknowledged": "2026-11-29T23:00:00Z",
}
OCTOBER = {
    "id": "INC-OLD",
    "severity": 4,
    "service": "regulensai-api",
    "detected": "2026-10-20T10:00:00Z",
    "acknowledged": "2026-10-20T11:00:00Z",
    "resolved": "2026-10-20T12:00:00Z",
}


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    work = tmp_path_factory.mktemp("incident-review")
    url = f"sqlite:///{work / 'evidence.db'}"
    runs = [
        ("2026-11-12T14:30:00Z", [OCTOBER, SEV1_OPEN]),  # Sev1 unacknowledged for 27 min
        ("2026-11-20T12:00:00Z", [OCTOBER, SEV1_DONE, SEV2]),  # the breach is still in view
        ("2026-11-30T23:00:00Z", [OCTOBER, SEV1_DONE, SEV2, SEV3_OPEN]),  # INC-B item overdue
    ]
    results = []
    for i, (now, incidents) in enumerate(runs):
        path = work / f"incidents-{i}.yaml"
        path.write_text(json.dumps(incidents))  # JSON is YAML, and has no anchors
        results.append((now, str(path)))
    return _fill(url, results, work), url


def _fill(url: str, runs: list[tuple[str, str]], work: Path) -> dict[str, Any]:
    for now, path in runs:
        args = ["evaluate", "--policies", "builtin:ops-incidents", "--incidents", path]
        assert (
            month_cli(*args, "--now", now, "--evidence", url, "--record", "--allow-unsigned") == 1
        )
    out = work / "review.json"
    args = ["review", "--evidence", url, "--month", "2026-11", "--format", "json"]
    assert month_cli(*args, "-o", str(out)) == 0
    facts: dict[str, Any] = orjson.loads(out.read_bytes())
    return facts


def test_counts_by_severity_from_the_latest_recorded_records(
    review: tuple[dict[str, Any], str],
) -> None:
    section = review[0]["incidents"]
    assert section["available"] is True and section["runs"] == 3 and section["stored"] == 3
    assert section["by_severity"] == {"1": 1, "2": 1, "3": 1, "4": 0}  # INC-OLD is October's
    assert section["total"] == 3
    assert [i["id"] for i in section["open_at_end"]] == ["INC-C"]


def test_sla_breaches_come_from_the_recorded_results(review: tuple[dict[str, Any], str]) -> None:
    (breach,) = review[0]["incidents"]["sla_breaches"]
    assert breach["incident"] == "INC-A" and breach["severity"] == 1
    # the last run that judged it as failing: acknowledged after 37 minutes
    assert breach["response_seconds"] == 37 * 60 and breach["max_response_seconds"] == 900


def test_overdue_action_items_at_the_last_run(review: tuple[dict[str, Any], str]) -> None:
    (item,) = review[0]["incidents"]["overdue_action_items"]
    assert (item["incident"], item["owner"], item["due"]) == (
        "INC-B",
        "lee@example.com",
        "2026-11-25",
    )


def test_markdown_and_html_show_the_section(
    review: tuple[dict[str, Any], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = review[1]
    md, html = tmp_path / "r.md", tmp_path / "r.html"
    base = ["review", "--evidence", url, "--month", "2026-11"]
    assert run_cli([*base, "--format", "markdown", "-o", str(md)], capsys)[0] == 0
    text = md.read_text()
    assert "## Incidents" in text
    assert "| incidents detected | 1 | 1 | 1 | 0 | 3 | 1 |" in text
    assert "| INC-A | Sev1 | regulensai-api |" in text
    assert "| Probe progress | INC-B | lee@example.com | 2026-11-25 | open |" in text
    assert run_cli([*base, "--format", "html", "-o", str(html)], capsys)[0] == 0
    assert '<h2 id="incidents">Incidents</h2>' in html.read_text()


def test_a_month_without_incident_records_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    platform = str(Path(__file__).resolve().parents[2] / "examples" / "platform")
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "workload-*"]
    args += ["--manifests", platform, "--record", "--now", "2026-11-10T00:00:00Z"]
    assert month_cli(*args, "--evidence", url) == 0
    out = tmp_path / "r.json"
    args = ["review", "--evidence", url, "--month", "2026-11", "--format", "json"]
    assert month_cli(*args, "-o", str(out)) == 0
    section = orjson.loads(out.read_bytes())["incidents"]
    assert section == {
        "available": False,
        "reason": "no run of the month recorded incident records",
    }


def test_recorded_incident_runs_replay_from_the_store(
    review: tuple[dict[str, Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    facts, url = review
    runs = [r["run"] for r in facts["runs"]]
    assert len(runs) == 3
    for run in runs:
        code, out, err = run_cli(["evidence", "replay", "--evidence", url, run], capsys)
        assert code == 0, out + err
        assert "SAME" in out


def test_the_review_pack_with_incidents_follows_its_schema(
    review: tuple[dict[str, Any], str],
) -> None:
    import jsonschema

    from regulens.schemas import committed

    facts, _ = review
    assert facts["incidents"]["available"] is True and facts["incidents"]["sla_breaches"]
    validator = jsonschema.Draft202012Validator(committed("review-pack.schema.json"))
    assert [e.message for e in validator.iter_errors(facts)] == []
