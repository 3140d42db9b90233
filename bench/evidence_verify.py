"""Verification speed: records per second of `verify_store`, unsigned and signed.

    .venv/bin/python bench/evidence_verify.py [--records 100000] [--backend sqlite|postgres]
        [--json]

The store is filled in bulk (the rows `append` writes: chained, signed for the
signed stream, the small v2 statements of tests/evidence/helpers.py) in one
transaction, so filling does not dominate; `append` speed is
bench/evidence_append.py's subject. Verify runs in this process over one stream
at a time; the 1M-record figure is projected from the measured rate (filling a
million-record store takes longer than the verify target itself).
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
from regulens.evidence.keys import RECORD_SIG_TAG, public_pem  # noqa: E402
from regulens.evidence.store import EvidenceStore  # noqa: E402
from regulens.evidence.verify import verify_store  # noqa: E402

TARGET_1M_S = 60.0


def bulk_fill(store: EvidenceStore, count: int, stream: str, signer: Signer | None) -> None:
    """Insert `count` chained records into `stream` in one transaction."""
    prev = GENESIS
    rows = []
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
        prev = digest
    with store._tx(write=True) as conn:
        if signer is not None:
            conn.execute(
                models.public_keys.insert(),
                {"key_id": signer.key_id, "public_pem": public_pem(signer.public)},
            )
        for start in range(0, len(rows), 5000):
            conn.execute(models.records.insert(), rows[start : start + 5000])


def measure(url: str, records: int, backend: str, quiet: bool) -> list[dict[str, Any]]:
    signer = Signer.generate()
    trusted = TrustedKeys({signer.key_id: signer.public})
    out = []
    with open_store(url) as store:
        bulk_fill(store, records, "plain", None)
        bulk_fill(store, records, "signed", signer)
        for stream, keys in (("plain", None), ("signed", trusted)):
            start = time.perf_counter()
            (report,) = verify_store(store, stream=stream, trusted=keys)
            took = time.perf_counter() - start
            if report.status.value != "OK" or report.records != records:
                raise SystemExit(f"verify did not pass: {report}")
            row = {"backend": backend, "stream": stream, "records": records,
                   "seconds": round(took, 3), "rate": round(records / took, 1),
                   "projected_1m_s": round(1_000_000 / (records / took), 1)}  # fmt: skip
            out.append(row)
            if not quiet:
                print(f"verify {backend:7s} {records:8d} {stream:6s} {row['rate']:9.0f}/s "
                      f"{took:7.2f} s  (1M projected: {row['projected_1m_s']:.0f} s)",
                      flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
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
        targets = [
            {"name": f"verify {r['stream']} records ({r['backend']})", "figure": r["rate"],
             "unit": "records/s", "target": None, "met": None}
            for r in rows
        ] + [
            {"name": f"verify 1M {r['stream']} records ({r['backend']}, projected from "
                     f"{r['records']})", "figure": r["projected_1m_s"], "unit": "s",
             "target": TARGET_1M_S if r["stream"] == "signed" else None,
             "met": r["projected_1m_s"] <= TARGET_1M_S if r["stream"] == "signed" else None}
            for r in rows
        ]  # fmt: skip
        print(json.dumps({"targets": targets, "rows": rows}))


if __name__ == "__main__":
    main()
