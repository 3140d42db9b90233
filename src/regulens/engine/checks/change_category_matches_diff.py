"""The `change-category-matches-diff` check: the declared category covers what the diff does.

The rendered manifests of the change (`kubernetes`) are compared with the
current state (`baseline`). Only ConfigMap data, image patch-version bumps and
container resource requests/limits are standard; anything else (new objects,
deletions, RBAC, CRDs, Ingress, namespaces, any other field) needs normal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

from regulens.engine.changes import RANK, change_of, change_subject
from regulens.engine.checks.base import Check, CheckError
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import KubernetesState, Resource, Snapshot
from regulens.snapshot.change import Category
from regulens.snapshot.workloads import POD_SPEC_PATHS

PathT = tuple[str | int, ...]


class _Absent:
    """A key that one side of the diff does not have."""

    def __repr__(self) -> str:
        return "<absent>"


_MISSING: Any = _Absent()
_SERVER_META = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
                "selfLink", "ownerReferences")  # fmt: skip
_SERVER_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)
_CONTROLLER_KINDS = frozenset(
    {"Event", "Endpoints", "EndpointSlice", "ControllerRevision", "Lease", "Pod", "ReplicaSet"}
)
_KIND_GROUPS = {
    "RBAC": {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"},
    "CRD": {"CustomResourceDefinition"},
    "Ingress": {"Ingress", "IngressClass"},
    "namespace": {"Namespace"},
    "workload": set(POD_SPEC_PATHS),
}
_SEMVER = re.compile(r"^(v?)(\d+)\.(\d+)\.(\d+)([-+][0-9A-Za-z.-]+)?$")


def _label(kind: str) -> str:
    return next((g for g, kinds in _KIND_GROUPS.items() if kind in kinds), "object")


def _normalise(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Drop what the API server writes (status, uid, managedFields...) before comparing."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = dict(out.get("metadata") or {})
    for key in _SERVER_META:
        meta.pop(key, None)
    annotations = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _SERVER_ANNOTATIONS
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def diff(old: Any, new: Any, *, live: bool, path: PathT = ()) -> Iterator[tuple[PathT, Any, Any]]:
    """Yield (path, old, new) for every differing leaf; lists of unequal length differ whole.

    With a live baseline, keys only in the live object are server defaults and ignored.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = list(new) if live else list(dict.fromkeys([*old, *new]))
        for key in keys:
            yield from diff(old.get(key, _MISSING), new.get(key, _MISSING), live=live,
                            path=(*path, key))  # fmt: skip
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from diff(a, b, live=live, path=(*path, i))
    elif old != new:
        yield path, old, new


def render_path(path: PathT) -> str:
    """Render a diff path as `spec.template.spec.containers[0].image`."""
    out = ""
    for elem in path:
        out += f"[{elem}]" if isinstance(elem, int) else (f".{elem}" if out else str(elem))
    return out


def patch_bump(old: Any, new: Any) -> bool:
    """True when `new` is the same image as `old` with a higher patch version only."""
    if not isinstance(old, str) or not isinstance(new, str) or "@" in old or "@" in new:
        return False
    (old_repo, old_tag), (new_repo, new_tag) = _split_image(old), _split_image(new)
    a, b = _SEMVER.match(old_tag), _SEMVER.match(new_tag)
    if old_repo != new_repo or a is None or b is None:
        return False
    return (
        a.group(1) == b.group(1)
        and a.group(2, 3) == b.group(2, 3)
        and a.group(5) == b.group(5)
        and int(b.group(4)) > int(a.group(4))
    )


def _split_image(image: str) -> tuple[str, str]:
    repo, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:
        return image, "latest"
    return repo, tag


