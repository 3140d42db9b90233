"""Incident records and Alertmanager silences: strict, located, fail-closed, hostile-proof."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot.incidents import AckOrigin, ActionStatus
from regulens.sources.datafile import MAX_BYTES
from regulens.sources.incidents import read_incidents, read_silences
from tests.engine.checks.helpers import at
from tests.support.unprivileged import run_unprivileged, shared_tmp

GOOD = {
    "id": "INC-1",
    "severity": 1,
    "service": "regulensai-api",
    "detected": "2026-11-20T10:00:00Z",
    "acknowledged": "2026-11-20T10:05:00Z",
    "resolved": "2026-11-20T11:00:00Z",
}
SILENCE_ID = "3f0c2a9e-1d4b-4c6a-9e8f-0a1b2c3d4e5f"
SILENCE = {
    "id": SILENCE_ID,
    "status": {"state": "expired"},
    "updatedAt": "2026-11-20T11:02:11.530Z",
    "comment": "INC-1",
    "createdBy": "sam@example.com",
    "startsAt": "2026-11-20T10:07:00.250Z",
    "endsAt": "2026-11-20T11:02:11.530Z",
    "matchers": [{"name": "alertname", "value": "ApiDown", "isRegex": False, "isEqual": True}],
}


def _owner(owner: str) -> dict[str, object]:
    item = {"description": "x", "owner": owner, "due": "2026-12-01", "status": "open"}
    return {"review": {"action_items": [item]}}


def write(tmp_path: Path, text: str, name: str = "incidents.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_example_incidents_with_the_silences_export(examples: Path) -> None:
    ops = examples / "ops"
    state = read_incidents(str(ops / "incidents.yaml"), str(ops / "alertmanager-silences.json"))
    by_id = {i.id: i for i in state.incidents}
    assert set(by_id) == {"INC-2026-0142", "INC-2026-0150", "INC-2026-0155", "INC-2026-0158"}
    sev1 = by_id["INC-2026-0142"]
    assert sev1.acknowledged == at("2026-11-12T14:11:20.402Z")
    assert sev1.acknowledged_from is AckOrigin.ALERTMANAGER_SILENCE
    assert sev1.review is not None and sev1.review.missing() == []
    assert [a.status for a in sev1.review.action_items or ()] == [
        ActionStatus.DONE,
        ActionStatus.IN_PROGRESS,
    ]
    assert by_id["INC-2026-0150"].acknowledged_from is AckOrigin.RECORD
    assert by_id["INC-2026-0158"].resolved is None
    assert state.provenance.digest.startswith("sha256:")
    assert state.provenance.inputs == (
        str(ops / "incidents.yaml"),
        str(ops / "alertmanager-silences.json"),
    )


@pytest.mark.parametrize(
    ("entry", "where", "problem"),
    [
        ({"severity": "1"}, "[0].severity", "integer"),
        ({"severity": 5}, "[0].severity", "less than or equal to 4"),
        ({"severity": 0}, "[0].severity", "greater than or equal to 1"),
        ({"severity": True}, "[0].severity", "integer"),
        ({"severity": 1.0}, "[0].severity", "integer"),
        ({"detected": 1764583200}, "[0].detected", ""),
        ({"detected": "2026-11-20T10:00:00"}, "[0].detected", "timezone"),
        ({"acknowledged": "2026-11-20 10:05"}, "[0].acknowledged", "timezone"),
        ({"resolved": "yesterday"}, "[0].resolved", ""),
        ({"id": "INC 1"}, "[0].id", "pattern"),
        ({"id": "\u202eINC-1"}, "[0].id", "pattern"),
        ({"id": "[bold]x[/bold]"}, "[0].id", "pattern"),
        ({"id": "x" * 65}, "[0].id", "pattern"),
        ({"service": "../../etc/passwd x"}, "[0].service", "pattern"),
        ({"service": ""}, "[0].service", ""),
        ({"severity": None}, "[0].severity", ""),
        ({"owner": "x"}, "[0]", "unknown field"),
        ({"review": {"summary": ""}}, "[0].review.summary", "at least 1"),
        (
            {
                "review": {
                    "action_items": [
                        {"description": "x", "owner": "o", "due": "soon", "status": "open"}
                    ]
                }
            },
            "[0].review.action_items[0].due",
            "",
        ),
        (
            {
                "review": {
                    "action_items": [
                        {"description": "x", "owner": "o", "due": "2026-12-01", "status": "closed"}
                    ]
                }
            },
            "[0].review.action_items[0].status",
            "",
        ),
        (
            {
                "review": {
                    "action_items": [{"description": "x", "due": "2026-12-01", "status": "open"}]
                }
            },
            "[0].review.action_items[0]",
            "owner",
        ),
        (_owner("lee\u200b@example.com"), "[0].review.action_items[0].owner", "invisible"),
        (_owner("lee\u202e"), "[0].review.action_items[0].owner", "invisible"),
        (_owner(" lee"), "[0].review.action_items[0].owner", "whitespace"),
        (
            {"review": {"timeline": [{"at": "2026-11-20T10:00:00", "event": "x"}]}},
            "[0].review.timeline[0].at",
            "timezone",
        ),
    ],
)
def test_wrong_types_and_hostile_values_are_located_input_errors(
    tmp_path: Path, entry: dict[str, object], where: str, problem: str
) -> None:
    data = {**GOOD, **entry}
    path = write(tmp_path, json.dumps([data], indent=1), "incidents.json")
    with pytest.raises(InputDataError) as info:
        read_incidents(path)
    message = info.value.message
    assert message.startswith(f"{path}:"), message
    line = message.split(":")[1]
    assert line.isdigit(), message  # file:line:col, for JSON files too
    assert where in message
    assert problem in message
    assert "\u202e" not in info.value.render() and "\x1b" not in info.value.render()


def test_missing_required_fields_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "- {id: INC-1, service: api}\n")
    with pytest.raises(InputDataError) as info:
        read_incidents(path)
    assert f"{path}:1:3: [0].severity" in info.value.message
    assert "[0].detected" in info.value.message


def test_duplicate_ids_are_an_error_at_the_second(tmp_path: Path) -> None:
    entry = "- {id: INC-1, severity: 2, service: api, detected: '2026-11-20T10:00:00Z'}\n"
    path = write(tmp_path, "# two\n" + entry + entry)
    with pytest.raises(
        InputDataError,
        match=r"incidents.yaml:3:8: \[1\]\.id: duplicate incident id 'INC-1' \(first at \[0\]\)",
    ):
        read_incidents(path)


def test_duplicate_keys_are_refused_in_yaml_and_json(tmp_path: Path) -> None:
    yaml_path = write(tmp_path, "- {id: INC-1, id: INC-2, severity: 1}\n")
    with pytest.raises(InputDataError, match="duplicate"):
        read_incidents(yaml_path)
    json_path = write(tmp_path, '[{"id": "INC-1", "id": "INC-2"}]', "i.json")
    with pytest.raises(InputDataError, match=r"i.json:1:\d+.*duplicate"):
        read_incidents(json_path)


@pytest.mark.parametrize(
    "text",
    [
        '[{"id": "INC-1", "severity": 1, "service": "api", "detected": "2026-11',
        "- id: INC-1\n  severity: 1\n  review: {summary: 'cut",
        "",
        "# only a comment\n",
        "{id: INC-1}\n",
        "- a\n---\n- b\n",
        "- &a {id: INC-1}\n- *a\n",
    ],
    ids=["truncated-json", "truncated-yaml", "empty", "comment", "not-a-list", "two-docs", "alias"],
)
def test_truncated_empty_and_odd_files_are_input_errors(tmp_path: Path, text: str) -> None:
    name = "i.json" if text.startswith("[") else "i.yaml"
    with pytest.raises(InputDataError) as info:
        read_incidents(write(tmp_path, text, name))
    assert info.value.message.startswith(str(tmp_path / name))


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n[]\n")
    with pytest.raises(InputDataError, match="larger than"):
        read_incidents(str(path))


def test_control_characters_and_nul_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.yaml"
    path.write_bytes(b'- {id: INC-1, severity: 1, service: api, title: "a\x1b[31mred"}\n')
    with pytest.raises(InputDataError) as info:
        read_incidents(str(path))
    assert "\x1b" not in info.value.render()
    path.write_bytes(b"[]\x00\n")
    with pytest.raises(InputDataError):
        read_incidents(str(path))


@pytest.mark.parametrize(
    ("entry", "where", "problem"),
    [
        (
            {"acknowledged": "2026-11-20T09:59:59Z"},
            "[0].acknowledged",
            "acknowledged before detected",
        ),
        ({"resolved": "2026-11-20T09:00:00Z"}, "[0].resolved", "resolved before detected"),
        # offsets count: 10:30+01:00 is 09:30Z, before the detection at 10:00Z
        ({"acknowledged": "2026-11-20T10:30:00+01:00"}, "[0].acknowledged", "before detected"),
    ],
)
def test_impossible_orderings_are_input_errors(
    tmp_path: Path, entry: dict[str, object], where: str, problem: str
) -> None:
    path = write(tmp_path, json.dumps([{**GOOD, **entry}], indent=1), "i.json")
    with pytest.raises(InputDataError) as info:
        read_incidents(path)
    assert where in info.value.message and problem in info.value.message


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such incidents file"):
        read_incidents(str(tmp_path / "nope.yaml"))


def test_unreadable_file_is_a_section_that_errors() -> None:
    # as nobody (tests run as root, who reads any file): tests/support/unprivileged.py
    with shared_tmp() as tmp:
        path = tmp / "i.yaml"
        path.write_text("[]\n")
        path.chmod(0)
        body = f"""
