"""Rebuild a run's outcome from its recorded statement (for `evidence render`, `baseline create`).

Nothing is re-evaluated: results, decision, coverage and exceptions are the
stored ones, so a rendering of a recorded run shows exactly what was decided.
The record must have been verified (`verify_run`) before it is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from regulens.engine.baseline import Gating
from regulens.engine.decide import Decision
from regulens.engine.exceptions import ExceptionReport
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result, Summary
from regulens.engine.types import Enforcement, Severity, Status
from regulens.errors import ExitCode, InputDataError
from regulens.evidence.keys import TrustedKeys
from regulens.evidence.store import EvidenceStore, StoredRecord
from regulens.evidence.verify import Status as Verdict
from regulens.evidence.verify import verify_store
from regulens.snapshot import CoverageGap, CoverageNote
from regulens.snapshot.resources import ResourceRef, SourceLocation


class UnverifiedRecord(InputDataError):
    """The record of a run does not verify (hash, chain link or signature): exit 2."""


def verify_run(store: EvidenceStore, rec: StoredRecord, trusted: TrustedKeys | None) -> None:
    """Verify the run's stream up to and including its record, or raise `UnverifiedRecord`."""
    for report in verify_store(store, stream=rec.stream, trusted=trusted):
        if report.status is Verdict.OK:
            return
        if report.seq is not None and report.seq > rec.seq and report.records >= rec.seq:
            return  # the first problem lies after this record: its hash, link and signature hold
        where = f" at seq {report.seq}" if report.seq is not None else ""
        raise UnverifiedRecord(
            f"run {rec.run_id}: stream {rec.stream} does not verify ({report.status.value}"
            f"{where}: {report.message}); refusing to render it",
            hint="run `regulens evidence verify` to see what is wrong",
        )
    raise UnverifiedRecord(f"run {rec.run_id}: stream {rec.stream} has no verifiable records")


def outcome_of(predicate: Mapping[str, Any], run_id: str) -> Outcome:
    """Return the recorded outcome; a statement that lacks a field raises `InputDataError`."""
    try:
        results = [_result(r) for r in predicate["results"]]
        decision = predicate["decision"]
        code = ExitCode(int(decision["exit_code"]))
        verdict = decision["decision"]
        if verdict not in ("allow", "deny"):
            raise ValueError(f"decision {verdict!r}")
        coverage = predicate.get("coverage") or {}
        gaps = tuple(CoverageGap.model_validate(g) for g in coverage.get("gaps", ()))
        notes = tuple(
            CoverageNote.model_validate({k: v for k, v in n.items() if k != "message"})
            for n in coverage.get("notes", ())
        )
        exc = predicate.get("exceptions") or {}
        report = ExceptionReport(
            tuple(exc.get("applied", ())),
            tuple(exc.get("expired", ())),
            tuple(exc.get("unused", ())),
        )
        now = datetime.fromisoformat(predicate["run"]["now"])
        change = predicate.get("change")
        change_id = change.get("id") if isinstance(change, Mapping) else None
        gating = _gating(predicate.get("gating"))
    except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc_:
        raise InputDataError(
            f"run {run_id}: the recorded statement is not readable ({exc_})"
        ) from None
    blocking = tuple(r for r in results if r.blocking)
    return Outcome(
        Decision(verdict, code, Summary.of(results), blocking),
        results,
        gaps,
        now,
        report,
        change_id,
        notes,
        gating,
    )


def _gating(data: Any) -> Gating:
    if data is None:
        return Gating()
    baseline = data.get("baseline") or {}
    fail_on = data.get("fail_on")
    return Gating(
        Severity(fail_on) if fail_on is not None else None,
        bool(data.get("soft_fail")),
        baseline.get("digest"),
        int(baseline.get("matched", 0)),
        tuple(baseline.get("resolved", ())),
    )


def _result(data: Mapping[str, Any]) -> Result:
    ref = data.get("resource")
    loc = data.get("location")
    controls: Sequence[str] = data.get("controls") or ()
    return Result(
        policy=str(data["policy"]),
        title=str(data["title"]),
        status=Status(data["status"]),
        severity=Severity(data["severity"]),
        enforcement=Enforcement(data["enforcement"]),
        controls=tuple(str(c) for c in controls),
        resource=(
            ResourceRef(
                str(ref["apiVersion"]), str(ref["kind"]), ref.get("namespace"), str(ref["name"])
            )
            if ref is not None
            else None
        ),
        message=str(data["message"]),
        location=(
            SourceLocation(str(loc["file"]), loc.get("document"), loc.get("line"))
            if loc is not None
            else None
        ),
        details=dict(data.get("details") or {}),
        exception=data.get("exception"),
        subject=str(data.get("subject") or ""),  # absent in runs recorded before subjects
    )
