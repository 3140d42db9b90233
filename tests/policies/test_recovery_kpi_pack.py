"""The ops-baseline recovery and KPI policies on the example data, and one breach at a time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.helpers import run_json

NOW = "2026-11-30T01:30:00Z"
RECOVERY_AND_KPI = ["--select", "rpo-*", "--select", "rto-*", "--select", "kpi-*"]
IDS = {
    "rpo-database",
    "rpo-configuration",
    "rto-critical",
    "rto-non-critical",
    "kpi-api-latency-p95",
    "kpi-throughput",
    "kpi-error-rate",
    "kpi-availability",
    "kpi-resource-utilization",
}


def _args(ops: Path, manifests: Path | None = None) -> list[str]:
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--now", NOW]
    if manifests is not None:
        args += ["--manifests", str(manifests)]
    return [
        *args,
        "--backups",
        str(ops / "backups.yaml"),
        "--drills",
        str(ops / "drills.yaml"),
        "--metrics",
        str(ops / "metrics.json"),
    ]


def test_example_platform_passes_everything(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [*_args(examples / "ops", examples / "platform"), *RECOVERY_AND_KPI]
    code, report = run_json(args, capsys)
    assert code == 0, [r for r in report["results"] if r["status"] != "pass"]
    assert {r["policy"] for r in report["results"]} == IDS
    assert {r["status"] for r in report["results"]} == {"pass"}


def test_cronjobs_alone_satisfy_the_rpo_at_demo_time(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--select",
        "rpo-*",
        "--now",
        NOW,
        "--manifests",
        str(examples / "platform"),
    ]
    code, report = run_json(args, capsys)
    assert code == 0
    ages = {
        r["policy"]: r["details"]["age_seconds"]
        for r in report["results"]
        if "age_seconds" in r["details"]
    }
    assert ages == {"rpo-database": 530.0, "rpo-configuration": 1760.0}


def test_noncompliant_platform_database_backup_is_stale(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--select",
        "rpo-*",
        "--now",
        NOW,
        "--manifests",
        str(examples / "platform-noncompliant"),
    ]
    code, report = run_json(args, capsys)
    assert code == 1
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert [(r["policy"], r["details"]["age_seconds"]) for r in failed] == [
        ("rpo-database", 1430.0)
    ]


def test_no_backup_drill_or_metrics_input_is_exit_2(
    examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--now", NOW, *RECOVERY_AND_KPI]
    code, report = run_json(args, capsys)
    assert code == 2
    assert {r["status"] for r in report["results"]} == {"error"}
    assert {r["policy"] for r in report["results"]} == IDS


Mutation = Callable[[Any], None]


def _catalog_newest(target: str, completed_at: str) -> Mutation:
    def mutate(entries: Any) -> None:
        entries[:] = [e for e in entries if e["target"] != target] + [
            {
                "target": target,
                "kind": target,
                "completed_at": completed_at,
                "status": "succeeded",
                "location": "s3://x",
            }
        ]

    return mutate


def _drill(tier: str, started: str, restored: str) -> Mutation:
    def mutate(drills: Any) -> None:
        drills[:] = [d for d in drills if d["tier"] != tier] + [
            {
                "system": "sys",
                "tier": tier,
                "started_at": started,
                "service_restored_at": restored,
                "data_verified": True,
            }
        ]

    return mutate


def _metric(name: str, value: float) -> Mutation:
    def mutate(doc: Any) -> None:
        doc["metrics"][name] = value

    return mutate


CASES: list[tuple[str, str, Mutation, list[str]]] = [
    (
        "rpo-database",
        "backups.yaml",
        _catalog_newest("database", "2026-11-30T01:06:10Z"),
        ["23m50s old", "RPO of 15m"],
    ),
    (
        "rpo-configuration",
        "backups.yaml",
        _catalog_newest("configuration", "2026-11-30T00:18:00Z"),
        ["1h12m old", "RPO of 1h"],
    ),
    (
        "rto-critical",
        "drills.yaml",
        _drill("critical", "2026-11-01T10:00:00Z", "2026-11-01T11:20:00Z"),
        ["recovered in 1h20m", "RTO of 1h"],
    ),
    (
        "rto-critical",
        "drills.yaml",
        _drill("critical", "2026-08-01T10:00:00Z", "2026-08-01T10:20:00Z"),
        ["is 120d15h30m old", "older than 90d"],
    ),
    (
        "rto-non-critical",
        "drills.yaml",
        _drill("non-critical", "2026-11-01T10:00:00Z", "2026-11-01T14:30:00Z"),
        ["recovered in 4h30m", "RTO of 4h"],
    ),
    (
        "rto-non-critical",
        "drills.yaml",
        _drill("non-critical", "2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z"),
        ["old, older than 180d"],
    ),
    (
        "kpi-api-latency-p95",
        "metrics.json",
        _metric("api_latency_p95_seconds", 2.4),
        ["measured 2.4 s", "must be < 2 s"],
    ),
    (
        "kpi-throughput",
        "metrics.json",
        _metric("api_throughput_rpm", 640),
        ["measured 640 req/min", "must be > 1000 req/min"],
    ),
    (
        "kpi-error-rate",
        "metrics.json",
        _metric("api_error_rate", 15 / 165),
        ["measured 0.0909091", "must be < 0.01"],
    ),
    (
        "kpi-availability",
        "metrics.json",
        _metric("api_availability_30d", 0.999),
        ["measured 0.999", "must be > 0.999"],
    ),
    (
        "kpi-resource-utilization",
        "metrics.json",
        _metric("system_cpu_usage_percent_max", 80),
        ["measured 80 %", "must be < 80 %"],
    ),
]


@pytest.mark.parametrize(
    ("policy", "file", "mutate", "phrases"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_each_breach_fails_exactly_its_own_policy(
    examples: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    policy: str,
    file: str,
    mutate: Mutation,
    phrases: list[str],
) -> None:
    for name in ("backups.yaml", "drills.yaml", "metrics.json"):
        text = (examples / "ops" / name).read_text()
        if name == file:
            data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
            mutate(data)
            text = json.dumps(data)  # JSON is YAML too
        (tmp_path / name).write_text(text)
    code, report = run_json([*_args(tmp_path), *RECOVERY_AND_KPI], capsys)
    assert code == 1
    failed = [r for r in report["results"] if r["status"] == "fail"]
    assert [r["policy"] for r in failed] == [policy]
    assert {r["status"] for r in report["results"] if r["policy"] != policy} == {"pass"}
    for phrase in phrases:
        assert phrase in failed[0]["message"]
