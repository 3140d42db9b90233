"""Read Kubernetes manifests (files, directories, stdin) into the Kubernetes snapshot section.

Manifest parsing is the hot path of big runs, so documents are parsed with
`yaml-rs` (Rust, YAML 1.2, duplicate keys are errors, alias expansion bounded)
one document at a time: splitting on `---` lines ourselves gives every
document its index and first line for error messages and SARIF locations.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import yaml_rs

from regulens.errors import ConfigError
from regulens.snapshot import (
    KubernetesState,
    Provenance,
    Resource,
    SourceLocation,
    content_digest,
)
from regulens.sources.namespaces import DEFAULT_NAMESPACE, place_in_namespace
from regulens.sources.redact import redact

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
STDIN = "-"
_DOC_SPLIT = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
_ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=100_000, max_replay_stack_depth=32)


class ManifestError(ConfigError):
    """A manifest could not be read or is not a Kubernetes object."""


def manifest_files(specs: Sequence[str]) -> list[str]:
    """Expand files, directories (recursively, sorted) and `-` into a list of inputs."""
    out: list[str] = []
    for spec in specs:
        if spec == STDIN:
            out.append(STDIN)
            continue
        path = Path(spec)
        if path.is_dir():
            top = str(path)
            found = sorted(_tree(top, "" if top == "." else top + os.sep))
            if not found:
                raise ManifestError(f"{spec}: no .yaml, .yml or .json files in this directory")
            out.extend(found)
        elif path.is_file():
            out.append(spec)
        else:
            raise ManifestError(f"{spec}: no such file or directory")
    return out


def _tree(directory: str, prefix: str) -> Iterator[str]:
    """Yield manifest files below a directory as `Path.rglob` would (symlinked dirs not followed).

    os.scandir instead of rglob + is_file: on one-object-per-file trees the
    pathlib overhead cost more than parsing.
    """
    try:
        with os.scandir(directory) as it:
            entries = list(it)
    except PermissionError:
        return
    for entry in entries:
        name = entry.name
        if entry.is_dir() and not entry.is_symlink():
            yield from _tree(entry.path, prefix + name + os.sep)
            continue
        dot = name.rfind(".")
        if dot > 0 and name[dot:] in MANIFEST_SUFFIXES and entry.is_file():
            yield prefix + name


def _read(name: str) -> bytes:
    if name == STDIN:
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            with open(name, "rb") as fh:  # noqa: PTH123 - a Path per file is measurable at 50k files
                data = _read_limited(fh)
        except OSError as exc:
            raise ManifestError(f"{name}: cannot read: {exc.strerror}") from None
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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def split_documents(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (index, first line, text) of each non-empty YAML document.

    A `---` or `...` at the start of a line is always a document marker in
    YAML (content inside a document is indented or flow-quoted past column 0).
    """
    index = 0
    start = 0
    line = 1  # line number of `start`
    for m in _DOC_SPLIT.finditer(text):
        chunk = text[start : m.start()]
        if chunk.strip():
            yield index, _first_line(chunk, line), chunk
            index += 1
        line += text.count("\n", start, m.end())
        start = m.end()
    tail = text[start:]
    if tail.strip():
        yield index, _first_line(tail, line), tail


def _first_line(chunk: str, line: int) -> int:
    lead = len(chunk) - len(chunk.lstrip())
    return line + chunk.count("\n", 0, lead)


def parse_documents(name: str, text: str) -> Iterator[tuple[int, int, Any]]:
    """Parse each document of one manifest file; JSON files are one document."""
    if name.endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            yield 0, 1, orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise ManifestError(f"{name}: invalid JSON: {exc}") from None
        return
    for index, line, chunk in split_documents(text):
        try:
            data = yaml_rs.loads(chunk, parse_datetime=False, alias_limits=_ALIAS_LIMITS)
        except yaml_rs.YAMLDecodeError as exc:
            detail = str(exc).splitlines()[0]
            raise ManifestError(f"{name}: document {index} (line {line}): {detail}") from None
        yield index, line, data


def objects_of(name: str, text: str) -> Iterator[Resource]:
    """Yield every Kubernetes object of one file, unwrapping `kind: List`."""
    for index, line, data in parse_documents(name, text):
        if data is None:
            continue
        where = f"{name}: document {index} (line {line})"
        if not isinstance(data, dict):
            raise ManifestError(f"{where}: not a Kubernetes object (a {type(data).__name__})")
        kind = data.get("kind")
        items = data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            for i, item in enumerate(items):
                yield _checked(item, f"{where}: items[{i}]", SourceLocation(name, index, line))
        else:
            yield _checked(data, where, SourceLocation(name, index, line))


def _checked(obj: Any, where: str, source: SourceLocation) -> Resource:
    if not isinstance(obj, dict):
        raise ManifestError(f"{where}: not a Kubernetes object (a {type(obj).__name__})")
    missing = [k for k in ("apiVersion", "kind") if not isinstance(obj.get(k), str) or not obj[k]]
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        missing.append("metadata.name")
    if missing:
        raise ManifestError(
            f"{where}: not a Kubernetes object: missing {', '.join(missing)}",
            hint="only Kubernetes manifests are read here; remove other YAML from the inputs",
        )
    return Resource.from_object(redact(obj), source)


def read_manifests(specs: Sequence[str], namespace: str = DEFAULT_NAMESPACE) -> KubernetesState:
    """Read every object from files, directories and stdin into one Kubernetes section.

    Namespaced objects without a namespace are placed in `namespace`, as
    `kubectl apply -n` does (see `regulens.sources.namespaces`).
    """
    resources: list[Resource] = []
    inputs = manifest_files(specs)
    for name in inputs:
        resources.extend(objects_of(name, _decode(name, _read(name))))
    placed = place_in_namespace(resources, namespace)
    # the digest covers the redacted objects (never a secret value) and where they came from
    digest = content_digest(placed.resources, ())
    provenance = Provenance(
        source="manifests", digest=digest, inputs=tuple(inputs), namespace=namespace
    )
    return KubernetesState.model_construct(
        provenance=provenance,
        resources=placed.resources,
        gaps=(),
        notes=() if placed.note is None else (placed.note,),
    )