def classify_change(kind: str, path: PathT, old: Any, new: Any) -> tuple[Category, str]:
    """Return the least category one changed field needs, and why."""
    where = render_path(path)
    if kind == "ConfigMap" and path and path[0] in ("data", "binaryData"):
        return Category.STANDARD, f"ConfigMap {where} changed"
    pod = POD_SPEC_PATHS.get(kind)
    if pod is not None and path[: len(pod)] == pod and len(path) > len(pod) + 2:
        field, rest = path[len(pod)], path[len(pod) + 2 :]
        if field in ("containers", "initContainers"):
            if rest == ("image",) and patch_bump(old, new):
                return Category.STANDARD, f"image patch bump {old} -> {new} ({where})"
            if rest[0] == "resources" and (len(rest) == 1 or rest[1] in ("requests", "limits")):
                return Category.STANDARD, f"resource tweak {where}"
            if rest == ("image",):
                return Category.NORMAL, f"image change beyond a patch bump {old} -> {new}"
    group = _label(kind)
    prefix = f"{group} object: " if group in ("RBAC", "CRD", "Ingress", "namespace") else ""
    return Category.NORMAL, f"{prefix}{where or 'object'} changed"


def _key(r: Resource) -> tuple[str, str | None, str]:
    return r.kind, r.namespace, r.name


def _declared_live(r: Resource) -> bool:
    """A live object that was applied (not made by a controller) and so belongs to a release."""
    if r.metadata.get("ownerReferences") or r.kind in _CONTROLLER_KINDS:
        return False
    return (
        "kubectl.kubernetes.io/last-applied-configuration" in r.annotations
        or "app.kubernetes.io/managed-by" in r.labels
    )


class ChangeCategoryMatchesDiff(Check):
    """The declared change category is at least what the manifest diff needs."""

    type: Literal["change-category-matches-diff"]
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.CHANGE, Input.KUBERNETES, Input.BASELINE})

    def kinds(self) -> frozenset[str] | None:
        """Return None: every kind of the change's manifests is compared."""
        return None

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Classify each added, changed or deleted object and compare with the declared category."""
        change = change_of(snap)
        assert snap.kubernetes is not None and snap.baseline is not None
        if snap.baseline.gaps:
            listed = "; ".join(g.describe() for g in snap.baseline.gaps)
            raise CheckError(f"the baseline could not read {listed}")
        declared = change.spec.category
        found = False
        for resource, needed, reasons in self._classify(
            snap.kubernetes, snap.baseline, change.spec.namespace
        ):
            found = True
            ok = RANK[declared] >= RANK[needed]
            shown = "; ".join(reasons[:3]) + (
                f"; +{len(reasons) - 3} more" if len(reasons) > 3 else ""
            )
            yield Finding(
                Status.PASS if ok else Status.FAIL,
                f"needs {needed.value} (declared {declared.value}): {shown}",
                resource.ref,
                resource.source,
                details={"declared": declared.value, "needed": needed.value, "reasons": reasons},
                subject=change_subject(change),
            )
        if not found:
            yield Finding(
                Status.PASS,
                f"{change.metadata.id}: no differences from the baseline",
                details={"declared": declared.value, "needed": Category.STANDARD.value},
                subject=change_subject(change),
            )

    def _classify(
        self, new: KubernetesState, base: KubernetesState, namespace: str | None
    ) -> Iterator[tuple[Resource, Category, list[str]]]:
        live = base.provenance.source != "manifests"
        seen: set[tuple[str, str | None, str]] = set()
        for resource in new.resources:
            seen.add(_key(resource))
            old = base.get(*_key(resource))
            if old is None:
                yield resource, Category.NORMAL, [f"new {_label(resource.kind)} {resource.kind}"]
                continue
            before, after = _normalise(old.obj), _normalise(resource.obj)
            if before == after:  # the common case, decided by one C-level comparison
                continue
            changes = [
                classify_change(resource.kind, path, a, b)
                for path, a, b in diff(before, after, live=live)
            ]
            if changes:
                needed = max((c for c, _ in changes), key=RANK.__getitem__)
                yield resource, needed, [reason for _, reason in changes]
        scope = {r.namespace for r in new.resources if r.namespace} | (
            {namespace} if namespace else set()
        )
        for old in base.resources:
            if _key(old) in seen:
                continue
            if old.namespace is None and live:
                continue  # a live cluster holds cluster-scoped objects of every release
            if old.namespace is not None and old.namespace not in scope:
                continue
            if live and not _declared_live(old):
                continue
            yield old, Category.NORMAL, [f"deleted {_label(old.kind)} {old.kind}"]
