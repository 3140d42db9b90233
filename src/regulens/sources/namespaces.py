"""Place namespaced manifest objects without a namespace in one, as `kubectl apply -n` does.

Manifests such as argo-cd's `install.yaml` leave the namespace out and are
applied with `kubectl apply -n argocd`: every namespaced object lands in that
namespace, cluster-scoped ones never get one. This step runs after parsing, on
the objects read, and counts what it placed (one coverage note, not one per object).

Scope comes from a table of Kubernetes' built-in cluster-scoped kinds and from
the CustomResourceDefinitions among the same inputs (`spec.scope`). A kind that
is neither built in nor declared by a CRD in the inputs is treated as namespaced
(as most custom resources are) and counted apart, so the note says how many
objects were placed on that assumption.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from regulens.errors import ConfigError
from regulens.snapshot import CoverageNote, Resource

DEFAULT_NAMESPACE = "default"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class GroupKind:
    """An API group ("" is core) and a kind: what decides whether an object is namespaced."""

    group: str
    kind: str


def _table(groups: Mapping[str, str]) -> frozenset[GroupKind]:
    return frozenset(GroupKind(g, k) for g, kinds in groups.items() for k in kinds.split())


# Kubernetes' built-in cluster-scoped kinds (`kubectl api-resources --namespaced=false`).
CLUSTER_SCOPED_KINDS: frozenset[GroupKind] = _table(
    {
        "": "Namespace Node PersistentVolume ComponentStatus",
        "rbac.authorization.k8s.io": "ClusterRole ClusterRoleBinding",
        "apiextensions.k8s.io": "CustomResourceDefinition",
        "apiregistration.k8s.io": "APIService",
        "admissionregistration.k8s.io": "MutatingWebhookConfiguration "
        "ValidatingWebhookConfiguration ValidatingAdmissionPolicy "
        "ValidatingAdmissionPolicyBinding MutatingAdmissionPolicy MutatingAdmissionPolicyBinding",
        "storage.k8s.io": "StorageClass CSIDriver CSINode VolumeAttachment VolumeAttributesClass",
        "scheduling.k8s.io": "PriorityClass",
        "node.k8s.io": "RuntimeClass",
        "networking.k8s.io": "IngressClass IPAddress ServiceCIDR",
        "certificates.k8s.io": "CertificateSigningRequest ClusterTrustBundle",
        "flowcontrol.apiserver.k8s.io": "FlowSchema PriorityLevelConfiguration",
        "policy": "PodSecurityPolicy",
        "extensions": "PodSecurityPolicy",
        "authentication.k8s.io": "TokenReview SelfSubjectReview",
        "authorization.k8s.io": "SubjectAccessReview SelfSubjectAccessReview "
        "SelfSubjectRulesReview",
        "resource.k8s.io": "DeviceClass ResourceSlice",
        "internal.apiserver.k8s.io": "StorageVersion",
        "storagemigration.k8s.io": "StorageVersionMigration",
    }
)

# The API groups Kubernetes itself serves: a kind in one of them that is not in the
# table above is namespaced. Kinds of other groups are custom resources.
BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "extensions",
        "events.k8s.io",
        "networking.k8s.io",
        "discovery.k8s.io",
        "coordination.k8s.io",
        "rbac.authorization.k8s.io",
        "authorization.k8s.io",
        "authentication.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "node.k8s.io",
        "certificates.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
        "internal.apiserver.k8s.io",
        "storagemigration.k8s.io",
    }
)


def check_namespace(name: str) -> str:
    """Return `name` if it is a valid namespace name (a DNS-1123 label), else a usage error."""
    if not _DNS_LABEL.match(name):
        raise ConfigError(
            f"--namespace {name[:80]!r} is not a namespace name",
            hint="lowercase letters, digits and '-', at most 63 characters, like argocd",
        )
    return name


@dataclass(frozen=True, slots=True)
class Placed:
    """The objects after placement, and the note saying how many were placed (None: none)."""

    resources: tuple[Resource, ...]
    note: CoverageNote | None


def place_in_namespace(resources: Sequence[Resource], namespace: str) -> Placed:
    """Give every namespaced object without a namespace `namespace`; leave the rest as read."""
    declared = _declared_scopes(resources)
    out: list[Resource] = []
    placed = unknown = 0
    for resource in resources:
        if resource.namespace is not None:
            out.append(resource)
            continue
        gk = GroupKind(resource.group, resource.kind)
        scope = declared.get(gk)
        if gk in CLUSTER_SCOPED_KINDS or scope == "Cluster":
            out.append(resource)
            continue
        if scope is None and gk.group not in BUILTIN_GROUPS:
            unknown += 1
        placed += 1
        out.append(_with_namespace(resource, namespace))
    note = (
        CoverageNote(
            reason="namespace-defaulted", namespace=namespace, count=placed, unknown_scope=unknown
        )
        if placed
        else None
    )
    return Placed(tuple(out), note)


def _declared_scopes(resources: Iterable[Resource]) -> dict[GroupKind, str]:
    """`spec.scope` (Cluster or Namespaced) of each kind a CRD among the inputs declares."""
    out: dict[GroupKind, str] = {}
    for resource in resources:
        if resource.kind != "CustomResourceDefinition" or resource.group != "apiextensions.k8s.io":
            continue
        spec = resource.obj.get("spec")
        if not isinstance(spec, dict):
            continue
        names = spec.get("names")
        group, scope = spec.get("group"), spec.get("scope")
        kind = names.get("kind") if isinstance(names, dict) else None
        if isinstance(group, str) and isinstance(kind, str) and scope in ("Cluster", "Namespaced"):
            out[GroupKind(group, kind)] = str(scope)
    return out


def _with_namespace(resource: Resource, namespace: str) -> Resource:
    obj: dict[str, Any] = dict(resource.obj)
    meta = obj.get("metadata")
    obj["metadata"] = {**(meta if isinstance(meta, dict) else {}), "namespace": namespace}
    return Resource.from_object(obj, resource.source)
