"""Verify chains: recompute every hash and link, check signatures, checkpoints and inputs.

The verifier is a streaming fold over a stream's records in seq order: it keeps
only the last hash, so memory stays flat however long the stream is, and it
stops at the first problem, which it names with its seq. Besides the chain it
checks that each record's columns (run id, command, stream, recorded_at) are the
ones its hashed statement names, and (in a store) that every input blob the
statement references is stored with exactly the content its digest names. No
stored value can make it raise: a row of the wrong shape is CORRUPT at its seq.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import orjson

from regulens.evidence.canonical import is_canonical
from regulens.evidence.chain import GENESIS, RUN_PREFIX, STATEMENT_FORMATS, record_hash
from regulens.evidence.checkpoint import signed_message
from regulens.evidence.keys import CHECKPOINT_SIG_TAG, RECORD_SIG_TAG, TrustedKeys
from regulens.evidence.store import (
    EvidenceStore,
    MalformedRow,
    StoredCheckpoint,
    StoredRecord,
)

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
# The record columns a statement's `run` block must agree with.
_BOUND = (("id", "run_id"), ("command", "command"), ("stream", "stream"),
          ("recorded_at", "recorded_at"))  # fmt: skip


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
    signed_by: tuple[str, ...] = ()  # trusted key ids whose signatures verified
    legacy: int = 0  # good records in statement format v1 (verified under v1 rules)
    # records authenticated by a trusted checkpoint of a later head instead of each by its own
    # signature (see StreamVerifier.every_signature)
    checkpointed: int = 0

    def to_json(self) -> dict[str, object]:
        """Return a JSON-friendly form."""
        return {
            "stream": self.stream,
            "status": self.status.value,
            "seq": self.seq,
            "message": self.message,
            "records": self.records,
            "head": self.head.hex() if self.head is not None else None,
            "signed_by": list(self.signed_by),
            "legacy_v1_records": self.legacy,
            "checkpointed_records": self.checkpointed,
        }


class Blobs(Protocol):
    """Where a verifier looks up the input blobs a statement references."""

    def problem(self, digest: str) -> str | None:
        """None when `digest` is stored with content that hashes to it, else what is wrong."""


@dataclass
class StreamVerifier:
    """Fold one stream's records (seq order) into a verdict; stop at the first problem.

    With trusted keys, a record at or below the largest checkpoint whose signature verifies
    is authenticated by that checkpoint: its hash is chained into the checkpointed head, so
    the one checkpoint signature covers its content as its own would, and its signature is
    not checked one by one (it must still be present and by a trusted key). What that leaves
    unproven is only the signature column of those records (not hashed, so not covered).
    `every_signature` checks each record's signature regardless.
    """

    stream: str
    trusted: TrustedKeys | None = None
    checkpoints: Sequence[StoredCheckpoint | MalformedRow] = ()
    every_signature: bool = False
    next_seq: int = 1
    prev: bytes = GENESIS
    blobs: Blobs | None = None
    count: int = 0
    problem: tuple[Status, int | None, str] | None = None
    format: int = 0  # newest statement format seen so far (a stream never goes back)
    legacy: int = 0
    checkpointed: int = 0
    _expect: dict[int, bytes] = field(default_factory=dict)
    _signers: set[str] = field(default_factory=set)
    _anchor: int = 0  # records up to this seq are authenticated by a checkpoint
    _anchor_keys: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for cp in self.checkpoints:
            if isinstance(cp, MalformedRow):
                if cp.stream == self.stream:
                    self.problem = (Status.CORRUPT, cp.seq, f"checkpoint {cp.describe()}")
                    return
                continue
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
            if self.trusted is not None and not self.every_signature:
                if cp.size > self._anchor:
                    self._anchor, self._anchor_keys = cp.size, set()
                if cp.size == self._anchor:
                    self._anchor_keys.add(cp.key_id)

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

    def feed(self, rec: StoredRecord | MalformedRow, parsed: Any = None) -> None:
        """Check one record against its own content and its predecessor.

        `parsed` is the payload as orjson parsed it already, if it did (None: parse it).
        """
        if self.problem is not None:
            return
        if isinstance(rec, MalformedRow):
            self.problem = (Status.CORRUPT, rec.seq, rec.describe())
            return
        self.problem = self._check(rec, parsed)
        if self.problem is None:
            self.count += 1
            self.next_seq = rec.seq + 1
            self.prev = rec.record_hash
            if rec.seq <= self._anchor:
                self.checkpointed += 1
            elif rec.key_id is not None and self.trusted is not None:
                self._signers.add(rec.key_id)

    def _check(
        self, rec: StoredRecord, parsed: Any = None
    ) -> tuple[Status, int | None, str] | None:
        seq = rec.seq
        if not 1 <= seq < 1 << 63:  # a bundle line can claim any number
            return (Status.CORRUPT, None, f"seq {seq} is out of range")
        if len(rec.prev_hash) != 32 or len(rec.record_hash) != 32:
            return (Status.CORRUPT, seq, "a chain hash is not 32 bytes")
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
        statement, content = _statement(rec, parsed)
        if content is not None:
            return (Status.CORRUPT, seq, content)
        version = STATEMENT_FORMATS[statement["predicateType"]]
        if version < self.format:
            return (Status.CORRUPT, seq, f"statement format v{version} after v{self.format}")
        bound = _bound_problem(rec, statement["predicate"], version)
        if bound is not None:
            return (Status.CORRUPT, seq, bound)
        inputs = self._inputs_problem(statement["predicate"])
        if inputs is not None:
            return (Status.CORRUPT, seq, inputs)
        if self.trusted is not None:
            if rec.signature is None or rec.key_id is None:
                return (Status.BAD_SIGNATURE, seq, "record is not signed")
            if rec.key_id not in self.trusted.keys:
                return (Status.UNKNOWN_KEY, seq, f"signed by unknown key {rec.key_id}")
            if seq > self._anchor and not self.trusted.verify(
                rec.key_id, RECORD_SIG_TAG, rec.record_hash, rec.signature
            ):
                return (Status.BAD_SIGNATURE, seq, "signature does not verify")
        expected = self._expect.get(seq)
        if expected is not None and expected != rec.record_hash:
            also = (
                f"; a record at or before seq {seq} was altered (`regulens evidence verify "
                "--every-signature` names the first whose signature fails)"
                if seq == self._anchor
                else ""
            )
            return (
                Status.FORKED,
                seq,
                f"record differs from the checkpointed head at this size{also}",
            )
        self.format = version
        self.legacy += version == 1
        return None

    def _inputs_problem(self, predicate: Mapping[str, Any]) -> str | None:
        refs = references(predicate)
        if isinstance(refs, str):
            return refs
        if self.blobs is None:
            return None
        for what, digest in refs:
            problem = self.blobs.problem(digest)
            if problem is not None:
                return f"{what} {digest}: {problem}"
        return None

    def finish(self) -> StreamReport:
        """Return the verdict once every record was fed."""
        head = self.prev if self.count else None
        signers = tuple(sorted(self._signers))
        if self.problem is not None:
            status, seq, message = self.problem
            return StreamReport(
                self.stream, status, seq, message, self.count, head, signers, self.legacy
            )
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
                signers,
                self.legacy,
            )
        if self.count == 0:
            return StreamReport(self.stream, Status.EMPTY, None, "no records", 0, None)
        # every record up to the anchor was fed and the one at it is the checkpointed head
        if self.checkpointed:
            signers = tuple(sorted({*self._signers, *self._anchor_keys}))
        return StreamReport(
            self.stream, Status.OK, None, "", self.count, head, signers, self.legacy,
            self.checkpointed,
        )  # fmt: skip


def _statement(rec: StoredRecord, parsed: Any = None) -> tuple[dict[str, Any], str | None]:
    """Parse (unless `parsed`) and check the statement's envelope: canonical JSON, known
    format, subject."""
    try:
        statement = parsed if parsed is not None else orjson.loads(rec.payload)
    except orjson.JSONDecodeError:
        return {}, "payload is not JSON"
    try:
        canonical = is_canonical(statement, rec.payload)
    except (TypeError, ValueError, OverflowError) as exc:  # e.g. integers beyond RFC 8785
        return {}, f"payload cannot be canonicalised ({type(exc).__name__})"
    if not canonical:
        return {}, "payload is not canonical JSON"
    if not isinstance(statement, dict):
        return {}, "payload is not a JSON object"
    try:
        subject = statement["subject"][0]["name"]
    except (KeyError, IndexError, TypeError):
        return {}, "payload has no subject"
    if subject != f"{RUN_PREFIX}{rec.run_id}":
        return {}, f"payload subject {subject!r} does not name run {rec.run_id!r}"
    kind = statement.get("predicateType")
    if not isinstance(kind, str) or kind not in STATEMENT_FORMATS:
        return {}, f"unknown statement format {kind!r}"
    if not isinstance(statement.get("predicate"), dict):
        return {}, "statement has no predicate object"
    return statement, None


def _bound_problem(rec: StoredRecord, predicate: Mapping[str, Any], version: int) -> str | None:
    """The record's columns must be the values its hashed statement names (v2: all present)."""
    run = predicate.get("run")
    if not isinstance(run, dict):
        return None if version == 1 else "statement has no run block"
    for key, column in _BOUND:
        value = run.get(key)
        if value is None and version == 1:
            continue
        if value != getattr(rec, column):
            stored = getattr(rec, column)
            return f"column {column} {stored!r} is not the statement's run.{key} {value!r}"
    return None


