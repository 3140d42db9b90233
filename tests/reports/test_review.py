from __future__ import annotations

from typing import Any

from regulens.reports.render import report_json
from regulens.reports.review import privileged_subjects, rbac_drift, review_facts
from regulens.reports.runs import month_period
from tests.reports import statements as s


def test_rbac_drift_between_first_and_last_snapshot(review: dict[str, Any]) -> None:
    drift = report_json(review)["rbac_drift"]
    assert drift["available"] is True
    assert drift["first"]["run"] == "run-01" and drift["last"]["run"] == "run-30"
    subjects = {d["subject"]: d for d in drift["subjects"]}
    assert set(subjects) == {"Group regulensai-developers", "User oncall@example.com"}
    dev = subjects["Group regulensai-developers"]
    assert dev["gained"] == ["regulensai get core/secrets"] and dev["lost"] == []
    assert dev["privileged_gained"] == ["reads secrets"]
    (binding,) = drift["new_sensitive_bindings"]
    assert binding["binding"] == "ClusterRoleBinding/oncall-admin"
    assert binding["subjects"] == ["User oncall@example.com"]
    assert drift["bindings_added"] == ["ClusterRoleBinding/oncall-admin"]


def test_rbac_drift_reports_lost_permissions_and_new_wildcards() -> None:
    first = [s.ROLE, s.ROLE_BINDING]
    wild = {**s.ROLE, "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]}
    drift = rbac_drift(first, [wild, s.ROLE_BINDING])
    (dev,) = drift["subjects"]
    assert "regulensai get core/pods" in dev["lost"]
    assert dev["gained"] == ["regulensai get core/*"]
    assert drift["new_wildcard_roles"] == [
        {"role": "Role/regulensai/regulensai-user", "wildcards": ["resources"]}
    ]
    assert rbac_drift(first, first)["subjects"] == []


def test_privileged_subjects_now(review: dict[str, Any]) -> None:
    subjects = {p["subject"]: p for p in report_json(review)["privileged_subjects"]}
    assert set(subjects) == {
        "Group system:masters",
        "User oncall@example.com",
        "Group regulensai-developers",
    }
    assert "wildcard access (*/*)" in subjects["User oncall@example.com"]["reasons"]
    assert privileged_subjects([s.ROLE, s.ROLE_BINDING]) == []


def test_exceptions_expiring_in_the_next_30_days(review: dict[str, Any]) -> None:
    (expiring,) = report_json(review)["exceptions_expiring"]
    assert expiring["id"] == "EXC-latest-tag" and expiring["days_left"] == 9.0


def test_vulnerability_trend_by_severity(review: dict[str, Any]) -> None:
    vulns = report_json(review)["vulnerabilities"]
    assert vulns["severities"] == ["CRITICAL", "HIGH"]
    assert len(vulns["points"]) == 30
    assert vulns["points"][0]["counts"] == {"CRITICAL": 2, "HIGH": 1}
    assert vulns["points"][-1]["counts"] == {"CRITICAL": 1, "HIGH": 1}


def test_failed_and_emergency_changes_and_reviews_due(review: dict[str, Any]) -> None:
    changes = report_json(review)["changes"]
    assert [c["change"] for c in changes["failed"]] == [
        "CHG-10",
        "CHG-11",
        "CHG-12",
        "CHG-15",
        "CHG-22",
    ]
    (emergency,) = changes["emergency"]
    assert emergency["change"] == "CHG-25" and emergency["incident"] == "INC-7"
    (pir,) = changes["post_implementation_reviews"]
    assert pir["change"] == "CHG-25" and pir["due"] == "2026-12-02T03:10:00Z"
    assert pir["overdue"] is False


def test_audit_policy_change_is_found(review: dict[str, Any]) -> None:
    (change,) = report_json(review)["audit_policy_changes"]
    assert change["run"] == f"run-{s.AUDIT_CHANGE_DAY}"
    assert change["objects"] == ["ConfigMap/kube-system/audit-policy"]


def test_recovery_and_kpi_breaches(review: dict[str, Any]) -> None:
    breaches = report_json(review)["breaches"]
    assert [b["run"] for b in breaches["backups"]] == [f"run-{s.BACKUP_BREACH_DAY}"]
    assert [b["run"] for b in breaches["kpis"]] == [f"run-{s.KPI_BREACH_DAY}"]
    assert breaches["drills"] == []


def test_signoff_and_rbac_findings(review: dict[str, Any]) -> None:
    assert report_json(review)["signoff"]["signed"] is True
    (signed,) = report_json(review)["signoff"]["signoffs"]
    assert signed["reviewer"] == "dana@example.com"
    (finding,) = report_json(review)["rbac_findings"]
    assert finding["subject"] == "Group regulensai-developers"


def test_missing_snapshots_make_rbac_unavailable() -> None:
    records, _ = s.simulated_month()
    facts = review_facts(
        records,
        month_period("2026-11"),
        lambda _digest: None,
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    assert report_json(facts)["rbac_drift"]["available"] is False
    assert "none of the month's Kubernetes snapshots" in report_json(facts)["rbac_drift"]["reason"]
    assert report_json(facts)["signoff"]["signed"] is False


def test_recorded_post_implementation_review_is_used() -> None:
    from regulens.reports.runs import RunRecord

    records, sections = s.simulated_month()
    pred = s.predicate(5, "sha256:" + "0" * 64)
    pred["results"].append(
        {
            "policy": "change-window",
            "title": "window",
            "status": "pass",
            "severity": "high",
            "enforcement": "deny",
            "controls": [],
            "resource": None,
            "message": "ok",
            "details": {
                "post_implementation_review": {
                    "due": "2026-11-08T03:10:00Z",
                    "incident": "INC-9",
                    "reason": "emergency change during freeze year-end",
                }
            },
        }
    )
    records[4] = RunRecord("run-05", s.STREAM, 5, records[4].recorded_at, "sha256:x", pred)
    facts = review_facts(
        records,
        month_period("2026-11"),
        sections.get,
        evidence=s.VERIFIED,
        generated_at="2026-12-01T08:00:00Z",
        tool=s.TOOL,
    )
    reviews = {r["change"]: r for r in report_json(facts)["changes"]["post_implementation_reviews"]}
    assert reviews["CHG-05"]["due"] == "2026-11-08T03:10:00Z"
    assert reviews["CHG-05"]["due_recorded"] is True and reviews["CHG-05"]["overdue"] is True
    assert reviews["CHG-25"]["due_recorded"] is False


def test_rbac_drift_expands_aggregated_cluster_roles() -> None:
    aggregate = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "monitoring"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": "monitoring"}}]},
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "monitoring"},
        "subjects": [{"kind": "ServiceAccount", "name": "prom", "namespace": "obs"}],
        "roleRef": {"kind": "ClusterRole", "name": "monitoring"},
    }
    part = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "monitoring-secrets", "labels": {"agg": "monitoring"}},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
    }
    drift = rbac_drift([aggregate, binding], [aggregate, binding, part])
    (prom,) = drift["subjects"]
    assert prom["subject"] == "ServiceAccount obs/prom"
    assert prom["gained"] == ["cluster list core/secrets"]
    assert prom["privileged_gained"] == ["reads secrets"]
    assert drift["roles_added"] == ["ClusterRole/monitoring-secrets"]
