"""Tampering of every kind is detected, at the right seq, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from regulens.evidence import Signer, TrustedKeys, open_store
from regulens.evidence.chain import record_hash
from regulens.evidence.checkpoint import make_checkpoint
from regulens.evidence.keys import RECORD_SIG_TAG
from regulens.evidence.store import StoredCheckpoint, StoredRecord, normalise_url
from regulens.evidence.verify import Status, StreamReport, StreamVerifier, verify_store
from tests.evidence.helpers import fill, payload
from tests.support.postgres import PostgresServer

SIZE = 200
SIGNER = Signer.generate()
TRUSTED = TrustedKeys({SIGNER.key_id: SIGNER.public})


@dataclass
class Chain:
    """A 200-record signed stream `main` (+ 5 records in `other`) and a way to copy it."""

    clone: Callable[[], str]
    records: list[StoredRecord]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Chain:
    if request.param == "sqlite":
        root = tmp_path_factory.mktemp("chain")
        source = root / "source.db"
        url = f"sqlite:///{source}"
        counter = iter(range(10_000))

        def clone() -> str:
            target = root / f"copy-{next(counter)}.db"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        name = server.create_database()
        url = server.url(name)

        def clone() -> str:
            return server.url(server.create_database(template=name))

    with open_store(url) as store:
        fill(store, SIZE, "main", SIGNER)
        fill(store, 5, "other", SIGNER)
        if request.param == "sqlite":
            with store._engine.connect() as conn:  # fold the WAL into the file before copying
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        records = list(store.records("main"))
    return Chain(clone, records)


def sql(url: str, statement: str, **params: object) -> None:
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def verdict(
    url: str,
    trusted: TrustedKeys | None = TRUSTED,
    checkpoints: tuple[StoredCheckpoint, ...] = (),
    stream: str = "main",
    *,
    every_signature: bool = False,
) -> StreamReport:
    with open_store(url) as store:
        (report,) = verify_store(
            store, stream=stream, trusted=trusted, checkpoints=checkpoints,
            every_signature=every_signature,
        )  # fmt: skip
    return report


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> list[StoredRecord]:
    """The 200 records as stored in and read back from SQLite (no copies needed)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('flips') / 'e.db'}"
    with open_store(url) as store:
        fill(store, SIZE, "main", SIGNER)
        return list(store.records("main"))


def test_intact_chain_is_ok(chain: Chain, stored: list[StoredRecord]) -> None:
    report = verdict(chain.clone())
    assert (report.status, report.records) == (Status.OK, SIZE)
    assert report.head == chain.records[-1].record_hash
    # Both engines give back identical bytes (Ed25519 signatures are deterministic), so
    # the exhaustive bit-flip tests below on `stored` hold for each engine.
    assert chain.records == stored


