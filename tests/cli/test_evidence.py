"""`regulens evaluate --record`, `evidence ...` and `keys generate`, through the real CLI."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import orjson
import pytest

from regulens.cli import main
from regulens.evidence import open_store
from tests.support.postgres import PostgresServer

POLICIES = [
    "--policies",
    "builtin:ops-baseline",
    "--select",
    "workload-*",
    "--now",
    "2026-11-30T02:10:00Z",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "signing.pem"
    code, out, _ = run(capsys, "keys", "generate", "-o", str(path))
    assert code == 0 and "key id" in out
    return path


def record(
    capsys: pytest.CaptureFixture[str], url: str, examples: Path, *extra: str, platform: str = ""
) -> tuple[int, str, str]:
    manifests = str(examples / (platform or "platform"))
    return run(
        capsys, "evaluate", *POLICIES, "--manifests", manifests, "--record", "--evidence", url,
        *extra,
    )  # fmt: skip


def test_keys_generate_writes_a_private_and_a_public_key(
    key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    assert b"PUBLIC KEY" in Path(f"{key}.pub").read_bytes()
    code, _, err = run(capsys, "keys", "generate", "-o", str(key))
    assert code == 3 and "already exists" in err


def test_record_verify_then_tamper_one_byte(
    tmp_path: Path, examples: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e.db"
    url = f"sqlite:///{db}"
    for _ in range(3):
        code, out, err = record(capsys, url, examples, "--signing-key", str(key))
        assert code == 0 and "ALLOW" in out and "recorded run" in err
    pub = f"{key}.pub"
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url, "--public-key", pub)
    assert (code, out.splitlines()[-1]) == (0, "OK")
    with sqlite3.connect(db) as conn:
        (blob,) = conn.execute("SELECT payload FROM evidence_records WHERE seq = 2").fetchone()
        tampered = blob.replace(b'"pass":15', b'"pass":16')
        assert tampered != blob
        conn.execute("UPDATE evidence_records SET payload = ? WHERE seq = 2", (tampered,))
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url, "--public-key", pub)
    assert code == 2
    assert "CORRUPT at seq 2" in out and out.splitlines()[-1] == "CORRUPT"
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url, "--format", "json")
    doc = orjson.loads(out)
    assert (doc["status"], doc["streams"][0]["seq"]) == ("CORRUPT", 2)


def test_store_env_variable_and_streams(
    tmp_path: Path,
    examples: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("REGULENS_EVIDENCE", url)
    code, _, _ = run(capsys, "evaluate", *POLICIES, "--manifests", str(examples / "platform"),
                     "--record", "--stream", "prod")  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, "evidence", "verify")
    assert code == 0 and "stream prod: OK (1 record," in out
    code, out, _ = run(capsys, "evidence", "log")
    assert "prod#1" in out and "evaluate  allow" in out


def test_empty_store_does_not_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/e.db"
    code, _, err = run(capsys, "evidence", "verify", "--evidence", url)
    assert code == 4 and "no such file" in err  # reading never creates a store
    assert not (tmp_path / "e.db").exists()
    open_store(url).close()
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url)
    assert code == 2 and out.strip() == "EMPTY"


@pytest.mark.parametrize("kind", ["sqlite-dir", "postgres"])
def test_unwritable_store_exits_4_and_prints_no_decision(
    tmp_path: Path, examples: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    if kind == "sqlite-dir":
        (tmp_path / "file").write_text("x")
        url = f"sqlite:///{tmp_path / 'file' / 'e.db'}"
    else:
        url = f"postgresql://nobody@/regulens?host={tmp_path}&port=1"
    code, out, err = record(capsys, url, examples)
    assert code == 4
    assert out == ""  # no ALLOW, no table
    assert "evidence store" in err


def test_read_only_store_exits_4(
    tmp_path: Path, examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e.db"
    assert record(capsys, f"sqlite:///{db}", examples)[0] == 0
    code, out, err = record(capsys, f"sqlite:///file:{db}?mode=ro&uri=true", examples)
    assert (code, out) == (4, "")
    assert "readonly" in err


def test_show_and_replay(
    tmp_path: Path, examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e.db"
    url = f"sqlite:///{db}"
    code, _, err = record(capsys, url, examples, platform="platform-noncompliant")
    assert code == 1
    run_id = err.split("recorded run ")[1].split()[0]
    code, out, _ = run(capsys, "evidence", "show", "--evidence", url, run_id)
    shown = orjson.loads(out)
    assert code == 0 and shown["seq"] == 1
    assert shown["statement"]["predicate"]["decision"]["decision"] == "deny"
    code, out, _ = run(capsys, "evidence", "replay", "--evidence", url, run_id)
    assert code == 0 and "SAME" in out and "recorded: deny (exit 1)" in out
    with sqlite3.connect(db) as conn:
        (blob,) = conn.execute("SELECT payload FROM evidence_records").fetchone()
        changed = blob.replace(b'"exit_code":1', b'"exit_code":0', 1)
        assert changed != blob
        conn.execute("UPDATE evidence_records SET payload = ?", (changed,))
    code, out, _ = run(capsys, "evidence", "replay", "--evidence", url, run_id)
    assert code == 2 and "DIFFERENT: exit_code differs" in out
    code, _, err = run(capsys, "evidence", "show", "--evidence", url, "no-such-run")
    assert code == 3 and "no run" in err


def test_checkpoint_file_detects_truncation(
    tmp_path: Path, examples: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "e.db"
    url = f"sqlite:///{db}"
    for _ in range(2):
        assert record(capsys, url, examples, "--signing-key", str(key))[0] == 0
    cp = tmp_path / "cp.jsonl"
    code, _, _ = run(capsys, "evidence", "checkpoint", "--evidence", url, "--signing-key",
                     str(key), "-o", str(cp))  # fmt: skip
    assert code == 0 and orjson.loads(cp.read_bytes())["size"] == 2
    fresh = tmp_path / "other.db"  # the checkpoint is kept elsewhere: not in the store
    assert record(capsys, f"sqlite:///{fresh}", examples, "--signing-key", str(key))[0] == 0
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", f"sqlite:///{fresh}",
                       "--checkpoint", str(cp), "--public-key", f"{key}.pub")  # fmt: skip
    assert code == 2 and "TRUNCATED at seq 2" in out


def test_verify_says_what_a_stored_checkpoint_authenticates(
    tmp_path: Path, examples: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    for _ in range(2):
        assert record(capsys, url, examples, "--signing-key", str(key))[0] == 0
    code, _, _ = run(capsys, "evidence", "checkpoint", "--evidence", url, "--signing-key",
                     str(key))  # fmt: skip
    assert code == 0
    assert record(capsys, url, examples, "--signing-key", str(key))[0] == 0  # after it
    verify = ("evidence", "verify", "--evidence", url, "--public-key", f"{key}.pub")
    code, out, _ = run(capsys, *verify)
    assert code == 0 and "(3 records, 2 of them authenticated by a signed checkpoint" in out
    code, out, _ = run(capsys, *verify, "--every-signature", "--format", "json")
    assert code == 0 and orjson.loads(out)["streams"][0]["checkpointed_records"] == 0
    code, out, _ = run(capsys, *verify, "--format", "json")
    assert code == 0 and orjson.loads(out)["streams"][0]["checkpointed_records"] == 2


def test_export_and_verify_bundle(
    tmp_path: Path, examples: Path, key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert record(capsys, url, examples, "--signing-key", str(key))[0] == 0
    bundle = tmp_path / "bundle.tar"
    code, out, _ = run(capsys, "evidence", "export", "--evidence", url, "--signing-key", str(key),
                       "-o", str(bundle))  # fmt: skip
    assert code == 0 and "stream default: seq 1..1" in out
    code, out, _ = run(capsys, "evidence", "verify-bundle", str(bundle), "--public-key",
                       f"{key}.pub")  # fmt: skip
    assert code == 0 and out.splitlines()[-1] == "OK"
    other = tmp_path / "other.pem"
    assert run(capsys, "keys", "generate", "-o", str(other))[0] == 0
    code, out, _ = run(capsys, "evidence", "verify-bundle", str(bundle), "--public-key",
                       f"{other}.pub")  # fmt: skip
    assert code == 2 and out.splitlines()[-1] == "UNKNOWN_KEY"
    code, _, err = run(capsys, "evidence", "export", "--evidence", url, "--signing-key", str(key),
                       "-o", str(bundle))  # fmt: skip
    assert code == 3 and "already exists" in err


def test_gate_always_records_and_replays_with_its_exceptions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.test_gate import BASE, CHANGES, PLATFORM, WAIVERS

    url = f"sqlite:///{tmp_path / 'e.db'}"
    change = str(CHANGES / "denied-expired-exception.yaml")
    code, out, err = run(capsys, *BASE, "--change", change, *PLATFORM, *WAIVERS,
                         "--evidence", url, "--stream", "prod")  # fmt: skip
    assert code == 1 and "recorded run" in err
    run_id = err.split("recorded run ")[1].split()[0]
    code, out, _ = run(capsys, "evidence", "show", "--evidence", url, run_id)
    predicate = orjson.loads(out)["statement"]["predicate"]
    assert predicate["run"]["command"] == "gate"
    assert predicate["change"]["category"] in ("standard", "normal", "emergency")
    assert [e["id"] for e in predicate["exceptions"]["expired"]] == ["EXC-2026-011"]
    assert predicate["exception_documents"].startswith("sha256:")
    assert {"kubernetes", "baseline", "change", "backups", "drills", "metrics"} <= set(
        predicate["inputs"]
    )
    code, out, _ = run(capsys, "evidence", "replay", "--evidence", url, run_id)
    assert code == 0 and "SAME" in out, out
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url)
    assert code == 0 and "stream prod: OK (1 record," in out


def test_gate_that_cannot_record_exits_4_and_never_allows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli.test_gate import BASE, CHANGES, PLATFORM

    (tmp_path / "file").write_text("x")
    url = f"sqlite:///{tmp_path / 'file' / 'e.db'}"
    change = str(CHANGES / "allowed.yaml")
    code, out, err = run(capsys, *BASE, "--change", change, *PLATFORM, "--evidence", url)
    assert (code, out) == (4, "")
    assert "allow" not in err.lower() and "evidence store" in err


@pytest.mark.postgres
def test_record_and_verify_on_postgres(
    postgres_server: PostgresServer,
    tmp_path: Path,
    examples: Path,
    key: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = postgres_server.url(postgres_server.create_database())
    for _ in range(2):
        assert record(capsys, url, examples, "--signing-key", str(key), "--stream", "eu")[0] == 0
    code, out, _ = run(capsys, "evidence", "verify", "--evidence", url, "--public-key",
                       f"{key}.pub")  # fmt: skip
    assert code == 0 and "stream eu: OK (2 records" in out
    bundle = tmp_path / "b.tar"
    code, _, _ = run(capsys, "evidence", "export", "--evidence", url, "--signing-key", str(key),
                     "-o", str(bundle))  # fmt: skip
    assert code == 0
    code, out, _ = run(capsys, "evidence", "verify-bundle", str(bundle), "--public-key",
                       f"{key}.pub")  # fmt: skip
    assert code == 0 and out.splitlines()[-1] == "OK"
