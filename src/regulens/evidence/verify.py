"""Verify chains: recompute every hash and link, check signatures and checkpoints, in one pass.

The verifier is a streaming fold over a stream's records in seq order: it keeps
only the last hash, so memory stays flat however long the stream is, and it
stops at the first problem, which it names with its seq.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import orjson

from regulens.evidence.canonical import canonical_json
from regulens.evidence.chain import GENESIS, RUN_PREFIX, record_hash
from regulens.evidence.checkpoint import signed_message
from regulens.evidence.keys import CHECKPOINT_SIG_TAG, RECORD_SIG_TAG, TrustedKeys
from regulens.evidence.store import EvidenceStore, StoredCheckpoint, StoredRecord


class Status(StrEnum):
    """The outcome of verifying a stream (OK, or the kind of the first problem)."""

    OK = "OK"
    EMPTY = "EMPTY"  # no records: nothing was proven
    CORRUPT = "CORRUPT"  # a record's hash does not match its content
    BROKEN_LINK = "BROKEN_LINK"  # a record does not follow its predecessor (gap, insert, reorder)
    BAD_SIGNATURE = "BAD_SIGNATURE"  # missing or invalid signature
    UNKNOWN_KEY = "UNKNOWN_KEY"  # signed by a key that is not trusted
    TRUNCATED = "TRUNCATED"  # fewer records than a checkpoint proves existed
    FORKED = "FORKED"  # the record at a checkpoint's size is not the checkpointed head


@dataclass(frozen=True, slots=True)
class StreamReport:
    """The verdict on one stream."""

    stream: str
    status: Status
    seq: int | None  # where the first problem is
    message: str
    records: int  # records checked before stopping
    head: bytes | None  # hash of the last good record

    def to_json(self) -> dict[str, object]:
        """Return a JSON-friendly form."""
        return {
            "stream": self.stream,
            "status": self.status.value,
            "seq": self.seq,
            "message": self.message,
            "records": self.records,
            "head": self.head.hex() if self.head is not None else None,
        }


@dataclass
class StreamVerifier:
    """Fold one stream's records (seq order) into a verdict; stop at the first problem."""

    stream: str
    trusted: TrustedKeys | None = None
    checkpoints: Sequence[StoredCheckpoint] = ()
    next_seq: int = 1
    prev: bytes = GENESIS
    count: int = 0
    problem: tuple[Status, int | None, str] | None = None
    _expect: dict[int, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for cp in self.checkpoints:
            if cp.stream != self.stream:
                continue
            bad = self._checkpoint_signature(cp)
            if bad is not None:
                self.problem = bad
                return
            known = self._expect.get(cp.size)
            if known is not None and known != cp.head_hash:
                self.problem = (
                    Status.FORKED,
                    cp.size,
                    f"two checkpoints name different heads at size {cp.size}",
                )
                return
            self._expect[cp.size] = cp.head_hash

    def _checkpoint_signature(self, cp: StoredCheckpoint) -> tuple[Status, int, str] | None:
        if self.trusted is None:
            return None
        if cp.key_id not in self.trusted.keys:
            return (Status.UNKNOWN_KEY, cp.size, f"checkpoint signed by unknown key {cp.key_id}")
        message = signed_message(cp.stream, cp.size, cp.head_hash, cp.created_at)
        if not self.trusted.verify(cp.key_id, CHECKPOINT_SIG_TAG, message, cp.signature):
            return (Status.BAD_SIGNATURE, cp.size, "checkpoint signature does not verify")
        return None

    @property
    def done(self) -> bool:
        """True once a problem was found (later records are not looked at)."""
        return self.problem is not None

    def feed(self, rec: StoredRecord) -> None:
        """Check one record against its own content and its predecessor."""
        if self.problem is not None:
            return
        self.problem = self._check(rec)
        if self.problem is None:
            self.count += 1
            self.next_seq = rec.seq + 1
            self.prev = rec.record_hash

    def _check(self, rec: StoredRecord) -> tuple[Status, int | None, str] | None:
        seq = rec.seq
        if record_hash(rec.stream, seq, rec.prev_hash, rec.payload) != rec.record_hash:
            return (Status.CORRUPT, seq, "record hash does not match its content")
        if rec.stream != self.stream:
            return (Status.CORRUPT, seq, f"record belongs to stream {rec.stream!r}")
        if seq != self.next_seq:
            if seq > self.next_seq:
                missing = f"seq {self.next_seq}" + (
                    f"..{seq - 1}" if seq - 1 > self.next_seq else ""
                )
                return (Status.BROKEN_LINK, seq, f"{missing} missing before this record")
            return (Status.BROKEN_LINK, seq, f"seq out of order (expected {self.next_seq})")
        if rec.prev_hash != self.prev:
            return (Status.BROKEN_LINK, seq, "previous hash does not match the previous record")
        content = _content_problem(rec)
        if content is not None:
            return (Status.CORRUPT, seq, content)
        if self.trusted is not None:
            if rec.signature is None or rec.key_id is None:
                return (Status.BAD_SIGNATURE, seq, "record is not signed")
            if rec.key_id not in self.trusted.keys:
                return (Status.UNKNOWN_KEY, seq, f"signed by unknown key {rec.key_id}")
            if not self.trusted.verify(rec.key_id, RECORD_SIG_TAG, rec.record_hash, rec.signature):
                return (Status.BAD_SIGNATURE, seq, "signature does not verify")
        expected = self._expect.get(seq)
        if expected is not None and expected != rec.record_hash:
            return (Status.FORKED, seq, "record differs from the checkpointed head at this size")
        return None

    def finish(self) -> StreamReport:
        """Return the verdict once every record was fed."""
        head = self.prev if self.count else None
        if self.problem is not None:
            status, seq, message = self.problem
            return StreamReport(self.stream, status, seq, message, self.count, head)
        last = self.next_seq - 1
        beyond = [size for size in self._expect if size > last]
        if beyond:
            size = max(beyond)
            return StreamReport(
                self.stream,
                Status.TRUNCATED,
                last + 1,
                f"a checkpoint proves {size} records; only {last} are present",
                self.count,
                head,
            )
        if self.count == 0:
            return StreamReport(self.stream, Status.EMPTY, None, "no records", 0, None)
        return StreamReport(self.stream, Status.OK, None, "", self.count, head)


def _content_problem(rec: StoredRecord) -> str | None:
    try:
        statement = orjson.loads(rec.payload)
    except orjson.JSONDecodeError:
        return "payload is not JSON"
    if canonical_json(statement) != rec.payload:
        return "payload is not canonical JSON"
    try:
        subject = statement["subject"][0]["name"]
    except (KeyError, IndexError, TypeError):
        return "payload has no subject"
    if subject != f"{RUN_PREFIX}{rec.run_id}":
        return f"payload subject {subject!r} does not name run {rec.run_id}"
    return None


def verify_records(
    records: Iterable[StoredRecord],
    streams: Sequence[str],
    trusted: TrustedKeys | None,
    checkpoints: Sequence[StoredCheckpoint],
) -> list[StreamReport]:
    """Verify records ordered by (stream, seq); every name in `streams` gets a report."""
    verifiers: dict[str, StreamVerifier] = {}
    for rec in records:
        verifier = verifiers.get(rec.stream)
        if verifier is None:
            verifier = StreamVerifier(rec.stream, trusted, checkpoints)
            verifiers[rec.stream] = verifier
        verifier.feed(rec)
    for name in streams:
        if name not in verifiers:
            verifiers[name] = StreamVerifier(name, trusted, checkpoints)
    for cp in checkpoints:
        if cp.stream not in verifiers:
            verifiers[cp.stream] = StreamVerifier(cp.stream, trusted, checkpoints)
    return [verifiers[name].finish() for name in sorted(verifiers)]


def verify_store(
    store: EvidenceStore,
    *,
    stream: str | None = None,
    trusted: TrustedKeys | None = None,
    checkpoints: Sequence[StoredCheckpoint] = (),
) -> list[StreamReport]:
    """Verify the store (one stream or all) against its own and the given checkpoints."""
    stored = store.checkpoints(stream)
    extra = [cp for cp in checkpoints if stream is None or cp.stream == stream]
    names = [stream] if stream is not None else []
    return verify_records(store.records(stream), names, trusted, [*stored, *extra])


def overall(reports: Sequence[StreamReport]) -> Status:
    """OK only when there is at least one stream and every stream is OK."""
    if not reports:
        return Status.EMPTY
    for report in reports:
        if report.status is not Status.OK:
            return report.status
    return Status.OK
