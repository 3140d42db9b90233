"""Find and strictly read PolicyTest documents; build the Kubernetes objects a test judges.

`regulens test PATH` reads a file whatever its name, a directory's `*.test.yaml`
files (recursively, sorted), and `builtin:NAME` the tests shipped for a built-in
pack. Finding no test at all is an error: zero tests would pass anything.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

import orjson

from regulens.documents import Document, load_documents, validate_document
from regulens.documents.files import expand
from regulens.documents.text import decode_text
from regulens.errors import ConfigError, DocumentError, InputDataError, Problem
from regulens.policies.loader import BUILTIN_PREFIX
from regulens.policytest.model import PolicyTest
from regulens.snapshot import (
    KubernetesState,
    Provenance,
    Resource,
    SourceLocation,
    content_digest,
)
from regulens.sources.manifests import ManifestError, objects_of, read_manifests
from regulens.sources.namespaces import DEFAULT_NAMESPACE, place_in_namespace

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@dataclass(frozen=True)
class LoadedTest:
    """One PolicyTest document and where it came from."""

    file: str  # as shown (a builtin: label for shipped tests)
    base: str  # the directory its relative paths start from
    doc: Document
    test: PolicyTest

    def path(self, relative: str) -> str:
        """Resolve a path the test names (relative to the test file; builtin: kept)."""
        if relative.startswith(BUILTIN_PREFIX) or Path(relative).is_absolute():
            return relative
        return os.path.normpath(Path(self.base) / relative)


def builtin_tests_root(name: str) -> Path:
    """The directory of the tests shipped for the built-in pack `name`."""
    root = resources.files("regulens.policytest") / "builtin" / name
    if not root.is_dir():
        shipped = resources.files("regulens.policytest") / "builtin"
        known = ", ".join(sorted(c.name for c in shipped.iterdir() if c.is_dir())) or "none"
        raise ConfigError(
            f"no policy tests are shipped for {BUILTIN_PREFIX}{name}", hint=f"shipped: {known}"
        )
    return Path(str(root))


def find_test_files(specs: Sequence[str]) -> list[tuple[str, str]]:
    """(label, path) of every test file of `specs`; an unreadable path is an error (exit 2)."""
    files: list[tuple[str, str]] = []
    for spec in specs:
        if spec.startswith(BUILTIN_PREFIX):
            name = spec[len(BUILTIN_PREFIX) :]
            root = builtin_tests_root(name)
            for path in sorted(root.rglob("*")):
                if path.name.endswith(TEST_SUFFIXES):
                    label = f"{spec}/{path.relative_to(root).as_posix()}"
                    files.append((label, str(path)))
            continue
        found = expand([spec], (".yaml", ".yml"))  # a file named explicitly is kept as is
        if found.unreadable:  # an unreadable entry may be a test: never skip it
            raise InputDataError("; ".join(str(u) for u in found.unreadable))
        if Path(spec).is_dir():
            found.files[:] = [f for f in found.files if f.endswith(TEST_SUFFIXES)]
        files.extend((f, f) for f in found.files)
    if not files:
        raise ConfigError(
            "no policy test found: zero tests would pass anything",
            hint="name test files *.test.yaml, or pass the file itself",
        )
    return files


def load_tests(specs: Sequence[str]) -> list[LoadedTest]:
    """Read and strictly validate every PolicyTest; collect every problem before failing."""
    problems: list[Problem] = []
    tests: list[LoadedTest] = []
    for label, path in find_test_files(specs):
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise InputDataError(f"{label}: cannot read: {exc.strerror}") from None
        try:
            docs = load_documents(label, decode_text(text, label))
        except DocumentError as exc:
            problems.extend(exc.problems)
            continue
        if not docs:
            problems.append(Problem(label, None, None, "", "no PolicyTest: the file is empty"))
        for doc in docs:
            if not isinstance(doc.data, dict) or doc.data.get("kind") != "PolicyTest":
                problems.append(
                    doc.problem(("kind",), f"document {doc.index} is not a kind: PolicyTest")
                )
                continue
            try:
                test = validate_document(doc, PolicyTest)
            except DocumentError as exc:
                problems.extend(exc.problems)
                continue
            tests.append(LoadedTest(label, str(Path(path).parent), doc, test))
    problems.extend(_duplicate_names(tests))
    if problems:
        raise DocumentError(problems)
    return tests


def _duplicate_names(tests: list[LoadedTest]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for t in tests:
        name = t.test.metadata.name
        if name in seen:
            message = f"duplicate test name {name!r} (first in {seen[name]})"
            problems.append(t.doc.problem(("metadata", "name"), message))
        else:
            seen[name] = t.file
    return problems


def _inline(loaded: LoadedTest, index: int) -> list[Resource]:
    """The Kubernetes objects of one inline `objects` entry, located in the test file."""
    path = ("objects", index)
    line, _ = loaded.doc.locate(path)
    where = SourceLocation(loaded.file, loaded.doc.index, line)
    text = orjson.dumps(loaded.test.objects[index]).decode()
    try:
        found = list(objects_of(f"{loaded.file}: objects[{index}]", text))
    except ManifestError as exc:
        raise DocumentError([loaded.doc.problem(path, exc.message)]) from None
    return [replace(r, source=where) for r in found]


def kubernetes_state(loaded: LoadedTest) -> KubernetesState | None:
    """The objects the test judges: `resources`, then `objects` over them, then `delete`."""
    test = loaded.test
    if not (test.resources or test.objects):
        if test.delete:
            raise DocumentError(
                [loaded.doc.problem(("delete",), "nothing to delete: the test has no objects")]
            )
        return None
    merged: dict[str, Resource] = {}
    inputs: list[str] = []
    if test.resources:
        paths = [loaded.path(p) for p in test.resources]
        for i, path in enumerate(paths):
            _readable_one(loaded, ("resources", i), path)
        base = read_manifests(paths)
        if base.gaps:  # a test judged on partly read objects proves nothing
            raise InputDataError(f"{loaded.file}: " + "; ".join(g.reason for g in base.gaps))
        inputs.extend(base.provenance.inputs)
        merged.update((str(r.key), r) for r in base.resources)
    extra = [r for i in range(len(test.objects)) for r in _inline(loaded, i)]
    placed = place_in_namespace(extra, DEFAULT_NAMESPACE).resources
    merged.update((str(r.key), r) for r in placed)
    for i, key in enumerate(test.delete):
        if merged.pop(key, None) is None:
            raise DocumentError(
                [loaded.doc.problem(("delete", i), f"nothing to delete: no object {key}")]
            )
    objects = tuple(merged.values())
    provenance = Provenance(
        source="policy-test",
        digest=content_digest(objects, ()),
        inputs=(*inputs, loaded.file),
        namespace=DEFAULT_NAMESPACE,
    )
    return KubernetesState(provenance=provenance, resources=objects)


def check_inputs(loaded: LoadedTest) -> None:
    """Every input file the test names exists (3) and can be read (2)."""
    inputs = loaded.test.inputs
    for name in ("change", "audit_policy", "backups", "drills", "metrics"):
        value = getattr(inputs, name)
        if value is not None:
            _readable_one(loaded, ("inputs", name), loaded.path(value))
    for name in ("current_manifests", "trivy_reports", "exceptions"):
        values = getattr(inputs, name)
        for i, value in enumerate(values):
            _readable_one(loaded, ("inputs", name, i), loaded.path(value))
    for i, spec in enumerate(loaded.test.policies):
        _readable_one(loaded, ("policies", i), loaded.path(spec))


def _readable_one(loaded: LoadedTest, where: tuple[str | int, ...], path: str) -> None:
    if path.startswith(BUILTIN_PREFIX):
        return
    if not os.path.lexists(path):
        raise DocumentError([loaded.doc.problem(where, f"{path}: no such file or directory")])
    try:
        if Path(path).is_dir():
            next(iter(Path(path).iterdir()), None)
        else:  # non-blocking: a FIFO named as an input must not hang the run
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputDataError(f"{loaded.file}: {path}: cannot read: {reason}") from None