state = read_incidents({str(path)!r})
return {{"incidents": len(state.incidents), "unreadable": state.unreadable}}
"""
        imports = "from regulens.sources.incidents import read_incidents"
        got = run_unprivileged(imports, body, path)
    assert got["incidents"] == 0
    assert got["unreadable"] is not None and "Permission denied" in got["unreadable"]


def test_a_directory_is_unreadable_not_a_traceback(tmp_path: Path) -> None:
    state = read_incidents(str(tmp_path))
    assert state.unreadable is not None and "cannot read incidents file" in state.unreadable


# -- Alertmanager silences ------------------------------------------------------------


def _with_silence(tmp_path: Path, silences: object, **entry: object) -> tuple[str, str]:
    incident = {k: v for k, v in GOOD.items() if k != "acknowledged"}
    records = json.dumps([{**incident, "silence": SILENCE_ID, **entry}])
    incidents = write(tmp_path, records, "i.json")
    return incidents, write(tmp_path, json.dumps(silences, indent=1), "silences.json")


def test_silence_start_is_the_acknowledgement(tmp_path: Path) -> None:
    state = read_incidents(*_with_silence(tmp_path, [SILENCE]))
    (incident,) = state.incidents
    assert incident.acknowledged == at("2026-11-20T10:07:00.250Z")
    assert incident.acknowledged_from is AckOrigin.ALERTMANAGER_SILENCE
    assert incident.silence == SILENCE_ID


def test_silence_without_export_is_an_error(tmp_path: Path) -> None:
    incidents, _ = _with_silence(tmp_path, [SILENCE])
    with pytest.raises(InputDataError, match=r"\[0\]\.silence: .*pass --alertmanager-silences"):
        read_incidents(incidents)


def test_unknown_silence_is_an_error(tmp_path: Path) -> None:
    other = {**SILENCE, "id": "00000000-0000-4000-8000-000000000000"}
    with pytest.raises(InputDataError, match=rf"silence {SILENCE_ID} is not in"):
        read_incidents(*_with_silence(tmp_path, [other]))


def test_acknowledged_and_silence_together_are_refused(tmp_path: Path) -> None:
    paths = _with_silence(tmp_path, [SILENCE], acknowledged="2026-11-20T10:05:00Z")
    with pytest.raises(InputDataError, match="not both"):
        read_incidents(*paths)


def test_silence_before_detection_is_an_error(tmp_path: Path) -> None:
    early = {**SILENCE, "startsAt": "2026-11-20T09:00:00Z"}
    with pytest.raises(InputDataError, match=r"\[0\]\.silence: acknowledged before detected"):
        read_incidents(*_with_silence(tmp_path, [early]))


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"startsAt": "2026-11-20T10:07:00"}, "[0].startsAt"),
        ({"status": {"state": "silenced"}}, "[0].status.state"),
        ({"matchers": []}, "[0].matchers"),
        ({"id": "not-a-uuid"}, "[0].id"),
        ({"extra": 1}, "unknown field"),
        ({"createdBy": 7}, "[0].createdBy"),
    ],
)
def test_malformed_silences_are_located_errors(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    path = write(tmp_path, json.dumps([{**SILENCE, **change}], indent=1), "s.json")
    with pytest.raises(InputDataError) as info:
        read_silences(path)
    assert info.value.message.startswith(f"{path}:") and problem in info.value.message


def test_duplicate_silence_ids_are_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([SILENCE, SILENCE], indent=1), "s.json")
    with pytest.raises(InputDataError, match=r"s.json:\d+:\d+: \[1\]\.id: duplicate silence id"):
        read_silences(path)


def test_an_alerts_export_is_recognised_and_refused(tmp_path: Path) -> None:
    alert = {
        "annotations": {"summary": "API down"},
        "endsAt": "2026-11-20T10:30:00Z",
        "fingerprint": "a1b2c3d4e5f60718",
        "receivers": [{"name": "pager"}],
        "startsAt": "2026-11-20T10:00:00Z",
        "status": {"inhibitedBy": [], "silencedBy": [SILENCE_ID], "state": "suppressed"},
        "updatedAt": "2026-11-20T10:07:01Z",
        "labels": {"alertname": "ApiDown"},
    }
    path = write(tmp_path, json.dumps([alert]), "alerts.json")
    with pytest.raises(InputDataError, match=r"GET /api/v2/silences"):
        read_silences(path)


def test_several_problems_print_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.helpers import run_cli

    path = write(tmp_path, "- {id: 'a b', severity: 7, service: api, detected: '2026-11-30'}\n")
    code, _, err = run_cli(
        ["evaluate", "--policies", "builtin:ops-incidents", "--incidents", path], capsys
    )
    assert code == 2
    lines = err.strip().splitlines()
    fields = [re.search(r":\d+:\d+: (\S+): ", line) for line in lines]
    assert [f.group(1) if f else line for f, line in zip(fields, lines, strict=True)] == [
        "[0].id",
        "[0].severity",
        "[0].detected",
    ]
    assert "\\x0a" not in err
