"""Verification speed: `verify_store` over one signed stream, three ways.

    .venv/bin/python bench/evidence_verify.py [--records 1000000] [--backend sqlite|postgres]
        [--json]

The store is filled in bulk (the rows `append` writes: chained, signed, the small v2
statements of tests/evidence/helpers.py) in one transaction, so filling does not
dominate; `append` speed is bench/evidence_append.py's subject. A signed checkpoint
is stored at 99% of the stream (a nightly `evidence checkpoint` with 1% of the
records written since). Then the same stream is verified, in this process:

- without keys: hashes, links, columns and statements only;
- with its key (the default): as above, and the records up to the checkpoint are
  authenticated by the checkpoint's signature, the rest each by its own;
- with its key and `every_signature`: each record's own signature too.

The target (1M signed records in 60 s) is on the default, `with keys`. Every figure is measured at
the given size, not projected.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.evidence.helpers import payload  # noqa: E402

from regulens.evidence import (  # noqa: E402
    Signer,
    TrustedKeys,
    models,
    open_store,
)
from regulens.evidence.chain import GENESIS, record_hash  # noqa: E402
from regulens.evidence.checkpoint import make_checkpoint  # noqa: E402
from regulens.evidence.keys import RECORD_SIG_TAG, public_pem  # noqa: E402
from regulens.evidence.store import EvidenceStore  # noqa: E402
from regulens.evidence.verify import verify_store  # noqa: E402

TARGET_1M_S = 60.0
STREAM = "signed"


def bulk_fill(
    store: EvidenceStore,
    count: int,
    stream: str,
    signer: Signer | None,
    *,
    checkpoint_at: int | None = None,
) -> None:
    """Insert `count` chained records into `stream` in one transaction, 5,000 rows at a time.

    With `checkpoint_at` (and a signer), store a signed checkpoint of the head at that size.
    """
    prev = GENESIS
    rows: list[dict[str, Any]] = []
    checkpoint_head: bytes | None = None
    with store._tx(write=True) as conn:
        if signer is not None:
            conn.execute(
                models.public_keys.insert(),
                {"key_id": signer.key_id, "public_pem": public_pem(signer.public)},
            )
        for i in range(count):
            seq = i + 1
            run_id = f"run-{stream}-{i}"
            at = f"2026-11-30T02:{i // 60 % 60:02d}:{i % 60:02d}Z"
            body = payload(run_id, i, stream=stream, recorded_at=at)
            digest = record_hash(stream, seq, prev, body)
            rows.append({
                "stream": stream, "seq": seq, "run_id": run_id, "command": "evaluate",
                "recorded_at": at, "payload": body, "prev_hash": prev, "record_hash": digest,
                "key_id": signer.key_id if signer else None,
                "signature": signer.sign(RECORD_SIG_TAG, digest) if signer else None,
            })  # fmt: skip
            if seq == checkpoint_at:
                checkpoint_head = digest
            if len(rows) == 5000:
                conn.execute(models.records.insert(), rows)
                rows.clear()
            prev = digest
        if rows:
            conn.execute(models.records.insert(), rows)
    if checkpoint_at is not None and signer is not None and checkpoint_head is not None:
        cp = make_checkpoint(stream, checkpoint_at, checkpoint_head, "2026-11-30T03:00:00Z", signer)
        store.add_checkpoint(cp, signer)


# (label, keys given, every signature)
WAYS = (("without keys", False, False), ("with keys", True, False),
        ("with keys, every signature", True, True))  # fmt: skip


def measure(url: str, records: int, backend: str, quiet: bool) -> list[dict[str, Any]]:
    signer = Signer.generate()
    trusted = TrustedKeys({signer.key_id: signer.public})
    checkpoint_at = records - records // 100
    out = []
    with open_store(url) as store:
        started = time.perf_counter()
        bulk_fill(store, records, STREAM, signer, checkpoint_at=checkpoint_at)
        if not quiet:
            print(f"filled {records} records in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)  # fmt: skip
        for way, keyed, every in WAYS:
            start = time.perf_counter()
            (report,) = verify_store(
                store, stream=STREAM, trusted=trusted if keyed else None, every_signature=every
            )
            took = time.perf_counter() - start
            if report.status.value != "OK" or report.records != records:
                raise SystemExit(f"verify did not pass: {report}")
            row = {"backend": backend, "way": way, "records": records,
                   "checkpointed": report.checkpointed, "seconds": round(took, 2),
                   "rate": round(records / took, 1)}  # fmt: skip
            out.append(row)
            print(f"verify {backend:7s} {records:8d} {way:24s} {row['rate']:9.0f}/s "
                  f"{took:7.2f} s  ({report.checkpointed} under the checkpoint)",
                  file=sys.stderr, flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            rows = measure(f"sqlite:///{tmp}/v.db", args.records, "sqlite", args.json)
    else:
        from tests.support.postgres import start_server

        servers = start_server()
        server = next(servers)
        try:
            rows = measure(
                server.url(server.create_database()), args.records, "postgres", args.json
            )
        finally:
            for _ in servers:
                pass
    if args.json:
        million = args.records == 1_000_000
        targets = [
            {"name": f"verify rate {r['way']} ({r['backend']})", "figure": r["rate"],
             "unit": "records/s", "target": None, "met": None}
            for r in rows
        ] + [
            {"name": f"verify {r['records']:,} records {r['way']} ({r['backend']})",
             "figure": r["seconds"], "unit": "s",
             "target": TARGET_1M_S if million and r["way"] == "with keys" else None,
             "met": r["seconds"] <= TARGET_1M_S if million and r["way"] == "with keys" else None}
            for r in rows
        ]  # fmt: skip
        print(json.dumps({"targets": targets, "rows": rows}))


if __name__ == "__main__":
    main()
