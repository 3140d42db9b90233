"""A fleet on one central store: the month's fleet report and `evidence verify`, timed.

    .venv/bin/python bench/fleet.py [--clusters 100] [--days 30] [--json]

Two template runs are recorded as bench/evidence_year.py records them (`evaluate
--record` over the example platform and the non-compliant one, the Kubernetes
policies of builtin:ops-baseline). Their statements are re-issued for every
cluster and day of November 2026 (run id, stream, times and subject rewritten,
canonicalised, signed with one fleet key, appended through the store's own
`append` with the same input blobs) into a throwaway PostgreSQL database
(tests/support/postgres.py): a stream per cluster, every fifth cluster
non-compliant, the others non-compliant every tenth day, and one cluster in ten
stopped reporting a week before the month's end (stale). Then, each in a fresh
process (wall time and peak RSS from wait4's ru_maxrss): `regulens report --fleet
--period 2026-11` as HTML and as JSON, and `regulens evidence verify` over every
stream, all checking signatures against the fleet key. The JSON overview is
checked: one row per cluster, every stream verified.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evidence_year import REGULENS, append_run, templates  # noqa: E402
from regulens.evidence import Signer, open_store  # noqa: E402
from regulens.evidence.keys import public_pem  # noqa: E402
from regulens.evidence.store import Blob, EvidenceStore  # noqa: E402

MONTH = "2026-11"
START = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def stream_name(cluster: int) -> str:
    """The stream of one simulated cluster."""
    return f"cluster-{cluster:03d}"


def fill(
    store: EvidenceStore,
    signer: Signer,
    tpl: list[tuple[dict[str, Any], list[Blob]]],
    clusters: int,
    days: int,
) -> int:
    """Append the fleet's signed daily runs (day-major, as scheduled runs arrive)."""
    n = 0
    for day in range(days):
        for c in range(clusters):
            if c % 10 == 7 and day >= days - 7:
                continue  # this cluster stopped reporting: its row is stale
            noncompliant = c % 5 == 4 or day % 10 == 9
            stream = stream_name(c)
            at = (START + timedelta(days=day, seconds=c * 7)).strftime("%Y-%m-%dT%H:%M:%SZ")
            append_run(store, signer, tpl[1 if noncompliant else 0], stream,
                       f"fleet-{stream}-{day:02d}", at)  # fmt: skip
            n += 1
    return n


LAUNCH = ROOT / "bench" / "launch.py"


def timed(argv: list[str], tmp: Path) -> dict[str, float]:
    """Run one command under bench/launch.py (a small parent): wall seconds and peak RSS.

    Forked from this process, the child's ru_maxrss would count the pages it inherited
    (this process has regulens and a PostgreSQL server's client loaded).
    """
    result, err = tmp / "launch.json", tmp / "launch.err"
    with err.open("wb") as errors:
        subprocess.run(
            [sys.executable, str(LAUNCH), str(result), *argv],
            stdout=subprocess.DEVNULL, stderr=errors, check=True,
        )  # fmt: skip
    got = json.loads(result.read_text())
    if got["exit_code"] != 0:
        tail = err.read_text(errors="replace")[-500:]
        raise SystemExit(f"{' '.join(argv[1:3])} exited {got['exit_code']}: {tail}")
    return {"seconds": round(got["wall_s"], 3), "cpu_s": round(got["cpu_s"], 3),
            "rss_mib": round(got["rss_mb"], 1)}  # fmt: skip


def measure(url: str, pub: Path, tmp: Path, clusters: int) -> list[dict[str, Any]]:
    """Time the fleet report (html, json) and verify, each in a fresh process."""
    rows = []
    keys = ["--evidence", url, "--public-key", str(pub)]
    for what, argv, out in (
        ("report --fleet html", ["report", "--fleet", "--period", MONTH, "--format", "html"],
         tmp / "fleet.html"),
        ("report --fleet json", ["report", "--fleet", "--period", MONTH, "--format", "json"],
         tmp / "fleet.json"),
        ("evidence verify", ["evidence", "verify", "--format", "json"], None),
    ):  # fmt: skip
        target = ["-o", str(out), "--force"] if out is not None else []
        got = timed([REGULENS, *argv, *keys, *target], tmp)
        row: dict[str, Any] = {"command": what, **got}
        if out is not None:
            row["output_kib"] = round(out.stat().st_size / 1024, 1)
        rows.append(row)
    doc = json.loads((tmp / "fleet.json").read_text())
    if len(doc["rows"]) != clusters or doc["totals"]["failed_verification"] != 0:
        raise SystemExit(f"fleet report: expected {clusters} verified rows, got {doc['totals']}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="Print the sub-bench contract.")
    args = parser.parse_args()
    if not 1 <= args.clusters <= 1000 or not 1 <= args.days <= 30:
        parser.error("--clusters 1..1000, --days 1..30 (one month)")
    from tests.support.postgres import start_server

    size = f"{args.clusters} clusters x {args.days} runs"
    with tempfile.TemporaryDirectory(prefix="regulens-bench-fleet-") as name:
        tmp = Path(name)
        signer = Signer.generate()
        pub = tmp / "fleet.pem.pub"
        pub.write_bytes(public_pem(signer.public))
        tpl = templates(tmp)
        servers = start_server()
        server = next(servers)
        try:
            url = server.url(server.create_database())
            started = time.perf_counter()
            with open_store(url) as store:
                records = fill(store, signer, tpl, args.clusters, args.days)
            fill_s = round(time.perf_counter() - started, 1)
            print(f"filled {records} signed records in {fill_s} s", file=sys.stderr, flush=True)
            rows = [{**r, "records": records} for r in measure(url, pub, tmp, args.clusters)]
        finally:
            for _ in servers:
                pass
    targets = [
        {"name": f"{r['command']}, {size}", "figure": r["seconds"], "unit": "s",
         "target": None, "met": None}
        for r in rows
    ] + [
        {"name": f"{r['command']}, {size}, peak RSS", "figure": r["rss_mib"], "unit": "MiB",
         "target": None, "met": None}
        for r in rows
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"targets": targets, "rows": rows,
                          "fills": [{"records": records, "fill_s": fill_s}]}))  # fmt: skip
        return
    print(f"fleet of {size} on PostgreSQL: {records} signed records (filled in {fill_s} s)")
    print(f"{'command':<24}{'wall s':>9}{'CPU s':>9}{'peak RSS MiB':>14}{'output KiB':>12}")
    for r in rows:
        print(f"{r['command']:<24}{r['seconds']:>9.2f}{r['cpu_s']:>9.2f}{r['rss_mib']:>14.0f}"
              f"{r.get('output_kib', ''):>12}")  # fmt: skip


if __name__ == "__main__":
    main()
