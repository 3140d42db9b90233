"""SARIF 2.1.0 for code-scanning UIs: rule ids are policy ids, locations the manifest lines.

Passing and unjudged results are left out; waived results are kept with a
SARIF suppression (kind external, the exception id as justification) so a
scanner UI shows them as accepted rather than dropping them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from regulens import __version__
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result
from regulens.engine.types import Severity, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning reads this property (0.0-10.0) to rank findings.
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}


def _shown(result: Result) -> bool:
    return result.status in (Status.FAIL, Status.WARN, Status.ERROR) or result.exception is not None


def _level(result: Result) -> str:
    if result.status is Status.WARN:
        return "warning"
    return _LEVEL[result.severity]


def _location(result: Result, fallback: str | None) -> list[dict[str, Any]]:
    loc: dict[str, Any] = {}
    if result.location is not None and result.location.file not in ("", "-"):
        physical: dict[str, Any] = {"artifactLocation": {"uri": quote(result.location.file)}}
        if result.location.line is not None:
            physical["region"] = {"startLine": result.location.line}
        loc["physicalLocation"] = physical
    elif fallback is not None:
        loc["physicalLocation"] = {"artifactLocation": {"uri": quote(fallback)}}
    if result.resource is not None:
        ref = result.resource
        ns = f"{ref.namespace}/" if ref.namespace else ""
        loc["logicalLocations"] = [
            {
                "name": ref.name,
                "fullyQualifiedName": f"{ref.kind}/{ns}{ref.name}",
                "kind": "resource",
            }
        ]
    return [loc] if loc else []


def sarif_document(outcome: Outcome, *, fallback_file: str | None = None) -> dict[str, Any]:
    """Build the SARIF log; results without a location point at `fallback_file` (the change)."""
    rules: dict[str, dict[str, Any]] = {}
    for r in outcome.results:
        if r.policy not in rules:
            rules[r.policy] = {
                "id": r.policy,
                "name": r.policy,
                "shortDescription": {"text": r.title},
                "defaultConfiguration": {"level": _LEVEL[r.severity]},
                "properties": {
                    "tags": list(r.controls),
                    "severity": r.severity.value,
                    "enforcement": r.enforcement.value,
                    "security-severity": _SCORE[r.severity],
                },
            }
    index = {policy: i for i, policy in enumerate(rules)}
    results = []
    for r in outcome.results:
        if not _shown(r):
            continue
        original = r.details.get("waived", {}).get("status") if r.exception else None
        entry: dict[str, Any] = {
            "ruleId": r.policy,
            "ruleIndex": index[r.policy],
            "kind": "fail",
            "level": _level(r),
            "message": {"text": r.message},
            "locations": _location(r, fallback_file),
            "properties": {"status": r.status.value, "enforcement": r.enforcement.value},
        }
        if original is not None:
            entry["properties"]["waivedStatus"] = original
        if not entry["locations"]:
            del entry["locations"]
        if r.exception is not None:
            entry["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": r.exception}
            ]
        results.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "regulens",
                        "version": __version__,
                        "informationUri": "https://regulens.dev",
                        "rules": list(rules.values()),
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": int(outcome.decision.exit_code),
                        "properties": {"decision": outcome.decision.decision},
                    }
                ],
                "results": results,
            }
        ],
    }


def render_sarif(outcome: Outcome, *, fallback_file: str | None = None) -> bytes:
    """Render the outcome as SARIF 2.1.0 JSON."""
    doc = sarif_document(outcome, fallback_file=fallback_file)
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
