"""Verify covers what a decision depends on: its input blobs and its recorded_at/command columns.

The store is filled by real signed `gate` runs (tests/reports/month.py), then
tampered with in SQLite directly, as an attacker with write access would.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from regulens.evidence import Signer, TrustedKeys, open_store
from regulens.evidence.keys import load_trusted
from regulens.evidence.verify import Status, StreamReport, verify_store
from tests.evidence.helpers import fill, payload
from tests.reports.month import STREAM, fill_month, run_cli


@dataclass(frozen=True)
class Recorded:
    """Three real gate runs in stream `production` (seq 1..3) and the key that signed them."""

    db: Path
    public_key: Path
    key: Path

    def clone(self, target: Path) -> str:
        target.write_bytes(self.db.read_bytes())
        return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    from tests.conftest import EXAMPLES

    month = fill_month(EXAMPLES, tmp_path_factory.mktemp("recorded"), days=2)
    return Recorded(Path(month.url.removeprefix("sqlite:///")), month.public_key, month.key)


def _verdict(url: str, public_key: Path) -> StreamReport:
    with open_store(url, create=False) as store:
        (report,) = verify_store(store, stream=STREAM, trusted=load_trusted([str(public_key)]))
    return report


def _references(db: Path) -> dict[str, list[int]]:
    """Every blob digest → the seqs of the records whose statement references it."""
    out: dict[str, list[int]] = {}
    with closing(sqlite3.connect(db)) as conn, conn:
        for seq, body in conn.execute("SELECT seq, payload FROM evidence_records ORDER BY seq"):
            predicate = orjson.loads(body)["predicate"]
            digests = [ref["digest"] for ref in predicate["inputs"].values()]
            digests += predicate["policies"]["documents"]
            if predicate.get("exception_documents"):
                digests.append(predicate["exception_documents"])
            for digest in digests:
                out.setdefault(digest, []).append(seq)
    return out


def _blob_of_kind(db: Path, kind: str) -> str:
    with closing(sqlite3.connect(db)) as conn, conn:
        (digest,) = conn.execute(
            "SELECT digest FROM evidence_blobs WHERE kind = ? ORDER BY digest LIMIT 1", (kind,)
        ).fetchone()
    return str(digest)


def test_the_recorded_store_verifies(recorded: Recorded, tmp_path: Path) -> None:
    report = _verdict(recorded.clone(tmp_path / "e.db"), recorded.public_key)
    assert (report.status, report.records, report.legacy) == (Status.OK, 3, 0)
    assert len(report.signed_by) == 1


@pytest.mark.parametrize("kind", ["policyset", "section:kubernetes", "section:change"])
def test_a_flipped_byte_of_a_stored_input_is_corrupt_at_the_first_record_using_it(
    recorded: Recorded, tmp_path: Path, kind: str
) -> None:
    db = tmp_path / "e.db"
    url = recorded.clone(db)
    digest = _blob_of_kind(db, kind)
    with closing(sqlite3.connect(db)) as conn, conn:
        query = "SELECT data FROM evidence_blobs WHERE digest = ?"
        (data,) = conn.execute(query, (digest,)).fetchone()
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0x01
    with closing(sqlite3.connect(db)) as conn, conn:
        update = "UPDATE evidence_blobs SET data = ? WHERE digest = ?"
        conn.execute(update, (bytes(flipped), digest))
    report = _verdict(url, recorded.public_key)
    first = min(_references(db)[digest])
    assert (report.status, report.seq) == (Status.CORRUPT, first)
    assert digest in report.message and "does not match its digest" in report.message
    args = ("evidence", "verify", "--evidence", url, "--public-key", str(recorded.public_key))
    assert run_cli(*args) == 2


def test_a_deleted_input_blob_is_corrupt(recorded: Recorded, tmp_path: Path) -> None:
    db = tmp_path / "e.db"
    url = recorded.clone(db)
    digest = _blob_of_kind(db, "section:kubernetes")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM evidence_blobs WHERE digest = ?", (digest,))
    report = _verdict(url, recorded.public_key)
    assert (report.status, report.seq) == (Status.CORRUPT, min(_references(db)[digest]))
    assert "is not stored" in report.message


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("recorded_at", "2026-10-01T00:00:00Z", "column recorded_at"),
        ("command", "evaluate", "column command"),
        ("run_id", "other-run", "does not name run"),
    ],
)
def test_an_edited_column_is_corrupt_at_its_seq(
    recorded: Recorded, tmp_path: Path, column: str, value: str, named: str
) -> None:
    db = tmp_path / "e.db"
    url = recorded.clone(db)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(f"UPDATE evidence_records SET {column} = ? WHERE seq = 3", (value,))
    report = _verdict(url, recorded.public_key)
    assert (report.status, report.seq) == (Status.CORRUPT, 3)
    assert named in report.message


def test_export_refuses_a_store_whose_recorded_at_was_moved(
    recorded: Recorded, tmp_path: Path
) -> None:
    # Moving the newest record's recorded_at before --since used to leave it out of the
    # bundle silently, and the bundle verified OK.
    db = tmp_path / "e.db"
    url = recorded.clone(db)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "UPDATE evidence_records SET recorded_at = '2000-01-01T00:00:00Z' WHERE seq = 3"
        )
    bundle = tmp_path / "b.tar"
    code = run_cli(
        "evidence", "export", "--evidence", url, "--since", "2001-01-01T00:00:00Z",
        "--signing-key", str(recorded.key), "-o", str(bundle),
    )  # fmt: skip
    assert code == 2
    assert not bundle.exists()


def _legacy_store(url: str, count: int, signer: Signer) -> None:
    with open_store(url) as store:
        for i in range(count):
            run_id = f"old-{i}"
            store.append("main", run_id, "gate", f"2026-01-01T00:00:0{i}Z", payload(run_id, i),
                         signer=signer)  # fmt: skip


def test_legacy_v1_records_verify_under_v1_rules_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = Signer.generate()
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _legacy_store(url, 3, signer)
    with open_store(url) as store:
        (report,) = verify_store(store, trusted=TrustedKeys({signer.key_id: signer.public}))
        assert (report.status, report.legacy) == (Status.OK, 3)
        fill(store, 2, "main", signer, prefix="new")  # v2 records may follow v1 ones
        (report,) = verify_store(store)
        assert (report.status, report.records, report.legacy) == (Status.OK, 5, 3)
    assert run_cli("evidence", "verify", "--evidence", url) == 0
    assert "3 in legacy statement format v1" in capsys.readouterr().out


def test_a_v1_record_after_a_v2_record_is_corrupt(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        fill(store, 2, "main")
        store.append("main", "old", "gate", "t", payload("old"))
        (report,) = verify_store(store)
    assert (report.status, report.seq) == (Status.CORRUPT, 3)
    assert "format v1 after v2" in report.message


def test_a_v2_statement_must_name_its_recorded_at(tmp_path: Path) -> None:
    body = orjson.loads(payload("r", stream="main", recorded_at="t"))
    del body["predicate"]["run"]["recorded_at"]
    from regulens.evidence.canonical import canonical_json

    with open_store(f"sqlite:///{tmp_path / 'e.db'}") as store:
        store.append("main", "r", "evaluate", "t", canonical_json(body))
        (report,) = verify_store(store)
    assert (report.status, report.seq) == (Status.CORRUPT, 1)
    assert "recorded_at" in report.message


def test_checkpoint_refuses_to_vouch_for_a_store_that_does_not_verify(
    recorded: Recorded, tmp_path: Path
) -> None:
    db = tmp_path / "e.db"
    url = recorded.clone(db)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE evidence_records SET command = 'evaluate' WHERE seq = 2")
    out = tmp_path / "heads.jsonl"
    args = ("evidence", "checkpoint", "--evidence", url, "--signing-key", str(recorded.key))
    assert run_cli(*args, "-o", str(out)) == 2
    assert not out.exists()
    with open_store(url) as store:
        assert store.checkpoints() == []
