"""The typed facts of the compliance report and of the monthly review pack.

`compliance_facts` and `review_facts` build these frozen models; every renderer
(JSON, Markdown, HTML, OSCAL, the portal) reads them. The JSON report is exactly
their serialisation, and its JSON Schema (`schemas/compliance-report.schema.json`,
`schemas/review-pack.schema.json`) is generated from them.

A leaf module: it imports nothing of regulens but the assessment models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from regulens.reports.assessed import Assessment

REPORT_VERSION = 1
REVIEW_VERSION = 1

Runs = tuple[str, ...]


class _Facts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- shared blocks ---------------------------------------------------------------------------


class Tool(_Facts):
    """The tool that wrote the report."""

    name: str
    version: str


class PeriodFacts(_Facts):
    """A half-open time range [since, until) with a label for people."""

    label: str
    since: str
    until: str


class ScopeFacts(_Facts):
    """The system a report covers; the environment defaults to the evidence streams."""

    system: str | None
    owner: str | None
    environment: str | None
    environment_from: Literal["given", "streams"]
    streams: tuple[str, ...]
    period: PeriodFacts
    description: str | None


class Banner(_Facts):
    """The verification banner every format shows."""

    state: Literal["verified", "integrity-only", "failed"]
    title: str
    text: str


class SigningKey(_Facts):
    """A trusted key whose signatures verified."""

    key_id: str
    fingerprint: str


class StreamProblem(_Facts):
    """The verdict on one stream that did not verify."""

    stream: str
    status: str
    seq: int | None
    message: str
    records: int
    head: str | None
    signed_by: tuple[str, ...]
    legacy_v1_records: int
    checkpointed_records: int


class VerificationFacts(_Facts):
    """What the store's verifier found."""

    status: str
    message: str
    records: int
    streams: tuple[str, ...]
    signing_keys: tuple[SigningKey, ...]
    problems: tuple[StreamProblem, ...]
    external_checkpoints: int
    legacy_v1_records: int
    checkpointed_records: int  # authenticated by a signed checkpoint, not one by one


class EvidenceFacts(_Facts):
    """The store a report is built from and its verification."""

    store: str
    state: Literal["verified", "integrity-only", "failed"]
    banner: Banner
    verified: bool
    signatures_checked: bool
    allow_unverified: bool
    verification: VerificationFacts


class RunRef(_Facts):
    """The short reference of a run that every figure carries."""

    run: str
    at: str


class RunIndexEntry(_Facts):
    """A run the report used: the target of its links."""

    run: str
    stream: str
    seq: int
    at: str
    recorded_at: str
    command: str
    decision: str | None
    exit_code: int | None
    summary: dict[str, int]
    change: str | None
    digest: str
    policies_digest: str | None
    inputs: dict[str, str | None]
    tool: dict[str, str]


# -- per policy and control ------------------------------------------------------------------


class _Tally(_Facts):
    evaluations: int
    counts: dict[str, int]  # pass, fail, warn, error, skip
    pass_rate: float | None
    current_status: str | None
    current_run: str | None
    first_failure: RunRef | None
    last_failure: RunRef | None
    failure_runs: Runs
    runs: Runs


class PolicyFacts(_Tally):
    """A policy across the runs of the period."""

    policy: str
    title: str
    severity: str
    enforcement: str
    controls: tuple[str, ...]
    waived_runs: Runs


class ControlFacts(_Tally):
    """A control across the runs of the period (its worst policy status per run)."""

    control: str
    framework: str
    id: str
    policies: tuple[str, ...]
    title: str | None  # from a controls catalog


class TrendPoint(RunRef):
    """The share of a run's judged policies that passed."""

    stream: str
    command: str
    passed: int
    judged: int
    pass_rate: float | None


class Summary(_Facts):
    """The compliance report's headline figures."""

    runs: int
    runs_by_command: dict[str, int]
    first_run: RunRef | None
    last_run: RunRef | None
    policies: int
    controls: int
    policy_evaluations: int
    pass_rate: float | None
    failing_now: tuple[str, ...]