def references(predicate: Mapping[str, Any]) -> list[tuple[str, str]] | str:
    """The input blobs a statement references as (what, digest), or what is malformed."""
    out: list[tuple[str, Any]] = []
    inputs = predicate.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, dict):
            return "statement inputs are not an object"
        for name, ref in inputs.items():
            digest = ref.get("digest") if isinstance(ref, dict) else None
            out.append((f"input {name}", digest))
    policies = predicate.get("policies")
    if isinstance(policies, dict) and "documents" in policies:
        documents = policies["documents"]
        if not isinstance(documents, list):
            return "statement policies.documents is not a list"
        out.extend(("policy set", d) for d in documents)
    exceptions = predicate.get("exception_documents")
    if exceptions is not None:
        out.append(("exceptions", exceptions))
    checked: list[tuple[str, str]] = []
    for what, digest in out:
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            return f"{what}: digest {digest!r} is not sha256:<64 hex>"
        checked.append((what, digest))
    return checked


@dataclass
class StoreBlobs:
    """Input blobs of a store, fetched in batches; digests already proven are remembered."""

    store: EvidenceStore
    remember: int = 50_000
    _good: set[str] = field(default_factory=set)
    _bad: dict[str, str] = field(default_factory=dict)

    def prefetch(self, digests: Iterable[str]) -> None:
        """Fetch and check every digest not yet known, in one query per 500."""
        if len(self._good) > self.remember:
            self._good.clear()
        wanted = sorted({d for d in digests if d not in self._good and d not in self._bad})
        if not wanted:
            return
        found = self.store.blob_rows(wanted)
        for digest in wanted:
            blob = found.get(digest)
            if blob is None:
                self._bad[digest] = "is not stored"
            elif isinstance(blob, MalformedRow):
                self._bad[digest] = blob.problem
            elif "sha256:" + hashlib.sha256(blob.data).hexdigest() != digest:
                self._bad[digest] = "stored content does not match its digest"
            else:
                self._good.add(digest)

    def problem(self, digest: str) -> str | None:
        """None when the blob is stored intact."""
        if digest not in self._good and digest not in self._bad:
            self.prefetch([digest])
        return self._bad.get(digest)