def _flips_detected(records: list[StoredRecord], field: str) -> int:
    """Flip every bit of `field` in every record; each must be CORRUPT at that record's seq.

    Verification is a fold that stops at the first problem, so verifying the
    tampered chain equals checking the tampered record against the verifier state
    after the intact records before it (`_check` does not change that state).
    """
    verifier = StreamVerifier("main", TRUSTED)
    checked = 0
    index = [f.name for f in fields(StoredRecord)].index(field)
    for rec in records:
        values = [getattr(rec, f.name) for f in fields(StoredRecord)]
        original: bytes = values[index]
        buffer = bytearray(original)
        for bit in range(len(original) * 8):
            buffer[bit // 8] ^= 1 << (bit % 8)
            values[index] = bytes(buffer)
            buffer[bit // 8] ^= 1 << (bit % 8)
            problem = verifier._check(StoredRecord(*values))
            assert problem is not None, (rec.seq, field, bit)
            assert problem[:2] == (Status.CORRUPT, rec.seq), (rec.seq, field, bit, problem)
            checked += 1
        verifier.feed(rec)
    assert verifier.finish().status is Status.OK
    return checked


def test_every_payload_bit_flip_is_detected_at_its_seq(stored: list[StoredRecord]) -> None:
    checked = _flips_detected(stored, "payload")
    assert checked == 8 * sum(len(r.payload) for r in stored)


@pytest.mark.parametrize("field", ["record_hash", "prev_hash"])
def test_every_hash_bit_flip_is_detected_at_its_seq(stored: list[StoredRecord], field: str) -> None:
    assert _flips_detected(stored, field) == SIZE * 256


@pytest.mark.parametrize(
    ("column", "seq", "bit"),
    [("payload", 1, 0), ("payload", 57, 1234), ("record_hash", 120, 7), ("prev_hash", 200, 255)],
)
def test_bit_flip_in_the_database_is_corrupt_at_that_seq(
    chain: Chain, column: str, seq: int, bit: int
) -> None:
    url = chain.clone()
    original = getattr(chain.records[seq - 1], column)
    sql(
        url,
        f"UPDATE evidence_records SET {column} = :v WHERE stream = 'main' AND seq = :s",
        v=flip(original, bit),
        s=seq,
    )
    report = verdict(url)
    assert (report.status, report.seq) == (Status.CORRUPT, seq)


def test_deleted_record_breaks_the_link(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "DELETE FROM evidence_records WHERE stream = 'main' AND seq = 100")
    report = verdict(url)
    assert (report.status, report.seq) == (Status.BROKEN_LINK, 101)
    assert "seq 100 missing" in report.message


def test_inserted_record_is_detected(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "UPDATE evidence_records SET seq = seq + 1000 WHERE stream = 'main' AND seq >= 100")
    sql(url, "UPDATE evidence_records SET seq = seq - 999 WHERE stream = 'main' AND seq >= 1000")
    prev = chain.records[98].record_hash
    forged = payload("forged", 0, stream="main", command="gate", recorded_at="t")
    sql(
        url,
        "INSERT INTO evidence_records (stream, seq, run_id, command, recorded_at, payload,"
        " prev_hash, record_hash) VALUES ('main', 100, 'forged', 'gate', 't', :p, :prev, :h)",
        p=forged,
        prev=prev,
        h=record_hash("main", 100, prev, forged),
    )
    # Unsigned, the forged record itself links correctly; the record it displaced does not.
    report = verdict(url, trusted=None)
    assert (report.status, report.seq) == (Status.CORRUPT, 101)
    report = verdict(url)
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 100)


def test_appended_record_with_a_stale_link_is_detected(chain: Chain) -> None:
    url = chain.clone()
    prev = chain.records[198].record_hash  # links to 199, not to the head 200
    forged = payload("forged", 0, stream="main", command="gate", recorded_at="t")
    sql(
        url,
        "INSERT INTO evidence_records (stream, seq, run_id, command, recorded_at, payload,"
        " prev_hash, record_hash) VALUES ('main', 201, 'forged', 'gate', 't', :p, :prev, :h)",
        p=forged,
        prev=prev,
        h=record_hash("main", 201, prev, forged),
    )
    report = verdict(url, trusted=None)
    assert (report.status, report.seq) == (Status.BROKEN_LINK, 201)


def test_reordered_records_are_detected(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "UPDATE evidence_records SET seq = 9999 WHERE stream = 'main' AND seq = 50")
    sql(url, "UPDATE evidence_records SET seq = 50 WHERE stream = 'main' AND seq = 51")
    sql(url, "UPDATE evidence_records SET seq = 51 WHERE stream = 'main' AND seq = 9999")
    report = verdict(url)
    assert (report.status, report.seq) == (Status.CORRUPT, 50)


def test_records_swapped_between_streams_are_detected(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "UPDATE evidence_records SET stream = 'tmp' WHERE stream = 'main' AND seq = 3")
    sql(url, "UPDATE evidence_records SET stream = 'main' WHERE stream = 'other' AND seq = 3")
    sql(url, "UPDATE evidence_records SET stream = 'other' WHERE stream = 'tmp' AND seq = 3")
    for stream in ("main", "other"):
        report = verdict(url, stream=stream)
        assert (report.status, report.seq) == (Status.CORRUPT, 3)


def _checkpoint(chain: Chain, size: int, signer: Signer = SIGNER) -> StoredCheckpoint:
    head = chain.records[size - 1].record_hash
    return make_checkpoint("main", size, head, "2026-12-01T00:00:00Z", signer)


def test_truncation_is_detected_with_a_checkpoint(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "DELETE FROM evidence_records WHERE stream = 'main' AND seq > 180")
    assert verdict(url).status is Status.OK  # a clean cut is invisible without a checkpoint
    report = verdict(url, checkpoints=(_checkpoint(chain, SIZE),))
    assert (report.status, report.seq) == (Status.TRUNCATED, 181)


def test_everything_deleted_is_truncated_with_a_checkpoint(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "DELETE FROM evidence_records WHERE stream = 'main'")
    assert verdict(url).status is Status.EMPTY
    report = verdict(url, checkpoints=(_checkpoint(chain, SIZE),))
    assert (report.status, report.seq) == (Status.TRUNCATED, 1)


def _rewrite(url: str, start: int, signer: Signer | None, *, claim: str | None = None) -> None:
    """Rewrite `main` from `start` on with changed payloads and a consistent chain."""
    engine = create_engine(normalise_url(url))
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT seq, run_id, prev_hash, recorded_at FROM evidence_records"
                    " WHERE stream = 'main' AND seq >= :s ORDER BY seq"
                ),
                {"s": start},
            ).all()
            prev = bytes(rows[0].prev_hash)
            for row in rows:
                body = payload(
                    row.run_id, 1000 + row.seq, stream="main", recorded_at=row.recorded_at
                )
                digest = record_hash("main", row.seq, prev, body)
                sig = signer.sign(RECORD_SIG_TAG, digest) if signer else None
                kid = claim or (signer.key_id if signer else None)
                conn.execute(
                    text(
                        "UPDATE evidence_records SET payload = :p, record_hash = :h,"
                        " prev_hash = :prev, signature = :sig, key_id = :kid"
                        " WHERE stream = 'main' AND seq = :s"
                    ),
                    {"p": body, "h": digest, "prev": prev, "sig": sig, "kid": kid, "s": row.seq},
                )
                prev = digest
    finally:
        engine.dispose()