# -- gates -----------------------------------------------------------------------------------


class GateReason(_Facts):
    """A policy that denied changes of a category, how often and where."""

    policy: str
    count: int
    runs: Runs


class GateCategory(_Facts):
    """Gate decisions on the changes of one category."""

    category: str
    allowed: int
    denied: int
    runs: Runs
    reasons: tuple[GateReason, ...]


class GateChange(RunRef):
    """One judged change request and its decision."""

    change: str | None
    title: str | None
    category: str
    environment: str | None
    requester: str | None
    incident: str | None
    scheduled_start: str | None
    scheduled_end: str | None
    decision: str
    exit_code: int | None
    reasons: tuple[str, ...]


class Gates(_Facts):
    """Decisions on changes by category, and every change judged."""

    by_category: tuple[GateCategory, ...]
    changes: tuple[GateChange, ...]


# -- exceptions ------------------------------------------------------------------------------


class RecordedResource(_Facts):
    """The resource a recorded exception waived a result of."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    api_version: str | None = Field(default=None, alias="apiVersion")
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None


class ExceptionFacts(_Facts):
    """An exception as the runs recorded it (fields a record lacks are null)."""

    id: str
    policy: str | None = None
    ticket: str | None = None
    approver: str | None = None
    expires: str | None = None
    created: str | None = None
    not_before: str | None = None  # recorded while not yet in force
    status: str | None = None  # of the result it waived (applied)
    resource: RecordedResource | None = None  # the resource it waived (applied)
    would_match: int | None = None  # results it would have waived (expired)
    runs: Runs


class GrantedException(ExceptionFacts):
    """An exception granted in the period, and the run that first recorded it."""

    first_recorded: str | None


class AppliedException(ExceptionFacts):
    """An exception that waived results in the period."""

    results: int


class ExpiringException(ExceptionFacts):
    """An exception in force at the end of the month that expires soon after it."""

    days_left: float


class ExceptionsFacts(_Facts):
    """Exceptions in force at the end, granted, applied, expired and never used."""

    in_force: tuple[ExceptionFacts, ...]
    granted: tuple[GrantedException, ...]
    applied: tuple[AppliedException, ...]
    expired: tuple[ExceptionFacts, ...]
    unused: tuple[ExceptionFacts, ...]


# -- recovery and KPIs -----------------------------------------------------------------------


class BackupPoint(RunRef):
    """A backup's age at one evaluation."""

    age_seconds: float | None
    completed_at: str | None
    status: str


class BackupSeries(_Facts):
    """A backup target's age at each evaluation against its RPO."""

    policy: str
    target: str
    max_age_seconds: float | None
    points: tuple[BackupPoint, ...]
    evaluations: int
    within: int
    breaches: int
    breach_runs: Runs
    max_observed_age_seconds: float | None
    runs: Runs


class DrillEvaluation(RunRef):
    """A restore-drill result of one run."""

    status: str


class Drill(_Facts):
    """One restore drill and the runs that judged it."""

    started_at: str
    recovery_seconds: float | None
    max_recovery_seconds: float | None
    status: str
    runs: Runs


class DrillSeries(_Facts):
    """Restore drills of a system against its RTO."""

    policy: str
    system: str
    tier: str | None
    max_recovery_seconds: float | None
    evaluations: tuple[DrillEvaluation, ...]
    drills: tuple[Drill, ...]
    breaches: int
    breach_runs: Runs
    runs: Runs


class RecoveryFacts(_Facts):
    """Backups against their RPO, restore drills against their RTO."""

    backups: tuple[BackupSeries, ...]
    drills: tuple[DrillSeries, ...]


class KpiPoint(RunRef):
    """A KPI's measured value at one evaluation."""

    value: float | None
    status: str


class KpiSeries(_Facts):
    """A KPI's value at every evaluation, against its threshold."""

    policy: str
    title: str | None
    unit: str | None
    comparator: str | None
    threshold: float | None
    query: str | None
    points: tuple[KpiPoint, ...]
    evaluations: int
    breaches: int
    breach_runs: Runs
    runs: Runs