def _prefetched(
    rows: Iterable[StoredRecord | MalformedRow], blobs: StoreBlobs, batch: int = 500
) -> Iterator[tuple[StoredRecord | MalformedRow, Any]]:
    """Pair rows with their parsed payloads (None: not parsed), fetching the blobs each
    batch of records references in one go."""
    pending: list[tuple[StoredRecord | MalformedRow, Any]] = []

    def flush() -> Iterator[tuple[StoredRecord | MalformedRow, Any]]:
        digests = [d for _, statement in pending for d in _referenced_digests(statement)]
        blobs.prefetch(digests)
        yield from pending
        pending.clear()

    for row in rows:
        pending.append((row, _parsed(row)))
        if len(pending) >= batch:
            yield from flush()
    yield from flush()


def _parsed(row: StoredRecord | MalformedRow) -> Any:
    if isinstance(row, MalformedRow):
        return None
    try:
        return orjson.loads(row.payload)
    except orjson.JSONDecodeError:
        return None  # the verifier parses again and names the problem


def _referenced_digests(statement: Any) -> list[str]:
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    refs = references(predicate) if isinstance(predicate, dict) else []
    return [] if isinstance(refs, str) else [d for _, d in refs]


def verify_records(
    records: Iterable[tuple[StoredRecord | MalformedRow, Any]],
    streams: Sequence[str],
    trusted: TrustedKeys | None,
    checkpoints: Sequence[StoredCheckpoint | MalformedRow],
    blobs: Blobs | None = None,
    *,
    every_signature: bool = False,
) -> list[StreamReport]:
    """Verify records ordered by (stream, seq), each paired with its parsed payload or None
    (as `_prefetched` pairs them); every name in `streams` gets a report."""
    verifiers: dict[str, StreamVerifier] = {}

    def verifier_of(name: str) -> StreamVerifier:
        found = verifiers.get(name)
        if found is None:
            found = verifiers[name] = StreamVerifier(
                name, trusted, checkpoints, every_signature, blobs=blobs
            )
        return found

    for rec, parsed in records:
        verifier_of(rec.stream).feed(rec, parsed)
    for name in streams:
        verifier_of(name)
    for cp in checkpoints:
        verifier_of(cp.stream)
    return [verifiers[name].finish() for name in sorted(verifiers)]


