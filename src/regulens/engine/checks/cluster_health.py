"""The `cluster-health` check: the morning health check, judged on live status fields.

Status fields exist only in live state (`--cluster`, or a `--snapshot` saved
from one); manifests have none, so every probe errors on them. Each probe
reads only the fields named in its docstring, and says what it measured.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from regulens.engine.checks.base import Check, CheckError
from regulens.engine.context import EvalContext
from regulens.engine.results import Finding
from regulens.engine.timefmt import human, iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Resource, Snapshot
from regulens.snapshot.kubernetes import KubernetesState

Probe = Literal[
    "nodes-ready",
    "workloads-available",
    "pods-not-waiting",
    "container-restarts",
    "pvcs-bound",
    "warning-events",
    "hpa-not-pinned",
    "finished-pods",
]
# live sources keep Events last seen within this long before collection (snapshots stay small)
EVENT_RETENTION = timedelta(hours=2)
# a window that ends at `now` needs state collected at most this long before `now`
MAX_LAG = timedelta(minutes=5)
WAITING_REASONS = frozenset({"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull"})
FINISHED = frozenset({"Succeeded", "Failed"})
STATUS_KINDS = ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
_KINDS: dict[str, frozenset[str]] = {
    "nodes-ready": frozenset({"Node"}),
    "workloads-available": frozenset({"Deployment", "StatefulSet"}),
    "pods-not-waiting": frozenset({"Pod"}),
    "container-restarts": frozenset({"Pod"}),
    "pvcs-bound": frozenset({"PersistentVolumeClaim"}),
    "warning-events": frozenset({"Event"}),
    "hpa-not-pinned": frozenset({"HorizontalPodAutoscaler"}),
    "finished-pods": frozenset({"Pod"}),
}
# probe -> the parameters it requires (and the only ones it accepts)
_PARAMS: dict[str, frozenset[str]] = {
    "container-restarts": frozenset({"window", "max_count"}),
    "warning-events": frozenset({"window", "max_count"}),
    "hpa-not-pinned": frozenset({"max_age"}),
    "finished-pods": frozenset({"max_age"}),
}


def timestamp(value: Any) -> datetime | None:
    """Parse an RFC 3339 timestamp from a status field (None when absent or not one)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _condition(obj: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in _list(_map(obj.get("status")).get("conditions")):
        if cond.get("type") == kind:
            return cond
    return None


def _count(value: Any, default: int = 0) -> int | None:
    """A replica or restart count: absent is `default` (omitempty), a non-integer is None."""
    if value is None:
        return default
    return value if type(value) is int and value >= 0 else None


class ClusterHealth(Check):
    """A daily health probe on live status: nodes, workloads, pods, PVCs, events, HPAs."""

    type: Literal["cluster-health"]
    probe: Probe = Field(description="What to check (see docs/policies.md, Daily operations)")
    window: Duration | None = Field(
        default=None, description="container-restarts, warning-events: the window ending now"
    )
    max_count: int | None = Field(
        default=None,
        ge=0,
        description="container-restarts: restarts per container; warning-events: Warning "
        "Events in the window",
    )
    max_age: Duration | None = Field(
        default=None,
        description="hpa-not-pinned: longest time at maxReplicas; finished-pods: oldest "
        "Succeeded/Failed Pod",
    )
    uses_match = True

    @model_validator(mode="after")
    def _parameters(self) -> ClusterHealth:
        wanted = _PARAMS.get(self.probe, frozenset())
        given = {n for n in ("window", "max_count", "max_age") if getattr(self, n) is not None}
        if given - wanted:
            raise ValueError(f"probe {self.probe} takes no {', '.join(sorted(given - wanted))}")
        if wanted - given:
            raise ValueError(f"probe {self.probe} needs {', '.join(sorted(wanted - given))}")
        if self.probe == "warning-events" and self.window and self.window > EVENT_RETENTION / 2:
            raise ValueError(
                f"warning-events: window must be at most {format_duration(EVENT_RETENTION / 2)} "
                f"(live sources keep Events of the last {format_duration(EVENT_RETENTION)})"
            )
        return self

    def kinds(self) -> frozenset[str] | None:
        """Return the kinds the probe reads (the live source collects them)."""
        return _KINDS[self.probe]

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Refuse state without status fields, then run the probe."""
        state = snap.kubernetes
        assert state is not None
        self._live(state, ctx.now)
        objects = list(ctx.select(state, self.kinds()))
        probe = getattr(self, "_" + self.probe.replace("-", "_"))
        yield from probe(objects, ctx.now)

    def _live(self, state: KubernetesState, now: datetime) -> None:
        prov = state.provenance
        if prov.source != "kubernetes":
            raise CheckError(
                f"{self.probe} judges status fields, which {prov.source} state does not have: "
                "pass --cluster, or a --snapshot saved from a cluster"
            )
        if self.window is None:
            return
        collected = prov.collected_at
        if collected is None:
            raise CheckError("the cluster state has no collection time")
        if collected < now - MAX_LAG:
            raise CheckError(
                f"the cluster state was collected at {iso(collected)}, before the "
                f"{format_duration(self.window)} window ending {iso(now)}: replay with "
                f"--now {iso(collected)}"
            )
        if self.probe == "warning-events" and now - self.window < collected - EVENT_RETENTION:
            raise CheckError(
                f"the snapshot keeps Events from {iso(collected - EVENT_RETENTION)} only, "
                f"after the window starts ({iso(now - self.window)})"
            )

    # --- probes -----------------------------------------------------------------------------

    def _nodes_ready(self, nodes: list[Resource], now: datetime) -> Iterator[Finding]:
        """status.conditions[type=Ready].status is "True"."""
        if not nodes:
            yield Finding(Status.FAIL, "no Node in the cluster state")
        for node in nodes:
            ready = _condition(node.obj, "Ready")
            if ready is None:
                yield Finding(Status.FAIL, "node has no Ready condition", node.ref)
            elif ready.get("status") == "True":
                yield Finding(Status.PASS, "node is Ready", node.ref)
            else:
                since = timestamp(ready.get("lastTransitionTime"))
                when = f" for {human(now - since)}" if since is not None else ""
                reason = ready.get("reason") or "no reason given"
                yield Finding(
                    Status.FAIL,
                    f"node is not Ready (Ready={ready.get('status')}, {reason}){when}",
                    node.ref,
                )

    def _workloads_available(self, objects: list[Resource], now: datetime) -> Iterator[Finding]:
        """status.availableReplicas equals spec.replicas, for the current metadata.generation."""
        for obj in objects:
            spec, status = _map(obj.obj.get("spec")), _map(obj.obj.get("status"))
            desired = _count(spec.get("replicas"), default=1)
            available = _count(status.get("availableReplicas"))
            if desired is None or available is None:
                yield Finding(Status.ERROR, "replica counts are not integers", obj.ref)
                continue
            generation = obj.metadata.get("generation")
            observed = status.get("observedGeneration")
            details = {"desired": desired, "available": available}
            if isinstance(generation, int) and (
                not isinstance(observed, int) or observed < generation
            ):
                yield Finding(
                    Status.FAIL,
                    f"status is for generation {observed}, not the current {generation}: "
                    "the controller has not observed the latest spec",
                    obj.ref,
                    details=details,
                )
            elif available != desired:
                yield Finding(
                    Status.FAIL,
                    f"{available} of {desired} replicas available",
                    obj.ref,
                    details=details,
                )
            else:
                yield Finding(Status.PASS, f"{available}/{desired} available", obj.ref)

    def _pods_not_waiting(self, pods: list[Resource], now: datetime) -> Iterator[Finding]:
        """No container status has state.waiting.reason CrashLoopBackOff/ImagePullBackOff."""
        for pod in pods:
            bad = [
                f"{c.get('name')!s}: {_map(_map(c.get('state')).get('waiting')).get('reason')}"
                for c in _statuses(pod)
                if _map(_map(c.get("state")).get("waiting")).get("reason") in WAITING_REASONS
            ]
            if bad:
                yield Finding(Status.FAIL, "container(s) " + "; ".join(bad), pod.ref)
            else:
                yield Finding(Status.PASS, "no container in back-off", pod.ref)

    def _container_restarts(self, pods: list[Resource], now: datetime) -> Iterator[Finding]:
        """restartCount of containers whose last termination (or unknown) is in the window."""
        assert self.window is not None and self.max_count is not None
        start = now - self.window
        for pod in pods:
            started = timestamp(_map(pod.obj.get("status")).get("startTime"))
            exact = started is not None and started >= start
            over = []
            for c in _statuses(pod):
                count = _count(c.get("restartCount"))
                if count is None:
                    yield Finding(Status.ERROR, f"{c.get('name')!s}: restartCount", pod.ref)
                    break
                if count == 0:
                    continue
                terminated = _map(_map(c.get("lastState")).get("terminated"))
                finished = timestamp(terminated.get("finishedAt"))
                if finished is not None and finished < start:
                    continue  # the last restart is older than the window: none in it
                if count > self.max_count:
                    when = f"last at {iso(finished)}" if finished else "last time unknown"
                    bound = "" if exact else " (at most: restarts since the Pod started)"
                    why = terminated.get("reason")
                    over.append(
                        f"{c.get('name')!s} restarted {count} time(s){bound}, {when}"
                        + (f" ({why})" if why else "")
                    )
            else:
                if over:
                    yield Finding(
                        Status.FAIL,
                        f"more than {self.max_count} restart(s) in the last "
                        f"{format_duration(self.window)}: " + "; ".join(over),
                        pod.ref,
                    )
                else:
                    yield Finding(Status.PASS, "restarts within the limit", pod.ref)

    def _pvcs_bound(self, claims: list[Resource], now: datetime) -> Iterator[Finding]:
        """status.phase is Bound."""
        for pvc in claims:
            phase = _map(pvc.obj.get("status")).get("phase")
            if phase == "Bound":
                yield Finding(Status.PASS, "Bound", pvc.ref)
            else:
                yield Finding(Status.FAIL, f"claim is {phase or 'without a phase'}", pvc.ref)

    def _warning_events(self, events: list[Resource], now: datetime) -> Iterator[Finding]:
        """Events of type Warning last seen in the window (unknown time: counted)."""
        assert self.window is not None and self.max_count is not None
        start = now - self.window
        seen = [e for e in events if e.obj.get("type") == "Warning" and _last_seen(e, start)]
        reasons = Counter(str(e.obj.get("reason") or "(none)") for e in seen)
        top = ", ".join(f"{r} x{n}" for r, n in reasons.most_common(5))
        details = {
            "count": len(seen),
            "max_count": self.max_count,
            "reasons": dict(reasons.most_common()),
            "events": [_event_json(e) for e in seen[:10]],
        }
        window = format_duration(self.window)
        if len(seen) > self.max_count:
            yield Finding(
                Status.FAIL,
                f"{len(seen)} Warning event(s) in the last {window} (max {self.max_count}): {top}",
                details=details,
            )
        else:
            yield Finding(
                Status.PASS,
                f"{len(seen)} Warning event(s) in the last {window} (max {self.max_count})",
                details=details,
            )

    def _hpa_not_pinned(self, hpas: list[Resource], now: datetime) -> Iterator[Finding]:
        """status.currentReplicas below spec.maxReplicas, or at it since lastScaleTime < max_age."""
        assert self.max_age is not None
        for hpa in hpas:
            spec, status = _map(hpa.obj.get("spec")), _map(hpa.obj.get("status"))
            top, current = (
                _count(spec.get("maxReplicas"), -1),
                _count(status.get("currentReplicas")),
            )
            if top is None or current is None or top < 0:
                yield Finding(Status.ERROR, "maxReplicas/currentReplicas are not integers", hpa.ref)
                continue
            if current < top:
                yield Finding(Status.PASS, f"{current} of at most {top} replicas", hpa.ref)
                continue
            since = timestamp(status.get("lastScaleTime"))
            limited = _condition(hpa.obj, "ScalingLimited")
            if since is None and limited is not None and limited.get("status") == "True":
                since = timestamp(limited.get("lastTransitionTime"))
            if since is None:
                yield Finding(Status.FAIL, f"at maxReplicas ({top}) since an unknown time", hpa.ref)
            elif now - since > self.max_age:
                yield Finding(
                    Status.FAIL,
                    f"at maxReplicas ({top}) for {human(now - since)} (since {iso(since)}), "
                    f"longer than {format_duration(self.max_age)}",
                    hpa.ref,
                )
            else:
                yield Finding(
                    Status.PASS, f"at maxReplicas ({top}) for {human(now - since)}", hpa.ref
                )

    def _finished_pods(self, pods: list[Resource], now: datetime) -> Iterator[Finding]:
        """Succeeded/Failed Pods finished (newest terminated.finishedAt) within max_age."""
        assert self.max_age is not None
        for pod in pods:
            status = _map(pod.obj.get("status"))
            phase = status.get("phase")
            if phase not in FINISHED:
                continue
            ends = [
                t
                for c in _statuses(pod)
                if (t := timestamp(_map(_map(c.get("state")).get("terminated")).get("finishedAt")))
            ]
            # no finish time: the start (or creation) is earlier, so the age is over-estimated
            finished = (
                max(ends)
                if ends
                else timestamp(status.get("startTime"))
                or timestamp(pod.metadata.get("creationTimestamp"))
            )
            if finished is None:
                yield Finding(Status.FAIL, f"{phase} Pod with no time at all", pod.ref)
            elif now - finished > self.max_age:
                yield Finding(
                    Status.FAIL,
                    f"{phase} {human(now - finished)} ago (at {iso(finished)}), older than "
                    f"{format_duration(self.max_age)}: delete it",
                    pod.ref,
                )
            else:
                yield Finding(Status.PASS, f"{phase} {human(now - finished)} ago", pod.ref)


def _statuses(pod: Resource) -> Iterator[Mapping[str, Any]]:
    status = _map(pod.obj.get("status"))
    for field in STATUS_KINDS:
        yield from _list(status.get(field))


def event_last_seen(obj: Mapping[str, Any]) -> datetime | None:
    """The last time an Event occurred: series, lastTimestamp, eventTime, then creation."""
    series = _map(obj.get("series"))
    for value in (
        series.get("lastObservedTime"),
        obj.get("lastTimestamp"),
        obj.get("eventTime"),
        _map(obj.get("metadata")).get("creationTimestamp"),
    ):
        at = timestamp(value)
        if at is not None:
            return at
    return None


def _last_seen(event: Resource, start: datetime) -> bool:
    at = event_last_seen(event.obj)
    return at is None or at >= start


def _event_json(event: Resource) -> dict[str, Any]:
    involved = _map(event.obj.get("involvedObject"))
    at = event_last_seen(event.obj)
    return {
        "namespace": event.namespace,
        "reason": event.obj.get("reason"),
        "object": f"{involved.get('kind')}/{involved.get('name')}",
        "last_seen": iso(at) if at else None,
        "count": event.obj.get("count"),
    }
