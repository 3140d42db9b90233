"""Secret hygiene: replace secret values by digests before an object enters a snapshot.

Every source applies `redact()` to every object it reads, so Secret values
and the `last-applied-configuration` annotation (which repeats whole objects,
Secrets included) are never stored, printed, logged or hashed into evidence.
A digest still shows whether a value changed between two snapshots.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SECRET_FIELDS = ("data", "stringData")
PREFIX = "sha256:"


def digest_of(value: bytes) -> str:
    """Return `sha256:<hex>` of a value."""
    return PREFIX + hashlib.sha256(value).hexdigest()


def _digest_text(value: Any) -> str:
    if isinstance(value, str) and value.startswith(PREFIX) and len(value) == len(PREFIX) + 64:
        return value  # already redacted (a replayed or re-read snapshot)
    return digest_of(str(value).encode("utf-8"))


def _digest_base64(value: Any) -> str:
    if isinstance(value, str) and value.startswith(PREFIX) and len(value) == len(PREFIX) + 64:
        return value
    # `data` is base64; hash the decoded bytes so data and stringData of one value agree
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raw = str(value).encode("utf-8")
    return digest_of(raw)


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """Redact one parsed object in place and return it."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations[LAST_APPLIED] = _digest_text(annotations[LAST_APPLIED])
    if obj.get("kind") == "Secret":
        for field in SECRET_FIELDS:
            values = obj.get(field)
            if isinstance(values, dict):
                hasher = _digest_base64 if field == "data" else _digest_text
                obj[field] = {k: hasher(v) for k, v in values.items()}
            elif values is not None:
                obj[field] = _digest_text(values)
    return obj
