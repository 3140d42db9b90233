"""restore-drill: RTO from the newest verified drill of a tier."""

from __future__ import annotations

import pytest

from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.drills import DrillsState, RestoreDrill, Tier
from tests.engine.checks.helpers import PROVENANCE, at, run

RTO_CRITICAL = {
    "type": "restore-drill",
    "tier": "critical",
    "max_recovery": "1h",
    "max_drill_age": "90d",
}


def drill(
    started: str,
    restored: str,
    verified: bool = True,
    tier: Tier = Tier.CRITICAL,
    system: str = "db",
) -> RestoreDrill:
    return RestoreDrill(
        system=system,
        tier=tier,
        started_at=at(started),
        service_restored_at=at(restored),
        data_verified=verified,
    )


def snap(*drills: RestoreDrill) -> Snapshot:
    return Snapshot(drills=DrillsState(provenance=PROVENANCE, drills=drills))


def test_recent_fast_verified_drill_passes() -> None:
    [r] = run(RTO_CRITICAL, snap(drill("2026-10-14T09:00:00Z", "2026-10-14T09:42:30Z")))
    assert r.status is Status.PASS
    assert r.details["recovery_seconds"] == 2550
    assert r.details["max_recovery_seconds"] == 3600
    assert r.details["tier"] == "critical"
    assert r.details["system"] == "db"
    assert r.details["started_at"] == "2026-10-14T09:00:00Z"
    assert "recovered in 42m30s, within the RTO of 1h" in r.message


def test_slow_drill_fails_with_measured_recovery() -> None:
    [r] = run(RTO_CRITICAL, snap(drill("2026-10-14T09:00:00Z", "2026-10-14T10:15:00Z")))
    assert r.status is Status.FAIL
    assert r.details["recovery_seconds"] == 4500
    assert "recovered in 1h15m, over the RTO of 1h" in r.message


def test_old_drill_fails_with_its_age() -> None:
    [r] = run(RTO_CRITICAL, snap(drill("2026-08-01T00:00:00Z", "2026-08-01T00:30:00Z")))
    assert r.status is Status.FAIL
    assert r.details["drill_age_seconds"] == pytest.approx((121 * 86400) + 2 * 3600 + 600)
    assert "old, older than 90d" in r.message


def test_only_the_newest_verified_drill_counts() -> None:
    newest_unverified = drill("2026-11-20T00:00:00Z", "2026-11-20T00:10:00Z", verified=False)
    older_slow = drill("2026-11-01T00:00:00Z", "2026-11-01T03:00:00Z")
    oldest_fast = drill("2026-10-01T00:00:00Z", "2026-10-01T00:10:00Z")
    [r] = run(RTO_CRITICAL, snap(newest_unverified, older_slow, oldest_fast))
    assert r.status is Status.FAIL
    assert r.details["recovery_seconds"] == 3 * 3600


def test_other_tier_and_unverified_drills_do_not_count() -> None:
    s = snap(
        drill("2026-11-01T00:00:00Z", "2026-11-01T00:10:00Z", tier=Tier.NON_CRITICAL),
        drill("2026-11-02T00:00:00Z", "2026-11-02T00:10:00Z", verified=False),
    )
    [r] = run(RTO_CRITICAL, s)
    assert r.status is Status.FAIL
    assert (
        "no verified restore drill for critical systems (1 drill(s) without verified" in r.message
    )


def test_drill_not_finished_at_now_does_not_count() -> None:
    [r] = run(RTO_CRITICAL, snap(drill("2026-11-30T02:00:00Z", "2026-11-30T02:30:00Z")))
    assert r.status is Status.FAIL


def test_no_drills_input_is_an_error() -> None:
    [r] = run(RTO_CRITICAL, Snapshot())
    assert r.status is Status.ERROR
    assert "--drills" in r.message


def test_restored_before_started_is_rejected() -> None:
    with pytest.raises(ValueError, match="before started_at"):
        drill("2026-10-14T09:00:00Z", "2026-10-14T08:00:00Z")
