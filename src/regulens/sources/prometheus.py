"""KPI values from Prometheus: instant queries through `/api/v1/query` at an explicit time.

A KPI needs exactly one finite number. Everything else (an empty vector,
several series, NaN or ±Inf, `status: error`, HTTP 4xx/5xx, a timeout, an
unreachable server, `warnings`) becomes that query's error reason, so the
check reports `error`, never `pass`. `timeout` bounds all the queries of one
call together, each whole exchange included (a server that trickles its answer
byte by byte is cut off at the deadline), and an answer over
`MAX_RESPONSE_BYTES` is an error. The client is injected: the CLI builds it
with the base URL, the timeout and the bearer token (never logged).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from regulens.snapshot.metrics import MetricOrigin, MetricSample
from regulens.sources.deadline import (
    Deadline,
    DeadlineExceeded,
    MiB,
    TooLarge,
    read_bounded,
    run_within,
)

log = logging.getLogger(__name__)

QUERY_PATH = "/api/v1/query"
MAX_RESPONSE_BYTES = 8 * MiB  # a KPI is one sample; a larger answer is not one


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
    """Evaluate each PromQL query at `at` within `timeout` seconds in all; one sample each."""
    samples: list[MetricSample] = []
    down: str | None = None
    deadline = Deadline.after(timeout)
    for promql in dict.fromkeys(queries):
        value: float | None = None
        error: str | None = down
        if down is None:
            try:
                value = _instant(client, promql, at, timeout, deadline)
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


def _instant(
    client: httpx.Client, promql: str, at: datetime, timeout: float, deadline: Deadline
) -> float:
    left = deadline.remaining()
    if left <= 0:
        raise _Unreachable(f"Prometheus did not answer within {timeout:g}s")
    # Prometheus durations take no fractions: send the server-side timeout in milliseconds
    params = {
        "query": promql,
        "time": f"{at.timestamp():.3f}",
        "timeout": f"{max(1, round(left * 1000))}ms",
    }
    try:
        status, raw = run_within(partial(_exchange, client, params), deadline)
    except (httpx.TimeoutException, DeadlineExceeded):
        raise _Unreachable(f"Prometheus did not answer within {timeout:g}s") from None
    except TooLarge as exc:
        raise _QueryFailed(f"Prometheus: {exc}") from None
    except httpx.TransportError as exc:
        raise _Unreachable(f"cannot reach Prometheus: {type(exc).__name__}: {exc}") from None
    body = _json(status, raw)
    if status >= 400 or body.get("status") != "success":
        detail = ""
        if body.get("error"):
            detail = f": {body.get('errorType', 'error')}: {body['error']}"
        raise _QueryFailed(f"Prometheus answered HTTP {status}{detail}")
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


def _exchange(
    client: httpx.Client, params: dict[str, str], deadline: Deadline
) -> tuple[int, bytes]:
    """One query and its whole answer, read within `deadline` (runs in a worker thread)."""
    budget = max(deadline.remaining(), 0.001)
    with client.stream("GET", QUERY_PATH, params=params, timeout=budget) as response:
        length = response.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > MAX_RESPONSE_BYTES:
            raise TooLarge(MAX_RESPONSE_BYTES)
        data = read_bounded(response.iter_bytes(), deadline, MAX_RESPONSE_BYTES)
        return response.status_code, data


def _json(status: int, data: bytes) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError:
        if status >= 400:
            raise _QueryFailed(f"Prometheus answered HTTP {status}") from None
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
