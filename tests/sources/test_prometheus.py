"""The Prometheus source against a real Prometheus, plus malformed answers it cannot produce."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx
import pytest

from regulens.policies import load_policies
from regulens.snapshot.metrics import MetricOrigin
from regulens.sources.prometheus import public_url, query_prometheus
from tests.support.prometheus import (
    HEALTHY_AT,
    INCIDENT_AT,
    PrometheusServer,
    expected,
    free_port,
)

KPI_QUERIES = {
    p.id: p.check.query  # type: ignore[union-attr]
    for p in load_policies(["builtin:ops-baseline"]).policies
    if p.check.type == "kpi"
}


def _query(server: PrometheusServer, queries: list[str], at: datetime) -> list:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        return query_prometheus(client, queries, at, 10)


@pytest.mark.prometheus
@pytest.mark.parametrize("at", [HEALTHY_AT, INCIDENT_AT], ids=["healthy", "incident"])
def test_each_kpi_equals_what_the_dataset_implies(
    prometheus_server: PrometheusServer, at: datetime
) -> None:
    ids = sorted(KPI_QUERIES)
    samples = _query(prometheus_server, [KPI_QUERIES[i] for i in ids], at)
    want = expected(at)
    assert len(samples) == len(ids) == 5
    for policy_id, sample in zip(ids, samples, strict=True):
        assert sample.error is None, (policy_id, sample.error)
        assert sample.origin is MetricOrigin.PROMETHEUS
        assert sample.observed_at == at
        assert sample.value == pytest.approx(want[policy_id], abs=1e-9), policy_id


@pytest.mark.prometheus
def test_error_rate_in_the_incident_is_15_of_165(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(prometheus_server, [KPI_QUERIES["kpi-error-rate"]], INCIDENT_AT)
    assert sample.value == pytest.approx(15 / 165, abs=1e-9)


@pytest.mark.prometheus
def test_query_before_the_data_is_an_empty_vector_error(
    prometheus_server: PrometheusServer,
) -> None:
    before = datetime(2026, 9, 1, tzinfo=UTC)
    [sample] = _query(prometheus_server, [KPI_QUERIES["kpi-throughput"]], before)
    assert sample.value is None
    assert sample.error == "no data: the query returned an empty vector"


@pytest.mark.prometheus
def test_unknown_metric_is_no_data(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(prometheus_server, ["sum(no_such_metric_total)"], HEALTHY_AT)
    assert sample.value is None
    assert "empty vector" in (sample.error or "")


@pytest.mark.prometheus
def test_bad_promql_is_a_query_error(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(prometheus_server, ["sum(rate(x[5m]"], HEALTHY_AT)
    assert sample.value is None
    assert sample.error is not None
    assert sample.error.startswith("Prometheus answered HTTP 400: bad_data:")


@pytest.mark.prometheus
@pytest.mark.parametrize(("promql", "shown"), [("0/0", "NaN"), ("1/0", "+Inf"), ("-1/0", "-Inf")])
def test_nan_and_inf_are_errors(
    prometheus_server: PrometheusServer, promql: str, shown: str
) -> None:
    [sample] = _query(prometheus_server, [promql], HEALTHY_AT)
    assert sample.value is None
    assert sample.error == f"no usable value: the query returned {shown}"


@pytest.mark.prometheus
def test_several_series_are_an_error(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(prometheus_server, ["regulensai_system_cpu_usage_percent"], HEALTHY_AT)
    assert sample.value is None
    assert "returned 2 series" in (sample.error or "")


@pytest.mark.prometheus
def test_a_scalar_result_is_accepted(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(
        prometheus_server, ["scalar(max(regulensai_system_cpu_usage_percent))"], INCIDENT_AT
    )
    assert sample.value == pytest.approx(91.5, abs=1e-9)


@pytest.mark.prometheus
def test_a_range_vector_is_rejected(prometheus_server: PrometheusServer) -> None:
    [sample] = _query(prometheus_server, ["up[5m]"], HEALTHY_AT)
    assert sample.value is None
    assert "returned a matrix" in (sample.error or "")


def test_unreachable_prometheus_errors_every_query_once() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with httpx.Client(base_url=url, timeout=2) as client:
        samples = query_prometheus(client, ["up", "up", "vector(1)"], HEALTHY_AT, 2)
    assert [s.key for s in samples] == ["up", "vector(1)"]
    for s in samples:
        assert s.value is None
        assert (s.error or "").startswith("cannot reach Prometheus: ConnectError")


def _mock(handler: httpx.MockTransport) -> list:
    with httpx.Client(base_url="http://prometheus.test", transport=handler) as client:
        return query_prometheus(client, ["up"], HEALTHY_AT, 3)


def _answer(status: int, body: object = None, text: str | None = None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/query"
        assert request.url.params["query"] == "up"
        assert float(request.url.params["time"]) == HEALTHY_AT.timestamp()
        assert request.url.params["timeout"] == "3000ms"
        if text is not None:
            return httpx.Response(status, text=text)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


VECTOR_1 = {"resultType": "vector", "result": [{"metric": {}, "value": [1.0, "1"]}]}


@pytest.mark.parametrize(
    ("transport", "error"),
    [
        (
            _answer(200, {"status": "success", "data": VECTOR_1, "warnings": ["partial data"]}),
            "Prometheus returned warnings (the result may be partial): partial data",
        ),
        (_answer(503, text="upstream unavailable"), "Prometheus answered HTTP 503"),
        (
            _answer(422, {"status": "error", "errorType": "execution", "error": "boom"}),
            "Prometheus answered HTTP 422: execution: boom",
        ),
        (_answer(200, text="<html>"), "malformed Prometheus response: not JSON"),
        (_answer(200, [1, 2]), "malformed Prometheus response: not a JSON object"),
        (
            _answer(
                200,
                {
                    "status": "success",
                    "data": {"resultType": "vector", "result": [{"value": [1.0, 1]}]},
                },
            ),
            'malformed Prometheus response: a sample is not [time, "value"]',
        ),
        (
            _answer(200, {"status": "success"}),
            "malformed Prometheus response: no data object",
        ),
    ],
    ids=["warnings", "http-503", "status-error", "not-json", "not-object", "bad-sample", "no-data"],
)
def test_malformed_or_partial_answers_are_errors(
    transport: httpx.MockTransport, error: str
) -> None:
    [sample] = _mock(transport)
    assert sample.value is None
    assert sample.error == error


def test_timeout_is_an_error() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    [sample] = _mock(httpx.MockTransport(handle))
    assert sample.error == "Prometheus did not answer within 3s"


def test_success_through_the_mock_gives_the_value() -> None:
    [sample] = _mock(_answer(200, {"status": "success", "data": VECTOR_1}))
    assert sample.value == 1.0
    assert math.isfinite(sample.value)


def test_public_url_drops_credentials() -> None:
    assert public_url("https://user:secret@prom.example:9090/base?x=1") == (
        "https://prom.example:9090/base"
    )
