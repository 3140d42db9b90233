"""Read Kubernetes manifests (files, directories, stdin) into the Kubernetes snapshot section.

Manifest parsing is the hot path of big runs, so documents are parsed with
`yaml-rs` (Rust, YAML 1.2, duplicate keys are errors, alias expansion bounded)
one document at a time: splitting on `---` lines ourselves gives every
document its index and first line for error messages and SARIF locations.
yaml-rs gives neither the place of a duplicate key nor Kubernetes' reading of
a non-string key, so a document it rejects, or whose keys are not all
strings, is read again by the strict event reader with Kubernetes rules
(`documents.strict_yaml.KUBERNETES`), which names `file:line:col`. So is a
document that holds a plain scalar kubectl's YAML 1.1 reader resolves
differently from YAML 1.2 (`yes`, `off`, `0644`, `1_000`) or a merge key
(`<<`): regulens judges the object the API server would receive.

A manifest that cannot be parsed, or is not a Kubernetes object, is a usage
error (exit 3). A path that exists but cannot be read (permission denied, a
symbolic link loop, a broken link, a FIFO in a directory) is a coverage gap
of every kind, so every policy that reads objects is an error: the run
denies with exit 2, as for a kind the cluster would not list.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import orjson
import yaml_rs

from regulens.documents.files import Expansion, Unreadable, expand, why
from regulens.documents.strict_json import loads_json
from regulens.documents.strict_yaml import KUBERNETES, load_text
from regulens.documents.text import decode_text
from regulens.errors import ConfigError, DocumentError
from regulens.snapshot import (
    KubernetesState,
    Provenance,
    Resource,
    SourceLocation,
    content_digest,
)
from regulens.snapshot.kubernetes import ANY_KIND, UNREADABLE, CoverageGap
from regulens.sources.namespaces import DEFAULT_NAMESPACE, place_in_namespace
from regulens.sources.redact import redact

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_LIST_DEPTH = 8  # a List of Lists of ... (kubectl output nests one level at most)
STDIN = "-"
_DOC_SPLIT = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
_ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=100_000, max_replay_stack_depth=32)
_YAML_RS_LINE = re.compile(r"at line (\d+), column (\d+)")
# Where yaml-rs (YAML 1.2) and kubectl (go-yaml v2, YAML 1.1) read a document differently:
# a YAML 1.1 boolean word or a merge key (seen as a string in what yaml-rs read) or a plain
# number with a leading 0 (octal to kubectl). A false match (a quoted 'yes', a 0 inside a
# string) only costs the slower, exact reader. Single-character prefixes keep the scans fast.
_KUBECTL_WORDS = re.compile(rb'"(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|<<)"')
_LEADING_ZERO = tuple(
    re.compile(before + r"[-+]?0[0-9_]+[ \t]*(?:$|[#,\]}])", re.MULTILINE)
    for before in (r":[ \t]+", r"-[ \t]+", r"\[[ \t]*", r",[ \t]*")
)
_HELM_SOURCE = re.compile(r"# Source: ([A-Za-z0-9._][A-Za-z0-9._/@+-]{0,511})")


class ManifestError(ConfigError):
    """A manifest could not be read or is not a Kubernetes object."""


class _UnreadableFile(Exception):
    def __init__(self, unreadable: Unreadable) -> None:
        super().__init__(str(unreadable))
        self.unreadable = unreadable


def expand_manifests(specs: Sequence[str]) -> Expansion:
    """Expand files, directories (recursively, sorted) and `-`; report what cannot be read."""
    try:
        return expand(specs, MANIFEST_SUFFIXES, keep=STDIN)
    except ManifestError:
        raise
    except ConfigError as exc:
        raise ManifestError(exc.message, hint=exc.hint) from None


def manifest_files(specs: Sequence[str]) -> list[str]:
    """Expand files, directories (recursively, sorted) and `-`; an unreadable path is an error."""
    found = expand_manifests(specs)
    if found.unreadable:
        raise ManifestError("; ".join(str(u) for u in found.unreadable))
    return found.files


def _read(name: str) -> bytes:
    if name == STDIN:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            with open(name, "rb") as fh:  # noqa: PTH123 - a Path per file is measurable at 50k files
                data = _read_limited(fh)
        except OSError as exc:
            raise _UnreadableFile(Unreadable(name, why(exc))) from None
    if len(data) > MAX_FILE_BYTES:
        raise ManifestError(f"{name}: larger than {MAX_FILE_BYTES} bytes")
    return data


def _read_limited(fh: BinaryIO) -> bytes:
    # read(MAX + 1) allocates (and maps) 64 MiB per call: size the read from fstat instead
    size = os.fstat(fh.fileno()).st_size
    if size == 0 or size > MAX_FILE_BYTES:  # 0: special files report no size
        return fh.read(MAX_FILE_BYTES + 1)
    data = fh.read(size + 1)
    if len(data) > size:  # grew while we read it
        data += fh.read(MAX_FILE_BYTES + 1 - len(data))
    return data


def _decode(name: str, data: bytes) -> str:
    """UTF-8 text without a leading BOM; a NUL byte or a control character is an error."""
    try:
        return decode_text(data, name)
    except DocumentError as exc:
        raise ManifestError(exc.message) from None


def split_documents(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (index, first line, text) of each non-empty YAML document.

    A `---` or `...` at the start of a line is always a document marker in
    YAML (content inside a document is indented or flow-quoted past column 0).
    """
    for index, first, _, chunk in _chunks(text):
        yield index, first, chunk


