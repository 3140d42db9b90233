"""How checks print times and durations in messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from regulens.engine.types import format_duration


def iso(at: datetime) -> str:
    """Render an aware datetime in UTC, e.g. `2026-11-30T02:01:10Z`."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def human(delta: timedelta) -> str:
    """Render a duration to the second in the policy syntax, e.g. `23m50s`."""
    return format_duration(timedelta(seconds=round(delta.total_seconds())))
