"""Replay a recorded run: rebuild its snapshot and policies from the store and re-decide."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import ValidationError

from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.exceptions import PolicyException, apply_exceptions
from regulens.engine.outcome import Outcome
from regulens.engine.policy import PolicySet
from regulens.errors import ConfigError, InputDataError
from regulens.evidence.canonical import canonical_json, digest_of
from regulens.evidence.store import EvidenceStore, StoredRecord
from regulens.snapshot import Snapshot


@dataclass(frozen=True)
class ReplayResult:
    """The recorded and the replayed decision, and where they differ."""

    run_id: str
    recorded: dict[str, Any]
    replayed: dict[str, Any]
    differences: list[str]

    @property
    def same(self) -> bool:
        """True when the replay reproduced the recorded decision and results."""
        return not self.differences


def load_statement(record: StoredRecord) -> dict[str, Any]:
    """Parse a record's payload."""
    statement = orjson.loads(record.payload)
    if not isinstance(statement, dict) or not isinstance(statement.get("predicate"), dict):
        raise InputDataError(f"run {record.run_id}: payload is not a decision statement")
    return statement


def _blob_json(store: EvidenceStore, digest: str, what: str) -> Any:
    blob = store.blob(digest)
    if blob is None:
        raise InputDataError(f"{what} ({digest}) was not stored; this run cannot be replayed")
    doc = orjson.loads(blob.data)
    if digest_of(doc) != digest:
        raise InputDataError(f"{what} ({digest}): stored content does not match its digest")
    return doc


def replay_run(store: EvidenceStore, run_id: str) -> ReplayResult:
    """Re-evaluate a recorded run from its stored inputs and compare the outcome."""
    record = store.get(run_id)
    if record is None:
        raise ConfigError(f"no run {run_id!r} in evidence store {store.label}")
    predicate = load_statement(record)["predicate"]
    try:
        sections = {
            name: _blob_json(store, ref["digest"], f"input {name}")
            for name, ref in predicate["inputs"].items()
        }
        documents = [_blob_json(store, d, "policy set") for d in predicate["policies"]["documents"]]
        ids = list(predicate["policies"]["ids"])
        now = datetime.fromisoformat(predicate["run"]["now"])
        version = predicate.get("snapshot_version", 1)
        waiver_digest = predicate.get("exception_documents")
        waiver_docs = (
            _blob_json(store, waiver_digest, "exceptions") if waiver_digest is not None else []
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"run {run_id}: statement lacks replay data ({exc})") from exc
    try:
        snapshot = Snapshot.model_validate({"version": version, **sections})
        sets = [PolicySet.model_validate(doc) for doc in documents]
        waivers = [PolicyException.model_validate(doc) for doc in waiver_docs]
    except ValidationError as exc:
        raise InputDataError(f"run {run_id}: stored inputs no longer load: {exc}") from exc
    digest = hashlib.sha256()
    for pset in sets:
        canonical = pset.model_dump(mode="json", by_alias=True)
        digest.update(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS))
    by_id = {p.id: p for s in sets for p in s.policies}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise InputDataError(f"run {run_id}: policies {missing} are not in the stored sets")
    chosen = [by_id[i] for i in ids]
    results = evaluate(chosen, snapshot, EvalContext(now=now))
    results, report = apply_exceptions(results, waivers, now)
    replayed = Outcome.of(decide(results), results, snapshot, now, report).to_json()
    recorded = {
        "decision": predicate["decision"]["decision"],
        "exit_code": predicate["decision"]["exit_code"],
        "summary": predicate["decision"]["summary"],
        "results": predicate["results"],
        "coverage": predicate["coverage"],
        "exceptions": predicate["exceptions"],
    }
    differences = []
    if f"sha256:{digest.hexdigest()}" != predicate["policies"]["digest"]:
        differences.append("policy set digest differs from the recorded one")
    for key in ("decision", "exit_code", "summary", "results", "coverage", "exceptions"):
        if canonical_json(recorded[key]) != canonical_json(replayed[key]):
            differences.append(f"{key} differs")
    return ReplayResult(run_id, recorded, replayed, differences)
