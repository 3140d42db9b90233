"""`regulens report` and `regulens review` over a store filled by a simulated month."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.reports import month as m
from tests.reports.chromium import chromium_binary, run_chromium
from tests.reports.month import Month, fill_month, run_cli
from tests.reports.oscal_refs import dangling_references, resolve_import_ap
from tests.reports.oscal_venv import validate_oscal
from tests.support.postgres import PostgresServer


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    from tests.conftest import EXAMPLES

    return fill_month(EXAMPLES, tmp_path_factory.mktemp("month"))


def report(month: Month, out: Path, *extra: str) -> int:
    return run_cli(
        "report", "--evidence", month.url, "--period", "2026-11",
        "--public-key", str(month.public_key), "-o", str(out), *extra,
    )  # fmt: skip


def facts_of(month: Month, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "facts.json"
    assert run_cli(*args, "--evidence", month.url, "--format", "json", "-o", str(out)) == 0
    data: dict[str, Any] = orjson.loads(out.read_bytes())
    return data


def days(month: Month, runs: list[str]) -> list[int]:
    by_id = {run: day for day, run in month.runs.items()}
    return [by_id[r] for r in runs]


def test_report_counts_from_the_store(month: Month, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    assert report(month, out, "--format", "json") == 0
    facts: dict[str, Any] = orjson.loads(out.read_bytes())
    verification = facts["evidence"]["verification"]
    assert facts["evidence"]["verified"] is True
    assert verification["status"] == "OK" and verification["records"] == m.DAYS + 1
    assert "checked against 1 trusted key" in verification["message"]
    assert verification["signing_keys"][0]["fingerprint"].startswith("SHA256:")
    summary = facts["summary"]
    assert summary["runs"] == m.DAYS  # 2026-10-31 is outside the period
    assert summary["runs_by_command"] == {month.command: m.DAYS}
    assert summary["policies"] == len(m.POLICIES)
    assert [r["run"] for r in facts["runs"]] == [month.runs[d] for d in range(1, m.DAYS + 1)]

    policies = {p["policy"]: p for p in facts["policies"]}
    priv = policies["workload-no-privileged"]
    assert priv["evaluations"] == m.DAYS
    assert priv["counts"]["fail"] == 2 and priv["counts"]["pass"] == m.DAYS - 2
    assert days(month, priv["failure_runs"]) == list(m.BROKEN_DAYS)
    assert priv["first_failure"]["run"] == month.runs[m.BROKEN_DAYS[0]]
    assert priv["last_failure"]["run"] == month.runs[m.BROKEN_DAYS[-1]]
    assert priv["current_status"] == "pass"
    assert days(month, policies["workload-no-latest-tag"]["waived_runs"]) == list(m.BROKEN_DAYS)
    assert days(month, policies["rpo-database"]["failure_runs"]) == [m.BACKUP_BREACH_DAY]
    assert days(month, policies["change-approval"]["failure_runs"]) == [m.UNAPPROVED_DAY]

    controls = {c["control"]: c for c in facts["controls"]}
    assert all(c["evaluations"] == m.DAYS for c in controls.values())
    assert any(days(month, c["failure_runs"]) == [m.BACKUP_BREACH_DAY] for c in controls.values())

    gates = {g["category"]: g for g in facts["gates"]["by_category"]}
    assert (gates["standard"]["allowed"], gates["standard"]["denied"]) == (len(m.MONDAYS), 0)
    assert (gates["emergency"]["allowed"], gates["emergency"]["denied"]) == (1, 0)
    assert (gates["normal"]["allowed"], gates["normal"]["denied"]) == (19, 5)
    reasons = {r["policy"]: days(month, r["runs"]) for r in gates["normal"]["reasons"]}
    assert reasons["workload-no-privileged"] == list(m.BROKEN_DAYS)
    assert reasons["change-approval"] == [m.UNAPPROVED_DAY]
    assert reasons["rpo-database"] == [m.BACKUP_BREACH_DAY]
    assert reasons["kpi-api-latency-p95"] == [m.KPI_BREACH_DAY]

    exceptions = facts["exceptions"]
    (granted,) = exceptions["granted"]
    assert granted["id"] == "EXC-2026-021"
    assert days(month, [granted["first_recorded"]]) == [m.EXCEPTION_FROM_DAY]
    (applied,) = exceptions["applied"]
    assert days(month, applied["runs"]) == list(m.BROKEN_DAYS)
    assert [e["id"] for e in exceptions["in_force"]] == ["EXC-2026-021"]
    assert exceptions["unused"] == [] and exceptions["expired"] == []

    backups = {b["target"]: b for b in facts["recovery"]["backups"]}
    assert backups["database"]["evaluations"] == m.DAYS
    assert days(month, backups["database"]["breach_runs"]) == [m.BACKUP_BREACH_DAY]
    assert backups["database"]["max_observed_age_seconds"] == 40 * 60
    assert backups["configuration"]["breaches"] == 0
    drills = {d["system"]: d for d in facts["recovery"]["drills"]}
    assert drills["regulensai-database"]["drills"][0]["recovery_seconds"] == 2550
    kpis = {k["policy"]: k for k in facts["kpis"]}
    p95 = kpis["kpi-api-latency-p95"]
    assert p95["evaluations"] == m.DAYS - len(m.MONDAYS) - 1  # normal changes only
    assert days(month, p95["breach_runs"]) == [m.KPI_BREACH_DAY]
    assert facts["coverage_gaps"] == []


def test_report_other_formats(month: Month, tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    assert report(month, md, "--format", "markdown") == 0
    text = md.read_text()
    assert "**🟢 Evidence verified and signed.**" in text
    row = next(line for line in text.splitlines() if line.startswith("| `workload-no-privileged`"))
    assert [c.strip() for c in row.split("|")][3:6] == ["30", "28", "2"]
    assert "| standard | 5 | 0 |" in text and "| normal | 19 | 5 |" in text
    oscal = tmp_path / "report.oscal.json"
    assert report(month, oscal, "--format", "oscal") == 0
    validate_oscal(oscal)
    doc = orjson.loads(oscal.read_bytes())["assessment-results"]
    assert len(doc["back-matter"]["resources"]) == m.DAYS + 1  # the runs, and the plan
    assert dangling_references({"assessment-results": doc}) == []
    _, plan = resolve_import_ap({"assessment-results": doc})
    ap = tmp_path / "report.oscal-ap.json"
    assert report(month, ap, "--format", "oscal-ap") == 0
    validate_oscal(ap)
    standalone = orjson.loads(ap.read_bytes())["assessment-plan"]
    embedded = plan["assessment-plan"]
    for document in (standalone, embedded):  # the CLI's clock differs between the two calls
        document["metadata"].pop("last-modified")
    assert standalone == embedded
    assert len(doc["results"][0]["observations"]) > 0
    html = tmp_path / "report.html"
    assert report(month, html) == 0
    assert report(month, html) == 3  # refuses to overwrite without --force
    assert report(month, html, "--force") == 0


@pytest.mark.chromium
def test_report_html_renders(month: Month, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    assert report(month, html, "--format", "html") == 0
    page = run_chromium(chromium_binary(), html, "--dump-dom")
    assert page.console == []
    for figure in (
        "fig-pass-rate",
        "fig-backup-rpo-database-database",
        "fig-backup-rpo-configuration-configuration",
        "fig-kpi-kpi-api-latency-p95",
    ):
        assert f'id="{figure}"' in page.dom
    assert page.dom.count("<figure") == 3 + 5  # pass rate, two backup targets, five KPIs
    assert f'title="run {month.runs[m.BACKUP_BREACH_DAY]}"' in page.dom


def test_review_pack_from_the_store(month: Month, tmp_path: Path) -> None:
    facts = facts_of(month, tmp_path, "review", "--month", "2026-11")
    drift = facts["rbac_drift"]
    assert drift["available"] is True
    assert drift["first"]["run"] == month.runs[1] and drift["last"]["run"] == month.runs[m.DAYS]
    subjects = {s["subject"]: s for s in drift["subjects"]}
    assert set(subjects) == {"Group regulensai-developers", "User oncall@example.com"}
    assert subjects["Group regulensai-developers"]["gained"] == ["regulensai get core/secrets"]
    assert "wildcard access (*/*)" in subjects["User oncall@example.com"]["privileged_gained"]
    assert [b["binding"] for b in drift["new_sensitive_bindings"]] == [
        "ClusterRoleBinding/oncall-admin"
    ]
    privileged = {p["subject"] for p in facts["privileged_subjects"]}
    assert {"Group system:masters", "Group security-team", "User oncall@example.com"} <= privileged
    # the broken platform of days 10-11 also weakens the audit policy; day 25 changes it
    audit = [a["run"] for a in facts["audit_policy_changes"]]
    assert days(month, audit) == [10, 12, m.AUDIT_CHANGE_DAY]
    (expiring,) = facts["exceptions_expiring"]
    assert expiring["id"] == "EXC-2026-021" and expiring["days_left"] == 19.0
    changes = facts["changes"]
    failed = [c["change"] for c in changes["failed"]]
    assert failed == [f"CHG-2026-11{d}" for d in (10, 11, 12, 15, 22)]
    assert [c["change"] for c in changes["emergency"]] == ["CHG-2026-1125"]
    (pir,) = changes["post_implementation_reviews"]
    assert pir["change"] == "CHG-2026-1125" and pir["incident"] == "INC-2041"
    breaches = facts["breaches"]
    assert days(month, [b["run"] for b in breaches["backups"]]) == [m.BACKUP_BREACH_DAY]
    assert days(month, [b["run"] for b in breaches["kpis"]]) == [m.KPI_BREACH_DAY]
    vulns = facts["vulnerabilities"]
    assert len(vulns["points"]) == m.DAYS and vulns["severities"] == ["CRITICAL", "HIGH", "LOW"]
    assert {p["source"] for p in vulns["points"]} == {"reports"}
    first, last = vulns["points"][0], vulns["points"][-1]
    assert first["counts"] == {"CRITICAL": 1, "HIGH": 1, "LOW": 1}
    assert last["counts"] == {"CRITICAL": 0, "HIGH": 0, "LOW": 0}
    patched = [p["total"] for p in vulns["points"]].index(0) + 1
    assert patched == m.PATCHED_DAY
    assert facts["signoff"]["signed"] is False
    md = tmp_path / "review.md"
    assert run_cli("review", "--evidence", month.url, "--month", "2026-11", "-o", str(md),
                   "--format", "markdown") == 0  # fmt: skip
    assert "Not signed yet" in md.read_text()


@pytest.mark.chromium
def test_review_html_renders(month: Month, tmp_path: Path) -> None:
    html = tmp_path / "review.html"
    assert run_cli("review", "--evidence", month.url, "--month", "2026-11", "-o", str(html)) == 0
    page = run_chromium(chromium_binary(), html, "--dump-dom")
    assert page.console == []
    assert "oncall@example.com" in page.dom and "EXC-2026-021" in page.dom
    assert 'id="fig-vulnerabilities"' in page.dom


def test_review_sign_records_into_the_evidence(month: Month, tmp_path: Path) -> None:
    # a copy: signing appends to the store the other tests read
    copy = tmp_path / "evidence.db"
    copy.write_bytes(Path(month.url.removeprefix("sqlite:///")).read_bytes())
    url = f"sqlite:///{copy}"
    code = run_cli(
        "review", "sign", "--evidence", url, "--month", "2026-11", "--reviewer", "dana@example.com",
        "--notes", "RBAC change accepted", "--date", "2026-12-02", "--stream", m.STREAM,
        "--signing-key", str(month.key),
    )  # fmt: skip
    assert code == 0
    assert (
        run_cli("evidence", "verify", "--evidence", url, "--public-key", str(month.public_key)) == 0
    )
    out = tmp_path / "review.html"
    assert run_cli("review", "--evidence", url, "--month", "2026-11", "-o", str(out)) == 0
    html = out.read_text()
    assert "dana@example.com" in html and "RBAC change accepted" in html
    assert "Not signed yet" not in html
    assert (
        run_cli("review", "sign", "--evidence", url, "--month", "2026-13", "--reviewer", "x") == 3
    )
    assert run_cli(
        "review", "sign", "--evidence", url, "--month", "2026-11", "--reviewer", "x",
        "--date", "yesterday",
    ) == 3  # fmt: skip


def test_stream_selects_what_is_verified_and_reported(month: Month, tmp_path: Path) -> None:
    copy = tmp_path / "evidence.db"
    copy.write_bytes(Path(month.url.removeprefix("sqlite:///")).read_bytes())
    url = f"sqlite:///{copy}"
    code = run_cli(
        "review", "sign", "--evidence", url, "--month", "2026-11", "--reviewer", "dana",
        "--stream", "security-reviews",
    )  # fmt: skip
    assert code == 3  # the store's records are signed: so must the sign-off be
    code = run_cli(
        "review", "sign", "--evidence", url, "--month", "2026-11", "--reviewer", "dana",
        "--stream", "security-reviews", "--signing-key", str(month.key),
    )  # fmt: skip
    assert code == 0
    assert run_cli("evidence", "verify", "--evidence", url, "--public-key",
                   str(month.public_key)) == 0  # fmt: skip
    both = tmp_path / "both.json"
    code = run_cli(
        "report", "--evidence", url, "--since", "2026-11-01T00:00:00Z",
        "--until", "2027-01-01T00:00:00Z", "--format", "json", "-o", str(both),
    )  # fmt: skip
    assert code == 0
    facts = orjson.loads(both.read_bytes())
    assert facts["evidence"]["verification"]["streams"] == ["production", "security-reviews"]
    assert facts["summary"]["runs_by_command"]["review-signoff"] == 1
    one = tmp_path / "one.json"
    code = run_cli(
        "report", "--evidence", url, "--period", "2026-Q4", "--stream", m.STREAM,
        "--format", "json", "-o", str(one),
    )  # fmt: skip
    assert code == 0
    facts = orjson.loads(one.read_bytes())
    assert facts["evidence"]["verification"]["streams"] == [m.STREAM]
    assert facts["streams"] == [m.STREAM]
    assert facts["summary"]["runs"] == m.DAYS + 1  # the quarter includes 2026-10-31
    assert "review-signoff" not in facts["summary"]["runs_by_command"]


def test_broken_chain_is_refused_unless_allowed(month: Month, tmp_path: Path) -> None:
    copy = tmp_path / "evidence.db"
    copy.write_bytes(Path(month.url.removeprefix("sqlite:///")).read_bytes())
    with sqlite3.connect(copy) as db:
        (payload,) = db.execute(
            "SELECT payload FROM evidence_records WHERE seq = 7 AND stream = ?", (m.STREAM,)
        ).fetchone()
        tampered = payload.replace(b'"pass"', b'"fail"', 1)
        assert tampered != payload
        db.execute("UPDATE evidence_records SET payload = ? WHERE seq = 7", (tampered,))
    broken = Month(f"sqlite:///{copy}", month.key, month.public_key, month.runs, month.command)
    out = tmp_path / "report.md"
    assert report(broken, out, "--format", "markdown") == 2
    assert not out.exists()
    assert report(broken, out, "--format", "markdown", "--allow-unverified") == 0
    text = out.read_text()
    assert "**🔴 UNVERIFIED EVIDENCE: CORRUPT" in text and "seq 7" in text
    review = tmp_path / "review.md"
    assert run_cli("review", "--evidence", broken.url, "--month", "2026-11", "-o", str(review)) == 2


def test_usage_errors(month: Month, tmp_path: Path) -> None:
    out = str(tmp_path / "r.json")
    assert run_cli("report", "--evidence", month.url, "-o", out) == 3  # no period
    assert run_cli("report", "--evidence", month.url, "--period", "2026-13", "-o", out) == 3
    assert run_cli("review", "--evidence", month.url, "-o", out) == 3  # no month
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    assert run_cli("report", "--evidence", missing, "--period", "2026-11", "-o", out) == 4
    from regulens.evidence import open_store

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(empty).close()
    assert run_cli("report", "--evidence", empty, "--period", "2026-11", "-o", out) == 2  # EMPTY


@pytest.mark.postgres
def test_reports_from_a_shared_postgresql_store(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLES

    url = postgres_server.url(postgres_server.create_database())
    pg = fill_month(EXAMPLES, tmp_path / "pg", url=url, days=3)
    out = tmp_path / "report.json"
    assert report(pg, out, "--format", "json") == 0
    facts = orjson.loads(out.read_bytes())
    assert facts["evidence"]["verification"]["records"] == 4
    assert facts["summary"]["runs"] == 3
    review = tmp_path / "review.json"
    code = run_cli("review", "--evidence", url, "--month", "2026-11", "--format", "json",
                   "-o", str(review))  # fmt: skip
    assert code == 0
    assert orjson.loads(review.read_bytes())["rbac_drift"]["available"] is True


def test_report_banner_states_from_the_cli(
    month: Month, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.json"
    assert report(month, out, "--format", "json") == 0
    evidence = orjson.loads(out.read_bytes())["evidence"]
    assert (evidence["state"], evidence["signatures_checked"]) == ("verified", True)
    (key,) = evidence["verification"]["signing_keys"]
    assert f"trusted key: {key['key_id'][:16]}" in evidence["banner"]["text"]
    md = tmp_path / "r.md"
    args = ("report", "--evidence", month.url, "--period", "2026-11", "--format", "markdown")
    assert run_cli(*args, "-o", str(md)) == 0  # no --public-key
    assert "**🟠 Evidence integrity only: signatures not checked.**" in md.read_text()
    assert "signatures not checked" in capsys.readouterr().err