def test_rewrite_with_a_rogue_key_is_unknown_key(chain: Chain) -> None:
    url = chain.clone()
    _rewrite(url, 150, Signer.generate())
    assert verdict(url, trusted=None).status is Status.OK  # hashes alone cannot tell
    report = verdict(url)
    assert (report.status, report.seq) == (Status.UNKNOWN_KEY, 150)


def test_rewrite_claiming_the_real_key_is_bad_signature(chain: Chain) -> None:
    url = chain.clone()
    _rewrite(url, 150, Signer.generate(), claim=SIGNER.key_id)
    report = verdict(url)
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 150)


def test_unsigned_rewrite_is_bad_signature(chain: Chain) -> None:
    url = chain.clone()
    _rewrite(url, 10, None)
    report = verdict(url)
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 10)
    assert "not signed" in report.message


def test_rewrite_is_forked_against_a_checkpoint(chain: Chain) -> None:
    url = chain.clone()
    _rewrite(url, 150, None)
    report = verdict(url, trusted=None, checkpoints=(_checkpoint(chain, 170),))
    assert (report.status, report.seq) == (Status.FORKED, 170)


def test_checkpoint_by_a_rogue_key_is_unknown_key(chain: Chain) -> None:
    report = verdict(chain.clone(), checkpoints=(_checkpoint(chain, SIZE, Signer.generate()),))
    assert (report.status, report.seq) == (Status.UNKNOWN_KEY, SIZE)


def test_stored_checkpoints_are_checked(chain: Chain) -> None:
    url = chain.clone()
    with open_store(url) as store:
        store.add_checkpoint(_checkpoint(chain, SIZE), SIGNER)
    assert verdict(url).status is Status.OK
    sql(url, "DELETE FROM evidence_records WHERE stream = 'main' AND seq = 200")
    report = verdict(url)
    assert (report.status, report.seq) == (Status.TRUNCATED, 200)


# A trusted checkpoint authenticates the records it covers: their hashes are chained into
# the head it signs. Their own signatures are then not checked one by one (--every-signature
# does); they must still be present and by a trusted key.


def _set_signature(url: str, seq: int, signature: bytes | None) -> None:
    sql(url, "UPDATE evidence_records SET signature = :sig WHERE stream = 'main' AND seq = :s",
        sig=signature, s=seq)  # fmt: skip


