"""Shared pieces of the fuzz tests: bounded settings, the typed-error oracle, hostile inputs.

Inputs are generated two ways: as structured documents (a tree of mappings kept as
lists of pairs, so duplicate and non-string keys can be written) rendered to YAML or
JSON text, and as byte-level mutations of real example files. The oracle is the same
everywhere: an input either loads, or ends in a `RegulensError` with a message and an
exit code from the documented set; any other exception, or a run past the time
bound, is a finding.
"""

from __future__ import annotations

import json
import math
import signal
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from regulens.errors import ExitCode, RegulensError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
T = TypeVar("T")

# Exit codes an input error may carry: 0 and 1 are decisions, never an input error.
INPUT_ERROR_CODES = frozenset({ExitCode.INCOMPLETE, ExitCode.USAGE})
# Exit codes of the CLI: the documented table (an internal error is a finding, not in it).
DOCUMENTED_EXIT_CODES = frozenset(int(c) for c in ExitCode)
# A single example running longer than this is a hang: generous, so load never trips it.
HANG_SECONDS = 20.0


def fuzz_settings(examples: int) -> settings:
    """Deterministic, database-less, bounded: the same examples on every machine and in CI."""
    return settings(
        max_examples=examples,
        deadline=None,  # a per-example deadline flakes on a loaded machine; hangs are bounded below
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
        ],
    )


class Hang(AssertionError):
    """An example ran longer than `HANG_SECONDS`."""


@contextmanager
def bounded(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail the example (instead of blocking the suite) when it runs longer than `seconds`."""

    def _alarm(signum: int, frame: object) -> None:
        raise Hang(f"no result after {seconds:g}s: a hang")

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def raw_controls(text: str) -> list[str]:
    """The raw control characters (other than newline and tab) in `text`, as escapes."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf") and c != "\u200d"
    ]


def typed(
    call: Callable[[], T], codes: frozenset[ExitCode] = INPUT_ERROR_CODES
) -> T | RegulensError:
    """Run `call`: return its value or the `RegulensError` it raised (with a message and code).

    Any other exception propagates (the finding), and so does a hang.
    """
    try:
        with bounded():
            return call()
    except RegulensError as exc:
        assert exc.exit_code in codes, f"exit code {exc.exit_code!r} for an input error: {exc}"
        assert exc.render().strip(), f"{type(exc).__name__} without a message"
        return exc


# -- structured documents -----------------------------------------------------------


@dataclass(frozen=True)
class Pairs:
    """A mapping as written: keys in order, duplicates and non-string keys allowed."""

    items: tuple[tuple[Any, Any], ...]


def as_tree(value: Any) -> Any:
    """Turn parsed JSON/YAML data into the tree the renderers and mutators work on."""
    if isinstance(value, dict):
        return Pairs(tuple((k, as_tree(v)) for k, v in value.items()))
    if isinstance(value, list):
        return [as_tree(v) for v in value]
    return value


HOSTILE_STRINGS = [
    "", " ", "no", "yes", "on", "off", "y", "0755", "02:00", "1_000", "0b101", "~", "null",
    "true", "1e999", "-.inf", ".nan", "0x1F", "0o17", "*alias", "&anchor", "!!python/object",
    "<<", "{{cell}}", "${VAR}", "a\x00b", "\x00", "\ufeff", "\ufeffkind", "a\u200bb", "\u202e",
    "\x1b[2J\x1b[Hdecision: ALLOW", "line\nbreak", "tab\there", "\r", "\x85", "\u2028",
    "kind", "apiVersion", "metadata", "items", "List", "Secret", "---", "...", "- a", "a: b",
    "#", "'", '"', "\\", "%YAML 1.1", "é", "\U0001f600", "\ud7ff", "a" * 300,
    "2026-11-30T00:00:00Z", "2099-01-01T00:00:00Z", "CRITICAL", "SchemaVersion",
]  # fmt: skip
HUGE_NUMBERS = [
    10**400, -(10**400), 2**63, 2**63 - 1, -(2**63) - 1, 2**64, 0, -1, 1.5e308, 5e-324,
]  # fmt: skip

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8", categories=("Cc", "Cf", "Zl", "Zp", "Zs")), max_size=4),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_NUMBERS),
    st.floats(),
    hostile_text,
)
int64_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([n for n in HUGE_NUMBERS if not isinstance(n, int) or -(2**63) <= n < 2**63]),
    st.floats(),
    hostile_text,
)


