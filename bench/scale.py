"""Scale bench: regulens at 10k, 50k and 200k objects against the parse floors.

    .venv/bin/python bench/scale.py                          # a table: 10k, 50k, 200k, 3 runs
    .venv/bin/python bench/scale.py --sizes 10k,50k --runs 3 --json
    .venv/bin/python bench/scale.py --sizes 10k,200k --runs 3 --large-runs 1

Inputs come from bench/generate.py (same seed, same bytes; 200k as a snapshot only). At
every size, `regulens evaluate` runs from the JSON snapshot beside the orjson parse
floor (bench/floor.py); up to `--yaml-max-size` (10k) also from the one-file-per-object
YAML tree beside the yaml-rs floor. The regulens command line is the side-by-side
stage's (bench/run.py `commands`): builtin:ops-baseline minus the policies whose inputs
a cluster dump cannot provide, plus bench/policies, JSON output of every result. Each
process is started by bench/launch.py: wall time around it, CPU time and peak RSS from
`os.wait4`; runs are interleaved round-robin within a size; medians are reported (peak
RSS: the largest run). A run that fails or judges nothing makes its case "failed".

Targets (the contract of bench/stages.py, stage `scale`): 10k from YAML <= 1.5x the
yaml-rs floor, 50k from the snapshot <= 3x the orjson floor and <= 400 MB, 200k <= 10 s
and <= 1.5 GB, and the growth in µs per object from 10k to 200k (no target; 1 = linear).
A target whose size was not measured is left out of the output. `--json` prints one
object, `{"targets": [...], "rows": [...]}`; progress goes to standard error.

As bench/startup.py does, the regulens package is byte-compiled first (`compileall`, as
`pip install` of the wheel does): with PYTHONDONTWRITEBYTECODE set, every run would
otherwise compile every module again (most of a second under load). `--no-compile`
measures the installation as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.generate import ensure, parse_size  # noqa: E402
from bench.run import acceptable, commands, measure, pack_skips, summarise_in_child, warm  # noqa: E402
from bench.startup import byte_compile  # noqa: E402

DEFAULT_SIZES = "10k,50k,200k"
YAML_TOOLS = ("regulens", "floor-yaml-rs")  # from the one-file-per-object tree
SNAPSHOT_TOOLS = ("regulens-snapshot", "floor-orjson")
MB_200K = 1536.0


@dataclass
class Case:
    """One tool at one size, with the runs that completed (or why it failed)."""

    tool: str
    size: str
    objects: int
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    failure: str = ""

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls and not self.failure else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus and not self.failure else None

    @property
    def peak(self) -> float | None:
        return max(self.rss) if self.rss and not self.failure else None


def parse_sizes(text: str) -> list[str]:
    """`10k,50k,200k` -> the size names, smallest first; an unknown size is a usage error."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    if not names:
        raise argparse.ArgumentTypeError("no size given")
    for name in names:
        try:
            if parse_size(name) < 1:
                raise ValueError(name)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a size: {name!r} (e.g. 10k, 50k, 200k)"
            ) from None
    return sorted(dict.fromkeys(names), key=parse_size)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES))
    p.add_argument("--runs", type=positive, default=3, help="runs per case (median)")
    p.add_argument(
        "--large-runs", type=positive, default=None, help="runs above 50k (default: --runs)"
    )
    p.add_argument("--yaml-max-size", default="10k", help="run from the YAML tree up to this size")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out", help="generated inputs")
    p.add_argument("--json", action="store_true", help="print one JSON object (bench/stages.py)")
    p.add_argument("--no-compile", action="store_true", help="do not byte-compile regulens first")
    return p


def tools_at(size: str, yaml_max: str) -> tuple[str, ...]:
    """The cases measured at one size: the snapshot always, the YAML tree up to `yaml_max`."""
    if parse_size(size) <= parse_size(yaml_max):
        return (*YAML_TOOLS, *SNAPSHOT_TOOLS)
    return SNAPSHOT_TOOLS


