"""Concurrent appends: the locked append of the store vs a naive read-max-then-insert.

    .venv/bin/python bench/evidence_append.py [--procs 16] [--appends 300]
        [--backend sqlite|postgres] [--streams 1,16] [--durable] [--naive] [--json]

The naive writer reads the head of the stream and inserts seq+1 in a plain
transaction, with no lock and (variant `naive`) no unique constraint, so
concurrent writers fork the chain and duplicate seqs; with the unique
constraint (variant `naive+unique`) the losers of each race fail instead and
their records are lost unless the caller retries. The store's append
serialises per stream (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE).

`--streams 1,16` runs the locked append twice: every writer into ONE stream
(serialised by design: bounded by the round trips under the stream lock) and
writer w into stream w mod N (independent chains: scales with the machine).
`--durable` starts PostgreSQL with its defaults (fsync, synchronous_commit=on)
instead of the test settings (fsync off). `--json` prints one JSON object
`{"targets": [...], "rows": [...]}` instead of the table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from tests.evidence.helpers import payload  # noqa: E402

from regulens.evidence import open_store  # noqa: E402
from regulens.evidence.chain import GENESIS, record_hash  # noqa: E402
from regulens.evidence.store import normalise_url  # noqa: E402

TARGET_PG_RATE = 1000.0  # appends/s with 16 PostgreSQL writers (issue 17)
NAIVE_DDL = """CREATE TABLE naive (stream VARCHAR(200), seq BIGINT, run_id VARCHAR(128),
 prev_hash {blob}, record_hash {blob} {unique})"""


def _ready() -> None:
    """Tell the parent this writer is set up, and wait until every writer is."""
    print("ready", flush=True)
    sys.stdin.readline()


def worker(url: str, mode: str, wid: int, count: int, streams: int) -> None:
    """Append `count` records; print the number of failed appends and the time span.

    Writers start appending together (`_ready`): the span measures appends, not 16
    interpreters importing regulens on two cores while the first ones already append.
    """
    failed = 0
    stream = f"s{wid % streams}"
    if mode == "locked":
        with open_store(url) as store:
            _ready()
            start = time.time()
            for i in range(count):
                run = f"w{wid}-{i}"
                store.append(stream, run, "gate", "t", payload(run, i))
        print(0, start, time.time())
        return
    engine = create_engine(normalise_url(url))
    engine.connect().close()
    _ready()
    start = time.time()
    for i in range(count):
        run = f"w{wid}-{i}"
        body = payload(run, i)
        try:
            with engine.begin() as conn:
                head = conn.execute(
                    text("SELECT seq, record_hash FROM naive WHERE stream = 'main'"
                         " ORDER BY seq DESC LIMIT 1")
                ).first()  # fmt: skip
                seq = 1 if head is None else head.seq + 1
                prev = GENESIS if head is None else bytes(head.record_hash)
                conn.execute(
                    text("INSERT INTO naive VALUES ('main', :s, :r, :p, :h)"),
                    {"s": seq, "r": run, "p": prev, "h": record_hash("main", seq, prev, body)},
                )
        except Exception:
            failed += 1
    engine.dispose()
    print(failed, start, time.time())


def run(url: str, mode: str, procs: int, count: int, streams: int) -> dict[str, Any]:
    """Run `procs` writer processes and check what they stored; return one result row."""
    if mode != "locked":
        engine = create_engine(normalise_url(url))
        blob = "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
        unique = ", UNIQUE (stream, seq)" if mode == "naive+unique" else ""
        with engine.begin() as conn:
            conn.execute(text(NAIVE_DDL.format(blob=blob, unique=unique)))
        engine.dispose()
    else:
        open_store(url).close()
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, mode, str(w), str(count), str(streams)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for w in range(procs)
    ]
    for c in children:  # every writer has opened its store
        assert c.stdout is not None
        if c.stdout.readline().strip() != b"ready":
            raise SystemExit("a writer failed before appending")
    outs = [c.communicate(b"go\n")[0].split() for c in children]
    failed = sum(int(o[0]) for o in outs)
    # appends only: from the first writer's first append to the last writer's last
    elapsed = max(float(o[2]) for o in outs) - min(float(o[1]) for o in outs)
    engine = create_engine(normalise_url(url))
    table = "evidence_records" if mode == "locked" else "naive"
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT stream, seq, prev_hash, record_hash FROM {table} ORDER BY stream, seq")
        ).all()
    engine.dispose()
    seqs = Counter((r.stream, r.seq) for r in rows)
    dup = sum(n - 1 for n in seqs.values())
    hashes = {bytes(r.record_hash) for r in rows}
    breaks = sum(1 for r in rows if r.seq > 1 and bytes(r.prev_hash) not in hashes)
    forks = Counter((r.stream, bytes(r.prev_hash)) for r in rows)
    total = procs * count
    return {
        "mode": mode,
        "procs": procs,
        "streams": streams if mode == "locked" else 1,
        "appends": total,
        "stored": len(rows),
        "lost": total - len(rows),
        "failed": failed,
        "dup_seq": dup,
        "forks": sum(n - 1 for n in forks.values()),
        "breaks": breaks,
        "seconds": round(elapsed, 3),
        "rate": round(len(rows) / elapsed, 1),
    }


def measure(url_of: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    plan = [("naive", 1), ("naive+unique", 1)] if args.naive else []
    plan += [("locked", n) for n in args.streams]
    rows = []
    for mode, streams in plan:
        row = run(url_of(), mode, args.procs, args.appends, streams)
        row["backend"] = args.backend + (" (durable)" if args.durable else "")
        rows.append(row)
        if not args.json:
            print(
                f"{row['backend']:20s} {mode:13s} procs={row['procs']:2d} "
                f"streams={row['streams']:2d} appends={row['appends']:5d} "
                f"stored={row['stored']:5d} lost={row['lost']:4d} failed={row['failed']:4d} "
                f"dup_seq={row['dup_seq']:4d} forks={row['forks']:4d} breaks={row['breaks']:3d} "
                f"time={row['seconds']:6.2f}s rate={row['rate']:7.1f}/s",
                flush=True,
            )
    return rows


def targets(rows: list[dict[str, Any]], backend: str) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["mode"] != "locked":
            continue
        pg = backend == "postgres" and row["procs"] == 16
        sound = row["lost"] == row["dup_seq"] == row["forks"] == row["breaks"] == 0
        name = f"append {row['backend']} {row['procs']} writers into {row['streams']} stream(s)"
        out.append(
            {
                "name": name,
                "figure": row["rate"],
                "unit": "appends/s",
                "target": TARGET_PG_RATE if pg else None,
                "met": (row["rate"] >= TARGET_PG_RATE and sound) if pg else None,
            }
        )
        out.append(
            {
                "name": f"{name}: lost + duplicated + forked + broken",
                "figure": float(row["lost"] + row["dup_seq"] + row["forks"] + row["breaks"]),
                "unit": "records",
                "target": 0.0,
                "met": sound,
            }
        )
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, mode, wid, count, streams = sys.argv[2:7]
        worker(url, mode, int(wid), int(count), int(streams))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument(
        "--streams",
        type=lambda s: [int(n) for n in s.split(",")],
        default=[1, 16],
        help="comma-separated stream counts for the locked append (default 1,16)",
    )
    parser.add_argument("--durable", action="store_true", help="PostgreSQL with fsync on")
    parser.add_argument("--naive", action="store_true", help="also run the naive writers")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            counter = iter(range(100))
            rows = measure(lambda: f"sqlite:///{tmp}/b{next(counter)}.db", args)
    else:
        from tests.support.postgres import start_server

        servers = start_server(durable=args.durable)
        server = next(servers)
        try:
            rows = measure(lambda: server.url(server.create_database()), args)
        finally:
            for _ in servers:
                pass
    if args.json:
        print(json.dumps({"targets": targets(rows, args.backend), "rows": rows}))


if __name__ == "__main__":
    main()
