"""Where containers live in each workload kind: the one place that knows it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from regulens.snapshot.resources import Resource

# kind -> path from the object to its PodSpec
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # Pod Security admission checks PodTemplate objects too (its pod spec extractor's kinds)
    "PodTemplate": ("template", "spec"),
}
WORKLOAD_KINDS = frozenset(POD_SPEC_PATHS)
_BASES = {kind: ".".join(path) for kind, path in POD_SPEC_PATHS.items()}
CONTAINER_FIELDS = (
    ("containers", "container"),
    ("initContainers", "initContainer"),
    ("ephemeralContainers", "ephemeralContainer"),
)


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a workload, with where it sits in the object."""

    name: str
    role: str  # container | initContainer | ephemeralContainer
    spec: Mapping[str, Any]
    path: str  # e.g. spec.template.spec.containers[0]

    @property
    def image(self) -> str:
        """The container image reference ("" when unset, null or not a string)."""
        value = self.spec.get("image")
        return value if isinstance(value, str) else ""


def pod_spec(resource: Resource) -> Mapping[str, Any] | None:
    """Return the PodSpec of a workload, or None for other kinds or malformed objects."""
    path = POD_SPEC_PATHS.get(resource.kind)
    if path is None:
        return None
    node: Any = resource.obj
    for key in path:
        # `type(...) is dict` first: parsed objects are dicts, and the ABC check is slow
        if type(node) is not dict and not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if type(node) is dict or isinstance(node, Mapping) else None


def pod_metadata(resource: Resource) -> Mapping[str, Any] | None:
    """Return the metadata of a workload's Pod (a Pod's own, a template's), or None if absent."""
    path = POD_SPEC_PATHS.get(resource.kind)
    if path is None:
        return None
    node: Any = resource.obj
    for key in (*path[:-1], "metadata"):
        if type(node) is not dict and not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node if type(node) is dict or isinstance(node, Mapping) else None


def pod_spec_path(kind: str) -> str:
    """Return the dotted path from an object of `kind` to its PodSpec (e.g. spec.template.spec)."""
    return _BASES[kind]


def containers(resource: Resource) -> Iterator[Container]:
    """Yield every container (regular, init, ephemeral) of a workload object."""
    spec = pod_spec(resource)
    if spec is None:
        return
    base = _BASES[resource.kind]
    for field, role in CONTAINER_FIELDS:
        items = spec.get(field)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if type(item) is dict or isinstance(item, Mapping):
                yield Container(str(item.get("name", "")), role, item, f"{base}.{field}[{i}]")
