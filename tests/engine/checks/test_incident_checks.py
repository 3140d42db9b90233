"""incident-response-time and incident-review: boundaries, time as an input, properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from regulens.snapshot import Snapshot
from regulens.snapshot.incidents import (
    AckOrigin,
    ActionItem,
    ActionStatus,
    Incident,
    IncidentsState,
    PostIncidentReview,
)
from tests.engine.checks.helpers import PROVENANCE, run

DETECTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RESPONSE = {
    "type": "incident-response-time",
    "max_response": {"sev1": "15m", "sev2": "1h", "sev3": "4h", "sev4": "24h"},
}
REVIEW = {"type": "incident-review", "review_within": "7d"}
LIMITS = {1: 900, 2: 3600, 3: 4 * 3600, 4: 24 * 3600}


def incident(severity: int = 1, ack: float | None = None, **extra: object) -> Incident:
    acknowledged = DETECTED + timedelta(seconds=ack) if ack is not None else None
    return Incident(
        id=str(extra.pop("id", "INC-1")),
        severity=severity,
        service="api",
        detected=DETECTED,
        acknowledged=acknowledged,
        acknowledged_from=AckOrigin.RECORD if acknowledged else None,
        source="test[0]",
        **extra,  # type: ignore[arg-type]
    )


def snap(*incidents: Incident) -> Snapshot:
    return Snapshot(incidents=IncidentsState(provenance=PROVENANCE, incidents=incidents))


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
def test_the_limit_itself_passes_and_one_second_more_fails(severity: int) -> None:
    later = DETECTED + timedelta(days=2)
    limit = LIMITS[severity]
    (ok,) = run(RESPONSE, snap(incident(severity, ack=limit)), later)
    (late,) = run(RESPONSE, snap(incident(severity, ack=limit + 1)), later)
    assert (ok.status.value, late.status.value) == ("pass", "fail")
    assert late.details["breach"] is True and late.details["response_seconds"] == limit + 1


@given(
    severity=st.sampled_from([1, 2, 3, 4]),
    delay=st.integers(min_value=0, max_value=2 * 86400),
    wait=st.integers(min_value=0, max_value=3 * 86400),
)
def test_an_open_incident_fails_exactly_when_its_limit_has_passed(
    severity: int, delay: int, wait: int
) -> None:
    now = DETECTED + timedelta(seconds=wait)
    (result,) = run(RESPONSE, snap(incident(severity, ack=delay)), now)
    # an acknowledgement after `now` has not happened yet at `now`
    responded = delay if delay <= wait else None
    if responded is not None:
        expected = "fail" if responded > LIMITS[severity] else "pass"
    else:
        expected = "fail" if wait > LIMITS[severity] else "pass"
    assert result.status.value == expected


def test_incidents_after_now_are_not_known_yet() -> None:
    (result,) = run(RESPONSE, snap(incident(1)), DETECTED - timedelta(seconds=1))
    assert result.status.value == "pass" and result.message == "no incident detected"


def test_results_are_ordered_by_detection_then_id() -> None:
    a = incident(4, ack=10, id="B")
    b = incident(4, ack=10, id="A")
    results = run(RESPONSE, snap(a, b), DETECTED + timedelta(hours=1))
    assert [r.details["incident"] for r in results] == ["A", "B"]


def _review(completed: datetime | None, items: tuple[ActionItem, ...] = ()) -> PostIncidentReview:
    return PostIncidentReview(
        summary="s",
        timeline=(),
        root_cause="r",
        resolution="x",
        lessons="l",
        action_items=items,
        completed=completed,
    )


def test_an_empty_timeline_is_an_incomplete_review() -> None:
    resolved = DETECTED + timedelta(hours=1)
    review = _review(resolved + timedelta(days=1))
    assert review.missing() == ["timeline"]
    target = incident(1, ack=60, resolved=resolved, review=review)
    (result,) = run(REVIEW, snap(target), resolved + timedelta(days=8))
    assert result.status.value == "fail" and "missing: timeline" in result.message


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        (datetime(2026, 11, 29, 23, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), True),
    ],
)
def test_an_action_item_is_overdue_once_its_due_day_has_ended(now: datetime, overdue: bool) -> None:
    item = ActionItem(description="d", owner="o", due=date(2026, 11, 29), status=ActionStatus.OPEN)
    assert item.overdue(now) is overdue
    done = item.model_copy(update={"status": ActionStatus.DONE})
    assert done.overdue(now) is False


def test_only_the_configured_severities_need_a_review() -> None:
    resolved = DETECTED + timedelta(hours=1)
    sev3 = incident(3, ack=60, resolved=resolved)
    later = resolved + timedelta(days=30)
    assert [r.status.value for r in run(REVIEW, snap(sev3), later)] == ["pass"]
    strict = {**REVIEW, "severities": [1, 2, 3]}
    assert [r.status.value for r in run(strict, snap(sev3), later)] == ["fail"]


def test_the_section_refuses_duplicate_ids_and_impossible_orders() -> None:
    with pytest.raises(ValidationError, match="duplicate incident id"):
        snap(incident(1), incident(2))
    with pytest.raises(ValidationError, match="acknowledged is before detected"):
        incident(1, ack=-1)
    with pytest.raises(ValidationError, match="resolved is before detected"):
        incident(1, resolved=DETECTED - timedelta(seconds=1))


def test_unreadable_records_are_errors_never_passes() -> None:
    state = IncidentsState(provenance=PROVENANCE, unreadable="x: cannot read incidents file")
    for params in (RESPONSE, REVIEW):
        (result,) = run(params, Snapshot(incidents=state))
        assert result.status.value == "error" and "cannot read incidents file" in result.message
