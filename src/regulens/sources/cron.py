"""How often a backup schedule runs: the longest gap between two runs of a cron expression."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from croniter import croniter

# A fixed, timezone-free reference: the interval is a property of the expression alone.
_REFERENCE = datetime(2024, 1, 1, tzinfo=UTC)
_HORIZON = timedelta(days=400)
_MAX_RUNS = 5000
_TZ_PREFIX = re.compile(r"^(?:CRON_TZ|TZ)=\S+\s+")
_EVERY = re.compile(r"^@every\s+((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)$")
_GO_UNIT = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


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
    if len(text.split()) not in (1, 5):
        raise ValueError(f"{expression!r}: expected five cron fields")
    if not croniter.is_valid(text):
        raise ValueError(f"{expression!r} is not a valid cron expression")
    runs = croniter(text, _REFERENCE)
    previous = runs.get_next(datetime)
    longest = 0.0
    for _ in range(_MAX_RUNS):
        current = runs.get_next(datetime)
        longest = max(longest, (current - previous).total_seconds())
        if current - _REFERENCE > _HORIZON:
            break
        previous = current
    return longest