def runs_at(size: str, runs: int, large_runs: int | None) -> int:
    return large_runs if large_runs is not None and parse_size(size) > 50_000 else runs


def measure_size(size: str, args: argparse.Namespace, skips: list[str], work: Path) -> list[Case]:
    """Generate (or reuse) the inputs of one size and run its cases round-robin."""
    tools = tools_at(size, args.yaml_max_size)
    out = ensure(size, args.seed, args.out, yaml_forms="regulens" in tools)
    objects = int(json.loads((out / "info.json").read_text("utf-8"))["objects"])
    warm(out / "snapshot.json" if "regulens" not in tools else out)
    cmds = commands(out, skips, work)
    cases = [Case(tool, size, objects) for tool in tools]
    runs = runs_at(size, args.runs, args.large_runs)
    for i in range(runs):
        for case in cases:
            if case.failure:
                continue
            stdout = work / f"{size}-{case.tool}-{i}.out"
            run = measure(cmds[case.tool][1], timeout=args.timeout, stdout=stdout)
            if run.timed_out:
                case.failure = f"did not finish in {args.timeout:.0f} s"
            else:
                run.info = summarise_in_child(case.tool, stdout)
                if not acceptable(case.tool, run):
                    err = stdout.with_suffix(".err").read_text("utf-8", errors="replace").strip()
                    last = err.splitlines()[-1] if err else ""
                    case.failure = f"exit {run.exit_code}: {last}"[:200]
            stdout.unlink(missing_ok=True)
            print(
                f"{size:>5} {case.tool:<18} run {i + 1}/{runs}: {run.wall_s:7.2f} s wall "
                f"{run.cpu_s:7.2f} s cpu {run.rss_mb:7.1f} MB"
                + (f"  FAILED {case.failure}" if case.failure else ""),
                file=sys.stderr,
                flush=True,
            )
            if not case.failure:
                case.walls.append(run.wall_s)
                case.cpus.append(run.cpu_s)
                case.rss.append(run.rss_mb)
    return cases


