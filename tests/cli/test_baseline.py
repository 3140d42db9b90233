"""`regulens baseline create`, `--findings-baseline` and `evidence render`, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import orjson
import pytest

from tests.cli.test_ci_outputs import EVAL, RPO
from tests.cli.test_cli import run_main
from tests.cli.test_failures import GATE


def create(tmp_path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Path:
    out = tmp_path / f"baseline-{len(list(tmp_path.iterdir()))}.json"
    code, _, err = run_main(["baseline", "create", *args, "-o", str(out)], capsys)
    assert code == 0, err
    return out


def evaluate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code, out, err = run_main([*args, "--format", "json"], capsys)
    assert out, err
    return code, json.loads(out)


def statuses(doc: dict[str, object]) -> dict[str, str]:
    results = doc["results"]
    assert isinstance(results, list)
    return {r["policy"]: r["status"] for r in results if r["status"] != "pass"}


def recorded_run(err: str) -> str:
    return err.split("recorded run ")[1].split(maxsplit=1)[0]


def test_known_findings_warn_new_ones_deny_and_gone_ones_are_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = create(tmp_path, capsys, *RPO[1:])
    entries = json.loads(both.read_text())["findings"]
    assert sorted(e["policy"] for e in entries) == ["rpo-configuration", "rpo-database"]
    code, doc = evaluate(capsys, *RPO, "--findings-baseline", str(both))
    assert code == 0 and statuses(doc) == {"rpo-database": "warn", "rpo-configuration": "warn"}
    assert all(
        r["message"].startswith("in baseline: ") for r in doc["results"] if r["status"] == "warn"
    )
    gating = doc["gating"]["baseline"]
    assert gating["matched"] == 2 and gating["resolved"] == []
    assert gating["digest"] == "sha256:" + hashlib.sha256(both.read_bytes()).hexdigest()

    one = create(tmp_path, capsys, *EVAL[1:], "--select", "rpo-database")
    code, doc = evaluate(capsys, *RPO, "--findings-baseline", str(one))
    assert code == 1 and statuses(doc) == {"rpo-database": "warn", "rpo-configuration": "fail"}

    code, out, err = run_main(
        [*EVAL, "--select", "rpo-database", "--findings-baseline", str(both), "--format", "json"],
        capsys,
    )
    assert code == 0
    assert [r["policy"] for r in json.loads(out)["gating"]["baseline"]["resolved"]] == [
        "rpo-configuration"
    ]
    assert "note: 1 findings-baseline entry matched no finding (resolved): rpo-configuration" in err


def test_errors_are_never_baselined(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*EVAL[1:], "--select", "rto-*", "--select", "rpo-*"]
    path = tmp_path / "b.json"
    code, _, err = run_main(["baseline", "create", *args, "-o", str(path)], capsys)
    assert code == 0 and "2 error result(s) are not baselined" in err
    assert {e["policy"] for e in json.loads(path.read_text())["findings"]} == {
        "rpo-database",
        "rpo-configuration",
    }
    code, doc = evaluate(capsys, "evaluate", *args, "--findings-baseline", str(path))
    assert code == 2 and doc["summary"]["error"] == 2 and doc["summary"]["fail"] == 0


def test_a_bad_baseline_file_is_a_located_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "b.json"
    bad.write_text('{"apiVersion": "regulens/v1", "kind": "FindingsBaseline", "kind": "x"}')
    code, out, err = run_main([*RPO, "--findings-baseline", str(bad)], capsys)
    assert code == 3 and out == "" and f"{bad}:1:" in err and "duplicate key 'kind'" in err


def test_baseline_from_a_recorded_run_and_its_digest_in_the_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    code, _, err = run_main([*RPO, "--record", "--evidence", url, "--format", "json"], capsys)
    assert code == 1
    run_id = recorded_run(err)
    from_run = tmp_path / "from-run.json"
    code, _, err = run_main(
        ["baseline", "create", "--run", run_id, "--evidence", url, "-o", str(from_run)], capsys
    )
    assert code == 0, err
    from_inputs = create(tmp_path, capsys, *RPO[1:])
    assert (
        json.loads(from_run.read_text())["findings"]
        == json.loads(from_inputs.read_text())["findings"]
    )
    assert json.loads(from_run.read_text())["metadata"]["source"] == f"run {run_id}"

    code, _, err = run_main(
        [*RPO, "--record", "--evidence", url, "--findings-baseline", str(from_run)], capsys
    )
    assert code == 0, err
    code, out, _ = run_main(["evidence", "show", "--evidence", url, recorded_run(err)], capsys)
    predicate = orjson.loads(out)["statement"]["predicate"]
    digest = "sha256:" + hashlib.sha256(from_run.read_bytes()).hexdigest()
    assert predicate["gating"]["baseline"] == {"digest": digest, "matched": 2, "resolved": []}


def test_baseline_create_needs_policies_or_a_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run_main(["baseline", "create", "-o", str(tmp_path / "b.json")], capsys)
    assert code == 3 and "--run RUN_ID" in err
    code, _, err = run_main(
        ["baseline", "create", *RPO[1:], "--run", "r", "-o", str(tmp_path / "b.json")], capsys
    )
    assert code == 3 and "drop --policies" in err
    assert list(tmp_path.iterdir()) == []


# --- evidence render ----------------------------------------------------------------------------


@pytest.fixture
def gate_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str, dict[str, object]]:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    code, out, err = run_main(["keys", "generate", "-o", str(tmp_path / "k.pem")], capsys)
    assert code == 0
    code, out, err = run_main(
        [*GATE, "--evidence", url, "--signing-key", str(tmp_path / "k.pem"), "--format", "json"],
        capsys,
    )
    assert code == 0, err
    return url, recorded_run(err), json.loads(out)


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "json", "policyreport"])
def test_render_a_recorded_run_in_every_format(
    fmt: str, gate_run: tuple[str, str, dict[str, object]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url, run_id, original = gate_run
    code, out, err = run_main(
        ["evidence", "render", run_id, "--evidence", url, "--format", fmt,
         "--public-key", str(tmp_path / "k.pem.pub")],
        capsys,
    )  # fmt: skip
    assert code == 0 and out, err
    if fmt == "json":
        assert json.loads(out) == original  # the stored results, exactly what was decided


def test_render_refuses_a_tampered_record_or_an_untrusted_signature(
    gate_run: tuple[str, str, dict[str, object]], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url, run_id, _ = gate_run
    run_main(["keys", "generate", "-o", str(tmp_path / "other.pem")], capsys)
    code, out, err = run_main(
        ["evidence", "render", run_id, "--evidence", url, "--format", "sarif",
         "--public-key", str(tmp_path / "other.pem.pub")],
        capsys,
    )  # fmt: skip
    assert code == 2 and out == "" and "does not verify" in err and "UNKNOWN_KEY" in err
    with sqlite3.connect(tmp_path / "e.db") as conn:
        (blob,) = conn.execute("SELECT payload FROM evidence_records").fetchone()
        conn.execute(
            "UPDATE evidence_records SET payload = ?",
            (blob.replace(b'"decision":"allow"', b'"decision":"deny"'),),
        )
    code, out, err = run_main(
        ["evidence", "render", run_id, "--evidence", url, "--format", "json"], capsys
    )
    assert code == 2 and out == "" and "does not verify" in err and "CORRUPT" in err
    code, _, err = run_main(
        ["evidence", "render", "nope", "--evidence", url, "--format", "json"], capsys
    )
    assert code == 3 and "no run 'nope'" in err
