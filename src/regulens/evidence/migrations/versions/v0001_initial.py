"""Initial evidence schema: records, blobs, checkpoints, public keys.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "evidence_records",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("command", sa.String(32), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary, nullable=False),
        sa.Column("record_hash", sa.LargeBinary, nullable=False),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.Column("signature", sa.LargeBinary, nullable=True),
        sa.UniqueConstraint("stream", "seq", name="uq_evidence_records_stream_seq"),
        sa.UniqueConstraint("run_id", name="uq_evidence_records_run_id"),
    )
    op.create_table(
        "evidence_blobs",
        sa.Column("digest", sa.String(80), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "evidence_checkpoints",
        sa.Column("id", _BigId, primary_key=True, autoincrement=True),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("head_hash", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "evidence_public_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("public_pem", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    for name in (
        "evidence_public_keys",
        "evidence_checkpoints",
        "evidence_blobs",
        "evidence_records",
    ):
        op.drop_table(name)
