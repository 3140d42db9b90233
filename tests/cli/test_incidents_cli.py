"""`--incidents` end to end: the example passes, failures deny, bad input never allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run_cli, run_json

NOW = "2026-11-30T01:30:00Z"
PACK = ["--policies", "builtin:ops-incidents"]


def _ops(examples: Path) -> list[str]:
    ops = examples / "ops"
    return [
        "--incidents",
        str(ops / "incidents.yaml"),
        "--alertmanager-silences",
        str(ops / "alertmanager-silences.json"),
    ]


def test_example_incidents_pass(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(["evaluate", *PACK, *_ops(examples), "--now", NOW], capsys)
    assert code == 0, report["results"]
    by_incident = {(r["policy"], r["details"]["incident"]): r for r in report["results"]}
    assert set(by_incident) == {
        ("incident-response-time", "INC-2026-0142"),
        ("incident-response-time", "INC-2026-0150"),
        ("incident-response-time", "INC-2026-0155"),
        ("incident-response-time", "INC-2026-0158"),
        ("incident-review", "INC-2026-0142"),
        ("incident-review", "INC-2026-0150"),
    }
    sev1 = by_incident[("incident-response-time", "INC-2026-0142")]["details"]
    assert sev1["acknowledged_from"] == "alertmanager-silence"
    assert sev1["response_seconds"] == pytest.approx(500.402)
    assert sev1["max_response_seconds"] == 900


def test_time_is_an_input(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a week later INC-2026-0150's action item (due 2026-12-04) is overdue: same data, new --now
    code, report = run_json(
        ["evaluate", *PACK, *_ops(examples), "--now", "2026-12-07T00:00:00Z"], capsys
    )
    assert code == 1
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert [(r["policy"], r["details"]["incident"]) for r in failed] == [
        ("incident-review", "INC-2026-0150")
    ]
    assert failed[0]["details"]["overdue_action_items"][0]["owner"] == "lee@example.com"


def test_without_the_flag_both_policies_error_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, report = run_json(["evaluate", *PACK, "--now", NOW], capsys)
    assert code == 2
    assert {r["status"] for r in report["results"]} == {"error"}
    assert all("--incidents FILE" in r["message"] for r in report["results"])


def test_bad_records_exit_2_with_the_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "incidents.yaml"
    path.write_text("- id: INC-1\n  severity: 9\n  service: api\n  detected: '2026-11-30'\n")
    code, out, err = run_cli(["evaluate", *PACK, "--incidents", str(path), "--now", NOW], capsys)
    assert code == 2
    assert out == ""
    assert f"{path}:2:13: [0].severity" in err
    assert f"{path}:4:13: [0].detected" in err
    assert "Traceback" not in err


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "nope.yaml")
    code, _, err = run_cli(["evaluate", *PACK, "--incidents", missing, "--now", NOW], capsys)
    assert code == 3
    assert "no such incidents file" in err


def _policy(tmp_path: Path, enforcement: str) -> str:
    path = tmp_path / f"{enforcement}.yaml"
    path.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t, version: '1'}\n"
        "policies:\n  - id: response\n    title: t\n    severity: high\n"
        f"    enforcement: {enforcement}\n"
        "    check:\n      type: incident-response-time\n"
        "      max_response: {sev1: 15m, sev2: 1h, sev3: 4h, sev4: 24h}\n"
    )
    return str(path)


@pytest.mark.parametrize(("enforcement", "exit_code"), [("deny", 2), ("dryrun", 0)])
def test_unreadable_records_error_and_deny_when_enforced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], enforcement: str, exit_code: int
) -> None:
    unreadable = tmp_path / "records"
    unreadable.mkdir()  # a directory: it exists, and cannot be read as a file
    args = ["evaluate", "--policies", _policy(tmp_path, enforcement)]
    code, report = run_json([*args, "--incidents", str(unreadable), "--now", NOW], capsys)
    assert code == exit_code
    (result,) = report["results"]
    assert result["status"] == "error"
    assert "not evaluated" in result["message"]
    assert "cannot read incidents file" in result["message"]


def test_silences_need_incidents(examples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    silences = str(examples / "ops" / "alertmanager-silences.json")
    args = ["evaluate", *PACK, "--alertmanager-silences", silences, "--now", NOW]
    code, _, err = run_cli(args, capsys)
    assert code == 3
    assert "give --incidents too" in err


def test_saved_snapshot_replays_the_incidents_section(
    examples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.json"
    args = ["snapshot", "--manifests", str(examples / "platform"), *_ops(examples)]
    code, _, err = run_cli([*args, "-o", str(snap)], capsys)
    assert code == 0, err
    saved = json.loads(snap.read_text())
    assert saved["incidents"]["provenance"]["source"] == "incidents"
    assert saved["incidents"]["provenance"]["digest"].startswith("sha256:")
    first = run_json(["evaluate", *PACK, *_ops(examples), "--now", NOW], capsys)
    again = run_json(["evaluate", *PACK, "--snapshot", str(snap), "--now", NOW], capsys)
    assert first[0] == again[0] == 0
    assert first[1]["results"] == again[1]["results"]
    both = ["evaluate", *PACK, "--snapshot", str(snap), *_ops(examples), "--now", NOW]
    code, _, err = run_cli(both, capsys)
    assert code == 3
    assert "--incidents and --snapshot both supply the incidents section" in err


def test_hostile_free_text_is_printed_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    review = {
        "summary": "s",
        "timeline": [{"at": "2026-06-01T00:00:00Z", "event": "e"}],
        "root_cause": "r",
        "resolution": "r",
        "lessons": "l",
        "action_items": [
            {
                "description": "[bold red]PWNED[/bold red] \u202eevil",
                "owner": "[link=http://x]me[/link]",
                "due": "2026-11-01",
                "status": "open",
            }
        ],
        "completed": "2026-06-02T00:00:00Z",
    }
    record = {
        "id": "INC-1",
        "severity": 1,
        "service": "api",
        "detected": "2026-06-01T00:00:00Z",
        "acknowledged": "2026-06-01T00:10:00Z",
        "resolved": "2026-06-01T01:00:00Z",
        "review": review,
    }
    path = tmp_path / "incidents.json"
    path.write_text(json.dumps([record]))
    args = ["evaluate", *PACK, "--select", "incident-review", "--incidents", str(path)]
    code, out, err = run_cli([*args, "--now", NOW, "--format", "table"], capsys)
    assert code == 1, err
    flat = " ".join(out.split())
    assert "[bold red]PWNED[/bold red]" in flat.replace("│ ", "").replace(" │", "")
    assert "[link=http://x]me[/link]" in flat
    assert "\u202e" not in out and "\x1b" not in out
