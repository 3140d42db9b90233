"""Read `kind: ExceptionSet` documents strictly; ids are unique and name loaded policies.

An exception's `created` may lie at most `CLOCK_SKEW` after the run's `now`
(the clocks of whoever wrote it and of this run may differ a little); one
dated later is an error, never a waiver that is merely "not yet" in force.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from regulens.documents import load_documents, validate_document
from regulens.engine.exceptions import ExceptionSet, PolicyException
from regulens.errors import DocumentError, Problem

CLOCK_SKEW = timedelta(minutes=5)


def read_exceptions(
    paths: Sequence[str], known_policies: Collection[str], now: datetime
) -> list[PolicyException]:
    """Load every exception of every file; collect all problems before failing (exit 3)."""
    problems: list[Problem] = []
    out: list[PolicyException] = []
    seen: dict[str, str] = {}
    for path in paths:
        try:
            docs = load_documents(path)
        except DocumentError as exc:
            problems.extend(exc.problems)
            continue
        if not any(d.data is not None for d in docs):
            problems.append(Problem(path, None, None, "", "no ExceptionSet document"))
        for doc in docs:
            if doc.data is None:
                continue
            if not isinstance(doc.data, dict) or doc.data.get("kind") != "ExceptionSet":
                problems.append(doc.problem(("kind",), "expected kind: ExceptionSet"))
                continue
            try:
                eset = validate_document(doc, ExceptionSet)
            except DocumentError as exc:
                problems.extend(exc.problems)
                continue
            for i, exc_ in enumerate(eset.exceptions):
                if exc_.id in seen:
                    problems.append(
                        doc.problem(
                            ("exceptions", i, "id"),
                            f"duplicate exception id {exc_.id!r} (first in {seen[exc_.id]})",
                        )
                    )
                    continue
                seen[exc_.id] = path
                if exc_.policy not in known_policies:
                    close = difflib.get_close_matches(exc_.policy, list(known_policies), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    problems.append(
                        doc.problem(
                            ("exceptions", i, "policy"),
                            f"no loaded policy has id {exc_.policy!r}{hint}",
                        )
                    )
                    continue
                if exc_.created > now + CLOCK_SKEW:
                    problems.append(
                        doc.problem(
                            ("exceptions", i, "created"),
                            f"created {_iso(exc_.created)} lies in the future (now is "
                            f"{_iso(now)}, allowed clock skew {_minutes(CLOCK_SKEW)})",
                        )
                    )
                    continue
                out.append(exc_)
    if problems:
        raise DocumentError(problems)
    return out


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _minutes(value: timedelta) -> str:
    return f"{int(value.total_seconds() // 60)} min"
