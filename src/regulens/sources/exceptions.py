"""Read `kind: ExceptionSet` documents strictly; ids are unique and name loaded policies."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence

from regulens.documents import load_documents, validate_document
from regulens.engine.exceptions import ExceptionSet, PolicyException
from regulens.errors import DocumentError, Problem


def read_exceptions(paths: Sequence[str], known_policies: Collection[str]) -> list[PolicyException]:
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
                out.append(exc_)
    if problems:
        raise DocumentError(problems)
    return out
