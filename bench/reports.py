"""Time report generation over a month of recorded runs (measured, never asserted).

Fills a fresh SQLite store with `evaluate --record` over the example platform,
`--runs-per-day` times a day for `--days` days (every 10th day on the broken
platform), then times `regulens report` in each format and `regulens review`,
end to end in-process (verify + load + compute + render + write):

    .venv/bin/python bench/reports.py [--days 30] [--runs-per-day 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

from regulens.cli import main
from regulens.engine.inputs import Input
from regulens.policies import load_policies

ROOT = Path(__file__).resolve().parent.parent


def cli(*argv: str) -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


def fill(url: str, days: int, per_day: int) -> float:
    loaded = load_policies(("builtin:ops-baseline",))
    select = [
        arg
        for p in loaded.policies
        if set(p.check.inputs) <= {Input.KUBERNETES}
        for arg in ("--select", p.id)
    ]
    started = time.perf_counter()
    for day in range(1, days + 1):
        platform = "platform-noncompliant" if day % 10 == 0 else "platform"
        for run in range(per_day):
            minute = run * (1440 // per_day)
            now = f"2026-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"
            code = cli(
                "evaluate", "--policies", "builtin:ops-baseline", *select,
                "--manifests", str(ROOT / "examples" / platform), "--now", now,
                "--record", "--evidence", url, "--stream", "production",
                "--format", "json", "-o", "/dev/null", "--force",
            )  # fmt: skip
            if code not in (0, 1, 2):
                raise SystemExit(f"evaluate failed with exit {code}")
    return time.perf_counter() - started


def timed(repeat: int, *argv: str) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        code = cli(*argv)
        times.append(time.perf_counter() - started)
        if code != 0:
            raise SystemExit(f"{' '.join(argv[:1])} failed with exit {code}")
    return min(times), statistics.median(times)


def bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs-per-day", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="regulens-bench-reports-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'evidence.db'}"
        runs = args.days * args.runs_per_day
        fill_s = fill(url, args.days, args.runs_per_day)
        print(f"filled {runs} runs in {fill_s:.2f} s ({fill_s / runs * 1000:.0f} ms per run)")
        print(f"{'command':<28}{'best s':>10}{'median s':>10}{'size KiB':>10}")
        for fmt in ("html", "markdown", "json", "oscal", "oscal-ap"):
            out = Path(tmp) / f"report.{fmt}"
            best, median = timed(
                args.repeat, "report", "--evidence", url, "--period", "2026-11",
                "--format", fmt, "-o", str(out), "--force",
            )  # fmt: skip
            size = out.stat().st_size / 1024
            print(f"{'report --format ' + fmt:<28}{best:>10.3f}{median:>10.3f}{size:>10.0f}")
        for fmt in ("html", "markdown", "json"):
            out = Path(tmp) / f"review.{fmt}"
            best, median = timed(
                args.repeat, "review", "--evidence", url, "--period", "2026-11",
                "--format", fmt, "-o", str(out), "--force",
            )  # fmt: skip
            size = out.stat().st_size / 1024
            print(f"{'review --format ' + fmt:<28}{best:>10.3f}{median:>10.3f}{size:>10.0f}")


if __name__ == "__main__":
    bench()
