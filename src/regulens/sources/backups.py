"""Backup records and schedules, normalised in one place from their three sources.

- CronJobs labelled `regulens.io/backup-target=<name>`: `status.lastSuccessfulTime`
  is a successful run, the Jobs they own add failed (and completed) runs, and
  `spec.schedule` is the schedule.
- Velero `Backup` objects (phase, `completionTimestamp`, schedule label) and
  `Schedule`s; their target is the `regulens.io/backup-target` label of the
  Backup or of its Schedule.
- A catalog file (`--backups FILE`): a YAML/JSON list of
  `{target, kind, completed_at, status, location}`, e.g. exported from an S3 listing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from regulens.snapshot import KubernetesState, Provenance, Resource
from regulens.snapshot.backups import (
    KIND_LABEL,
    TARGET_LABEL,
    BackupOrigin,
    BackupRecord,
    BackupSchedule,
    BackupsState,
    BackupStatus,
    ObjectRef,
)
from regulens.sources.cron import max_interval
from regulens.sources.datafile import read_data_file, validate_data

log = logging.getLogger(__name__)

VELERO_GROUP = "velero.io"
SCHEDULE_NAME_LABEL = "velero.io/schedule-name"
BACKUP_KINDS = frozenset({"CronJob", "Job", "Backup", "Schedule"})
_VELERO_DONE = {
    "Completed": BackupStatus.SUCCEEDED,
    "PartiallyFailed": BackupStatus.FAILED,
    "Failed": BackupStatus.FAILED,
    "FailedValidation": BackupStatus.FAILED,
}


class CatalogEntry(BaseModel):
    """One backup in a catalog file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    completed_at: AwareDatetime
    status: BackupStatus
    location: str | None = None


class BackupCatalog(RootModel[tuple[CatalogEntry, ...]]):
    """A backup catalog file: a list of backups."""


def read_catalog(path: str) -> tuple[list[BackupRecord], str]:
    """Read a catalog file into records; return them with the file's digest."""
    file = read_data_file(path, "backup catalog")
    catalog = validate_data(file, BackupCatalog)
    records = [
        BackupRecord(
            target=e.target,
            kind=e.kind,
            completed_at=e.completed_at,
            status=e.status,
            location=e.location,
            origin=BackupOrigin.CATALOG,
            source=f"{path}[{i}]",
        )
        for i, e in enumerate(catalog.root)
    ]
    return records, file.digest


def has_backup_objects(state: KubernetesState) -> bool:
    """True when the Kubernetes section holds labelled backup CronJobs or Velero objects."""
    if any(TARGET_LABEL in r.labels for r in state.of_kind("CronJob")):
        return True
    return any(r.group == VELERO_GROUP for r in state.of_kinds(("Backup", "Schedule")))


def build_backups(kubernetes: KubernetesState | None, catalog: str | None) -> BackupsState | None:
    """Normalise every backup source given; None when there is no backup data at all."""
    records: list[BackupRecord] = []
    schedules: list[BackupSchedule] = []
    gaps: list[str] = []
    inputs: list[str] = []
    digest = ""
    sources: list[str] = []
    if kubernetes is not None and (has_backup_objects(kubernetes) or kubernetes.gaps):
        records.extend(_from_cronjobs(kubernetes))
        records.extend(_from_velero(kubernetes))
        schedules.extend(_cronjob_schedules(kubernetes))
        schedules.extend(_velero_schedules(kubernetes))
        gaps.extend(g.describe() for g in kubernetes.gaps_for(BACKUP_KINDS, None))
        sources.append(kubernetes.provenance.source)
        inputs.extend(kubernetes.provenance.inputs)
    if catalog is not None:
        catalog_records, digest = read_catalog(catalog)
        records.extend(catalog_records)
        sources.append("backups")
        inputs.append(catalog)
    if not records and not schedules and not gaps and catalog is None:
        return None
    unique = {(r.target, r.completed_at, r.status, r.origin, r.source): r for r in records}
    ordered = sorted(unique.values(), key=lambda r: (r.target, r.completed_at, r.source))
    return BackupsState(
        provenance=Provenance(source="+".join(sources), digest=digest, inputs=tuple(inputs)),
        records=tuple(ordered),
        schedules=tuple(schedules),
        gaps=tuple(gaps),
    )


def _ref(resource: Resource) -> ObjectRef:
    r = resource.ref
    return ObjectRef(api_version=r.api_version, kind=r.kind, namespace=r.namespace, name=r.name)


