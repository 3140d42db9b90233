"""Read a findings baseline file strictly (the strict JSON reader, then the typed model)."""

from __future__ import annotations

import hashlib

from regulens.documents import Document, validate_document
from regulens.documents.strict_json import loads_json
from regulens.documents.strict_yaml import load_text
from regulens.documents.text import decode_text
from regulens.engine.baseline import FindingsBaseline
from regulens.errors import DocumentError, Problem

MAX_BYTES = 64 * 1024 * 1024


def read_baseline(path: str) -> tuple[FindingsBaseline, str]:
    """Return the baseline in `path` and `sha256:HEX` of its bytes; problems exit 3."""
    try:
        with open(path, "rb") as fh:  # noqa: PTH123 - a plain read, size-capped
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DocumentError([Problem(path, None, None, "", f"cannot read: {reason}")]) from None
    if len(raw) > MAX_BYTES:
        raise DocumentError([Problem(path, None, None, "", f"larger than {MAX_BYTES} bytes")])
    return parse_baseline(
        decode_text(raw, path, yaml=False), path
    ), f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parse_baseline(text: str, path: str) -> FindingsBaseline:
    """Parse baseline JSON text reported as `path` (strict JSON; errors located per field)."""
    data = loads_json(text, path)
    if not isinstance(data, dict) or data.get("kind") != "FindingsBaseline":
        raise DocumentError([Problem(path, 1, 1, "kind", "expected kind: FindingsBaseline")])
    try:  # JSON is YAML: the strict YAML reader knows where each field is
        doc = load_text(text, path)[0]
    except (DocumentError, IndexError):
        doc = Document(path, 0, data, {}, {})
    return validate_document(
        Document(path, 0, data, doc.locations, {}, doc.key_locations), FindingsBaseline
    )
