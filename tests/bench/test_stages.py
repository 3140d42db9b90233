"""The bench's sub-bench contract: good output is merged, anything else is "not run: <reason>"."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from bench.stages import (
    BENCH,
    NOT_REPORTED,
    SUB_BENCHES,
    BadOutput,
    Expected,
    SubBench,
    Target,
    parse_output,
    rows_markdown,
    run_sub_bench,
    table,
)

GOOD = {
    "targets": [
        {"name": "fake start-up", "figure": 0.21, "unit": "s", "target": 0.25, "met": True},
        {"name": "fake growth", "figure": 1.1, "unit": "x", "target": None, "met": None},
        {"name": "fake append", "figure": 640, "unit": "records/s", "target": 1000, "met": False},
    ],
    "rows": [{"size": "10k", "wall_s": 1.2}, {"size": "50k", "wall_s": 4.5}],
}
FAKE = SubBench(
    "fake",
    "fake_bench.py",
    (
        Expected("the fake start-up", "s", 0.25, "≤", "fake start"),
        Expected("fake append", "records/s", 1000.0, "≥"),
        Expected("the fake year report", "s", 10.0, "≤", "fake report"),
    ),
)


def fake_bench(tmp_path: Path, body: str) -> Path:
    """A bench/ directory holding launch.py (the real one) and a fake sub-bench script."""
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "launch.py").write_bytes((BENCH / "launch.py").read_bytes())
    (bench / FAKE.script).write_text(textwrap.dedent(body), "utf-8")
    return bench


def run(tmp_path: Path, body: str, timeout: float = 60.0) -> object:
    bench = fake_bench(tmp_path, body)
    work = tmp_path / "work"
    work.mkdir()
    return run_sub_bench(
        FAKE, python=sys.executable, work=work, timeout=timeout, args=("--x", "1"), bench=bench
    )


def test_good_output_is_merged_with_its_verdicts_and_rows(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""
        import json, sys
        assert sys.argv[1:] == ["--json", "--x", "1"], sys.argv
        print(json.dumps({GOOD!r}))
        """,
    )
    assert result.status == "ok", result.reason
    assert [(t.name, t.figure, t.met, t.stage) for t in result.targets] == [
        ("fake start-up", 0.21, True, "fake"),
        ("fake growth", 1.1, None, "fake"),
        ("fake append", 640.0, False, "fake"),
        ("the fake year report", None, None, "fake"),  # expected, but the run gave no figure
    ]
    assert result.targets[-1].not_run == NOT_REPORTED
    assert result.rows == GOOD["rows"]
    assert result.exit_code == 0
    assert result.wall_s is not None
    assert result.rss_mb is not None
    assert result.rss_mb > 0
    lines = table(result.targets)
    assert "| fake start-up (target 0.25 s) | 0.21 s | met | fake |" in lines
    assert "| fake append (target 1,000 records/s) | 640 records/s | **missed** | fake |" in lines
    assert "| fake growth | 1.10 x | — | fake |" in lines
    assert f"| the fake year report (≤ 10 s) | — | not run: {NOT_REPORTED} | fake |" in lines


def test_the_expected_targets_are_named_as_the_sub_benches_report_them() -> None:
    """Each expected target matches a name of the committed make bench run's sub-benches."""
    results = sorted((BENCH / "results").glob("2*.json"))
    assert results, "bench/results holds no run"
    reported: dict[str, list[Target]] = {}
    for sub in json.loads(results[-1].read_text())["sub_benches"]:
        names = [Target(t["name"], t["unit"], t["target"], sub["stage"]) for t in sub["targets"]]
        reported.setdefault(sub["script"], []).extend(names)
    for sub in SUB_BENCHES:
        for e in sub.expected:
            assert e.reported_in(reported[sub.script]), (sub.script, e.name)


