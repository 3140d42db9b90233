"""Record a run: build its statement, store it with its inputs, return the stored record.

`gate` and `evaluate --record` call `record_run` after deciding; a store that
cannot be written raises `EvidenceError` (exit 4) and the caller must not
report allow.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from regulens.engine.outcome import Outcome
from regulens.evidence.canonical import canonical_json, sha256_hex
from regulens.evidence.keys import Signer
from regulens.evidence.statement import (
    RunMeta,
    build_statement,
    policy_documents,
    rfc3339,
    snapshot_sections,
    waiver_documents,
)
from regulens.evidence.store import Blob, EvidenceStore, StoredRecord
from regulens.policies import LoadedPolicies
from regulens.snapshot import Snapshot

# CI variables worth recording (never tokens): provider → {field: variable}.
_CI_VARS: dict[str, dict[str, str]] = {
    "github-actions": {
        "repository": "GITHUB_REPOSITORY",
        "ref": "GITHUB_REF",
        "commit": "GITHUB_SHA",
        "run_id": "GITHUB_RUN_ID",
        "run_attempt": "GITHUB_RUN_ATTEMPT",
        "workflow": "GITHUB_WORKFLOW",
        "actor": "GITHUB_ACTOR",
    },
    "gitlab-ci": {
        "repository": "CI_PROJECT_PATH",
        "ref": "CI_COMMIT_REF_NAME",
        "commit": "CI_COMMIT_SHA",
        "run_id": "CI_PIPELINE_ID",
        "job_id": "CI_JOB_ID",
        "actor": "GITLAB_USER_LOGIN",
    },
    "jenkins": {
        "job": "JOB_NAME",
        "build": "BUILD_NUMBER",
        "url": "BUILD_URL",
        "commit": "GIT_COMMIT",
    },
}
_CI_MARKERS = {
    "github-actions": "GITHUB_ACTIONS",
    "gitlab-ci": "GITLAB_CI",
    "jenkins": "JENKINS_URL",
}


def new_run_id() -> str:
    """Return a fresh run id (also the idempotency key of the append)."""
    return str(uuid.uuid4())


def ci_metadata(env: Mapping[str, str]) -> dict[str, Any] | None:
    """Return the CI provider and its run identifiers from `env` (None outside CI)."""
    for provider, marker in _CI_MARKERS.items():
        if env.get(marker):
            fields = {k: env[v] for k, v in _CI_VARS[provider].items() if env.get(v)}
            return {"provider": provider, **fields}
    if env.get("CI", "").lower() in ("true", "1"):
        return {"provider": "unknown"}
    return None


def run_blobs(snapshot: Snapshot, loaded: LoadedPolicies, meta: RunMeta) -> list[Blob]:
    """Return the snapshot sections, policy sets and exceptions to store, keyed by digest."""
    blobs = [_blob(f"section:{name}", doc) for name, doc in snapshot_sections(snapshot).items()]
    blobs.extend(_blob("policyset", doc) for doc in policy_documents(loaded))
    if meta.waivers:
        blobs.append(_blob("exceptions", waiver_documents(meta.waivers)))
    return blobs


def _blob(kind: str, doc: Any) -> Blob:
    """Canonicalise once: the stored bytes are exactly the bytes the digest names."""
    data = canonical_json(doc)
    return Blob(f"sha256:{sha256_hex(data)}", kind, data)


def record_run(
    store: EvidenceStore,
    *,
    outcome: Outcome,
    snapshot: Snapshot,
    loaded: LoadedPolicies,
    meta: RunMeta,
    signer: Signer | None = None,
) -> StoredRecord:
    """Append the run's statement (signed when a key is given) and its inputs to the store."""
    statement = build_statement(outcome, snapshot, loaded, meta)
    payload = canonical_json(statement)
    return store.append(
        meta.stream,
        meta.run_id,
        meta.command,
        rfc3339(meta.recorded_at),
        payload,
        signer=signer,
        blobs=run_blobs(snapshot, loaded, meta),
    )
