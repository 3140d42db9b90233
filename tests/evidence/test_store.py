"""The store on both engines: migrations, appends, idempotency, constraints, failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from regulens.errors import EvidenceError
from regulens.evidence import EvidenceStore, Signer, models, open_store
from regulens.evidence.chain import GENESIS, record_hash
from regulens.evidence.store import (
    _RECORD_COLUMNS,
    Blob,
    MalformedRow,
    StoredRecord,
    _lock_key,
    normalise_url,
)
from regulens.evidence.verify import Status, verify_store
from tests.evidence.conftest import Backend
from tests.evidence.helpers import fill, payload
from tests.support.postgres import PostgresServer


def test_migrations_upgrade_an_empty_database(backend: Backend) -> None:
    url = backend()
    with open_store(url):
        pass
    engine = create_engine(normalise_url(url))
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert {"evidence_records", "evidence_blobs", "evidence_checkpoints"} <= tables
    assert version == "0001"
    with open_store(url) as again:  # opening a migrated store again is a no-op
        assert again.streams() == []


def test_append_chains_records_per_stream(store: EvidenceStore) -> None:
    a = fill(store, 3, "a")
    b = fill(store, 2, "b")
    assert [r.seq for r in a] == [1, 2, 3]
    assert [r.seq for r in b] == [1, 2]
    assert a[0].prev_hash == GENESIS
    assert a[1].prev_hash == a[0].record_hash
    assert b[0].prev_hash == GENESIS
    assert a[2].record_hash == record_hash("a", 3, a[1].record_hash, a[2].payload)
    stored = list(store.records())
    assert [(r.stream, r.seq) for r in stored] == [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)]
    assert stored[0].payload == payload(
        "run-a-0", 0, stream="a", recorded_at=stored[0].recorded_at
    )  # exact bytes come back
    assert store.streams() == ["a", "b"]


def test_records_are_read_in_batches_without_gaps(store: EvidenceStore) -> None:
    fill(store, 7, "a")
    fill(store, 5, "b")
    got = [(r.stream, r.seq) for r in store.records(batch=3)]
    assert got == [("a", i) for i in range(1, 8)] + [("b", i) for i in range(1, 6)]
    # one stream continues by seq alone; the scan stops at that stream's end
    assert [r.seq for r in store.records("a", batch=3)] == list(range(1, 8))
    assert [r.seq for r in store.records("b", batch=2, first=2)] == [2, 3, 4, 5]


def test_rows_are_decoded_in_the_order_the_fast_path_unpacks() -> None:
    assert tuple(models.records.c.keys()) == _RECORD_COLUMNS


def test_a_row_not_of_its_schema_types_takes_the_checked_path(tmp_path: Path) -> None:
    # SQLite keeps whatever bytes it is given; test_verify_columns covers every column
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        fill(store, 2, "a")
        with store._tx(write=True) as conn:  # a run id that is not UTF-8 (read leniently)
            conn.execute(text("UPDATE evidence_records SET run_id = CAST(X'FF' AS TEXT) "
                              "WHERE seq = 2"))  # fmt: skip
        rows = list(store.rows("a"))
    assert isinstance(rows[0], StoredRecord)
    assert isinstance(rows[1], MalformedRow) and "not UTF-8" in rows[1].problem


def test_retried_append_with_the_same_run_id_returns_the_stored_record(
    store: EvidenceStore,
) -> None:
    first = store.append("s", "run-1", "gate", "2026-11-30T00:00:00Z", payload("run-1"))
    again = store.append("s", "run-1", "gate", "2026-11-30T00:00:00Z", payload("run-1"))
    assert again == first
    assert len(list(store.records())) == 1


def test_same_run_id_with_other_content_is_refused(store: EvidenceStore) -> None:
    store.append("s", "run-1", "gate", "2026-11-30T00:00:00Z", payload("run-1", 1))
    with pytest.raises(EvidenceError, match="different content"):
        store.append("s", "run-1", "gate", "2026-11-30T00:00:00Z", payload("run-1", 2))


def test_database_rejects_a_duplicate_stream_seq(backend: Backend) -> None:
    url = backend()
    with open_store(url) as store:
        rec = fill(store, 1, "s")[0]
    engine = create_engine(normalise_url(url))
    try:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO evidence_records (stream, seq, run_id, command, recorded_at,"
                    " payload, prev_hash, record_hash) VALUES ('s', 1, 'other', 'gate', 'x',"
                    " :p, :h, :h)"
                ),
                {"p": rec.payload, "h": rec.record_hash},
            )
    finally:
        engine.dispose()


def test_blobs_are_stored_once_by_digest(store: EvidenceStore) -> None:
    blob = Blob("sha256:" + "ab" * 32, "section:kubernetes", b'{"x":1}')
    store.append("s", "r1", "gate", "t", payload("r1"), blobs=[blob])
    store.append("s", "r2", "gate", "t", payload("r2"), blobs=[blob])
    assert store.blob(blob.digest) == blob
    assert store.blob("sha256:" + "cd" * 32) is None


def test_unreachable_postgres_is_an_evidence_error(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/regulens?host={tmp_path}&port=1"
    with pytest.raises(EvidenceError, match="evidence store"):
        open_store(url)


def test_sqlite_in_an_uncreatable_directory_is_an_evidence_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(EvidenceError, match="cannot create"):
        open_store(f"sqlite:///{blocker / 'sub' / 'evidence.db'}")


def test_unsupported_url_is_an_evidence_error() -> None:
    with pytest.raises(EvidenceError, match="unsupported"):
        open_store("mysql://localhost/x")


def test_read_only_sqlite_store_fails_on_append(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    with open_store(f"sqlite:///{path}"):
        pass
    # Root ignores file modes, so open the file through SQLite's read-only URI mode.
    with open_store(f"sqlite:///file:{path}?mode=ro&uri=true") as store:
        assert store.streams() == []
        with pytest.raises(EvidenceError, match="readonly"):
            store.append("s", "r", "gate", "t", payload("r"))


def test_head_revision_constant_matches_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from regulens.evidence.store import HEAD_REVISION, _migrations_dir

    cfg = Config()
    cfg.set_main_option("script_location", _migrations_dir())
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION


def test_public_api_names_resolve() -> None:
    import regulens.evidence as api

    for name in api.__all__:
        assert getattr(api, name) is not None


def _eventually(check: Callable[[], bool], seconds: float = 20) -> bool:
    """Poll `check` until it holds or `seconds` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.postgres
