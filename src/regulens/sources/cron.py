"""How often a backup schedule runs: the longest gap between two runs of a cron expression."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

# croniter (and dateutil under it) is imported on first use: most runs read no schedule.

# A fixed reference: the interval is a property of the expression alone (DST is ignored).
_REFERENCE = date(2024, 1, 1)
_DAYS = 2 * 366 + 31  # two years and a month cover every month-length and weekday pattern
_MAX_RUNS = 5000
_TZ_PREFIX = re.compile(r"^(?:CRON_TZ|TZ)=\S+\s+")
_EVERY = re.compile(r"^@every\s+((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)$")
_GO_UNIT = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
# `M H * * *` (and `*` for either): a daily schedule, by far the most common; read without
# croniter, whose validation and expansion cost half a millisecond per expression
_MINUTE = re.compile(r"\*|[0-5]?[0-9]")
_HOUR = re.compile(r"\*|[01]?[0-9]|2[0-3]")


@lru_cache(maxsize=4096)  # pure; a cluster repeats a few schedules over many CronJobs
def max_interval(expression: str) -> float:
    """Return the longest gap in seconds between consecutive runs; ValueError when invalid.

    Accepts five-field cron (names, ranges, steps, `@hourly`...), a `CRON_TZ=`
    prefix and Velero's `@every 1h30m`.
    """
    text = _TZ_PREFIX.sub("", expression.strip())
    every = _EVERY.match(text)
    if every is not None:
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _GO_UNIT.findall(every.group(1)))
        if seconds <= 0:
            raise ValueError(f"{expression!r}: @every needs a positive duration")
        return seconds
    daily = _daily_fields(text)
    if daily is not None:
        return _from_fields(daily)
    from croniter import croniter

    if len(text.split()) not in (1, 5) or not croniter.is_valid(text):
        raise ValueError(f"{expression!r} is not a valid five-field cron expression")
    fields = croniter.expand(text)[0]
    if all(v == "*" or isinstance(v, int) for f in fields for v in f):
        return _from_fields(fields)
    return _by_iteration(text)  # e.g. `L` (last day of month): rare, and slower


def _daily_fields(text: str) -> list[list[Any]] | None:
    """The fields croniter expands `M H * * *` into (`[5]`, `["*"]`...), or None for others."""
    parts = text.split()
    if len(parts) != 5 or parts[2:] != ["*", "*", "*"]:
        return None
    minute, hour = parts[0], parts[1]
    if _MINUTE.fullmatch(minute) is None or _HOUR.fullmatch(hour) is None:
        return None
    return [["*"] if f == "*" else [int(f)] for f in (minute, hour)] + [["*"], ["*"], ["*"]]


def _values(field: list[Any], low: int, high: int) -> list[int]:
    return list(range(low, high + 1)) if field == ["*"] else sorted(int(v) for v in field)


def _from_fields(fields: list[list[Any]]) -> float:
    """Runs are (allowed day) x (times of day); the gaps follow from both sorted lists."""
    minutes = _values(fields[0], 0, 59)
    hours = _values(fields[1], 0, 23)
    times = [h * 3600 + m * 60 for h in hours for m in minutes]
    doms, months, dows = fields[2], fields[3], fields[4]
    dom_set = set(_values(doms, 1, 31))
    month_set = set(_values(months, 1, 12))
    dow_set = {d % 7 for d in _values(dows, 0, 6)}
    either = doms != ["*"] and dows != ["*"]  # cron: both restricted means dom OR dow

    def allowed(day: date) -> bool:
        if day.month not in month_set:
            return False
        dom_ok = day.day in dom_set
        dow_ok = (day.isoweekday() % 7) in dow_set
        return (dom_ok or dow_ok) if either else (dom_ok and dow_ok)

    longest = max((b - a for a, b in pairwise(times)), default=0)
    if doms == ["*"] and months == ["*"] and dows == ["*"]:
        day_gap = 1  # every day (most schedules): no calendar walk
    else:
        days = [n for n in range(_DAYS) if allowed(_REFERENCE + timedelta(days=n))]
        if not days:
            raise ValueError("the cron expression never runs")
        if len(days) == 1:
            return float(_DAYS * 86400)  # e.g. 29 February: at least the whole window apart
        day_gap = max(b - a for a, b in pairwise(days))
    # and across days: from the last run of an allowed day to the first of the next one
    return float(max(longest, day_gap * 86400 - times[-1] + times[0]))


def _by_iteration(text: str) -> float:
    from croniter import croniter

    runs = croniter(text, datetime(2024, 1, 1, tzinfo=UTC))
    previous = runs.get_next(datetime)
    longest = 0.0
    for _ in range(_MAX_RUNS):
        current = runs.get_next(datetime)
        longest = max(longest, (current - previous).total_seconds())
        previous = current
    return longest
