"""Concurrent writer processes, some SIGKILLed mid-append: nothing acknowledged is lost,
nothing is duplicated, the chain never breaks (real PostgreSQL, and SQLite)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from regulens.evidence import open_store
from regulens.evidence.verify import Status, verify_store
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
APPENDS = 100


def _spawn(url: str, worker: int, ack: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.evidence.writer", url, "main", str(worker), str(APPENDS),
         str(ack)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _acked(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _hammer(url: str, tmp_path: Path, writers: int, victims: int) -> None:
    with open_store(url):  # migrate once up front
        pass
    rng = random.Random(writers)
    acks = [tmp_path / f"ack-{w}" for w in range(writers)]
    procs = [_spawn(url, w, acks[w]) for w in range(writers)]
    doomed = {w: rng.randint(3, APPENDS - 40) for w in rng.sample(range(writers), victims)}
    killed: set[int] = set()
    deadline = time.monotonic() + 120
    while len(killed) < len(doomed) and time.monotonic() < deadline:
        for w, after in doomed.items():
            if w not in killed and (len(_acked(acks[w])) >= after or procs[w].poll() is not None):
                procs[w].send_signal(signal.SIGKILL)
                killed.add(w)
        time.sleep(0.005)
    for w, proc in enumerate(procs):
        try:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"writer {w} hung")
        if w in killed:  # killed while appending, not after finishing
            assert proc.returncode == -signal.SIGKILL, (w, proc.returncode)
        else:
            assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert killed == set(doomed)

    acknowledged = {run for a in acks for run in _acked(a)}
    with open_store(url) as store:
        stored = [r.run_id for r in store.records("main")]
        seqs = [r.seq for r in store.records("main")]
        (report,) = verify_store(store, stream="main")
    counts = Counter(stored)
    assert not [r for r, n in counts.items() if n > 1], "duplicates"
    assert acknowledged <= set(stored), f"lost: {sorted(acknowledged - set(stored))[:5]}"
    assert seqs == list(range(1, len(seqs) + 1))
    assert (report.status, report.records) == (Status.OK, len(stored))
    for w in range(writers):
        mine = {r for r in stored if r.startswith(f"w{w}-")}
        acked = set(_acked(acks[w]))
        if w in killed:
            # at most the one append in flight at the kill committed without its ack
            assert acked <= mine and len(mine - acked) <= 1
        else:
            assert len(mine) == APPENDS

    # Retrying the killed writers with the same run ids (the idempotency keys)
    # completes them without a single duplicate.
    for w in killed:
        retry = _spawn(url, w, tmp_path / f"retry-{w}")
        _, err = retry.communicate(timeout=120)
        assert retry.returncode == 0, err.decode()
    with open_store(url) as store:
        final = [r.run_id for r in store.records("main")]
        (report,) = verify_store(store, stream="main")
    assert len(final) == len(set(final)) == writers * APPENDS
    assert report.status is Status.OK


@pytest.mark.slow
@pytest.mark.postgres
def test_sixteen_postgres_writers_with_kills(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.url(postgres_server.create_database())
    _hammer(url, tmp_path, writers=16, victims=2)


@pytest.mark.slow
def test_eight_sqlite_writers_with_kills(tmp_path: Path) -> None:
    _hammer(f"sqlite:///{tmp_path / 'e.db'}", tmp_path, writers=8, victims=1)
