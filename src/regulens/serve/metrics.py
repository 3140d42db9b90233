"""`/metrics`: a Prometheus collector that reads (and verifies) the store at scrape time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from regulens.reports.runs import parse_time
from regulens.serve.portal import Evidence, fleet_of

STATUS_VALUE = {"pass": 0, "skip": 0, "warn": 1, "fail": 2, "error": 3}


class EvidenceCollector(Collector):
    """Per stream and policy: last result, run age, decisions, expiring exceptions, verification."""

    def __init__(self, read: Callable[[], Evidence], now: Callable[[], datetime]) -> None:
        self._read, self._now = read, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Read the store now; a store that cannot be read reports `regulens_store_up 0`."""
        up = GaugeMetricFamily("regulens_store_up", "1 when the evidence store could be read")
        try:
            evidence = self._read()
        except Exception:  # noqa: BLE001 - a scrape must answer; the failure is the metric
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = self._now()
        verified = GaugeMetricFamily(
            "regulens_verification_ok",
            "1 when the last verification of the store succeeded",
            labels=["state"],
        )
        verified.add_metric([evidence.verification.state], 1 if evidence.verification.ok else 0)
        yield verified
        result = GaugeMetricFamily(
            "regulens_policy_status",
            "Last result per stream and policy: 0 pass, 1 warn, 2 fail, 3 error",
            labels=["stream", "policy", "status"],
        )
        age = GaugeMetricFamily(
            "regulens_last_run_age_seconds",
            "Seconds since the stream's newest decision",
            labels=["stream"],
        )
        decisions = GaugeMetricFamily(
            "regulens_decisions", "Recorded decisions by outcome", labels=["stream", "decision"]
        )
        soon = GaugeMetricFamily(
            "regulens_exceptions_expiring_30d",
            "Exceptions in the newest decision that expire within 30 days",
            labels=["stream"],
        )
        counts: Counter[tuple[str, str]] = Counter(
            (r.stream, str(r.decision.get("decision")))
            for r in evidence.runs
            if r.decision.get("decision") is not None
        )
        for (stream, decision), n in sorted(counts.items()):
            decisions.add_metric([stream, decision], n)
        for row in fleet_of(evidence, now).rows:
            if row.decision_at is None:
                continue
            decided = parse_time(row.decision_at)
            age.add_metric([row.stream], max(0.0, (now - decided).total_seconds()))
            soon.add_metric([row.stream], row.exceptions_expiring)
            for p in row.policies:
                result.add_metric([row.stream, p.policy, p.status], STATUS_VALUE.get(p.status, 3))
        yield from (result, age, decisions, soon)


def registry(read: Callable[[], Evidence], now: Callable[[], datetime]) -> CollectorRegistry:
    """A registry holding only the evidence collector (no process metrics of the server)."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(EvidenceCollector(read, now))
    return reg