class CoverageGapFacts(_Facts):
    """What could not be read, how often, and in which runs."""

    kind: str
    namespace: str | None
    reason: str
    first: RunRef
    last: RunRef
    runs: Runs
    count: int


class ComplianceReport(_Facts):
    """The compliance report for auditors (`regulens report --format json`)."""

    kind: Literal["regulens-compliance-report"] = "regulens-compliance-report"
    version: Literal[1] = 1
    generated_at: str
    tool: Tool
    period: PeriodFacts
    streams: tuple[str, ...]
    scope: ScopeFacts
    evidence: EvidenceFacts
    summary: Summary
    controls: tuple[ControlFacts, ...]
    policies: tuple[PolicyFacts, ...]
    pass_rate_trend: tuple[TrendPoint, ...]
    gates: Gates
    exceptions: ExceptionsFacts
    recovery: RecoveryFacts
    kpis: tuple[KpiSeries, ...]
    coverage_gaps: tuple[CoverageGapFacts, ...]
    runs: tuple[RunIndexEntry, ...]
    assessment: Assessment


# -- the review pack -------------------------------------------------------------------------


class Via(_Facts):
    """The binding and role a permission is held through."""

    binding: str
    role: str


class SubjectDrift(_Facts):
    """A subject that gained or lost permissions in the month."""

    subject: str
    gained: tuple[str, ...]
    lost: tuple[str, ...]
    privileged_gained: tuple[str, ...]
    via: tuple[Via, ...]


class SensitiveBinding(_Facts):
    """A new (or changed) binding to a sensitive role."""

    binding: str
    role: str
    subjects: tuple[str, ...]
    changed: bool
    why_sensitive: tuple[str, ...]


class WildcardRole(_Facts):
    """A role with a new `*` in verbs, resources or API groups."""

    role: str
    wildcards: tuple[str, ...]


class SnapshotRef(RunRef):
    """A run and the digest of the Kubernetes section it recorded."""

    digest: str


class RbacDrift(_Facts):
    """Effective permissions compared between the month's first and last snapshot."""

    available: Literal[True] = True
    method: str
    first: SnapshotRef
    last: SnapshotRef
    subjects: tuple[SubjectDrift, ...]
    new_sensitive_bindings: tuple[SensitiveBinding, ...]
    new_wildcard_roles: tuple[WildcardRole, ...]
    roles_added: tuple[str, ...]
    roles_removed: tuple[str, ...]
    bindings_added: tuple[str, ...]
    bindings_removed: tuple[str, ...]


class Unavailable(_Facts):
    """A section that could not be computed, and why."""

    available: Literal[False] = False
    reason: str


class PrivilegedSubject(_Facts):
    """A subject holding privileged permissions in the last snapshot."""

    subject: str
    reasons: tuple[str, ...]
    via: tuple[Via, ...]


class RbacFinding(_Facts):
    """An RBAC result of the last run that did not pass."""

    policy: str
    status: str
    subject: str
    via: tuple[Via, ...]
    message: str
    run: str


class VulnerabilityPoint(RunRef):
    """Distinct (image, vulnerability) by severity at one run."""

    counts: dict[str, int]
    total: int
    source: Literal["findings", "reports"]


class OpenVulnerability(_Facts):
    """A vulnerability found at the last run that recorded scan data."""

    image: str
    vulnerability: str
    severity: str
    run: str


class VulnerabilityTrend(_Facts):
    """Vulnerabilities by severity at each run that recorded scan data."""

    severities: tuple[str, ...]
    points: tuple[VulnerabilityPoint, ...]
    latest: tuple[OpenVulnerability, ...]


class PostImplementationReview(_Facts):
    """A post-implementation review an allowed change owes."""

    change: str | None
    title: str | None
    incident: str | None
    run: str
    due: str
    due_recorded: bool
    reason: str
    overdue: bool


