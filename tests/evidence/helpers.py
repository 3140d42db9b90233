"""Small statements and chains for evidence tests."""

from __future__ import annotations

from regulens.evidence.canonical import canonical_json
from regulens.evidence.chain import RUN_PREFIX
from regulens.evidence.keys import Signer
from regulens.evidence.store import EvidenceStore, StoredRecord

# Literal copies (importing regulens.evidence.statement would load the engine in every
# writer process of the concurrency tests).
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://regulens.dev/evidence/decision/v1"


def payload(run_id: str, n: int = 0) -> bytes:
    """A minimal canonical statement naming `run_id`."""
    return canonical_json(
        {
            "_type": STATEMENT_TYPE,
            "subject": [{"name": f"{RUN_PREFIX}{run_id}", "digest": {"sha256": "00" * 32}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": {
                "run": {"id": run_id, "command": "evaluate"},
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
    """Append `count` records to `stream`."""
    out = []
    for i in range(count):
        run_id = f"{prefix}-{stream}-{i}"
        out.append(
            store.append(
                stream, run_id, "evaluate", f"2026-11-30T02:{i // 60:02d}:{i % 60:02d}Z",
                payload(run_id, i), signer=signer,
            )
        )  # fmt: skip
    return out
