"""The `backup-recency` check (RPO): a target's newest successful backup is recent enough."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.backups import BackupRecord, BackupSchedule, BackupStatus


class BackupRecency(Check):
    """The newest successful backup of a target is at most max_age old, on a schedule as often."""

    type: Literal["backup-recency"]
    target: str = Field(min_length=1, description="Backup target name, e.g. database")
    max_age: Duration = Field(description="The RPO: the oldest acceptable newest backup, e.g. 15m")
    inputs = frozenset({Input.BACKUPS})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge the newest successful backup, then every known schedule of the target."""
        assert snap.backups is not None
        records = [r for r in snap.backups.records_of(self.target) if r.completed_at <= ctx.now]
        yield self._recency(records, ctx.now, snap.backups.gaps)
        for schedule in snap.backups.schedules_of(self.target):
            yield self._schedule(schedule)

    def _recency(
        self, records: list[BackupRecord], now: datetime, gaps: tuple[str, ...]
    ) -> Finding:
        limit = format_duration(self.max_age)
        ok = [r for r in records if r.status is BackupStatus.SUCCEEDED]
        failed = [r for r in records if r.status is BackupStatus.FAILED]
        base = {"target": self.target, "max_age_seconds": self.max_age.total_seconds()}
        subject = f"target:{self.target}"
        if not ok:
            if gaps:
                return Finding(
                    Status.ERROR,
                    f"no successful backup of {self.target!r} found, and backup sources could "
                    f"not be read completely: {'; '.join(gaps)}",
                    details={**base, "gaps": list(gaps)},
                    subject=subject,
                )
            tail = f" ({len(failed)} failed run(s))" if failed else ""
            return Finding(
                Status.FAIL,
                f"no successful backup of {self.target!r} at all{tail}; RPO is {limit}",
                details={**base, "age_seconds": None, "completed_at": None},
                subject=subject,
            )
        newest = max(ok, key=lambda r: r.completed_at)
        age = now - newest.completed_at
        later_failures = [r for r in failed if r.completed_at > newest.completed_at]
        details = {
            **base,
            "age_seconds": age.total_seconds(),
            "completed_at": iso(newest.completed_at),
            "origin": newest.origin.value,
            "source": newest.source,
            "failures_since": len(later_failures),
        }
        if newest.location is not None:
            details["location"] = newest.location
        ref = newest.object.to_ref() if newest.object is not None else None
        when = f"completed {iso(newest.completed_at)} ({newest.origin.value}: {newest.source})"
        if age > self.max_age:
            note = f"; {len(later_failures)} failed run(s) since" if later_failures else ""
            return Finding(
                Status.FAIL,
                f"newest successful backup of {self.target!r} is {human(age)} old, "
                f"older than the RPO of {limit}; {when}{note}",
                ref,
                details=details,
                subject=subject,
            )
        return Finding(
            Status.PASS,
            f"newest successful backup of {self.target!r} is {human(age)} old, "
            f"within the RPO of {limit}; {when}",
            ref,
            details=details,
            subject=subject,
        )

    def _schedule(self, schedule: BackupSchedule) -> Finding:
        limit = format_duration(self.max_age)
        ref = schedule.object.to_ref() if schedule.object is not None else None
        details: dict[str, object] = {
            "target": self.target,
            "schedule": schedule.schedule,
            "interval_seconds": schedule.interval_seconds,
            "max_age_seconds": self.max_age.total_seconds(),
            "suspended": schedule.suspended,
        }
        label = f"backup schedule {schedule.schedule!r} of {self.target!r}"
        # not `target:`: the schedule's object can be the one the newest backup came from
        subject = f"schedule:{self.target} {schedule.schedule}"
        if schedule.suspended:
            return Finding(
                Status.FAIL, f"{label} is suspended", ref, details=details, subject=subject
            )
        if schedule.interval_seconds is None:
            why = schedule.problem or "its interval is unknown"
            return Finding(
                Status.ERROR,
                f"{label} cannot be judged: {why}",
                ref,
                details=details,
                subject=subject,
            )
        interval = timedelta(seconds=schedule.interval_seconds)
        if interval > self.max_age:
            return Finding(
                Status.FAIL,
                f"{label} runs every {human(interval)} at most, less often than the RPO of {limit}",
                ref,
                details=details,
                subject=subject,
            )
        return Finding(
            Status.PASS,
            f"{label} runs every {human(interval)} at most, within the RPO of {limit}",
            ref,
            details=details,
            subject=subject,
        )
