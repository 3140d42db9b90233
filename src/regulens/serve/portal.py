"""What the portal reads from the evidence store: verified runs, as typed views.

Every page starts here: the store is verified on each request (a tampered record is
seen at once, not after a restart), then decoded. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regulens import __version__
from regulens.evidence.keys import TrustedKeys
from regulens.evidence.store import EvidenceStore, StoredCheckpoint
from regulens.reports.facts import EvidenceFacts, Tool
from regulens.reports.fleet import FleetOverview, fleet_overview, verdicts
from regulens.reports.loading import Verification, verify_and_load
from regulens.reports.runs import Period, RunRecord

POLICY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}", re.ASCII)
DECISIONS = ("allow", "deny", "deny-incomplete")


@dataclass(frozen=True, slots=True)
class Evidence:
    """The verified store as one request sees it."""

    label: str
    verification: Verification
    runs: tuple[RunRecord, ...]
    allow_unverified: bool

    def facts_evidence(self) -> EvidenceFacts:
        """The `evidence` block of report facts (the same banner the CLI documents carry)."""
        return self.verification.evidence_json(self.label, allow_unverified=self.allow_unverified)


@dataclass(frozen=True, slots=True)
class Settings:
    """How the portal verifies: trusted keys and external checkpoints (from the command line)."""

    trusted: TrustedKeys | None = None
    checkpoints: tuple[StoredCheckpoint, ...] = ()
    allow_unverified: bool = False
    label: str | None = None  # the store as the user named it (not the read-only URL)


def read_evidence(store: EvidenceStore, settings: Settings) -> Evidence:
    """Verify the whole store and decode its runs (in one read)."""
    verification, runs = verify_and_load(
        store, streams=None, trusted=settings.trusted, checkpoints=settings.checkpoints
    )
    return Evidence(
        settings.label or store.label, verification, tuple(runs), settings.allow_unverified
    )


@dataclass(frozen=True, slots=True)
class RunFilter:
    """The runs list's filters (each already validated)."""

    stream: str | None = None
    period: Period | None = None
    decision: str | None = None
    policy: str | None = None

    def matches(self, run: RunRecord) -> bool:
        """True when the run passes every given filter."""
        if self.stream is not None and run.stream != self.stream:
            return False
        if self.period is not None and not self.period.contains(run.now):
            return False
        if self.decision is not None and run.decision.get("decision") != self.decision:
            return False
        return self.policy is None or any(r.get("policy") == self.policy for r in run.results)


def decision_of(run: RunRecord) -> str:
    """The run's decision, or its command when it decided nothing (sign-offs, snapshots)."""
    value = run.decision.get("decision")
    return str(value) if value is not None else f"({run.command or 'record'})"


def run_summary(run: RunRecord) -> dict[str, Any]:
    """One row of the runs list (also the API's RunSummary)."""
    summary = run.decision.get("summary")
    return {
        "run_id": run.run_id,
        "stream": run.stream,
        "seq": run.seq,
        "at": run.at,
        "recorded_at": run.recorded_at,
        "command": run.command,
        "decision": decision_of(run),
        "exit_code": run.decision.get("exit_code"),
        "summary": {str(k): v for k, v in summary.items()} if isinstance(summary, Mapping) else {},
        "change": (run.change or {}).get("id"),
    }


def run_detail(run: RunRecord, evidence: Evidence) -> dict[str, Any]:
    """A run's detail: results, input digests, verification state and how to replay it."""
    results = [
        {
            "policy": str(r.get("policy", "")),
            "rule": str(r.get("rule", "")),
            "status": str(r.get("status", "")),
            "severity": str(r.get("severity", "")),
            "resource": _resource(r.get("resource")),
            "message": str(r.get("message", "")),
        }
        for r in run.results
    ]
    return {
        **run_summary(run),
        "digest": run.digest,
        "policies_digest": str((run.predicate.get("policies") or {}).get("digest") or ""),
        "inputs": [
            {
                "section": name,
                "digest": str(v.get("digest", "")),
                "source": str(v.get("source", "")),
            }
            for name, v in sorted(run.inputs.items())
        ],
        "results": results,
        "verification": evidence.verification.state,
        "verification_message": evidence.verification.message,
        "replay": f"regulens evidence replay --evidence '{evidence.label}' {run.run_id}",
    }


def _resource(value: object) -> str:
    if not isinstance(value, Mapping):
        return ""
    parts = [value.get("kind"), value.get("namespace"), value.get("name")]
    return "/".join(str(p) for p in parts if p)


def fleet_of(evidence: Evidence, now: datetime) -> FleetOverview:
    """The fleet facts of the verified store (the same builder as `regulens report --fleet`)."""
    verification = evidence.verification
    streams = sorted({*verification.streams, *(r.stream for r in evidence.runs)})
    return fleet_overview(
        evidence.runs,
        verdicts(
            verification.problems, streams, signatures_checked=verification.signatures_checked
        ),
        streams=streams,
        now=now,
        tool=Tool(name="regulens", version=__version__),
        store=evidence.label,
    )
