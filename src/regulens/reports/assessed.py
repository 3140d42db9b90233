"""What a compliance report assessed: clusters, failing resources, control status, sign-offs.

Pure: verified records in, a frozen model out (serialised into the report facts
under `assessment`). OSCAL names its subjects, observations, findings and
actors from it; every entry carries the run ids it came from.

A cluster is an evidence stream (one scheduled regulens per cluster writes one
stream), with the sources its Kubernetes input was read from.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from regulens.reports.runs import Period, RunRecord, month_period
from regulens.reports.signoff import SIGNOFF_COMMAND, in_force, signoff_of

_FAILING = ("fail", "warn", "error")
_RANK = {"error": 0, "fail": 1, "warn": 2, "pass": 3, "skip": 4}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


_Key = tuple[str, str, str, str]
SectionLookup = Callable[[str], Mapping[str, Any] | None]  # a stored section by digest


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AssessedResource(_Frozen):
    """The Kubernetes object a result judged."""

    api_version: str
    kind: str
    namespace: str | None
    name: str


class ClusterIdentity(_Frozen):
    """Which API server a live snapshot was read from (the stored section's provenance)."""

    server: str
    context: str | None
    kube_system_uid: str | None  # the kube-system namespace UID: a stable cluster id


class Cluster(_Frozen):
    """One assessed cluster: an evidence stream and the sources its Kubernetes input came from."""

    stream: str
    sources: tuple[str, ...]
    identity: ClusterIdentity | None  # from the newest live snapshot of the stream, if stored
    runs: tuple[str, ...]
    resources: tuple[AssessedResource, ...]  # every object a result of the period judged


class FailingResource(_Frozen):
    """A resource (or the whole input, `resource` None) that a policy failed in one stream."""

    stream: str
    policy: str
    controls: tuple[str, ...]
    resource: AssessedResource | None
    runs: tuple[str, ...]  # the runs in which it failed, in order
    last_status: str  # its worst status in the last failing run
    last_message: str
    failing_now: bool  # it still fails in the stream's last run that evaluated the policy


class ControlStatus(_Frozen):
    """A control's status in one stream at the stream's last run that evaluated it."""

    control: str
    stream: str
    status: str
    run: str


class Reviewer(_Frozen):
    """A monthly review sign-off in force for a month of the period (`review sign`)."""

    reviewer: str
    month: str
    date: str
    run: str
    stream: str
    seq: int
    recorded_at: str
    digest: str


class Assessment(_Frozen):
    """Everything the OSCAL output names that the per-control tallies do not carry."""

    clusters: tuple[Cluster, ...]
    failing: tuple[FailingResource, ...]
    control_status: tuple[ControlStatus, ...]
    signoffs: tuple[Reviewer, ...]


def _worst(statuses: Iterable[str]) -> str:
    return min(statuses, key=lambda s: _RANK.get(s, 0), default="skip")


def _resource(value: object) -> AssessedResource | None:
    if not isinstance(value, Mapping):
        return None
    kind, name = value.get("kind"), value.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    namespace = value.get("namespace")
    api_version = value.get("apiVersion")
    return AssessedResource(
        api_version=api_version if isinstance(api_version, str) else "",
        kind=kind,
        namespace=namespace if isinstance(namespace, str) and namespace else None,
        name=name,
    )


def _key(res: AssessedResource | None) -> _Key:
    if res is None:
        return ("", "", "", "")
    return (res.api_version, res.kind, res.namespace or "", res.name)


def _evaluating(records: Sequence[RunRecord]) -> list[RunRecord]:
    return [r for r in records if r.command != SIGNOFF_COMMAND and r.results]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def identity_of(section: Mapping[str, Any] | None) -> ClusterIdentity | None:
    """The cluster identity a stored Kubernetes section records (None when it records none)."""
    provenance = section.get("provenance") if section is not None else None
    cluster = provenance.get("cluster") if isinstance(provenance, Mapping) else None
    if not isinstance(cluster, Mapping) or _text(cluster.get("server")) is None:
        return None
    return ClusterIdentity(
        server=str(cluster["server"]),
        context=_text(cluster.get("context")),
        kube_system_uid=_text(cluster.get("kube_system_uid")),
    )


def clusters(records: Sequence[RunRecord], sections: SectionLookup | None = None) -> list[Cluster]:
    """One cluster per stream that recorded a run, with its Kubernetes input sources.

    `sections` reads a stored snapshot section by digest; the newest live
    (`kubernetes`) input of each stream names the cluster's API server and UID.
    """
    newest_live: dict[str, str] = {}
    sources: dict[str, dict[str, None]] = defaultdict(dict)
    runs: dict[str, list[str]] = defaultdict(list)
    judged: dict[str, dict[_Key, AssessedResource]] = defaultdict(dict)
    for record in records:
        if record.command == SIGNOFF_COMMAND:
            continue
        runs[record.stream].append(record.run_id)
        for r in record.results:
            res = _resource(r.get("resource"))
            if res is not None:
                judged[record.stream].setdefault(_key(res), res)
        kube = record.inputs.get("kubernetes")
        if kube is not None and isinstance(kube.get("source"), str):
            sources[record.stream][str(kube["source"])] = None
            if kube["source"] == "kubernetes" and isinstance(kube.get("digest"), str):
                newest_live[record.stream] = str(kube["digest"])
    return [
        Cluster(
            stream=s,
            sources=tuple(sorted(sources[s])),
            identity=(
                identity_of(sections(newest_live[s]))
                if sections is not None and s in newest_live
                else None
            ),
            runs=tuple(runs[s]),
            resources=tuple(judged[s][k] for k in sorted(judged[s])),
        )
        for s in sorted(runs)
    ]


@dataclass
class _Failing:
    resource: AssessedResource | None
    runs: list[str] = field(default_factory=list)
    status: str = "error"
    message: str = ""
    controls: tuple[str, ...] = ()


def failing_resources(records: Sequence[RunRecord]) -> list[FailingResource]:
    """Per stream, policy and resource: the runs it failed in, and whether it still fails."""
    found: dict[tuple[str, str, _Key], _Failing] = {}
    last_failing: dict[tuple[str, str], set[_Key]] = {}
    for record in _evaluating(records):
        per_resource: dict[tuple[str, _Key], list[Mapping[str, Any]]] = defaultdict(list)
        evaluated: set[str] = set()
        for r in record.results:
            policy = str(r.get("policy", ""))
            evaluated.add(policy)
            if r.get("status") in _FAILING:
                per_resource[(policy, _key(_resource(r.get("resource"))))].append(r)
        for policy in evaluated:
            last_failing[(record.stream, policy)] = set()
        for (policy, key), results in per_resource.items():
            last_failing[(record.stream, policy)].add(key)
            first = results[0]
            entry = found.setdefault(
                (record.stream, policy, key), _Failing(_resource(first.get("resource")))
            )
            entry.runs.append(record.run_id)
            entry.status = _worst(str(r.get("status")) for r in results)
            entry.message = str(first.get("message") or "")
            entry.controls = tuple(str(c) for c in first.get("controls") or ())
    return [
        FailingResource(
            stream=stream,
            policy=policy,
            controls=entry.controls,
            resource=entry.resource,
            runs=tuple(entry.runs),
            last_status=entry.status,
            last_message=entry.message,
            failing_now=key in last_failing.get((stream, policy), set()),
        )
        for (stream, policy, key), entry in sorted(found.items())
    ]


def control_status(records: Sequence[RunRecord]) -> list[ControlStatus]:
    """Each control's worst policy status at each stream's last run that evaluated it."""
    latest: dict[tuple[str, str], ControlStatus] = {}
    for record in _evaluating(records):
        per_control: dict[str, list[str]] = defaultdict(list)
        for r in record.results:
            for control in r.get("controls") or ():
                per_control[str(control)].append(str(r.get("status", "error")))
        for control, statuses in per_control.items():
            latest[(control, record.stream)] = ControlStatus(
                control=control, stream=record.stream, status=_worst(statuses), run=record.run_id
            )
    return [latest[k] for k in sorted(latest)]


def _overlaps(month: str, period: Period) -> bool:
    if _MONTH.fullmatch(month) is None:
        return False
    span = month_period(month)
    return span.since < period.until and period.since < span.until


def reviewers(records: Iterable[RunRecord], period: Period) -> list[Reviewer]:
    """Sign-offs in force of the months the period overlaps, whenever they were recorded."""
    every = list(records)
    by_run = {r.run_id: r for r in every if r.command == SIGNOFF_COMMAND}
    found = [
        s
        for r in every
        if r.command == SIGNOFF_COMMAND
        and (s := signoff_of(r.run_id, r.stream, r.seq, r.predicate)) is not None
    ]
    return [
        Reviewer(
            reviewer=s.reviewer,
            month=s.month,
            date=s.date,
            run=s.run_id,
            stream=s.stream,
            seq=s.seq,
            recorded_at=by_run[s.run_id].recorded_at,
            digest=by_run[s.run_id].digest,
        )
        for s in in_force(found)
        if _overlaps(s.month, period)
    ]


def assessment(
    chosen: Sequence[RunRecord],
    every: Iterable[RunRecord],
    period: Period,
    sections: SectionLookup | None = None,
) -> Assessment:
    """The assessment facts of the runs `chosen` for `period` (sign-offs from `every` record)."""
    return Assessment(
        clusters=tuple(clusters(chosen, sections)),
        failing=tuple(failing_resources(chosen)),
        control_status=tuple(control_status(chosen)),
        signoffs=tuple(reviewers(every, period)),
    )
