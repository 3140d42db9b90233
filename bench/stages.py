"""The stages of `make bench`, the sub-bench contract and the one table of targets.

A sub-bench is a script in bench/ that, run as `python bench/NAME.py --json`,
prints exactly one JSON object on stdout and exits 0 once it has measured:

    {"targets": [{"name": str, "figure": float, "unit": str,
                  "target": float | null, "met": bool | null}, ...],
     "rows": [...]}

`met` is the sub-bench's own verdict (null: a figure without a target);
`rows` are its detail measurements, kept in the JSON results and shown
under the table. A missing script, a non-zero exit, a timeout or output of
any other shape is reported as "not run: <reason>" with the targets the
stage was expected to deliver, never as a figure; so is an expected target
that a sub-bench which ran did not report (e.g. `scale.py --sizes 10k` has no
200k figure): the table never silently loses a target.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Target:
    """One line of the table: a figure against a target, or why there is none."""

    name: str
    unit: str
    target: float | None
    stage: str
    figure: float | None = None
    met: bool | None = None
    not_run: str = ""  # the reason, when there is no figure
    note: str = ""
    direction: str = ""  # "≤" or "≥" when known (sub-benches only give the verdict)

    def verdict(self) -> str:
        if self.not_run:
            return f"not run: {self.not_run}"
        if self.met is None:
            return "—"
        return "met" if self.met else "**missed**"


@dataclass(frozen=True)
class Expected:
    """A target a stage is expected to report (shown as not run when it does not)."""

    name: str
    unit: str
    target: float | None
    direction: str = ""  # "≤" or "≥": how the figure must compare with the target
    reported: str = ""  # how the names the sub-bench reports it under begin (default: name)

    def reported_in(self, targets: Sequence[Target]) -> bool:
        """Whether one of `targets` is this expected one (its name begins as `reported`)."""
        prefix = self.reported or self.name
        return any(t.name.startswith(prefix) for t in targets)


NOT_REPORTED = "not reported (the sub-bench ran but gave no figure for it)"


@dataclass(frozen=True)
class SubBench:
    stage: str
    script: str
    expected: tuple[Expected, ...]


X = "x"
SUB_BENCHES: tuple[SubBench, ...] = (
    SubBench(
        "startup",
        "startup.py",
        (
            Expected(
                "`regulens --version` vs `python -c pass`", X, 4.0, "≤", "regulens --version ("
            ),
            Expected("`regulens --help` vs `python -c pass`", X, 4.0, "≤", "regulens --help ("),
            Expected(
                "`regulens gate` on the demo inputs, recording signed",
                "s",
                0.35,
                "≤",
                "regulens gate demo",
            ),
            Expected(
                "`regulens evaluate` of the example platform",
                "s",
                0.25,
                "≤",
                "regulens evaluate example platform",
            ),
        ),
    ),
    SubBench(
        "scale",
        "scale.py",
        (
            Expected("10k objects from YAML vs the yaml-rs parse floor", X, 1.5, "≤"),
            Expected("50k objects from a JSON snapshot vs the orjson parse floor", X, 3.0, "≤"),
            Expected("50k objects from a JSON snapshot, peak RSS", "MB", 400.0, "≤"),
            Expected("200k objects from a JSON snapshot", "s", 10.0, "≤"),
            Expected("200k objects from a JSON snapshot, peak RSS", "MB", 1536.0, "≤"),
            Expected("growth: µs per object at 200k over 10k (1 = linear)", X, None, ""),
        ),
    ),
    SubBench(
        "evidence",
        "evidence_append.py",
        (
            Expected(
                "evidence append, 16 PostgreSQL writers",
                "records/s",
                1000.0,
                "≥",
                "append postgres 16 writers into",
            ),
        ),
    ),
    SubBench(
        "evidence",
        "evidence_verify.py",
        (
            Expected(
                "`evidence verify` of 1M signed records",
                "s",
                60.0,
                "≤",
                "verify 1,000,000 records with keys (",
            ),
        ),
    ),
    SubBench(
        "evidence",
        "evidence_year.py",
        (
            Expected(
                "report over a year of fleet evidence, 20 x 365 runs",
                "s",
                10.0,
                "≤",
                "report --period ",
            ),
            Expected(
                "review over a year of fleet evidence, 20 x 365 runs",
                "s",
                10.0,
                "≤",
                "review --period ",
            ),
        ),
    ),
    SubBench(
        "fleet",
        "fleet.py",
        (
            Expected("report --fleet html, 100 clusters x 30 runs", "s", None, ""),
            Expected("report --fleet json, 100 clusters x 30 runs", "s", None, ""),
            Expected("evidence verify, 100 clusters x 30 runs", "s", None, ""),
            Expected("report --fleet html, 100 clusters x 30 runs, peak RSS", "MiB", None, ""),
            Expected("report --fleet json, 100 clusters x 30 runs, peak RSS", "MiB", None, ""),
            Expected("evidence verify, 100 clusters x 30 runs, peak RSS", "MiB", None, ""),
        ),
    ),
)
STAGES = ("side-by-side", *dict.fromkeys(s.stage for s in SUB_BENCHES))


class BadOutput(ValueError):
    """A sub-bench printed something other than the contract's one JSON object."""


def _number(value: object, what: str, *, nullable: bool) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadOutput(f"{what} is not a number")
    if not math.isfinite(value):
        raise BadOutput(f"{what} is not finite")
    return float(value)


