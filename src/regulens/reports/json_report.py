"""The JSON output contract (other tools and our own reports read it)."""

from __future__ import annotations

import orjson

from regulens.engine.outcome import Outcome


def render_json(outcome: Outcome) -> bytes:
    """Render the outcome as indented JSON with a trailing newline."""
    return orjson.dumps(outcome.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
