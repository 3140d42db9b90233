"""The fleet overview: the builder, and `report --fleet` / `review --fleet` on a real store."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest

from regulens.errors import InputDataError
from regulens.evidence import Signer, open_store
from regulens.evidence.canonical import canonical_json
from regulens.evidence.chain import RUN_PREFIX
from regulens.evidence.keys import load_signer, public_pem
from regulens.reports.facts import Tool
from regulens.reports.fleet import (
    FleetOverview,
    FleetVerdicts,
    fleet_overview,
    verdicts,
)
from regulens.reports.runs import RunRecord, month_period
from regulens.schemas import committed
from tests.conftest import EXAMPLES
from tests.reports.month import run_cli

TOOL = Tool(name="regulens", version="test")
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
UNSIGNED = FleetVerdicts(signatures_checked=False, problems={})
HOSTILE = "evil\x1b[31m<script>|x\u202e"


def _run(
    stream: str,
    seq: int,
    at: datetime,
    decision: str | None = "allow",
    results: tuple[tuple[str, str], ...] = (),
    command: str = "evaluate",
) -> RunRecord:
    predicate: dict[str, Any] = {
        "run": {"id": f"{stream}-{seq}", "command": command, "now": at.isoformat()},
        "results": [{"policy": p, "rule": "r", "status": s} for p, s in results],
    }
    if decision is not None:
        predicate["decision"] = {"decision": decision, "exit_code": 0 if decision == "allow" else 1}
    return RunRecord(f"{stream}-{seq}", stream, seq, at.isoformat(), "sha256:00", predicate)


def _build(runs: list[RunRecord], streams: list[str], **kw: Any) -> FleetOverview:
    return fleet_overview(
        runs, kw.pop("verdict", UNSIGNED), streams=streams, now=NOW, tool=TOOL, store="s", **kw
    )


# -- the builder ---------------------------------------------------------------------------


def test_one_row_per_stream_with_the_newest_decision_and_its_failing_policies() -> None:
    day = timedelta(days=1)
    runs = [
        _run("a", 1, NOW - 3 * day, "allow", (("p1", "pass"),)),
        _run("a", 2, NOW - 2 * day, "deny", (("zeta", "fail"), ("p1", "pass"), ("alpha", "error"))),
        # a sign-off decides nothing: the row keeps the deny, but its newest run is the sign-off
        _run("a", 3, NOW - 2 * day + timedelta(hours=1), None, command="review-signoff"),
        _run("b", 1, NOW - timedelta(hours=2), "allow", (("p1", "pass"), ("p2", "warn"))),
    ]
    overview = _build(runs, ["b", "a"])
    a, b = overview.rows
    assert [a.stream, b.stream] == ["a", "b"]
    assert (a.runs, a.last_run, a.last_command) == (3, "a-3", "review-signoff")
    assert (a.decision, a.decision_run, a.exit_code) == ("deny", "a-2", 1)
    assert a.failing_policies == ("alpha", "zeta")
    assert [(p.policy, p.status) for p in a.policies] == [
        ("alpha", "error"), ("p1", "pass"), ("zeta", "fail"),
    ]  # fmt: skip
    assert a.stale and a.age_seconds == pytest.approx((day + timedelta(hours=23)).total_seconds())
    assert (b.decision, b.failing_policies, b.stale) == ("allow", (), False)
    t = overview.totals
    assert (t.streams, t.runs, t.allow, t.deny, t.failing, t.stale) == (2, 4, 1, 1, 1, 1)


def test_a_decision_on_incomplete_data_names_its_coverage_gaps() -> None:
    run = _run("a", 1, NOW, "deny", (("rbac-x", "error"),))
    gaps = [{"kind": "Role", "namespace": None, "reason": "403"},
            {"kind": "Secret", "namespace": "prod", "reason": "403"}]  # fmt: skip
    predicate = {**run.predicate, "coverage": {"complete": False, "gaps": gaps}}
    partial = RunRecord(run.run_id, run.stream, run.seq, run.recorded_at, run.digest, predicate)
    row = _build([partial], ["a"]).rows[0]
    assert row.incomplete and row.coverage_gaps == ("Role (403)", "Secret in prod (403)")
    assert _build([partial], ["a"]).totals.incomplete == 1
    assert not _build([run], ["a"]).rows[0].incomplete


def test_gaps_of_every_kind_read_as_the_run_described_them_and_odd_ones_still_count() -> None:
    run = _run("a", 1, NOW, "deny", (("rbac-x", "error"),))
    gaps = [
        {"kind": "*", "namespace": None,
         "reason": "unreachable: cannot reach the Kubernetes API server (timeout)"},
        {"kind": "*", "namespace": None, "reason": "unreadable: m/x.yaml: permission denied"},
        "not a gap", {"kind": "Role", "reason": "403", "extra": 1},
    ]  # fmt: skip
    predicate = {**run.predicate, "coverage": {"complete": False, "gaps": gaps}}
    odd = RunRecord(run.run_id, run.stream, run.seq, run.recorded_at, run.digest, predicate)
    row = _build([odd], ["a"]).rows[0]
    assert row.incomplete
    assert row.coverage_gaps == (
        "a gap recorded in an unknown shape",
        "any kind: cannot reach the Kubernetes API server (timeout)",
        "m/x.yaml: permission denied",
    )


def test_stale_after_and_a_stream_without_runs() -> None:
    runs = [_run("a", 1, NOW - timedelta(hours=5))]
    assert _build(runs, ["a"]).rows[0].stale is False
    assert _build(runs, ["a"], stale_after=timedelta(hours=4)).rows[0].stale is True
    empty = _build([], ["quiet"]).rows[0]
    assert (empty.runs, empty.last_run, empty.decision, empty.age_seconds) == (0, None, None, None)
    assert empty.stale and _build([], ["quiet"]).totals.undecided == 1


def test_a_period_counts_its_runs_and_ignores_later_ones() -> None:
    runs = [
        _run("a", 1, datetime(2026, 10, 31, 2, tzinfo=UTC), "deny"),
        _run("a", 2, datetime(2026, 11, 30, 2, tzinfo=UTC), "allow"),
        _run("a", 3, datetime(2026, 12, 1, 2, tzinfo=UTC), "deny"),  # after November
    ]
    row = _build(runs, ["a"], period=month_period("2026-11")).rows[0]
    overview = _build(runs, ["a"], period=month_period("2026-11"))
    assert overview.as_of == "2026-12-01T00:00:00Z"
    assert (row.runs, row.last_run, row.decision) == (1, "a-2", "allow")
    assert row.age_seconds == 22 * 3600 and not row.stale  # age at the end of the month
    october = _build(runs, ["a"], period=month_period("2026-10")).rows[0]
    assert (october.runs, october.decision) == (1, "deny")


def test_verification_per_stream_and_store_wide_problems_fail_closed() -> None:
    problems = [{"stream": "b", "status": "BROKEN_LINK", "seq": 4, "message": "prev hash"}]
    v = verdicts(problems, ["a", "b"], signatures_checked=True)
    rows = _build([], ["a", "b"], verdict=v).rows
    assert rows[0].verification.state == "verified"
    assert rows[1].verification.state == "failed"
    assert rows[1].verification.message == "BROKEN_LINK at seq 4: prev hash"
    store_wide = verdicts(
        [{"stream": "<store>", "status": "CORRUPT", "seq": None, "message": "rows"}],
        ["a"],
        signatures_checked=False,
    )
    (row,) = _build([], ["a"], verdict=store_wide).rows
    assert row.verification.state == "failed" and "<store>" in row.verification.message
    assert _build([], ["a"]).rows[0].verification.state == "integrity-only"


def test_an_empty_selection_is_an_empty_overview() -> None:
    overview = _build([_run("x", 1, NOW)], [])
    assert overview.rows == () and overview.totals.streams == 0


def test_the_serialised_overview_follows_its_schema() -> None:
    overview = _build([_run("a", 1, NOW, "deny", (("p", "fail"),))], ["a", "b"])
    doc = overview.model_dump(mode="json")
    jsonschema.Draft202012Validator(committed("fleet-overview.schema.json")).validate(doc)
    assert FleetOverview.model_validate(doc) == overview


# -- the CLI on a real store -----------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    url: str
    path: Path
    key: Path
    pub: Path


KUBE_ONLY = ("--policies", "builtin:ops-baseline", "--select", "workload-*", "--select", "rbac-*")
CLUSTERS = {  # stream -> (platform, days ago of its runs)
    "prod-eu": ("platform", (3, 1)),
    "prod-us": ("platform-noncompliant", (1,)),
    "staging": ("platform", (4,)),
}


def _record(url: str, key: Path, stream: str, platform: str, at: datetime) -> None:
    code = run_cli(
        "evaluate", *KUBE_ONLY, "--manifests", str(EXAMPLES / platform),
        "--now", at.strftime("%Y-%m-%dT%H:%M:%SZ"), "--record", "--evidence", url,
        "--stream", stream, "--signing-key", str(key), "--format", "json",
        "-o", "/dev/null", "--force",
    )  # fmt: skip
    assert code in (0, 1), code


def _reissue(url: str, signer: Signer, source: str, stream: str) -> None:
    """Append a copy of `source`'s newest record to `stream` (a name the CLI would refuse)."""
    with open_store(url) as store:
        rec = list(store.records(source))[-1]
        doc = orjson.loads(rec.payload)
        pred = doc["predicate"]
        digests = [ref["digest"] for ref in pred["inputs"].values()]
        digests += list(pred["policies"]["documents"])
        blobs = [b for d in digests if (b := store.blob(d)) is not None]
        run_id = "hostile-1"
        doc["subject"][0]["name"] = f"{RUN_PREFIX}{run_id}"
        pred["run"].update(id=run_id, stream=stream)
        store.append(
            stream, run_id, pred["run"]["command"], pred["run"]["recorded_at"],
            canonical_json(doc), signer=signer, blobs=blobs,
        )  # fmt: skip


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    tmp = tmp_path_factory.mktemp("fleet")
    signer = Signer.generate()
    key = tmp / "signing.pem"
    key.write_bytes(signer.private_pem())
    pub = tmp / "signing.pem.pub"
    pub.write_bytes(public_pem(signer.public))
    path = tmp / "evidence.db"
    url = f"sqlite:///{path}"
    today = datetime.now(UTC).replace(microsecond=0)
    for stream, (platform, days) in CLUSTERS.items():
        for ago in days:
            _record(url, key, stream, platform, today - timedelta(days=ago, hours=-1))
    return Fleet(url, path, key, pub)


