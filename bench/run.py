"""Benchmark regulens against Checkov, Trivy and the parse floor on generated clusters.

    make bench BENCH_ARGS="--sizes 1k,10k,50k --runs 3 --peers checkov,trivy"
    .venv/bin/python bench/run.py --sizes 1k --runs 3 --peers none   # quick iteration

Every tool runs as its own subprocess on the same generated inputs
(bench/generate.py); wall time is measured around the process, CPU time and
peak RSS come from `os.wait4` (the largest resident set of the process and
its waited-for children). The median of the runs is reported. Writes
bench/results/<timestamp>.json and bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
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
EXAMPLE = ROOT / "examples" / "platform"

sys.path.insert(0, str(ROOT))
from bench.generate import ensure, parse_size  # noqa: E402


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
            return {"results": len(data["results"]), "summary": data["summary"]}
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


def commands(out: Path, skips: list[str]) -> dict[str, tuple[str, list[str]]]:
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
    }


def warm(out: Path) -> None:
    """Read every input once, so that the first tool of a round does not pay for a cold cache."""
    for path in out.rglob("*"):
        if path.is_file():
            path.read_bytes()


def run_size(size: str, args: argparse.Namespace, skips: list[str], work: Path) -> list[Case]:
    out = ensure(size, args.seed, BENCH / "out")
    warm(out)
    objects = json.loads((out / "info.json").read_text())["objects"]
    big = parse_size(size) >= 10_000
    cmds = commands(out, skips)
    env = dict(os.environ, BENCH_SKIP=",".join(skips))
    cases: list[Case] = []
    plan: list[tuple[Case, list[str], int, float]] = []
    for tool, (label, cmd) in cmds.items():
        case = Case(tool, label, size, objects)
        cases.append(case)
        runs, timeout = args.runs, args.timeout
        if tool in ("checkov", "trivy"):
            if tool not in args.peers:
                case.status, case.note = "not run", "not selected (--peers)"
                continue
            if parse_size(size) > parse_size(args.peer_max_size):
                case.status, case.note = "not run", f"above --peer-max-size {args.peer_max_size}"
                continue
            if not Path(cmd[0]).exists():
                case.status, case.note = "not installed", "`make peers` could not install it"
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
            run = measure(cmd, timeout=timeout, env=env, stdout=stdout)
            run.info = summarise_in_child(case.tool, stdout)
            case.runs.append(run)
            log = f"{size:>4} {case.tool:<18} run {i + 1}/{runs}: {run.wall_s:8.2f} s wall"
            print(f"{log} {run.cpu_s:8.2f} s cpu {run.rss_mb:8.1f} MB exit {run.exit_code}")
            if run.timed_out:
                case.status, case.note = "timeout", f"timeout > {timeout:.0f} s"
            elif not acceptable(case.tool, run):
                err = stdout.with_suffix(".err").read_text(errors="replace").strip()
                case.status = "failed"
                case.note = f"exit {run.exit_code}: {err.splitlines()[-1] if err else ''}"[:200]
            stdout.unlink(missing_ok=True)
    return cases


def acceptable(tool: str, run: Run) -> bool:
    """Exit codes that mean the tool ran to the end (violations found is still a success)."""
    if tool.startswith("regulens"):
        return run.exit_code in (0, 1, 2) and "results" in run.info
    if tool == "checkov":
        return run.exit_code in (0, 1) and "results" in run.info
    if tool == "trivy":
        return run.exit_code == 0 and "results" in run.info
    return run.exit_code == 0


def startup(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Wall time of `make demo`'s gate (the example change), and what importing the CLI costs."""
    ex = ROOT / "examples"
    cmd = [REGULENS, "gate", "--change", str(ex / "changes" / "allowed.yaml")]
    cmd += ["--policies", "builtin:ops-baseline", "--manifests", str(EXAMPLE)]
    cmd += ["--current-manifests", str(EXAMPLE), "--backups", str(ex / "ops" / "backups.yaml")]
    cmd += ["--drills", str(ex / "ops" / "drills.yaml")]
    cmd += ["--metrics", str(ex / "ops" / "metrics.json")]
    for report in ("api-v1.1.0", "worker-v1.1.0", "backup-v2.3.1"):
        cmd += ["--trivy-report", str(ex / "scans" / f"{report}.trivy.json")]
    cmd += ["--now", "2026-11-30T01:30:00Z", "--format", "json"]
    # gate always records its decision: into a throwaway store, not the user's
    cmd += ["--evidence", f"sqlite:///{work / 'evidence.db'}"]
    runs = [measure(cmd, timeout=60, stdout=work / "startup.out") for _ in range(args.startup_runs)]
    plain = [
        REGULENS,
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--manifests",
        str(EXAMPLE),
    ]
    plain += ["--now", NOW, "--format", "json"]
    evals = [measure(plain, timeout=60, stdout=work / "eval.out") for _ in range(args.startup_runs)]
    imports = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import regulens.cli"],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    by_package: Counter[str] = Counter()
    for line in imports.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            name = m.group(2)
            top = (
                ".".join(name.split(".")[:2]) if name.startswith("regulens") else name.split(".")[0]
            )
            by_package[top] += int(m.group(1))
    return {
        "command": " ".join(["regulens", *cmd[1:-2]]).replace(str(ROOT) + "/", ""),
        "wall_s": statistics.median(r.wall_s for r in runs),
        "cpu_s": statistics.median(r.cpu_s for r in runs),
        "rss_mb": max(r.rss_mb for r in runs),
        "exit_code": runs[0].exit_code,
        "evaluate_command": " ".join(["regulens", *plain[1:]]).replace(str(ROOT) + "/", ""),
        "evaluate_wall_s": statistics.median(r.wall_s for r in evals),
        "evaluate_cpu_s": statistics.median(r.cpu_s for r in evals),
        "import_total_ms": round(sum(by_package.values()) / 1000, 1),
        "import_top_ms": {k: round(v / 1000, 1) for k, v in by_package.most_common(10)},
        "heavy_modules_loaded": sorted(
            m
            for m in ("kubernetes", "sqlalchemy", "httpx", "jinja2", "cryptography", "rich")
            if re.search(rf"\|\s*{m}$", imports, re.MULTILINE)
        ),
    }


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
    """The targets, as ratios of medians within one size."""
    by = {c.tool: c for c in cases}
    reg = by["regulens"].wall
    out: dict[str, Any] = {}
    reg_cpu = by["regulens"].cpu
    floor = by["floor-pyyaml"]
    if reg and floor.wall and reg_cpu and floor.cpu:
        out["regulens_yaml_vs_pyyaml_parse"] = round(reg / floor.wall, 3)
        out["regulens_yaml_vs_pyyaml_parse_cpu"] = round(reg_cpu / floor.cpu, 3)
    for peer in ("checkov", "trivy"):
        c = by[peer]
        if reg and c.wall and reg_cpu and c.cpu:
            out[f"{peer}_vs_regulens"] = round(c.wall / reg, 1)
            out[f"{peer}_vs_regulens_cpu"] = round(c.cpu / reg_cpu, 1)
        elif reg and c.status == "timeout":
            out[f"{peer}_vs_regulens"] = f"> {c.runs[-1].wall_s / reg:.0f}"
    snap = by["regulens-snapshot"].wall
    ev = by["floor-orjson-eval"]
    if snap and ev.wall and ev.runs:
        parse_eval = statistics.median(
            r.info.get("parse_s", 0) + r.info.get("eval_s", 0) for r in ev.runs
        )
        if parse_eval:
            out["regulens_snapshot_vs_orjson_parse_plus_eval"] = round(snap / parse_eval, 2)
        out["orjson_parse_plus_eval_s"] = round(parse_eval, 3)
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