def test_append_survives_a_lost_connection_without_duplicating(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.url(postgres_server.create_database())
    with open_store(url) as store:
        fill(store, 2, "s")
        holder = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        try:
            # Hold the stream's lock so the append waits inside its transaction...
            holder.execute("SELECT pg_advisory_lock(%s)", (_lock_key("s"),))
            result: list[object] = []
            worker = threading.Thread(
                target=lambda: result.append(
                    store.append("s", "lost-1", "gate", "t", payload("lost-1"))
                )
            )
            worker.start()

            def killed() -> bool:  # ...then kill its server process, as a network failure would
                row = holder.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
                ).fetchone()
                return row is not None and bool(row[0])

            assert _eventually(killed)
            holder.execute("SELECT pg_advisory_unlock(%s)", (_lock_key("s"),))
            worker.join(timeout=30)
        finally:
            holder.close()
        assert len(result) == 1
        records = list(store.records("s"))
    assert [r.run_id for r in records] == ["run-s-0", "run-s-1", "lost-1"]
    assert [r.seq for r in records] == [1, 2, 3]


@pytest.mark.postgres
def test_an_append_that_loses_the_race_for_its_run_id_returns_the_winner(
    postgres_server: PostgresServer,
) -> None:
    # Another writer's uncommitted insert of the same record holds the unique keys: the
    # append waits on them, then fails with a unique violation from the driver, which
    # must reach the idempotency path as SQLAlchemy's IntegrityError would.
    url = postgres_server.url(postgres_server.create_database())
    body = payload("race-1")
    digest = record_hash("b", 1, GENESIS, body)
    with open_store(url) as store:
        holder = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        try:
            holder.execute(
                "INSERT INTO evidence_records (stream, seq, run_id, command, recorded_at,"
                " payload, prev_hash, record_hash) VALUES ('b', 1, 'race-1', 'gate', 't',"
                " %s, %s, %s)",
                (body, GENESIS, digest),
            )
            result: list[object] = []
            worker = threading.Thread(
                target=lambda: result.append(store.append("b", "race-1", "gate", "t", body))
            )
            worker.start()
            # autocommit: each poll reads pg_stat_activity anew (a transaction keeps its snapshot)
            with psycopg.connect(
                url.replace("postgresql+psycopg", "postgresql"), autocommit=True
            ) as probe:
                assert _eventually(
                    lambda: (
                        probe.execute(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE wait_event_type = 'Lock' AND wait_event = 'transactionid'"
                        ).fetchone()
                        == (1,)
                    )
                )
            holder.commit()
            worker.join(timeout=30)
        finally:
            holder.close()
        assert len(result) == 1
        won = result[0]
        assert isinstance(won, StoredRecord) and (won.seq, won.record_hash) == (1, digest)
        assert [r.run_id for r in store.records("b")] == ["race-1"]
        with pytest.raises(EvidenceError, match="different content"):  # other stream
            store.append("c", "race-1", "gate", "t", body)


@pytest.mark.postgres
def test_appends_leave_pooled_connections_transactional(postgres_server: PostgresServer) -> None:
    # PostgreSQL appends run in autocommit mode until their own BEGIN (BEGIN and the stream
    # lock in one round trip); every connection must go back to the pool transactional,
    # or a later multi-statement write (a checkpoint and its key) would commit piecemeal.
    url = postgres_server.url(postgres_server.create_database())
    with open_store(url) as store:
        store.append("s", "ok-1", "gate", "t", payload("ok-1"))
        with pytest.raises(EvidenceError, match="different content"):
            store.append("s", "ok-1", "gate", "t", payload("ok-1", 5))
        blob = Blob("sha256:" + "cd" * 32, "section:kubernetes", b"{}")
        store.append("s", "ok-2", "gate", "t", payload("ok-2"), blobs=[blob])
        with store._tx(write=True) as first, store._tx(write=True) as second:
            for conn in (first, second):
                driver = conn.connection.dbapi_connection
                assert driver is not None and driver.autocommit is False
        assert [r.run_id for r in store.records("s")] == ["ok-1", "ok-2"]


@pytest.mark.postgres
def test_appends_through_sqlalchemy_and_through_psycopg_chain_alike(
    postgres_server: PostgresServer,
) -> None:
    # Another PostgreSQL driver than psycopg 3 takes SQLAlchemy's own execution path;
    # both paths must build one chain (the store switches by driver, so switch it here).
    url = postgres_server.url(postgres_server.create_database())
    with open_store(url) as store:
        assert store._on_psycopg
        signer = Signer.generate()
        blob = Blob("sha256:" + "ef" * 32, "section:kubernetes", b"{}")
        for i in range(6):
            store._on_psycopg = i % 2 == 1
            run = f"mixed-{i}"
            store.append("m", run, "gate", "t", payload(run, i), signer=signer,
                         blobs=[blob] if i % 3 == 0 else [])  # fmt: skip
        (report,) = verify_store(store, stream="m")
        assert (report.status, report.records) == (Status.OK, 6)
        assert [r.seq for r in store.records("m")] == [1, 2, 3, 4, 5, 6]
