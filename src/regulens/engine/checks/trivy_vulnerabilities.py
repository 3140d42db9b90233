"""The `trivy-vulnerabilities` check: no vulnerability at a failing severity in any report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.scans import ScanReport, ScanSeverity, Vulnerability


class TrivyVulnerabilities(Check):
    """No Trivy report has a vulnerability at a failing severity; warn-level ones warn."""

    type: Literal["trivy-vulnerabilities"]
    fail_on: tuple[ScanSeverity, ...] = Field(
        default=(ScanSeverity.CRITICAL,),
        description="Severities that fail (Trivy UNKNOWN counts as critical)",
    )
    warn_on: tuple[ScanSeverity, ...] = Field(
        default=(), description="Severities that only warn, even when the policy denies"
    )
    fixable_only: bool = Field(
        default=False, description="Only judge vulnerabilities that have a fixed version"
    )
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.TRIVY})

    @model_validator(mode="after")
    def _disjoint(self) -> TrivyVulnerabilities:
        if not self.fail_on and not self.warn_on:
            raise ValueError("give at least one severity in fail_on or warn_on")
        both = sorted(set(self.fail_on) & set(self.warn_on))
        if both:
            raise ValueError(f"severities in both fail_on and warn_on: {', '.join(both)}")
        return self

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Yield a fail (or warn) per offending vulnerability, else one pass per report."""
        assert snap.scans is not None
        for report in snap.scans.reports:
            judged = False
            for vuln in _unique(report):
                if self.fixable_only and not vuln.fixable:
                    continue
                if vuln.severity in self.fail_on:
                    yield _finding(Status.FAIL, report, vuln)
                    judged = True
                elif vuln.severity in self.warn_on:
                    yield _finding(Status.WARN, report, vuln)
                    judged = True
            if not judged:
                levels = ", ".join(s.value for s in (*self.fail_on, *self.warn_on))
                fixable = "fixable " if self.fixable_only else ""
                yield Finding(
                    Status.PASS,
                    f"no {fixable}vulnerabilities at {levels} in {report.image}",
                    report.ref,
                    report.location,
                    details={"report": report.source, "report_digest": report.digest},
                )


def _unique(report: ScanReport) -> list[Vulnerability]:
    """The report's vulnerabilities once each (Trivy repeats them per target), worst first."""
    seen: dict[tuple[str, str, str], Vulnerability] = {}
    for v in report.vulnerabilities:
        seen.setdefault((v.id, v.pkg, v.installed), v)
    return sorted(seen.values(), key=lambda v: (-v.severity.rank, v.id, v.pkg))


def _finding(status: Status, report: ScanReport, v: Vulnerability) -> Finding:
    fix = f"fixed in {v.fixed}" if v.fixed else "no fixed version"
    title = f": {v.title}" if v.title else ""
    shown = v.reported_severity.upper()
    if shown != v.severity.value.upper():
        shown += " (counted as CRITICAL)"
    return Finding(
        status,
        f"{v.id} in {v.pkg} {v.installed} ({shown}, {fix}){title}",
        report.ref,
        report.location,
        details={
            "cve": v.id,
            "package": v.pkg,
            "installed": v.installed,
            "fixed": v.fixed,
            "severity": v.severity.value,
            "reported_severity": v.reported_severity,
            "image": report.image,
            "target": v.target,
            "report": report.source,
            "report_digest": report.digest,
        },
    )
