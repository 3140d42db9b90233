"""The audit-log benchmark runs standalone as bench/README.md shows, on a small size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.audit_log import generate, measure, parse_size

ROOT = Path(__file__).resolve().parents[2]


def test_generated_log_is_read_whole_and_judged(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    lines = generate(log, parse_size("512K"))
    assert abs(log.stat().st_size - 512 * 1024) < 2048
    measured = measure(str(log))
    assert measured["lines"] == lines and measured["problems"] == 0
    assert measured["results"] >= 4


def test_the_documented_command_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # bench/README.md's command (`make bench-audit`), at sizes a test can afford
    args = [sys.executable, "bench/audit_log.py", "--sizes", "256K,512K", "--runs", "1"]
    out = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].split() == [
        "size", "MiB", "lines", "seconds", "CPU", "s", "MiB/CPU", "s", "peak", "RSS", "MiB"
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["256K", "512K"]
