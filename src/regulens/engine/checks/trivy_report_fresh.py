"""The `trivy-report-fresh` check: every image of the change has a recent Trivy report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.scans import ScanReport, image_ref

# a report made slightly after `now` is clock skew; much later means a wrong --now
CLOCK_SKEW = timedelta(minutes=5)


class TrivyReportFresh(Check):
    """Every image of the change has a Trivy report for that image made at most max_age ago."""

    type: Literal["trivy-report-fresh"]
    max_age: Duration = Field(description="Oldest acceptable report age, e.g. 7d")
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.TRIVY, Input.CHANGE})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Yield one finding per image of the change: pass when fresh, else error."""
        assert snap.scans is not None and snap.change is not None
        images = snap.change.spec.images
        reports = snap.scans.reports
        for image in images:
            ref = image_ref(image)
            mine = [r for r in reports if r.names_image(image)]
            if not mine:
                others = sorted({r.image for r in reports if r.is_image})
                also = f" (reports given for: {', '.join(others)})" if others else ""
                yield Finding(
                    Status.ERROR,
                    f"no Trivy report for image {image}{also}",
                    ref,
                    details={"image": image, "reports_for": others},
                )
                continue
            dated = [r for r in mine if r.created_at is not None]
            if not dated:
                yield Finding(
                    Status.ERROR,
                    f"the Trivy report for {image} has no CreatedAt: its age is unknown",
                    ref,
                    mine[0].location,
                    details={"image": image, "report": mine[0].source},
                )
                continue
            yield self._judge(image, max(dated, key=_created), ctx)

    def _judge(self, image: str, report: ScanReport, ctx: EvalContext) -> Finding:
        assert report.created_at is not None
        age = ctx.now - report.created_at
        details = {
            "image": image,
            "report": report.source,
            "report_digest": report.digest,
            "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
            "age_seconds": int(age.total_seconds()),
            "max_age": format_duration(self.max_age),
        }
        ref = image_ref(image)
        if age < -CLOCK_SKEW:
            return Finding(
                Status.ERROR,
                f"the Trivy report for {image} was made after the evaluation time "
                f"({details['created_at']}): wrong --now or clock skew",
                ref,
                report.location,
                details=details,
            )
        if age > self.max_age:
            return Finding(
                Status.ERROR,
                f"the Trivy report for {image} is {_age(age)} old "
                f"(made {details['created_at']}), older than {details['max_age']}: rescan",
                ref,
                report.location,
                details=details,
            )
        return Finding(
            Status.PASS,
            f"the Trivy report for {image} is {_age(max(age, timedelta()))} old",
            ref,
            report.location,
            details=details,
        )


def _created(report: ScanReport) -> datetime:
    assert report.created_at is not None
    return report.created_at


def _age(age: timedelta) -> str:
    return format_duration(timedelta(seconds=int(age.total_seconds()) // 60 * 60))
