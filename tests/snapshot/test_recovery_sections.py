"""The backups, drills and metrics sections are plain data: saved and replayed, same results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from regulens.cli.common import build_snapshot
from regulens.engine import EvalContext, evaluate
from regulens.policies import load_policies
from regulens.snapshot import Snapshot

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)


def test_replaying_a_saved_snapshot_gives_the_same_results(examples: Path) -> None:
    policies = [
        p
        for p in load_policies(["builtin:ops-baseline"]).policies
        if p.id.startswith(("rpo-", "rto-", "kpi-"))
    ]
    options = {
        "manifests": (str(examples / "platform"),),
        "backups": str(examples / "ops" / "backups.yaml"),
        "drills": str(examples / "ops" / "drills.yaml"),
        "metrics": str(examples / "ops" / "metrics.json"),
    }
    snap = build_snapshot(options, policies, NOW)
    assert snap.backups is not None and snap.drills is not None and snap.metrics is not None
    replayed = Snapshot.model_validate_json(snap.model_dump_json())
    # Kubernetes resources compare by identity; the recovery sections compare by value
    assert (replayed.backups, replayed.drills, replayed.metrics) == (
        snap.backups,
        snap.drills,
        snap.metrics,
    )
    first = evaluate(policies, snap, EvalContext(now=NOW))
    again = evaluate(policies, replayed, EvalContext(now=NOW))
    assert [r.to_json() for r in again] == [r.to_json() for r in first]
    assert {r.status.value for r in first} == {"pass"}


def test_sections_not_given_stay_none() -> None:
    snap = build_snapshot({}, [], NOW)
    assert (snap.backups, snap.drills, snap.metrics) == (None, None, None)
