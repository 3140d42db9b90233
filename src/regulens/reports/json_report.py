"""The JSON output contract (other tools and our own reports read it)."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson

from regulens.engine.outcome import Outcome
from regulens.engine.results import Result


class _Deferred:
    """A result whose JSON form is built only when orjson reaches it (see `render_json`)."""

    __slots__ = ("result",)

    def __init__(self, result: Result) -> None:
        self.result = result


def _deferred(value: Any) -> Any:
    if type(value) is _Deferred:
        return value.result.to_json()
    raise TypeError  # orjson reports the type it cannot serialise


def render_json(outcome: Outcome) -> bytes:
    """Render the outcome as indented JSON with a trailing newline.

    One serialisation of the whole document, byte for byte what dumping
    `to_json()` gives; each result's dict is built by orjson's `default` as it
    reaches the result and dropped once written, so a 50k-object run never
    holds a dict per result (nor a copy of the output) at once.
    """
    doc = dataclasses.replace(outcome, results=[]).to_json()
    doc["results"] = [_Deferred(r) for r in outcome.results]  # the key keeps its place
    options = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE  # no copy to add the newline
    return orjson.dumps(doc, default=_deferred, option=options)
