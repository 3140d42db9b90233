"""Saving and replaying snapshots: canonical JSON bytes in and out (the caller does the I/O)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from regulens.documents.strict_json import loads_json
from regulens.documents.text import decode_text
from regulens.errors import DocumentError, InputDataError
from regulens.snapshot.kubernetes import KubernetesState, content_digest, resources_to_json
from regulens.snapshot.model import SNAPSHOT_VERSION, Snapshot

_CANONICAL = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
_WHOLE_FROM = 3  # nesting depth from which values are serialised whole (a resource: depth 3)
_BATCH = 256  # items of a list serialised in one call


def dump_snapshot(snap: Snapshot) -> bytes:
    """Return the snapshot as indented JSON with sorted keys (stable bytes for one snapshot)."""
    states = {
        name: state
        for name in Snapshot.model_fields
        if isinstance(state := getattr(snap, name), KubernetesState)
    }
    doc = snap.model_dump(mode="json", by_alias=True, exclude=set(states))
    for name, state in states.items():
        # objects are plain JSON already: skip pydantic's walk over them (5x faster)
        section = state.model_dump(mode="json", exclude={"resources"})
        section["resources"] = resources_to_json(state.resources)
        doc[name] = section
    return orjson.dumps(doc, option=_CANONICAL) + b"\n"


def load_snapshot(data: bytes, name: str) -> Snapshot:
    """Parse a saved snapshot, checking its version and the digest of its Kubernetes section."""
    doc: Any = _canonical_document(data)
    if doc is None:  # not byte for byte as regulens writes it: the strict reader decides
        try:
            doc = loads_json(decode_text(data, name, yaml=False), name)
        except DocumentError as exc:
            raise InputDataError(f"{exc.message} (not a regulens snapshot)") from None
    if not isinstance(doc, dict) or "version" not in doc:
        raise InputDataError(f"{name}: not a regulens snapshot (no version field)")
    if doc["version"] != SNAPSHOT_VERSION:
        raise InputDataError(
            f"{name}: snapshot version {doc['version']!r} is not supported "
            f"(this regulens reads version {SNAPSHOT_VERSION})"
        )
    try:
        snap = Snapshot.model_validate(doc)
    except (ValidationError, ValueError) as exc:
        first = str(exc).splitlines()
        detail = "; ".join(first[:3])
        raise InputDataError(f"{name}: not a valid regulens snapshot: {detail}") from None
    for section in Snapshot.model_fields:
        state = getattr(snap, section)
        if isinstance(state, KubernetesState):
            _refuse_secret_values(state, section, name)
        if isinstance(state, KubernetesState) and state.provenance.digest.startswith("sha256:"):
            actual = content_digest(state.resources, state.gaps)
            if actual != state.provenance.digest:
                raise InputDataError(
                    f"{name}: the {section} section does not match its digest "
                    f"(recorded {state.provenance.digest}, computed {actual})",
                    hint="the file was modified after it was saved; collect a new snapshot",
                )
    return snap


def _canonical_document(data: bytes) -> Any:
    """Parse a snapshot exactly as `dump_snapshot` writes it; None for any other bytes.

    The strict reader (`loads_json`: duplicate keys, NaN, huge integers, lone
    surrogates, depth) costs five times a plain parse at 50k objects. Bytes that
    are exactly the canonical serialisation of what they parse to cannot hold any
    of those: two equal keys would be one key in the serialisation, NaN would be
    `null`, and the rest does not serialise. Anything else (an edited, re-indented
    or broken file) returns None, and the strict reader gives its result or error.
    """
    try:
        doc = json.loads(data)  # not orjson: its parse holds 110 MB more at 50k objects
    except (ValueError, RecursionError):
        return None
    at = 0
    try:
        for piece in _canonical_pieces(doc, 0):
            if not data.startswith(piece, at):
                return None
            at += len(piece)
    except (orjson.JSONEncodeError, RecursionError):
        return None
    return doc if at == len(data) - 1 and data.endswith(b"\n") else None


def _canonical_pieces(value: Any, depth: int) -> Iterator[bytes]:
    """Yield `dump_snapshot`'s bytes of `value` at `depth` in pieces (one per resource)."""
    if depth < _WHOLE_FROM and type(value) in (dict, list) and value:
        pad = b"\n" + b"  " * (depth + 1)
        if type(value) is dict:
            for i, key in enumerate(sorted(value)):  # code point order: orjson's UTF-8 order
                yield (b"," if i else b"{") + pad + orjson.dumps(key) + b": "
                yield from _canonical_pieces(value[key], depth + 1)
            yield b"\n" + b"  " * depth + b"}"
        elif depth + 1 < _WHOLE_FROM:
            for i, item in enumerate(value):
                yield (b"," if i else b"[") + pad
                yield from _canonical_pieces(item, depth + 1)
            yield b"\n" + b"  " * depth + b"]"
        else:  # items serialised whole: a batch of them at a time, without its brackets
            close = b"\n" + b"  " * depth + b"]"
            for start in range(0, len(value), _BATCH):
                batch = orjson.dumps(value[start : start + _BATCH], option=_CANONICAL)
                text = batch.replace(b"\n", b"\n" + b"  " * depth)
                yield (b"," if start else b"[") + text[1 : -len(close)]
            yield close
        return
    text = orjson.dumps(value, option=_CANONICAL)
    # a newline inside a JSON string is escaped: every newline here is indentation
    yield text.replace(b"\n", b"\n" + b"  " * depth) if depth else text


_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _refuse_secret_values(state: KubernetesState, section: str, name: str) -> None:
    """Refuse a snapshot that holds a secret value (an unexpanded List, an unredacted Secret).

    Every source redacts before an object enters a snapshot; a file that still
    holds a value (written by hand, or by a regulens that stored a nested List
    whole) would carry it into the evidence store.
    """
    for r in state.resources:
        if r.kind.endswith("List") and "items" in r.obj:
            what = f"an unexpanded {r.kind} ({r.ref}), whose items are not redacted"
        elif r.kind == "Secret" and not all(
            isinstance(v, str) and _DIGEST.fullmatch(v)
            for field in ("data", "stringData")
            if isinstance(values := r.obj.get(field), Mapping)
            for v in values.values()
        ):
            what = f"a Secret value ({r.ref})"
        else:
            continue
        raise InputDataError(
            f"{name}: the {section} section holds {what}",
            hint="collect a new snapshot: sources store Secret values as sha256 digests only",
        )


__all__ = ["dump_snapshot", "load_snapshot"]
