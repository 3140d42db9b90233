"""Read reports' inputs from the evidence store: verify first, then decode the records.

Reports are renderings of verified evidence: `verify_evidence` runs the store's
own verifier (every hash, link, signature and checkpoint) and summarises the
verdict and the signing keys for the report; `load_runs` decodes the stored
statements into `RunRecord`s.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization

from regulens.errors import EvidenceError
from regulens.evidence.keys import TrustedKeys
from regulens.evidence.store import EvidenceStore, StoredCheckpoint, StoredRecord
from regulens.evidence.verify import Status, overall, verify_store
from regulens.reports.runs import RunRecord, decode_statement

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on the evidence a report is built from."""

    ok: bool
    status: str
    message: str
    records: int
    streams: tuple[str, ...]
    signing_keys: tuple[dict[str, str], ...]
    problems: tuple[dict[str, Any], ...]

    def evidence_json(self, store_label: str, *, allow_unverified: bool) -> dict[str, Any]:
        """The `evidence` block of report facts."""
        return {
            "store": store_label,
            "verified": self.ok,
            "allow_unverified": allow_unverified,
            "verification": {
                "status": self.status,
                "message": self.message,
                "records": self.records,
                "streams": list(self.streams),
                "signing_keys": [dict(k) for k in self.signing_keys],
                "problems": [dict(p) for p in self.problems],
            },
        }


def key_fingerprint(public_pem: bytes) -> str:
    """`SHA256:<hex>` of a public key's raw bytes (what people compare out of band)."""
    try:
        key = serialization.load_pem_public_key(public_pem)
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    except (ValueError, TypeError):
        raw = public_pem
    return "SHA256:" + hashlib.sha256(raw).hexdigest()


def verify_evidence(
    store: EvidenceStore,
    *,
    stream: str | None,
    trusted: TrustedKeys | None,
    checkpoints: Sequence[StoredCheckpoint] = (),
) -> Verification:
    """Verify the store (or one stream) and summarise the verdict for a report."""
    reports = verify_store(store, stream=stream, trusted=trusted, checkpoints=checkpoints)
    status = overall(reports)
    records = sum(r.records for r in reports)
    problems = tuple(r.to_json() for r in reports if r.status is not Status.OK)
    if status is Status.OK:
        signed = (
            f"signatures checked against {len(trusted.keys)} trusted key(s)"
            if trusted is not None
            else "signatures not checked (no --public-key given)"
        )
        message = f"{records} records in {len(reports)} stream(s) verified; {signed}"
    else:
        first = next((r for r in reports if r.status is not Status.OK), None)
        where = ""
        if first is not None:
            where = f"stream {first.stream}"
            where += f" at seq {first.seq}" if first.seq is not None else ""
            where += f": {first.message}" if first.message else ""
        message = where or "no records"
    fingerprints = tuple(
        {"key_id": kid, "fingerprint": key_fingerprint(pem)}
        for kid, pem in sorted(store.public_keys().items())
    )
    return Verification(
        ok=status is Status.OK,
        status=status.value,
        message=message,
        records=records,
        streams=tuple(r.stream for r in reports),
        signing_keys=fingerprints,
        problems=problems,
    )


def to_run(record: StoredRecord) -> RunRecord:
    """Decode one stored record."""
    return RunRecord(
        run_id=record.run_id,
        stream=record.stream,
        seq=record.seq,
        recorded_at=record.recorded_at,
        digest="sha256:" + record.record_hash.hex(),
        predicate=decode_statement(record.payload),
    )


def load_runs(store: EvidenceStore, stream: str | None = None) -> Iterator[RunRecord]:
    """Yield every decodable record (of one stream, or all), in (stream, seq) order.

    A record whose payload cannot be decoded can only be met with
    `--allow-unverified` (verification rejects it); it is skipped with a warning.
    """
    for record in store.records(stream):
        try:
            yield to_run(record)
        except EvidenceError as exc:
            log.warning("skipping %s#%d: %s", record.stream, record.seq, exc)


def load_section(store: EvidenceStore, digest: str) -> Mapping[str, Any] | None:
    """A stored snapshot section by digest (None when the store does not hold it)."""
    blob = store.blob(digest)
    if blob is None:
        return None
    if "sha256:" + hashlib.sha256(blob.data).hexdigest() != digest:
        # Sections are outside the chain: their digest inside a verified record is the proof.
        log.warning("stored section %s does not match its digest; not used", digest)
        return None
    try:
        section = orjson.loads(blob.data)
    except orjson.JSONDecodeError:
        log.warning("stored section %s is not JSON", digest)
        return None
    return section if isinstance(section, dict) else None
