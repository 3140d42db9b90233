"""The evidence tables. Payloads and hashes are stored as exact bytes, never as JSON columns."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata = MetaData()

_BigId = BigInteger().with_variant(Integer(), "sqlite")

records = Table(
    "evidence_records",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("stream", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("run_id", String(128), nullable=False),
    Column("command", String(32), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("prev_hash", LargeBinary, nullable=False),
    Column("record_hash", LargeBinary, nullable=False),
    Column("key_id", String(64), nullable=True),
    Column("signature", LargeBinary, nullable=True),
    UniqueConstraint("stream", "seq", name="uq_evidence_records_stream_seq"),
    UniqueConstraint("run_id", name="uq_evidence_records_run_id"),
)

blobs = Table(
    "evidence_blobs",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

checkpoints = Table(
    "evidence_checkpoints",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("stream", String(200), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("head_hash", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", LargeBinary, nullable=False),
)

public_keys = Table(
    "evidence_public_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("public_pem", LargeBinary, nullable=False),
)