def rows(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """One flat row per case: medians, peak RSS and µs per object (wall and CPU)."""
    out = []
    for c in cases:
        wall, cpu = c.wall, c.cpu
        out.append(
            {
                "size": c.size,
                "tool": c.tool,
                "objects": c.objects,
                "runs": len(c.walls),
                "median_wall_s": None if wall is None else round(wall, 3),
                "median_cpu_s": None if cpu is None else round(cpu, 3),
                "peak_rss_mb": c.peak,
                "us_per_object_wall": None if wall is None else round(wall / c.objects * 1e6, 1),
                "us_per_object_cpu": None if cpu is None else round(cpu / c.objects * 1e6, 1),
                "failure": c.failure,
            }
        )
    return out


def _target(name: str, figure: float, unit: str, target: float | None) -> dict[str, Any]:
    met = None if target is None else figure <= target
    return {"name": name, "figure": figure, "unit": unit, "target": target, "met": met}


def targets(cases: Sequence[Case]) -> list[dict[str, Any]]:
    """The stage's targets (bench/stages.py names) from the medians; unmeasured ones left out."""
    by = {(c.size, c.tool): c for c in cases}
    count = {parse_size(c.size): c.size for c in cases}

    def get(n: int, tool: str) -> Case | None:
        return by.get((count[n], tool)) if n in count else None

    def ratio(num: Case | None, den: Case | None) -> float | None:
        if num is None or den is None or num.wall is None or not den.wall:
            return None
        return round(num.wall / den.wall, 3)

    out = []
    yaml_10k = ratio(get(10_000, "regulens"), get(10_000, "floor-yaml-rs"))
    if yaml_10k is not None:
        out.append(_target("10k objects from YAML vs the yaml-rs parse floor", yaml_10k, "x", 1.5))
    snap_50k = get(50_000, "regulens-snapshot")
    orjson_50k = ratio(snap_50k, get(50_000, "floor-orjson"))
    if orjson_50k is not None:
        name = "50k objects from a JSON snapshot vs the orjson parse floor"
        out.append(_target(name, orjson_50k, "x", 3.0))
    if snap_50k is not None and snap_50k.peak is not None:
        name = "50k objects from a JSON snapshot, peak RSS"
        out.append(_target(name, snap_50k.peak, "MB", 400.0))
    snap_200k = get(200_000, "regulens-snapshot")
    if snap_200k is not None and snap_200k.wall is not None and snap_200k.peak is not None:
        out.append(
            _target("200k objects from a JSON snapshot", round(snap_200k.wall, 2), "s", 10.0)
        )
        name = "200k objects from a JSON snapshot, peak RSS"
        out.append(_target(name, snap_200k.peak, "MB", MB_200K))
    snap_10k = get(10_000, "regulens-snapshot")
    if snap_10k is not None and snap_10k.wall and snap_200k is not None and snap_200k.wall:
        per_10k = snap_10k.wall / snap_10k.objects
        per_200k = snap_200k.wall / snap_200k.objects
        name = "growth: µs per object at 200k over 10k (1 = linear)"
        out.append(_target(name, round(per_200k / per_10k, 2), "x", None))
    return out


def table(result: dict[str, Any]) -> str:
    """The human form: one line per case, then the targets."""
    lines = [
        f"{'size':>5} {'tool':<18} {'runs':>4} {'wall s':>8} {'cpu s':>8} {'RSS MB':>8} "
        f"{'µs/obj wall':>11} {'µs/obj cpu':>10}"
    ]

    def num(value: object, width: int, spec: str) -> str:
        return f"{'-':>{width}}" if value is None else f"{value:{width}{spec}}"

    for r in result["rows"]:
        lines.append(
            f"{r['size']:>5} {r['tool']:<18} {r['runs']:>4} {num(r['median_wall_s'], 8, '.2f')} "
            f"{num(r['median_cpu_s'], 8, '.2f')} {num(r['peak_rss_mb'], 8, '.1f')} "
            f"{num(r['us_per_object_wall'], 11, '.1f')} {num(r['us_per_object_cpu'], 10, '.1f')}"
            + (f"  FAILED: {r['failure']}" if r["failure"] else "")
        )
    env = result["environment"]
    lines.append("")
    lines.append(
        f"load average {env['load_average_before']} before, {env['load_average_after']} after"
    )
    for t in result["targets"]:
        verdict = {True: "met", False: "MISSED", None: "-"}[t["met"]]
        limit = "" if t["target"] is None else f" (target <= {t['target']:g} {t['unit']})"
        lines.append(f"{t['name']}: {t['figure']:g} {t['unit']}{limit}: {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        parse_size(args.yaml_max_size)
    except ValueError:
        parser().error(f"--yaml-max-size: not a size: {args.yaml_max_size!r}")
    if not args.no_compile:  # as a wheel install is; else every run compiles every module
        byte_compile(sys.executable)
    skips = pack_skips()
    cases: list[Case] = []
    before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="regulens-scale-") as tmp:
        for size in args.sizes:
            cases.extend(measure_size(size, args, skips, Path(tmp)))
    environment = {
        "cpus": os.cpu_count(),
        "load_average_before": before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "byte_compiled": not args.no_compile,
    }
    result = {"targets": targets(cases), "rows": rows(cases), "environment": environment}
    print(json.dumps(result, ensure_ascii=False) if args.json else table(result))
    failed = [c for c in cases if c.failure]
    for c in failed:  # the last line of stderr is what bench/run.py shows for a failed stage
        print(f"scale: {c.tool} at {c.size} failed: {c.failure}", file=sys.stderr)
    if not result["targets"]:
        print("scale: no target could be measured at these sizes", file=sys.stderr)
    # fail closed: a failed run means a figure is missing, not a target met or missed
    return 1 if failed or not result["targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
