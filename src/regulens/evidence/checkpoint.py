"""Signed checkpoints: (stream, size, head hash, time), exportable and kept elsewhere."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from regulens.documents.strict_json import loads_json
from regulens.documents.text import decode_text
from regulens.errors import ConfigError, DocumentError
from regulens.evidence.canonical import canonical_json
from regulens.evidence.keys import CHECKPOINT_SIG_TAG, Signer
from regulens.evidence.store import StoredCheckpoint

CHECKPOINT_TYPE = "regulens-evidence-checkpoint/v1"


def signed_message(stream: str, size: int, head_hash: bytes, created_at: str) -> bytes:
    """Return the canonical bytes a checkpoint signature covers."""
    return canonical_json(
        {
            "type": CHECKPOINT_TYPE,
            "stream": stream,
            "size": size,
            "head_hash": head_hash.hex(),
            "created_at": created_at,
        }
    )


def make_checkpoint(
    stream: str, size: int, head_hash: bytes, created_at: str, signer: Signer
) -> StoredCheckpoint:
    """Sign a checkpoint of a stream's head."""
    message = signed_message(stream, size, head_hash, created_at)
    return StoredCheckpoint(
        stream, size, head_hash, created_at, signer.key_id, signer.sign(CHECKPOINT_SIG_TAG, message)
    )


def checkpoint_to_json(cp: StoredCheckpoint) -> dict[str, Any]:
    """Return the exported JSON form of a checkpoint."""
    return {
        "type": CHECKPOINT_TYPE,
        "stream": cp.stream,
        "size": cp.size,
        "head_hash": cp.head_hash.hex(),
        "created_at": cp.created_at,
        "key_id": cp.key_id,
        "signature": base64.b64encode(cp.signature).decode(),
    }


def checkpoint_from_json(data: Any, label: str) -> StoredCheckpoint:
    """Parse an exported checkpoint (structure only; the signature is checked by verify)."""
    try:
        if not isinstance(data, dict) or data.get("type") != CHECKPOINT_TYPE:
            raise ValueError(f"not a {CHECKPOINT_TYPE} document")
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError("size must be a positive integer")
        head = bytes.fromhex(str(data["head_hash"]))
        if len(head) != 32:
            raise ValueError("head_hash must be 32 bytes of hex")
        return StoredCheckpoint(
            stream=str(data["stream"]),
            size=size,
            head_hash=head,
            created_at=str(data["created_at"]),
            key_id=str(data["key_id"]),
            signature=base64.b64decode(str(data["signature"]), validate=True),
        )
    except (KeyError, ValueError, binascii.Error) as exc:
        raise ConfigError(f"{label}: invalid checkpoint: {exc}") from exc


def parse_checkpoint_file(data: bytes, label: str) -> list[StoredCheckpoint]:
    """Parse a checkpoint file: one JSON object, or JSON lines of them (read strictly)."""
    text = decode_text(data, label, yaml=False).strip()
    if text.startswith("{") and "\n" not in text:
        return [checkpoint_from_json(loads_json(text, label), label)]
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = loads_json(line, label)
        except DocumentError as exc:  # name the line of the file, not of the one-line document
            p = exc.problems[0]
            where = f"{label}:{i}" + (f":{p.column}" if p.column is not None else "")
            raise ConfigError(f"{where}: {p.message}") from None
        out.append(checkpoint_from_json(doc, f"{label}:{i}"))
    return out
