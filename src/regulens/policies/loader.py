"""Load PolicySet documents from files, directories and built-in packs (`builtin:NAME`)."""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import orjson

from regulens.documents import Document, load_documents, validate_document
from regulens.documents.files import Unreadable, expand
from regulens.engine.policy import Policy, PolicySet
from regulens.errors import ConfigError, DocumentError, Problem

BUILTIN_PREFIX = "builtin:"
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedPolicies:
    """Policy sets as loaded, with a digest of their canonical JSON."""

    sets: tuple[PolicySet, ...]
    sources: tuple[str, ...]
    digest: str

    @property
    def policies(self) -> list[Policy]:
        """Every policy of every set, in load order."""
        return [p for s in self.sets for p in s.policies]


def builtin_packs() -> list[str]:
    """Return the names of the packs shipped with regulens."""
    root = resources.files("regulens.policies")
    return sorted(
        entry.name
        for entry in root.iterdir()
        if entry.is_dir() and any(c.name.endswith(YAML_SUFFIXES) for c in entry.iterdir())
    )


def _builtin_files(name: str) -> list[tuple[str, str]]:
    root = resources.files("regulens.policies")
    pack = root / name
    if not pack.is_dir():
        known = ", ".join(builtin_packs()) or "none"
        raise ConfigError(f"unknown built-in pack {name!r}", hint=f"built-in packs: {known}")
    files = sorted((c for c in pack.iterdir() if c.name.endswith(YAML_SUFFIXES)), key=str)
    return [(f"{BUILTIN_PREFIX}{name}/{f.name}", f.read_text("utf-8")) for f in files]


def _files_of(spec: str) -> tuple[list[tuple[str, str | None]], list[Unreadable]]:
    """The policy files of one spec, and the paths under it that cannot be read."""
    if spec.startswith(BUILTIN_PREFIX):
        return list(_builtin_files(spec[len(BUILTIN_PREFIX) :])), []
    found = expand([spec], YAML_SUFFIXES)
    return [(f, None) for f in found.files], found.unreadable


def load_policies(specs: Sequence[str]) -> LoadedPolicies:
    """Load and strictly validate every PolicySet; collect all problems before failing."""
    if not specs:
        raise ConfigError("no policies given", hint="pass --policies PATH or builtin:ops-baseline")
    problems: list[Problem] = []
    sets: list[tuple[Document, PolicySet]] = []
    sources: list[str] = []
    digest = hashlib.sha256()
    for spec in specs:
        files, unreadable = _files_of(spec)
        # a policy file that cannot be read is never skipped: the set would be incomplete
        problems.extend(Problem(u.path, None, None, "", u.reason) for u in unreadable)
        for label, text in files:
            try:
                docs = load_documents(label, text)
            except DocumentError as exc:
                problems.extend(exc.problems)
                continue
            sources.append(label)
            if not docs:
                empty = "no PolicySet: the file is empty or only comments"
                problems.append(Problem(label, None, None, "", empty))
            for doc in docs:
                if doc.data is None:
                    problems.append(doc.problem((), f"document {doc.index} is empty"))
                    continue
                if not isinstance(doc.data, dict) or doc.data.get("kind") != "PolicySet":
                    problems.append(
                        doc.problem(("kind",), f"document {doc.index} is not a kind: PolicySet")
                    )
                    continue
                try:
                    sets.append((doc, validate_document(doc, PolicySet)))
                except DocumentError as exc:
                    problems.extend(exc.problems)
    problems.extend(_duplicate_ids(sets))
    if problems:
        raise DocumentError(problems)
    for _, pset in sets:
        canonical = pset.model_dump(mode="json", by_alias=True)
        digest.update(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS))
    return LoadedPolicies(tuple(s for _, s in sets), tuple(sources), digest.hexdigest())


def _duplicate_ids(sets: Iterable[tuple[Document, PolicySet]]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for doc, pset in sets:
        for i, policy in enumerate(pset.policies):
            first = seen.get(policy.id)
            if first is not None:
                problems.append(
                    doc.problem(
                        ("policies", i, "id"),
                        f"duplicate policy id {policy.id!r} (first defined in {first})",
                    )
                )
            else:
                seen[policy.id] = doc.file
    return problems


def unmatched_globs(ids: Sequence[str], globs: Sequence[str]) -> list[str]:
    """Return the globs (of --select or --skip) that match none of `ids` (case-sensitive)."""
    return [g for g in globs if not any(fnmatch.fnmatchcase(i, g) for i in ids)]


def select_policies(
    loaded: LoadedPolicies, select: Sequence[str], skip: Sequence[str]
) -> list[Policy]:
    """Choose policies by id glob; selecting none is an error, never a pass."""
    ids = [p.id for p in loaded.policies]
    for glob in unmatched_globs(ids, select):
        close = difflib.get_close_matches(glob, ids, n=1, cutoff=0.6)
        raise ConfigError(
            f"--select {glob!r} matches no loaded policy",
            hint=f"did you mean {close[0]!r}?" if close else f"{len(ids)} policies loaded",
        )
    chosen = [
        p
        for p in loaded.policies
        if (not select or any(fnmatch.fnmatchcase(p.id, g) for g in select))
        and not any(fnmatch.fnmatchcase(p.id, g) for g in skip)
    ]
    if not chosen:
        raise ConfigError(
            "no policy selected: zero rules would pass anything",
            hint=f"{len(loaded.policies)} policies loaded; check --select/--skip",
        )
    return chosen
