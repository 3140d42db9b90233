"""Backup records from CronJobs, their Jobs, Velero and a catalog file, normalised in one place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot import KubernetesState, Provenance, Resource
from regulens.snapshot.backups import BackupOrigin, BackupStatus
from regulens.snapshot.kubernetes import CoverageGap
from regulens.sources.backups import build_backups
from regulens.sources.cron import max_interval
from regulens.sources.manifests import read_manifests
from tests.engine.checks.helpers import at


def state(*objects: dict[str, Any], gaps: tuple[CoverageGap, ...] = ()) -> KubernetesState:
    return KubernetesState(
        provenance=Provenance(source="manifests"),
        resources=tuple(Resource.from_object(o) for o in objects),
        gaps=gaps,
    )


def cronjob(
    name: str,
    target: str | None,
    schedule: str = "*/15 * * * *",
    last: str | None = "2026-11-30T02:01:10Z",
    **spec: Any,
) -> dict[str, Any]:
    labels = {"regulens.io/backup-target": target, "regulens.io/backup-kind": "database"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "ns", "labels": labels if target else {}},
        "spec": {"schedule": schedule, **spec},
        "status": {"lastSuccessfulTime": last} if last else {},
    }


def job(name: str, owner: str, condition: str, when: str) -> dict[str, Any]:
    status: dict[str, Any] = {
        "conditions": [{"type": condition, "status": "True", "lastTransitionTime": when}]
    }
    if condition == "Complete":
        status["completionTime"] = when
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": "ns",
            "ownerReferences": [{"kind": "CronJob", "name": owner, "apiVersion": "batch/v1"}],
        },
        "status": status,
    }


def velero_schedule(name: str, target: str, cron: str, paused: bool = False) -> dict[str, Any]:
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": {
            "name": name,
            "namespace": "velero",
            "labels": {"regulens.io/backup-target": target},
        },
        "spec": {"schedule": cron, "paused": paused, "template": {}},
    }


def velero_backup(name: str, schedule: str, phase: str, done: str | None) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if done:
        status["completionTimestamp"] = done
    return {
        "apiVersion": "velero.io/v1",
        "kind": "Backup",
        "metadata": {
            "name": name,
            "namespace": "velero",
            "labels": {"velero.io/schedule-name": schedule},
        },
        "spec": {"storageLocation": "default"},
        "status": status,
    }


def test_labelled_cronjob_gives_a_success_record_and_its_schedule() -> None:
    backups = build_backups(state(cronjob("backup-db", "database")), None)
    assert backups is not None
    [rec] = backups.records
    assert (rec.target, rec.kind, rec.status, rec.origin) == (
        "database",
        "database",
        BackupStatus.SUCCEEDED,
        BackupOrigin.CRONJOB,
    )
    assert rec.completed_at == at("2026-11-30T02:01:10Z")
    assert rec.schedule == "*/15 * * * *"
    [sched] = backups.schedules
    assert (sched.target, sched.interval_seconds, sched.suspended) == ("database", 900.0, False)
    assert sched.object is not None and sched.object.name == "backup-db"


def test_unlabelled_cronjobs_are_not_backups() -> None:
    assert build_backups(state(cronjob("report", None)), None) is None


def test_jobs_owned_by_the_cronjob_add_failures_and_completions() -> None:
    s = state(
        cronjob("backup-db", "database", last=None),
        job("backup-db-1", "backup-db", "Complete", "2026-11-30T01:46:10Z"),
        job("backup-db-2", "backup-db", "Failed", "2026-11-30T02:01:30Z"),
        job("other-1", "other", "Failed", "2026-11-30T02:01:30Z"),
    )
    backups = build_backups(s, None)
    assert backups is not None
    got = [(r.status, r.completed_at, r.source) for r in backups.records]
    assert got == [
        (BackupStatus.SUCCEEDED, at("2026-11-30T01:46:10Z"), "Job ns/backup-db-1"),
        (BackupStatus.FAILED, at("2026-11-30T02:01:30Z"), "Job ns/backup-db-2"),
    ]


def test_suspended_cronjob_schedule_is_flagged() -> None:
    backups = build_backups(state(cronjob("backup-db", "database", suspend=True)), None)
    assert backups is not None and backups.schedules[0].suspended


def test_invalid_cron_keeps_the_schedule_with_a_problem() -> None:
    backups = build_backups(state(cronjob("backup-db", "database", schedule="every day")), None)
    assert backups is not None
    [sched] = backups.schedules
    assert sched.interval_seconds is None
    assert sched.problem is not None and "not a valid five-field cron" in sched.problem


def test_velero_backups_take_their_target_from_the_schedule() -> None:
    s = state(
        velero_schedule("db-every-10m", "database", "*/10 * * * *"),
        velero_backup("db-every-10m-1", "db-every-10m", "Completed", "2026-11-30T02:02:00Z"),
        velero_backup("db-every-10m-2", "db-every-10m", "PartiallyFailed", "2026-11-30T02:05:00Z"),
        velero_backup("db-every-10m-3", "db-every-10m", "InProgress", None),
        velero_backup("adhoc", "unknown-schedule", "Completed", "2026-11-30T02:06:00Z"),
    )
    backups = build_backups(s, None)
    assert backups is not None
    got = [(r.target, r.status, r.origin, r.location, r.schedule) for r in backups.records]
    assert got == [
        ("database", BackupStatus.SUCCEEDED, BackupOrigin.VELERO, "velero:default", "db-every-10m"),
        ("database", BackupStatus.FAILED, BackupOrigin.VELERO, "velero:default", "db-every-10m"),
    ]
    [sched] = backups.schedules
    assert (sched.origin, sched.interval_seconds) == (BackupOrigin.VELERO, 600.0)


def test_paused_velero_schedule_is_suspended() -> None:
    s = state(velero_schedule("db", "database", "@every 1h", paused=True))
    backups = build_backups(s, None)
    assert backups is not None
    assert backups.schedules[0].suspended
    assert backups.schedules[0].interval_seconds == 3600.0


def test_unreadable_backup_kinds_are_gaps() -> None:
    gap = CoverageGap(kind="CronJob", namespace=None, reason="403 Forbidden")
    backups = build_backups(state(gaps=(gap,)), None)
    assert backups is not None
    assert backups.gaps == ("CronJob (403 Forbidden)",)


def test_example_platform_and_catalog_merge(examples: Path) -> None:
    kubernetes = read_manifests([str(examples / "platform")])
    backups = build_backups(kubernetes, str(examples / "ops" / "backups.yaml"))
    assert backups is not None
    origins = {(r.target, r.origin) for r in backups.records}
    assert origins == {
        ("database", BackupOrigin.CRONJOB),
        ("database", BackupOrigin.CATALOG),
        ("configuration", BackupOrigin.CRONJOB),
        ("configuration", BackupOrigin.CATALOG),
    }
    assert {(s.target, s.interval_seconds) for s in backups.schedules} == {
        ("database", 900.0),
        ("configuration", 3600.0),
    }
    assert backups.provenance.digest.startswith("sha256:")


def test_catalog_problems_are_located_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.yaml"
    bad.write_text(
        "- {target: database, kind: database, completed_at: '2026-11-30T02:00:00Z',\n"
        "   status: completed, location: s3://x}\n"
    )
    with pytest.raises(InputDataError, match=r"catalog.yaml:2:\d+: \[0\]\.status"):
        build_backups(None, str(bad))


def test_catalog_timestamps_need_a_time_zone(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.json"
    bad.write_text(
        '[{"target": "database", "kind": "database", '
        '"completed_at": "2026-11-30T02:00:00", "status": "succeeded"}]'
    )
    with pytest.raises(InputDataError, match="timezone"):
        build_backups(None, str(bad))


def test_missing_catalog_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such backup catalog file"):
        build_backups(None, str(tmp_path / "nope.yaml"))


def test_empty_catalog_is_backup_data_with_no_records(tmp_path: Path) -> None:
    empty = tmp_path / "catalog.json"
    empty.write_text("[]")
    backups = build_backups(None, str(empty))
    assert backups is not None and backups.records == ()


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("*/15 * * * *", 900),
        ("0 * * * *", 3600),
        ("5,35 * * * *", 1800),
        ("0 9-17 * * 1-5", 16 * 3600 + 2 * 86400),
        ("0 2 * * MON", 7 * 86400),
        ("@daily", 86400),
        ("CRON_TZ=Europe/Berlin 0 3 * * *", 86400),
        ("@every 1h30m", 5400),
        ("0 0 1 * *", 31 * 86400),
        ("0 0 1 * 1", 7 * 86400),
        ("30 1 * 1,7 *", 154 * 86400),  # 31 July to 1 January
        ("0 0 L * *", 31 * 86400),
    ],
)
def test_cron_interval_is_the_longest_gap(expression: str, seconds: int) -> None:
    assert max_interval(expression) == seconds


@pytest.mark.parametrize("times", ["0 3", "*/20 2-4", "15 23", "0,30 *", "59 0,23"])
def test_every_day_schedules_take_the_calendar_walks_interval(times: str) -> None:
    # `* * *` skips the walk over the days; `1-31 * *` (every day too) takes it
    assert max_interval(f"{times} * * *") == max_interval(f"{times} 1-31 * *")
    assert max_interval(f"{times} * * 0-6") == max_interval(f"{times} 1-31 1-12 *")


def test_leap_day_schedule_is_longer_than_any_rpo() -> None:
    assert max_interval("0 0 29 2 *") > 365 * 86400


@pytest.mark.parametrize("expression", ["", "every day", "61 * * * *", "* * * *"])
def test_invalid_cron_is_rejected(expression: str) -> None:
    with pytest.raises(ValueError):
        max_interval(expression)


def test_daily_schedules_read_without_croniter_equal_croniters_reading() -> None:
    from croniter import croniter

    from regulens.sources.cron import _daily_fields

    minutes = ["*", *map(str, range(60)), "05", "00"]
    hours = ["*", *map(str, range(24)), "03", "00"]
    for minute in minutes:
        for hour in hours:
            text = f"{minute} {hour} * * *"
            # croniter's path: valid, and expanded into these fields (then read alike)
            assert croniter.is_valid(text), text
            assert _daily_fields(text) == croniter.expand(text)[0], text
    for other in [
        "60 1 * * *",
        "1 24 * * *",
        "*/5 * * * *",
        "1,2 3 * * *",
        "1 2 3 * *",
        "007 1 * * *",
    ]:
        assert _daily_fields(other) is None, other
