"""The `incident-review` check: severe incidents get a complete, timely post-incident review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.checks.incident_response_time import in_window
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.incidents import ActionItem, Incident, Severity


def _item(item: ActionItem) -> dict[str, Any]:
    return {
        "description": item.description,
        "owner": item.owner,
        "due": item.due.isoformat(),
        "status": item.status.value,
    }


class IncidentReview(Check):
    """Each resolved incident of the severities has a complete review within review_within."""

    type: Literal["incident-review"]
    severities: tuple[Severity, ...] = Field(
        default=(1, 2), min_length=1, description="The severities that need a review"
    )
    review_within: Duration = Field(description="Resolution to completed review")
    window: Duration | None = Field(
        default=None,
        description="Judge incidents detected this long before now "
        "(unresolved ones and ones with overdue action items always)",
    )
    inputs = frozenset({Input.INCIDENTS})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """One finding per incident of the severities detected in the window."""
        assert snap.incidents is not None
        if snap.incidents.unreadable is not None:
            yield Finding(Status.ERROR, f"not evaluated: {snap.incidents.unreadable}")
            return
        now = ctx.now
        judged = [
            i
            for i in snap.incidents.incidents
            if i.severity in self.severities
            and i.detected <= now
            and (in_window(i, now, self.window) or self._overdue(i, now))
        ]
        if not judged:
            sevs = "/".join(f"Sev{s}" for s in sorted(set(self.severities)))
            span = f" in the last {format_duration(self.window)}" if self.window else ""
            yield Finding(Status.PASS, f"no {sevs} incident detected{span}", details={})
            return
        for incident in sorted(judged, key=lambda i: (i.detected, i.id)):
            yield self._judge(incident, now)

    @staticmethod
    def _overdue(incident: Incident, now: datetime) -> list[ActionItem]:
        review = incident.review
        items = review.action_items if review is not None else None
        return [a for a in items or () if a.overdue(now)]

    def _judge(self, incident: Incident, now: datetime) -> Finding:
        review = incident.review
        resolved = incident.resolved_at(now)
        missing = review.missing() if review is not None else ["review"]
        completed = review.completed if review is not None else None
        if completed is not None and completed > now:
            completed = None  # signed off later than the evaluation time: not yet
            missing = [*missing, "completed"]
        overdue = self._overdue(incident, now)
        subject = f"incident:{incident.id}"
        details: dict[str, Any] = {
            "incident": incident.id,
            "severity": incident.severity,
            "service": incident.service,
            "resolved": iso(resolved) if resolved is not None else None,
            "review_within_seconds": self.review_within.total_seconds(),
            "review_due": None,
            "review_completed": iso(completed) if completed is not None else None,
            "review_missing": missing,
            "overdue_action_items": [_item(a) for a in overdue],
            "source": incident.source,
        }
        what = f"Sev{incident.severity} incident {incident.id} ({incident.service})"
        problems = []
        notes = []
        if resolved is None:
            notes.append(
                f"is not resolved yet (its review is due {format_duration(self.review_within)} "
                "after resolution)"
            )
        else:
            due = resolved + self.review_within
            details["review_due"] = iso(due)
            if completed is not None and not missing and completed <= due:
                notes.append(
                    f"has a complete review {human(completed - resolved)} after resolution"
                )
            elif completed is not None and not missing:
                problems.append(
                    f"review was completed {human(completed - resolved)} after resolution, "
                    f"later than {format_duration(self.review_within)}"
                )
            elif now > due:
                problems.append(
                    f"has no complete review {human(now - resolved)} after resolution "
                    f"(due {iso(due)}; missing: {', '.join(missing)})"
                )
            else:
                notes.append(f"review is due by {iso(due)} (missing: {', '.join(missing)})")
        for item in overdue:
            problems.append(
                f"action item '{item.description[:80]}' of {item.owner} was due "
                f"{item.due.isoformat()} and is {item.status.value}"
            )
        if problems:
            return Finding(
                Status.FAIL, f"{what}: {'; '.join(problems)}", details=details, subject=subject
            )
        return Finding(Status.PASS, f"{what} {'; '.join(notes)}", details=details, subject=subject)
