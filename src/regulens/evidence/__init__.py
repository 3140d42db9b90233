"""The tamper-evident evidence store: hash-chained, signed, verifiable offline."""

from regulens.evidence.keys import Signer, TrustedKeys, load_signer, load_trusted
from regulens.evidence.record import DEFAULT_STREAM, ci_metadata, new_run_id, record_run
from regulens.evidence.statement import RunMeta, build_statement
from regulens.evidence.store import EvidenceStore, StoredRecord, open_store
from regulens.evidence.verify import Status, StreamReport, verify_store

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