def test_a_checkpoint_authenticates_the_records_it_covers(chain: Chain) -> None:
    other = Signer.generate()
    cp = _checkpoint(chain, 150, other)
    keys = TrustedKeys({SIGNER.key_id: SIGNER.public, other.key_id: other.public})
    report = verdict(chain.clone(), trusted=keys, checkpoints=(cp,))
    assert (report.status, report.records, report.checkpointed) == (Status.OK, SIZE, 150)
    # the checkpoint's signer vouches for 1..150, the records' own key for 151..200
    assert report.signed_by == tuple(sorted({SIGNER.key_id, cp.key_id}))
    full = verdict(chain.clone(), trusted=keys, checkpoints=(cp,), every_signature=True)
    assert (full.status, full.checkpointed, full.signed_by) == (Status.OK, 0, (SIGNER.key_id,))


def test_without_keys_nothing_is_authenticated_by_a_checkpoint(chain: Chain) -> None:
    report = verdict(chain.clone(), trusted=None, checkpoints=(_checkpoint(chain, 150),))
    assert (report.status, report.checkpointed, report.signed_by) == (Status.OK, 0, ())


def test_a_bad_signature_after_the_checkpoint_is_still_found(chain: Chain) -> None:
    url = chain.clone()
    _set_signature(url, 151, flip(chain.records[150].signature or b"", 3))
    report = verdict(url, checkpoints=(_checkpoint(chain, 150),))
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 151)


def test_a_bad_signature_under_the_checkpoint_needs_every_signature(chain: Chain) -> None:
    url = chain.clone()
    _set_signature(url, 20, flip(chain.records[19].signature or b"", 3))
    cps = (_checkpoint(chain, 150),)
    assert verdict(url, checkpoints=cps).status is Status.OK  # content intact: nothing forged
    report = verdict(url, checkpoints=cps, every_signature=True)
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 20)


def test_records_under_the_checkpoint_must_still_be_signed_by_a_trusted_key(chain: Chain) -> None:
    url = chain.clone()
    _set_signature(url, 20, None)
    report = verdict(url, checkpoints=(_checkpoint(chain, 150),))
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 20)
    url = chain.clone()
    sql(url, "UPDATE evidence_records SET key_id = 'rogue' WHERE stream = 'main' AND seq = 30")
    report = verdict(url, checkpoints=(_checkpoint(chain, 150),))
    assert (report.status, report.seq) == (Status.UNKNOWN_KEY, 30)


def test_a_rewrite_under_the_checkpoint_is_forked_at_it(chain: Chain) -> None:
    url = chain.clone()
    _rewrite(url, 40, Signer.generate(), claim=SIGNER.key_id)  # signatures that do not verify
    cps = (_checkpoint(chain, 150),)
    report = verdict(url, checkpoints=cps)
    assert (report.status, report.seq, report.checkpointed) == (Status.FORKED, 150, 0)
    assert "at or before seq 150 was altered" in report.message
    report = verdict(url, checkpoints=cps, every_signature=True)
    assert (report.status, report.seq) == (Status.BAD_SIGNATURE, 40)


def test_a_cut_below_the_checkpoint_authenticates_nothing(chain: Chain) -> None:
    url = chain.clone()
    sql(url, "DELETE FROM evidence_records WHERE stream = 'main' AND seq > 100")
    report = verdict(url, checkpoints=(_checkpoint(chain, 150),))
    assert (report.status, report.seq, report.checkpointed) == (Status.TRUNCATED, 101, 0)


def test_the_largest_trusted_checkpoint_is_the_anchor(chain: Chain) -> None:
    cps = (_checkpoint(chain, 50), _checkpoint(chain, 180), _checkpoint(chain, 120))
    report = verdict(chain.clone(), checkpoints=cps)
    assert (report.status, report.checkpointed) == (Status.OK, 180)


def test_empty_store_is_not_ok(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        assert verify_store(store) == []
        (report,) = verify_store(store, stream="main")
    assert report.status is Status.EMPTY


@pytest.mark.parametrize("seq", [0, -1, 1 << 63, 1 << 80])
def test_a_seq_out_of_range_is_corrupt_not_a_crash(stored: list[StoredRecord], seq: int) -> None:
    verifier = StreamVerifier("main", TRUSTED)
    first = stored[0]
    verifier.feed(StoredRecord(*[seq if f.name == "seq" else getattr(first, f.name)
                                 for f in fields(StoredRecord)]))  # fmt: skip
    report = verifier.finish()
    assert report.status is Status.CORRUPT and "out of range" in report.message
