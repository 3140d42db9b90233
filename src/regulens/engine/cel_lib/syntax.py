"""A CEL tokenizer and the source rewrites the Rust runtime needs from us.

The `cel` package parses and evaluates, but gives no syntax tree and no cost
hook, and its parser rejects the optional-selection syntax. The token stream
is enough to do four things honestly:

* name every function and method call (for the load-time "unknown function"
  check, with its line and column);
* rewrite `x.?f` and `x[?k]` into calls of a library function, so optional
  selection works with cel-go's meaning;
* wrap the body of every comprehension macro (`all`, `exists`, `exists_one`,
  `map`, `filter`) in a call that charges one unit of the cost budget per
  iteration, so evaluation cost is bounded;
* rename the method `.matches(` so that it reaches a function of ours, which
  compiles each pattern once (the runtime compiles it on every call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MACROS = frozenset({"all", "exists", "exists_one", "existsOne", "map", "filter"})
TICK = "__regulens_tick"
TICK_KEEP = "__regulens_tick_keep"
TICK_VALUE = "__regulens_tick_value"
OPT_GET = "__regulens_opt_get"


class CelSyntaxError(ValueError):
    """The expression is not CEL, or uses syntax this runtime does not support."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, number, string, punct
    text: str
    line: int
    col: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<string>(?:[rR][bB]?|[bB][rR]?)?(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
        |'(?:\\.|[^\\'\n])*'|"(?:\\.|[^\\"\n])*"))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>==|!=|<=|>=|&&|\|\||[-+*/%!<>?:,.()\[\]{}])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(source: str) -> list[Token]:
    """Split CEL source into tokens (comments and whitespace dropped)."""
    out: list[Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise CelSyntaxError(
                f"unexpected character {source[pos]!r} at {line}:{pos - line_start + 1}"
            )
        kind = m.lastgroup or "space"
        text = m.group(0)
        if kind != "space":
            out.append(Token(kind, text, line, pos - line_start + 1))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = pos + text.rindex("\n") + 1
        pos = m.end()
    return out


_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def _matching(tokens: list[str], i: int) -> int:
    """Index of the bracket closing the one opened at `i`."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j] in _OPEN:
            depth += 1
        elif tokens[j] in _CLOSE:
            depth -= 1
            if depth == 0:
                return j
    raise CelSyntaxError("unbalanced brackets")


def _opening(tokens: list[str], j: int) -> int:
    depth = 0
    for i in range(j, -1, -1):
        if tokens[i] in _CLOSE:
            depth += 1
        elif tokens[i] in _OPEN:
            depth -= 1
            if depth == 0:
                return i
    raise CelSyntaxError("unbalanced brackets")


def _operand_start(tokens: list[str], end: int) -> int:
    """Index where the member/call/index chain ending at `end` starts."""
    i = end
    while True:
        tok = tokens[i]
        if tok in _CLOSE:
            j = _opening(tokens, i)
            before = tokens[j - 1] if j > 0 else ""
            if tok == ")" and before and _is_word(before):
                i = j - 1  # a call: continue with the function name
                continue
            if tok != ")" and before and (before in _CLOSE or _is_word(before)):
                i = j - 1  # indexing or a message literal: continue with what is indexed
                continue
            start = j
        else:
            start = i
        if start >= 2 and tokens[start - 1] == ".":
            i = start - 2
            continue
        return start


_KEYWORDS = frozenset({"true", "false", "null", "in"})


def _is_word(tok: str) -> bool:
    return (tok[0].isalpha() or tok[0] == "_") and tok not in _KEYWORDS


def rewrite_optionals(tokens: list[str]) -> list[str]:
    """Turn `x.?f` into `OPT_GET(x, "f")` and `x[?k]` into `OPT_GET(x, k)`."""
    out = list(tokens)
    i = 0
    while i < len(out) - 1:
        if out[i] == "." and out[i + 1] == "?":
            if i + 2 >= len(out) or not _is_word(out[i + 2]) or i == 0:
                raise CelSyntaxError("'.?' must be followed by a field name")
            start = _operand_start(out, i - 1)
            field = out[i + 2]
            out[start : i + 3] = [OPT_GET, "(", *out[start:i], ",", f'"{field}"', ")"]
            i = start
            continue
        if out[i] == "[" and out[i + 1] == "?":
            if i == 0 or not (
                out[i - 1] in _CLOSE or _is_word(out[i - 1]) or out[i - 1][0] in "'\""
            ):
                raise CelSyntaxError(
                    "optional list elements ('[?x]') are not supported; "
                    "use x.hasValue() ? [x.value()] : []"
                )
            close = _matching(out, i)
            start = _operand_start(out, i - 1)
            out[start : close + 1] = [OPT_GET, "(", *out[start:i], ",", *out[i + 2 : close], ")"]
            i = start
            continue
        if out[i] in ("{", ",") and out[i + 1] == "?":
            raise CelSyntaxError(
                "optional map or message entries ('{?k: v}') are not supported; "
                "build the map with a conditional instead"
            )
        i += 1
    return out


def _top_level_commas(tokens: list[str], open_idx: int, close_idx: int) -> list[int]:
    commas, depth = [], 0
    for j in range(open_idx + 1, close_idx):
        if tokens[j] in _OPEN:
            depth += 1
        elif tokens[j] in _CLOSE:
            depth -= 1
        elif tokens[j] == "," and depth == 0:
            commas.append(j)
    return commas


def _pairs(tokens: list[str]) -> dict[int, int]:
    """Map each opening bracket's index to its closing bracket's index."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for j, tok in enumerate(tokens):
        if tok in _OPEN:
            stack.append(j)
        elif tok in _CLOSE:
            if not stack:
                raise CelSyntaxError("unbalanced brackets")
            pairs[stack.pop()] = j
    if stack:
        raise CelSyntaxError("unbalanced brackets")
    return pairs


#: Native operations whose work grows with the size of their operands.
SIZED_OPS = frozenset({"+", "==", "!=", "<", "<=", ">", ">=", "in"})
SIZED_CALLS = frozenset({"matches", "contains", "startsWith", "endsWith", "string", "size"})


@dataclass(frozen=True, slots=True)
class Site:
    """One comprehension call: what its iterations are charged by."""

    weight: int  # size-dependent native operations in the body (nested bodies excluded)
    paths: frozenset[tuple[str, ...]]  # `object.a.b` / `container.x` the body reads
    enclosing: tuple[int, ...]  # this site and the sites it is nested in, innermost first


def _external_paths(tokens: list[str], start: int, end: int) -> set[tuple[str, ...]]:
    """The field paths below `object` / `container` that tokens[start:end] read."""
    paths: set[tuple[str, ...]] = set()
    for j in range(start, end):
        if tokens[j] not in ("object", "container") or (j > 0 and tokens[j - 1] == "."):
            continue
        path = [tokens[j]]
        k = j + 1
        while k + 1 < end and tokens[k] == "." and _is_word(tokens[k + 1]):
            path.append(tokens[k + 1])
            k += 2
        if k < end and tokens[k] == "(" and len(path) > 1:
            path.pop()  # a method call reads the value before it
        paths.add(tuple(path))
    return paths


def instrument_macros(
    tokens: list[str], sized_elements: bool = True
) -> tuple[list[str], set[str], list[Site]]:
    """Charge every comprehension iteration to the cost budget.

    Returns the rewritten tokens, the bound variables and one `Site` per
    comprehension call (its index is the `site` argument of its ticks):

    * `all`, `exists`, `exists_one`: the body `b` becomes `TICK(site, x) ? (b) : false`;
    * `filter(x, p)`: `p` becomes `TICK_KEEP(site, x) ? (p) : false`;
    * `map(x, t)`: `t` becomes `TICK_VALUE(site, x, (t))`; in `map(x, p, t)`
      `p` is charged like an `all` body and `t` like a two-argument `map`.

    `x` is the element (`null` when no body does size-dependent work, so it is
    not converted for nothing). `filter` and `map` are charged for their
    growing result too, because the runtime copies it on every iteration. A
    tick raises once the budget is spent, which ends every comprehension it
    is in; the caller then reports the evaluation as an error even where
    `||` or `&&` absorbed the error. The parentheses are needed: the middle
    of a conditional is not a full expression in CEL's grammar.
    """
    pairs = _pairs(tokens)
    macros: list[tuple[str, str, list[int], int]] = []  # (macro, variable, commas, close)
    bound: set[str] = set()
    for i in range(1, len(tokens) - 1):
        if tokens[i - 1] != "." or tokens[i] not in MACROS or tokens[i + 1] != "(":
            continue
        close = pairs[i + 1]
        commas = _top_level_commas(tokens, i + 1, close)
        if len(commas) not in (1, 2) or commas[0] != i + 3:
            continue  # not a macro call; the runtime reports the bad form
        bound.add(tokens[i + 2])
        macros.append((tokens[i], tokens[i + 2], commas, close))
    spans = [(commas[0] + 1, close) for _, _, commas, close in macros]
    sites: list[Site] = []
    for site, (start, close) in enumerate(spans):
        inner = [(s, c) for s, c in spans if start < s and c < close]
        weight = 0
        for j in range(start, close):
            if any(s <= j < c for s, c in inner):
                continue
            tok = tokens[j]
            if tok in SIZED_OPS or (tok in SIZED_CALLS and tokens[j + 1] == "("):
                weight += 1
        outer = sorted(
            (k for k, (s, c) in enumerate(spans) if s < start and close < c),
            key=lambda k: spans[k][0],
            reverse=True,
        )
        sites.append(Site(weight, frozenset(_external_paths(tokens, start, close)), (site, *outer)))
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    for site, (macro, var, commas, close) in enumerate(macros):
        start = commas[0] + 1
        element = var if sized_elements else "null"
        if macro == "map":
            if len(commas) == 2:
                before.setdefault(start, []).extend(
                    [TICK, "(", str(site), ",", element, ")", "?", "("]
                )
                after.setdefault(commas[1], []).extend([")", ":", "false"])
            value_start = commas[1] + 1 if len(commas) == 2 else start
            before.setdefault(value_start, []).extend(
                [TICK_VALUE, "(", str(site), ",", element, ",", "("]
            )
            after.setdefault(close, []).extend([")", ")"])
            continue
        name = TICK_KEEP if macro == "filter" else TICK
        # a filter keeps its element: the element is needed for the result's size
        kept = var if macro == "filter" else element
        before.setdefault(start, []).extend([name, "(", str(site), ",", kept, ")", "?", "("])
        after.setdefault(close, []).extend([")", ":", "false"])
    out: list[str] = []
    for j, tok in enumerate(tokens):
        out.extend(after.get(j, []))
        out.extend(before.get(j, []))
        out.append(tok)
    return out, bound, sites


def rename_matches(tokens: list[str], name: str) -> list[str]:
    """Turn every method call `x.matches(p)` into `x.NAME(p)` (a string literal is one token)."""
    out = list(tokens)
    for i in range(1, len(out) - 1):
        if out[i] == "matches" and out[i - 1] == "." and out[i + 1] == "(":
            out[i] = name
    return out


@dataclass(frozen=True, slots=True)
class Call:
    name: str  # "f" (global), "ns.f" (namespaced) or "f" as a method
    method: bool
    line: int
    col: int
    qualified: str | None = None  # `ns.f` when the receiver is a bare name (maybe a namespace)


def calls(tokens: list[Token], namespaced: frozenset[str]) -> list[Call]:
    """Every function and method call in the source, with its position.

    `ns.f(...)` with a bare `ns` is a namespaced function when `ns.f` is one
    of `namespaced`, else a method `f` on the variable `ns`.
    """
    out = []
    for i, tok in enumerate(tokens[:-1]):
        if tok.kind != "ident" or tokens[i + 1].text != "(" or tok.text in _KEYWORDS:
            continue
        if i == 0 or tokens[i - 1].text != ".":
            out.append(Call(tok.text, False, tok.line, tok.col))
            continue
        ns = tokens[i - 2] if i >= 2 else None
        bare = ns is not None and ns.kind == "ident" and (i < 3 or tokens[i - 3].text != ".")
        qualified = f"{ns.text}.{tok.text}" if bare and ns is not None else None
        if ns is not None and qualified in namespaced:
            out.append(Call(qualified, False, ns.line, ns.col))
        else:
            out.append(Call(tok.text, True, tok.line, tok.col, qualified))
    return out
