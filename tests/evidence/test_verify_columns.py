"""No column content can crash the verifier: every column of every table, mutated by hypothesis.

A store of real signed gate runs (with its input blobs, a signed checkpoint and
its public key) is copied into tables without constraints (what an attacker with
write access can do), then one cell at a time gets NULL, a number, text, bytes, a
truncated or bit-flipped copy of itself, or its own bytes as TEXT. The verifier
must return a verdict, never raise; a change to anything verification depends on
must not be OK; a record's bad column is reported at that record's seq.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regulens.evidence import open_store
from regulens.evidence.keys import load_trusted
from regulens.evidence.verify import Status, overall, verify_store
from tests.reports.month import STREAM, fill_month, run_cli
from tests.support.postgres import PostgresServer

TABLES: dict[str, tuple[str, ...]] = {
    "evidence_records": (
        "id", "stream", "seq", "run_id", "command", "recorded_at", "payload", "prev_hash",
        "record_hash", "key_id", "signature",
    ),
    "evidence_blobs": ("digest", "kind", "data"),
    "evidence_checkpoints": (
        "id", "stream", "size", "head_hash", "created_at", "key_id", "signature",
    ),
    "evidence_public_keys": ("key_id", "public_pem"),
}  # fmt: skip
# What verification does not depend on: row ids (order comes from stream/seq), a blob's
# kind label, and the store's copy of public keys (trust comes from --public-key).
UNCHECKED = {
    ("evidence_records", "id"),
    ("evidence_blobs", "kind"),
    ("evidence_checkpoints", "id"),
    ("evidence_public_keys", "key_id"),
    ("evidence_public_keys", "public_pem"),
}
# A record whose own content is wrong is reported at its own seq.
AT_ITS_SEQ = {"payload", "prev_hash", "record_hash", "run_id", "command", "recorded_at",
              "key_id", "signature"}  # fmt: skip
CELLS = [(table, column) for table, columns in TABLES.items() for column in columns]


@dataclass(frozen=True)
class Base:
    db: Path
    public_key: Path


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    from tests.conftest import EXAMPLES

    work = tmp_path_factory.mktemp("columns")
    month = fill_month(EXAMPLES, work / "filled", days=1)
    url = month.url
    args = ("evidence", "checkpoint", "--evidence", url, "--signing-key", str(month.key))
    assert run_cli(*args, "-o", str(work / "heads.jsonl")) == 0
    db = Path(url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(db)
    try:
        with conn:
            for table in TABLES:  # the same rows in tables that accept anything
                conn.execute(f"CREATE TABLE loose AS SELECT * FROM {table}")
                conn.execute(f"DROP TABLE {table}")
                conn.execute(f"ALTER TABLE loose RENAME TO {table}")
        # Everything into the main file: the examples copy only that file.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return Base(db, month.public_key)


def _verify(url: str, public_key: Path, *, every_signature: bool = False) -> list[Any]:
    with open_store(url, create=False) as store:
        return verify_store(
            store, trusted=load_trusted([str(public_key)]), every_signature=every_signature
        )


def test_the_loosened_store_still_verifies(base: Base, tmp_path: Path) -> None:
    target = tmp_path / "e.db"
    shutil.copyfile(base.db, target)
    reports = _verify(f"sqlite:///{target}", base.public_key)
    assert overall(reports) is Status.OK
    assert [r.records for r in reports] == [2]


def _mutated(original: object, draw: st.DrawFn) -> tuple[str, object]:
    """('value', v) to store v, or ('as_text', None) to store the cell's bytes as TEXT."""
    kind = draw(st.sampled_from(["null", "int", "float", "text", "bytes", "truncate", "flip",
                                 "as_text"]))  # fmt: skip
    if kind == "null":
        return "value", None
    if kind == "int":
        return "value", draw(st.integers(-(2**63), 2**63 - 1))
    if kind == "float":
        return "value", draw(st.floats(allow_nan=False))
    if kind == "text":
        return "value", draw(st.text(max_size=40))
    if kind == "bytes":
        return "value", draw(st.binary(max_size=40))
    if kind == "as_text":
        return "as_text", None
    if isinstance(original, bytes | str) and original:
        if kind == "truncate":
            return "value", original[: draw(st.integers(0, len(original) - 1))]
        data = bytearray(original.encode() if isinstance(original, str) else original)
        bit = draw(st.integers(0, len(data) * 8 - 1))
        data[bit // 8] ^= 1 << (bit % 8)
        flipped = bytes(data)
        return "value", flipped.decode("utf-8", "replace") if isinstance(original, str) else flipped
    return "value", draw(st.integers(-5, 5))


@pytest.mark.parametrize(("table", "column"), CELLS)
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_no_cell_content_crashes_the_verifier(
    base: Base, tmp_path: Path, table: str, column: str, data: st.DataObject
) -> None:
    # A fresh name per example: a WAL file left by the previous example must not apply.
    target = Path(tempfile.mkdtemp(dir=tmp_path)) / "e.db"
    shutil.copyfile(base.db, target)
    with closing(sqlite3.connect(target)) as conn, conn:
        conn.text_factory = bytes  # compare raw cells, even TEXT that is not UTF-8
        rowids = [r[0] for r in conn.execute(f"SELECT rowid FROM {table} ORDER BY rowid")]
        rowid = data.draw(st.sampled_from(rowids))
        before = conn.execute(
            f"SELECT {column}, typeof({column}) FROM {table} WHERE rowid = ?", (rowid,)
        ).fetchone()
        seq = None
        if table == "evidence_records":
            (seq,) = conn.execute(f"SELECT seq FROM {table} WHERE rowid = ?", (rowid,)).fetchone()
        how, value = _mutated(before[0], data.draw)
        if how == "as_text":
            conn.execute(f"UPDATE {table} SET {column} = CAST({column} AS TEXT) WHERE rowid = ?",
                         (rowid,))  # fmt: skip
        else:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", (value, rowid))
        after = conn.execute(
            f"SELECT {column}, typeof({column}) FROM {table} WHERE rowid = ?", (rowid,)
        ).fetchone()
    url = f"sqlite:///{target}"
    # must not raise, whatever the cell holds
    reports = _verify(url, base.public_key, every_signature=True)
    status = overall(reports)
    code = run_cli("evidence", "verify", "--evidence", url, "--public-key", str(base.public_key),
                   "--every-signature")  # fmt: skip
    assert code == (0 if status is Status.OK else 2)
    anchored = overall(_verify(url, base.public_key))
    if after == before or (table, column) in UNCHECKED:
        return
    assert status is not Status.OK, (table, column, before, after)
    # By default the checkpoint authenticates the records it covers (all of them here), so
    # only the one column their hashes do not cover, other bytes as a signature, verifies.
    if (table, column) == ("evidence_records", "signature") and after[1] == b"blob":
        assert anchored is Status.OK
    else:
        assert anchored is not Status.OK, (table, column, before, after)
    if table == "evidence_records" and column in AT_ITS_SEQ:
        (report,) = [r for r in reports if r.stream == STREAM]
        assert report.seq == seq, (column, before, after, report)


@pytest.mark.postgres
def test_postgresql_columns_of_the_wrong_type_or_null_are_corrupt(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLES

    name = postgres_server.create_database()
    month = fill_month(EXAMPLES, tmp_path / "pg", url=postgres_server.url(name), days=1)
    with postgres_server.admin() as admin:
        admin.execute(f"CREATE DATABASE {name}_b TEMPLATE {name}")  # type: ignore[arg-type]
    import psycopg

    def alter(database: str, *statements: str) -> None:
        with psycopg.connect(
            host=postgres_server.socket_dir, port=postgres_server.port, user="postgres",
            dbname=database, autocommit=True,
        ) as conn:  # fmt: skip
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    # The payload column turned into text (bytes shown as escapes): CORRUPT at seq 1.
    alter(name, "ALTER TABLE evidence_records ALTER COLUMN payload TYPE text"
                " USING encode(payload, 'escape')")  # fmt: skip
    (report,) = _verify(postgres_server.url(name), month.public_key)
    assert (report.status, report.seq) == (Status.CORRUPT, 1)
    assert "column payload holds str" in report.message
    # A NULL where the schema promised a value: CORRUPT at that seq.
    alter(
        f"{name}_b",
        "ALTER TABLE evidence_records ALTER COLUMN recorded_at DROP NOT NULL",
        "UPDATE evidence_records SET recorded_at = NULL WHERE seq = 2",
    )
    (report,) = _verify(postgres_server.url(f"{name}_b"), month.public_key)
    assert (report.status, report.seq) == (Status.CORRUPT, 2)
    assert "column recorded_at holds NULL" in report.message


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE evidence_records SET payload = CAST(payload AS TEXT) WHERE seq = 2",
        "UPDATE evidence_records SET recorded_at = NULL WHERE seq = 1",
        "UPDATE evidence_records SET seq = 'two' WHERE seq = 2",
        "UPDATE evidence_blobs SET data = CAST(data AS TEXT)",
        "UPDATE evidence_checkpoints SET size = NULL",
    ],
)
def test_reports_over_a_damaged_store_are_refused_and_never_crash(
    base: Base, tmp_path: Path, damage: str
) -> None:
    target = tmp_path / "e.db"
    shutil.copyfile(base.db, target)
    with closing(sqlite3.connect(target)) as conn, conn:
        conn.execute(damage)
    url = f"sqlite:///{target}"
    out = tmp_path / "r.json"
    args = ("report", "--evidence", url, "--period", "2026-11", "--format", "json", "-o", str(out))
    assert run_cli(*args, "--public-key", str(base.public_key)) == 2
    assert not out.exists()
    assert run_cli(*args, "--allow-unverified") == 0
    assert orjson.loads(out.read_bytes())["evidence"]["state"] == "failed"
    review = tmp_path / "review.json"
    code = run_cli("review", "--evidence", url, "--month", "2026-11", "--format", "json",
                   "--allow-unverified", "-o", str(review))  # fmt: skip
    assert code == 0
