"""One run's outcome: the decision, its results, and what the inputs could not cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regulens.engine.baseline import Gating
from regulens.engine.decide import Decision
from regulens.engine.exceptions import ExceptionReport
from regulens.engine.results import Result
from regulens.snapshot import CoverageGap, CoverageNote, Snapshot


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything a renderer or the evidence store needs about one evaluation."""

    decision: Decision
    results: list[Result]
    gaps: tuple[CoverageGap, ...]
    now: datetime
    exceptions: ExceptionReport = field(default_factory=ExceptionReport)
    change_id: str | None = None  # the change request under review (gate)
    notes: tuple[CoverageNote, ...] = ()  # what the inputs left out and was filled in
    gating: Gating = field(default_factory=Gating)  # --fail-on, --soft-fail, --findings-baseline

    @classmethod
    def of(
        cls,
        decision: Decision,
        results: list[Result],
        snap: Snapshot,
        now: datetime,
        exceptions: ExceptionReport | None = None,
        gating: Gating | None = None,
    ) -> Outcome:
        """Build the outcome of one evaluation of `snap` (after exceptions were applied)."""
        gaps = snap.kubernetes.gaps if snap.kubernetes is not None else ()
        if snap.baseline is not None:
            gaps = (*gaps, *(g for g in snap.baseline.gaps if g not in gaps))
        change_id = snap.change.metadata.id if snap.change is not None else None
        notes = snap.kubernetes.notes if snap.kubernetes is not None else ()
        if snap.baseline is not None:
            notes = (*notes, *(n for n in snap.baseline.notes if n not in notes))
        return cls(
            decision,
            results,
            gaps,
            now,
            exceptions or ExceptionReport(),
            change_id,
            notes,
            gating or Gating(),
        )

    def coverage_json(self) -> dict[str, Any]:
        """Return `{"complete": bool, "gaps": [{"kind", "namespace", "reason"}]}` (and notes).

        `notes` (only when there are some) say what was filled in as Kubernetes
        would, such as namespaces given to manifest objects; they never deny.
        """
        out: dict[str, Any] = {
            "complete": not self.gaps,
            "gaps": [g.model_dump() for g in self.gaps],
        }
        if self.notes:
            out["notes"] = [{**n.model_dump(), "message": n.message} for n in self.notes]
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the documented JSON output contract."""
        out: dict[str, Any] = {
            "decision": self.decision.decision,
            "exit_code": int(self.decision.exit_code),
            "now": self.now.isoformat().replace("+00:00", "Z"),
            "summary": self.decision.summary.to_json(),
            "results": [r.to_json() for r in self.results],
            "coverage": self.coverage_json(),
            "exceptions": self.exceptions.to_json(),
        }
        if self.change_id is not None:
            out["change"] = self.change_id
        if self.gating.active:
            out["gating"] = self.gating.to_json()
        return out
