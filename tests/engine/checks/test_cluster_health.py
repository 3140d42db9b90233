"""cluster-health: parameters are checked per probe; odd status values error, never pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from regulens.engine import EvalContext, evaluate
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.sources.status_fields import slim_status
from tests.engine.helpers import NOW, policy


def live(objects: list[dict[str, Any]], collected: Any = NOW) -> Snapshot:
    state = KubernetesState.model_construct(
        provenance=Provenance(source="kubernetes", collected_at=collected),
        resources=tuple(Resource.from_object(o) for o in objects),
        gaps=(),
    )
    return Snapshot(kubernetes=state)


def statuses(check: dict[str, Any], objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    results = evaluate([policy(check)], live(objects), EvalContext(now=NOW))
    return [(r.status.value, r.message) for r in results]


@pytest.mark.parametrize(
    ("check", "text"),
    [
        ({"probe": "nodes-ready", "window": "1h"}, "takes no window"),
        ({"probe": "container-restarts", "window": "24h"}, "needs max_count"),
        ({"probe": "hpa-not-pinned"}, "needs max_age"),
        ({"probe": "warning-events", "window": "3h", "max_count": 1}, "at most 1h"),
        ({"probe": "pods-crashing"}, "probe"),
    ],
)
def test_parameters_are_checked_per_probe(check: dict[str, Any], text: str) -> None:
    with pytest.raises(ValidationError, match=text):
        policy({"type": "cluster-health", **check})


def test_non_integer_replica_counts_error() -> None:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "a"},
        "spec": {"replicas": "3"},
        "status": {"availableReplicas": 3},
    }
    check = {"type": "cluster-health", "probe": "workloads-available"}
    assert statuses(check, [deploy]) == [("error", "replica counts are not integers")]


def test_a_wrong_type_restart_count_errors() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "status": {"containerStatuses": [{"name": "c", "restartCount": "many"}]},
    }
    check = {"type": "cluster-health", "probe": "container-restarts", "window": "24h"}
    assert statuses({**check, "max_count": 1}, [pod]) == [("error", "c: restartCount")]


def test_no_nodes_fail() -> None:
    check = {"type": "cluster-health", "probe": "nodes-ready"}
    assert statuses(check, []) == [("fail", "no Node in the cluster state")]


def test_events_older_than_the_kept_span_are_dropped_and_the_rest_trimmed() -> None:
    def event(minutes: int) -> dict[str, Any]:
        at = (NOW - timedelta(minutes=minutes)).isoformat()
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"e{minutes}", "namespace": "a", "annotations": {"x": "y"}},
            "type": "Warning",
            "lastTimestamp": at,
            "message": "m" * 1000,
            "source": {"host": "worker-1"},
        }

    assert slim_status(event(121), NOW) is None
    kept = slim_status(event(119), NOW)
    assert kept is not None and len(kept["message"]) == 256
    assert "source" not in kept and "annotations" not in kept["metadata"]


def test_manifest_state_errors_naming_the_input() -> None:
    state = KubernetesState.model_construct(
        provenance=Provenance(source="manifests"), resources=(), gaps=()
    )
    check = {"type": "cluster-health", "probe": "pvcs-bound"}
    results = evaluate([policy(check)], Snapshot(kubernetes=state), EvalContext(now=NOW))
    assert [r.status.value for r in results] == ["error"]
    assert "manifests state does not have" in results[0].message