def parse_output(text: str, stage: str) -> tuple[list[Target], list[Any]]:
    """Read a sub-bench's stdout into its targets and rows; BadOutput if it breaks the contract."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BadOutput(f"stdout is not one JSON object ({exc})") from None
    if not isinstance(data, dict):
        raise BadOutput("stdout is not a JSON object")
    targets, rows = data.get("targets"), data.get("rows")
    if not isinstance(targets, list) or not targets:
        raise BadOutput('"targets" is not a non-empty list')
    if not isinstance(rows, list):
        raise BadOutput('"rows" is not a list')
    out: list[Target] = []
    for i, item in enumerate(targets):
        where = f"targets[{i}]"
        if not isinstance(item, dict):
            raise BadOutput(f"{where} is not an object")
        missing = {"name", "figure", "unit", "target", "met"} - set(item)
        if missing:
            raise BadOutput(f"{where} lacks {', '.join(sorted(missing))}")
        name, unit, met = item["name"], item["unit"], item["met"]
        if not isinstance(name, str) or not name.strip():
            raise BadOutput(f"{where}.name is not a non-empty string")
        if not isinstance(unit, str):
            raise BadOutput(f"{where}.unit is not a string")
        if met is not None and not isinstance(met, bool):
            raise BadOutput(f"{where}.met is not true, false or null")
        figure = _number(item["figure"], f"{where}.figure", nullable=False)
        target = _number(item["target"], f"{where}.target", nullable=True)
        if target is None and met is not None:
            raise BadOutput(f"{where} has a verdict but no target")
        out.append(Target(name.strip(), unit, target, stage, figure, met))
    return out, rows


@dataclass
class StageResult:
    """What one sub-bench delivered (or why it delivered nothing)."""

    stage: str
    script: str
    targets: list[Target]
    rows: list[Any] = field(default_factory=list)
    status: str = "ok"  # ok | not run
    reason: str = ""
    wall_s: float | None = None
    cpu_s: float | None = None
    rss_mb: float | None = None
    exit_code: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "targets": [asdict(t) for t in self.targets]}


def not_run(sub: SubBench, reason: str) -> StageResult:
    targets = [
        Target(e.name, e.unit, e.target, sub.stage, not_run=reason, direction=e.direction)
        for e in sub.expected
    ]
    return StageResult(sub.stage, sub.script, targets, status="not run", reason=reason)


def _tail(path: Path) -> str:
    try:
        lines = path.read_text("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:200] if lines else ""


def run_sub_bench(
    sub: SubBench,
    *,
    python: str,
    work: Path,
    timeout: float,
    args: Sequence[str] = (),
    bench: Path = BENCH,
    env: Mapping[str, str] | None = None,
) -> StageResult:
    """Run one sub-bench as `python SCRIPT --json ARGS`, measured like every tool; never raises."""
    script = bench / sub.script
    if not script.is_file():
        return not_run(sub, f"bench/{sub.script} is not in this checkout")
    stem = work / f"stage-{script.stem}"
    out, err, measured = (stem.with_suffix(s) for s in (".out", ".err", ".measure.json"))
    measured.unlink(missing_ok=True)
    launcher = [python, "-I", "-S", str(bench / "launch.py"), str(measured)]
    cmd = [*launcher, python, str(script), "--json", *args]
    started = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            cmd,
            stdout=stdout,
            stderr=stderr,
            cwd=bench.parent,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            result = not_run(sub, f"did not finish in {timeout:.0f} s")
            result.wall_s = round(time.perf_counter() - started, 2)
            return result
    try:
        usage = json.loads(measured.read_text())
    except (OSError, ValueError):
        return not_run(sub, f"could not be started (exit {proc.returncode}: {_tail(err)})")
    code = usage["exit_code"]
    if code != 0:
        result = not_run(sub, f"exit {code}" + (f": {_tail(err)}" if _tail(err) else ""))
    else:
        try:
            targets, rows = parse_output(out.read_text("utf-8", errors="replace"), sub.stage)
        except BadOutput as exc:
            result = not_run(sub, f"bad output ({exc})")
        else:
            missing = [e for e in sub.expected if not e.reported_in(targets)]
            targets += [
                Target(
                    e.name, e.unit, e.target, sub.stage, not_run=NOT_REPORTED, direction=e.direction
                )
                for e in missing
            ]
            result = StageResult(sub.stage, sub.script, targets, rows)
    result.wall_s = round(usage["wall_s"], 3)
    result.cpu_s = round(usage["cpu_s"], 3)
    result.rss_mb = round(usage["rss_mb"], 1)
    result.exit_code = code
    return result


def fmt_value(value: float, unit: str) -> str:
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def fmt_figure(t: Target) -> str:
    if t.figure is None:
        return "—"
    return fmt_value(t.figure, t.unit)


def fmt_target(t: Target) -> str:
    if t.target is None:
        return t.name
    limit = f"{t.direction} " if t.direction else "target "
    return f"{t.name} ({limit}{t.target:,g} {t.unit})"


def table(targets: Sequence[Target]) -> list[str]:
    """The one table: every target, its figure and whether it was met."""
    lines = ["| target | figure | met/missed | stage |", "|---|---:|---|---|"]
    for t in targets:
        figure = fmt_figure(t) + (f" ({t.note})" if t.note else "")
        lines.append(f"| {fmt_target(t)} | {figure} | {t.verdict()} | {t.stage} |")
    return lines


def rows_markdown(rows: Sequence[Any]) -> list[str]:
    """A sub-bench's detail rows: a table when they are flat objects, else JSON lines."""
    if not rows:
        return ["(no rows)"]
    if all(isinstance(r, dict) for r in rows):
        keys = list(dict.fromkeys(k for r in rows for k in r))
        flat = all(not isinstance(v, dict | list) for r in rows for v in r.values())
        if flat:
            out = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            for r in rows:
                out.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
            return out
    return ["```json", *(json.dumps(r, ensure_ascii=False) for r in rows), "```"]
