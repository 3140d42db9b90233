"""The one strict JSON reader for user files: duplicate keys, NaN and bad text are errors.

`json.loads` and orjson keep the last of two equal keys, so `{"a": 1, "a": 2}`
would silently mean `a: 2` here and maybe `a: 1` in another tool. Every JSON
input (manifests, metrics, catalogs, drills, snapshots) is read here; a
duplicate key is an error at the second key's `line:col`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from regulens.documents.text import INT_MAX, INT_MIN, check_text
from regulens.errors import DocumentError, Problem

MAX_JSON_DEPTH = 254  # orjson's limit, which serialises everything read
_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB]", re.ASCII)  # a high surrogate escape
# tokens of the duplicate-key locator: strings, structure, and everything else in between
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s"{}\[\]:,]+', re.DOTALL)


class _DuplicateKey(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _int(text: str) -> int:
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"integer {text} is out of range (at most 64 bits)")
    return value


def loads_json(text: str, file: str) -> Any:
    """Parse JSON text strictly, or raise `DocumentError` with `file:line:col`."""
    text = check_text(text, file, yaml=False)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int)
    except _DuplicateKey as exc:
        line, col = _duplicate_position(text, exc.args[0])
        raise DocumentError(
            [Problem(file, line, col, "", f"duplicate key {exc.args[0]!r}: the JSON is ambiguous")]
        ) from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            [Problem(file, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]
        ) from None
    except RecursionError:
        raise DocumentError(
            [Problem(file, None, None, "", "invalid JSON: nested too deeply")]
        ) from None
    except ValueError as exc:  # NaN, Infinity, a huge integer
        raise DocumentError([Problem(file, None, None, "", f"invalid JSON: {exc}")]) from None
    if _LONE_SURROGATE.search(text):
        # json accepts an unpaired surrogate escape that no UTF-8 output can hold; orjson does not
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise DocumentError(
                [Problem(file, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]
            ) from None
    try:
        orjson.dumps(data)  # what every later step does with it
    except orjson.JSONEncodeError:
        message = f"invalid JSON: nested deeper than {MAX_JSON_DEPTH} levels"
        raise DocumentError([Problem(file, None, None, "", message)]) from None
    return data


def _duplicate_position(text: str, key: str) -> tuple[int | None, int | None]:
    """Return where the second occurrence of `key` in one object starts (the text is valid JSON)."""
    stack: list[set[str] | None] = []  # a set of keys per open object, None per array
    expect_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "{":
            stack.append(set())
            expect_key = True
        elif tok == "[":
            stack.append(None)
            expect_key = False
        elif tok in ("}", "]"):
            stack.pop()
            expect_key = False
        elif tok == ",":
            expect_key = bool(stack) and stack[-1] is not None
        elif tok == ":":
            expect_key = False
        elif expect_key and tok.startswith('"'):
            keys = stack[-1]
            name = json.loads(tok)
            if keys is not None:
                if name in keys and name == key:
                    i = m.start()
                    return text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
                keys.add(name)
            expect_key = False
    return None, None