class ChangesReview(_Facts):
    """Failed gate decisions, emergency changes and reviews due."""

    by_category: tuple[GateCategory, ...]
    failed: tuple[GateChange, ...]
    emergency: tuple[GateChange, ...]
    post_implementation_reviews: tuple[PostImplementationReview, ...]


class AuditPolicyChange(SnapshotRef):
    """A snapshot whose audit-policy objects differ from the previous one."""

    objects: tuple[str, ...]


class BackupBreach(BackupPoint):
    """A backup evaluation that did not pass."""

    policy: str
    target: str
    max_age_seconds: float | None


class DrillBreach(DrillEvaluation):
    """A restore-drill evaluation that did not pass."""

    policy: str
    system: str


class KpiBreach(KpiPoint):
    """A KPI evaluation that did not pass."""

    policy: str
    threshold: float | None
    comparator: str | None


class Breaches(_Facts):
    """Recovery and KPI evaluations that did not pass."""

    backups: tuple[BackupBreach, ...]
    drills: tuple[DrillBreach, ...]
    kpis: tuple[KpiBreach, ...]


class OpenIncident(_Facts):
    """An incident of the month not resolved at its end."""

    id: str
    severity: int | None
    service: str | None
    detected: str | None
    run: str


class ResponseBreach(_Facts):
    """An incident whose response time exceeded its limit."""

    policy: str
    incident: str
    severity: int | None
    service: str | None
    detected: str | None
    response_seconds: float | None
    max_response_seconds: float | None
    acknowledged: str | None
    run: str


class OverdueActionItem(_Facts):
    """A post-incident action item past its due date."""

    description: str | None
    owner: str | None
    due: str | None
    status: str | None
    incident: str
    run: str


class ReviewOverdue(_Facts):
    """An incident whose post-incident review is late."""

    incident: str
    severity: int | None
    due: str | None
    missing: tuple[str, ...]
    run: str


class IncidentsReview(_Facts):
    """Incidents of the month by severity, response-time breaches, overdue items."""

    available: Literal[True] = True
    runs: int
    stored: int
    unreadable: tuple[str, ...]
    total: int
    by_severity: dict[str, int]  # "1".."4"
    open_at_end: tuple[OpenIncident, ...]
    sla_breaches: tuple[ResponseBreach, ...]
    overdue_action_items: tuple[OverdueActionItem, ...]
    reviews_overdue: tuple[ReviewOverdue, ...]


class SignoffFacts(_Facts):
    """A sign-off of the month in force."""

    reviewer: str
    date: str
    notes: str | None
    supersedes: str | None
    run: str
    stream: str
    seq: int
    digest: str | None


class SignoffState(_Facts):
    """Whether the month was signed off, and by whom."""

    signed: bool
    signoffs: tuple[SignoffFacts, ...]


class ReviewSummary(_Facts):
    """The review pack's headline figures."""

    runs: int
    snapshots: int
    first_run: RunRef | None
    last_run: RunRef | None


class ReviewPack(_Facts):
    """The monthly security review pack (`regulens review --format json`)."""

    kind: Literal["regulens-monthly-review"] = "regulens-monthly-review"
    version: Literal[1] = 1
    month: str
    generated_at: str
    tool: Tool
    period: PeriodFacts
    streams: tuple[str, ...]
    scope: ScopeFacts
    evidence: EvidenceFacts
    summary: ReviewSummary
    rbac_drift: Annotated[RbacDrift | Unavailable, Field(discriminator="available")]
    privileged_subjects: tuple[PrivilegedSubject, ...]
    rbac_findings: tuple[RbacFinding, ...]
    exceptions_expiring: tuple[ExpiringException, ...]
    vulnerabilities: VulnerabilityTrend
    changes: ChangesReview
    audit_policy_changes: tuple[AuditPolicyChange, ...]
    breaches: Breaches
    incidents: Annotated[IncidentsReview | Unavailable, Field(discriminator="available")]
    signoff: SignoffState
    runs: tuple[RunIndexEntry, ...]


__all__ = ["ComplianceReport", "EvidenceFacts", "ReviewPack", "Tool"]