def _chunks(text: str) -> Iterator[tuple[int, int, int, str]]:
    """Yield (index, first line, start, text) of each non-empty document.

    `start` is the line the chunk starts on, 0 for the chunk that starts the file
    (the others start right after a `---` or `...` marker, on its line).
    """
    index = 0
    start = 0
    line = 1  # line number of `start`
    for m in _DOC_SPLIT.finditer(text):
        chunk = text[start : m.start()]
        if chunk.strip():
            yield index, _first_line(chunk, line), line if start else 0, chunk
            index += 1
        line += text.count("\n", start, m.end())
        start = m.end()
    tail = text[start:]
    if tail.strip():
        yield index, _first_line(tail, line), line if start else 0, tail


def _first_line(chunk: str, line: int) -> int:
    lead = len(chunk) - len(chunk.lstrip())
    return line + chunk.count("\n", 0, lead)


def parse_documents(name: str, text: str) -> Iterator[tuple[int, int, Any]]:
    """Parse each document of one manifest file; JSON files are one document."""
    if name.endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            yield 0, 1, loads_json(text, name)
        except DocumentError as exc:
            raise ManifestError(exc.message) from None
        return
    for index, line, start, chunk in _chunks(text):
        try:
            data = yaml_rs.loads(chunk, parse_datetime=False, alias_limits=_ALIAS_LIMITS)
        except yaml_rs.YAMLDecodeError as exc:
            detail = str(exc).splitlines()[0]
            data = _reread(name, index, line, start, chunk, detail)
        except TypeError:  # yaml-rs cannot hash a collection used as a key (`? {a: b}`)
            data = _reread(name, index, line, start, chunk, None)
        else:
            try:
                encoded = orjson.dumps(data)  # fails on a non-string key, a huge int, deep nesting
            except orjson.JSONEncodeError:
                data = _reread(name, index, line, start, chunk, None)
            else:
                if _read_otherwise_by_kubectl(chunk, encoded):
                    data = _reread(name, index, line, start, chunk, None)
        yield index, line, data


def _read_otherwise_by_kubectl(chunk: str, encoded: bytes) -> bool:
    return _KUBECTL_WORDS.search(encoded) is not None or any(
        pattern.search(chunk) is not None for pattern in _LEADING_ZERO
    )


def _reread(name: str, index: int, line: int, start: int, chunk: str, failed: str | None) -> Any:
    """Read one document again with the located reader (`failed`: what yaml-rs said)."""
    # pad so the reader's lines and columns are those of the file: the chunk starts
    # right after the three characters of a marker on line `start`
    padded = "\n" * (start - 1) + "   " if start else ""
    try:
        docs = load_text(padded + chunk, name, KUBERNETES)
    except DocumentError as exc:
        raise ManifestError(exc.message) from None
    if failed is not None and not failed.startswith("duplicate mapping key"):
        # yaml-rs refused what the event reader accepts: keep the refusal (fail closed)
        offset = _YAML_RS_LINE.sub(
            lambda m: f"at line {int(m.group(1)) + max(start, 1) - 1}, column {m.group(2)}",
            failed,
        )
        raise ManifestError(f"{name}: document {index} (line {line}): {offset}")
    if len(docs) > 1:  # pragma: no cover - the chunks are split at every document marker
        raise ManifestError(f"{name}: document {index} (line {line}): more than one document")
    data = docs[0].data if docs else None
    try:
        orjson.dumps(data)
    except orjson.JSONEncodeError as exc:
        raise ManifestError(f"{name}: document {index} (line {line}): {exc}") from None
    return data


def helm_sources(text: str) -> dict[int, str]:
    """Document index -> chart file, from Helm's `# Source: chart/templates/x.yaml` comments.

    `helm template` writes one such comment at the head of each document; the
    line inside the template is unknown (it is rendered), so only the file is
    kept. A path that is absolute, climbs with `..` or has unsafe characters is
    ignored (the object keeps its place in the stream).
    """
    found: dict[int, str] = {}
    for index, _, _, chunk in _chunks(text):
        for raw in chunk.splitlines():
            stripped = raw.strip()
            if not stripped:
                continue
            if not stripped.startswith("#"):
                break
            m = _HELM_SOURCE.fullmatch(stripped)
            if m is not None and _safe_chart_path(m.group(1)):
                found[index] = m.group(1)
                break
    return found


