"""The fleet bench keeps the sub-bench contract (bench/stages.py), measured on a tiny fleet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.stages import SUB_BENCHES, parse_output

from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "bench/fleet.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_tiny_fleet_prints_the_contract(postgres_server: PostgresServer) -> None:
    # postgres_server: the bench starts its own throwaway server; the fixture fails in CI
    # (and skips elsewhere) when PostgreSQL is not installed, as the bench would.
    got = _bench("--clusters", "3", "--days", "2", "--json")
    assert got.returncode == 0, got.stderr[-2000:]
    targets, _rows = parse_output(got.stdout, "fleet")
    names = [t.name for t in targets]
    assert names == [
        f"{what}, 3 clusters x 2 runs{rss}"
        for rss in ("", ", peak RSS")
        for what in ("report --fleet html", "report --fleet json", "evidence verify")
    ]
    assert all(t.figure is not None and t.figure > 0 for t in targets)
    doc = json.loads(got.stdout)
    assert {r["records"] for r in doc["rows"]} == {6}
    # the full-size names are the ones bench/stages.py expects when the stage is not run
    (fleet,) = [s for s in SUB_BENCHES if s.stage == "fleet"]
    assert [e.name for e in fleet.expected] == [
        n.replace("3 clusters x 2 runs", "100 clusters x 30 runs") for n in names
    ]


def test_bad_sizes_are_refused() -> None:
    got = _bench("--days", "31")
    assert got.returncode == 2 and "--days 1..30" in got.stderr
