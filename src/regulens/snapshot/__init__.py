"""The snapshot: plain, frozen, replayable data that the engine judges."""

from regulens.snapshot.kubernetes import (
    ClusterIdentity,
    CoverageGap,
    CoverageNote,
    KubernetesState,
    Provenance,
    content_digest,
)
from regulens.snapshot.model import Snapshot
from regulens.snapshot.resources import ObjectKey, Resource, ResourceRef, SourceLocation

__all__ = [
    "ClusterIdentity",
    "CoverageGap",
    "CoverageNote",
    "KubernetesState",
    "ObjectKey",
    "Provenance",
    "Resource",
    "ResourceRef",
    "Snapshot",
    "SourceLocation",
    "content_digest",
]