def _fleet_json(url: str, tmp_path: Path, *args: str, pub: Path | None = None) -> dict[str, Any]:
    out = tmp_path / "fleet.json"
    keys = ["--public-key", str(pub)] if pub else []
    code = run_cli("report", "--fleet", "--evidence", url, *keys, *args, "--format", "json",
                   "-o", str(out), "--force")  # fmt: skip
    assert code == 0, code
    data: dict[str, Any] = orjson.loads(out.read_bytes())
    return data


def test_fleet_json_has_a_row_per_stream(fleet: Fleet, tmp_path: Path) -> None:
    doc = _fleet_json(fleet.url, tmp_path, pub=fleet.pub)
    rows = {r["stream"]: r for r in doc["rows"]}
    assert list(rows) == ["prod-eu", "prod-us", "staging"]
    assert rows["prod-eu"]["runs"] == 2 and rows["prod-eu"]["decision"] == "allow"
    assert rows["prod-us"]["decision"] == "deny" and rows["prod-us"]["failing_policies"]
    assert rows["prod-us"]["failing_policies"] == sorted(rows["prod-us"]["failing_policies"])
    assert rows["staging"]["stale"] and not rows["prod-eu"]["stale"]
    assert {r["verification"]["state"] for r in rows.values()} == {"verified"}
    assert doc["totals"]["stale"] == 1 and doc["signatures_checked"] is True
    jsonschema.Draft202012Validator(committed("fleet-overview.schema.json")).validate(doc)
    # a longer --stale-after makes staging fresh
    longer = _fleet_json(fleet.url, tmp_path, "--stale-after", "5d")
    assert not any(r["stale"] for r in longer["rows"])


