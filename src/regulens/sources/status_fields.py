"""Keep only the status fields the checks judge, so live snapshots stay small.

Node status lists every image on the node and Pod status repeats image IDs,
IPs and conditions; the `cluster-health` probes read a few fields only. Events
are kept only when last seen within EVENT_RETENTION before the collection
(the `warning-events` window must fit inside it), trimmed to what a finding
names. Objects of other kinds are kept whole.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from regulens.engine.checks.cluster_health import EVENT_RETENTION, event_last_seen

MAX_MESSAGE = 256
_CONTAINER_STATUS = ("name", "ready", "restartCount", "state", "lastState")
_POD_STATUS = ("phase", "reason", "startTime")
_CONDITION = ("type", "status", "reason", "lastTransitionTime")
_EVENT = (
    "apiVersion",
    "kind",
    "type",
    "reason",
    "involvedObject",
    "count",
    "firstTimestamp",
    "lastTimestamp",
    "eventTime",
    "series",
)
_CONTAINER_FIELDS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: source[k] for k in keys if k in source}


def _conditions(status: dict[str, Any]) -> list[Any]:
    conditions = status.get("conditions")
    if not isinstance(conditions, list):
        return []
    return [_pick(c, _CONDITION) if isinstance(c, dict) else c for c in conditions]


def slim_status(item: dict[str, Any], collected_at: datetime) -> dict[str, Any] | None:
    """Return the object with only the judged status fields, or None for an old Event."""
    kind = item.get("kind")
    status = item.get("status")
    if kind == "Event":
        seen = event_last_seen(item)
        if seen is not None and seen < collected_at - EVENT_RETENTION:
            return None
        out = _pick(item, _EVENT)
        meta = item.get("metadata")
        if isinstance(meta, dict):
            out["metadata"] = _pick(meta, ("name", "namespace", "uid", "creationTimestamp"))
        message = item.get("message")
        if isinstance(message, str):
            out["message"] = message[:MAX_MESSAGE]
        return out
    if not isinstance(status, dict):
        return item
    if kind == "Node":
        item["status"] = {"conditions": _conditions(status)}
    elif kind == "Pod":
        slim = _pick(status, _POD_STATUS)
        for field in _CONTAINER_FIELDS:
            values = status.get(field)
            if isinstance(values, list):
                slim[field] = [
                    _pick(v, _CONTAINER_STATUS) if isinstance(v, dict) else v for v in values
                ]
        item["status"] = slim
    return item