def verify_store(
    store: EvidenceStore,
    *,
    stream: str | None = None,
    trusted: TrustedKeys | None = None,
    checkpoints: Sequence[StoredCheckpoint] = (),
    every_signature: bool = False,
    tap: Callable[[StoredRecord | MalformedRow, Any], None] | None = None,
) -> list[StreamReport]:
    """Verify the store (one stream or all) against its own and the given checkpoints.

    Every row is read; if the ordered scan met fewer rows than the table holds
    (a NULL where the scan continues), the stream is CORRUPT, never OK. `tap` is
    handed each row with its parsed payload (None: malformed, or not JSON) as it is
    verified, so a reader decodes the very records the verdict is about, in the
    same read (a second read could meet records appended, or altered, since).
    """
    stored = store.checkpoint_rows(stream)
    extra = [cp for cp in checkpoints if stream is None or cp.stream == stream]
    names = [stream] if stream is not None else []
    blobs = StoreBlobs(store)
    seen = 0

    def counted() -> Iterator[StoredRecord | MalformedRow]:
        nonlocal seen
        for row in store.rows(stream):
            seen += 1
            yield row

    def tapped() -> Iterator[tuple[StoredRecord | MalformedRow, Any]]:
        for row, parsed in _prefetched(counted(), blobs):
            if tap is not None:
                tap(row, parsed)
            yield row, parsed

    reports = verify_records(
        tapped(), names, trusted, [*stored, *extra], blobs, every_signature=every_signature
    )
    total = store.count(stream)
    if seen != total:
        missed = StreamReport(
            stream or "<store>", Status.CORRUPT, None,
            f"{total - seen} record rows could not be read in (stream, seq) order", seen, None,
        )  # fmt: skip
        reports = [r for r in reports if r.stream != missed.stream] + [missed]
    return reports


def overall(reports: Sequence[StreamReport]) -> Status:
    """OK only when there is at least one stream and every stream is OK."""
    if not reports:
        return Status.EMPTY
    for report in reports:
        if report.status is not Status.OK:
            return report.status
    return Status.OK
