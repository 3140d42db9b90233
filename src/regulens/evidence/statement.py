"""The recorded payload: an in-toto Statement v1 whose predicate is the decision of one run.

`build_statement` is pure (no I/O, no clock, no environment): everything it
needs arrives in its arguments, so the same run always yields the same bytes.
The predicate keys are a contract that reports build on: add keys, never rename.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from regulens import __version__
from regulens.engine.exceptions import PolicyException
from regulens.engine.outcome import Outcome
from regulens.evidence.canonical import digest_of
from regulens.evidence.chain import PREDICATE_V2, RUN_PREFIX
from regulens.policies import LoadedPolicies
from regulens.snapshot import KubernetesState, Snapshot

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = PREDICATE_V2  # the format written now (see chain.STATEMENT_FORMATS)
REDACTED = "<redacted>"
SECRET_FIELDS = ("data", "stringData")

Command = Literal["gate", "evaluate", "snapshot", "review-signoff"]


@dataclass(frozen=True)
class RunMeta:
    """What a run knows about itself beyond its outcome (the CLI fills it in)."""

    run_id: str
    command: Command
    stream: str
    recorded_at: datetime
    tool_version: str = __version__
    ci: Mapping[str, Any] | None = None
    selected: Sequence[str] | None = None  # policy ids evaluated; None: every loaded policy
    signoff: Mapping[str, Any] | None = None  # review-signoff only: month, reviewer, date, notes
    waivers: Sequence[PolicyException] = ()  # exceptions given to the run (stored for replay)


def rfc3339(at: datetime) -> str:
    """Return `at` in UTC as RFC 3339 with a `Z` suffix."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def snapshot_sections(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    """Return each section that is present as JSON, with Secret values redacted.

    These are the exact documents stored (deduplicated by digest) for replay.
    """
    out: dict[str, dict[str, Any]] = {}
    for name in type(snapshot).model_fields:
        if name == "version":
            continue
        section = getattr(snapshot, name)
        if section is None:
            continue
        dumped = section.model_dump(mode="json", by_alias=True)
        if isinstance(section, KubernetesState):
            dumped = _redact_secrets(dumped)
        out[name] = dumped
    return out


def _redact_secrets(section: dict[str, Any]) -> dict[str, Any]:
    resources = []
    for item in section.get("resources", []):
        obj = item.get("object") if isinstance(item, dict) else None
        if isinstance(obj, dict) and obj.get("kind") == "Secret":
            obj = dict(obj)
            for key in SECRET_FIELDS:
                values = obj.get(key)
                if isinstance(values, dict):
                    obj[key] = dict.fromkeys(values, REDACTED)
            resources.append({**item, "object": obj})
        else:
            resources.append(item)
    return {**section, "resources": resources}


def policy_documents(loaded: LoadedPolicies) -> list[dict[str, Any]]:
    """Return each loaded policy set as the JSON document that is stored for replay."""
    return [s.model_dump(mode="json", by_alias=True) for s in loaded.sets]


def waiver_documents(waivers: Sequence[PolicyException]) -> list[dict[str, Any]]:
    """Return the exceptions given to a run as the JSON list that is stored for replay."""
    return [w.model_dump(mode="json", by_alias=True) for w in waivers]


def _source_of(name: str, section: Any) -> str:
    provenance = getattr(section, "provenance", None)
    source = getattr(provenance, "source", None)
    if isinstance(source, str) and source:
        return source
    return "change-request" if name == "change" else name


def _change(snapshot: Snapshot) -> dict[str, Any] | None:
    change = snapshot.change
    if change is None:
        return None
    spec = change.spec
    return {
        "id": change.metadata.id,
        "category": spec.category.value,
        "environment": spec.environment,
        "requester": spec.requester,
        "title": spec.title,
        "scheduled": {"start": rfc3339(spec.scheduled.start), "end": rfc3339(spec.scheduled.end)},
        "incident": spec.incident,
    }


def _exceptions(outcome_json: Mapping[str, Any]) -> dict[str, list[Any]]:
    found = outcome_json.get("exceptions")
    out: dict[str, list[Any]] = {"applied": [], "expired": [], "unused": []}
    if isinstance(found, Mapping):
        for key in out:
            value = found.get(key)
            if isinstance(value, list | tuple):
                out[key] = list(value)
    return out


def build_statement(
    outcome: Outcome, snapshot: Snapshot, loaded_policies: LoadedPolicies, run_meta: RunMeta
) -> dict[str, Any]:
    """Return the in-toto Statement v1 recording one run's decision and its inputs."""
    result = outcome.to_json()
    sections = snapshot_sections(snapshot)
    ids = (
        list(run_meta.selected)
        if run_meta.selected is not None
        else [p.id for p in loaded_policies.policies]
    )
    predicate: dict[str, Any] = {
        "run": {
            "id": run_meta.run_id,
            "command": run_meta.command,
            "stream": run_meta.stream,
            "now": rfc3339(outcome.now),
            "recorded_at": rfc3339(run_meta.recorded_at),
            "tool": {"name": "regulens", "version": run_meta.tool_version},
            "ci": dict(run_meta.ci) if run_meta.ci else None,
        },
        "policies": {
            "digest": f"sha256:{loaded_policies.digest}",
            "sources": list(loaded_policies.sources),
            "ids": ids,
            "documents": [digest_of(doc) for doc in policy_documents(loaded_policies)],
        },
        "inputs": {
            name: {"digest": digest_of(doc), "source": _source_of(name, getattr(snapshot, name))}
            for name, doc in sections.items()
        },
        "snapshot_version": snapshot.version,
        "change": _change(snapshot),
        "decision": {
            "decision": result["decision"],
            "exit_code": result["exit_code"],
            "summary": result["summary"],
        },
        "results": result["results"],
        "coverage": result["coverage"],
        "exceptions": _exceptions(result),
        "exception_documents": (
            digest_of(waiver_documents(run_meta.waivers)) if run_meta.waivers else None
        ),
    }
    if "gating" in result:  # --fail-on, --soft-fail, --findings-baseline (and its digest)
        predicate["gating"] = result["gating"]
    if run_meta.command == "review-signoff":
        predicate["signoff"] = dict(run_meta.signoff or {})
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {
                "name": f"{RUN_PREFIX}{run_meta.run_id}",
                "digest": {"sha256": digest_of(result["results"]).removeprefix("sha256:")},
            }
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }
