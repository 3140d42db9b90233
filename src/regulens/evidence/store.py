"""The evidence store: open (migrating), append to a stream's chain, read back in order.

Appends are serialised per stream so the chain never forks or loses a record:
PostgreSQL takes `pg_advisory_xact_lock` on the stream, SQLite runs the append in
a `BEGIN IMMEDIATE` transaction (one writer at a time, WAL mode, busy timeout).
The run id is the idempotency key: retrying an append after an ambiguous commit
returns the record already stored instead of adding a second one.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    literal_column,
    select,
    text,
    tuple_,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.types import NullType

from regulens.errors import ConfigError, EvidenceError
from regulens.evidence import models
from regulens.evidence.chain import GENESIS, record_hash
from regulens.evidence.keys import RECORD_SIG_TAG, Signer, public_pem

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 60_000
APPEND_ATTEMPTS = 3
HEAD_REVISION = "0001"  # newest migration; a test keeps it equal to Alembic's head
_WRITE = "regulens_write"


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One record as stored: the exact payload bytes and the chain fields."""

    stream: str
    seq: int
    run_id: str
    command: str
    recorded_at: str
    payload: bytes
    prev_hash: bytes
    record_hash: bytes
    key_id: str | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed statement of a stream's size and head hash at a time."""

    stream: str
    size: int
    head_hash: bytes
    created_at: str
    key_id: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class Blob:
    """Content stored once by digest (a snapshot section or a policy set document)."""

    digest: str
    kind: str
    data: bytes


@dataclass(frozen=True, slots=True)
class AppendGuard:
    """A rule checked against the stream's records of `command` before an append commits."""

    command: str
    check: Callable[[Sequence[StoredRecord], StoredRecord | None], None]  # (those, stream head)


def normalise_url(url: str) -> URL:
    """Parse a SQLAlchemy URL; plain `postgresql://` uses psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise EvidenceError(f"invalid evidence store URL {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _lock_key(stream: str) -> int:
    digest = hashlib.sha256(b"regulens-evidence-stream\x00" + stream.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True, slots=True)
class MalformedRow:
    """A row whose columns are not what the schema promises: reported, never raised mid-read.

    `stream` is a printable label of whatever the stream column holds, `seq` the
    seq when it is a usable integer; `problem` names the offending column.
    """

    table: str
    row_id: str
    stream: str
    seq: int | None
    problem: str

    def describe(self) -> str:
        """`<table> row <id>: <problem>` for messages."""
        return f"{self.table} row {self.row_id}: {self.problem}"


def _label(value: object) -> str:
    """A printable name for whatever a text column holds (NULL, a number, bytes)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<NULL>"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    return repr(value)


class _Columns:
    """Type-check raw column values of one row, collecting the first problem."""

    def __init__(self, row: Any) -> None:
        self.row = row
        self.problem: str | None = None

    def _fail(self, name: str, value: object, expected: str) -> None:
        if self.problem is None:
            got = "NULL" if value is None else type(value).__name__
            self.problem = f"column {name} holds {got}, expected {expected}"

    def text(self, name: str) -> str:
        value = getattr(self.row, name)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                if self.problem is None:
                    self.problem = f"column {name} holds text that is not UTF-8"
                return ""
            return value
        self._fail(name, value, "text")
        return ""

    def optional_text(self, name: str) -> str | None:
        value = getattr(self.row, name)
        return None if value is None else self.text(name)

    def binary(self, name: str) -> bytes:
        value = getattr(self.row, name)
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        self._fail(name, value, "bytes")
        return b""

    def optional_binary(self, name: str) -> bytes | None:
        value = getattr(self.row, name)
        return None if value is None else self.binary(name)

    def integer(self, name: str, minimum: int) -> int:
        value = getattr(self.row, name)
        if type(value) is int and value >= minimum:
            return value
        self._fail(name, value, f"an integer >= {minimum}")
        return 0


def _usable_seq(value: object) -> int | None:
    return value if type(value) is int and value >= 1 else None


def _well_typed_record(row: Any) -> StoredRecord | None:
    """The record of a row whose every column has its schema type, read positionally, else None.

    The common case of `_decode_record` at a fraction of its cost (attribute access on a
    result row costs about a microsecond a column); any doubt falls to the checked path.
    """
    if len(row) != len(_RECORD_COLUMNS):
        return None
    _, stream, seq, run_id, command, recorded_at, payload, prev, digest, key_id, sig = row
    if not (
        type(stream) is str
        and type(run_id) is str
        and type(command) is str
        and type(recorded_at) is str
        and (key_id is None or type(key_id) is str)
        and type(seq) is int
        and seq >= 1
        and type(payload) is bytes
        and type(prev) is bytes
        and type(digest) is bytes
        and (sig is None or type(sig) is bytes)
        and stream
        # text read leniently holds lone surrogates where the stored bytes were not UTF-8
        and (stream + run_id + command + recorded_at + (key_id or "")).isascii()
    ):
        return None
    return StoredRecord(
        stream, seq, run_id, command, recorded_at, payload, prev, digest, key_id, sig
    )


def _decode_record(row: Any) -> StoredRecord | MalformedRow:
    """Decode one raw evidence_records row; wrong types, NULLs and odd values never raise."""
    fast = _well_typed_record(row)
    if fast is not None:
        return fast
    c = _Columns(row)
    record = StoredRecord(
        stream=c.text("stream"),
        seq=c.integer("seq", 1),
        run_id=c.text("run_id"),
        command=c.text("command"),
        recorded_at=c.text("recorded_at"),
        payload=c.binary("payload"),
        prev_hash=c.binary("prev_hash"),
        record_hash=c.binary("record_hash"),
        key_id=c.optional_text("key_id"),
        signature=c.optional_binary("signature"),
    )
    if c.problem is None and not record.stream:
        c.problem = "column stream is empty"
    if c.problem is not None:
        return MalformedRow(
            "evidence_records", _label(row.id), _label(row.stream), _usable_seq(row.seq), c.problem
        )
    return record


def _decode_checkpoint(row: Any) -> StoredCheckpoint | MalformedRow:
    c = _Columns(row)
    cp = StoredCheckpoint(
        stream=c.text("stream"),
        size=c.integer("size", 1),
        head_hash=c.binary("head_hash"),
        created_at=c.text("created_at"),
        key_id=c.text("key_id"),
        signature=c.binary("signature"),
    )
    if c.problem is not None:
        return MalformedRow(
            "evidence_checkpoints", _label(row.id), _label(row.stream), _usable_seq(row.size),
            c.problem,
        )  # fmt: skip
    return cp


def _decode_blob(row: Any) -> Blob | MalformedRow:
    c = _Columns(row)
    blob = Blob(c.text("digest"), c.text("kind"), c.binary("data"))
    if c.problem is not None:
        return MalformedRow("evidence_blobs", _label(row.digest), "", None, c.problem)
    return blob


# The column order `_raw(models.records)` selects in, which `_well_typed_record` unpacks.
_RECORD_COLUMNS = ("id", "stream", "seq", "run_id", "command", "recorded_at", "payload",
                   "prev_hash", "record_hash", "key_id", "signature")  # fmt: skip


def _raw(table: Any) -> Any:
    """Select every column untyped: no result processing can raise on odd stored values."""
    return select(*(type_coerce(col, NullType()).label(col.name) for col in table.c))


def _checked(item: Any) -> Any:
    if isinstance(item, MalformedRow):
        where = f" ({item.stream}#{item.seq})" if item.seq is not None else ""
        raise EvidenceError(
            f"evidence store is damaged: {item.describe()}{where}",
            hint="run `regulens evidence verify` to see every problem",
        )
    return item


_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def _existing_and_head() -> Any:
    """The record of a run id (which=0) and the head of a stream (which=1), one statement."""
    t = models.records
    cols = [type_coerce(col, NullType()).label(col.name) for col in t.c]
    by_run: Any = select(literal_column("0").label("which"), *cols).where(
        t.c.run_id == bindparam("run_id")
    )
    head: Any = (
        select(literal_column("1").label("which"), *cols)
        .where(t.c.stream == bindparam("stream"))
        .order_by(t.c.seq.desc())
        .limit(1)
    )
    return union_all(by_run, head.subquery().select())


_EXISTING_AND_HEAD = _existing_and_head()
_INSERT_RECORD = models.records.insert().values(
    {name: bindparam(name) for name in _RECORD_COLUMNS[1:]}
)


class EvidenceStore:
    """An open evidence store (SQLite or PostgreSQL); use `open_store`."""

    def __init__(self, engine: Engine, label: str) -> None:
        self._engine = engine
        self.label = label
        self.dialect = engine.dialect.name
        # PostgreSQL through psycopg 3: appends run on the driver's cursor (`_execute`)
        self._on_psycopg = self.dialect == "postgresql" and engine.dialect.driver == "psycopg"
        self._stored_keys: set[str] = set()  # public keys known committed (skip re-inserting)
        # the append's statements compiled for the driver, with the values they bind themselves
        self._sql: dict[int, tuple[str, dict[str, Any]]] = {}

    def close(self) -> None:
        """Release every connection."""
        self._engine.dispose()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self, *, write: bool, explicit_begin: bool = False) -> Iterator[Connection]:
        """A transaction, committed at the end; `explicit_begin`: the caller sends BEGIN
        itself (a PostgreSQL connection in autocommit mode until then, restored after)."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{_WRITE: write})
                if explicit_begin:
                    conn.execution_options(isolation_level="AUTOCOMMIT")
                with conn.begin():
                    yield conn
        except EvidenceError:
            raise
        except SQLAlchemyError as exc:
            raise EvidenceError(
                f"evidence store {self.label}: {_reason(exc)}",
                hint="check --evidence (or REGULENS_EVIDENCE) and that the store is writable",
            ) from exc

    # -- migrations ---------------------------------------------------------

    def revision(self) -> str | None:
        """Return the schema revision of the store (None: not created yet)."""
        try:
            with self._engine.connect() as conn:
                conn.execution_options(**{_WRITE: False})
                with conn.begin():
                    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError) as exc:
            if "alembic_version" in str(exc):
                return None
            raise EvidenceError(f"evidence store {self.label}: {_reason(exc)}") from exc
        except SQLAlchemyError as exc:
            raise EvidenceError(f"evidence store {self.label}: {_reason(exc)}") from exc

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (no-op when already there)."""
        if self.revision() == HEAD_REVISION:
            return
        # Alembic is imported only when there is something to migrate.
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", _migrations_dir())
        with self._tx(write=True) as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key("\x00schema")}
                )
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        log.info("evidence store %s migrated to %s", self.label, HEAD_REVISION)

    # -- writing --------------------------------------------------------------

    def append(
        self,
        stream: str,
        run_id: str,
        command_name: str,
        recorded_at: str,
        payload: bytes,
        *,
        signer: Signer | None = None,
        blobs: Sequence[Blob] = (),
        guard: AppendGuard | None = None,
    ) -> StoredRecord:
        """Append one record (and its blobs) at the head of `stream`; idempotent on run id.

        A stream whose head is signed takes only signed records. `guard` sees the
        stream's records of one command inside the append's transaction (under the
        stream lock) and raises to refuse the append.
        """
        if not stream or len(stream) > 200:
            raise EvidenceError(f"invalid stream name {stream!r}")
        for attempt in range(1, APPEND_ATTEMPTS + 1):
            try:
                with self._tx(write=True, explicit_begin=self._on_psycopg) as conn:
                    stored = self._append(
                        conn,
                        stream,
                        run_id,
                        command_name,
                        recorded_at,
                        payload,
                        signer,
                        blobs,
                        guard,
                    )
                if signer is not None:  # committed: later appends need not insert it again
                    self._stored_keys.add(signer.key_id)
                return stored
            except EvidenceError as exc:
                cause = exc.__cause__
                # A concurrent append of the same run id may have won the race (SQLite
                # writers are serialised, so this is the PostgreSQL unique-violation path).
                if isinstance(cause, IntegrityError):
                    existing = self.get(run_id)
                    if existing is not None:
                        return self._same(existing, stream, payload)
                # A lost connection leaves the commit ambiguous: retrying with the same
                # run id either finds the record that did commit or appends it once.
                lost = isinstance(cause, DBAPIError) and cause.connection_invalidated
                if not lost or attempt == APPEND_ATTEMPTS:
                    raise
                log.warning("evidence store connection lost; retrying append of %s", run_id)
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def _append(
        self,
        conn: Connection,
        stream: str,
        run_id: str,
        command_name: str,
        recorded_at: str,
        payload: bytes,
        signer: Signer | None,
        blobs: Sequence[Blob],
        guard: AppendGuard | None = None,
    ) -> StoredRecord:
        t = models.records
        new_key = signer is not None and signer.key_id not in self._stored_keys
        lock_first = self._on_psycopg and not blobs and not new_key
        if self._on_psycopg:
            # The connection is in autocommit mode until this BEGIN (see `append`); with
            # nothing to insert before the stream lock, the lock goes in the same round trip.
            lock = f"; SELECT pg_advisory_xact_lock({_lock_key(stream)})" if lock_first else ""
            self._on_driver(conn, "BEGIN" + lock)
        # Content-addressed rows first, before the stream lock, in one statement and in digest
        # order: they are the same whichever append wins, so they need no serialising, and a
        # transaction holding the stream lock never waits on another's uncommitted blob.
        self._insert_blobs(conn, blobs)
        if signer is not None and new_key:
            self._insert_ignore(
                conn,
                models.public_keys,
                {"key_id": signer.key_id, "public_pem": public_pem(signer.public)},
            )
        if self.dialect == "postgresql" and not lock_first:
            self._execute(conn, _LOCK, {"k": _lock_key(stream)})
        # Under the lock: the record of this run id (the idempotency key) and the stream's
        # head, in one round trip (READ COMMITTED: this statement's snapshot is taken after
        # the lock was granted, so it sees every append that committed before).
        found = self._execute(conn, _EXISTING_AND_HEAD, {"run_id": run_id, "stream": stream})
        existing = next((r for r in found if r.which == 0), None)
        if existing is not None:
            return self._same(_checked(_decode_record(existing)), stream, payload)
        head_row = next((r for r in found if r.which == 1), None)
        head = _checked(_decode_record(head_row)) if head_row is not None else None
        if head is not None and head.key_id is not None and signer is None:
            raise ConfigError(
                f"stream {stream!r} holds signed records (key {head.key_id[:16]}...); an "
                "unsigned record would fail its key-checked verification",
                hint="pass --signing-key (or REGULENS_SIGNING_KEY), or record into another stream",
            )
        if guard is not None:
            guard.check(
                [
                    _checked(_decode_record(r))
                    for r in conn.execute(
                        _raw(t)
                        .where(t.c.stream == stream, t.c.command == guard.command)
                        .order_by(t.c.seq)
                    )
                ],
                head,
            )
        seq = 1 if head is None else head.seq + 1
        prev = GENESIS if head is None else head.record_hash
        digest = record_hash(stream, seq, prev, payload)
        kid = signer.key_id if signer is not None else None
        signature = signer.sign(RECORD_SIG_TAG, digest) if signer is not None else None
        row = {
            "stream": stream,
            "seq": seq,
            "run_id": run_id,
            "command": command_name,
            "recorded_at": recorded_at,
            "payload": payload,
            "prev_hash": prev,
            "record_hash": digest,
            "key_id": kid,
            "signature": signature,
        }
        self._execute(conn, _INSERT_RECORD, row)
        return StoredRecord(**row)  # type: ignore[arg-type]

    def _execute(self, conn: Connection, statement: Any, params: dict[str, Any]) -> Sequence[Any]:
        """Execute one of the append's statements; return its rows (none for an insert).

        On PostgreSQL (psycopg) the statement, compiled once, goes to the driver's cursor:
        the work SQLAlchemy does for each execution was a fifth of an append's client CPU
        (570 -> 452 us), and 16 writers on two cores are bound by CPU. A driver error is
        wrapped as SQLAlchemy wraps it (a lost connection invalidated first), so the retry
        and error paths of `append` are the same on both.
        """
        if not self._on_psycopg:
            result = conn.execute(statement, params)
            return result.all() if result.returns_rows else ()
        compiled = self._sql.get(id(statement))
        if compiled is None:
            done = statement.compile(dialect=self._engine.dialect)
            compiled = self._sql[id(statement)] = (str(done), dict(done.params))
        sql, bound = compiled
        return self._on_driver(conn, sql, {**bound, **params})

    def _on_driver(
        self, conn: Connection, sql: str, params: dict[str, Any] | None = None
    ) -> Sequence[Any]:
        """Execute SQL on psycopg's cursor (without parameters it may hold several
        statements), its errors wrapped as SQLAlchemy wraps them."""
        from psycopg.rows import namedtuple_row

        dialect = self._engine.dialect
        driver = conn.connection.dbapi_connection
        try:
            with driver.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description is not None else ()
        except dialect.loaded_dbapi.Error as exc:
            lost = dialect.is_disconnect(exc, driver, None)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                dialect=dialect,
            ) from exc  # fmt: skip

    def _same(self, existing: StoredRecord, stream: str, payload: bytes) -> StoredRecord:
        if existing.stream != stream or existing.payload != payload:
            raise EvidenceError(
                f"run id {existing.run_id} is already recorded with different content",
                hint="each run needs its own run id",
            )
        return existing

    def _insert_ignore(self, conn: Connection, table: Any, values: dict[str, Any]) -> None:
        # Each dialect's insert is imported on first use: importing the PostgreSQL dialect
        # costs a SQLite gate a tenth of a second (create_engine loads only its own).
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            conn.execute(postgresql.insert(table).values(**values).on_conflict_do_nothing())
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            conn.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
        else:
            key = next(iter(table.primary_key.columns))
            found = conn.execute(select(key).where(key == values[key.name])).first()
            if found is None:
                conn.execute(table.insert().values(**values))

    def _insert_blobs(self, conn: Connection, blobs: Sequence[Blob]) -> None:
        """Insert the blobs not yet stored (one statement; digest order avoids deadlocks)."""
        first: dict[str, Blob] = {}
        for blob in blobs:  # the first of equal contents names the kind, as before
            first.setdefault(blob.digest, blob)
        unique = sorted(first.values(), key=lambda b: b.digest)
        if not unique:
            return
        values = [{"digest": b.digest, "kind": b.kind, "data": b.data} for b in unique]
        if self.dialect == "postgresql":
            from sqlalchemy.dialects import postgresql

            conn.execute(postgresql.insert(models.blobs).values(values).on_conflict_do_nothing())
        elif self.dialect == "sqlite":
            from sqlalchemy.dialects import sqlite

            for start in range(0, len(values), 200):  # SQLite limits bound parameters
                chunk = values[start : start + 200]
                conn.execute(sqlite.insert(models.blobs).values(chunk).on_conflict_do_nothing())
        else:
            for value in values:
                self._insert_ignore(conn, models.blobs, value)

    def add_checkpoint(self, checkpoint: StoredCheckpoint, signer: Signer) -> None:
        """Store a signed checkpoint (and its public key)."""
        with self._tx(write=True) as conn:
            self._insert_ignore(
                conn,
                models.public_keys,
                {"key_id": signer.key_id, "public_pem": public_pem(signer.public)},
            )
            conn.execute(
                models.checkpoints.insert().values(
                    stream=checkpoint.stream,
                    size=checkpoint.size,
                    head_hash=checkpoint.head_hash,
                    created_at=checkpoint.created_at,
                    key_id=checkpoint.key_id,
                    signature=checkpoint.signature,
                )
            )

    # -- reading --------------------------------------------------------------

    def streams(self) -> list[str]:
        """Return the names of every stream with at least one record, sorted."""
        t = models.records
        with self._tx(write=False) as conn:
            rows = conn.execute(select(type_coerce(t.c.stream, NullType())).distinct()).all()
        return sorted({_label(r[0]) for r in rows})

    def signing_key_ids(self) -> set[str]:
        """Return the key ids that records anywhere in the store claim to be signed by."""
        t = models.records
        query = select(type_coerce(t.c.key_id, NullType())).where(t.c.key_id.is_not(None))
        with self._tx(write=False) as conn:
            rows = conn.execute(query.distinct()).all()
        values: list[object] = [r[0] for r in rows]
        return {v for v in values if isinstance(v, str)}

    def count(self, stream: str | None = None) -> int:
        """Return how many record rows the store holds (in one stream, or in all)."""
        t = models.records
        query = select(func.count()).select_from(t)
        if stream is not None:
            query = query.where(t.c.stream == stream)
        with self._tx(write=False) as conn:
            return int(conn.execute(query).scalar_one())

    def rows(
        self,
        stream: str | None = None,
        *,
        since: str | None = None,
        until: str | None = None,
        first: int | None = None,
        last_seq: int | None = None,
        batch: int = 500,
    ) -> Iterator[StoredRecord | MalformedRow]:
        """Yield every row ordered by (stream, seq) in batches; malformed rows are yielded too.

        Batches continue after the last row's raw (stream, seq); a NULL there ends the
        scan early, which `verify` notices by comparing with `count`.
        """
        t = models.records
        last: tuple[Any, Any] | None = None
        while True:
            query = _raw(t).order_by(t.c.stream, t.c.seq).limit(batch)
            if stream is not None:
                query = query.where(t.c.stream == stream)
            if first is not None:
                query = query.where(t.c.seq >= first)
            if last_seq is not None:
                query = query.where(t.c.seq <= last_seq)
            if since is not None:
                query = query.where(t.c.recorded_at >= since)
            if until is not None:
                query = query.where(t.c.recorded_at < until)
            # Continue where the batch ended, as a range the (stream, seq) index answers (an OR
            # of comparisons made SQLite scan the stream from its start for every batch).
            if last is not None and stream is not None:
                query = query.where(t.c.seq > last[1])
            elif last is not None:
                query = query.where(tuple_(t.c.stream, t.c.seq) > tuple_(*last))
            with self._tx(write=False) as conn:
                raw = conn.execute(query).all()
            yield from (_decode_record(r) for r in raw)
            if len(raw) < batch:
                return
            last = (raw[-1].stream, raw[-1].seq)

    def records(
        self,
        stream: str | None = None,
        *,
        since: str | None = None,
        until: str | None = None,
        first: int | None = None,
        last_seq: int | None = None,
        batch: int = 500,
    ) -> Iterator[StoredRecord]:
        """Yield well-formed records ordered by (stream, seq); a malformed row is EvidenceError."""
        for item in self.rows(
            stream, since=since, until=until, first=first, last_seq=last_seq, batch=batch
        ):
            yield _checked(item)

    def get(self, run_id: str) -> StoredRecord | None:
        """Return the record of one run, or None."""
        t = models.records
        with self._tx(write=False) as conn:
            row = conn.execute(_raw(t).where(t.c.run_id == run_id)).first()
        return _checked(_decode_record(row)) if row is not None else None

    def blob_rows(self, digests: Sequence[str]) -> dict[str, Blob | MalformedRow]:
        """Return the stored blobs among `digests` (absent ones are left out), unchecked."""
        t = models.blobs
        out: dict[str, Blob | MalformedRow] = {}
        with self._tx(write=False) as conn:
            for start in range(0, len(digests), 500):
                chunk = list(digests[start : start + 500])
                for row in conn.execute(_raw(t).where(t.c.digest.in_(chunk))):
                    if isinstance(row.digest, str):
                        out[row.digest] = _decode_blob(row)
        return out

    def blob(self, digest: str) -> Blob | None:
        """Return stored content by digest, or None; a malformed row is EvidenceError."""
        found = self.blob_rows([digest]).get(digest)
        return _checked(found) if found is not None else None

    def checkpoint_rows(self, stream: str | None = None) -> list[StoredCheckpoint | MalformedRow]:
        """Return stored checkpoints, oldest first; malformed rows included, unchecked."""
        t = models.checkpoints
        query = _raw(t).order_by(t.c.id)
        if stream is not None:
            query = query.where(t.c.stream == stream)
        with self._tx(write=False) as conn:
            rows = conn.execute(query).all()
        return [_decode_checkpoint(r) for r in rows]

    def checkpoints(self, stream: str | None = None) -> list[StoredCheckpoint]:
        """Return stored checkpoints, oldest first; a malformed row is EvidenceError."""
        return [_checked(cp) for cp in self.checkpoint_rows(stream)]

    def public_keys(self) -> dict[str, bytes]:
        """Return every public key that signed something here, by key id."""
        t = models.public_keys
        with self._tx(write=False) as conn:
            rows = conn.execute(_raw(t).order_by(t.c.key_id)).all()
        out: dict[str, bytes] = {}
        for r in rows:
            c = _Columns(r)
            kid, pem = c.text("key_id"), c.binary("public_pem")
            if c.problem is not None:
                where = _label(r.key_id)
                _checked(MalformedRow("evidence_public_keys", where, "", None, c.problem))
            out[kid] = pem
        return out


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _migrations_dir() -> str:
    return str(Path(str(resources.files("regulens.evidence") / "migrations")))


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so pysqlite must not start transactions.
        dbapi_conn.isolation_level = None
        # TEXT that is not UTF-8 must reach the row decoder (and be reported there), not make
        # the fetch itself fail.
        dbapi_conn.text_factory = _lenient_text
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except Exception as exc:  # noqa: BLE001 - a read-only file keeps its journal mode
            log.info("cannot switch the store to WAL: %s", exc)
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def open_store(url: str, *, create: bool = True) -> EvidenceStore:
    """Open (migrating as needed) the store at a SQLAlchemy URL.

    With `create=False` a SQLite file that does not exist is an error instead
    of a new empty store (commands that only read use this).
    """
    parsed = normalise_url(url)
    label = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            if not create and not Path(database).expanduser().exists():
                raise EvidenceError(
                    f"evidence store {label}: no such file",
                    hint="check --evidence (or REGULENS_EVIDENCE)",
                )
            directory = Path(database).expanduser().parent
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise EvidenceError(
                    f"evidence store {label}: cannot create {directory}: {exc.strerror}"
                ) from exc
    try:
        if backend == "sqlite":
            engine = create_engine(parsed)
            _sqlite_setup(engine)
        elif backend == "postgresql":
            engine = create_engine(
                parsed, pool_size=2, max_overflow=2, connect_args={"connect_timeout": 10}
            )
        else:
            raise EvidenceError(
                f"evidence store {label}: unsupported database {backend!r}",
                hint="use sqlite:///PATH or postgresql://USER@HOST/DB",
            )
    except (ArgumentError, ImportError) as exc:
        raise EvidenceError(f"evidence store {label}: {exc}") from exc
    store = EvidenceStore(engine, label)
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store
