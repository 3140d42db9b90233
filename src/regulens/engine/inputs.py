"""The inputs a check can need, and the flag that supplies each."""

from __future__ import annotations

from enum import StrEnum


class Input(StrEnum):
    """A snapshot section; the value is the `Snapshot` field name."""

    KUBERNETES = "kubernetes"
    CHANGE = "change"
    AUDIT_POLICY = "audit_policy"
    BASELINE = "baseline"
    BACKUPS = "backups"
    DRILLS = "drills"
    METRICS = "metrics"
    TRIVY = "scans"
    INCIDENTS = "incidents"
    AUDIT_EVENTS = "audit_events"


FLAGS: dict[Input, str] = {
    Input.KUBERNETES: "--manifests, --snapshot or --cluster",
    Input.CHANGE: "--change (a ChangeRequest document; used by `regulens gate`)",
    Input.AUDIT_POLICY: "--audit-policy FILE (an audit.k8s.io/v1 Policy)",
    Input.BASELINE: "--current-manifests (the current state the change is compared with)",
    Input.BACKUPS: "--backups (a backup catalog) or backup CronJobs/Velero objects in --manifests",
    Input.DRILLS: "--drills (restore drill records)",
    Input.METRICS: "--prometheus URL or --metrics FILE",
    Input.TRIVY: "--trivy-report FILE or --trivy-scan",
    Input.INCIDENTS: "--incidents FILE (incident records)",
    Input.AUDIT_EVENTS: "--audit-log FILE (Kubernetes audit log, JSON lines, optionally gzip)",
}


def missing_input_message(inp: Input) -> str:
    """Say which input is missing and which flag supplies it."""
    return f"no {inp.value} input was given: pass {FLAGS[inp]} (or --skip this policy)"
