"""The Kubernetes section of a snapshot: objects, provenance and coverage gaps."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from regulens.snapshot.resources import ObjectKey, Resource, SourceLocation
from regulens.snapshot.workloads import Container, containers

# Why a kind could not be read: HTTP 403/404 (missing API group)/503 (aggregated API down)/
# 410 (continue tokens kept expiring), a timeout, an exhausted --deadline, a connection that
# kept failing ("error"), or (on replay) not collected by the live run. Other HTTP statuses
# appear as their code. A manifest path that could not be read is a gap of ANY_KIND whose
# reason starts with "unreadable: " and names the path; an API server that could not be
# reached by a run that judges is one gap of ANY_KIND whose reason starts with "unreachable: ".
GAP_REASONS = ("403", "404", "410", "503", "timeout", "deadline", "error", "not-collected")
ANY_KIND = "*"
UNREADABLE = "unreadable: "
UNREACHABLE = "unreachable: "


class ClusterIdentity(BaseModel):
    """Which cluster a live snapshot came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    server: str
    context: str | None = None
    kube_system_uid: str | None = None


class NamespaceSelection(BaseModel):
    """Which namespaces' objects were judged (--select-namespace / --exclude-namespace globs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    select: tuple[str, ...] = ()  # empty: every namespace
    exclude: tuple[str, ...] = ()
    excluded_objects: int = 0  # namespaced objects the selection left out


class Provenance(BaseModel):
    """Where a section came from, when, and the digest of its canonical JSON."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str  # manifests | kubernetes
    collected_at: datetime | None = None
    cluster: ClusterIdentity | None = None
    resource_versions: dict[str, str] = {}  # kind -> list resourceVersion (live)
    # kind -> the one namespace it was listed in, or None for all namespaces (live)
    collected: dict[str, str | None] = {}
    digest: str = ""  # sha256:<hex> of the section's canonical JSON (`content_digest`)
    inputs: tuple[str, ...] = ()  # files, URLs or "-" that were read
    # manifests: the namespace given to namespaced objects without one (--namespace)
    namespace: str | None = None
    # the namespaces judged, when a selection was asked for (absent otherwise)
    selection: NamespaceSelection | None = Field(default=None, exclude_if=lambda v: v is None)


class CoverageGap(BaseModel):
    """A kind (optionally in one namespace; `*`: every kind) that could not be read, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    namespace: str | None = None
    reason: str

    def describe(self) -> str:
        """Say what could not be read: `Secret in ns (403)`, the unreadable path, or why not any."""
        if self.kind == ANY_KIND:
            if self.reason.startswith(UNREACHABLE):
                return f"any kind: {self.reason.removeprefix(UNREACHABLE)}"
            return self.reason.removeprefix(UNREADABLE)
        return f"{self.kind}{' in ' + self.namespace if self.namespace else ''} ({self.reason})"


class CoverageNote(BaseModel):
    """Something the inputs left out and was filled in as Kubernetes would (never a gap)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Literal["namespace-defaulted"]
    namespace: str
    count: int  # objects placed in `namespace`
    unknown_scope: int = 0  # of them, kinds neither built in nor declared by a CRD in the inputs

    @property
    def message(self) -> str:
        """One line for people: how many objects were placed where, and on what assumption."""
        assumed = (
            f" ({self.unknown_scope} of kinds of unknown scope, assumed namespaced)"
            if self.unknown_scope
            else ""
        )
        return (
            f"{self.count} namespaced object(s) without metadata.namespace placed in namespace "
            f"{self.namespace} (--namespace){assumed}"
        )


