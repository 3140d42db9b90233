"""The statement that records a monthly review's sign-off in the evidence store."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import orjson

from regulens.evidence.chain import RUN_PREFIX
from regulens.evidence.statement import PREDICATE_TYPE, STATEMENT_TYPE, rfc3339

SIGNOFF_COMMAND = "review-signoff"


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
) -> dict[str, Any]:
    """Return the in-toto Statement of one sign-off (a `review-signoff` run).

    The predicate has the run's keys of every record plus `signoff`; it judges
    nothing, so `decision` is null and `results` is empty.
    """
    signoff = {"month": month, "reviewer": reviewer, "date": date, "notes": notes}
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
