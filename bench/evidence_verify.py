"""Verification speed: records per second of `verify_store`, unsigned and signed.

.venv/bin/python bench/evidence_verify.py [--records 5000] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.evidence.helpers import fill  # noqa: E402

from regulens.evidence import Signer, TrustedKeys, open_store  # noqa: E402
from regulens.evidence.verify import verify_store  # noqa: E402


def measure(url: str, records: int) -> None:
    signer = Signer.generate()
    trusted = TrustedKeys({signer.key_id: signer.public})
    with open_store(url) as store:
        start = time.perf_counter()
        fill(store, records, "plain")
        fill(store, records, "signed", signer)
        appended = time.perf_counter() - start
        print(f"append   {2 * records:6d} records  {2 * records / appended:8.0f}/s (one writer)")
        for stream, keys in (("plain", None), ("signed", trusted)):
            start = time.perf_counter()
            (report,) = verify_store(store, stream=stream, trusted=keys)
            took = time.perf_counter() - start
            assert report.status.value == "OK", report
            print(f"verify   {records:6d} {stream:6s}   {records / took:8.0f}/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    if args.backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            measure(f"sqlite:///{tmp}/v.db", args.records)
        return
    from tests.support.postgres import start_server

    servers = start_server()
    server = next(servers)
    try:
        measure(server.url(server.create_database()), args.records)
    finally:
        for _ in servers:
            pass


if __name__ == "__main__":
    main()
