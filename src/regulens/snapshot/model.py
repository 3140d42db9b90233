"""The snapshot: every input section of one run, each optional and typed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from regulens.snapshot.audit import AuditPolicyFile
from regulens.snapshot.audit_events import AuditEventsState
from regulens.snapshot.backups import BackupsState
from regulens.snapshot.change import ChangeRequest
from regulens.snapshot.drills import DrillsState
from regulens.snapshot.incidents import IncidentsState
from regulens.snapshot.kubernetes import KubernetesState
from regulens.snapshot.metrics import MetricsState
from regulens.snapshot.scans import ScanSet

SNAPSHOT_VERSION = 1


class Snapshot(BaseModel):
    """All inputs of one evaluation. A section that is None was not given at all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = SNAPSHOT_VERSION
    kubernetes: KubernetesState | None = None
    change: ChangeRequest | None = None
    audit_policy: AuditPolicyFile | None = None
    baseline: KubernetesState | None = None  # current state a change is compared against
    backups: BackupsState | None = None
    drills: DrillsState | None = None
    metrics: MetricsState | None = None
    scans: ScanSet | None = None
    incidents: IncidentsState | None = None
    audit_events: AuditEventsState | None = None
