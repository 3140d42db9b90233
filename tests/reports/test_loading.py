"""Reading a report's runs: verified and decoded in one read of the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text

from regulens.evidence import open_store
from regulens.evidence.canonical import canonical_json
from regulens.evidence.store import EvidenceStore
from regulens.reports.facts import Tool
from regulens.reports.fleet import FleetFold, verdicts
from regulens.reports.loading import to_run, verify_and_load, verify_and_read
from regulens.reports.runs import RunRecord
from tests.evidence.helpers import fill, payload


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EvidenceStore]:
    with open_store(f"sqlite:///{tmp_path / 'evidence.db'}") as opened:
        fill(opened, 5, stream="b")
        fill(opened, 7, stream="a")
        yield opened


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[tuple[EvidenceStore, EvidenceStore]]:
    """A reader's and a writer's store over one SQLite file, 600 records in stream `a`."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    with open_store(url) as reader, open_store(url) as writer:
        fill(reader, 600, stream="a")
        yield reader, writer


def _fields(runs: list[RunRecord]) -> list[tuple[object, ...]]:
    return [(r.stream, r.seq, r.run_id, r.recorded_at, r.digest, r.predicate) for r in runs]


def test_one_read_decodes_what_a_second_read_would(store: EvidenceStore) -> None:
    verification, runs = verify_and_load(store, streams=None, trusted=None)
    assert verification.ok and verification.records == 12
    assert _fields(runs) == _fields([to_run(r) for r in store.records()])
    assert [(r.stream, r.seq) for r in runs][:2] == [("a", 1), ("a", 2)]  # (stream, seq) order


def test_streams_in_the_order_given_and_keep_drops_as_it_reads(store: EvidenceStore) -> None:
    def keep(run: RunRecord) -> bool:
        return run.seq % 2 == 1

    verification, runs = verify_and_load(store, streams=["b", "a"], trusted=None, keep=keep)
    assert verification.records == 12 and verification.streams == ("b", "a")
    expected = [run for name in ("b", "a") for r in store.records(name) if keep(run := to_run(r))]
    assert _fields(runs) == _fields(expected)
    assert [r.stream for r in runs] == ["b"] * 3 + ["a"] * 4


def test_runs_loaded_together_hold_one_copy_of_each_repeated_value(
    store: EvidenceStore,
) -> None:
    fill(store, 8, stream="c")  # c-0 and c-7 record the same result, c-1 and c-7 one decision
    _, runs = verify_and_load(store, streams=["c"], trusted=None)
    assert runs[0].results[0] == runs[7].results[0]
    assert runs[0].results[0] is runs[7].results[0]
    assert runs[1].decision is runs[7].decision
    assert runs[0].decision is not runs[1].decision
    assert runs[0].run is not runs[7].run and runs[7].run["id"] == "run-c-7"


def test_values_equal_in_python_but_not_in_json_are_not_shared(
    store: EvidenceStore,
) -> None:
    # True == 1 == 1.0 in Python, and they hash alike; the shared copies are keyed by JSON.
    for i, value in enumerate((1, True, 1.5, "1", 1)):
        body = orjson.loads(payload(f"v{i}", stream="v", recorded_at=f"2026-11-30T03:00:0{i}Z"))
        body["predicate"]["results"][0]["details"] = {"value": value}
        store.append("v", f"v{i}", "evaluate", f"2026-11-30T03:00:0{i}Z", canonical_json(body))
    verification, runs = verify_and_load(store, streams=["v"], trusted=None)
    assert verification.ok
    values = [r.results[0]["details"]["value"] for r in runs]
    assert [type(v) for v in values] == [int, bool, float, str, int]
    assert runs[0].results[0] is runs[4].results[0]
    assert len({id(r.results[0]) for r in runs}) == 4


def test_a_record_that_is_not_a_statement_is_skipped_with_a_warning(
    store: EvidenceStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.append("c", "not-json", "evaluate", "t", b"{not json")
    store.append("c", "no-predicate", "evaluate", "t", b'{"predicate": []}')
    store.append("c", "fine", "evaluate", "t", payload("fine"))
    verification, runs = verify_and_load(store, streams=["c"], trusted=None)
    assert not verification.ok  # the verifier names the bad records; the report refuses them
    assert [r.run_id for r in runs] == ["fine"]
    assert "c#1: stored record is not JSON" in caplog.text
    assert "c#2: stored record is not an in-toto Statement" in caplog.text


def test_a_malformed_row_is_skipped_with_a_warning(
    store: EvidenceStore, caplog: pytest.LogCaptureFixture
) -> None:
    with store._tx(write=True) as conn:  # a run id that is not UTF-8 (read leniently)
        conn.execute(text("UPDATE evidence_records SET run_id = CAST(X'FF' AS TEXT) "
                          "WHERE stream = 'b' AND seq = 2"))  # fmt: skip
    verification, runs = verify_and_load(store, streams=["b"], trusted=None)
    assert not verification.ok
    assert [r.seq for r in runs] == [1, 3, 4, 5]
    assert "skipping evidence_records" in caplog.text and "not UTF-8" in caplog.text


def test_the_runs_are_the_records_the_verdict_covers(
    busy: tuple[EvidenceStore, EvidenceStore],
) -> None:
    # A writer appends while the report reads: the runs and the verdict are of one read,
    # never a verdict on N records and N + 1 runs (as a verify, then a second read, could be).
    reader, writer = busy
    appended = 0

    def keep(run: RunRecord) -> bool:
        nonlocal appended
        if appended < 3:  # during the read: the first batch of rows is already in hand
            fill(writer, 1, stream="a", prefix=f"late{appended}")
            appended += 1
        return True

    verification, runs = verify_and_load(reader, streams=None, trusted=None, keep=keep)
    assert appended == 3
    assert verification.ok and verification.records == len(runs)
    assert [r.seq for r in runs] == list(range(1, len(runs) + 1))


def test_the_fleet_folds_the_runs_of_its_verification(
    busy: tuple[EvidenceStore, EvidenceStore],
) -> None:
    # The fleet overview folds runs as the verifier reads them (nothing held): its newest
    # run per stream is the newest the verdict covers, even with a writer appending.
    reader, writer = busy
    fill(reader, 3, stream="b")
    fold = FleetFold(["a", "b"], now=datetime(2026, 12, 1, tzinfo=UTC), period=None)
    added: list[RunRecord] = []

    def sink(run: RunRecord) -> None:
        if not added:
            fill(writer, 1, stream="a", prefix="late")
        added.append(run)
        fold.add(run)

    verification = verify_and_read(reader, streams=None, trusted=None, sink=sink)
    overview = fold.overview(
        verdicts(verification.problems, ["a", "b"], signatures_checked=False),
        stale_after=timedelta(hours=26),
        tool=Tool(name="regulens", version="test"),
        store="test",
    )
    assert verification.ok and verification.records == len(added)
    rows = {row.stream: row for row in overview.rows}
    assert rows["a"].runs == verification.records - 3
    newest_a = max((r for r in added if r.stream == "a"), key=lambda r: r.seq)
    assert rows["a"].last_run == newest_a.run_id and rows["b"].last_run == "run-b-2"
