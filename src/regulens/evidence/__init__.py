"""The tamper-evident evidence store: hash-chained, signed, verifiable offline.

Submodules load on first use, so a process that only appends (a CI runner, a
writer) does not pay for importing the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regulens.evidence.keys import Signer, TrustedKeys, load_signer, load_trusted
    from regulens.evidence.record import DEFAULT_STREAM, ci_metadata, new_run_id, record_run
    from regulens.evidence.statement import RunMeta, build_statement
    from regulens.evidence.store import EvidenceStore, StoredRecord, open_store
    from regulens.evidence.verify import Status, StreamReport, verify_store

_WHERE = {
    "Signer": "keys",
    "TrustedKeys": "keys",
    "load_signer": "keys",
    "load_trusted": "keys",
    "DEFAULT_STREAM": "record",
    "ci_metadata": "record",
    "new_run_id": "record",
    "record_run": "record",
    "RunMeta": "statement",
    "build_statement": "statement",
    "EvidenceStore": "store",
    "StoredRecord": "store",
    "open_store": "store",
    "Status": "verify",
    "StreamReport": "verify",
    "verify_store": "verify",
}

__all__ = [
    "DEFAULT_STREAM",
    "EvidenceStore",
    "RunMeta",
    "Signer",
    "Status",
    "StoredRecord",
    "StreamReport",
    "TrustedKeys",
    "build_statement",
    "ci_metadata",
    "load_signer",
    "load_trusted",
    "new_run_id",
    "open_store",
    "record_run",
    "verify_store",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'regulens.evidence' has no attribute {name!r}")
    return getattr(importlib.import_module(f"regulens.evidence.{module}"), name)
