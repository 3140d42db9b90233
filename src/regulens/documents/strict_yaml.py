"""A strict YAML reader for user-written documents.

PyYAML implements YAML 1.1, where `no` is false, `0755` is an octal int and
`02:00` is the integer 120. We read PyYAML's *events* (never its constructor)
and resolve plain scalars with the YAML 1.2 core schema; a plain scalar that
YAML 1.1 would read differently is an error, because another tool reading the
same file would see another value. Anchors, aliases, explicit tags, duplicate
keys and non-string keys are errors too. Every node's position is recorded so
validation errors can name `file:line:col`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

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
    def __init__(self, file: str, events: Iterator[Any]) -> None:
        self.file = file
        self.events = events
        self.problems: list[Problem] = []
        self.nodes = 0
        self.keys: dict[Path, tuple[int, int]] = {}

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
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(event, f"more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise _TooBig(event, f"nested deeper than {MAX_DEPTH} levels")
        locations[path] = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.AliasEvent):
            self.fail(event, path, "aliases (*name) are not allowed; write the value out")
            return None
        if getattr(event, "anchor", None) is not None:
            self.fail(event, path, f"anchors (&{event.anchor}) are not allowed")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
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
        for key_event in self.events:
            if isinstance(key_event, yaml.MappingEndEvent):
                return out
            key: str | None = None
            if not isinstance(key_event, yaml.ScalarEvent):
                self.fail(key_event, path, "mapping keys must be strings")
                self.skip(key_event)
            else:
                raw = self.scalar(key_event, path, {})
                if isinstance(raw, str):
                    key = raw
                else:
                    self.fail(
                        key_event, path,
                        f"mapping keys must be strings, got {type(raw).__name__} "
                        f"{key_event.value!r}; quote it",
                    )  # fmt: skip
            if key is not None and key in out:
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
        if event.style not in (None, "") or event.tag == "!":
            return text  # quoted or block scalars are always strings
        value = resolve_plain(text)
        if isinstance(value, _Ambiguous):
            self.fail(event, path, value.message)
            return text
        if not isinstance(value, str) and value is not None:
            plain[path] = text
        return value


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


def load_text(text: str, file: str) -> list[Document]:
    """Parse YAML text strictly into documents, or raise `DocumentError` with every problem."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise DocumentError([Problem(file, None, None, "", f"larger than {MAX_BYTES} bytes")])
    builder = _Builder(file, _events(text))
    try:
        docs = builder.documents()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        reason = exc.problem or exc.context or "invalid YAML"
        raise DocumentError([*builder.problems, Problem(file, line, col, "", reason)]) from None
    except yaml.reader.ReaderError as exc:
        # a character YAML forbids (NUL, other control characters): not a MarkedYAMLError
        line, col = _line_col(text, exc.position)
        reason = f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})"
        raise DocumentError([*builder.problems, Problem(file, line, col, "", reason)]) from None
    except _TooBig as exc:
        mark = exc.event.start_mark
        problem = Problem(file, mark.line + 1, mark.column + 1, "", str(exc))
        raise DocumentError([*builder.problems, problem]) from None
    if builder.problems:
        raise DocumentError(builder.problems)
    return docs


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a UTF-8 byte offset (libyaml counts bytes)."""
    before = text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace")
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _events(text: str) -> Iterator[Any]:
    return iter(yaml.parse(text, Loader=_Loader))


def load_documents(path: str, text: str | None = None) -> list[Document]:
    """Read and strictly parse a YAML file (or the given text, reported as `path`)."""
    if text is None:
        try:
            with open(path, "rb") as fh:  # noqa: PTH123 - a plain read, size-capped
                raw = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            problem = Problem(path, None, None, "", f"cannot read: {exc.strerror}")
            raise DocumentError([problem]) from None
        if len(raw) > MAX_BYTES:
            raise DocumentError([Problem(path, None, None, "", f"larger than {MAX_BYTES} bytes")])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                [Problem(path, None, None, "", f"not UTF-8 text (byte {exc.start})")]
            ) from None
    return load_text(text, path)
