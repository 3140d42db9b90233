"""The `incident-response-time` check: incidents are acknowledged within their severity limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.incidents import Incident


class ResponseLimits(BaseModel):
    """The longest time from detection to acknowledgement, per severity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sev1: Duration
    sev2: Duration
    sev3: Duration
    sev4: Duration

    def of(self, severity: int) -> timedelta:
        """The limit of one severity (1..4)."""
        limits: dict[int, timedelta] = {1: self.sev1, 2: self.sev2, 3: self.sev3, 4: self.sev4}
        return limits[severity]


def in_window(incident: Incident, now: datetime, window: timedelta | None) -> bool:
    """Detected by `now`, and within the window (or still unresolved at `now`)."""
    if incident.detected > now:
        return False  # not known yet at the evaluation time
    if window is None or incident.resolved_at(now) is None:
        return True
    return incident.detected >= now - window


class IncidentResponseTime(Check):
    """Each incident was acknowledged (or resolved) within its severity's max_response."""

    type: Literal["incident-response-time"]
    max_response: ResponseLimits = Field(
        description="Detection to acknowledgement, per severity: {sev1: 15m, sev2: 1h, ...}"
    )
    window: Duration | None = Field(
        default=None,
        description="Judge incidents detected this long before now (unresolved ones always)",
    )
    inputs = frozenset({Input.INCIDENTS})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """One finding per incident detected in the window."""
        assert snap.incidents is not None
        if snap.incidents.unreadable is not None:
            yield Finding(Status.ERROR, f"not evaluated: {snap.incidents.unreadable}")
            return
        judged = [i for i in snap.incidents.incidents if in_window(i, ctx.now, self.window)]
        if not judged:
            span = f" in the last {format_duration(self.window)}" if self.window else ""
            yield Finding(Status.PASS, f"no incident detected{span}", details={"incidents": 0})
            return
        for incident in sorted(judged, key=lambda i: (i.detected, i.id)):
            yield self._judge(incident, ctx.now)

    def _judge(self, incident: Incident, now: datetime) -> Finding:
        limit = self.max_response.of(incident.severity)
        due = incident.detected + limit
        ack = incident.acknowledged_at(now)
        resolved = incident.resolved_at(now)
        responded = ack if ack is not None else resolved
        subject = f"incident:{incident.id}"
        details: dict[str, Any] = {
            "incident": incident.id,
            "severity": incident.severity,
            "service": incident.service,
            "detected": iso(incident.detected),
            "acknowledged": iso(ack) if ack is not None else None,
            "acknowledged_from": incident.acknowledged_from.value
            if ack is not None and incident.acknowledged_from is not None
            else None,
            "resolved": iso(resolved) if resolved is not None else None,
            "max_response_seconds": limit.total_seconds(),
            "response_seconds": None,
            "source": incident.source,
        }
        what = f"Sev{incident.severity} incident {incident.id} ({incident.service})"
        sla = f"the Sev{incident.severity} limit of {format_duration(limit)}"
        if responded is None:
            waited = now - incident.detected
            if now > due:
                return Finding(
                    Status.FAIL,
                    f"{what} is not acknowledged {human(waited)} after detection, "
                    f"past {sla} (due {iso(due)})",
                    details={**details, "breach": True},
                    subject=subject,
                )
            return Finding(
                Status.PASS,
                f"{what} is not acknowledged yet, {human(due - now)} left of {sla}",
                details={**details, "breach": False},
                subject=subject,
            )
        taken = responded - incident.detected
        how = "acknowledged" if ack is not None else "resolved (never acknowledged)"
        details = {**details, "response_seconds": taken.total_seconds(), "breach": taken > limit}
        if taken > limit:
            return Finding(
                Status.FAIL,
                f"{what} was {how} after {human(taken)}, over {sla}",
                details=details,
                subject=subject,
            )
        return Finding(
            Status.PASS,
            f"{what} was {how} after {human(taken)}, within {sla}",
            details=details,
            subject=subject,
        )
