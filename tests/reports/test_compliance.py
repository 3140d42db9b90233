from __future__ import annotations

from typing import Any

from regulens.reports.compliance import compliance_facts
from regulens.reports.render import report_json
from regulens.reports.runs import month_period
from tests.reports import statements as s


def _by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_summary_counts_every_run_of_the_month(compliance: dict[str, Any]) -> None:
    summary = report_json(compliance)["summary"]
    assert summary["runs"] == s.DAYS
    assert summary["runs_by_command"] == {"gate": s.DAYS}
    assert summary["first_run"]["run"] == "run-01"
    assert summary["last_run"]["run"] == "run-30"
    assert summary["failing_now"] == ["rbac-user-role-read-only", "scan-no-fixable-critical"]
    assert len(report_json(compliance)["runs"]) == s.DAYS


def test_per_policy_pass_rate_and_failures(compliance: dict[str, Any]) -> None:
    policies = _by(report_json(compliance)["policies"], "policy")
    priv = policies["workload-no-privileged"]
    assert priv["evaluations"] == 30
    assert priv["counts"]["fail"] == len(s.PRIVILEGED_FAIL_DAYS)
    assert priv["pass_rate"] == round(28 / 30, 4)
    assert priv["first_failure"]["run"] == "run-10"
    assert priv["last_failure"]["run"] == "run-11"
    assert priv["current_status"] == "pass"
    rbac = policies["rbac-user-role-read-only"]
    assert rbac["counts"] == {"pass": 19, "fail": 0, "warn": 11, "error": 0, "skip": 0}
    assert rbac["first_failure"]["run"] == "run-20"
    assert rbac["current_status"] == "warn"
    assert len(policies["workload-no-latest-tag"]["waived_runs"]) == s.DAYS
    assert priv["waived_runs"] == []
    drill = policies["rto-critical"]
    assert drill["evaluations"] == s.DAYS - s.DRILL_DAY + 1
    assert drill["first_failure"] is None


def test_controls_aggregate_their_policies(compliance: dict[str, Any]) -> None:
    controls = _by(report_json(compliance)["controls"], "control")
    a89 = controls["ISO27001:A.8.9"]
    assert a89["policies"] == ["workload-no-latest-tag", "workload-no-privileged"]
    assert a89["framework"] == "ISO27001" and a89["id"] == "A.8.9"
    assert a89["counts"]["fail"] == 2 and a89["counts"]["pass"] == 28
    assert a89["failure_runs"] == ["run-10", "run-11"]
    assert controls["SOC2:CC8.1"]["evaluations"] == 1
    assert controls["SOC2:CC8.1"]["runs"] == ["run-12"]


def test_gate_decisions_by_category(compliance: dict[str, Any]) -> None:
    cats = _by(report_json(compliance)["gates"]["by_category"], "category")
    assert (cats["standard"]["allowed"], cats["standard"]["denied"]) == (24, 4)
    assert (cats["normal"]["allowed"], cats["normal"]["denied"]) == (0, 1)
    assert (cats["emergency"]["allowed"], cats["emergency"]["denied"]) == (1, 0)
    reasons = _by(cats["standard"]["reasons"], "policy")
    assert reasons["workload-no-privileged"]["runs"] == ["run-10", "run-11"]
    assert set(reasons) == {"workload-no-privileged", "rpo-database", "kpi-api-p95-latency"}
    assert cats["normal"]["reasons"][0]["policy"] == "change-approval"


def test_exceptions_in_force_expired_unused_granted(compliance: dict[str, Any]) -> None:
    ex = report_json(compliance)["exceptions"]
    assert [e["id"] for e in ex["in_force"]] == ["EXC-latest-tag", "EXC-unused"]
    assert [e["id"] for e in ex["expired"]] == ["EXC-old"]
    assert [e["id"] for e in ex["unused"]] == ["EXC-unused"]
    assert [e["id"] for e in ex["granted"]] == ["EXC-unused"]  # created 2026-11-03
    applied = _by(ex["applied"], "id")["EXC-latest-tag"]
    assert applied["results"] == s.DAYS
    assert len(applied["runs"]) == s.DAYS


