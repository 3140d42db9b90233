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
            merged = self._judged(report)
            for status, entries in merged:
                yield _finding(status, report, entries)
            if not merged:
                levels = ", ".join(s.value for s in (*self.fail_on, *self.warn_on))
                fixable = "fixable " if self.fixable_only else ""
                yield Finding(
                    Status.PASS,
                    f"no {fixable}vulnerabilities at {levels} in {report.image}",
                    report.ref,
                    report.location,
                    details={"report": report.source, "report_digest": report.digest},
                )

    def _status(self, vuln: Vulnerability) -> Status | None:
        if self.fixable_only and not vuln.fixable:
            return None
        if vuln.severity in self.fail_on:
            return Status.FAIL
        if vuln.severity in self.warn_on:
            return Status.WARN
        return None

    def _judged(self, report: ScanReport) -> list[tuple[Status, list[Vulnerability]]]:
        """Filter every entry first, then merge what is left by (id, package, version).

        Trivy repeats a vulnerability once per target (each go.mod, each lock file);
        merging only the entries that passed the filters keeps every target they
        were found in, and lets no filtered-out duplicate hide one that fails.
        """
        groups: dict[tuple[str, str, str], list[tuple[Status, Vulnerability]]] = {}
        for vuln in report.vulnerabilities:
            status = self._status(vuln)
            if status is not None:
                groups.setdefault((vuln.id, vuln.pkg, vuln.installed), []).append((status, vuln))
        out: list[tuple[Status, list[Vulnerability]]] = []
        for entries in groups.values():
            # the worst entry speaks for the group (fail over warn, then severity); the
            # others only add the targets they were found in
            ordered = sorted(entries, key=lambda e: (e[0] is not Status.FAIL, -e[1].severity.rank))
            out.append((ordered[0][0], [v for _, v in ordered]))
        out.sort(key=lambda item: (item[0] is not Status.FAIL, -item[1][0].severity.rank,
                                   item[1][0].id, item[1][0].pkg))  # fmt: skip
        return out


def _finding(status: Status, report: ScanReport, entries: list[Vulnerability]) -> Finding:
    v = entries[0]
    targets = list(dict.fromkeys(e.target for e in entries if e.target))
    fix = f"fixed in {v.fixed}" if v.fixed else "no fixed version"
    title = f": {v.title}" if v.title else ""
    shown = v.reported_severity.upper()
    if shown != v.severity.value.upper():
        shown += " (counted as CRITICAL)"
    where = f" [in {', '.join(targets)}]" if targets else ""
    return Finding(
        status,
        f"{v.id} in {v.pkg} {v.installed} ({shown}, {fix}){title}{where}",
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
            "targets": targets,
            "report": report.source,
            "report_digest": report.digest,
        },
        # the installed version too: one image can hold a package at two versions
        subject=f"cve:{v.id} {v.pkg} {v.installed}@{report.image}",
    )
