"""The ops-baseline recovery and KPI policies on the example data.

One breach at a time (each policy failing alone) is a shipped PolicyTest:
`regulens/policytest/builtin/ops-baseline/<policy>/fail-*.test.yaml`, run by
`tests/policies/test_security_cases.py` through `regulens test`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