def test_recovery_and_kpi_series(compliance: dict[str, Any]) -> None:
    (backup,) = report_json(compliance)["recovery"]["backups"]
    assert backup["target"] == "database" and backup["max_age_seconds"] == 900
    assert backup["evaluations"] == 30 and backup["breaches"] == 1
    assert backup["breach_runs"] == [f"run-{s.BACKUP_BREACH_DAY}"]
    assert backup["max_observed_age_seconds"] == 2000
    (drills,) = report_json(compliance)["recovery"]["drills"]
    assert drills["system"] == "database"
    assert len(drills["drills"]) == 1  # one drill, seen by 26 runs
    assert drills["drills"][0]["recovery_seconds"] == 1800
    assert len(drills["drills"][0]["runs"]) == 26
    (kpi,) = report_json(compliance)["kpis"]
    assert kpi["threshold"] == 2 and kpi["comparator"] == "<"
    assert kpi["breach_runs"] == [f"run-{s.KPI_BREACH_DAY}"]
    assert [p["value"] for p in kpi["points"]][s.KPI_BREACH_DAY - 1] == 2.5


def test_coverage_gaps_name_their_runs(compliance: dict[str, Any]) -> None:
    (gap,) = report_json(compliance)["coverage_gaps"]
    assert (gap["kind"], gap["namespace"], gap["count"]) == ("Secret", "regulensai", 1)
    assert gap["runs"] == [f"run-{s.GAP_DAY:02d}"]


def test_pass_rate_trend_one_point_per_run(compliance: dict[str, Any]) -> None:
    trend = report_json(compliance)["pass_rate_trend"]
    assert [p["run"] for p in trend] == [f"run-{d:02d}" for d in range(1, 31)]
    day10 = trend[9]
    assert day10["judged"] == 7 and day10["passed"] == 5  # privileged fails, scan warns


def test_period_selects_runs_by_evaluation_time() -> None:
    records, _ = s.simulated_month()
    facts = compliance_facts(
        records,
        month_period("2026-10"),
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    assert report_json(facts)["summary"]["runs"] == 0
    assert (
        report_json(facts)["policies"] == [] and report_json(facts)["summary"]["pass_rate"] is None
    )


def _run(day: int, month: int, exceptions: dict[str, Any], **over: Any) -> Any:
    from regulens.reports.runs import RunRecord

    pred = s.predicate(day, "sha256:" + "0" * 64)
    now = f"2026-{month:02d}-{day:02d}T02:10:00Z"
    pred["run"] = {**pred["run"], "id": f"r-{month}-{day}", "now": now, **over}
    pred["exceptions"] = exceptions
    pred["results"] = [{k: v for k, v in r.items() if k != "exception"} for r in pred["results"]]
    return RunRecord(f"r-{month}-{day}", s.STREAM, day, now, "sha256:" + "1" * 64, pred)


def test_granted_means_first_recorded_in_the_period_when_history_exists() -> None:
    old = {"id": "EXC-A", "policy": "p", "expires": "2027-01-01T00:00:00Z"}
    new = {"id": "EXC-B", "policy": "p", "expires": "2027-01-02T00:00:00Z"}
    october = _run(30, 10, {"applied": [], "expired": [], "unused": [old]})
    november = _run(2, 11, {"applied": [], "expired": [], "unused": [old, new]})
    facts = compliance_facts(
        [october, november],
        month_period("2026-11"),
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    assert [e["id"] for e in report_json(facts)["exceptions"]["granted"]] == ["EXC-B"]
    assert [e["id"] for e in report_json(facts)["exceptions"]["in_force"]] == ["EXC-A", "EXC-B"]
    # without history, "first recorded" proves nothing: only `created` counts
    alone = compliance_facts(
        [november],
        month_period("2026-11"),
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    assert report_json(alone)["exceptions"]["granted"] == []


def test_evaluate_runs_with_a_change_count_as_change_decisions() -> None:
    run = _run(3, 11, {"applied": [], "expired": [], "unused": []}, command="evaluate")
    facts = compliance_facts(
        [run],
        month_period("2026-11"),
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    (category,) = report_json(facts)["gates"]["by_category"]
    assert category["category"] == "standard" and category["allowed"] == 1
