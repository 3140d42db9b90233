"""The `trivy-secrets` check: no Trivy report found a secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot, SourceLocation


class TrivySecrets(Check):
    """No Trivy report contains a secret (rule and place are reported, never the value)."""

    type: Literal["trivy-secrets"]
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.TRIVY})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Yield a fail per secret finding, else one pass per report."""
        assert snap.scans is not None
        for report in snap.scans.reports:
            if not report.secrets:
                yield Finding(
                    Status.PASS,
                    f"no secrets found in {report.image}",
                    report.ref,
                    report.location,
                    details={"report": report.source, "report_digest": report.digest},
                )
                continue
            for s in report.secrets:
                where = f"{s.target}:{s.line}" if s.line else s.target
                what = s.title or s.category or s.rule_id
                yield Finding(
                    Status.FAIL,
                    f"secret found in {where}: {what} (rule {s.rule_id}, {s.reported_severity})",
                    report.ref,
                    SourceLocation(file=s.target, line=s.line) if s.target else report.location,
                    details={
                        "rule": s.rule_id,
                        "category": s.category,
                        "severity": s.severity.value,
                        "target": s.target,
                        "line": s.line,
                        "report": report.source,
                        "report_digest": report.digest,
                    },
                    subject=f"secret:{s.rule_id} {where}",
                )
