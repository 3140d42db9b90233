"""The audit-events section: Kubernetes audit logs reduced to bounded, typed counters.

A 1 GB audit log never enters the snapshot. The source streams it once and
keeps, per time window the policies judge, one tally per (category, user,
detail) with its count, first and last time and the first few matching
events (so findings can name audit IDs), plus what could not be read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from regulens.snapshot.kubernetes import Provenance

MAX_SAMPLES = 5  # matching events kept per tally
MAX_TALLIES = 10_000  # distinct (category, user, detail) per window; more is a problem
MIN_SILENCE = timedelta(minutes=10)  # shorter runs of minutes without any event are not kept
MAX_SILENCES = 100


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AuditCategory(StrEnum):
    """What kind of security event a tally counts."""

    FAILED_AUTHENTICATION = "failed-authentication"  # responseStatus.code 401
    AUTHORIZATION_DENIED = "authorization-denied"  # responseStatus.code 403
    ROLE_BINDING_WRITE = "role-binding-write"  # create/update/patch (Cluster)RoleBinding
    ESCALATING_VERB = "escalating-verb"  # escalate, bind, impersonate
    KUBE_SYSTEM_EXEC = "kube-system-exec"  # pods/exec or pods/attach in kube-system
    TOKEN_REQUEST = "token-request"  # noqa: S105 - create serviceaccounts/token
    SECRET_READ = "secret-read"  # noqa: S105 - get/list/watch secrets, not denied


class AuditObject(_Strict):
    """The `objectRef` of an audit event (empty strings when absent)."""

    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""

    def describe(self) -> str:
        """Say which object: `secrets/db-password in prod`."""
        res = self.resource + (f"/{self.subresource}" if self.subresource else "")
        name = f"/{self.name}" if self.name else ""
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{res or '(no object)'}{name}{where}"


class AuditSample(_Strict):
    """One matching audit event, kept so a finding can name it."""

    audit_id: str
    time: AwareDatetime
    user: str
    verb: str
    object: AuditObject
    code: int | None = None  # responseStatus.code
    file: str
    line: int


class AuditTally(_Strict):
    """Matching events of one category by one user (detail: the role bound, the verb...)."""

    category: AuditCategory
    user: str
    detail: str = ""
    count: int = Field(ge=1)
    first: AwareDatetime
    last: AwareDatetime
    samples: tuple[AuditSample, ...] = ()


class AuditSilence(_Strict):
    """A span of whole minutes in a window without any audit event (a missing log file?)."""

    start: AwareDatetime
    end: AwareDatetime


class AuditWindow(_Strict):
    """The tallies of the events received in [start, end)."""

    start: AwareDatetime
    end: AwareDatetime
    events: int = 0  # completed requests in the window (after de-duplication)
    tallies: tuple[AuditTally, ...] = ()
    overflow: int = 0  # matching events not tallied: more than MAX_TALLIES distinct keys
    other_stages: int = 0  # events of stages that are not tallied (RequestReceived...)
    # minute spans of at least MIN_SILENCE without any event; more than MAX_SILENCES: truncated
    silences: tuple[AuditSilence, ...] = ()
    silences_truncated: bool = False


class AuditProblemKind(StrEnum):
    """Why part of an audit log could not be used."""

    MALFORMED = "malformed"  # not JSON, not an audit.k8s.io/v1 Event, or a field of a wrong type
    OVERSIZED = "oversized"  # a line longer than the line limit
    UNREADABLE = "unreadable"  # the file could not be opened or read (truncated gzip...)


class AuditProblem(_Strict):
    """Lines of one file that were not read, counted (never skipped silently)."""

    file: str
    kind: AuditProblemKind
    count: int = Field(ge=1)
    first_line: int | None = None  # 1-based; None when not tied to a line
    reason: str  # of the first occurrence


class AuditFile(_Strict):
    """One audit log file as read: lines, events and the time range it covers."""

    path: str
    digest: str  # sha256 of the bytes as stored (compressed when gzip)
    gzip: bool = False
    lines: int = 0
    events: int = 0  # well-formed audit events (every stage)
    first: AwareDatetime | None = None
    last: AwareDatetime | None = None


class AuditEventsState(_Strict):
    """Audit logs given with --audit-log, reduced per window; problems deny."""

    provenance: Provenance
    files: tuple[AuditFile, ...] = ()
    windows: tuple[AuditWindow, ...] = ()
    problems: tuple[AuditProblem, ...] = ()
    duplicates: int = 0  # events whose (auditID, stage) was seen just before: counted once

    @property
    def first(self) -> datetime | None:
        """The earliest event time across the files."""
        times = [f.first for f in self.files if f.first is not None]
        return min(times) if times else None

    @property
    def last(self) -> datetime | None:
        """The latest event time across the files."""
        times = [f.last for f in self.files if f.last is not None]
        return max(times) if times else None

    def window(self, start: datetime, end: datetime) -> AuditWindow | None:
        """Return the window reduced for exactly [start, end), if any."""
        for w in self.windows:
            if w.start == start and w.end == end:
                return w
        return None


__all__ = [
    "MAX_SAMPLES",
    "MAX_SILENCES",
    "MAX_TALLIES",
    "MIN_SILENCE",
    "AuditCategory",
    "AuditEventsState",
    "AuditFile",
    "AuditObject",
    "AuditProblem",
    "AuditProblemKind",
    "AuditSample",
    "AuditSilence",
    "AuditTally",
    "AuditWindow",
]
