"""Load PolicySet documents from files, directories and built-in packs (`builtin:NAME[/SUB]`)."""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

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


_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def builtin_packs() -> list[str]:
    """Return the names of the packs shipped with regulens."""
    root = resources.files("regulens.policies")
    return sorted(entry.name for entry in root.iterdir() if entry.is_dir() and _yaml_files(entry))


def sub_packs(pack: str) -> list[str]:
    """Return the sub-packs of a built-in pack: each YAML file and each directory of YAML files.

    A sub-pack is one file (`ops-baseline/change.yaml` is `builtin:ops-baseline/change`)
    or one directory of files (`ops-baseline/security/`); the whole pack is all of them.
    Adding a sub-pack is adding one file or directory.
    """
    root = _pack_dir(pack)
    names = []
    for entry in root.iterdir():
        if entry.is_dir() and _yaml_files(entry):
            names.append(entry.name)
        elif entry.is_file() and entry.name.endswith(YAML_SUFFIXES):
            names.append(entry.name.rsplit(".", 1)[0])
    return sorted(set(names))


def builtin_files(spec: str) -> list[tuple[str, str]]:
    """Return (label, text) of each policy file of `NAME` or `NAME/SUB`, in a stable order."""
    name, slash, sub = spec.partition("/")
    root = _pack_dir(name)
    if slash:
        known = sub_packs(name)
        if sub not in known:
            raise ConfigError(
                f"unknown sub-pack {sub!r} of built-in pack {name!r}",
                hint=_did_you_mean(sub, known, f"{BUILTIN_PREFIX}{name}/", "sub-packs"),
            )
        chosen = [sub]
    else:
        chosen = sub_packs(name)
    out = []
    for part in chosen:
        entry = root / part
        if entry.is_dir():
            files = [(f"{part}/{f.name}", f) for f in _yaml_files(entry)]
        else:
            files = [(f"{part}{s}", root / f"{part}{s}") for s in YAML_SUFFIXES]
        out += [
            (f"{BUILTIN_PREFIX}{name}/{rel}", f.read_text("utf-8"))
            for rel, f in files
            if f.is_file()
        ]
    return out


def _yaml_files(directory: Traversable) -> list[Traversable]:
    return sorted(
        (c for c in directory.iterdir() if c.is_file() and c.name.endswith(YAML_SUFFIXES)),
        key=lambda c: c.name,
    )


def _pack_dir(name: str) -> Traversable:
    packs = builtin_packs()
    if not _NAME.match(name) or name not in packs:
        raise ConfigError(
            f"unknown built-in pack {name!r}",
            hint=_did_you_mean(name, packs, BUILTIN_PREFIX, "built-in packs"),
        )
    return resources.files("regulens.policies") / name


def _did_you_mean(name: str, known: Sequence[str], prefix: str, what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    listed = ", ".join(known) or "none"
    if close:
        return f"did you mean {prefix}{close[0]}? {what}: {listed}"
    return f"{what}: {listed}"


def _files_of(spec: str) -> tuple[list[tuple[str, str | None]], list[Unreadable]]:
    """The policy files of one spec, and the paths under it that cannot be read."""
    if spec.startswith(BUILTIN_PREFIX):
        return list(builtin_files(spec[len(BUILTIN_PREFIX) :])), []
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
    seen: set[str] = set()
    for spec in specs:
        files, unreadable = _files_of(spec)
        # a built-in file named twice (the pack and one of its sub-packs) is loaded once
        files = [f for f in files if f[1] is None or f[0] not in seen]
        seen.update(label for label, text in files if text is not None)
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
