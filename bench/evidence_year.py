"""A year of fleet evidence: the year's compliance report and a monthly review, timed.

    .venv/bin/python bench/evidence_year.py [--streams 20] [--days 365]
        [--backend sqlite,postgres] [--json]

Two template runs are recorded as `bench/reports.py` records them (`evaluate --record`
over the example platform, the Kubernetes policies of builtin:ops-baseline; the
compliant platform and the non-compliant one). Their statements are re-issued for
every stream and day (run id, stream, times and subject rewritten, canonicalised,
signed, appended with the same input blobs), every 10th day the non-compliant
one: `streams x days` signed records with realistic payloads. Then, each in a
fresh process (wall time and peak RSS from wait4's ru_maxrss):
`regulens report --period 2026` (HTML and JSON) and `regulens review --period
2026-11` (HTML), over every stream, verifying the signatures first.

A fleet's daily runs repeat most of their findings, as these do exactly; reports hold
each repeated value once. The worst case is measured too, in SQLite: the same year
with every result of every run distinct (its message and details name the run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402

from regulens.cli import main as regulens_main  # noqa: E402
from regulens.engine.inputs import Input  # noqa: E402
from regulens.evidence import Signer, open_store  # noqa: E402
from regulens.evidence.canonical import canonical_json  # noqa: E402
from regulens.evidence.chain import RUN_PREFIX  # noqa: E402
from regulens.evidence.keys import public_pem  # noqa: E402
from regulens.evidence.store import Blob, EvidenceStore  # noqa: E402
from regulens.policies import load_policies  # noqa: E402

TARGET_S = 10.0
REGULENS = str(Path(sys.executable).with_name("regulens"))


def _cli(*argv: str) -> int:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            regulens_main(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0)
    return 0


def templates(tmp: Path) -> list[tuple[dict[str, Any], list[Blob]]]:
    """Record the two template runs; return their statements and the blobs they reference."""
    url = f"sqlite:///{tmp / 'template.db'}"
    loaded = load_policies(("builtin:ops-baseline",))
    select = [
        arg
        for p in loaded.policies
        if set(p.check.inputs) <= {Input.KUBERNETES}
        for arg in ("--select", p.id)
    ]
    for platform in ("platform", "platform-noncompliant"):
        code = _cli(
            "evaluate", "--policies", "builtin:ops-baseline", *select,
            "--manifests", str(ROOT / "examples" / platform), "--now", "2026-01-01T00:00:00Z",
            "--record", "--evidence", url, "--stream", "template",
            "--format", "json", "-o", "/dev/null", "--force",
        )  # fmt: skip
        if code not in (0, 1, 2):
            raise SystemExit(f"evaluate failed with exit {code}")
    out = []
    with open_store(url) as store:
        for rec in store.records("template"):
            statement = orjson.loads(rec.payload)
            pred = statement["predicate"]
            digests = [ref["digest"] for ref in pred["inputs"].values()]
            digests += list(pred["policies"]["documents"])
            blobs = [b for d in digests if (b := store.blob(d)) is not None]
            out.append((statement, blobs))
    return out


def append_run(
    store: EvidenceStore,
    signer: Signer,
    template: tuple[dict[str, Any], list[Blob]],
    stream: str,
    run_id: str,
    at: str,
    *,
    distinct: bool = False,
) -> None:
    """Append one signed record: a copy of a recorded statement as run `run_id` at `at`.

    `distinct`: every result names the run (no two runs record an equal result).
    """
    statement, blobs = template
    doc = json.loads(json.dumps(statement))
    doc["subject"][0]["name"] = f"{RUN_PREFIX}{run_id}"
    run = doc["predicate"]["run"]
    run.update(id=run_id, stream=stream, now=at, recorded_at=at)
    if distinct:
        for result in doc["predicate"]["results"]:
            result["message"] = f"{result.get('message', '')} (run {run_id})"
            result["details"] = {**(result.get("details") or {}), "run": run_id}
    record = canonical_json(doc)
    store.append(stream, run_id, run["command"], at, record, signer=signer, blobs=blobs)


def fill(
    store: EvidenceStore,
    signer: Signer,
    tpl: list[tuple[dict[str, Any], list[Blob]]],
    streams: int,
    days: int,
    *,
    distinct: bool = False,
) -> int:
    """Append `streams x days` signed records (day-major, as a fleet records them)."""
    start = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    n = 0
    for day in range(days):
        for s in range(streams):
            stream = f"cluster-{s:02d}"
            at = (start + timedelta(days=day, minutes=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            append_run(store, signer, tpl[1 if day % 10 == 9 else 0], stream,
                       f"year-{stream}-{day:03d}", at, distinct=distinct)  # fmt: skip
            n += 1
    return n


def timed(argv: list[str]) -> dict[str, float]:
    """Run one regulens command in a fresh process: wall seconds and peak RSS (MiB)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv[:2])} exited {code}: {err[-500:]}")
    return {"seconds": round(wall, 3), "rss_mib": round(usage.ru_maxrss / 1024, 1)}


