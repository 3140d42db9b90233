"""`make bench`: every performance target of regulens in one table, measured in one run.

    make bench BENCH_ARGS="--sizes 1k,10k,50k --runs 3 --peers checkov,trivy,regorus"
    .venv/bin/python bench/run.py --sizes 1k --runs 3 --peers none --stages side-by-side

Stages (`--stages`, default all):

- side-by-side: regulens, Checkov, Trivy, regorus (Rego equivalents of the
  bench CEL rules) and the parse floors, each as its own subprocess on the
  same generated inputs (bench/generate.py), runs interleaved round-robin;
- startup, scale, evidence, fleet: the sub-benches bench/startup.py,
  bench/scale.py, bench/evidence_{append,verify,year}.py and bench/fleet.py,
  each run as `python SCRIPT --json` (contract: bench/stages.py); one that is
  missing, fails or prints anything else is reported as "not run: <reason>".

Wall time is measured around each process, CPU time and peak RSS come from
`os.wait4` (bench/launch.py); medians of the runs are reported. Writes
bench/results/<timestamp>.json and bench/results/latest.md, whose first
table lists every target with its figure and whether it was met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS_BIN = BENCH / ".peers" / "bin"
RESULTS = BENCH / "results"
PYTHON = sys.executable
REGULENS = str(Path(PYTHON).parent / "regulens")
NOW = "2026-11-30T02:10:00Z"
POLICIES = ["builtin:ops-baseline", str(BENCH / "policies")]
PEER_TOOLS = ("checkov", "trivy", "regorus")
LOADS: list[float] = []  # the 1-minute load average before each measured process

sys.path.insert(0, str(ROOT))
from bench.generate import ensure, parse_size  # noqa: E402
from bench.stages import (  # noqa: E402
    STAGES,
    SUB_BENCHES,
    StageResult,
    Target,
    not_run,
    rows_markdown,
    run_sub_bench,
    table,
)
from bench.startup import byte_compile  # noqa: E402


@dataclass
class Run:
    """One measured process."""

    wall_s: float
    cpu_s: float
    rss_mb: float
    exit_code: int | None
    timed_out: bool = False
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    """One tool on one input, with all its runs."""

    tool: str
    input: str
    size: str
    objects: int
    runs: list[Run] = field(default_factory=list)
    status: str = "ok"  # ok | timeout | failed | not installed | not run
    note: str = ""

    @property
    def wall(self) -> float | None:
        done = [r.wall_s for r in self.runs if not r.timed_out]
        return statistics.median(done) if done and self.status == "ok" else None

    @property
    def cpu(self) -> float | None:
        done = [r.cpu_s for r in self.runs if not r.timed_out]
        return statistics.median(done) if done and self.status == "ok" else None

    @property
    def rss(self) -> float | None:
        return max(r.rss_mb for r in self.runs) if self.runs else None


def measure(
    cmd: list[str], *, timeout: float, env: dict[str, str] | None = None, stdout: Path
) -> Run:
    """Run one process via bench/launch.py: wall time, CPU time and peak RSS of it alone."""
    err_path = stdout.with_suffix(".err")
    result = stdout.with_suffix(".measure.json")
    result.unlink(missing_ok=True)
    launcher = [PYTHON, "-I", "-S", str(BENCH / "launch.py"), str(result), *cmd]
    with stdout.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            launcher, stdout=out, stderr=err, env=env, cwd=ROOT, start_new_session=True
        )
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return Run(round(time.perf_counter() - started, 2), 0.0, 0.0, None, timed_out=True)
    data = json.loads(result.read_text())
    return Run(
        wall_s=round(data["wall_s"], 4),
        cpu_s=round(data["cpu_s"], 4),
        rss_mb=round(data["rss_mb"], 1),
        exit_code=data["exit_code"],
    )


def pack_skips() -> list[str]:
    """Policies of the pack whose inputs a cluster dump cannot provide (change, scans, KPIs...)."""
    from regulens.engine.inputs import Input
    from regulens.policies import load_policies

    loaded = load_policies(["builtin:ops-baseline"])
    return [p.id for p in loaded.policies if set(p.check.inputs) - {Input.KUBERNETES}]


def tool_version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    if out.returncode != 0:
        return "?"
    first = (out.stdout or out.stderr).strip().splitlines()[0]
    return first.rsplit(" ", 1)[-1]  # "regulens, version 0.1.0", "Version: 0.76.0" -> number


def summarise_output(tool: str, path: Path) -> dict[str, Any]:
    """What the tool reported (so a run that judged nothing is visible)."""
    try:
        if tool.startswith("regulens"):
            data = json.loads(path.read_bytes())
            out = {"results": len(data["results"]), "summary": data["summary"]}
            if tool == "regulens-rego-rules":  # compared rule by rule with regorus
                by_rule = Counter(f"{r['policy']} {r['status']}" for r in data["results"])
                out["by_rule"] = dict(sorted(by_rule.items()))
            return out
        if tool == "checkov":
            data = json.loads(path.read_bytes())
            reports = data if isinstance(data, list) else [data]
            s = Counter[str]()
            for report in reports:
                for key in ("passed", "failed", "resource_count"):
                    s[key] += int(report.get("summary", {}).get(key, 0))
            return {"results": s["passed"] + s["failed"], "summary": dict(s)}
        if tool == "trivy":
            data = json.loads(path.read_bytes())
            results = data.get("Results") or []
            failures = sum(len(r.get("Misconfigurations") or []) for r in results)
            passes = sum((r.get("MisconfSummary") or {}).get("Successes", 0) for r in results)
            return {"results": failures + passes, "summary": {"pass": passes, "fail": failures}}
        if tool.startswith("floor"):
            return dict(json.loads(path.read_text().strip().splitlines()[-1]))
        if tool == "regorus":
            summary = dict(json.loads(path.read_text().strip().splitlines()[-1]))
            results = json.loads(path.with_suffix(".results.json").read_bytes())
            by_rule = Counter(f"{r['rule']} {'pass' if r['ok'] else 'fail'}" for r in results)
            return {**summary, "by_rule": dict(sorted(by_rule.items()))}
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return {"unreadable_output": str(exc)[:200]}
    return {}


def summarise_in_child(tool: str, path: Path) -> dict[str, Any]:
    """summarise_output in a child process: outputs reach 100 MB, run.py should stay small."""
    out = subprocess.run(
        [PYTHON, str(BENCH / "run.py"), "--summarise", tool, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        return dict(json.loads(out.stdout))
    except ValueError:
        return {"unreadable_output": out.stderr[-200:]}


def commands(out: Path, skips: list[str], work: Path) -> dict[str, tuple[str, list[str]]]:
    """The tools, each as (input label, command)."""
    pol = [a for p in POLICIES for a in ("--policies", p)]
    skip = [a for s in skips for a in ("--skip", s)]
    base = [REGULENS, "evaluate", *pol, *skip, "--format", "json", "--now", NOW]
    snap = str(out / "snapshot.json")
    replay = [*base, "--snapshot", snap]
    trivy_cache = str(BENCH / "out" / ".trivy-cache")
    return {
        "regulens": ("YAML, one file per object", [*base, "--manifests", str(out / "files")]),
        "regulens-multi": ("YAML, multi-document", [*base, "--manifests", str(out / "multi")]),
        "regulens-snapshot": ("JSON snapshot", replay),
        "regulens-rego-rules": (
            "JSON snapshot, bench/policies only",
            [*base[:2], "--policies", str(BENCH / "policies"), *base[-4:], "--snapshot", snap],
        ),
        "floor-pyyaml": (
            "YAML, one file per object",
            [PYTHON, str(BENCH / "floor.py"), "pyyaml", str(out / "files")],
        ),
        "floor-yaml-rs": (
            "YAML, one file per object",
            [PYTHON, str(BENCH / "floor.py"), "yaml-rs", str(out / "files")],
        ),
        "floor-orjson": ("JSON snapshot", [PYTHON, str(BENCH / "floor.py"), "orjson", snap]),
        "floor-orjson-eval": (
            "JSON snapshot",
            [PYTHON, str(BENCH / "floor.py"), "orjson-eval", snap, *POLICIES],
        ),
        "checkov": (
            "YAML, one file per object",
            [
                str(PEERS_BIN / "checkov"),
                *("-d", str(out / "files"), "--framework", "kubernetes"),
                *("-o", "json", "--quiet", "--skip-download"),
            ],
        ),
        "trivy": (
            "YAML, one file per object",
            [
                str(PEERS_BIN / "trivy"),
                *("config", "--quiet", "--format", "json", "--skip-check-update"),
                *("--cache-dir", trivy_cache, str(out / "files")),
            ],
        ),
        "regorus": (
            "JSON snapshot, bench/rego only",
            [
                str(PEERS_BIN / "python"),
                *(str(BENCH / "rego_eval.py"), snap, str(work / "regorus.results.json")),
            ],
        ),
    }


def warm(out: Path) -> None:
    """Read every input once, so that the first tool of a round does not pay for a cold cache."""
    for path in out.rglob("*"):
        if path.is_file():
            path.read_bytes()


def peer_missing(tool: str, cmd: list[str]) -> str:
    """Why a peer cannot run here ("" when it can)."""
    if not Path(cmd[0]).exists():
        return "`make peers` could not install it"
    if tool == "regorus":
        probe = subprocess.run(
            [cmd[0], "-c", "import regorus"], capture_output=True, text=True, check=False
        )
        if probe.returncode != 0:
            last = (probe.stderr.strip().splitlines() or ["?"])[-1]
            return f"`import regorus` fails in bench/.peers: {last}"[:200]
    return ""


def run_size(size: str, args: argparse.Namespace, skips: list[str], work: Path) -> list[Case]:
    out = ensure(size, args.seed, BENCH / "out")
    warm(out)
    objects = json.loads((out / "info.json").read_text())["objects"]
    big = parse_size(size) >= 10_000
    cmds = commands(out, skips, work)
    env = dict(os.environ, BENCH_SKIP=",".join(skips))
    cases: list[Case] = []
    plan: list[tuple[Case, list[str], int, float]] = []
    for tool, (label, cmd) in cmds.items():
        case = Case(tool, label, size, objects)
        cases.append(case)
        runs, timeout = args.runs, args.timeout
        peer = "regorus" if tool == "regulens-rego-rules" else tool
        if peer in PEER_TOOLS:
            if peer not in args.peers:
                case.status, case.note = "not run", "not selected (--peers)"
                continue
            missing = peer_missing(tool, cmd) if tool == peer else ""
            if missing:
                case.status, case.note = "not installed", missing
                continue
        if tool in ("checkov", "trivy"):
            if parse_size(size) > parse_size(args.peer_max_size):
                case.status, case.note = "not run", f"above --peer-max-size {args.peer_max_size}"
                continue
            runs = args.peer_runs if args.peer_runs else (1 if big else min(args.runs, 3))
            timeout = args.peer_timeout
        plan.append((case, cmd, runs, timeout))
    # round-robin, so that every tool sees the same share of a machine whose load varies
    for i in range(max((p[2] for p in plan), default=0)):
        for case, cmd, runs, timeout in plan:
            if i >= runs or case.status != "ok":
                continue
            stdout = work / f"{size}-{case.tool}-{i}.out"
            argv = cmd
            if case.tool == "regorus":  # its results go beside its stdout
                argv = [*cmd[:-1], str(stdout.with_suffix(".results.json"))]
            LOADS.append(os.getloadavg()[0])
            run = measure(argv, timeout=timeout, env=env, stdout=stdout)
            if not run.timed_out:
                run.info = summarise_in_child(case.tool, stdout)
            case.runs.append(run)
            log = f"{size:>4} {case.tool:<19} run {i + 1}/{runs}: {run.wall_s:8.2f} s wall"
            print(f"{log} {run.cpu_s:8.2f} s cpu {run.rss_mb:8.1f} MB exit {run.exit_code}")
            if run.timed_out:
                case.status, case.note = "timeout", f"did not finish in {timeout:.0f} s"
            elif not acceptable(case.tool, run):
                err = stdout.with_suffix(".err").read_text(errors="replace").strip()
                case.status = "failed"
                case.note = f"exit {run.exit_code}: {err.splitlines()[-1] if err else ''}"[:200]
            stdout.unlink(missing_ok=True)
            stdout.with_suffix(".results.json").unlink(missing_ok=True)
    return cases


def acceptable(tool: str, run: Run) -> bool:
    """Exit codes that mean the tool ran to the end (violations found is still a success)."""
    if tool.startswith("regulens"):
        return run.exit_code in (0, 1, 2) and "results" in run.info
    if tool == "checkov":
        return run.exit_code in (0, 1) and "results" in run.info
    if tool in ("trivy", "regorus"):
        return run.exit_code == 0 and "results" in run.info
    return run.exit_code == 0


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "os": platform.platform(),
        "load_before": list(os.getloadavg()),
    }


def fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratios(cases: list[Case]) -> dict[str, Any]:
    """Ratios of medians within one size (wall and CPU), as kept in the JSON results."""
    by = {c.tool: c for c in cases}
    out: dict[str, Any] = {}

    def put(key: str, num: Case, den: Case, digits: int = 2) -> None:
        if num.wall and den.wall and num.cpu and den.cpu:
            out[key] = round(num.wall / den.wall, digits)
            out[f"{key}_cpu"] = round(num.cpu / den.cpu, digits)

    put("regulens_yaml_vs_yaml_rs_parse", by["regulens"], by["floor-yaml-rs"])
    put("regulens_yaml_vs_pyyaml_parse", by["regulens"], by["floor-pyyaml"])
    put("regulens_snapshot_vs_orjson_parse", by["regulens-snapshot"], by["floor-orjson"])
    put("regulens_snapshot_vs_orjson_eval", by["regulens-snapshot"], by["floor-orjson-eval"])
    for peer in ("checkov", "trivy"):
        put(f"{peer}_vs_regulens", by[peer], by["regulens"], 1)
        if by["regulens"].wall and by[peer].status == "timeout":
            out[f"{peer}_vs_regulens"] = f"> {by[peer].runs[-1].wall_s / by['regulens'].wall:.0f}"
    put("regorus_vs_regulens_same_rules", by["regorus"], by["regulens-rego-rules"])
    if by["regulens-snapshot"].rss:
        out["regulens_snapshot_peak_rss_mb"] = by["regulens-snapshot"].rss
    return out


def growth(all_cases: list[Case], sizes: list[str]) -> dict[str, dict[str, Any]]:
    """Microseconds per object at each size, per tool (flat = linear)."""
    out: dict[str, dict[str, Any]] = {}
    for c in all_cases:
        if c.wall is not None:
            out.setdefault(c.tool, {})[c.size] = round(c.wall / c.objects * 1e6, 1)
    return {tool: {s: per[s] for s in sizes if s in per} for tool, per in out.items()}


def rules_agree(cases: list[Case]) -> bool | None:
    """Whether regorus and regulens judged the same rules the same way, rule by rule."""
    by = {c.tool: c for c in cases}
    a, b = by["regorus"], by["regulens-rego-rules"]
    if a.status != "ok" or b.status != "ok" or not a.runs or not b.runs:
        return None
    return bool(a.runs[-1].info.get("by_rule")) and (
        a.runs[-1].info.get("by_rule") == b.runs[-1].info.get("by_rule")
    )


STAGE = "side-by-side"
SIDE_EXPECTED = (  # the targets this stage measures itself, by size
    ("10k", "10k objects from YAML vs the yaml-rs parse floor", "x", 1.5, "≤"),
    ("10k", "Checkov at 10k, x regulens from YAML", "x", 100.0, "≥"),
    ("10k", "Trivy at 10k, x regulens from YAML", "x", 100.0, "≥"),
    ("50k", "50k objects from a JSON snapshot vs the orjson parse floor", "x", 3.0, "≤"),
    ("50k", "50k objects from a JSON snapshot, peak RSS", "MB", 400.0, "≤"),
)


def _why(case: Case) -> str:
    if case.status == "ok":
        return "" if case.wall is not None else "no completed run"
    return f"{case.tool}: {case.note or case.status}"


def _ratio(
    name: str,
    num: Case,
    den: Case,
    target: float | None,
    direction: str,
    note: str = "",
) -> Target:
    """num/den of the median wall times as one line of the table (not run if either is absent)."""
    blank = Target(name, "x", target, STAGE, direction=direction)
    if den.wall is None:
        return replace(blank, not_run=_why(den))
    if num.status == "timeout" and num.runs:
        lower = num.runs[-1].wall_s / den.wall
        met = None if target is None else (lower >= target if direction == "≥" else False)
        return replace(blank, figure=round(lower, 1), met=met, note=f"{num.note}: at least this")
    if num.wall is None:
        return replace(blank, not_run=_why(num))
    figure = num.wall / den.wall
    cpu = f"CPU {num.cpu / den.cpu:.2f}x" if num.cpu and den.cpu else ""
    met = None if target is None else (figure <= target if direction == "≤" else figure >= target)
    extra = "; ".join(x for x in (cpu, note) if x)
    return replace(blank, figure=round(figure, 3 if figure < 10 else 1), met=met, note=extra)


def side_by_side_targets(
    all_cases: list[Case], sizes: list[str], stage_ran: str = ""
) -> list[Target]:
    """The targets of the side-by-side stage; `stage_ran` is why the stage did not run, if so."""
    if stage_ran:
        return [
            Target(name, unit, target, STAGE, not_run=stage_ran, direction=d)
            for _size, name, unit, target, d in SIDE_EXPECTED
        ]
    out: list[Target] = []
    for size in sizes:
        by = {c.tool: c for c in all_cases if c.size == size}
        n = parse_size(size)
        if n == 10_000:
            out.append(_ratio(SIDE_EXPECTED[0][1], by["regulens"], by["floor-yaml-rs"], 1.5, "≤"))
        for peer, title in (("checkov", "Checkov"), ("trivy", "Trivy")):
            target = 100.0 if n == 10_000 else None
            name = f"{title} at {size}, x regulens from YAML"
            if by[peer].status != "not run" or n == 10_000:
                out.append(_ratio(name, by[peer], by["regulens"], target, "≥"))
        if by["regorus"].status != "not run":
            agree = rules_agree(list(by.values()))
            note = {True: "same results rule by rule", False: "results DIFFER", None: ""}[agree]
            name = f"regorus (10 Rego rules) at {size}, x regulens with the same 10 CEL rules"
            out.append(_ratio(name, by["regorus"], by["regulens-rego-rules"], None, "", note))
        if n == 50_000:
            snap = by["regulens-snapshot"]
            out.append(_ratio(SIDE_EXPECTED[3][1], snap, by["floor-orjson"], 3.0, "≤"))
            name = "50k objects from a JSON snapshot vs orjson parse + the pure engine in-process"
            out.append(_ratio(name, snap, by["floor-orjson-eval"], None, ""))
            rss = Target(SIDE_EXPECTED[4][1], "MB", 400.0, STAGE, direction="≤")
            if snap.wall is None:
                out.append(replace(rss, not_run=_why(snap)))
            else:
                peak = snap.rss or 0.0
                out.append(replace(rss, figure=peak, met=peak <= 400.0))
    present = {parse_size(s) for s in sizes}
    for size, name, unit, target, d in SIDE_EXPECTED:
        if parse_size(size) not in present:
            reason = f"--sizes did not include {size}"
            out.append(Target(name, unit, target, STAGE, not_run=reason, direction=d))
    big = [s for s in sizes if parse_size(s) >= 10_000]
    if len(big) >= 2:
        lo, hi = min(big, key=parse_size), max(big, key=parse_size)
        per = growth(all_cases, sizes).get("regulens-snapshot", {})
        name = f"growth: regulens from the snapshot, µs per object at {hi} over {lo} (1 = linear)"
        if lo in per and hi in per:
            figure = round(per[hi] / per[lo], 2)
            note = f"{per[lo]} → {per[hi]} µs per object"
            out.append(Target(name, "x", None, STAGE, figure, note=note))
    return out


def side_by_side_markdown(report: dict[str, Any], all_cases: list[Case]) -> list[str]:
    pol = report["policies"]
    lines = [
        "## Side by side",
        "",
        f"Policies: {pol['regulens_rules']} regulens rules (ops-baseline minus "
        f"{len(pol['skipped'])} that need non-cluster inputs, plus bench/policies); Checkov and "
        "Trivy run their default Kubernetes checks; regorus runs bench/rego/bench.rego, the "
        "Rego equivalents of the 10 rules in bench/policies, beside `regulens-rego-rules` "
        "(regulens with those 10 rules alone), both from the JSON snapshot. Peak RSS is the "
        "largest of the runs.",
        "",
    ]
    for size in report["sizes"]:
        cases = [c for c in all_cases if c.size == size]
        reg = next(c for c in cases if c.tool == "regulens")
        lines += [
            f"### {size} objects",
            "",
            "| tool | input | median wall s | CPU s | peak RSS MB | objects/s | x regulens (wall)"
            " | x regulens (CPU) | runs | results |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for c in cases:
            wall = c.wall
            rate = f"{c.objects / wall:,.0f}" if wall else "—"
            rel = f"{wall / reg.wall:.2f}" if wall and reg.wall else "—"
            rel_cpu = f"{c.cpu / reg.cpu:.2f}" if c.cpu and reg.cpu else "—"
            shown = fmt_s(wall) if c.status == "ok" else c.note or c.status
            res = c.runs[-1].info.get("results", "") if c.runs else ""
            rss = c.rss if c.rss else "—"
            lines.append(
                f"| {c.tool} | {c.input} | {shown} | {fmt_s(c.cpu)} | {rss} | {rate} | {rel} |"
                f" {rel_cpu} | {len(c.runs)} | {res} |"
            )
        lines += ["", f"Ratios: `{json.dumps(report['ratios'][size])}`", ""]
        rego = next(c for c in cases if c.tool == "regorus")
        if rego.status == "ok" and rego.runs:
            info = rego.runs[-1].info
            phases = ", ".join(
                f"{k[:-2]} {info[k]:.3f} s" for k in ("load_s", "input_s", "eval_s") if k in info
            )
            agree = rules_agree(cases)
            lines += [
                f"regorus in-process (last run): {phases}; its results "
                + ("match" if agree else "do NOT match")
                + " regulens-rego-rules' rule by rule (pass/fail counts per rule).",
                "",
            ]
    sizes = report["sizes"]
    lines += ["### Growth (µs per object; flat means linear)", ""]
    lines += ["| tool | " + " | ".join(sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for tool, per in report["growth"].items():
        lines.append(f"| {tool} | " + " | ".join(str(per.get(s, "—")) for s in sizes) + " |")
    return [*lines, ""]


def markdown(
    report: dict[str, Any], targets: list[Target], all_cases: list[Case], subs: list[StageResult]
) -> str:
    m = report["machine"]
    v = report["versions"]
    busy = report["concurrent_load"]
    lines = [
        f"# regulens benchmark — {report['started']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}; "
        f"load average before {m['load_before'][0]:.1f}, highest before a measured process "
        f"{m['load_max']:.1f}, after {m['load_after'][0]:.1f}"
        + (" (other work ran concurrently: wall times are noisy)" if busy else "")
        + ".",
        f"Command: `{report['command']}` · regulens {v['regulens']} · Checkov {v['checkov']} · "
        f"Trivy {v['trivy']} · regorus {v['regorus']}. Stages: {', '.join(report['stages'])}.",
        "",
        "## Targets",
        "",
        *table(targets),
        "",
    ]
    if "side-by-side" in report["stages"]:
        lines += side_by_side_markdown(report, all_cases)
    for sub in subs:
        lines += [f"## {sub.stage}: bench/{sub.script}", ""]
        if sub.wall_s is not None:
            usage = f"{sub.wall_s:.1f} s wall"
            if sub.cpu_s is not None:
                usage += f", {sub.cpu_s:.1f} s CPU, peak RSS {sub.rss_mb} MB"
            lines += [f"The stage took {usage} (`--json`, exit {sub.exit_code}).", ""]
        if sub.status != "ok":
            lines += [f"Not run: {sub.reason}.", ""]
        else:
            lines += [*rows_markdown(sub.rows), ""]
    return "\n".join(lines)


def parse_stages(text: str) -> list[str]:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown or not chosen:
        given = ", ".join(unknown) or "(none given)"
        raise argparse.ArgumentTypeError(
            f"unknown stage(s) {given}; choose from {','.join(STAGES)}"
        )
    return [s for s in STAGES if s in chosen]


def parse_sub_args(items: list[str]) -> dict[str, list[str]]:
    """`--sub-args scale.py="--sizes 10k"` -> {"scale.py": ["--sizes", "10k"]}."""
    out: dict[str, list[str]] = {}
    scripts = {s.script for s in SUB_BENCHES}
    for item in items:
        script, sep, rest = item.partition("=")
        if not sep or script not in scripts:
            raise SystemExit(f"bench: --sub-args wants SCRIPT=ARGS with SCRIPT one of {scripts}")
        out.setdefault(script, []).extend(shlex.split(rest))
    return out


def peer_version(tool: str) -> str:
    if tool == "regorus":
        py = PEERS_BIN / "python"
        if not py.exists():
            return "not installed"
        probe = "import importlib.metadata as m; print('v', m.version('celine-regorus'))"
        return tool_version([str(py), "-c", probe])
    exe = PEERS_BIN / tool
    return tool_version([str(exe), "--version"]) if exe.exists() else "not installed"


def main() -> None:
    if sys.argv[1:2] == ["--summarise"]:
        print(json.dumps(summarise_output(sys.argv[2], Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=parse_stages, default=list(STAGES), help=",".join(STAGES))
    parser.add_argument("--sizes", default="1k,10k,50k", help="side by side: sizes to generate")
    parser.add_argument("--runs", type=int, default=3, help="runs per regulens/floor case")
    parser.add_argument("--peers", default=",".join(PEER_TOOLS), help="comma list, or none")
    parser.add_argument("--peer-runs", type=int, default=0, help="default: 1 at >= 10k, else 3")
    parser.add_argument("--peer-timeout", type=float, default=900.0, help="seconds per peer run")
    parser.add_argument("--peer-max-size", default="50k", help="skip Checkov/Trivy above this")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per other run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sub-args", action="append", default=[], metavar="SCRIPT=ARGS",
        help='extra arguments for one sub-bench, e.g. scale.py="--sizes 10k"',
    )  # fmt: skip
    parser.add_argument("--stage-timeout", type=float, default=3600.0, help="s per sub-bench")
    parser.add_argument("--no-write", action="store_true", help="print only; keep results/")
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile regulens first"
    )
    args = parser.parse_args()
    args.peers = [] if args.peers == "none" else args.peers.split(",")
    unknown = sorted(set(args.peers) - set(PEER_TOOLS))
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; choose from {','.join(PEER_TOOLS)}")
    sub_args = parse_sub_args(args.sub_args)
    sizes = [s.strip() for s in args.sizes.split(",")]
    if not args.no_compile:
        # as a wheel install is (pip compiles the peers' venv too); with PYTHONDONTWRITEBYTECODE
        # set, every regulens run would otherwise compile every module again
        byte_compile(PYTHON)
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.py " + " ".join(sys.argv[1:]),
        "stages": args.stages,
        "machine": machine(),
        "versions": {
            "regulens": tool_version([REGULENS, "--version"]),
            **{tool: peer_version(tool) for tool in PEER_TOOLS},
        },
        "sizes": sizes if STAGE in args.stages else [],
        "byte_compiled": not args.no_compile,
    }
    all_cases: list[Case] = []
    subs: list[StageResult] = []
    work = Path(tempfile.mkdtemp(prefix="regulens-bench-"))
    try:
        if STAGE in args.stages:
            skips = pack_skips()
            for size in sizes:
                all_cases.extend(run_size(size, args, skips, work))
            from regulens.policies import load_policies

            rules = [p.id for p in load_policies(POLICIES).policies if p.id not in skips]
            report["policies"] = {"regulens_rules": len(rules), "rules": rules, "skipped": skips}
        for sub in SUB_BENCHES:
            if sub.stage not in args.stages:
                subs.append(not_run(sub, "stage not selected (--stages)"))
                continue
            print(f"stage {sub.stage}: bench/{sub.script} --json", flush=True)
            LOADS.append(os.getloadavg()[0])
            result = run_sub_bench(
                sub,
                python=PYTHON,
                work=work,
                timeout=args.stage_timeout,
                args=sub_args.get(sub.script, ()),
            )
            print(f"stage {sub.stage}: bench/{sub.script}: {result.status} {result.reason}")
            subs.append(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["machine"]["load_after"] = list(os.getloadavg())
    report["machine"]["load_max"] = max(
        [report["machine"]["load_before"][0], report["machine"]["load_after"][0], *LOADS]
    )
    report["concurrent_load"] = report["machine"]["load_max"] > (os.cpu_count() or 1) * 0.5
    ran = "" if STAGE in args.stages else "stage not selected (--stages)"
    targets = side_by_side_targets(all_cases, report["sizes"], ran)
    for result in subs:
        targets.extend(result.targets)
    report["targets"] = [asdict(t) for t in targets]
    report["ratios"] = {s: ratios([c for c in all_cases if c.size == s]) for s in report["sizes"]}
    report["growth"] = growth(all_cases, report["sizes"])
    report["cases"] = [
        {**asdict(c), "median_wall_s": c.wall, "median_cpu_s": c.cpu, "peak_rss_mb": c.rss}
        for c in all_cases
    ]
    report["sub_benches"] = [r.as_json() for r in subs]
    text = markdown(report, targets, all_cases, [r for r in subs if r.stage in args.stages])
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "latest.md").write_text(text)
        print(f"wrote bench/results/{stamp}.json and bench/results/latest.md")


if __name__ == "__main__":
    main()
