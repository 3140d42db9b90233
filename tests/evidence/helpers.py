"""Small statements and chains for evidence tests."""

from __future__ import annotations

from regulens.evidence.canonical import canonical_json
from regulens.evidence.chain import RUN_PREFIX
from regulens.evidence.keys import Signer
from regulens.evidence.store import EvidenceStore, StoredRecord

# Literal copies (importing regulens.evidence.statement would load the engine in every
# writer process of the concurrency tests).
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_V1 = "https://regulens.dev/evidence/decision/v1"
PREDICATE_V2 = "https://regulens.dev/evidence/decision/v2"


def payload(
    run_id: str,
    n: int = 0,
    *,
    stream: str | None = None,
    command: str = "evaluate",
    recorded_at: str | None = None,
) -> bytes:
    """A minimal canonical statement naming `run_id`.

    With `stream` and `recorded_at` it is a v2 statement whose run block names the
    record's columns; without, a legacy v1 statement whose run block names only the id.
    """
    v2 = stream is not None and recorded_at is not None
    run = (
        {"id": run_id, "command": command, "stream": stream, "recorded_at": recorded_at}
        if v2
        else {"id": run_id}
    )
    return canonical_json(
        {
            "_type": STATEMENT_TYPE,
            "subject": [{"name": f"{RUN_PREFIX}{run_id}", "digest": {"sha256": "00" * 32}}],
            "predicateType": PREDICATE_V2 if v2 else PREDICATE_V1,
            "predicate": {
                "run": run,
                "decision": {"decision": "allow" if n % 3 else "deny", "exit_code": n % 2},
                "results": [{"policy": f"policy-{n % 7}", "status": "pass", "message": "ok"}],
            },
        }
    )


def fill(
    store: EvidenceStore,
    count: int,
    stream: str = "main",
    signer: Signer | None = None,
    prefix: str = "run",
) -> list[StoredRecord]:
    """Append `count` v2 records to `stream`."""
    out = []
    for i in range(count):
        run_id = f"{prefix}-{stream}-{i}"
        at = f"2026-11-30T02:{i // 60:02d}:{i % 60:02d}Z"
        body = payload(run_id, i, stream=stream, recorded_at=at)
        out.append(store.append(stream, run_id, "evaluate", at, body, signer=signer))
    return out
