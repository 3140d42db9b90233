"""bench/scale.py: its options, and targets named as the stage contract expects (no timing here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bench.stages import SUB_BENCHES, parse_output

from bench import scale

EXPECTED = {e.name: e for s in SUB_BENCHES if s.script == "scale.py" for e in s.expected}


def case(size: str, tool: str, objects: int, wall: float, rss: float = 100.0) -> scale.Case:
    return scale.Case(tool, size, objects, walls=[wall, wall * 2, wall], cpus=[wall], rss=[rss])


def all_sizes() -> list[scale.Case]:
    return [
        case("10k", "regulens", 10_000, 2.0),
        case("10k", "floor-yaml-rs", 10_000, 1.0),
        case("10k", "regulens-snapshot", 10_000, 1.0),
        case("10k", "floor-orjson", 10_000, 0.1),
        case("50k", "regulens-snapshot", 50_000, 4.0, rss=390.0),
        case("50k", "floor-orjson", 50_000, 1.0, rss=300.0),
        case("200k", "regulens-snapshot", 200_000, 24.0, rss=1600.0),
        case("200k", "floor-orjson", 200_000, 4.0),
    ]


def test_targets_carry_the_contracts_names_units_and_limits() -> None:
    out = {t["name"]: t for t in scale.targets(all_sizes())}
    assert set(out) == set(EXPECTED)  # every target the stage is expected to report
    for name, t in out.items():
        assert (t["unit"], t["target"]) == (EXPECTED[name].unit, EXPECTED[name].target), name
    assert out["10k objects from YAML vs the yaml-rs parse floor"]["figure"] == 2.0
    assert out["10k objects from YAML vs the yaml-rs parse floor"]["met"] is False
    assert out["50k objects from a JSON snapshot vs the orjson parse floor"]["met"] is False
    assert out["50k objects from a JSON snapshot, peak RSS"]["met"] is True  # 390 <= 400
    assert out["200k objects from a JSON snapshot"]["figure"] == 24.0  # the median, not the mean
    assert out["200k objects from a JSON snapshot, peak RSS"]["met"] is False
    growth = out["growth: µs per object at 200k over 10k (1 = linear)"]
    assert (growth["figure"], growth["met"]) == (1.2, None)  # 120 µs over 100 µs per object
    stdout = json.dumps({"targets": list(out.values()), "rows": scale.rows(all_sizes())})
    targets, rows = parse_output(stdout, "scale")  # the contract bench/run.py applies
    assert len(targets) == 6 and len(rows) == 8


def test_unmeasured_sizes_and_failed_cases_give_no_figure() -> None:
    cases = all_sizes()[:4]
    cases[2].failure = "exit 5: boom"
    names = {t["name"] for t in scale.targets(cases)}
    assert names == {"10k objects from YAML vs the yaml-rs parse floor"}
    row = next(r for r in scale.rows(cases) if r["tool"] == "regulens-snapshot")
    assert row["median_wall_s"] is None and row["failure"] == "exit 5: boom"


def test_rows_give_microseconds_per_object() -> None:
    row = scale.rows([case("10k", "regulens-snapshot", 10_000, 1.5)])[0]
    assert row["us_per_object_wall"] == 150.0 and row["us_per_object_cpu"] == 150.0
    assert row["median_wall_s"] == 1.5 and row["runs"] == 3 and row["peak_rss_mb"] == 100.0


def test_options() -> None:
    args = scale.parser().parse_args(["--sizes", "200k,10k,10k", "--runs", "2", "--json"])
    assert args.sizes == ["10k", "200k"] and args.runs == 2 and args.json
    assert scale.runs_at("200k", 3, 1) == 1 and scale.runs_at("50k", 3, 1) == 3
    assert scale.runs_at("200k", 3, None) == 3
    assert scale.tools_at("10k", "10k") == (*scale.YAML_TOOLS, *scale.SNAPSHOT_TOOLS)
    assert scale.tools_at("50k", "10k") == scale.SNAPSHOT_TOOLS
    for bad in (["--sizes", "lots"], ["--sizes", ""], ["--runs", "0"]):
        with pytest.raises(SystemExit):
            scale.parser().parse_args(bad)


def test_a_tiny_run_measures_every_case_and_fails_closed_without_a_target(tmp_path: Path) -> None:
    argv = [sys.executable, str(scale.ROOT / "bench" / "scale.py"), "--json", "--runs", "1"]
    argv += ["--sizes", "200", "--yaml-max-size", "200", "--out", str(tmp_path), "--no-compile"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    # no size of a target was measured: exit 1, and bench/run.py shows why
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "scale: no target could be measured at these sizes"
    )
    result = json.loads(done.stdout)
    assert result["targets"] == []
    assert [r["tool"] for r in result["rows"]] == [*scale.YAML_TOOLS, *scale.SNAPSHOT_TOOLS]
    for row in result["rows"]:
        assert row["objects"] == 200 and row["runs"] == 1 and not row["failure"], row
        assert row["us_per_object_cpu"] > 0
