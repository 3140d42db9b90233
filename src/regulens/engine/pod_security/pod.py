"""A Pod as the Pod Security checks read it: typed field access with the field's path.

Objects are raw parsed manifests, so every read checks the JSON type; a field of
the wrong type is `Malformed` (the check errors for that object, never passes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from regulens.snapshot.resources import Resource
from regulens.snapshot.workloads import CONTAINER_FIELDS, pod_metadata, pod_spec, pod_spec_path


class Malformed(Exception):
    """A field has the wrong JSON type, so the Pod cannot be judged."""

    def __init__(self, path: str, expected: str) -> None:
        super().__init__(f"{path}: expected {expected}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Node:
    """A mapping inside the object, with its dotted path."""

    data: Mapping[str, Any]
    path: str

    def _raw(self, key: str) -> Any:
        return self.data.get(key)

    def child(self, key: str) -> Node | None:
        """The mapping at `key` (None when unset or null)."""
        value = self._raw(key)
        if value is None:
            return None
        if type(value) is not dict and not isinstance(value, Mapping):
            raise Malformed(f"{self.path}.{key}", "an object")
        return Node(value, f"{self.path}.{key}")

    def flag(self, key: str) -> bool | None:
        """The boolean at `key` (None when unset or null)."""
        value = self._raw(key)
        if value is None or isinstance(value, bool):
            return value
        raise Malformed(f"{self.path}.{key}", "a boolean")

    def text(self, key: str) -> str | None:
        """The string at `key` (None when unset or null)."""
        value = self._raw(key)
        if value is None or isinstance(value, str):
            return value
        raise Malformed(f"{self.path}.{key}", "a string")

    def number(self, key: str) -> int | None:
        """The integer at `key` (None when unset or null)."""
        value = self._raw(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise Malformed(f"{self.path}.{key}", "an integer")

    def items(self, key: str) -> list[Node]:
        """The list of mappings at `key` (empty when unset or null)."""
        value = self._raw(key)
        if value is None:
            return []
        if type(value) is not list:
            raise Malformed(f"{self.path}.{key}", "a list")
        out = []
        for i, item in enumerate(value):
            if type(item) is not dict and not isinstance(item, Mapping):
                raise Malformed(f"{self.path}.{key}[{i}]", "an object")
            out.append(Node(item, f"{self.path}.{key}[{i}]"))
        return out

    def texts(self, key: str) -> list[tuple[str, str]]:
        """The list of strings at `key` as (value, path) pairs (empty when unset or null)."""
        value = self._raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Malformed(f"{self.path}.{key}", "a list of strings")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise Malformed(f"{self.path}.{key}[{i}]", "a string")
            out.append((item, f"{self.path}.{key}[{i}]"))
        return out


@dataclass(frozen=True, slots=True)
class PodContainer:
    """One container (regular, init or ephemeral) and its securityContext."""

    name: str
    role: str
    node: Node

    def security(self) -> Node | None:
        """The container's securityContext (None when unset)."""
        return self.node.child("securityContext")


@dataclass(frozen=True, slots=True)
class Pod:
    """The Pod of a workload: its spec, containers and (read on demand) annotations."""

    resource: Resource
    spec: Node
    containers: tuple[PodContainer, ...]

    @property
    def annotations_path(self) -> str:
        """The path of the Pod's annotations (a template's for workloads)."""
        base = self.spec.path
        return (base.rsplit(".", 1)[0] + "." if "." in base else "") + "metadata.annotations"

    def annotations(self) -> Mapping[str, str]:
        """The Pod's annotations; Malformed unless a map of strings."""
        meta = pod_metadata(self.resource) or {}
        annotations = meta.get("annotations")
        if annotations is None:
            return {}
        if not isinstance(annotations, Mapping) or not all(
            isinstance(v, str) for v in annotations.values()
        ):
            raise Malformed(self.annotations_path, "a map of strings")
        return annotations

    def security(self) -> Node | None:
        """The pod-level securityContext (None when unset)."""
        return self.spec.child("securityContext")

    def is_windows(self) -> bool:
        """True when `spec.os.name` is windows (restricted exempts some checks)."""
        os_node = self.spec.child("os")
        return os_node is not None and os_node.text("name") == "windows"

    def user_namespace(self) -> bool:
        """True when `spec.hostUsers` is false (the Pod runs in a user namespace)."""
        return self.spec.flag("hostUsers") is False

    def volumes(self) -> list[Node]:
        """The Pod's volumes."""
        return self.spec.items("volumes")


def read_pod(resource: Resource) -> Pod:
    """Build the Pod view of a workload object; raise Malformed when its shape is wrong."""
    base = pod_spec_path(resource.kind)
    spec = pod_spec(resource)
    if spec is None:
        raise Malformed(base, "a Pod spec (an object)")
    root = Node(spec, base)
    found = []
    for field, role in CONTAINER_FIELDS:
        for item in root.items(field):
            name = item.text("name") or ""
            found.append(PodContainer(name, role, item))
    return Pod(resource, root, tuple(found))


def security_contexts(pod: Pod) -> Iterator[tuple[PodContainer | None, Node]]:
    """Yield the pod-level securityContext (container None), then each container's that is set."""
    pod_sc = pod.security()
    if pod_sc is not None:
        yield None, pod_sc
    for c in pod.containers:
        sc = c.security()
        if sc is not None:
            yield c, sc
