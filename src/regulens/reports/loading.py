"""Read reports' inputs from the evidence store: verified, and decoded in the same read.

Reports are renderings of verified evidence: `verify_evidence` runs the store's
own verifier (every hash, link, signature and checkpoint) and summarises the
verdict and the signing keys for the report; `verify_and_read` (and
`verify_and_load`) also decode the statements the verifier read into `RunRecord`s.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson
from cryptography.hazmat.primitives import serialization

from regulens.errors import EvidenceError
from regulens.evidence.keys import TrustedKeys, public_pem
from regulens.evidence.store import EvidenceStore, MalformedRow, StoredCheckpoint, StoredRecord
from regulens.evidence.verify import Status, overall, verify_store
from regulens.reports.facts import EvidenceFacts
from regulens.reports.runs import RunRecord, decode_statement, predicate_of
from regulens.reports.wording import count

log = logging.getLogger(__name__)


VERIFIED = "verified"  # chains intact and every record signed by a trusted key (green)
INTEGRITY_ONLY = "integrity-only"  # chains intact, signatures not checked (amber)
FAILED = "failed"  # does not verify (red): refused unless --allow-unverified


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on the evidence a report is built from."""

    ok: bool  # the chains (and, when keys were given, the signatures) verified
    status: str
    message: str
    records: int
    streams: tuple[str, ...]
    signing_keys: tuple[dict[str, str], ...]  # trusted keys whose signatures verified
    problems: tuple[dict[str, Any], ...]
    signatures_checked: bool = False
    checkpoints: int = 0  # external checkpoints given (--checkpoint)
    legacy: int = 0  # records verified under the legacy statement format v1 rules
    checkpointed: int = 0  # records authenticated by a signed checkpoint of a later head

    @property
    def state(self) -> str:
        """verified | integrity-only | failed (the banner's colour: green, amber, red)."""
        if not self.ok:
            return FAILED
        return VERIFIED if self.signatures_checked else INTEGRITY_ONLY

    def banner(self) -> dict[str, str]:
        """The banner every format shows: its state, a title and plain words for auditors."""
        notes = []
        if self.legacy:
            notes.append(
                f"{count(self.legacy, 'record')} {'uses' if self.legacy == 1 else 'use'} "
                "the legacy statement format v1, whose "
                "recorded_at and command columns are checked only where the statement names them."
            )
        if not self.checkpoints:
            notes.append(
                "No external checkpoint was given: deleting the newest records would not be "
                "detected (pass --checkpoint with a checkpoint kept outside the store)."
            )
        if self.state == VERIFIED:
            keys = ", ".join(f"{k['key_id'][:16]} ({k['fingerprint'][:23]}...)"
                             for k in self.signing_keys)  # fmt: skip
            title = "Evidence verified and signed"
            text = (
                f"{count(self.records, 'record')} in {count(len(self.streams), 'stream')}: "
                "every hash, link and "
                f"input checked, and every record signed by a trusted key: {keys}."
            )
            if self.checkpointed:
                text += (
                    f" Of these, {self.checkpointed:,} "
                    f"{'is' if self.checkpointed == 1 else 'are'} authenticated by a signed "
                    "checkpoint of a later head, which their hashes are chained into, rather "
                    "than each by its own signature."
                )
        elif self.state == INTEGRITY_ONLY:
            title = "Evidence integrity only: signatures not checked"
            text = (
                f"{count(self.records, 'record')} in {count(len(self.streams), 'stream')} "
                "are internally "
                "consistent (hashes, links and inputs), but no trusted public key was given, so "
                "nothing here shows who wrote them: anyone able to write to the store could have "
                "replaced the records and recomputed every hash. An auditor should regenerate "
                "this report with --public-key before relying on it."
            )
        else:
            title = f"UNVERIFIED EVIDENCE: {self.status}"
            text = (
                f"{self.message}. This document was produced with --allow-unverified; its "
                "figures may rest on tampered or incomplete records."
            )
        return {"state": self.state, "title": title, "text": " ".join([text, *notes])}

    def evidence_json(self, store_label: str, *, allow_unverified: bool) -> EvidenceFacts:
        """The `evidence` block of report facts."""
        block = {
            "store": store_label,
            "state": self.state,
            "banner": self.banner(),
            "verified": self.ok,
            "signatures_checked": self.signatures_checked,
            "allow_unverified": allow_unverified,
            "verification": {
                "status": self.status,
                "message": self.message,
                "records": self.records,
                "streams": list(self.streams),
                "signing_keys": [dict(k) for k in self.signing_keys],
                "problems": [dict(p) for p in self.problems],
                "external_checkpoints": self.checkpoints,
                "legacy_v1_records": self.legacy,
                "checkpointed_records": self.checkpointed,
            },
        }
        return EvidenceFacts.model_validate(block)


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
    streams: Sequence[str] | None = None,
    tap: Callable[[StoredRecord | MalformedRow, Any], None] | None = None,
) -> Verification:
    """Verify the store (or one stream, or each of `streams`) and summarise the verdict.

    `tap` sees each record read, with its parsed payload (see `verify_store`).
    """
    names: Sequence[str | None] = streams if streams is not None else [stream]
    reports = [
        report
        for name in names
        for report in verify_store(
            store, stream=name, trusted=trusted, checkpoints=checkpoints, tap=tap
        )
    ]
    status = overall(reports)
    records = sum(r.records for r in reports)
    problems = tuple(r.to_json() for r in reports if r.status is not Status.OK)
    if status is Status.OK:
        signed = (
            f"signatures checked against {count(len(trusted.keys), 'trusted key')}"
            if trusted is not None
            else "signatures not checked (no --public-key given)"
        )
        message = (
            f"{count(records, 'record')} in {count(len(reports), 'stream')} verified; {signed}"
        )
    else:
        first = next((r for r in reports if r.status is not Status.OK), None)
        where = ""
        if first is not None:
            where = f"stream {first.stream}"
            where += f" at seq {first.seq}" if first.seq is not None else ""
            where += f": {first.message}" if first.message else ""
        message = where or "no records"
    signers = sorted({kid for r in reports for kid in r.signed_by})
    fingerprints = tuple(
        {"key_id": kid, "fingerprint": key_fingerprint(public_pem(trusted.keys[kid]))}
        for kid in signers
        if trusted is not None and kid in trusted.keys
    )
    return Verification(
        ok=status is Status.OK,
        status=status.value,
        message=message,
        records=records,
        streams=tuple(r.stream for r in reports),
        signing_keys=fingerprints,
        problems=problems,
        signatures_checked=trusted is not None,
        checkpoints=len(checkpoints),
        legacy=sum(r.legacy for r in reports),
        checkpointed=sum(r.checkpointed for r in reports),
    )