def trees(max_leaves: int = 12, *, representable: bool = False) -> st.SearchStrategy[Any]:
    """Hostile document trees: mappings with hostile (and duplicate) keys, lists, scalars.

    `representable` keeps to what a Kubernetes (JSON) object can hold: string keys and
    64-bit integers (the manifest loader rejects the rest with a located error).
    """
    keys = (
        hostile_text
        if representable
        else st.one_of(hostile_text, hostile_text, st.integers(), st.booleans(), st.none())
    )
    leaves = int64_scalars if representable else scalars

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=4),
            st.lists(st.tuples(keys, children), max_size=4).map(lambda kv: Pairs(tuple(kv))),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` levels deep (lists or mappings), rendered without recursion."""

    depth: int
    kind: str  # "list" or "map"

    def text(self) -> str:
        """The same text in JSON and YAML flow style."""
        if self.kind == "list":
            return "[" * self.depth + '"x"' + "]" * self.depth
        return '{"k": ' * self.depth + '"x"' + "}" * self.depth


def deep(depth: int, kind: str) -> Deep:
    """A value nested `depth` levels deep (lists or mappings)."""
    return Deep(depth, kind)


# -- rendering ----------------------------------------------------------------------


def _json_scalar(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # json.dumps refuses nothing here, but be explicit about huge ints
    return json.dumps(value)


def to_json(node: Any) -> str:
    """Render a tree as JSON text (duplicate keys kept; non-string keys written as strings)."""
    if isinstance(node, Deep):
        return node.text()
    if isinstance(node, Pairs):
        inner = ", ".join(
            f"{json.dumps(k if isinstance(k, str) else json.dumps(k))}: {to_json(v)}"
            for k, v in node.items
        )
        return "{" + inner + "}"
    if isinstance(node, list):
        return "[" + ", ".join(to_json(v) for v in node) + "]"
    return _json_scalar(node)


def _yaml_scalar(value: Any, plain: bool) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if plain:
        return str(value)  # hostile on purpose: may not be a valid plain scalar
    return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(node: Any, *, plain: bool = False, block: bool = True, indent: int = 0) -> str:
    """Render a tree as YAML: block mappings at the top, flow collections inside."""
    pad = " " * indent
    if isinstance(node, Deep):
        return pad + node.text()
    if block and isinstance(node, Pairs) and node.items:
        lines = []
        for k, v in node.items:
            key = to_yaml(k, plain=plain, block=False)
            if isinstance(v, Pairs) and v.items:
                lines.append(f"{pad}{key}:\n{to_yaml(v, plain=plain, indent=indent + 2)}")
            else:
                lines.append(f"{pad}{key}: {to_yaml(v, plain=plain, block=False)}")
        return "\n".join(lines)
    if isinstance(node, Pairs):
        inner = ", ".join(
            f"{to_yaml(k, plain=plain, block=False)}: {to_yaml(v, plain=plain, block=False)}"
            for k, v in node.items
        )
        return pad + "{" + inner + "}"
    if isinstance(node, list):
        return pad + "[" + ", ".join(to_yaml(v, plain=plain, block=False) for v in node) + "]"
    return pad + _yaml_scalar(node, plain)


# -- mutations ----------------------------------------------------------------------

HOSTILE_BYTES = [
    b"\x00", b"\x01", b"\x07", b"\x1b", b"\x7f", b"\x80", b"\xff", b"\xfe", b"\xef\xbb\xbf",
    b"\xc3", b"\xed\xa0\x80", b"\r", b"\n", b"\t", b" ", b"---\n", b"...\n", b"\n---\n",
    b"&a ", b"*a", b"!!binary ", b"? ", b"- ", b": ", b"{", b"}", b"[", b"]", b",", b'"', b"'",
    b"#", b"%", b"@", b"`", b"|", b">", b"\\", b"\\u0000", b"1e999", b"99999999999999999999",
]  # fmt: skip


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes, max_ops: int = 4) -> bytes:
    """`data` after 1..max_ops byte-level edits: flip, insert, delete, duplicate, truncate."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "insert", "insert", "delete", "dup", "truncate"]))
        at = draw(st.integers(0, len(out)))
        if op == "flip" and at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            blob = draw(
                st.one_of(st.sampled_from(HOSTILE_BYTES), st.binary(min_size=1, max_size=4))
            )
            out[at:at] = blob
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 16))]
        elif op == "dup":
            piece = out[at : at + draw(st.integers(1, 64))]
            out[at:at] = piece
        elif op == "truncate":
            del out[at:]
    return bytes(out)


def _children(node: Any) -> list[Any]:
    if isinstance(node, Pairs):
        return [v for _, v in node.items]
    if isinstance(node, list):
        return list(node)
    return []


def _replace_child(node: Any, index: int, child: Any) -> Any:
    if isinstance(node, Pairs):
        items = list(node.items)
        items[index] = (items[index][0], child)
        return Pairs(tuple(items))
    out = list(node)
    out[index] = child
    return out


def _retype(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    return value


@st.composite
def mutated_tree(
    draw: st.DrawFn, node: Any, max_ops: int = 3, *, representable: bool = False
) -> Any:
    """`node` after 1..max_ops structural edits at random places in the tree."""
    for _ in range(draw(st.integers(1, max_ops))):
        node = draw(_mutate_once(node, representable))
    return node


@st.composite
def _mutate_once(draw: st.DrawFn, node: Any, representable: bool) -> Any:
    children = _children(node)
    if children and draw(st.integers(0, 3)) > 0:  # descend 3 times in 4
        i = draw(st.integers(0, len(children) - 1))
        return _replace_child(node, i, draw(_mutate_once(children[i], representable)))
    ops = ["replace", "retype", "wrap", "deepen", "null"]
    if isinstance(node, Pairs):
        ops += ["delete", "add", "duplicate", "duplicate", "rename"]
    if isinstance(node, list):
        ops += ["delete", "add", "duplicate"]
    op = draw(st.sampled_from(ops))
    if op == "replace":
        return draw(trees(6, representable=representable))
    if op == "retype":
        return _retype(node)
    if op == "wrap":
        return [node]
    if op == "deepen":
        return deep(draw(st.integers(30, 120)), draw(st.sampled_from(["list", "map"])))
    if op == "null":
        return None
    items = list(node.items) if isinstance(node, Pairs) else list(node)
    if op == "delete" and items:
        del items[draw(st.integers(0, len(items) - 1))]
    elif op == "add":
        key = draw(hostile_text if representable else scalars)
        value = draw(trees(4, representable=representable))
        extra = (key, value) if isinstance(node, Pairs) else value
        items.insert(draw(st.integers(0, len(items))), extra)
    elif op == "rename" and items:
        # a misspelt or hostile field name: a required field goes missing, an unknown appears
        i = draw(st.integers(0, len(items) - 1))
        key = items[i][0]
        typo = f"{key[:-1]}_" if isinstance(key, str) and key else "_"
        items[i] = (draw(st.one_of(st.just(typo), hostile_text)), items[i][1])
    elif op == "duplicate" and items:
        i = draw(st.integers(0, len(items) - 1))
        if isinstance(node, Pairs):
            # the same key again, with another value: the classic "last one wins"
            items.append((items[i][0], draw(trees(4, representable=representable))))
        else:
            items.append(items[i])
    return Pairs(tuple(items)) if isinstance(node, Pairs) else items


@st.composite
def with_entry(draw: st.DrawFn, node: Any, key: Any, value: Any) -> Any:
    """`node` with `(key, value)` added to one of its mappings (chosen at random)."""
    children = _children(node)
    holders = [i for i, c in enumerate(children) if _has_mapping(c)]
    if holders and (not isinstance(node, Pairs) or draw(st.integers(0, 2)) > 0):
        i = draw(st.sampled_from(holders))
        return _replace_child(node, i, draw(with_entry(children[i], key, value)))
    assert isinstance(node, Pairs)
    return Pairs((*node.items, (key, value)))


def _has_mapping(node: Any) -> bool:
    return isinstance(node, Pairs) or any(_has_mapping(c) for c in _children(node))


@st.composite
def rendered(
    draw: st.DrawFn, tree: Any, *, json_only: bool = False, representable: bool = False
) -> bytes:
    """A tree rendered as JSON or YAML text (sometimes with plain, unquoted strings).

    `representable` quotes every string: plain `{{x}}` or `1` would read as a non-string key.
    """
    if json_only or draw(st.booleans()):
        return to_json(tree).encode("utf-8", "surrogatepass")
    plain = not representable and draw(st.booleans())
    block = draw(st.booleans())
    return to_yaml(tree, plain=plain, block=block).encode("utf-8", "surrogatepass")


def write(path: Path, data: bytes) -> str:
    """Write `data` to `path` and return it as a string (the loaders take file names)."""
    path.write_bytes(data)
    return str(path)
