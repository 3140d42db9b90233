"""The incidents section: incident records and their post-incident reviews (handbook)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from regulens.snapshot.kubernetes import Provenance

# Ids and service names are printed and used as keys: no spaces, no markup, no control text.
INCIDENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SERVICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,252}$"
MAX_TEXT = 20_000
SEVERITIES = (1, 2, 3, 4)

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Severity = Annotated[int, Field(ge=1, le=4, description="1 (most severe) .. 4")]


def _visible_name(value: str) -> str:
    # an owner is a person: invisible characters (zero-width, bidi) would let two names look alike
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in value):
        raise ValueError("an owner may not contain control or invisible formatting characters")
    if value != value.strip():
        raise ValueError("an owner may not start or end with whitespace")
    return value


Owner = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_visible_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionStatus(StrEnum):
    """Where an action item of a review stands."""

    OPEN = "open"
    IN_PROGRESS = "in-progress"
    DONE = "done"


class ActionItem(_Strict):
    """One follow-up of a post-incident review, owned and dated."""

    description: Text
    owner: Owner
    due: date = Field(description="The due date (a day, UTC); past due from the next day")
    status: ActionStatus

    def overdue(self, now: datetime) -> bool:
        """True when the item is not done and its due day (UTC) has ended before `now`."""
        end = datetime(self.due.year, self.due.month, self.due.day, tzinfo=UTC)
        return self.status is not ActionStatus.DONE and now >= end + timedelta(days=1)


class TimelineEntry(_Strict):
    """One moment of the incident timeline."""

    at: AwareDatetime
    event: Text


class PostIncidentReview(_Strict):
    """The handbook's post-incident review; a draft may leave parts out (then it is incomplete)."""

    summary: Text | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    root_cause: Text | None = None
    resolution: Text | None = None
    lessons: Text | None = None
    action_items: tuple[ActionItem, ...] | None = Field(
        default=None, description="The follow-ups; [] says explicitly that there are none"
    )
    completed: AwareDatetime | None = Field(
        default=None, description="When the review was completed (signed off)"
    )

    def missing(self) -> list[str]:
        """The parts a complete review needs that this one lacks."""
        parts = {
            "summary": self.summary,
            "timeline": self.timeline or None,
            "root_cause": self.root_cause,
            "resolution": self.resolution,
            "lessons": self.lessons,
            "action_items": self.action_items,
            "completed": self.completed,
        }
        return [name for name, value in parts.items() if value is None]


class AckOrigin(StrEnum):
    """Where an acknowledgement time came from."""

    RECORD = "record"
    ALERTMANAGER_SILENCE = "alertmanager-silence"


class Incident(_Strict):
    """One incident: severity, detection, acknowledgement, resolution and its review."""

    id: str = Field(pattern=INCIDENT_ID_PATTERN)
    severity: Severity
    service: str = Field(pattern=SERVICE_PATTERN)
    title: Text | None = None
    detected: AwareDatetime
    acknowledged: AwareDatetime | None = None
    acknowledged_from: AckOrigin | None = None
    silence: str | None = Field(default=None, description="Alertmanager silence id")
    resolved: AwareDatetime | None = None
    review: PostIncidentReview | None = None
    source: str = Field(description="File and list index the record was read from")

    @model_validator(mode="after")
    def _ordered(self) -> Incident:
        if self.acknowledged is not None and self.acknowledged < self.detected:
            raise ValueError("acknowledged is before detected")
        if self.resolved is not None and self.resolved < self.detected:
            raise ValueError("resolved is before detected")
        if (self.acknowledged is None) != (self.acknowledged_from is None):
            raise ValueError("acknowledged and acknowledged_from go together")
        return self

    def acknowledged_at(self, now: datetime) -> datetime | None:
        """The acknowledgement as known at `now` (a later one has not happened yet)."""
        ack = self.acknowledged
        return ack if ack is not None and ack <= now else None

    def resolved_at(self, now: datetime) -> datetime | None:
        """The resolution as known at `now`."""
        done = self.resolved
        return done if done is not None and done <= now else None


class IncidentsState(_Strict):
    """Every incident record known to the run."""

    provenance: Provenance
    incidents: tuple[Incident, ...] = ()
    unreadable: str | None = Field(
        default=None, description="Why the records could not be read (the checks then error)"
    )

    @model_validator(mode="after")
    def _unique(self) -> IncidentsState:
        seen: set[str] = set()
        for incident in self.incidents:
            if incident.id in seen:
                raise ValueError(f"duplicate incident id {incident.id!r}")
            seen.add(incident.id)
        return self


__all__ = [
    "SEVERITIES",
    "AckOrigin",
    "ActionItem",
    "ActionStatus",
    "Incident",
    "IncidentsState",
    "PostIncidentReview",
    "TimelineEntry",
]