def to_run(record: StoredRecord, statement: Any = None) -> RunRecord:
    """Decode one stored record (`statement`: its payload, already parsed)."""
    return RunRecord(
        run_id=record.run_id,
        stream=record.stream,
        seq=record.seq,
        recorded_at=record.recorded_at,
        digest="sha256:" + record.record_hash.hex(),
        predicate=(
            decode_statement(record.payload) if statement is None else predicate_of(statement)
        ),
    )


def _decoded(record: StoredRecord | MalformedRow, statement: Any) -> RunRecord | None:
    """The run of a record, or None (logged) when it cannot be decoded."""
    if isinstance(record, MalformedRow):  # only met with --allow-unverified (or --fleet)
        log.warning("skipping %s", record.describe())
        return None
    try:
        return to_run(record, statement)
    except EvidenceError as exc:
        log.warning("skipping %s#%d: %s", record.stream, record.seq, exc)
        return None


def verify_and_read(
    store: EvidenceStore,
    *,
    streams: Sequence[str] | None,
    trusted: TrustedKeys | None,
    checkpoints: Sequence[StoredCheckpoint] = (),
    sink: Callable[[RunRecord], None],
) -> Verification:
    """Verify the store (every stream, or each of `streams`) and decode its runs, in one read.

    `sink` is handed each run as it is read, in (stream, seq) order (`streams` order
    first): the records the verifier read, decoded from the payloads it parsed, so a
    document never shows a record its verdict did not cover (one appended or altered
    after the verification, as a second read could meet), and nothing is read or
    parsed twice. A record that cannot be decoded is skipped with a warning.
    """

    def tap(record: StoredRecord | MalformedRow, statement: Any) -> None:
        run = _decoded(record, statement)
        if run is not None:
            sink(run)

    return verify_evidence(
        store, stream=None, streams=streams, trusted=trusted, checkpoints=checkpoints, tap=tap
    )


def verify_and_load(
    store: EvidenceStore,
    *,
    streams: Sequence[str] | None,
    trusted: TrustedKeys | None,
    checkpoints: Sequence[StoredCheckpoint] = (),
    keep: Callable[[RunRecord], bool] | None = None,
) -> tuple[Verification, list[RunRecord]]:
    """`verify_and_read`, collecting the runs; those `keep` refuses are dropped as read.

    The runs kept hold one copy of each value they repeat (see `_Sharing`).
    """
    runs: list[RunRecord] = []
    shared = _Sharing()

    def sink(run: RunRecord) -> None:
        if keep is None or keep(run):
            runs.append(replace(run, predicate=shared.predicate(run.predicate)))

    verification = verify_and_read(
        store, streams=streams, trusted=trusted, checkpoints=checkpoints, sink=sink
    )
    return verification, runs


class _Sharing:
    """One copy of each distinct block and result among the runs a document holds.

    A fleet's daily runs repeat most of what they record (the same findings on the
    same resources, the same policy set), and a year of them held as parsed payloads
    took about 58 KiB per run. Values whose JSON is the same, as orjson writes it
    (`1`, `1.0` and `true` stay apart), are held once, keyed by the SHA-256 of that
    JSON; they are shared between runs, so nothing that reads a `RunRecord` may change
    them (its fields are typed read-only). What differs from run to run is held in full.
    """

    def __init__(self) -> None:
        self._values: dict[bytes, Any] = {}

    def _value(self, value: Any) -> Any:
        if not isinstance(value, dict | list) or not value:
            return value
        key = hashlib.sha256(orjson.dumps(value)).digest()  # parsed by orjson: it dumps
        return self._values.setdefault(key, value)

    def predicate(self, predicate: Mapping[str, Any]) -> dict[str, Any]:
        """The predicate with each block, and each result, replaced by its shared copy."""
        out: dict[str, Any] = {}
        for key, value in predicate.items():
            if key == "run":  # names the run: never repeats
                out[key] = value
            elif key == "results" and isinstance(value, list):
                out[key] = [self._value(r) for r in value]
            else:
                out[key] = self._value(value)
        return out


def load_section(store: EvidenceStore, digest: str) -> Mapping[str, Any] | None:
    """A stored snapshot section by digest (None when the store does not hold it)."""
    blob = store.blob_rows([digest]).get(digest)
    if blob is None:
        return None
    if isinstance(blob, MalformedRow):  # only met with --allow-unverified
        log.warning("stored section %s: %s; not used", digest, blob.problem)
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