class KubernetesState(BaseModel):
    """All Kubernetes objects of one snapshot, indexed by kind and by identity."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    provenance: Provenance
    resources: tuple[Resource, ...]
    gaps: tuple[CoverageGap, ...] = ()
    notes: tuple[CoverageNote, ...] = ()

    @field_validator("resources", mode="before")
    @classmethod
    def _load_resources(cls, value: Any) -> Any:
        if isinstance(value, list | tuple) and value and isinstance(value[0], Mapping):
            return tuple(_resource_from_json(item) for item in value)
        return value

    @field_serializer("resources")
    def _dump_resources(self, resources: tuple[Resource, ...]) -> list[dict[str, Any]]:
        return [_resource_to_json(r) for r in resources]

    @cached_property
    def _by_kind(self) -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = {}
        for r in self.resources:
            index.setdefault(r.kind, []).append(r)
        return index

    @cached_property
    def _by_id(self) -> dict[ObjectKey, Resource]:
        return {r.key: r for r in self.resources}

    @cached_property
    def _containers(self) -> dict[Resource, tuple[Container, ...]]:
        return {}  # filled by `containers_of`: a resource's containers, found once per snapshot

    def containers_of(self, resource: Resource) -> tuple[Container, ...]:
        """Return the containers of one of these objects (see `workloads.containers`)."""
        found = self._containers.get(resource)
        if found is None:
            found = self._containers[resource] = tuple(containers(resource))
        return found

    def of_kind(self, kind: str) -> Sequence[Resource]:
        """Return the objects of one kind, in input order."""
        return self._by_kind.get(kind, [])

    def of_kinds(self, kinds: Iterable[str]) -> Iterator[Resource]:
        """Yield the objects of several kinds."""
        for kind in kinds:
            yield from self._by_kind.get(kind, [])

    def get(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        """Return one object by kind, namespace and name."""
        return self._by_id.get(ObjectKey(kind, namespace, name))

    def kinds(self) -> list[str]:
        """Return the kinds present, sorted."""
        return sorted(self._by_kind)

    def gaps_for(
        self, kinds: frozenset[str] | None, namespaces: Iterable[str] | None
    ) -> list[CoverageGap]:
        """Return the gaps that hide objects of `kinds` (None: any) in `namespaces` (None: any)."""
        wanted = None if namespaces is None else set(namespaces)
        out = []
        for gap in self.gaps:
            if kinds is not None and gap.kind != ANY_KIND and gap.kind not in kinds:
                continue
            if gap.namespace is not None and wanted is not None and gap.namespace not in wanted:
                continue
            out.append(gap)
        return out


def canonical_content(resources: Iterable[Resource], gaps: Iterable[CoverageGap]) -> bytes:
    """Return the canonical JSON (sorted keys, compact) of a section's objects and gaps."""
    doc = {"resources": resources_to_json(resources), "gaps": [g.model_dump() for g in gaps]}
    return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def resources_to_json(resources: Iterable[Resource]) -> list[dict[str, Any]]:
    """Return the saved form of objects: `{"object": ..., "source": {...}}` each."""
    return [_resource_to_json(r) for r in resources]


def content_digest(resources: Iterable[Resource], gaps: Iterable[CoverageGap]) -> str:
    """Return `sha256:<hex>` of the canonical JSON of a section's objects and gaps.

    The bytes are `canonical_content`'s, hashed object by object: at 50k objects
    the whole document would be 50 MB held at once for nothing but the hash.
    """
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    digest = hashlib.sha256(b'{"gaps":')  # the keys in sorted order: gaps, resources
    digest.update(orjson.dumps([g.model_dump() for g in gaps], option=options))
    digest.update(b',"resources":[')
    comma = b""
    for r in resources:
        digest.update(comma)
        digest.update(orjson.dumps(_resource_to_json(r), option=options))
        comma = b","
    digest.update(b"]}")
    return "sha256:" + digest.hexdigest()


def _resource_to_json(resource: Resource) -> dict[str, Any]:
    out: dict[str, Any] = {"object": resource.obj}
    if resource.source is not None:
        src = resource.source
        out["source"] = {"file": src.file, "document": src.document, "line": src.line}
    return out


def _resource_from_json(item: Mapping[str, Any]) -> Resource:
    obj = item.get("object")
    if not isinstance(obj, Mapping):
        raise ValueError("each resource needs an 'object' mapping")
    src = item.get("source")
    source = None
    if isinstance(src, Mapping):
        source = SourceLocation(str(src.get("file", "")), src.get("document"), src.get("line"))
    return Resource.from_object(obj, source)
