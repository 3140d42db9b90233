"""Monthly review sign-offs: the statement recorded, and the one-per-reviewer-and-month rule.

A sign-off is a `review-signoff` record in the stream it reviews. Per stream,
month and reviewer (compared after NFKC normalisation and case folding) there is
one sign-off in force; a second one is refused unless it names the one it
supersedes (`review sign --supersedes RUN_ID`), which then is no longer shown.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from regulens.errors import ConfigError
from regulens.evidence.chain import RUN_PREFIX
from regulens.evidence.statement import PREDICATE_TYPE, STATEMENT_TYPE, rfc3339

SIGNOFF_COMMAND = "review-signoff"


def reviewer_key(name: str) -> str:
    """The form reviewers are compared in (NFKC, case-folded, trimmed)."""
    return unicodedata.normalize("NFKC", name).casefold().strip()


@dataclass(frozen=True, slots=True)
class SignOff:
    """One recorded sign-off, as read back from a verified record."""

    run_id: str
    stream: str
    seq: int
    month: str
    reviewer: str
    date: str
    notes: str | None
    supersedes: str | None


def signoff_of(run_id: str, stream: str, seq: int, predicate: Mapping[str, Any]) -> SignOff | None:
    """The sign-off a record's predicate carries (None when it carries none)."""
    block = predicate.get("signoff")
    if not isinstance(block, Mapping):
        return None
    month, reviewer = block.get("month"), block.get("reviewer")
    if not isinstance(month, str) or not isinstance(reviewer, str):
        return None
    notes, supersedes = block.get("notes"), block.get("supersedes")
    return SignOff(
        run_id=run_id,
        stream=stream,
        seq=seq,
        month=month,
        reviewer=reviewer,
        date=str(block.get("date", "")),
        notes=notes if isinstance(notes, str) else None,
        supersedes=supersedes if isinstance(supersedes, str) else None,
    )


def in_force(signoffs: Iterable[SignOff]) -> list[SignOff]:
    """The sign-offs no later sign-off supersedes, in record order."""
    every = list(signoffs)
    replaced = {s.supersedes for s in every if s.supersedes is not None}
    return [s for s in every if s.run_id not in replaced]


def check_new_signoff(
    existing: Sequence[SignOff], *, month: str, reviewer: str, supersedes: str | None
) -> None:
    """Refuse a second sign-off of the month by the same reviewer unless it supersedes the first."""
    same = [
        s
        for s in in_force(existing)
        if s.month == month and reviewer_key(s.reviewer) == reviewer_key(reviewer)
    ]
    if supersedes is None:
        if same:
            first = same[-1]
            raise ConfigError(
                f"{reviewer} already signed off {month} in stream {first.stream!r} "
                f"(run {first.run_id}, {first.date})",
                hint=f"to replace it, pass --supersedes {first.run_id}",
            )
        return
    if supersedes not in {s.run_id for s in same}:
        raise ConfigError(
            f"--supersedes {supersedes}: not a sign-off of {month} by {reviewer} in force in "
            "this stream",
            hint="`regulens review --month ... --format json` lists the sign-offs in force",
        )


def signoff_statement(
    *,
    run_id: str,
    stream: str,
    month: str,
    reviewer: str,
    date: str,
    notes: str | None,
    recorded_at: datetime,
    tool_version: str,
    ci: dict[str, Any] | None = None,
    supersedes: str | None = None,
) -> dict[str, Any]:
    """Return the in-toto Statement of one sign-off (a `review-signoff` run).

    The predicate has the run's keys of every record plus `signoff`; it judges
    nothing, so `decision` is null and `results` is empty.
    """
    signoff = {"month": month, "reviewer": reviewer, "date": date, "notes": notes}
    if supersedes is not None:
        signoff["supersedes"] = supersedes
    digest = hashlib.sha256(orjson.dumps(signoff, option=orjson.OPT_SORT_KEYS)).hexdigest()
    at = rfc3339(recorded_at)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": f"{RUN_PREFIX}{run_id}", "digest": {"sha256": digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "run": {
                "id": run_id,
                "command": SIGNOFF_COMMAND,
                "stream": stream,
                "now": at,
                "recorded_at": at,
                "tool": {"name": "regulens", "version": tool_version},
                "ci": ci,
            },
            "policies": None,
            "inputs": {},
            "change": None,
            "decision": None,
            "results": [],
            "coverage": None,
            "exceptions": None,
            "signoff": signoff,
        },
    }
