"""CI ergonomics, end to end: several outputs per run, the decision line, --fail-on, --soft-fail,
namespace selection, --select hints and --skip warnings, evidence render."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from xml.etree import ElementTree as ET

import orjson
import pytest

from tests.cli.test_cli import run_main
from tests.cli.test_failures import GATE, records
from tests.conftest import EXAMPLES

NOW = ["--now", "2026-11-30T02:10:00Z"]
EVAL = ["evaluate", "--policies", "builtin:ops-baseline", "--manifests", str(EXAMPLES / "platform"),
        *NOW]  # fmt: skip
# rpo-database (critical) and rpo-configuration (high) each fail once (backup age), pass once
RPO = [*EVAL, "--select", "rpo-*"]


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'evidence.db'}"


# --- several outputs from one run --------------------------------------------------------------


def test_one_gate_run_writes_sarif_junit_and_markdown_and_records_once(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif, junit, md = tmp_path / "gate.sarif", tmp_path / "gate.xml", tmp_path / "summary.md"
    code, out, err = run_main(
        [*GATE, "--evidence", store, "--output", f"sarif={sarif}", "--output", f"junit={junit}",
         "--output", f"markdown={md}"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert records(store) == [("default", "gate")]  # one evaluation, one record
    assert json.loads(sarif.read_bytes())["version"] == "2.1.0"
    assert ET.fromstring(junit.read_bytes()).tag in ("testsuites", "testsuite")
    assert "allow" in md.read_text().lower()
    assert "decision: ALLOW" in out  # the table stays on the terminal
    assert "decision: allow (exit 0)" in err  # and the one-line decision is in the CI log


def test_if_any_output_cannot_be_staged_nothing_is_recorded_or_published(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "summary.md").write_text("previous")
    code, out, err = run_main(
        [*GATE, "--evidence", store, "--output", f"sarif={tmp_path / 'gate.sarif'}",
         "--output", f"junit={tmp_path / 'gate.xml'}",
         "--output", f"markdown={tmp_path / 'summary.md'}"],
        capsys,
    )  # fmt: skip
    assert code == 3 and "already exists" in err, err
    assert out == "" and "recorded" not in err and "decision:" not in err
    assert records(store) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.md"]  # no output, no temp file
    assert (tmp_path / "summary.md").read_text() == "previous"


def test_a_store_failure_publishes_none_of_several_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    broken = f"sqlite:///{tmp_path / 'file' / 'e.db'}"
    code, out, _ = run_main(
        [*GATE, "--evidence", broken, "-o", f"sarif={tmp_path / 'a.sarif'}",
         "-o", f"json={tmp_path / 'a.json'}"],
        capsys,
    )  # fmt: skip
    assert code == 4 and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_old_output_and_format_form_still_works_and_shows_the_decision_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a=b.json"  # not FORMAT=FILE: a plain file name that holds "="
    code, out, err = run_main([*RPO, "--format", "json", "-o", str(target)], capsys)
    assert code == 1 and out == ""
    assert json.loads(target.read_bytes())["decision"] == "deny"
    assert err.strip().splitlines()[-1] == (
        "decision: deny (exit 1): 2 fail, 0 error, 0 warn, 2 pass, 0 skip"
    )


@pytest.mark.parametrize("to_stdout", [[], ["--output", "json=-"]])
def test_without_output_files_there_is_no_extra_decision_line(
    to_stdout: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_main([*RPO, "--format", "table", *to_stdout], capsys)
    if to_stdout:
        assert json.loads(out)["decision"] == "deny"
    assert code == 1 and "decision:" not in err


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        (["json=a.json", "sarif=a.json"], "given twice"),
        (["json=-", "sarif=-"], "two outputs go to standard output"),
        (["-", "sarif=-"], "two outputs go to standard output"),
        (["sarif="], "no file after sarif="),
    ],
)
def test_conflicting_outputs_are_usage_errors_before_anything_is_read(
    outputs: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    args = [a for o in outputs for a in ("--output", o)]
    code, out, err = run_main([*RPO, *args], capsys)
    assert code == 3 and message in err and out == ""
    assert list(tmp_path.iterdir()) == []


# --- --fail-on and --soft-fail -----------------------------------------------------------------


def test_fail_on_reports_failures_below_the_threshold_as_warn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main([*RPO, "--fail-on", "critical", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 1  # rpo-database is critical: still denies
    status = {r["policy"]: r["status"] for r in doc["results"] if r["status"] != "pass"}
    assert status == {"rpo-database": "fail", "rpo-configuration": "warn"}
    warned = next(r for r in doc["results"] if r["status"] == "warn")
    assert warned["details"]["demoted"] == {"status": "fail", "reason": "below --fail-on critical"}
    assert doc["gating"]["fail_on"] == "critical"
    code, out, _ = run_main(
        [*EVAL, "--select", "rpo-configuration", "--fail-on", "critical", "--format", "json"],
        capsys,
    )
    assert code == 0 and json.loads(out)["summary"]["warn"] == 1


def test_fail_on_never_lets_an_error_through(capsys: pytest.CaptureFixture[str]) -> None:
    # rto-non-critical (high) cannot be evaluated without --drills: an error, below the threshold
    code, out, _ = run_main(
        [*EVAL, "--select", "rto-non-critical", "--fail-on", "critical", "--format", "json"],
        capsys,
    )
    doc = json.loads(out)
    assert code == 2 and doc["decision"] == "deny" and doc["summary"]["error"] == 1


def test_fail_on_is_documented_as_keeping_errors_in_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(["gate", "--help"], capsys)
    assert code == 0 and "--fail-on" in out and "still deny" in " ".join(out.split())


def test_soft_fail_exits_0_on_policy_failures_but_reports_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main([*RPO, "--soft-fail", "--output", "json=-"], capsys)
    doc = json.loads(out)
    # the exit code lets the failures through; the decision (and the record) stays a deny
    assert code == 0 and doc["exit_code"] == 0 and doc["decision"] == "deny"
    assert "decision:" not in err  # nothing went to a file
    assert doc["summary"]["fail"] == 2  # reported as they are
    assert doc["gating"]["soft_fail"] is True


def test_soft_fail_is_named_in_the_decision_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main([*RPO, "--soft-fail", "-o", f"sarif={tmp_path / 'a.sarif'}"], capsys)
    assert code == 0
    assert err.strip().splitlines()[-1] == (
        "decision: deny (exit 0): 2 fail, 0 error, 0 warn, 2 pass, 0 skip "
        "(--soft-fail: policy failures do not fail the run)"
    )


def test_soft_fail_still_exits_2_on_errors_even_with_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main([*RPO, "--select", "rto-*", "--soft-fail", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 2 and doc["decision"] == "deny"
    assert doc["summary"]["fail"] == 2 and doc["summary"]["error"] == 2


def test_soft_fail_keeps_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*RPO, "--soft-fail", "--fail-on", "severe"], capsys)
    assert code == 3 and "severe" in err


def test_gate_has_no_soft_fail(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*GATE, "--evidence", store, "--soft-fail"], capsys)
    assert code == 3 and out == "" and "gate has no --soft-fail" in err
    assert records(store) == []
    code, out, _ = run_main(["gate", "--help"], capsys)
    assert "--soft-fail" not in out


def test_recorded_gating_is_in_the_evidence(
    tmp_path: Path, store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        [*RPO, "--fail-on", "critical", "--record", "--evidence", store, "--format", "json"], capsys
    )
    assert code == 1, err
    run_id = err.split("recorded run ")[1].split()[0]
    code, out, _ = run_main(["evidence", "show", "--evidence", store, run_id], capsys)
    predicate = orjson.loads(out)["statement"]["predicate"]
    assert predicate["gating"] == {"fail_on": "critical", "soft_fail": False, "baseline": None}
    assert sorted(r["status"] for r in predicate["results"]) == ["fail", "pass", "pass", "warn"]


# --- policy selection ---------------------------------------------------------------------------


def test_a_select_typo_suggests_the_closest_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*EVAL, "--select", "rpo-databse"], capsys)
    assert code == 3 and "did you mean 'rpo-database'?" in err


def test_a_skip_glob_that_matches_nothing_is_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*RPO, "--skip", "rpo-databse", "--format", "json"], capsys)
    assert code == 1 and json.loads(out)["summary"]["fail"] == 2  # nothing was skipped
    assert "warning: --skip 'rpo-databse' matches no loaded policy" in err
    code, _, err = run_main([*RPO, "--skip", "rpo-database", "--format", "json"], capsys)
    assert "warning" not in err


# --- namespace selection ------------------------------------------------------------------------


def _namespaces(doc: dict[str, object]) -> set[str | None]:
    results = doc["results"]
    assert isinstance(results, list)
    return {r["resource"]["namespace"] for r in results if r["resource"] is not None}


def test_exclude_namespace_leaves_those_objects_unjudged_and_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [*EVAL, "--select", "workload-*", "--format", "json"]
    code, out, _ = run_main(base, capsys)
    assert "regulensai" in _namespaces(json.loads(out))
    code, out, _ = run_main([*base, "--exclude-namespace", "regulens*"], capsys)
    assert "regulensai" not in _namespaces(json.loads(out))
    snap = tmp_path / "snap.json"
    code, _, err = run_main(
        ["snapshot", "--manifests", str(EXAMPLES / "platform"), "-o", str(snap)], capsys
    )
    assert code == 0, err
    code, out, err = run_main(
        [*EVAL[:3], "--snapshot", str(snap), *NOW, "--select", "workload-*", "--record",
         "--evidence", f"sqlite:///{tmp_path / 'e.db'}", "--select-namespace", "regulens*",
         "--exclude-namespace", "regulensai-canary", "--format", "json"],
        capsys,
    )  # fmt: skip
    run_id = err.split("recorded run ")[1].split()[0]
    code, out, _ = run_main(
        ["evidence", "show", "--evidence", f"sqlite:///{tmp_path / 'e.db'}", run_id], capsys
    )
    digest = orjson.loads(out)["statement"]["predicate"]["inputs"]["kubernetes"]["digest"]
    with sqlite3.connect(tmp_path / "e.db") as conn:
        rows = conn.execute("SELECT digest, data FROM evidence_blobs").fetchall()
    section = orjson.loads(next(data for d, data in rows if d == digest))
    selection = section["provenance"]["selection"]
    assert selection["select"] == ["regulens*"]
    assert selection["exclude"] == ["regulensai-canary"]
    assert selection["excluded_objects"] >= 0


def test_namespace_selection_without_kubernetes_input_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "kpi-*", "--metrics",
         str(EXAMPLES / "ops" / "metrics.json"), *NOW, "--exclude-namespace", "x"],
        capsys,
    )  # fmt: skip
    assert code == 3 and "no Kubernetes input" in err


# --- --current-manifests ------------------------------------------------------------------------


def test_baseline_manifests_is_a_hidden_deprecated_alias(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gate = [a if a != "--current-manifests" else "--baseline-manifests" for a in GATE]
    assert gate != GATE
    code, out, err = run_main([*gate, "--evidence", "sqlite://", "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["decision"] == "allow", err
    assert "--baseline-manifests is deprecated" in err and "--current-manifests" in err
    code, out, _ = run_main(["gate", "--help"], capsys)
    assert "--current-manifests" in out and "--baseline-manifests" not in out