def test_stream_names_and_globs_select_rows(fleet: Fleet, tmp_path: Path) -> None:
    def streams(*patterns: str) -> list[str]:
        args = [a for p in patterns for a in ("--stream", p)]
        return [r["stream"] for r in _fleet_json(fleet.url, tmp_path, *args)["rows"]]

    assert streams("prod-*") == ["prod-eu", "prod-us"]
    assert streams("staging", "prod-e?") == ["prod-eu", "staging"]
    assert streams("*-[u]s", "prod-us") == ["prod-us"]


def test_a_pattern_matching_no_stream_is_exit_2(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.json"
    for cmd in (["report", "--fleet"], ["report", "--period", "2026-11"],
                ["evidence", "verify"], ["review", "--fleet", "--period", "2026-11"]):  # fmt: skip
        args = [*cmd, "--evidence", fleet.url, "--stream", "prod-*", "--stream", "dev-*"]
        if cmd[0] != "evidence":
            args += ["-o", str(out), "--force"]
        assert run_cli(*args) == 2, cmd
        assert "--stream dev-*: no stream in the evidence store matches" in capsys.readouterr().err
    assert not out.exists()


def test_usage_errors_are_exit_3(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["report", "--fleet", "--evidence", fleet.url, "-o", str(tmp_path / "x"), "--force"]
    cases = {
        "oscal": [*base, "--format", "oscal"],
        "oscal-ap": [*base, "--format", "oscal-ap"],
        "allow-unverified": [*base, "--allow-unverified"],
        "stale-after bad": [*base, "--stale-after", "soon"],
        "stale-after zero": [*base, "--stale-after", "0m"],
        "stale-after without fleet": ["report", "--evidence", fleet.url, "--period", "2026-11",
                                      "--stale-after", "1h"],
        "controls": [*base, "--controls", "examples/reports/controls.yaml"],
        "bad glob": [*base, "--stream", "pro d*"],
        "review needs a month": ["review", "--fleet", "--evidence", fleet.url],
    }  # fmt: skip
    for name, args in cases.items():
        assert run_cli(*args) == 3, name
    err = capsys.readouterr().err
    assert "--format oscal: the fleet overview is written as html, markdown or json" in err
    assert "Traceback" not in err


def test_a_stream_that_does_not_verify_is_failed_and_exit_2(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "evidence.db"
    shutil.copy(fleet.path, copy)
    with sqlite3.connect(copy) as db:
        (payload,) = db.execute(
            "SELECT payload FROM evidence_records WHERE stream = 'prod-us' AND seq = 1"
        ).fetchone()
        tampered = payload.replace(b'"deny"', b'"allow"', 1)
        assert tampered != payload
        db.execute(
            "UPDATE evidence_records SET payload = ? WHERE stream = 'prod-us' AND seq = 1",
            (tampered,),
        )
    out = tmp_path / "fleet.json"
    url = f"sqlite:///{copy}"
    argv = ["report", "--fleet", "--evidence", url, "--public-key", str(fleet.pub), "-o", str(out)]
    assert run_cli(*argv, "--format", "json") == 2
    rows = {r["stream"]: r for r in orjson.loads(out.read_bytes())["rows"]}
    assert rows["prod-us"]["verification"]["state"] == "failed"
    assert rows["prod-us"]["verification"]["status"] == "CORRUPT"
    assert "seq 1" in rows["prod-us"]["verification"]["message"]
    assert rows["prod-eu"]["verification"]["state"] == "verified"
    assert "stream prod-us: does not verify: CORRUPT at seq 1" in capsys.readouterr().err
    md = tmp_path / "fleet.md"
    argv[-1] = str(md)
    assert run_cli(*argv, "--format", "markdown") == 2
    assert "🔴 1 stream does not verify" in md.read_text()
    # the streams that verify, selected alone, are fine
    assert run_cli(*argv, "--format", "markdown", "--stream", "prod-eu", "--force") == 0


def test_hostile_stream_names_are_inert_for_people_and_exact_in_json(
    fleet: Fleet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "evidence.db"
    shutil.copy(fleet.path, copy)
    url = f"sqlite:///{copy}"
    _reissue(url, load_signer(str(fleet.key)), "prod-eu", HOSTILE)
    doc = _fleet_json(url, tmp_path, pub=fleet.pub)
    assert HOSTILE in [r["stream"] for r in doc["rows"]]
    assert all(r["verification"]["state"] == "verified" for r in doc["rows"])
    for fmt in ("markdown", "html"):
        out = tmp_path / f"fleet.{fmt}"
        assert run_cli("report", "--fleet", "--evidence", url, "--format", fmt,
                       "-o", str(out)) == 0  # fmt: skip
        text = out.read_text()
        assert "\x1b" not in text and "\u202e" not in text and "<script" not in text
        shown = {"markdown": "evil\\\\x1b[31m&lt;script&gt;\\|x\\\\u202e",
                 "html": "evil\\x1b[31m&lt;script&gt;|x\\u202e"}[fmt]  # fmt: skip
        assert shown in text, fmt
    # the terminal: the default output is stdout, and stderr names the streams inertly
    assert run_cli("report", "--fleet", "--evidence", url, "--format", "markdown") == 0
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err


def test_an_empty_store_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with open_store(url):
        pass
    assert run_cli("report", "--fleet", "--evidence", url, "--format", "json") == 2
    assert "the evidence store has no streams" in capsys.readouterr().err


def test_review_fleet_is_the_months_overview(fleet: Fleet, tmp_path: Path) -> None:
    out = tmp_path / "review.json"
    month = datetime.now(UTC).strftime("%Y-%m")
    argv = ["review", "--fleet", "--period", month, "--evidence", fleet.url, "-o", str(out)]
    assert run_cli(*argv, "--format", "json") == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "regulens-fleet-overview" and doc["period"]["label"] == month
    assert [r["stream"] for r in doc["rows"]] == list(CLUSTERS)
    html = tmp_path / "review.html"
    assert run_cli("review", "--fleet", "--period", month, "--evidence", fleet.url,
                   "-o", str(html)) == 0  # fmt: skip
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and 'data-stream="prod-us"' in text


def test_normal_report_and_verify_take_globs(fleet: Fleet, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    month = datetime.now(UTC).strftime("%Y-%m")
    assert run_cli("report", "--evidence", fleet.url, "--period", month, "--stream", "prod-*",
                   "--format", "json", "-o", str(out)) == 0  # fmt: skip
    assert orjson.loads(out.read_bytes())["streams"] == ["prod-eu", "prod-us"]
    assert run_cli("evidence", "verify", "--evidence", fleet.url, "--stream", "*") == 0


def test_globs_match_names_with_slashes_and_exact_names_only_themselves() -> None:
    from regulens.cli.common import match_streams

    known = ["cluster/eu-1", "cluster/us-1", "clusterx", "eu-1"]
    assert match_streams(("cluster/*",), known) == ["cluster/eu-1", "cluster/us-1"]
    assert match_streams(("*eu-1",), known) == ["cluster/eu-1", "eu-1"]
    assert match_streams(("eu-1", "eu-[1]"), known) == ["eu-1"]
    with pytest.raises(InputDataError, match="--stream cluster: no stream"):
        match_streams(("cluster",), known)  # a name is not a prefix