@pytest.mark.parametrize(
    ("stdout", "reason"),
    [
        ("not json at all", "stdout is not one JSON object"),
        ('progress 50%\n{"targets": [], "rows": []}', "stdout is not one JSON object"),
        ("[1, 2]", "stdout is not a JSON object"),
        ('{"rows": []}', '"targets" is not a non-empty list'),
        ('{"targets": [], "rows": []}', '"targets" is not a non-empty list'),
        ('{"targets": [{"name": "a"}], "rows": []}', "targets[0] lacks figure, met, target, unit"),
        (
            '{"targets": [{"name": "a", "figure": "1", "unit": "s", "target": 1, "met": true}],'
            ' "rows": []}',
            "targets[0].figure is not a number",
        ),
        (
            '{"targets": [{"name": "a", "figure": true, "unit": "s", "target": 1, "met": true}],'
            ' "rows": []}',
            "targets[0].figure is not a number",
        ),
        (
            '{"targets": [{"name": "a", "figure": NaN, "unit": "s", "target": 1, "met": true}],'
            ' "rows": []}',
            "targets[0].figure is not finite",
        ),
        (
            '{"targets": [{"name": "a", "figure": 1, "unit": "s", "target": 1, "met": "yes"}],'
            ' "rows": []}',
            "targets[0].met is not true, false or null",
        ),
        (
            '{"targets": [{"name": "a", "figure": 1, "unit": "s", "target": null, "met": true}],'
            ' "rows": []}',
            "targets[0] has a verdict but no target",
        ),
        (
            '{"targets": [{"name": " ", "figure": 1, "unit": "s", "target": 1, "met": true}],'
            ' "rows": []}',
            "targets[0].name is not a non-empty string",
        ),
        (
            '{"targets": [{"name": "a", "figure": 1, "unit": "s", "target": 1, "met": true}],'
            ' "rows": {}}',
            '"rows" is not a list',
        ),
    ],
)
def test_wrong_shape_is_bad_output(stdout: str, reason: str) -> None:
    with pytest.raises(BadOutput) as caught:
        parse_output(stdout, "fake")
    assert str(caught.value).startswith(reason)


def test_a_sub_bench_printing_the_wrong_shape_is_not_run_with_its_expected_targets(
    tmp_path: Path,
) -> None:
    result = run(tmp_path, 'print(\'{"targets": "all met"}\')\n')
    assert result.status == "not run"
    assert result.reason == 'bad output ("targets" is not a non-empty list)'
    assert [(t.name, t.figure, t.met) for t in result.targets] == [
        (e.name, None, None) for e in FAKE.expected
    ]
    first = result.targets[0]
    assert first.verdict() == 'not run: bad output ("targets" is not a non-empty list)'
    row = table(result.targets)[2]  # after the header and the rule
    assert row.startswith("| the fake start-up (≤ 0.25 s) | — | not run: bad output")


def test_a_failing_sub_bench_is_not_run_even_when_it_printed_good_json(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        f"""
        import json, sys
        print(json.dumps({GOOD!r}))
        print("store unreachable", file=sys.stderr)
        sys.exit(4)
        """,
    )
    assert result.status == "not run"
    assert result.reason == "exit 4: store unreachable"
    assert [t.figure for t in result.targets] == [None] * len(FAKE.expected)


def test_a_missing_sub_bench_is_not_run(tmp_path: Path) -> None:
    bench = tmp_path / "bench"
    bench.mkdir()
    result = run_sub_bench(FAKE, python=sys.executable, work=tmp_path, timeout=5, bench=bench)
    assert result.status == "not run"
    assert result.reason == "bench/fake_bench.py is not in this checkout"
    assert result.wall_s is None


def test_a_sub_bench_over_its_time_is_killed_and_not_run(tmp_path: Path) -> None:
    result = run(tmp_path, "import time\ntime.sleep(60)\n", timeout=1.0)
    assert result.status == "not run"
    assert result.reason == "did not finish in 1 s"


def test_every_stage_expects_targets_so_a_stage_that_fails_still_has_rows() -> None:
    assert {s.stage for s in SUB_BENCHES} == {"startup", "scale", "evidence", "fleet"}
    assert all(s.expected for s in SUB_BENCHES)
    for sub in SUB_BENCHES:
        for e in sub.expected:
            assert (e.target is None) == (e.direction == ""), e


def test_rows_are_a_table_when_flat_and_json_lines_otherwise() -> None:
    assert rows_markdown(GOOD["rows"]) == [
        "| size | wall_s |",
        "|---|---|",
        "| 10k | 1.2 |",
        "| 50k | 4.5 |",
    ]
    nested = [{"size": "10k", "per": {"a": 1}}]
    assert rows_markdown(nested) == ["```json", json.dumps(nested[0]), "```"]
    assert rows_markdown([]) == ["(no rows)"]


def test_a_target_without_verdict_shows_a_dash_and_not_run_wins() -> None:
    plain = Target("x", "s", None, "fake", figure=1.0)
    assert plain.verdict() == "—"
    assert Target("x", "s", 1.0, "fake", not_run="no PostgreSQL").verdict() == (
        "not run: no PostgreSQL"
    )
