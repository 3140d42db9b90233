"""The `restore-drill` check (RTO): a recent verified drill recovered within the objective."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.drills import Tier


class RestoreDrill(Check):
    """The newest verified restore drill of a tier is recent and recovered within max_recovery."""

    type: Literal["restore-drill"]
    tier: Tier = Field(description="critical | non-critical")
    max_recovery: Duration = Field(description="The RTO: started_at to service_restored_at")
    max_drill_age: Duration = Field(description="How old the newest verified drill may be")
    inputs = frozenset({Input.DRILLS})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge the newest verified, finished drill of the tier."""
        assert snap.drills is not None
        tier = self.tier.value
        base = {
            "tier": tier,
            "max_recovery_seconds": self.max_recovery.total_seconds(),
            "max_drill_age_seconds": self.max_drill_age.total_seconds(),
        }
        done = [
            d
            for d in snap.drills.drills
            if d.tier is self.tier and d.service_restored_at <= ctx.now
        ]
        verified = [d for d in done if d.data_verified]
        if not verified:
            unverified = len(done)
            tail = f" ({unverified} drill(s) without verified data)" if unverified else ""
            yield Finding(
                Status.FAIL,
                f"no verified restore drill for {tier} systems{tail}; "
                f"one is required every {format_duration(self.max_drill_age)}",
                details={**base, "system": None, "recovery_seconds": None},
            )
            return
        newest = max(verified, key=lambda d: d.started_at)
        age = ctx.now - newest.started_at
        recovery = newest.recovery
        details = {
            **base,
            "system": newest.system,
            "recovery_seconds": recovery.total_seconds(),
            "drill_age_seconds": age.total_seconds(),
            "started_at": iso(newest.started_at),
        }
        if newest.backup_target is not None:
            details["backup_target"] = newest.backup_target
        what = f"newest verified {tier} drill ({newest.system}, {iso(newest.started_at)})"
        problems = []
        if age > self.max_drill_age:
            problems.append(
                f"is {human(age)} old, older than {format_duration(self.max_drill_age)}"
            )
        if recovery > self.max_recovery:
            problems.append(
                f"recovered in {human(recovery)}, over the RTO of "
                f"{format_duration(self.max_recovery)}"
            )
        if problems:
            yield Finding(Status.FAIL, f"{what} {' and '.join(problems)}", details=details)
            return
        yield Finding(
            Status.PASS,
            f"{what} recovered in {human(recovery)}, within the RTO of "
            f"{format_duration(self.max_recovery)}, and is {human(age)} old "
            f"(max {format_duration(self.max_drill_age)})",
            details=details,
        )
