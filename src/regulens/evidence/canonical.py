"""Canonical JSON (RFC 8785) and the digests built on it."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import rfc8785


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON bytes of `value` (the bytes that get hashed)."""
    # orjson first turns tuples, enums and datetimes into plain JSON values.
    return bytes(rfc8785.dumps(orjson.loads(orjson.dumps(value))))


def sha256_hex(data: bytes) -> str:
    """Return the lower-case hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def digest_of(value: Any) -> str:
    """Return `sha256:<hex>` of the canonical JSON of `value`."""
    return f"sha256:{sha256_hex(canonical_json(value))}"
