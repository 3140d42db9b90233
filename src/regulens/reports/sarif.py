"""SARIF 2.1.0 for code-scanning UIs (GitHub's subset): rule ids are policy ids.

Passing and unjudged results are left out; waived results are kept with a
SARIF suppression (kind external, the exception id as justification) so a
scanner UI shows them as accepted rather than dropping them.

Every result has a physical location, as GitHub code scanning requires: the
manifest line of its object (for `helm template | regulens ... --manifests -`,
the chart file named by Helm's `# Source:` comment), the report file of a scan
result, else the change request file, else the first policy file. A file
under the source root is a URI relative to it with `uriBaseId` `%SRCROOT%`;
one outside it an absolute `file://` URI. `partialFingerprints` carry the
finding's identity (`regulens.engine.fingerprint`: policy, resource identity
and the subject its check set, never the message, which carries ages and
counts), the same value a findings baseline lists, so a finding keeps its
alert across runs.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import orjson

from regulens import __version__
from regulens.documents import Document
from regulens.engine.fingerprint import finding_fingerprint
from regulens.engine.outcome import Outcome
from regulens.engine.policy import Policy
from regulens.engine.results import Result
from regulens.engine.types import Severity, Status

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
HELP_URI = "https://regulens.dev/policies/{id}"
FINGERPRINT = "regulensFinding/v2"  # v1 hashed other data: the values changed
_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub code scanning ranks security alerts by this property: over 9.0 critical,
# 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
_SCORE = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
# The change request field each change check judges: its results point at that line
# (or at the nearest enclosing field the document has, when the field is missing).
CHANGE_FIELDS: dict[str, tuple[str, ...]] = {
    "change-approval": ("spec", "approvals"),
    "change-window": ("spec", "scheduled"),
    "change-rollback-plan": ("spec", "rollback"),
    "change-tests-passed": ("spec", "tests"),
    "change-emergency-incident": ("spec", "incident"),
    "change-category-matches-diff": ("spec", "category"),
}


@dataclass(frozen=True)
class SourceRoot:
    """Where URIs start (`root`, absolute) and what relative input paths start from (`cwd`)."""

    root: str
    cwd: str

    def uri(self, file: str) -> tuple[str, str | None]:
        """The URI of `file` and its `uriBaseId` (None for a file outside the root)."""
        path = file if PurePath(file).is_absolute() else posixpath.join(self.cwd, file)
        path = posixpath.normpath(path)
        relative = posixpath.relpath(path, self.root)
        if relative == ".." or relative.startswith("../"):
            return "file://" + quote(path), None
        return quote(relative), SRCROOT


def change_lines(doc: Document) -> dict[str, int]:
    """Check type -> the line of the change request field it judges (see `CHANGE_FIELDS`)."""
    lines: dict[str, int] = {}
    for check_type, path in CHANGE_FIELDS.items():
        key = doc.key_locations.get(path)  # the `approvals:` line, not its first item
        line = key[0] if key is not None else doc.locate(path)[0]
        if line is not None:
            lines[check_type] = line
    return lines


def _shown(result: Result) -> bool:
    return result.status in (Status.FAIL, Status.WARN, Status.ERROR) or result.exception is not None


def _level(result: Result) -> str:
    if result.status is Status.WARN:
        return "warning"
    return _LEVEL[result.severity]


def _artifact(file: str, root: SourceRoot | None) -> dict[str, Any]:
    if file.startswith("builtin:"):  # a policy shipped in the package: not a repository file
        return {"uri": quote(file, safe=":/")}
    if root is None:
        return {"uri": quote(file), "uriBaseId": SRCROOT}
    uri, base = root.uri(file)
    return {"uri": uri, "uriBaseId": base} if base is not None else {"uri": uri}


@dataclass(frozen=True)
class _Places:
    """Where results without a location of their own point."""

    change_file: str | None
    policy_file: str | None
    root: SourceRoot | None
    change_line: Mapping[str, int]  # policy id -> line of the change field it judges


def _physical(result: Result, places: _Places) -> dict[str, Any] | None:
    loc = result.location
    if loc is not None and loc.file not in ("", "-"):
        return {
            "artifactLocation": _artifact(loc.file, places.root),
            "region": {"startLine": loc.line or 1},
        }
    if places.change_file is not None:
        line = places.change_line.get(result.policy, 1)
        artifact = _artifact(places.change_file, places.root)
        return {"artifactLocation": artifact, "region": {"startLine": line}}
    if places.policy_file is None:
        return None
    return {
        "artifactLocation": _artifact(places.policy_file, places.root),
        "region": {"startLine": 1},
    }


def _locations(result: Result, places: _Places) -> list[dict[str, Any]]:
    loc: dict[str, Any] = {}
    physical = _physical(result, places)
    if physical is not None:
        loc["physicalLocation"] = physical
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


def fingerprint(result: Result) -> str:
    """The finding's identity (`regulens.engine.fingerprint`): the baseline's fingerprint."""
    return finding_fingerprint(result)


def _rule(result: Result, policy: Policy | None) -> dict[str, Any]:
    description = (policy.description if policy is not None else None) or result.title
    remediation = policy.remediation if policy is not None else None
    controls = ", ".join(result.controls) or "none"
    text = f"{description}\n\nSeverity: {result.severity.value}. Controls: {controls}."
    markdown = f"**{result.title}**\n\n{description}\n\n"
    if remediation:
        text += f"\n\nRemediation: {remediation}"
        markdown += f"**Remediation:** {remediation}\n\n"
    markdown += f"Severity: `{result.severity.value}` · Controls: {controls}"
    return {
        "id": result.policy,
        "name": result.policy,
        "shortDescription": {"text": result.title},
        "fullDescription": {"text": description},
        "help": {"text": text, "markdown": markdown},
        "helpUri": HELP_URI.format(id=quote(result.policy)),
        "defaultConfiguration": {"level": _LEVEL[result.severity]},
        "properties": {
            "tags": ["security", *result.controls],
            "severity": result.severity.value,
            "enforcement": result.enforcement.value,
            "security-severity": _SCORE[result.severity],
            "precision": "high",
        },
    }


def sarif_document(
    outcome: Outcome,
    *,
    fallback_file: str | None = None,
    source_root: SourceRoot | None = None,
    policy_file: str | None = None,
    policies: Mapping[str, Policy] | None = None,
    change_lines: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """Build the SARIF log.

    Results without a location point at `fallback_file` (the change request;
    at the line `change_lines` gives for the policy's check type), else at
    `policy_file` (the first policy file); `policies` give the rules their
    description and remediation; URIs are relative to `source_root`.
    """
    known = policies or {}
    by_type = change_lines or {}
    places = _Places(
        fallback_file,
        policy_file,
        source_root,
        {pid: by_type[p.check.type] for pid, p in known.items() if p.check.type in by_type},
    )
    rules: dict[str, dict[str, Any]] = {}
    for r in outcome.results:
        if r.policy not in rules:
            rules[r.policy] = _rule(r, known.get(r.policy))
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
            "locations": _locations(r, places),
            "partialFingerprints": {FINGERPRINT: fingerprint(r)},
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
    run: dict[str, Any] = {
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
    if source_root is not None:
        root = source_root.root.rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(root)}}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(
    outcome: Outcome,
    *,
    fallback_file: str | None = None,
    source_root: SourceRoot | None = None,
    policy_file: str | None = None,
    policies: Mapping[str, Policy] | None = None,
    change_lines: Mapping[str, int] | None = None,
) -> bytes:
    """Render the outcome as SARIF 2.1.0 JSON."""
    doc = sarif_document(
        outcome,
        fallback_file=fallback_file,
        source_root=source_root,
        policy_file=policy_file,
        policies=policies,
        change_lines=change_lines,
    )
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"
