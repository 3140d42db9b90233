"""backup-recency: RPO from the newest successful backup and the schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from regulens.engine.types import Status
from regulens.snapshot import Snapshot
from regulens.snapshot.backups import (
    BackupOrigin,
    BackupRecord,
    BackupSchedule,
    BackupsState,
    BackupStatus,
    ObjectRef,
)
from tests.engine.checks.helpers import NOW, PROVENANCE, at, run

RPO_DB = {"type": "backup-recency", "target": "database", "max_age": "15m"}
CRON = ObjectRef(api_version="batch/v1", kind="CronJob", namespace="ns", name="backup-db")


def record(
    completed: str, status: BackupStatus = BackupStatus.SUCCEEDED, target: str = "database"
) -> BackupRecord:
    return BackupRecord(
        target=target,
        kind=target,
        completed_at=at(completed),
        status=status,
        location="s3://b/x",
        origin=BackupOrigin.CATALOG,
        source="catalog.yaml[0]",
    )


def schedule(
    interval: float | None, suspended: bool = False, text: str = "*/15 * * * *"
) -> BackupSchedule:
    return BackupSchedule(
        target="database",
        schedule=text,
        interval_seconds=interval,
        suspended=suspended,
        problem=None if interval is not None else "bad cron",
        origin=BackupOrigin.CRONJOB,
        object=CRON,
    )


def snap(
    *records: BackupRecord, schedules: tuple[BackupSchedule, ...] = (), gaps: tuple[str, ...] = ()
) -> Snapshot:
    return Snapshot(
        backups=BackupsState(provenance=PROVENANCE, records=records, schedules=schedules, gaps=gaps)
    )


def test_recent_backup_passes_with_measured_age() -> None:
    [r] = run(RPO_DB, snap(record("2026-11-30T02:01:10Z"), record("2026-11-30T01:46:10Z")))
    assert r.status is Status.PASS
    assert r.details["age_seconds"] == 530
    assert r.details["max_age_seconds"] == 900
    assert r.details["completed_at"] == "2026-11-30T02:01:10Z"
    assert r.details["target"] == "database"
    assert "8m50s old, within the RPO of 15m" in r.message


def test_stale_backup_fails_with_age_and_threshold() -> None:
    [r] = run(RPO_DB, snap(record("2026-11-30T01:46:10Z")))
    assert r.status is Status.FAIL
    assert r.details["age_seconds"] == 1430
    assert "23m50s old, older than the RPO of 15m" in r.message


def test_exactly_max_age_passes_one_second_more_fails() -> None:
    s = snap(record("2026-11-30T01:55:00Z"))
    assert run(RPO_DB, s)[0].status is Status.PASS
    assert run(RPO_DB, s, NOW + timedelta(seconds=1))[0].status is Status.FAIL


def test_failed_runs_do_not_count_and_are_reported() -> None:
    s = snap(record("2026-11-30T01:40:00Z"), record("2026-11-30T02:05:00Z", BackupStatus.FAILED))
    [r] = run(RPO_DB, s)
    assert r.status is Status.FAIL
    assert r.details["failures_since"] == 1
    assert "1 failed run(s) since" in r.message


def test_backups_after_now_are_ignored() -> None:
    [r] = run(RPO_DB, snap(record("2026-11-30T01:00:00Z"), record("2026-11-30T02:20:00Z")))
    assert r.status is Status.FAIL
    assert r.details["completed_at"] == "2026-11-30T01:00:00Z"


def test_no_backup_of_the_target_fails() -> None:
    [r] = run(RPO_DB, snap(record("2026-11-30T02:05:00Z", target="configuration")))
    assert r.status is Status.FAIL
    assert "no successful backup of 'database' at all" in r.message


def test_no_backup_but_unreadable_sources_is_an_error() -> None:
    [r] = run(RPO_DB, snap(gaps=("CronJob (403 Forbidden)",)))
    assert r.status is Status.ERROR
    assert "403 Forbidden" in r.message


def test_no_backup_data_given_is_an_error_naming_the_flag() -> None:
    [r] = run(RPO_DB, Snapshot())
    assert r.status is Status.ERROR
    assert "--backups" in r.message


@pytest.mark.parametrize(
    ("sched", "status", "text"),
    [
        (schedule(900.0), Status.PASS, "runs every 15m at most, within the RPO of 15m"),
        (schedule(1800.0, text="*/30 * * * *"), Status.FAIL, "runs every 30m at most, less often"),
        (schedule(900.0, suspended=True), Status.FAIL, "is suspended"),
        (schedule(None), Status.ERROR, "cannot be judged: bad cron"),
    ],
    ids=["often-enough", "too-rare", "suspended", "unparseable"],
)
def test_schedule_is_judged_against_the_rpo(
    sched: BackupSchedule, status: Status, text: str
) -> None:
    results = run(RPO_DB, snap(record("2026-11-30T02:01:10Z"), schedules=(sched,)))
    assert [r.status for r in results] == [Status.PASS, status]
    assert text in results[1].message
    assert results[1].resource is not None and results[1].resource.name == "backup-db"


def test_max_age_must_be_a_duration() -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        run({**RPO_DB, "max_age": "soon"}, Snapshot())
