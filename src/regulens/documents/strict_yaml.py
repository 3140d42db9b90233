"""A strict YAML reader for user-written documents.

PyYAML implements YAML 1.1, where `no` is false, `0755` is an octal int and
`02:00` is the integer 120. We read PyYAML's *events* (never its constructor)
and resolve plain scalars with the YAML 1.2 core schema; a plain scalar that
YAML 1.1 would read differently is an error, because another tool reading the
same file would see another value. Anchors, aliases, explicit tags, duplicate
keys and non-string keys are errors too. Every node's position is recorded so
validation errors can name `file:line:col`.

`KUBERNETES` rules read manifests the way kubectl's YAML-to-JSON step
(sigs.k8s.io/yaml over go-yaml v2, a YAML 1.1 reader) does, so regulens judges
the object the API server receives: plain `yes`/`no`/`on`/`off`/`y`/`n` are
booleans, `0644` is the octal integer 420, `1_000` is 1000, merge keys (`<<:
*defaults`) are applied, aliases are expanded (bounded), a scalar key is the
text of its value (`1: a` and `yes: b` are the keys "1" and "true"), and only
a mapping or sequence used as a key is an error. A key set both before a merge
key and by it is an error: go-yaml v2 (kubectl) lets the merge win, go-yaml v3
(kustomize) the explicit key. The manifest reader uses these rules where
yaml-rs (YAML 1.2) cannot say where a problem is or would read a value
differently.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from regulens.documents.text import INT_MAX, INT_MIN, check_text, decode_text, unreadable_reason
from regulens.errors import DocumentError, Problem

try:  # the libyaml parser is much faster; events and marks are identical
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is in the PyYAML wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

PathElem = str | int
Path = tuple[PathElem, ...]

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000
MAX_DOCUMENTS = 1_000

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOL = {
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
    "on", "On", "ON", "off", "Off", "OFF",
}  # fmt: skip
_INT = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
# Forms YAML 1.1 reads as numbers but YAML 1.2 reads as strings (or as another number).
_YAML11_NUMBER = re.compile(
    r"[-+]?0[0-9_]+"  # 0755: octal in 1.1, decimal in 1.2
    r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?"  # 02:00 sexagesimal
    r"|[-+]?[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?"  # 1_000
    r"|[-+]?0b[01_]+"
)


@dataclass(frozen=True, slots=True)
class Rules:
    """What a reader accepts beyond plain YAML 1.2 data, and its size limits."""

    aliases: bool = False  # expand anchors and aliases (else they are errors)
    scalar_keys: bool = False  # a number/boolean/null key is its text (else an error)
    # plain scalars as kubectl reads them (go-yaml v2, YAML 1.1), and merge keys; else YAML 1.2
    # with `no`, `0755`... as errors, because YAML 1.1 tools would read them differently
    kubernetes_scalars: bool = False
    tags: bool = False  # tags are ignored, `!!str` quotes (else explicit tags are errors)
    max_bytes: int = MAX_BYTES
    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH


STRICT = Rules()
KUBERNETES = Rules(
    aliases=True,
    scalar_keys=True,
    kubernetes_scalars=True,
    tags=True,
    max_bytes=64 * 1024 * 1024,
    max_nodes=2_000_000,
    max_depth=128,  # CRD schemas nest deeply; still far inside Python's recursion limit
)
_STR_TAG = "tag:yaml.org,2002:str"
MERGE_KEY = "<<"


@dataclass(frozen=True)
class Document:
    """One parsed YAML document: plain data plus where every node came from."""

    file: str
    index: int
    data: Any
    locations: dict[Path, tuple[int, int]] = field(repr=False)
    # Plain scalars that resolved to a non-string, by path: their source text.
    plain_text: dict[Path, str] = field(repr=False)
    # Where each mapping key itself starts (for "unknown field" errors).
    key_locations: dict[Path, tuple[int, int]] = field(repr=False, default_factory=dict)

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        """Return the 1-based line and column of the deepest known node on `path`."""
        for end in range(len(path), -1, -1):
            loc = self.locations.get(path[:end])
            if loc is not None:
                return loc
        return None, None

    def problem(self, path: Path, message: str, *, at_key: bool = False) -> Problem:
        """Build a located problem for `path` (at its key rather than its value if asked)."""
        loc = self.key_locations.get(path) if at_key else None
        line, col = loc if loc is not None else self.locate(path)
        return Problem(self.file, line, col, format_path(path), message)


def format_path(path: Path) -> str:
    """Render a path as `policies[3].check.max_age`."""
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += f".{elem}" if out else elem
    return out


class _Builder:
    def __init__(self, file: str, events: Iterator[Any], rules: Rules = STRICT) -> None:
        self.file = file
        self.events = events
        self.rules = rules
        self.problems: list[Problem] = []
        self.nodes = 0
        self.keys: dict[Path, tuple[int, int]] = {}
        self.anchors: dict[str, tuple[Any, int]] = {}  # name -> (value, its node count)

    def fail(self, event: Any, path: Path, message: str) -> None:
        mark = event.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message)
        )

    def documents(self) -> list[Document]:
        docs: list[Document] = []
        for event in self.events:
            if isinstance(event, yaml.DocumentStartEvent):
                if len(docs) >= MAX_DOCUMENTS:
                    self.fail(event, (), f"more than {MAX_DOCUMENTS} documents")
                    break
                locations: dict[Path, tuple[int, int]] = {}
                plain: dict[Path, str] = {}
                first = next(self.events)
                self.keys = {}
                self.anchors = {}  # anchors are local to their document
                data = self.node(first, (), 0, locations, plain)
                end = next(self.events)
                assert isinstance(end, yaml.DocumentEndEvent)
                docs.append(Document(self.file, len(docs), data, locations, plain, self.keys))
        return docs

    def node(
        self,
        event: Any,
        path: Path,
        depth: int,
        locations: dict[Path, tuple[int, int]],
        plain: dict[Path, str],
    ) -> Any:
        self.count(event, 1)
        if depth > self.rules.max_depth:
            raise _TooBig(event, f"nested deeper than {self.rules.max_depth} levels")
        locations[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.AliasEvent):
            if not self.rules.aliases:
                self.fail(event, path, "aliases (*name) are not allowed; write the value out")
                return None
            return self.alias(event, path)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            if not self.rules.aliases:
                self.fail(event, path, f"anchors (&{anchor}) are not allowed")
            else:
                before = self.nodes
                value = self.value(event, path, depth, locations, plain)
                self.anchors[anchor] = (value, self.nodes - before + 1)
                return value
        return self.value(event, path, depth, locations, plain)

    def count(self, event: Any, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > self.rules.max_nodes:
            raise _TooBig(event, f"more than {self.rules.max_nodes} nodes")

    def alias(self, event: Any, path: Path) -> Any:
        found = self.anchors.get(event.anchor)
        if found is None:
            self.fail(event, path, f"alias *{event.anchor} names no anchor before it")
            return None
        value, nodes = found
        self.count(event, nodes)  # an alias costs what it expands to: no billion laughs
        return copy.deepcopy(value)

    def value(
        self,
        event: Any,
        path: Path,
        depth: int,
        locations: dict[Path, tuple[int, int]],
        plain: dict[Path, str],
    ) -> Any:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and not self.rules.tags:
            self.fail(event, path, f"explicit tags ({tag}) are not allowed")
        if isinstance(event, yaml.ScalarEvent):
            return self.scalar(event, path, plain)
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            for child in self.events:
                if isinstance(child, yaml.SequenceEndEvent):
                    return items
                items.append(self.node(child, (*path, len(items)), depth + 1, locations, plain))
        if isinstance(event, yaml.MappingStartEvent):
            return self.mapping(path, depth, locations, plain)
        self.fail(event, path, f"unexpected YAML event {type(event).__name__}")
        return None

    def mapping(
        self,
        path: Path,
        depth: int,
        locations: dict[Path, tuple[int, int]],
        plain: dict[Path, str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: set[str] = set()  # keys of `out` a merge key set (a later explicit key overrides)
        merges = 0
        for key_event in self.events:
            if isinstance(key_event, yaml.MappingEndEvent):
                return out
            key: str | None = None
            if _is_merge_key(key_event):
                merges += 1
                self.merge(key_event, path, depth, locations, plain, out, merged, merges)
                continue
            if not isinstance(key_event, yaml.ScalarEvent):
                what = {
                    yaml.MappingStartEvent: "a mapping",
                    yaml.SequenceStartEvent: "a sequence",
                    yaml.AliasEvent: "an alias",
                }.get(type(key_event), "not a scalar")
                hint = (
                    " (an unrendered template like {{ value }}? render it first)"
                    if isinstance(key_event, yaml.MappingStartEvent)
                    else ""
                )
                self.fail(key_event, path, f"mapping keys must be strings, got {what}{hint}")
                self.skip(key_event)
            else:
                raw = self.scalar(key_event, path, {})
                if isinstance(raw, str):
                    key = raw
                elif self.rules.scalar_keys:
                    key = _key_text(raw, key_event.value)
                else:
                    self.fail(
                        key_event, path,
                        f"mapping keys must be strings, got {type(raw).__name__} "
                        f"{key_event.value!r}; quote it",
                    )  # fmt: skip
            if key is not None and key in out:
                if key in merged:
                    merged.discard(key)  # an explicit key after a merge key overrides it
                else:
                    self.fail(key_event, (*path, key), f"duplicate key {key!r}")
                    key = None
            value_event = next(self.events)
            child_path: Path = (*path, key) if key is not None else (*path, "<invalid key>")
            mark = key_event.start_mark
            self.keys[child_path] = (mark.line + 1, mark.column + 1)
            value = self.node(value_event, child_path, depth + 1, locations, plain)
            if key is not None:
                out[key] = value
        return out

    def merge(
        self,
        key_event: Any,
        path: Path,
        depth: int,
        locations: dict[Path, tuple[int, int]],
        plain: dict[Path, str],
        out: dict[str, Any],
        merged: set[str],
        merges: int,
    ) -> None:
        """Apply a merge key (`<<: *a` or `<<: [*a, *b]`, earlier mappings win) to `out`."""
        child_path: Path = (*path, MERGE_KEY)
        mark = key_event.start_mark
        self.keys[child_path] = (mark.line + 1, mark.column + 1)
        value_event = next(self.events)
        value = self.node(value_event, child_path, depth + 1, locations, plain)
        if not self.rules.kubernetes_scalars:
            self.fail(key_event, child_path, "merge keys (<<) are not allowed; write the keys out")
            return
        if merges > 1:
            self.fail(key_event, child_path, "duplicate merge key '<<'; merge a list instead")
            return
        sources = value if isinstance(value, list) else [value]
        if not sources or not all(isinstance(m, dict) for m in sources):
            message = "a merge key (<<) needs a mapping or a list of mappings"
            self.fail(value_event, child_path, message)
            return
        for source in sources:
            for key, item in source.items():
                if key in merged:
                    continue  # an earlier mapping of the list wins
                if key in out:
                    self.fail(
                        key_event, (*path, key),
                        f"key {key!r} is set both before the merge key '<<' and by it; "
                        "kubectl lets the merge win, kustomize the key: write it once, after '<<'",
                    )  # fmt: skip
                    continue
                out[key] = item  # aliases were expanded into fresh copies
                merged.add(key)

    def skip(self, event: Any) -> None:
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth = 1
            for ev in self.events:
                if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                    depth += 1
                elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                    depth -= 1
                    if depth == 0:
                        return

    def scalar(self, event: Any, path: Path, plain: dict[Path, str]) -> Any:
        text: str = event.value
        if event.style not in (None, "") or event.tag in ("!", _STR_TAG):
            return text  # quoted or block scalars are always strings
        value = resolve_kubernetes(text) if self.rules.kubernetes_scalars else resolve_plain(text)
        if isinstance(value, _Ambiguous):
            self.fail(event, path, value.message)
            return text
        if type(value) is int and not INT_MIN <= value <= INT_MAX:
            self.fail(event, path, f"integer {text} is out of range (at most 64 bits)")
            return text
        if not isinstance(value, str) and value is not None:
            plain[path] = text
        return value


def _is_merge_key(event: Any) -> bool:
    """A plain `<<` key (a quoted '<<' is an ordinary key, as in go-yaml)."""
    return (
        isinstance(event, yaml.ScalarEvent)
        and event.value == MERGE_KEY
        and event.style in (None, "")
        and event.tag in (None, "!")
    )


def _key_text(value: Any, text: str) -> str:
    """The JSON key a plain scalar key becomes (as Kubernetes' YAML-to-JSON conversion does)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return text


class _TooBig(Exception):
    def __init__(self, event: Any, message: str) -> None:
        super().__init__(message)
        self.event = event


@dataclass(frozen=True)
class _Ambiguous:
    message: str


def resolve_plain(text: str) -> Any:
    """Resolve a plain scalar with the YAML 1.2 core schema, rejecting YAML 1.1 surprises."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _YAML11_BOOL:
        return _Ambiguous(
            f"ambiguous value {text!r}: YAML 1.1 tools read it as a boolean; "
            f"quote it ('{text}') for a string, or write true/false"
        )
    if _YAML11_NUMBER.fullmatch(text):
        return _Ambiguous(
            f"ambiguous value {text!r}: YAML 1.1 tools read it as a number; quote it ('{text}')"
        )
    if _INT.fullmatch(text):
        return int(text)
    if _INT_OCT.fullmatch(text):
        return int(text[2:], 8)
    if _INT_HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


_K8S_TRUE = frozenset({"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})
_K8S_FALSE = frozenset({"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})
_K8S_SPECIAL = {
    **{t: float("nan") for t in (".nan", ".NaN", ".NAN")},
    **{t: float("inf") for t in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{t: float("-inf") for t in ("-.inf", "-.Inf", "-.INF")},
}
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)")
_GO_BASES = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}


def resolve_kubernetes(text: str) -> Any:
    """Resolve a plain scalar as kubectl's YAML reader (go-yaml v2) does.

    Booleans and nulls by YAML 1.1's word lists; after removing `_`, an integer
    in Go's base-prefixed syntax (`0x1F`, `0o17`, `017`, `0b101`; a leading 0 is
    octal), else a YAML-style float (`09`, not octal, is 9); anything else is a string.
    An integer beyond 64 bits is refused by the caller (go-yaml would make it
    a float that no longer equals it). A timestamp stays its text (kubectl would re-format it as
    RFC 3339; a string either way).
    """
    if text in _NULL:
        return None
    if text in _K8S_TRUE:
        return True
    if text in _K8S_FALSE:
        return False
    special = _K8S_SPECIAL.get(text)
    if special is not None:
        return special
    if not text or text[0] not in "+-.0123456789":
        return text
    digits = text.replace("_", "")
    m = _GO_INT.fullmatch(digits)
    if m is not None:
        sign, body = m.groups()
        if len(body) > 1 and body[0] == "0":
            base = _GO_BASES.get(body[1], 8)
            value = int(body[2:] if body[1] in _GO_BASES else body[1:], base)
        else:
            value = int(body)
        return -value if sign == "-" else value  # beyond 64 bits: an error, never a float
    if _FLOAT.fullmatch(digits):
        number = float(digits)
        # `09` is a float to go-yaml, which the JSON sent to the API server writes as 9
        return int(number) if number.is_integer() and digits.isdigit() else number
    return text


def load_text(text: str, file: str, rules: Rules = STRICT) -> list[Document]:
    """Parse YAML text strictly into documents, or raise `DocumentError` with every problem."""
    if len(text.encode("utf-8", errors="replace")) > rules.max_bytes:
        raise DocumentError([Problem(file, None, None, "", f"larger than {rules.max_bytes} bytes")])
    text = check_text(text, file)
    builder = _Builder(file, _events(text), rules)
    try:
        docs = builder.documents()
    except yaml.MarkedYAMLError as exc:
        raise DocumentError([*builder.problems, *_syntax_problems(exc, file)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (C1 controls)
        i = exc.position
        line, col = text.count("\n", 0, i) + 1, i - text.rfind("\n", 0, i)
        problem = Problem(file, line, col, "", f"character U+{exc.character:04X} is not allowed")
        raise DocumentError([*builder.problems, problem]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every parser error is one of the above
        problem = Problem(file, None, None, "", f"invalid YAML: {exc}")
        raise DocumentError([*builder.problems, problem]) from None
    except _TooBig as exc:
        mark = exc.event.start_mark
        problem = Problem(file, mark.line + 1, mark.column + 1, "", str(exc))
        raise DocumentError([*builder.problems, problem]) from None
    if builder.problems:
        raise DocumentError(builder.problems)
    return docs


def _syntax_problems(exc: yaml.MarkedYAMLError, file: str) -> list[Problem]:
    """Locate a syntax error; an unclosed flow collection is named where it was opened."""
    problem_mark, context_mark = exc.problem_mark, exc.context_mark
    reason = exc.problem or exc.context or "invalid YAML"
    context = exc.context or ""
    if context_mark is not None and context.startswith("while parsing a flow "):
        kind = context.removeprefix("while parsing a ")
        message = f"{kind} opened here is never closed"
        if problem_mark is not None:
            message += f" ({reason} at {problem_mark.line + 1}:{problem_mark.column + 1})"
        return [Problem(file, context_mark.line + 1, context_mark.column + 1, "", message)]
    mark = problem_mark or context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    return [Problem(file, line, col, "", reason)]


def _events(text: str) -> Iterator[Any]:
    return iter(yaml.parse(text, Loader=_Loader))


def load_documents(path: str, text: str | None = None) -> list[Document]:
    """Read and strictly parse a YAML file (or the given text, reported as `path`)."""
    if text is None:
        try:
            with open(path, "rb") as fh:  # noqa: PTH123 - a plain read, size-capped
                raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            problem = Problem(path, None, None, "", unreadable_reason(exc))
            raise DocumentError([problem]) from None
        if len(raw) > MAX_BYTES:
            raise DocumentError([Problem(path, None, None, "", f"larger than {MAX_BYTES} bytes")])
        text = decode_text(raw, path)
    return load_text(text, path)
