"""Metrics files and restore drill files: strict, located, fail-closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot.drills import Tier
from regulens.snapshot.metrics import MetricOrigin
from regulens.sources.drills import read_drills
from regulens.sources.metrics_file import read_metrics_file
from tests.engine.checks.helpers import at


def test_example_metrics_file(examples: Path) -> None:
    samples, digest = read_metrics_file(str(examples / "ops" / "metrics.json"))
    by_name = {s.key: s for s in samples}
    assert by_name["api_error_rate"].value == 0.0021
    assert by_name["api_throughput_rpm"].value == 1830
    assert {s.origin for s in samples} == {MetricOrigin.FILE}
    assert {s.observed_at for s in samples} == {at("2026-11-30T01:29:30Z")}
    assert digest.startswith("sha256:")


def test_yaml_metrics_file_with_nan_and_null_values(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("timestamp: '2026-11-30T02:00:00Z'\nmetrics: {a: .nan, b: null, c: 1.5}\n")
    samples, _ = read_metrics_file(str(path))
    by_name = {s.key: s for s in samples}
    assert by_name["c"].value == 1.5
    assert by_name["a"].value is None and by_name["a"].error is not None
    assert "nan" in by_name["a"].error
    assert by_name["b"].value is None and "no value" in (by_name["b"].error or "")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"metrics": {"a": 1}}', "timestamp"),
        ('{"timestamp": "2026-11-30T02:00:00", "metrics": {"a": 1}}', "timezone"),
        ('{"timestamp": "2026-11-30T02:00:00Z", "metrics": {"a": "1"}}', "metrics.a"),
        ('{"timestamp": "2026-11-30T02:00:00Z", "metric": {"a": 1}}', "did you mean 'metrics'"),
        ("{not json", "invalid JSON"),
    ],
)
def test_malformed_metrics_files_are_input_errors(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(InputDataError, match=problem):
        read_metrics_file(str(path))


def test_missing_metrics_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such metrics file"):
        read_metrics_file(str(tmp_path / "missing.json"))


def test_example_drills(examples: Path) -> None:
    drills = read_drills(str(examples / "ops" / "drills.yaml"))
    assert {d.tier for d in drills.drills} == {Tier.CRITICAL, Tier.NON_CRITICAL}
    assert drills.provenance.inputs == (str(examples / "ops" / "drills.yaml"),)


def test_drill_file_problems_are_located(tmp_path: Path) -> None:
    path = tmp_path / "drills.yaml"
    path.write_text(
        "- system: db\n"
        "  tier: important\n"
        "  started_at: '2026-10-14T09:00:00Z'\n"
        "  service_restored_at: '2026-10-14T09:42:30Z'\n"
        "  data_verified: true\n"
    )
    with pytest.raises(InputDataError, match=r"drills.yaml:2:9: \[0\]\.tier: Input should be"):
        read_drills(str(path))
    path.write_text(path.read_text().replace("important", "critical").replace("true", "yes"))
    with pytest.raises(InputDataError, match=r"drills.yaml:5:18: .*ambiguous value 'yes'"):
        read_drills(str(path))


def test_drill_restored_before_start_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "drills.yaml"
    path.write_text(
        "- {system: db, tier: critical, started_at: '2026-10-14T09:00:00Z',\n"
        "   service_restored_at: '2026-10-14T08:00:00Z', data_verified: true}\n"
    )
    with pytest.raises(InputDataError, match="before started_at"):
        read_drills(str(path))