COMMANDS = (
    ("report --period 2026 --format html", ["report", "--period", "2026", "--format", "html"]),
    ("report --period 2026 --format json", ["report", "--period", "2026", "--format", "json"]),
    ("review --period 2026-11 --format html", ["review", "--period", "2026-11"]),
)


def measure(
    backend: str,
    url: str,
    key: Path,
    records: int,
    tmp: Path,
    commands: Sequence[tuple[str, list[str]]] = COMMANDS,
) -> list[dict[str, Any]]:
    rows = []
    common = ["--evidence", url, "--public-key", f"{key}.pub", "--force"]
    for what, argv in commands:
        out = tmp / "document.out"  # each command's document, measured, then replaced
        got = timed([REGULENS, *argv, *common, "-o", str(out)])
        rows.append({"backend": backend, "command": what, "records": records, **got,
                     "output_kib": round(out.stat().st_size / 1024, 1)})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--backend", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    fills: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="regulens-bench-year-") as name:
        tmp = Path(name)
        key = tmp / "signing.pem"
        signer = Signer.generate()
        key.write_bytes(signer.private_pem())
        Path(f"{key}.pub").write_bytes(public_pem(signer.public))
        tpl = templates(tmp)
        cases = [(backend, False) for backend in args.backend.split(",")]
        if "sqlite" in args.backend.split(","):
            cases.append(("sqlite", True))
        for backend, distinct in cases:
            label = f"{backend}, every result distinct" if distinct else backend
            servers = None
            if backend == "sqlite":
                url = f"sqlite:///{tmp / ('year-distinct.db' if distinct else 'year.db')}"
            else:
                from tests.support.postgres import start_server

                servers = start_server()
                server = next(servers)
                url = server.url(server.create_database())
            try:
                started = time.perf_counter()
                with open_store(url) as store:
                    n = fill(store, signer, tpl, args.streams, args.days, distinct=distinct)
                took = time.perf_counter() - started
                fills.append({"backend": label, "records": n, "fill_s": round(took, 1)})
                if not args.json:
                    print(f"{label}: filled {n} signed records in {took:.1f} s", flush=True)
                commands = COMMANDS[:2] if distinct else COMMANDS
                for row in measure(label, url, key, n, tmp, commands):
                    rows.append({**row, "distinct": distinct})
                    if not args.json:
                        print(f"  {row['command']:<40}{row['seconds']:>8.2f} s"
                              f"{row['rss_mib']:>9.0f} MiB{row['output_kib']:>9.0f} KiB",
                              flush=True)  # fmt: skip
            finally:
                if servers is not None:
                    for _ in servers:
                        pass
    # The time target is for realistic payloads; the distinct year is the worst case, shown.
    targets = [
        {"name": f"{r['command']} over {r['records']} records ({r['backend']})",
         "figure": r["seconds"], "unit": "s", "target": None if r["distinct"] else TARGET_S,
         "met": None if r["distinct"] else r["seconds"] <= TARGET_S}
        for r in rows
    ] + [
        {"name": f"{r['command']} peak RSS ({r['backend']})", "figure": r["rss_mib"],
         "unit": "MiB", "target": None, "met": None}
        for r in rows
    ]  # fmt: skip
    if args.json:
        print(json.dumps({"targets": targets, "rows": rows, "fills": fills}))


if __name__ == "__main__":
    main()
