"""The `change-window` check: maintenance windows (time-zone and DST aware) and freezes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from regulens.engine.changes import change_of, change_subject, iso
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.change import Category

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = get_args(Weekday)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeeklyWindow(_Strict):
    """A weekly maintenance window: weekday and wall-clock start in an IANA time zone."""

    weekday: Weekday
    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description='"HH:MM", quoted')
    duration: Duration = Field(description="Elapsed time from the start, e.g. 2h")
    timezone: str = Field(default="UTC", description="IANA zone, e.g. Europe/Berlin")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _sane_duration(self) -> WeeklyWindow:
        if not timedelta(0) < self.duration <= timedelta(days=7):
            raise ValueError("duration must be more than 0 and at most 7d")
        return self

    def occurrences(self, around: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield the (start, end) in UTC of each occurrence that could contain `around`.

        The local start is resolved with zoneinfo: a start that falls in the
        spring-forward gap moves forward by the gap; one that occurs twice (autumn)
        is the first occurrence. The duration is elapsed time, not wall-clock time.
        """
        zone = ZoneInfo(self.timezone)  # cached by zoneinfo
        local_day = around.astimezone(zone).date()
        hours, minutes = (int(p) for p in self.start.split(":"))
        back = self.duration.days + 2
        for offset in range(back, -2, -1):
            day = local_day - timedelta(days=offset)
            if WEEKDAYS[day.weekday()] != self.weekday:
                continue
            start = _local(day, time(hours, minutes), zone)
            yield start, start + self.duration

    def containing(self, start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
        """Return the occurrence that contains [start, end], or None."""
        for ws, we in self.occurrences(start):
            if ws <= start and end <= we:
                return ws, we
        return None

    def describe(self) -> str:
        """Render as `monday 02:00 +2h (UTC)`."""
        return f"{self.weekday} {self.start} +{format_duration(self.duration)} ({self.timezone})"


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


class Freeze(_Strict):
    """A change freeze: no change of the frozen categories may overlap it."""

    name: str = Field(min_length=1)
    start: AwareDatetime
    end: AwareDatetime
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Freeze:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class ChangeWindow(Check):
    """The change runs inside a maintenance window and outside freezes, per category."""

    type: Literal["change-window"]
    windows: tuple[WeeklyWindow, ...] = Field(default=(), description="Weekly windows")
    window_categories: tuple[Category, ...] = Field(
        default=(Category.STANDARD,),
        description="Categories whose whole scheduled period must lie inside one window",
    )
    freezes: tuple[Freeze, ...] = Field(default=(), description="Freeze periods")
    freeze_categories: tuple[Category, ...] = Field(
        default=(Category.STANDARD, Category.NORMAL),
        description="Categories never allowed in a freeze; others need spec.incident there",
    )
    review_within: Duration = Field(
        default=timedelta(days=5),
        description="A change made in a freeze is reviewed this long after scheduled.end",
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge the scheduled period against the windows and freezes."""
        change = change_of(snap)
        spec = change.spec
        start, end = spec.scheduled.start, spec.scheduled.end
        problems: list[str] = []
        details: dict[str, Any] = {
            "category": spec.category.value,
            "scheduled": {"start": iso(start), "end": iso(end)},
        }
        if spec.category in self.window_categories:
            found = next(
                ((w, occ) for w in self.windows if (occ := w.containing(start, end)) is not None),
                None,
            )
            if found is None:
                listed = "; ".join(w.describe() for w in self.windows) or "none defined"
                problems.append(f"scheduled period is not inside a maintenance window ({listed})")
            else:
                window, (ws, we) = found
                details["window"] = {
                    "window": window.describe(),
                    "start": iso(ws),
                    "end": iso(we),
                }
        frozen = [f for f in self.freezes if start < f.end and f.start < end]
        if frozen:
            details["freezes"] = [
                {"name": f.name, "start": iso(f.start), "end": iso(f.end)} for f in frozen
            ]
            names = ", ".join(f.name for f in frozen)
            if spec.category in self.freeze_categories:
                problems.append(f"{spec.category.value} changes are not allowed in freeze {names}")
            elif not (spec.incident and spec.incident.strip()):
                problems.append(
                    f"a {spec.category.value} change in freeze {names} needs spec.incident"
                )
            else:
                details["post_implementation_review"] = {
                    "due": iso(end + self.review_within),
                    "incident": spec.incident,
                    "reason": f"{spec.category.value} change during freeze {names}",
                }
        if problems:
            yield Finding(
                Status.FAIL,
                f"{change.metadata.id}: {'; '.join(problems)}",
                details=details,
                subject=change_subject(change),
            )
            return
        note = (
            "; post-implementation review due " + details["post_implementation_review"]["due"]
            if "post_implementation_review" in details
            else ""
        )
        where = " inside window " + details["window"]["window"] if "window" in details else ""
        yield Finding(
            Status.PASS,
            f"{change.metadata.id}: scheduled {iso(start)}..{iso(end)}{where}{note}",
            details=details,
            subject=change_subject(change),
        )
