"""Benchmark the audit-log source and the security-events pack on generated audit logs.

    PYTHONPATH=src python bench/audit_log.py --sizes 100M,300M,1G --runs 3

For each size, writes an audit log of that many bytes (JSON lines of
audit.k8s.io/v1 Events spread over the 24 h window, with failed logins,
denials, binding writes and Secret reads mixed in) to a temporary directory,
then reads and judges it --runs times, each in a fresh process, and prints
the median wall time, CPU time (steadier on a shared machine) and peak
resident memory (ru_maxrss of that process).
The log is deleted afterwards. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
PACK = "builtin:ops-security-events"
_UNITS = {"K": 1024, "M": 1024**2, "G": 1024**3}
# (weight, verb, user, objectRef JSON, code): the mix of one generated log
_MIX = (
    (60, "list", "system:serviceaccount:kube-system:replicaset-controller",
     '{"resource":"pods","namespace":"team-%(n)d","apiVersion":"v1"}', 200),
    (20, "watch", "system:node:worker-%(n)d",
     '{"resource":"configmaps","namespace":"team-%(n)d","apiVersion":"v1"}', 200),
    (8, "get", "system:node:worker-%(n)d",
     '{"resource":"secrets","namespace":"team-%(n)d","name":"tls","apiVersion":"v1"}', 200),
    (5, "get", "dev-%(n)d",
     '{"resource":"secrets","namespace":"team-%(n)d","name":"db","apiVersion":"v1"}', 403),
    (4, "get", "",
     '{"resource":"pods","namespace":"team-%(n)d","apiVersion":"v1"}', 401),
    (2, "create", "ops-%(n)d",
     '{"resource":"rolebindings","namespace":"team-%(n)d","name":"rb","apiGroup":'
     '"rbac.authorization.k8s.io","apiVersion":"v1"}', 201),
    (1, "get", "dev-%(n)d",
     '{"resource":"secrets","namespace":"team-%(n)d","name":"api-key","apiVersion":"v1"}', 200),
)  # fmt: skip
_LINE = (
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",'
    '"auditID":"%(id)s","stage":"ResponseComplete","requestURI":"/api/v1/x?limit=500",'
    '"verb":"%(verb)s","user":{"username":"%(user)s","groups":["system:authenticated"]},'
    '"sourceIPs":["10.0.%(n)d.7"],"userAgent":"kube-controller-manager/v1.31.2",'
    '"objectRef":%(ref)s,"responseStatus":{"metadata":{},"code":%(code)d},'
    '"requestReceivedTimestamp":"%(t)s","stageTimestamp":"%(t)s",'
    '"annotations":{"authorization.k8s.io/decision":"allow",'
    '"authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding"}}\n'
)


def parse_size(text: str) -> int:
    """`300M` -> bytes."""
    unit = text[-1].upper()
    return int(float(text[:-1]) * _UNITS[unit]) if unit in _UNITS else int(text)


def generate(path: Path, size: int) -> int:
    """Write about `size` bytes of audit events in time order over 24 h + 10 min; return lines."""
    kinds = [m for m in _MIX for _ in range(m[0])]
    per_line = len(_LINE) + 150  # roughly, to spread the times evenly
    total = max(size // per_line, 2)
    start = NOW - timedelta(hours=24, minutes=10)
    step = (timedelta(hours=24, minutes=9)).total_seconds() / total
    lines = 0
    written = 0
    with path.open("w", encoding="ascii", buffering=4 * 1024 * 1024) as out:
        while written < size:
            _, verb, user, ref, code = kinds[lines % len(kinds)]
            n = lines % 37
            at = start + timedelta(seconds=lines * step)
            line = _LINE % {
                "id": f"{lines:08x}-0000-4000-8000-000000000000",
                "verb": verb,
                "user": user % {"n": n},
                "ref": ref % {"n": n},
                "code": code,
                "n": n,
                "t": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            }
            out.write(line)
            written += len(line)
            lines += 1
    return lines


def measure(path: str) -> dict[str, float]:
    """Read and judge one log in this process; return seconds and peak RSS in MiB."""
    from regulens.engine import EvalContext, evaluate
    from regulens.policies import load_policies
    from regulens.snapshot import Snapshot
    from regulens.sources.audit_log import read_audit_logs
    from regulens.sources.inputs import audit_windows

    policies = load_policies([PACK]).policies
    started, cpu = time.perf_counter(), time.process_time()
    state = read_audit_logs([path], audit_windows(policies, NOW), NOW)
    results = evaluate(policies, Snapshot(audit_events=state), EvalContext(now=NOW))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_mib": peak_kib / 1024,
        "lines": state.files[0].lines,
        "results": len(results),
        "problems": len(state.problems),
    }


def main(argv: list[str] | None = None) -> int:
    """Generate, measure --runs times in fresh processes, print a table, delete the logs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100M,300M,1G", help="comma-separated, e.g. 10M,1G")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median reported)")
    parser.add_argument("--measure", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="regulens-audit-bench-"))
    try:
        for text in args.sizes.split(","):
            size = parse_size(text.strip())
            log = tmp / "audit.log"
            lines = generate(log, size)
            runs = []
            for _ in range(args.runs):
                child = subprocess.run(
                    [sys.executable, __file__, "--measure", str(log)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs.append(json.loads(child.stdout))
            assert all(r["problems"] == 0 and r["lines"] == lines for r in runs), runs
            seconds = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu_seconds"] for r in runs)
            peak = statistics.median(r["peak_mib"] for r in runs)
            mib = log.stat().st_size / 1024**2
            rows.append((text.strip(), mib, lines, seconds, cpu, mib / cpu, peak))
            log.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = f"{'size':>6} {'MiB':>8} {'lines':>10} {'seconds':>8} {'CPU s':>7} {'MiB/CPU s':>9}"
    print(f"{head} {'peak RSS MiB':>12}")
    for name, mib, lines, seconds, cpu, rate, peak in rows:
        print(
            f"{name:>6} {mib:8.1f} {lines:10d} {seconds:8.2f} {cpu:7.2f} {rate:9.1f} {peak:12.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
