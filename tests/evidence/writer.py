"""A writer process for the concurrency tests: append records, acknowledge each after commit.

Usage: python -m tests.evidence.writer URL STREAM WORKER COUNT ACK_FILE
An acknowledgement line is written (unbuffered) only after `append` returned,
i.e. after the commit: an acknowledged record must never be lost.
"""

from __future__ import annotations

import sys

from regulens.evidence import open_store
from tests.evidence.helpers import payload


def main(argv: list[str]) -> None:
    url, stream, worker, count, ack = argv
    with open_store(url) as store, open(ack, "ab", buffering=0) as out:
        for i in range(int(count)):
            run_id = f"w{worker}-{i}"
            at = "2026-11-30T00:00:00Z"
            body = payload(run_id, i, stream=stream, command="gate", recorded_at=at)
            store.append(stream, run_id, "gate", at, body)
            out.write(f"{run_id}\n".encode())


if __name__ == "__main__":
    main(sys.argv[1:])
