"""The snapshot: plain, frozen, replayable data that the engine judges."""

from regulens.snapshot.kubernetes import (
    ClusterIdentity,
    CoverageGap,
    KubernetesState,
    Provenance,
    content_digest,
)
from regulens.snapshot.model import Snapshot
from regulens.snapshot.resources import ObjectKey, Resource, ResourceRef, SourceLocation

__all__ = [
    "ClusterIdentity",
    "CoverageGap",
    "KubernetesState",
    "ObjectKey",
    "Provenance",
    "Resource",
    "ResourceRef",
    "Snapshot",
    "SourceLocation",
    "content_digest",
]
