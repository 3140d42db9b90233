"""Stored runs as reports see them: a verified record and its decoded in-toto predicate.

Reports never re-evaluate anything: every figure is computed from these records,
and every figure names the run ids it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from regulens.errors import ConfigError, EvidenceError


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One verified evidence record: where it sits in its chain and what it says."""

    run_id: str
    stream: str
    seq: int
    recorded_at: str
    digest: str  # "sha256:<hex>" of the stored record (its chain hash)
    predicate: Mapping[str, Any]  # read only: runs loaded together share equal values
    # the results, read once (reports read them per policy, per control and per cluster)
    _results: tuple[Mapping[str, Any], ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def run(self) -> Mapping[str, Any]:
        """The predicate's `run` block."""
        run = self.predicate.get("run")
        return run if isinstance(run, Mapping) else {}

    @property
    def command(self) -> str:
        """gate | evaluate | snapshot | review-signoff."""
        return str(self.run.get("command", ""))

    @property
    def now(self) -> datetime:
        """The evaluation time of the run (`--now`), falling back to when it was recorded."""
        return parse_time(str(self.run.get("now") or self.recorded_at))

    @property
    def at(self) -> str:
        """The evaluation time as ISO 8601 with `Z`."""
        return iso(self.now)

    @property
    def results(self) -> tuple[Mapping[str, Any], ...]:
        """The recorded results (empty when the run recorded none)."""
        if self._results is None:
            res = self.predicate.get("results")
            kept = tuple(r for r in res if isinstance(r, Mapping)) if isinstance(res, list) else ()
            object.__setattr__(self, "_results", kept)  # frozen: set once, on first read
            return kept
        return self._results

    @property
    def decision(self) -> Mapping[str, Any]:
        """The recorded decision block (empty when none)."""
        dec = self.predicate.get("decision")
        return dec if isinstance(dec, Mapping) else {}

    @property
    def change(self) -> Mapping[str, Any] | None:
        """The change request summary of a gate run, or None."""
        change = self.predicate.get("change")
        return change if isinstance(change, Mapping) else None

    @property
    def inputs(self) -> Mapping[str, Mapping[str, Any]]:
        """Digests (and sources) of the input sections, by section name."""
        inputs = self.predicate.get("inputs")
        if not isinstance(inputs, Mapping):
            return {}
        return {k: v for k, v in inputs.items() if isinstance(v, Mapping)}


def decode_statement(payload: bytes) -> Mapping[str, Any]:
    """Return the predicate of a stored in-toto Statement (payload bytes as stored)."""
    try:
        statement = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise EvidenceError(f"stored record is not JSON: {exc}") from exc
    return predicate_of(statement)


def predicate_of(statement: Any) -> Mapping[str, Any]:
    """Return the predicate of a parsed in-toto Statement."""
    if not isinstance(statement, dict) or not isinstance(statement.get("predicate"), dict):
        raise EvidenceError("stored record is not an in-toto Statement with a predicate")
    predicate: dict[str, Any] = statement["predicate"]
    return predicate


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; a naive one is taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    """Render a UTC time as ISO 8601 with `Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open time range [since, until) with a label for people."""

    label: str
    since: datetime
    until: datetime

    def contains(self, at: datetime) -> bool:
        """True when `at` falls inside the period."""
        return self.since <= at < self.until

    def to_json(self) -> dict[str, str]:
        """Return `{"label", "since", "until"}`."""
        return {"label": self.label, "since": iso(self.since), "until": iso(self.until)}


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def _month_start(year: int, month: int) -> datetime:
    return datetime(year, month, 1, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return _month_start(index // 12, index % 12 + 1)


def month_period(text: str) -> Period:
    """Parse `2026-11` into the calendar month (UTC)."""
    m = _MONTH.fullmatch(text)
    if m is None:
        raise ConfigError(f"{text!r} is not a month like 2026-11")
    start = _month_start(int(m.group(1)), int(m.group(2)))
    return Period(text, start, _add_months(start, 1))


def parse_period(
    period: str | None, since: datetime | None = None, until: datetime | None = None
) -> Period:
    """Parse `--period 2026-11 | 2026-Q4 | 2026`, or `--since/--until` (exactly one way)."""
    if period is not None and (since is not None or until is not None):
        raise ConfigError("give either --period or --since/--until, not both")
    if period is not None:
        q = _QUARTER.fullmatch(period)
        if q is not None:
            start = _month_start(int(q.group(1)), (int(q.group(2)) - 1) * 3 + 1)
            return Period(period, start, _add_months(start, 3))
        y = _YEAR.fullmatch(period)
        if y is not None and 1 <= int(y.group(1)) <= 9998:
            start = _month_start(int(y.group(1)), 1)
            return Period(period, start, _add_months(start, 12))
        if _MONTH.fullmatch(period) is None:
            raise ConfigError(
                f"--period {period!r} is not a month like 2026-11, a quarter like 2026-Q4 "
                "or a year like 2026"
            )
        return month_period(period)
    if since is None or until is None:
        raise ConfigError("give --period, or both --since and --until")
    if until <= since:
        raise ConfigError("--until must be after --since")
    return Period(f"{iso(since)} to {iso(until)}", since, until)
