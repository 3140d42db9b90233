"""Helpers for engine tests: build policies and snapshots from plain data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from regulens.engine.policy import Policy, PolicySet
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)


def policy(check: dict[str, Any], **fields: Any) -> Policy:
    doc = {
        "apiVersion": "regulens/v1",
        "kind": "PolicySet",
        "metadata": {"name": "t"},
        "policies": [
            {
                "id": fields.pop("id", "p"),
                "title": "t",
                "severity": "high",
                "check": check,
                **fields,
            }
        ],
    }
    return PolicySet.model_validate_json(orjson.dumps(doc), strict=True).policies[0]


def snapshot(objects: Sequence[dict[str, Any]]) -> Snapshot:
    state = KubernetesState.model_construct(
        provenance=Provenance(source="test"),
        resources=tuple(Resource.from_object(o) for o in objects),
        gaps=(),
    )
    return Snapshot(kubernetes=state)


def deployment(
    name: str, *, ns: str = "app", image: str = "app:v1", **container: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "c", "image": image, **container}]}},
        },
    }