def markdown(report: dict[str, Any], all_cases: list[Case]) -> str:
    m = report["machine"]
    lines = [
        f"# regulens benchmark — {report['started']}",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}; "
        f"load average before {m['load_before'][0]:.1f}, after {m['load_after'][0]:.1f}"
        + (" (other work ran concurrently)" if report["concurrent_load"] else "")
        + ".",
        f"Command: `{report['command']}` · regulens {report['versions']['regulens']} · "
        f"Checkov {report['versions']['checkov']} · Trivy {report['versions']['trivy']}.",
        f"Policies: {report['policies']['regulens_rules']} regulens rules "
        f"(ops-baseline minus {len(report['policies']['skipped'])} that need non-cluster "
        "inputs, plus bench/policies); peers run their default Kubernetes checks.",
        "",
    ]
    for size in report["sizes"]:
        cases = [c for c in all_cases if c.size == size]
        reg = next(c for c in cases if c.tool == "regulens").wall
        reg_cpu = next(c for c in cases if c.tool == "regulens").cpu
        lines += [
            f"## {size} objects",
            "",
            "| tool | input | median wall s | CPU s | peak RSS MB | objects/s | x regulens (wall)"
            " | x regulens (CPU) | runs | results |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for c in cases:
            wall = c.wall
            rate = f"{c.objects / wall:,.0f}" if wall else "—"
            rel = f"{wall / reg:.2f}" if wall and reg else "—"
            rel_cpu = f"{c.cpu / reg_cpu:.2f}" if c.cpu and reg_cpu else "—"
            shown = fmt_s(wall) if c.status == "ok" else c.note or c.status
            res = c.runs[-1].info.get("results", "") if c.runs else ""
            lines.append(
                f"| {c.tool} | {c.input} | {shown} | {fmt_s(c.cpu)} | "
                f"{c.rss if c.rss is not None else '—'} | {rate} | {rel} | {rel_cpu} |"
                f" {len(c.runs)} | {res} |"
            )
        lines += ["", f"Ratios: `{json.dumps(report['ratios'][size])}`", ""]
    lines += ["## Growth (µs per object; flat means linear)", ""]
    sizes = report["sizes"]
    lines += ["| tool | " + " | ".join(sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for tool, per in report["growth"].items():
        lines.append(f"| {tool} | " + " | ".join(str(per.get(s, "—")) for s in sizes) + " |")
    st = report["startup"]
    lines += [
        "",
        "## Start-up",
        "",
        f"`{st['command']}`: median {st['wall_s']:.2f} s wall, {st['cpu_s']:.2f} s CPU, "
        f"{st['rss_mb']} MB (exit {st['exit_code']}; it records the decision in a throwaway "
        f"SQLite evidence store). `{st['evaluate_command']}`: median {st['evaluate_wall_s']:.2f} s"
        f" wall, {st['evaluate_cpu_s']:.2f} s CPU. Importing `regulens.cli`: "
        f"{st['import_total_ms']} ms (`-X importtime`), top: "
        + ", ".join(f"{k} {v}" for k, v in list(st["import_top_ms"].items())[:6])
        + f". Heavy modules loaded at start-up: {', '.join(st['heavy_modules_loaded']) or 'none'}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--summarise"]:
        print(json.dumps(summarise_output(sys.argv[2], Path(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,10k,50k")
    parser.add_argument("--runs", type=int, default=3, help="runs per regulens/floor case")
    parser.add_argument("--peers", default="checkov,trivy", help="comma list, or none")
    parser.add_argument("--peer-runs", type=int, default=0, help="default: 1 at >= 10k, else 3")
    parser.add_argument("--peer-timeout", type=float, default=900.0, help="seconds per peer run")
    parser.add_argument("--peer-max-size", default="10k", help="skip peers above this size")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per other run")
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print only; keep results/")
    args = parser.parse_args()
    args.peers = [] if args.peers == "none" else args.peers.split(",")
    sizes = [s.strip() for s in args.sizes.split(",")]
    skips = pack_skips()
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": "bench/run.py " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "versions": {
            "regulens": tool_version([REGULENS, "--version"]),
            "checkov": tool_version([str(PEERS_BIN / "checkov"), "--version"])
            if (PEERS_BIN / "checkov").exists()
            else "not installed",
            "trivy": tool_version([str(PEERS_BIN / "trivy"), "--version"])
            if (PEERS_BIN / "trivy").exists()
            else "not installed",
        },
        "sizes": sizes,
    }
    all_cases: list[Case] = []
    work = Path(tempfile.mkdtemp(prefix="regulens-bench-"))
    try:
        report["startup"] = startup(args, work)
        print(f"startup: {report['startup']['wall_s']:.2f} s wall")
        for size in sizes:
            all_cases.extend(run_size(size, args, skips, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    from regulens.policies import load_policies

    rules = [p.id for p in load_policies(POLICIES).policies if p.id not in skips]
    report["policies"] = {"regulens_rules": len(rules), "rules": rules, "skipped": skips}
    report["machine"]["load_after"] = list(os.getloadavg())
    report["concurrent_load"] = (
        max(report["machine"]["load_before"][0], report["machine"]["load_after"][0])
        > (os.cpu_count() or 1) * 0.5
    )
    report["ratios"] = {s: ratios([c for c in all_cases if c.size == s]) for s in sizes}
    report["growth"] = growth(all_cases, sizes)
    report["cases"] = [
        {**asdict(c), "median_wall_s": c.wall, "median_cpu_s": c.cpu, "peak_rss_mb": c.rss}
        for c in all_cases
    ]
    text = markdown(report, all_cases)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(exist_ok=True)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        (RESULTS / f"{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
        (RESULTS / "latest.md").write_text(text)
        print(f"wrote bench/results/{stamp}.json and bench/results/latest.md")


if __name__ == "__main__":
    main()
