"""Kubernetes objects as the engine sees them: the raw object plus its identity.

Resource data is the hot path of big runs, so objects are slotted dataclasses
around the parsed dict, never validated field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where an object was read from: a manifest file (document index, 1-based line) or a URL."""

    file: str
    document: int | None = None
    line: int | None = None


def namespace_order(namespace: str | None) -> tuple[bool, str]:
    """Sort key of a namespace: cluster-scoped (None) first, then by name; never None vs str."""
    return (namespace is not None, namespace or "")


@dataclass(frozen=True, slots=True)
class ObjectKey:
    """The identity of one object: kind, namespace (None: cluster-scoped or unset) and name.

    Every place that identifies or sorts objects uses this key: its order is total
    (a cluster-scoped or namespace-less object sorts before namespaced ones of the same
    kind), so comparing a key without a namespace with one that has one never fails.
    """

    kind: str
    namespace: str | None
    name: str

    @property
    def order(self) -> tuple[str, bool, str, str]:
        """The sort key: (kind, has a namespace, namespace, name)."""
        return (self.kind, *namespace_order(self.namespace), self.name)

    def __lt__(self, other: ObjectKey) -> bool:
        return self.order < other.order

    def __le__(self, other: ObjectKey) -> bool:
        return self.order <= other.order

    def __gt__(self, other: ObjectKey) -> bool:
        return self.order > other.order

    def __ge__(self, other: ObjectKey) -> bool:
        return self.order >= other.order

    def __str__(self) -> str:
        return (
            f"{self.kind}/{self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind}/{self.name}"
        )


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """The identity of one Kubernetes object."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON-contract form (`apiVersion`, `kind`, `namespace`, `name`)."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    @property
    def key(self) -> ObjectKey:
        """The object's identity key (comparable and sortable)."""
        return ObjectKey(self.kind, self.namespace, self.name)

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name}"


@dataclass(frozen=True, slots=True, eq=False)
class Resource:
    """One Kubernetes object: its identity, labels, the raw object and where it came from."""

    ref: ResourceRef
    obj: Mapping[str, Any]
    source: SourceLocation | None = None

    @classmethod
    def from_object(cls, obj: Mapping[str, Any], source: SourceLocation | None = None) -> Resource:
        """Wrap a parsed object; the caller has checked it has apiVersion, kind and a name."""
        meta = obj.get("metadata") or {}
        ref = ResourceRef(
            api_version=str(obj.get("apiVersion", "")),
            kind=str(obj.get("kind", "")),
            namespace=meta.get("namespace") or None,
            name=str(meta.get("name", "")),
        )
        return cls(ref, obj, source)

    @property
    def kind(self) -> str:
        """The object's kind."""
        return self.ref.kind

    @property
    def key(self) -> ObjectKey:
        """The object's identity key (comparable and sortable)."""
        return ObjectKey(self.ref.kind, self.ref.namespace, self.ref.name)

    @property
    def namespace(self) -> str | None:
        """The object's namespace, or None when cluster-scoped or unset."""
        return self.ref.namespace

    @property
    def name(self) -> str:
        """The object's name."""
        return self.ref.name

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        api = self.ref.api_version
        return api.split("/", 1)[0] if "/" in api else ""

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The object's metadata (empty when absent)."""
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def labels(self) -> Mapping[str, str]:
        """The object's labels (empty when absent)."""
        labels = self.metadata.get("labels")
        return labels if isinstance(labels, Mapping) else {}

    @property
    def annotations(self) -> Mapping[str, str]:
        """The object's annotations (empty when absent)."""
        ann = self.metadata.get("annotations")
        return ann if isinstance(ann, Mapping) else {}
