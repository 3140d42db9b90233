"""The `trivy-report-fresh` check: every deployed image has a matching, recent Trivy report."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot, SourceLocation
from regulens.snapshot.images import ImageName
from regulens.snapshot.scans import ScanReport, image_ref
from regulens.snapshot.workloads import WORKLOAD_KINDS, containers

# a report made slightly after `now` is clock skew; much later means a wrong --now
CLOCK_SKEW = timedelta(minutes=5)
_MAX_PLACES_SHOWN = 3


@dataclass(slots=True)
class _Image:
    """One image to judge: how it was first written, and every place that asks for it."""

    shown: str
    name: ImageName
    places: list[str] = field(default_factory=list)
    location: SourceLocation | None = None


class TrivyReportFresh(Check):
    """Every deployed image (and each the change names) has a matching report <= max_age old."""

    type: Literal["trivy-report-fresh"]
    max_age: Duration = Field(description="Oldest acceptable report age, e.g. 7d")
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.TRIVY, Input.KUBERNETES})

    def kinds(self) -> frozenset[str] | None:
        """The workload kinds, whose containers name the deployed images."""
        return WORKLOAD_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Yield one finding per image: pass when fresh, fail without a report, else error."""
        assert snap.scans is not None
        reports = snap.scans.reports
        for image in _images(snap):
            ref = image_ref(image.shown)
            where = _places(image.places)
            details: dict[str, object] = {"image": image.shown, "deployed_in": image.places}
            if not image.shown.strip():
                yield Finding(
                    Status.FAIL,
                    f"a container has no image{where}: it cannot be matched to a scan",
                    ref,
                    image.location,
                    details=details,
                    subject=f"no image: {image.places[0]}",  # each such container on its own
                )
                continue
            mine = [r for r in reports if r.covers(image.name)]
            if not mine:
                others = sorted({r.image for r in reports if r.is_image})
                also = f" (reports given for: {', '.join(others)})" if others else ""
                how = "digest" if image.name.digest else "name and tag"
                yield Finding(
                    Status.FAIL,
                    f"no Trivy report for image {image.shown}{where} "
                    f"(matched by {how} as {image.name.canonical}){also}",
                    ref,
                    image.location,
                    details={**details, "canonical": image.name.canonical, "reports_for": others},
                )
                continue
            dated = [r for r in mine if r.created_at is not None]
            if not dated:
                yield Finding(
                    Status.ERROR,
                    f"the Trivy report for {image.shown} has no CreatedAt: its age is unknown",
                    ref,
                    mine[0].location,
                    details={**details, "report": mine[0].source},
                )
                continue
            yield self._judge(image, max(dated, key=_created), ctx)

    def _judge(self, image: _Image, report: ScanReport, ctx: EvalContext) -> Finding:
        assert report.created_at is not None
        age = ctx.now - report.created_at
        shown = image.shown
        details = {
            "image": shown,
            "deployed_in": image.places,
            "report": report.source,
            "report_digest": report.digest,
            "created_at": report.created_at.isoformat().replace("+00:00", "Z"),
            "age_seconds": int(age.total_seconds()),
            "max_age": format_duration(self.max_age),
        }
        ref = image_ref(shown)
        if age < -CLOCK_SKEW:
            return Finding(
                Status.ERROR,
                f"the Trivy report for {shown} was made after the evaluation time "
                f"({details['created_at']}): wrong --now or clock skew",
                ref,
                report.location,
                details=details,
            )
        if age > self.max_age:
            return Finding(
                Status.ERROR,
                f"the Trivy report for {shown} is {_age(age)} old "
                f"(made {details['created_at']}), older than {details['max_age']}: rescan",
                ref,
                report.location,
                details=details,
            )
        return Finding(
            Status.PASS,
            f"the Trivy report for {shown} is {_age(max(age, timedelta()))} old",
            ref,
            report.location,
            details=details,
        )


def _images(snap: Snapshot) -> list[_Image]:
    """Every image deployed by a workload, then those only the change request names.

    One entry per image identity (`nginx` and `docker.io/library/nginx:latest` are
    one image); the change request can add images, never remove deployed ones.
    """
    found: dict[str, _Image] = {}

    def add(ref: str, place: str, location: SourceLocation | None) -> None:
        name = ImageName.parse(ref)
        key = name.canonical if ref.strip() else f"(no image) {place}"
        entry = found.setdefault(key, _Image(ref.strip(), name, location=location))
        entry.places.append(place)

    assert snap.kubernetes is not None
    for resource in snap.kubernetes.resources:
        if resource.kind not in WORKLOAD_KINDS:
            continue
        ns = f"{resource.namespace}/" if resource.namespace else ""
        for c in containers(resource):
            add(c.image, f"{resource.kind} {ns}{resource.name} {c.role} {c.name}", resource.source)
    if snap.change is not None:
        for ref in snap.change.spec.images:
            add(ref, f"ChangeRequest {snap.change.metadata.id} spec.images", None)
    return list(found.values())


def _places(places: list[str]) -> str:
    shown = ", ".join(places[:_MAX_PLACES_SHOWN])
    more = len(places) - _MAX_PLACES_SHOWN
    return f" (in {shown}{f' and {more} more' if more > 0 else ''})"


def _created(report: ScanReport) -> datetime:
    assert report.created_at is not None
    return report.created_at


def _age(age: timedelta) -> str:
    return format_duration(timedelta(seconds=int(age.total_seconds()) // 60 * 60))