def _safe_chart_path(path: str) -> bool:
    parts = path.split("/")
    return not path.startswith("/") and ".." not in parts and "" not in parts


def objects_of(name: str, text: str) -> Iterator[Resource]:
    """Yield every Kubernetes object of one file, unwrapping `kind: List` (nested too).

    Objects read from stdin keep the chart file Helm's `# Source:` names (see
    `helm_sources`): `-` is no place a code-scanning UI can show.
    """
    charts = helm_sources(text) if name == STDIN else {}
    for index, line, data in parse_documents(name, text):
        if data is None:
            continue
        where = f"{name}: document {index} (line {line})"
        chart = charts.get(index)
        source = SourceLocation(chart, index) if chart else SourceLocation(name, index, line)
        yield from _objects(data, where, source, 0)


def _objects(data: Any, where: str, source: SourceLocation, depth: int) -> Iterator[Resource]:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: not a Kubernetes object (a {type(data).__name__})")
    kind = data.get("kind")
    if not (isinstance(kind, str) and kind.endswith("List") and "items" in data):
        yield _checked(data, where, source)
        return
    # a List (v1 List, or a typed one like SecretList): its items are the objects, as kubectl
    # reads them; `items: null` is an empty list
    items = data["items"]
    if items is None:
        return
    if not isinstance(items, list):
        raise ManifestError(f"{where}: items: a {kind} needs a list, got {type(items).__name__}")
    if depth >= MAX_LIST_DEPTH:
        raise ManifestError(f"{where}: Lists nested deeper than {MAX_LIST_DEPTH} levels")
    for i, item in enumerate(items):
        yield from _objects(item, f"{where}: items[{i}]", source, depth + 1)


def _checked(obj: dict[str, Any], where: str, source: SourceLocation) -> Resource:
    missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj[k]]
    raw_meta = obj.get("metadata")
    meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        missing.append("metadata.name")
    if missing:
        booleans = any(
            isinstance(v, bool) for v in (obj.get("apiVersion"), obj.get("kind"), meta.get("name"))
        )
        raise ManifestError(
            f"{where}: not a Kubernetes object: missing {', '.join(missing)}",
            hint=_YAML11_HINT if booleans else _NOT_KUBERNETES_HINT,
        )
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        # the API server refuses the object; never place it in --namespace instead
        shown = orjson.dumps(namespace).decode()[:40]
        raise ManifestError(
            f"{where}: metadata.namespace: expected a string, got {shown}",
            hint=_YAML11_HINT if isinstance(namespace, bool) else None,
        )
    return Resource.from_object(redact(obj), source)


_NOT_KUBERNETES_HINT = "only Kubernetes manifests are read here; remove other YAML from the inputs"
_YAML11_HINT = "kubectl reads a plain yes/no/on/off/y/n as a boolean: quote the value ('no')"


def decode_manifest(name: str, data: bytes) -> str:
    """Decode rendered manifest bytes as a manifest file is (UTF-8, no control characters)."""
    return _decode(name, data)


def unreadable_gap(unreadable: Unreadable) -> CoverageGap:
    """The coverage gap of a path that could not be read: it may hold objects of any kind."""
    return CoverageGap(kind=ANY_KIND, reason=f"{UNREADABLE}{unreadable}")


def read_manifests(
    specs: Sequence[str],
    namespace: str = DEFAULT_NAMESPACE,
    rendered: Sequence[tuple[str, Sequence[Resource]]] = (),
) -> KubernetesState:
    """Read every object from files, directories and stdin into one Kubernetes section.

    `rendered` adds objects a tool rendered (`--kustomize`), named by their input.
    Namespaced objects without a namespace are placed in `namespace`, as
    `kubectl apply -n` does (see `regulens.sources.namespaces`).
    """
    resources: list[Resource] = []
    for _, objects in rendered:
        resources.extend(objects)
    found = expand_manifests(specs)
    unreadable = list(found.unreadable)
    inputs: list[str] = []
    for name in found.files:
        try:
            data = _read(name)
        except _UnreadableFile as exc:
            unreadable.append(exc.unreadable)
            continue
        inputs.append(name)
        resources.extend(objects_of(name, _decode(name, data)))
    inputs.extend(name for name, _ in rendered)
    placed = place_in_namespace(resources, namespace)
    gaps = tuple(unreadable_gap(u) for u in unreadable)
    # the digest covers the redacted objects (never a secret value) and where they came from
    digest = content_digest(placed.resources, gaps)
    provenance = Provenance(
        source="manifests", digest=digest, inputs=tuple(inputs), namespace=namespace
    )
    return KubernetesState.model_construct(
        provenance=provenance,
        resources=placed.resources,
        gaps=gaps,
        notes=() if placed.note is None else (placed.note,),
    )
