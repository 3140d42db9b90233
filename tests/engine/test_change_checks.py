"""Change checks: approvals (separation of duties), windows across DST, freezes, safety nets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from regulens.engine import EvalContext, Status, evaluate
from regulens.engine.checks.change_window import WeeklyWindow
from regulens.snapshot import Snapshot
from regulens.snapshot.change import ChangeRequest
from tests.engine.helpers import policy

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def change(**spec: Any) -> Snapshot:
    doc = {
        "apiVersion": "regulens/v1",
        "kind": "ChangeRequest",
        "metadata": {"id": "CHG-1"},
        "spec": {
            "title": "t",
            "category": "normal",
            "requester": "alice@example.com",
            "environment": "production",
            "scheduled": {"start": "2026-11-30T02:00:00Z", "end": "2026-11-30T03:00:00Z"},
            **spec,
        },
    }
    return Snapshot(change=ChangeRequest.model_validate_json(orjson.dumps(doc), strict=True))


def run(check: dict[str, Any], snap: Snapshot, now: datetime = NOW) -> list[Any]:
    return evaluate([policy(check)], snap, EvalContext(now=now))


APPROVAL = {
    "type": "change-approval",
    "rules": {"normal": {"min_approvals": 1, "roles": ["cab"]}, "emergency": {"min_approvals": 2}},
}


def approval(who: str, role: str = "cab", at: str = "2026-11-27T15:00:00Z") -> dict[str, str]:
    return {"approver": who, "role": role, "at": at}


@pytest.mark.parametrize(
    ("category", "approvals", "status", "reason"),
    [
        ("normal", [approval("bob@example.com")], Status.PASS, None),
        ("normal", [], Status.FAIL, None),
        ("normal", [approval("ALICE@example.com")], Status.FAIL, "requester"),
        ("normal", [approval("bob@example.com", "team-lead")], Status.FAIL, "does not count"),
        ("normal", [approval("bob@example.com", at="2026-11-30T02:00:00Z")], Status.FAIL,
         "scheduled start"),
        ("normal", [approval("bob@example.com", at="2026-11-30T01:45:00Z")], Status.FAIL,
         "future"),
        # emergency: two distinct people of any role; one person twice counts once
        ("emergency", [approval("bob@example.com", "eca"), approval("Bob@example.com", "eca")],
         Status.FAIL, "already counted"),
        ("emergency", [approval("bob@example.com", "eca"), approval("carol@example.com", "x")],
         Status.PASS, None),
        ("standard", [], Status.SKIP, None),
    ],
)  # fmt: skip
def test_approvals_separation_of_duties(
    category: str, approvals: list[dict[str, str]], status: Status, reason: str | None
) -> None:
    (result,) = run(APPROVAL, change(category=category, approvals=approvals))
    assert result.status is status, result.message
    if reason is not None:
        assert any(reason in i["reason"] for i in result.details["ignored"]), result.details
    if status is Status.PASS:
        people = {c["approver"].casefold() for c in result.details["counted"]}
        assert "alice@example.com" not in people
        assert len(people) == len(result.details["counted"])


MONDAY_UTC = {
    "type": "change-window",
    "windows": [{"weekday": "monday", "start": "02:00", "duration": "2h"}],
}


@pytest.mark.parametrize(
    ("start", "end", "status"),
    [
        ("2026-11-30T02:00:00Z", "2026-11-30T04:00:00Z", Status.PASS),  # exactly the window
        ("2026-11-30T03:00:00+01:00", "2026-11-30T04:00:00+01:00", Status.PASS),  # offsets
        ("2026-11-30T01:59:00Z", "2026-11-30T03:00:00Z", Status.FAIL),  # starts early
        ("2026-11-30T03:30:00Z", "2026-11-30T04:30:00Z", Status.FAIL),  # runs past the end
        ("2026-12-01T02:00:00Z", "2026-12-01T03:00:00Z", Status.FAIL),  # a Tuesday
    ],
)
def test_standard_change_window(start: str, end: str, status: Status) -> None:
    snap = change(category="standard", scheduled={"start": start, "end": end})
    (result,) = run(MONDAY_UTC, snap)
    assert result.status is status, result.message


BERLIN = {"weekday": "monday", "start": "02:00", "duration": "1h", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("monday", "utc_start"),
    [
        ("2026-10-19", "2026-10-19T00:00:00+00:00"),  # CEST, UTC+2: before the October change
        ("2026-10-26", "2026-10-26T01:00:00+00:00"),  # CET, UTC+1: after it (25 October)
        ("2026-03-23", "2026-03-23T01:00:00+00:00"),  # CET before the March change
        ("2026-03-30", "2026-03-30T00:00:00+00:00"),  # CEST after it
    ],
)
def test_berlin_window_follows_dst(monday: str, utc_start: str) -> None:
    window = WeeklyWindow.model_validate(BERLIN)
    start = datetime.fromisoformat(utc_start)
    assert window.containing(start, start + timedelta(hours=1)) == (
        start,
        start + timedelta(hours=1),
    )
    # an hour earlier or later (the naive "same UTC time all year") is outside
    assert window.containing(start - timedelta(hours=1), start) is None
    assert window.containing(start + timedelta(minutes=30), start + timedelta(hours=2)) is None
    assert monday in utc_start


def test_window_on_the_ambiguous_night_uses_first_occurrence_and_elapsed_duration() -> None:
    # 2026-10-25 02:30 happens twice in Berlin; the window starts at the first (CEST, 00:30Z)
    window = WeeklyWindow.model_validate(
        {"weekday": "sunday", "start": "02:30", "duration": "2h", "timezone": "Europe/Berlin"}
    )
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert window.containing(start, start + timedelta(hours=2)) is not None
    assert window.containing(start, start + timedelta(hours=2, minutes=1)) is None


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2028, 12, 31).date()),
    minute=st.integers(min_value=0, max_value=59),
)
def test_berlin_window_always_starts_at_local_wall_clock(day: Any, minute: int) -> None:
    window = WeeklyWindow.model_validate({**BERLIN, "start": f"04:{minute:02d}"})
    around = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    for start, end in window.occurrences(around):
        local = start.astimezone(ZoneInfo("Europe/Berlin"))
        assert (local.strftime("%A"), local.hour, local.minute) == ("Monday", 4, minute)
        assert end - start == timedelta(hours=1)


def test_window_rejects_unknown_zone_and_bad_time() -> None:
    with pytest.raises(ValidationError, match="unknown IANA time zone"):
        WeeklyWindow.model_validate({**BERLIN, "timezone": "Europe/Atlantis"})
    with pytest.raises(ValidationError):
        WeeklyWindow.model_validate({**BERLIN, "start": "24:00"})


FREEZE = {
    "type": "change-window",
    "window_categories": [],
    "freezes": [
        {"name": "year-end", "start": "2026-12-18T00:00:00Z", "end": "2027-01-04T00:00:00Z"}
    ],
}
IN_FREEZE = {"start": "2026-12-22T10:00:00Z", "end": "2026-12-22T11:00:00Z"}


@pytest.mark.parametrize(
    ("category", "incident", "status"),
    [
        ("standard", None, Status.FAIL),
        ("normal", "INC-1", Status.FAIL),
        ("emergency", None, Status.FAIL),
        ("emergency", "INC-2041", Status.PASS),
    ],
)
def test_freeze(category: str, incident: str | None, status: Status) -> None:
    snap = change(category=category, scheduled=IN_FREEZE, incident=incident)
    (result,) = run(FREEZE, snap)
    assert result.status is status, result.message
    assert result.details["freezes"][0]["name"] == "year-end"
    review = result.details.get("post_implementation_review")
    if status is Status.PASS:
        assert review == {
            "due": "2026-12-27T11:00:00Z",
            "incident": "INC-2041",
            "reason": "emergency change during freeze year-end",
        }
        assert "post-implementation review due" in result.message
    else:
        assert review is None


def test_outside_freeze_passes_without_review() -> None:
    (result,) = run(FREEZE, change(category="normal"))
    assert result.status is Status.PASS
    assert "freezes" not in result.details


@pytest.mark.parametrize(
    ("check", "spec", "status"),
    [
        ({"type": "change-emergency-incident"}, {"category": "emergency"}, Status.FAIL),
        ({"type": "change-emergency-incident"}, {"category": "emergency", "incident": " "},
         Status.FAIL),
        ({"type": "change-emergency-incident"}, {"category": "emergency", "incident": "INC-1"},
         Status.PASS),
        ({"type": "change-emergency-incident"}, {"category": "normal"}, Status.SKIP),
        ({"type": "change-rollback-plan"}, {}, Status.FAIL),
        ({"type": "change-rollback-plan"}, {"rollback": "helm rollback x"}, Status.PASS),
        ({"type": "change-rollback-plan"}, {"category": "standard"}, Status.SKIP),
        ({"type": "change-tests-passed", "required": ["smoke", "integration"]},
         {"tests": {"smoke": "passed", "integration": "passed"}}, Status.PASS),
        ({"type": "change-tests-passed", "required": ["smoke", "integration"]},
         {"tests": {"smoke": "passed", "integration": "failed"}}, Status.FAIL),
        ({"type": "change-tests-passed", "required": ["smoke", "integration"]},
         {"tests": {"smoke": "passed"}}, Status.FAIL),
        ({"type": "change-tests-passed", "required": ["smoke"]}, {"category": "emergency"},
         Status.SKIP),
    ],
)  # fmt: skip
def test_safety_nets(check: dict[str, Any], spec: dict[str, Any], status: Status) -> None:
    (result,) = run(check, change(**spec))
    assert result.status is status, result.message


def test_change_checks_error_without_change_input() -> None:
    (result,) = run(APPROVAL, Snapshot())
    assert result.status is Status.ERROR and "--change" in result.message
