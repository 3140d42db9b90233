"""`s.matches(re)` with each pattern compiled once: the runtime compiles it on every call.

The Rust runtime's native `matches` builds a Rust `regex` per call, which is
most of the cost of a rule like "the image is pinned" (80 µs of 85). Method
calls `.matches(` are renamed to `MATCHES` at compile time (see
`rename_matches`), and land here. A pattern is answered here only when it is
in a small subset of the syntax on which RE2 (`google-re2`, already the
engine of `find`) and Rust's `regex` agree: literals, `.`, `^`, `$`, `|`,
groups, bracket classes of literals and ranges, and quantifiers (counted ones
small). Everything else (`\\d`, `\\w`, `\\b` and other letter escapes, whose
Unicode meaning differs, flags, named groups, class set operations, long or
heavy patterns, a non-string argument) returns None: the caller then runs
the expression again with the native `matches`, so the result, the error and
its message stay the runtime's own.
"""

from __future__ import annotations

import functools
from typing import Any

MATCHES = "__regulens_matches"
MAX_PATTERN = 256  # characters; longer patterns go to the native runtime
MAX_REPEATS = 1000  # sum of the counts of `{n,m}`: bounds the compiled size in both engines
CACHE_SIZE = 256  # compiled patterns kept
# what both engines read as itself after a backslash: Rust's meta characters (older Rust
# `regex` versions refuse other escaped punctuation; letters and digits are classes,
# assertions or back-references, `<` and `>` word boundaries in newer ones)
_ESCAPABLE = frozenset("\\.+*?()|[]{}^$#&-~")
_QUANTIFIERS = frozenset("*+?")


def fast_matches(text: Any, pattern: Any) -> bool | None:
    """Return whether `pattern` matches somewhere in `text`, or None: ask the native runtime."""
    if type(text) is not str or type(pattern) is not str:
        return None
    regex = _compiled(pattern)
    if regex is None:
        return None
    try:
        return regex.search(text) is not None
    except UnicodeError:  # a lone surrogate: not UTF-8, the runtime says what it says
        return None


@functools.lru_cache(maxsize=CACHE_SIZE)
def _compiled(pattern: str) -> Any:
    """The RE2 program of a pattern in the shared subset, else None."""
    if not in_shared_subset(pattern):
        return None
    from regulens.engine.cel_lib.kubernetes import _re2

    re2, options = _re2()
    try:
        return re2.compile(pattern, options)
    except re2.error:  # an invalid pattern: the runtime's own error message
        return None


def in_shared_subset(pattern: str) -> bool:
    """Whether RE2 and Rust's `regex` read `pattern` alike (see the module docstring)."""
    if len(pattern) > MAX_PATTERN:
        return False
    i = depth = repeats = 0
    quantifiable = False  # the previous item is an atom a quantifier may follow
    while i < len(pattern):
        if pattern[i] in _QUANTIFIERS or pattern[i] == "{":
            if not quantifiable:  # `*a`, `^*`, `(*`, and no quantifier of a quantifier
                return False
            i, count = _quantifier(pattern, i)
            repeats += count
            if i < 0 or repeats > MAX_REPEATS:
                return False
            quantifiable = False
            continue
        i, nesting, quantifiable = _item(pattern, i)
        depth += nesting
        if i < 0 or depth < 0:
            return False
    return depth == 0


def _quantifier(pattern: str, i: int) -> tuple[int, int]:
    """`*`, `+`, `?` or `{n,m}` at `i`, maybe lazy: the index after it and its count (-1: no)."""
    count = 0
    if pattern[i] == "{":
        end, count = _counted(pattern, i)
        if end < 0:
            return -1, 0
        i = end + 1
    else:
        i += 1
    if i < len(pattern) and pattern[i] == "?":  # lazy: the same match or not
        i += 1
    return i, count


def _item(pattern: str, i: int) -> tuple[int, int, bool]:
    """One non-quantifier at `i`: the index after it (-1: outside), depth change, quantifiable."""
    c = pattern[i]
    if ord(c) < 0x20 or c == "\x7f" or c in "]}":
        return -1, 0, False
    if c == "\\":
        if i + 1 >= len(pattern) or pattern[i + 1] not in _ESCAPABLE:
            return -1, 0, False
        return i + 2, 0, True
    if c == "[":
        end = _class_end(pattern, i)
        return (-1 if end < 0 else end + 1), 0, True
    if c == "(":
        if not pattern.startswith("?", i + 1):
            return i + 1, 1, False
        # only `(?:`: no flags, no named groups
        return (i + 3 if pattern.startswith("?:", i + 1) else -1), 1, False
    if c == ")":
        return i + 1, -1, True
    if c in "|^$":
        return i + 1, 0, False
    return i + 1, 0, True  # `.` or a literal character


def _counted(pattern: str, start: int) -> tuple[int, int]:
    """For `{n}`, `{n,}` or `{n,m}` at `start`: the index of `}` and the largest count."""
    end = pattern.find("}", start)
    if end < 0:
        return -1, 0
    body = pattern[start + 1 : end]
    low, comma, high = body.partition(",")
    if not low.isascii() or not low.isdigit() or len(low) > 4:
        return -1, 0
    if comma and high and (not high.isascii() or not high.isdigit() or len(high) > 4):
        return -1, 0
    top = int(high) if high else int(low)
    if comma and high and int(high) < int(low):
        return -1, 0
    # `{n,}` compiles n copies and a star: n is what it costs
    return end, top


def _class_end(pattern: str, start: int) -> int:
    """The index of the `]` closing a plain class at `start`, or -1 when it is not plain.

    Plain: an optional `^`, then literal characters, escaped punctuation and
    ranges `a-z` between them, `-` only first, last or in a range; no `[`
    (nested classes and `[:alpha:]`), no `&` or `~` (Rust set operations).
    """
    n = len(pattern)
    i = start + 1
    if i < n and pattern[i] == "^":
        i += 1
    first = i
    previous_is_item = False  # the last thing read may start a range
    while i < n:
        c = pattern[i]
        if ord(c) < 0x20 or c == "\x7f" or c in "[&~":
            return -1
        if c == "]":
            return i if i > first else -1  # `[]a]`, `[]`: read differently; not plain
        if c == "-":
            at_edge = i == first or pattern.startswith("]", i + 1)
            if at_edge:
                i += 1
                previous_is_item = False
                continue
            if not previous_is_item:
                return -1
            low = pattern[i - 1]  # the character of the item just read, escaped or not
            high_end, high = _class_item(pattern, i + 1)
            if high_end < 0 or high == "-" or high < low:
                return -1
            i = high_end
            previous_is_item = False  # `a-c-e` is read differently
            continue
        end, _char = _class_item(pattern, i)
        if end < 0:
            return -1
        i = end
        previous_is_item = True
    return -1


def _class_item(pattern: str, i: int) -> tuple[int, str]:
    """One literal of a class at `i`: the index after it and the character, or (-1, "")."""
    if i >= len(pattern):
        return -1, ""
    c = pattern[i]
    if c == "\\":
        if i + 1 >= len(pattern) or pattern[i + 1] not in _ESCAPABLE:
            return -1, ""
        return i + 2, pattern[i + 1]
    if ord(c) < 0x20 or c == "\x7f" or c in "[]&~":
        return -1, ""
    return i + 1, c


__all__ = ["MATCHES", "fast_matches", "in_shared_subset"]
