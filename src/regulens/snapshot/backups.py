"""The backups section: backup records and schedules from CronJobs, Velero and a catalog file."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from regulens.snapshot.kubernetes import Provenance
from regulens.snapshot.resources import ResourceRef

TARGET_LABEL = "regulens.io/backup-target"
KIND_LABEL = "regulens.io/backup-kind"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BackupOrigin(StrEnum):
    """Where a backup record or schedule was read from."""

    CRONJOB = "cronjob"
    VELERO = "velero"
    CATALOG = "catalog"


class BackupStatus(StrEnum):
    """The outcome of one backup run."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ObjectRef(_Strict):
    """The Kubernetes object a record or schedule came from."""

    api_version: str
    kind: str
    namespace: str | None = None
    name: str

    def to_ref(self) -> ResourceRef:
        """Return the engine's resource reference."""
        return ResourceRef(self.api_version, self.kind, self.namespace, self.name)


class BackupRecord(_Strict):
    """One finished backup run of a target."""

    target: str = Field(min_length=1)
    kind: str = Field(min_length=1, description="database | configuration | ...")
    completed_at: AwareDatetime
    status: BackupStatus
    location: str | None = None
    origin: BackupOrigin
    schedule: str | None = Field(default=None, description="Cron text or schedule name, if known")
    object: ObjectRef | None = None
    source: str = Field(description="File or object the record was read from")


class BackupSchedule(_Strict):
    """How often a target is backed up, as configured."""

    target: str
    schedule: str = Field(description="Cron text, e.g. */15 * * * *")
    interval_seconds: float | None = Field(
        description="The longest gap between two runs; None when it cannot be computed"
    )
    suspended: bool = False
    problem: str | None = Field(default=None, description="Why the interval is unknown")
    origin: BackupOrigin
    object: ObjectRef | None = None


class BackupsState(_Strict):
    """Every backup record and schedule known to the run."""

    provenance: Provenance
    records: tuple[BackupRecord, ...] = ()
    schedules: tuple[BackupSchedule, ...] = ()
    gaps: tuple[str, ...] = Field(
        default=(), description="Sources that could not be read (e.g. CronJob list forbidden)"
    )

    def records_of(self, target: str) -> list[BackupRecord]:
        """Return the records of one target."""
        return [r for r in self.records if r.target == target]

    def schedules_of(self, target: str) -> list[BackupSchedule]:
        """Return the schedules of one target."""
        return [s for s in self.schedules if s.target == target]


__all__ = [
    "KIND_LABEL",
    "TARGET_LABEL",
    "BackupOrigin",
    "BackupRecord",
    "BackupSchedule",
    "BackupStatus",
    "BackupsState",
    "ObjectRef",
]
