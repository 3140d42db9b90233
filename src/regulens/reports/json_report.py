"""The JSON output contract (other tools and our own reports read it)."""

from __future__ import annotations

import dataclasses

import orjson

from regulens.engine.outcome import Outcome

_EMPTY_RESULTS = b'\n  "results": []'


def render_json(outcome: Outcome) -> bytes:
    """Render the outcome as indented JSON with a trailing newline.

    Results are serialised one at a time into the document's frame, byte for
    byte what dumping the whole `to_json()` gives, without holding a dict per
    result of a 50k-object run at once.
    """
    frame = orjson.dumps(
        dataclasses.replace(outcome, results=[]).to_json(), option=orjson.OPT_INDENT_2
    )
    if not outcome.results:
        return frame + b"\n"
    at = frame.index(_EMPTY_RESULTS) + len(_EMPTY_RESULTS) - 1
    chunks = [frame[:at], b"\n"]
    last = len(outcome.results) - 1
    for i, result in enumerate(outcome.results):
        text = orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2)
        chunks += (b"    ", text.replace(b"\n", b"\n    "), b",\n" if i < last else b"\n  ")
    chunks += (frame[at:], b"\n")
    return b"".join(chunks)
