"""Canonical JSON (RFC 8785) and the digests built on it."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
import re2
import rfc8785


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON bytes of `value` (the bytes that get hashed).

    orjson's sorted compact bytes are the answer when RFC 8785 would write the same
    (`_written_alike`); otherwise the RFC 8785 serialiser writes them (and raises on what it
    refuses). orjson first turns tuples, enums and datetimes into plain JSON values.
    """
    try:
        data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER)
    except TypeError:  # an integer beyond 53 bits, or not plain JSON: the serialiser decides
        data = b""
    if _written_alike(data):
        return data
    return bytes(rfc8785.dumps(orjson.loads(orjson.dumps(value))))


def sha256_hex(data: bytes) -> str:
    """Return the lower-case hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def digest_of(value: Any) -> str:
    """Return `sha256:<hex>` of the canonical JSON of `value`."""
    return f"sha256:{sha256_hex(canonical_json(value))}"


# Number tokens RFC 8785 may write differently from orjson: a fraction or exponent (floats),
# or 16+ digits (beyond 2^53 - 1, refused). In compact JSON a number inside an object or
# array is preceded by `:`, `[` or `,` and followed by `,`, `]` or `}`; a match inside a
# string only sends the check down the slow path. RE2 scans a 15 KB statement in about a
# tenth of the time `re` takes (its per-position attempts were a quarter of verify's CPU).
NUMBER_RISK = (
    rb"[:\[,]-?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)[,\]}]"
    rb"|[:\[,]-?[0-9]{16,}[,\]}]"
)
_NUMBER_RISK = re2.compile(NUMBER_RISK)


def _written_alike(data: bytes) -> bool:
    """Whether RFC 8785 writes these orjson sorted compact bytes' value byte for byte alike.

    So it does for a JSON object without `\\u` escapes, floats, long integers or characters
    beyond the Basic Multilingual Plane: keys of BMP characters sort the same by UTF-16 code
    unit (RFC 8785) as by code point (orjson), which only characters above U+FFFF (4-byte
    UTF-8, lead byte 0xF0-0xF4) would break; both write other characters as UTF-8 and escape
    only `"`, `\\` and control characters, the latter excluded here except the short forms
    both use.
    """
    return (
        data[:1] == b"{"
        and b"\\u" not in data
        and (data.isascii() or max(data) < 0xF0)
        and _NUMBER_RISK.search(data) is None
    )


def is_canonical(value: Any, data: bytes) -> bool:
    """True when `data` is exactly the RFC 8785 canonical JSON of `value` (parsed from it).

    Fast path: bytes RFC 8785 and orjson write alike (`_written_alike`) and that orjson
    writes for `value`. Anything else is decided by the RFC 8785 serialiser itself, raising
    as `canonical_json` does.
    """
    if _written_alike(data):
        try:
            if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data:
                return True
        except TypeError:  # not plain JSON (orjson.JSONEncodeError): the slow path decides
            pass
    return canonical_json(value) == data
