"""The `trivy-misconfigurations` check: no Trivy misconfiguration at or above a severity."""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import ResourceRef, Snapshot, SourceLocation
from regulens.snapshot.scans import ScanSeverity, normalise_check_id


class TrivyMisconfigurations(Check):
    """No Trivy misconfiguration at or above min_severity (check ids compare in any form)."""

    type: Literal["trivy-misconfigurations"]
    min_severity: ScanSeverity = Field(
        default=ScanSeverity.HIGH, description="Fail at this severity and above"
    )
    ignore_ids: tuple[str, ...] = Field(
        default=(),
        description="Check ids not judged (KSV-0044, KSV044 and AVD-KSV-0044 are the same)",
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.TRIVY})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Yield a fail per offending misconfiguration, else one pass per report."""
        assert snap.scans is not None
        ignored = {normalise_check_id(i) for i in self.ignore_ids}
        objects = _ObjectsByPlace(snap)  # with --manifests too, name the object at file:line
        for report in snap.scans.reports:
            failed = False
            for m in report.misconfigurations:
                if m.severity.rank < self.min_severity.rank or m.id in ignored:
                    continue
                failed = True
                title = f" {m.title}" if m.title else ""
                yield Finding(
                    Status.FAIL,
                    f"{m.id}{title} ({m.reported_severity}): {m.message}".rstrip(": "),
                    objects.at(m.target, m.line) or report.ref,
                    SourceLocation(file=m.target, line=m.line) if m.target else report.location,
                    details={
                        "check": m.id,
                        "original_id": m.original_id,
                        "severity": m.severity.value,
                        "target": m.target,
                        "line": m.line,
                        "report": report.source,
                        "report_digest": report.digest,
                    },
                    subject=f"check:{m.id} {_place(m.target, m.line)}",
                )
            if not failed:
                yield Finding(
                    Status.PASS,
                    f"no misconfigurations at {self.min_severity.value} or above "
                    f"in {report.artifact_name}",
                    report.ref,
                    report.location,
                    details={"report": report.source, "report_digest": report.digest},
                )


def _place(target: str, line: int | None) -> str:
    """`file:line` (one check can fail at several places of one file), else the file."""
    return f"{target}:{line}" if line else target


class _ObjectsByPlace:
    """Which manifest object a `file:line` falls in, when the manifests were given too."""

    def __init__(self, snap: Snapshot) -> None:
        self._starts: dict[str, list[tuple[int, ResourceRef]]] = {}
        if snap.kubernetes is None:
            return
        for r in snap.kubernetes.resources:
            if r.source is not None and r.source.line is not None:
                self._starts.setdefault(r.source.file, []).append((r.source.line, r.ref))
        for starts in self._starts.values():
            starts.sort(key=lambda item: item[0])

    def at(self, file: str, line: int | None) -> ResourceRef | None:
        """Return the object whose document starts last at or before `line` in `file`."""
        starts = self._starts.get(file)
        if not starts or line is None:
            return None
        i = bisect.bisect_right([start for start, _ in starts], line)
        return starts[i - 1][1] if i else None