def _time(value: Any) -> datetime | None:
    """Parse a Kubernetes RFC 3339 timestamp; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _get(obj: Mapping[str, Any], *path: str) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _backup_cronjobs(state: KubernetesState) -> Iterator[tuple[Resource, str, str]]:
    for cron in state.of_kind("CronJob"):
        target = cron.labels.get(TARGET_LABEL)
        if target:
            yield cron, target, cron.labels.get(KIND_LABEL) or target


def _from_cronjobs(state: KubernetesState) -> Iterator[BackupRecord]:
    owned: dict[tuple[str | None, str], tuple[Resource, str, str]] = {}
    for cron, target, kind in _backup_cronjobs(state):
        owned[(cron.namespace, cron.name)] = (cron, target, kind)
        done = _time(_get(cron.obj, "status", "lastSuccessfulTime"))
        if done is None:
            continue
        yield BackupRecord(
            target=target,
            kind=kind,
            completed_at=done,
            status=BackupStatus.SUCCEEDED,
            location=None,
            origin=BackupOrigin.CRONJOB,
            schedule=_get(cron.obj, "spec", "schedule"),
            object=_ref(cron),
            source=f"CronJob {cron.namespace}/{cron.name}",
        )
    for job in state.of_kind("Job"):
        owner = _cronjob_owner(job)
        if owner is None or (job.namespace, owner) not in owned:
            continue
        cron, target, kind = owned[(job.namespace, owner)]
        outcome = _job_outcome(job)
        if outcome is None:
            continue
        status, at = outcome
        yield BackupRecord(
            target=target,
            kind=kind,
            completed_at=at,
            status=status,
            origin=BackupOrigin.CRONJOB,
            schedule=_get(cron.obj, "spec", "schedule"),
            object=_ref(job),
            source=f"Job {job.namespace}/{job.name}",
        )


def _cronjob_owner(job: Resource) -> str | None:
    refs = job.metadata.get("ownerReferences")
    if not isinstance(refs, list):
        return None
    for ref in refs:
        if isinstance(ref, Mapping) and ref.get("kind") == "CronJob":
            name = ref.get("name")
            return name if isinstance(name, str) else None
    return None


def _job_outcome(job: Resource) -> tuple[BackupStatus, datetime] | None:
    conditions = _get(job.obj, "status", "conditions")
    if not isinstance(conditions, list):
        return None
    for cond in conditions:
        if not isinstance(cond, Mapping) or cond.get("status") != "True":
            continue
        if cond.get("type") == "Failed":
            at = _time(cond.get("lastTransitionTime"))
            return (BackupStatus.FAILED, at) if at is not None else None
        if cond.get("type") == "Complete":
            at = _time(_get(job.obj, "status", "completionTime")) or _time(
                cond.get("lastTransitionTime")
            )
            return (BackupStatus.SUCCEEDED, at) if at is not None else None
    return None


def _schedule(
    target: str, expression: Any, suspended: bool, origin: BackupOrigin, resource: Resource
) -> BackupSchedule:
    text = expression if isinstance(expression, str) else ""
    interval: float | None = None
    problem: str | None = None
    try:
        interval = max_interval(text)
    except ValueError as exc:
        problem = str(exc)
    return BackupSchedule(
        target=target,
        schedule=text,
        interval_seconds=interval,
        suspended=suspended,
        problem=problem,
        origin=origin,
        object=_ref(resource),
    )


def _cronjob_schedules(state: KubernetesState) -> Iterator[BackupSchedule]:
    for cron, target, _ in _backup_cronjobs(state):
        suspended = _get(cron.obj, "spec", "suspend") is True
        yield _schedule(
            target, _get(cron.obj, "spec", "schedule"), suspended, BackupOrigin.CRONJOB, cron
        )


def _velero_objects(state: KubernetesState, kind: str) -> Iterable[Resource]:
    return (r for r in state.of_kind(kind) if r.group == VELERO_GROUP)


def _velero_targets(state: KubernetesState) -> dict[tuple[str | None, str], tuple[str, str]]:
    out = {}
    for sched in _velero_objects(state, "Schedule"):
        target = sched.labels.get(TARGET_LABEL)
        if target:
            out[(sched.namespace, sched.name)] = (target, sched.labels.get(KIND_LABEL) or target)
    return out


def _from_velero(state: KubernetesState) -> Iterator[BackupRecord]:
    by_schedule = _velero_targets(state)
    for backup in _velero_objects(state, "Backup"):
        schedule = backup.labels.get(SCHEDULE_NAME_LABEL)
        target = backup.labels.get(TARGET_LABEL)
        kind = backup.labels.get(KIND_LABEL)
        if not target and schedule:
            target, inherited = by_schedule.get((backup.namespace, schedule), ("", ""))
            kind = kind or inherited
        if not target:
            log.info("Velero Backup %s has no backup target; ignored", backup.ref)
            continue
        status = _VELERO_DONE.get(str(_get(backup.obj, "status", "phase")))
        done = _time(_get(backup.obj, "status", "completionTimestamp"))
        if status is None or done is None:
            continue  # New / InProgress / Deleting: not a finished run
        location = _get(backup.obj, "spec", "storageLocation")
        yield BackupRecord(
            target=target,
            kind=kind or target,
            completed_at=done,
            status=status,
            location=f"velero:{location}" if isinstance(location, str) else None,
            origin=BackupOrigin.VELERO,
            schedule=schedule,
            object=_ref(backup),
            source=f"Backup {backup.namespace}/{backup.name}",
        )


def _velero_schedules(state: KubernetesState) -> Iterator[BackupSchedule]:
    targets = _velero_targets(state)
    for sched in _velero_objects(state, "Schedule"):
        found = targets.get((sched.namespace, sched.name))
        if found is None:
            continue
        paused = _get(sched.obj, "spec", "paused") is True
        yield _schedule(
            found[0], _get(sched.obj, "spec", "schedule"), paused, BackupOrigin.VELERO, sched
        )
