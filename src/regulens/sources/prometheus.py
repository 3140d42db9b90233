"""KPI values from Prometheus: instant queries through `/api/v1/query` at an explicit time.

A KPI needs exactly one finite number. Everything else (an empty vector,
several series, NaN or ±Inf, `status: error`, HTTP 4xx/5xx, a timeout, an
unreachable server, `warnings`) becomes that query's error reason, so the
check reports `error`, never `pass`. The client is injected: the CLI builds it
with the base URL, the timeout and the bearer token (never logged).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from regulens.snapshot.metrics import MetricOrigin, MetricSample

log = logging.getLogger(__name__)

QUERY_PATH = "/api/v1/query"


class _QueryFailed(Exception):
    """The query produced no usable value; the message says why."""


class _Unreachable(_QueryFailed):
    """Prometheus could not be reached at all; later queries would fail the same way."""


def public_url(url: str) -> str:
    """Return the URL without user info, query or fragment (safe to record and print)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def query_prometheus(
    client: httpx.Client, queries: Iterable[str], at: datetime, timeout: float
) -> list[MetricSample]:
    """Evaluate each PromQL query at `at`; return one sample (a value or an error) per query."""
    samples: list[MetricSample] = []
    down: str | None = None
    for promql in dict.fromkeys(queries):
        value: float | None = None
        error: str | None = down
        if down is None:
            try:
                value = _instant(client, promql, at, timeout)
            except _Unreachable as exc:
                error = down = str(exc)
            except _QueryFailed as exc:
                error = str(exc)
        if error is not None:
            log.info("prometheus query failed: %s: %s", promql, error)
        samples.append(
            MetricSample(
                key=promql, origin=MetricOrigin.PROMETHEUS, value=value, error=error, observed_at=at
            )
        )
    return samples


def _instant(client: httpx.Client, promql: str, at: datetime, timeout: float) -> float:
    # Prometheus durations take no fractions: send the server-side timeout in milliseconds
    params = {
        "query": promql,
        "time": f"{at.timestamp():.3f}",
        "timeout": f"{max(1, round(timeout * 1000))}ms",
    }
    try:
        response = client.get(QUERY_PATH, params=params)
    except httpx.TimeoutException:
        raise _Unreachable(f"Prometheus did not answer within {timeout:g}s") from None
    except httpx.TransportError as exc:
        raise _Unreachable(f"cannot reach Prometheus: {type(exc).__name__}: {exc}") from None
    body = _json(response)
    if response.status_code >= 400 or body.get("status") != "success":
        detail = ""
        if body.get("error"):
            detail = f": {body.get('errorType', 'error')}: {body['error']}"
        raise _QueryFailed(f"Prometheus answered HTTP {response.status_code}{detail}")
    warnings = body.get("warnings")
    if warnings:
        shown = "; ".join(str(w) for w in warnings) if isinstance(warnings, list) else warnings
        raise _QueryFailed(f"Prometheus returned warnings (the result may be partial): {shown}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise _QueryFailed("malformed Prometheus response: no data object")
    kind = data.get("resultType")
    result = data.get("result")
    if kind == "scalar":
        return _number(result)
    if kind == "vector" and isinstance(result, list):
        if not result:
            raise _QueryFailed("no data: the query returned an empty vector")
        if len(result) > 1:
            raise _QueryFailed(
                f"the query returned {len(result)} series; a KPI needs exactly one "
                "(aggregate it, e.g. with sum, max or avg)"
            )
        sample = result[0]
        return _number(sample.get("value") if isinstance(sample, dict) else None)
    raise _QueryFailed(f"the query returned a {kind}; a KPI needs a scalar or a one-sample vector")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        if response.status_code >= 400:
            raise _QueryFailed(f"Prometheus answered HTTP {response.status_code}") from None
        raise _QueryFailed("malformed Prometheus response: not JSON") from None
    if not isinstance(body, dict):
        raise _QueryFailed("malformed Prometheus response: not a JSON object")
    return body


def _number(pair: Any) -> float:
    if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[1], str):
        raise _QueryFailed('malformed Prometheus response: a sample is not [time, "value"]')
    try:
        value = float(pair[1])
    except ValueError:
        raise _QueryFailed(f"malformed Prometheus response: value {pair[1]!r}") from None
    if not math.isfinite(value):
        raise _QueryFailed(f"no usable value: the query returned {pair[1]}")
    return value
