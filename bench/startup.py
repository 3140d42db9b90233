"""Start-up bench: what a short regulens command costs next to a bare `python -c pass`.

    .venv/bin/python bench/startup.py              # a table, 11 interleaved runs of each
    .venv/bin/python bench/startup.py --runs 21 --json

Each command runs as its own process from the venv of the interpreter running this
script (`python -c pass` is that same interpreter); the runs are interleaved (one of
each, N times) so that a change of load on the machine falls on every command alike, and
the median of the runs is reported: wall time around the process, CPU time (user + system)
from `os.wait4`. The commands:

- `python -c pass`: the floor;
- `regulens --version` and `regulens --help`;
- `regulens evaluate`: the README's platform scan of examples/platform with the ops data
  (builtin:ops-baseline security, recovery and KPI policies; exit 0);
- `regulens gate`: the `make demo` gate (every input, signed), recording into a SQLite
  store in a temporary directory; one untimed run first creates the store, so the timed
  runs append to an existing chain as `make demo` does on every run after its first.

Targets (issue 17): `--version` and `--help` within 4x `python -c pass` (wall), the gate
within 0.35 s and the evaluation within 0.25 s (wall). Under load wall times wander; the
ratio to `python -c pass` and the CPU times are steadier. `--json` prints one object,
`{"targets": [{"name", "figure", "unit", "target", "met"}], "rows": [...], "environment"}`.

By default the regulens package is byte-compiled first (`compileall`, which writes
`__pycache__` next to the sources of an editable install), as `pip install` of the wheel
does; otherwise, with PYTHONDONTWRITEBYTECODE set, every run would compile every module
again. `--no-compile` measures the installation as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOW = "2026-11-30T01:30:00Z"


@dataclass
class Case:
    """One command to measure, and the exit code it must end with."""

    name: str
    argv: list[str]
    expect: int = 0
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def evaluate_argv(regulens: str) -> list[str]:
    """The README platform scan (exit 0): security, recovery and KPI policies with ops data."""
    return [
        regulens,
        "evaluate",
        *("--policies", "builtin:ops-baseline/security"),
        *("--policies", "builtin:ops-baseline/recovery"),
        *("--policies", "builtin:ops-baseline/kpi"),
        *("--backups", str(EXAMPLES / "ops" / "backups.yaml")),
        *("--drills", str(EXAMPLES / "ops" / "drills.yaml")),
        *("--metrics", str(EXAMPLES / "ops" / "metrics.json")),
        *("--now", NOW),
        *("--manifests", str(EXAMPLES / "platform")),
    ]


def gate_argv(regulens: str, evidence: str, key: str) -> list[str]:
    """The Makefile `demo` gate, recording (signed) into `evidence`."""
    scans = EXAMPLES / "scans"
    ops = EXAMPLES / "ops"
    return [
        regulens,
        "gate",
        *("--change", str(EXAMPLES / "changes" / "allowed.yaml")),
        *("--policies", "builtin:ops-baseline"),
        *("--policies", "builtin:ops-incidents"),
        *("--manifests", str(EXAMPLES / "platform")),
        *("--current-manifests", str(EXAMPLES / "platform")),
        *("--backups", str(ops / "backups.yaml")),
        *("--drills", str(ops / "drills.yaml")),
        *("--incidents", str(ops / "incidents.yaml")),
        *("--alertmanager-silences", str(ops / "alertmanager-silences.json")),
        *("--metrics", str(ops / "metrics.json")),
        *("--trivy-report", str(scans / "api-v1.1.0.trivy.json")),
        *("--trivy-report", str(scans / "worker-v1.1.0.trivy.json")),
        *("--trivy-report", str(scans / "backup-v2.3.1.trivy.json")),
        *("--now", NOW),
        *("--evidence", evidence),
        *("--stream", "demo"),
        *("--signing-key", key),
    ]


def measure(argv: list[str]) -> tuple[float, float, int, str]:
    """Run `argv` once: wall seconds, CPU seconds, exit code, the tail of its stderr."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        err.seek(0)
        tail = err.read()[-400:].decode("utf-8", "replace")
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), tail


def run_once(case: Case) -> None:
    wall, cpu, code, tail = measure(case.argv)
    if code != case.expect:
        case.failures.append(f"exit {code} (expected {case.expect}): {tail.strip()}")
        return
    case.walls.append(wall)
    case.cpus.append(cpu)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def byte_compile(python: str) -> str:
    """Byte-compile the installed regulens package (as a wheel install does); its path."""
    where = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('regulens').origin)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    package = str(Path(where).parent)
    subprocess.run([python, "-m", "compileall", "-q", package], check=True)
    return package


def ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or not floor:
        return None
    return value / floor


def targets(by_name: dict[str, Case]) -> list[dict[str, Any]]:
    floor = median(by_name["python -c pass"].walls)
    wanted: list[tuple[str, float | None, str, float]] = [
        (
            "regulens --version (wall, x python -c pass)",
            ratio(median(by_name["regulens --version"].walls), floor),
            "x",
            4.0,
        ),
        (
            "regulens --help (wall, x python -c pass)",
            ratio(median(by_name["regulens --help"].walls), floor),
            "x",
            4.0,
        ),
        ("regulens gate demo, signed, recording (wall)", median(by_name["gate"].walls), "s", 0.35),
        ("regulens evaluate example platform (wall)", median(by_name["evaluate"].walls), "s", 0.25),
    ]
    out = []
    for name, figure, unit, target in wanted:
        out.append(
            {
                "name": name,
                "figure": round(figure, 4) if figure is not None else None,
                "unit": unit,
                "target": target,
                "met": None if figure is None else figure <= target,
            }
        )
    return out


def rows(cases: list[Case]) -> list[dict[str, Any]]:
    floor_wall = median(cases[0].walls)
    floor_cpu = median(cases[0].cpus)
    out = []
    for case in cases:
        wall, cpu = median(case.walls), median(case.cpus)
        out.append(
            {
                "name": case.name,
                "runs": len(case.walls),
                "failures": case.failures,
                "wall_median_s": wall,
                "cpu_median_s": cpu,
                "wall_min_s": min(case.walls) if case.walls else None,
                "wall_x_floor": ratio(wall, floor_wall),
                "cpu_x_floor": ratio(cpu, floor_cpu),
            }
        )
    return out


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(result: dict[str, Any]) -> str:
    env = result["environment"]
    lines = [
        f"start-up bench: median of {env['runs']} interleaved runs; load average "
        f"{env['load_average_before']} before, {env['load_average_after']} after",
        "",
        f"{'command':<20} {'runs':>4} {'wall ms':>9} {'min ms':>8} {'cpu ms':>8} "
        f"{'wall x':>7} {'cpu x':>7}",
    ]
    for row in result["rows"]:
        wall = row["wall_median_s"]
        lines.append(
            f"{row['name']:<20} {row['runs']:>4} {fmt(wall and wall * 1000, '9.1f')} "
            f"{fmt(row['wall_min_s'] and row['wall_min_s'] * 1000, '8.1f')} "
            f"{fmt(row['cpu_median_s'] and row['cpu_median_s'] * 1000, '8.1f')} "
            f"{fmt(row['wall_x_floor'], '7.2f')} {fmt(row['cpu_x_floor'], '7.2f')}"
        )
        lines.extend(f"  FAILED: {failure}" for failure in row["failures"][:3])
    lines.append("")
    for target in result["targets"]:
        met = {True: "met", False: "NOT met", None: "not measured"}[target["met"]]
        unit = target["unit"]
        lines.append(
            f"{target['name']}: {fmt(target['figure'], '.3f')} {unit} "
            f"(target <= {target['target']} {unit}): {met}"
        )
    return "\n".join(lines)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="runs of each command (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile regulens first"
    )
    args = parser.parse_args(argv)

    python = sys.executable
    regulens = str(Path(python).parent / "regulens")
    compiled = None if args.no_compile else byte_compile(python)
    with tempfile.TemporaryDirectory(prefix="regulens-startup-") as tmp:
        key = str(Path(tmp) / "signing.pem")
        subprocess.run(
            [regulens, "keys", "generate", "-o", key], check=True, capture_output=True, cwd=ROOT
        )
        evidence = f"sqlite:///{Path(tmp) / 'evidence.db'}"
        cases = [
            Case("python -c pass", [python, "-c", "pass"]),
            Case("regulens --version", [regulens, "--version"]),
            Case("regulens --help", [regulens, "--help"]),
            Case("evaluate", evaluate_argv(regulens)),
            Case("gate", gate_argv(regulens, evidence, key)),
        ]
        # Untimed: creates the store (and warms the page cache for every command).
        for case in cases:
            measure(case.argv)
        before = load_average()
        for _ in range(args.runs):
            for case in cases:
                run_once(case)
        after = load_average()
    by_name = {case.name: case for case in cases}
    result = {
        "targets": targets(by_name),
        "rows": rows(cases),
        "environment": {
            "python": python,
            "runs": args.runs,
            "cpus": os.cpu_count(),
            "load_average_before": before,
            "load_average_after": after,
            "byte_compiled": compiled,
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        },
    }
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 1 if any(case.failures for case in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
