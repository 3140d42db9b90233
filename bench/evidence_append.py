"""Concurrent appends: the locked append of the store vs a naive read-max-then-insert.

    .venv/bin/python bench/evidence_append.py [--procs 8] [--appends 100] [--backend B]

The naive writer reads the head of the stream and inserts seq+1 in a plain
transaction, with no lock and (variant `naive`) no unique constraint, so
concurrent writers fork the chain and duplicate seqs; with the unique
constraint (variant `naive+unique`) the losers of each race fail instead and
their records are lost unless the caller retries. The store's append
serialises per stream (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from tests.evidence.helpers import payload  # noqa: E402

from regulens.evidence import open_store  # noqa: E402
from regulens.evidence.chain import GENESIS, record_hash  # noqa: E402
from regulens.evidence.store import normalise_url  # noqa: E402

NAIVE_DDL = """CREATE TABLE naive (stream VARCHAR(200), seq BIGINT, run_id VARCHAR(128),
 prev_hash {blob}, record_hash {blob} {unique})"""


def worker(url: str, mode: str, wid: int, count: int) -> None:
    """Append `count` records; print the number of failed appends."""
    failed = 0
    start = time.time()
    if mode == "locked":
        with open_store(url) as store:
            start = time.time()
            for i in range(count):
                run = f"w{wid}-{i}"
                store.append("main", run, "gate", "t", payload(run, i))
        print(0, start, time.time())
        return
    engine = create_engine(normalise_url(url))
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


def run(url: str, mode: str, procs: int, count: int) -> None:
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
            [sys.executable, __file__, "--worker", url, mode, str(w), str(count)],
            stdout=subprocess.PIPE,
        )
        for w in range(procs)
    ]
    outs = [c.communicate()[0].split() for c in children]
    failed = sum(int(o[0]) for o in outs)
    # appends only: from the first writer's first append to the last writer's last
    elapsed = max(float(o[2]) for o in outs) - min(float(o[1]) for o in outs)
    engine = create_engine(normalise_url(url))
    table = "evidence_records" if mode == "locked" else "naive"
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT seq, prev_hash, record_hash FROM {table} ORDER BY seq")
        ).all()
    engine.dispose()
    seqs = Counter(r.seq for r in rows)
    dup = sum(n - 1 for n in seqs.values())
    hashes = {bytes(r.record_hash) for r in rows}
    breaks = sum(1 for r in rows if r.seq > 1 and bytes(r.prev_hash) not in hashes)
    forks = Counter(bytes(r.prev_hash) for r in rows)
    forked = sum(n - 1 for n in forks.values())
    total = procs * count
    print(
        f"{mode:13s} procs={procs:2d} appends={total:5d} stored={len(rows):5d} "
        f"lost={total - len(rows) - 0:4d} failed={failed:4d} dup_seq={dup:4d} "
        f"forks={forked:4d} breaks={breaks:3d} time={elapsed:6.2f}s "
        f"rate={len(rows) / elapsed:7.1f}/s"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, mode, wid, count = sys.argv[2:6]
        worker(url, mode, int(wid), int(count))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--appends", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    modes = ("naive", "naive+unique", "locked")
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            for i, mode in enumerate(modes):
                run(f"sqlite:///{tmp}/b{i}.db", mode, args.procs, args.appends)
        return
    from tests.support.postgres import start_server

    servers = start_server()
    server = next(servers)
    try:
        for mode in modes:
            run(server.url(server.create_database()), mode, args.procs, args.appends)
    finally:
        for _ in servers:
            pass


if __name__ == "__main__":
    main()
