"""One run's outcome: the decision, its results, and what the inputs could not cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulens.engine.decide import Decision
from regulens.engine.results import Result
from regulens.snapshot import CoverageGap, Snapshot


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything a renderer or the evidence store needs about one evaluation."""

    decision: Decision
    results: list[Result]
    gaps: tuple[CoverageGap, ...]
    now: datetime

    @classmethod
    def of(
        cls, decision: Decision, results: list[Result], snap: Snapshot, now: datetime
    ) -> Outcome:
        """Build the outcome of one evaluation of `snap`."""
        gaps = snap.kubernetes.gaps if snap.kubernetes is not None else ()
        return cls(decision, results, gaps, now)

    def coverage_json(self) -> dict[str, Any]:
        """Return `{"complete": bool, "gaps": [{"kind", "namespace", "reason"}]}`."""
        return {
            "complete": not self.gaps,
            "gaps": [g.model_dump() for g in self.gaps],
        }

    def to_json(self) -> dict[str, Any]:
        """Return the documented JSON output contract."""
        return {
            "decision": self.decision.decision,
            "exit_code": int(self.decision.exit_code),
            "now": self.now.isoformat().replace("+00:00", "Z"),
            "summary": self.decision.summary.to_json(),
            "results": [r.to_json() for r in self.results],
            "coverage": self.coverage_json(),
        }
