"""Canonical JSON (RFC 8785) and the digests built on it."""

from __future__ import annotations

import hashlib
import re
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


# Number tokens RFC 8785 may write differently from orjson: a fraction or exponent (floats),
# or 16+ digits (beyond 2^53 - 1, refused). In compact JSON a number inside an object or
# array is preceded by `:`, `[` or `,` and followed by `,`, `]` or `}`; a match inside a
# string only sends the check down the slow path.
_NUMBER_RISK = re.compile(
    rb"[:\[,]-?[0-9]+(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)[,\]}]"
    rb"|[:\[,]-?[0-9]{16,}[,\]}]"
)


def is_canonical(value: Any, data: bytes) -> bool:
    """True when `data` is exactly the RFC 8785 canonical JSON of `value` (parsed from it).

    Fast path: a JSON object without `\\u` escapes, floats, long integers or characters
    beyond the Basic Multilingual Plane, on which orjson's sorted compact output and RFC 8785
    agree byte for byte: keys of BMP characters sort the same by UTF-16 code unit (RFC 8785)
    as by code point (orjson), which only characters above U+FFFF (4-byte UTF-8, lead byte
    0xF0-0xF4) would break; both write other characters as UTF-8 and escape only `"`, `\\`
    and control characters, the latter excluded here except the short forms both use.
    Anything else is decided by the RFC 8785 serialiser itself, raising as `canonical_json`
    does.
    """
    fast = data[:1] == b"{" and b"\\u" not in data and (data.isascii() or max(data) < 0xF0)
    if fast and _NUMBER_RISK.search(data) is None:
        try:
            if orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == data:
                return True
        except TypeError:  # not plain JSON (orjson.JSONEncodeError): the slow path decides
            pass
    return canonical_json(value) == data
