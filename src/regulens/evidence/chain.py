"""The hash chain: how a record's hash binds its stream, position, predecessor and payload."""

from __future__ import annotations

import hashlib

DEFAULT_STREAM = "default"  # the stream of runs recorded without --stream

DOMAIN_TAG = b"regulens-evidence-record/v1\x00"
GENESIS = bytes(32)  # prev_hash of the first record of every stream
HASH_SIZE = 32
RUN_PREFIX = "regulens-run:"  # subject name of a run's statement: RUN_PREFIX + run id

# The statement formats, by predicate type. v2 statements must carry the run's id, command,
# stream and recorded_at (verify compares them with the record's columns); v1 records, written
# before v2, are verified under v1 rules (compared only where the statement carries them).
PREDICATE_V1 = "https://regulens.dev/evidence/decision/v1"
PREDICATE_V2 = "https://regulens.dev/evidence/decision/v2"
STATEMENT_FORMATS = {PREDICATE_V1: 1, PREDICATE_V2: 2}


def record_hash(stream: str, seq: int, prev_hash: bytes, payload: bytes) -> bytes:
    """Return SHA-256(tag ‖ len(stream) ‖ stream ‖ seq ‖ prev_hash ‖ SHA-256(payload)).

    Every field has a fixed width or a length prefix, so no two different inputs
    share an encoding.
    """
    name = stream.encode("utf-8")
    h = hashlib.sha256(DOMAIN_TAG)
    h.update(len(name).to_bytes(4, "big"))
    h.update(name)
    h.update(seq.to_bytes(8, "big"))
    h.update(prev_hash)
    h.update(hashlib.sha256(payload).digest())
    return h.digest()
