from __future__ import annotations

from datetime import UTC, datetime

import pytest

from regulens.errors import ConfigError
from regulens.reports.runs import decode_statement, parse_period


def test_month_quarter_and_range_periods() -> None:
    month = parse_period("2026-11")
    assert (month.since, month.until) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    q4 = parse_period("2026-Q4")
    assert (q4.since, q4.until) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    year = parse_period("2026")
    assert (year.label, year.since, year.until) == (
        "2026",
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    since, until = datetime(2026, 11, 3, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC)
    custom = parse_period(None, since, until)
    assert custom.contains(since) and not custom.contains(until)


@pytest.mark.parametrize(
    ("period", "since", "until"),
    [
        ("2026-13", None, None),
        ("2026-Q5", None, None),
        ("0000", None, None),
        ("9999", None, None),
        ("26", None, None),
        ("November", None, None),
        (None, None, None),
        (None, datetime(2026, 11, 5, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 5, tzinfo=UTC), None),
    ],
)
def test_bad_periods_are_usage_errors(
    period: str | None, since: datetime | None, until: datetime | None
) -> None:
    with pytest.raises(ConfigError):
        parse_period(period, since, until)


def test_decode_statement_returns_the_predicate() -> None:
    payload = b'{"_type":"https://in-toto.io/Statement/v1","predicate":{"run":{"id":"r1"}}}'
    assert decode_statement(payload) == {"run": {"id": "r1"}}


def test_decode_statement_rejects_non_statements() -> None:
    from regulens.errors import EvidenceError

    with pytest.raises(EvidenceError):
        decode_statement(b'{"subject": []}')
    with pytest.raises(EvidenceError):
        decode_statement(b"not json")
