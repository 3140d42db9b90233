"""kpi: a value from Prometheus or a metrics file compared to a threshold, fail-closed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.change import ChangeRequest
from regulens.snapshot.metrics import MetricOrigin, MetricSample, MetricsState
from tests.engine.checks.helpers import NOW, PROVENANCE, run

QUERY = 'sum(rate(x{status=~"5.."}[5m])) / sum(rate(x[5m]))'
ERROR_RATE = {
    "type": "kpi",
    "query": QUERY,
    "metric": "api_error_rate",
    "comparator": "<",
    "threshold": 0.01,
}


def prom(value: float | None, error: str | None = None) -> MetricSample:
    return MetricSample(
        key=QUERY, origin=MetricOrigin.PROMETHEUS, value=value, error=error, observed_at=NOW
    )


def file_value(value: float | None, observed: datetime = NOW) -> MetricSample:
    return MetricSample(
        key="api_error_rate", origin=MetricOrigin.FILE, value=value, observed_at=observed
    )


def snap(
    queries: tuple[MetricSample, ...] = (),
    metrics: tuple[MetricSample, ...] = (),
    change: ChangeRequest | None = None,
) -> Snapshot:
    state = MetricsState(provenance=PROVENANCE, queries=queries, metrics=metrics)
    return Snapshot(metrics=state, change=change)


def test_value_below_threshold_passes_with_details() -> None:
    [r] = run(ERROR_RATE, snap((prom(0.0021),)))
    assert r.status is Status.PASS
    assert r.details == {
        "value": 0.0021,
        "threshold": 0.01,
        "comparator": "<",
        "unit": "",
        "query": QUERY,
        "metric": "api_error_rate",
        "origin": "prometheus",
        "observed_at": "2026-11-30T02:10:00Z",
    }
    assert r.message == "measured 0.0021; must be < 0.01"


def test_breach_fails_and_says_value_and_threshold() -> None:
    [r] = run(ERROR_RATE, snap((prom(15 / 165),)))
    assert r.status is Status.FAIL
    assert r.message == "measured 0.0909091, but must be < 0.01"


@pytest.mark.parametrize(
    ("comparator", "value", "status"),
    [
        ("<", 0.01, Status.FAIL),
        ("<=", 0.01, Status.PASS),
        (">", 0.01, Status.FAIL),
        (">=", 0.01, Status.PASS),
        (">", 0.02, Status.PASS),
        ("<", 0.0, Status.PASS),
    ],
)
def test_comparators_at_the_boundary(comparator: str, value: float, status: Status) -> None:
    [r] = run({**ERROR_RATE, "comparator": comparator}, snap((prom(value),)))
    assert r.status is status


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), None])
def test_nan_inf_and_empty_are_errors_never_pass(value: float | None) -> None:
    [r] = run({**ERROR_RATE, "comparator": ">=", "threshold": -1e300}, snap((prom(value),)))
    assert r.status is Status.ERROR


def test_query_error_is_an_error_with_the_reason() -> None:
    [r] = run(ERROR_RATE, snap((prom(None, "Prometheus answered HTTP 503"),)))
    assert r.status is Status.ERROR
    assert r.message == "no usable value: Prometheus answered HTTP 503"


def test_missing_query_and_metric_is_an_error() -> None:
    [r] = run(ERROR_RATE, snap())
    assert r.status is Status.ERROR
    assert "was not collected" in r.message


def test_metrics_file_value_is_used_without_prometheus() -> None:
    [r] = run(ERROR_RATE, snap(metrics=(file_value(0.5),)))
    assert r.status is Status.FAIL
    assert r.details["origin"] == "file"


def test_prometheus_result_wins_over_the_file() -> None:
    [r] = run(ERROR_RATE, snap((prom(0.001),), (file_value(0.5),)))
    assert r.status is Status.PASS


def test_stale_metrics_file_is_an_error() -> None:
    old = file_value(0.001, NOW - timedelta(minutes=16))
    [r] = run(ERROR_RATE, snap(metrics=(old,)))
    assert r.status is Status.ERROR
    assert "16m old" in r.message and "stale beyond 15m" in r.message
    [r] = run({**ERROR_RATE, "max_staleness": "1h"}, snap(metrics=(old,)))
    assert r.status is Status.PASS


def test_metrics_file_from_the_future_is_an_error() -> None:
    [r] = run(ERROR_RATE, snap(metrics=(file_value(0.001, NOW + timedelta(minutes=5)),)))
    assert r.status is Status.ERROR


def _change(category: str) -> ChangeRequest:
    return ChangeRequest.model_validate(
        {
            "apiVersion": "regulens/v1",
            "kind": "ChangeRequest",
            "metadata": {"id": "CHG-1"},
            "spec": {
                "title": "t",
                "category": category,
                "requester": "r",
                "environment": "production",
                "scheduled": {"start": "2026-11-30T02:00:00Z", "end": "2026-11-30T03:00:00Z"},
            },
        }
    )


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("normal", Status.FAIL),
        ("standard", Status.SKIP),
        ("emergency", Status.SKIP),
        (None, Status.FAIL),
    ],
)
def test_change_categories_restrict_where_the_kpi_applies(
    category: str | None, status: Status
) -> None:
    change = _change(category) if category else None
    params = {**ERROR_RATE, "change_categories": ["normal"]}
    [r] = run(params, snap((prom(0.5),), change=change))
    assert r.status is status
    if status is Status.SKIP:
        assert r.message == f"not a precondition for {category} changes (applies to: normal)"


def test_standard_change_skips_even_without_metrics_input() -> None:
    params = {**ERROR_RATE, "change_categories": ["normal"]}
    [r] = run(params, Snapshot(change=_change("standard")))
    assert r.status is Status.SKIP
    [r] = run(params, Snapshot(change=_change("normal")))
    assert r.status is Status.ERROR
    assert "--prometheus" in r.message


def test_a_kpi_needs_a_query_or_a_metric() -> None:
    with pytest.raises(ValueError, match="needs a PromQL 'query'"):
        run({"type": "kpi", "comparator": "<", "threshold": 1}, snap())


def test_no_metrics_input_is_an_error_naming_the_flags() -> None:
    [r] = run(ERROR_RATE, Snapshot())
    assert r.status is Status.ERROR
    assert "--prometheus URL or --metrics FILE" in r.message
