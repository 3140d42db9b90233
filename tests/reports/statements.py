"""A simulated month of stored runs, written as the evidence contract's in-toto predicates.

Daily gate runs over November 2026 on stream `production`, with known failures,
exceptions, recovery and KPI measurements, an RBAC change and an audit-policy change,
so report and review figures can be asserted exactly.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from regulens.reports.runs import RunRecord, iso

STREAM = "production"
START = datetime(2026, 11, 1, 2, 10, tzinfo=UTC)
DAYS = 30
PRIVILEGED_FAIL_DAYS = {10, 11}
RBAC_CHANGE_DAY = 20
AUDIT_CHANGE_DAY = 25
BACKUP_BREACH_DAY = 15
KPI_BREACH_DAY = 22
GAP_DAY = 8
DENIED_CHANGE_DAY = 12
EMERGENCY_DAY = 25
DRILL_DAY = 5


def _digest(data: Any) -> str:
    return "sha256:" + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "Role",
    "metadata": {"name": "regulensai-user", "namespace": "regulensai"},
    "rules": [
        {
            "apiGroups": [""],
            "resources": ["pods", "services", "configmaps"],
            "verbs": ["get", "list", "watch"],
        }
    ],
}
ROLE_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "regulensai-users", "namespace": "regulensai"},
    "subjects": [{"kind": "Group", "name": "regulensai-developers"}],
    "roleRef": {"kind": "Role", "name": "regulensai-user"},
}
CLUSTER_ADMIN = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "cluster-admin"},
    "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
}
CLUSTER_ADMIN_BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRoleBinding",
    "metadata": {"name": "cluster-admin"},
    "subjects": [{"kind": "Group", "name": "system:masters"}],
    "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
}
AUDIT = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "audit-policy", "namespace": "kube-system"},
    "data": {
        "audit-policy.yaml": (
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"
        )
    },
}


def kubernetes_sections() -> list[dict[str, Any]]:
    """Three snapshots: before the RBAC change, after it, and after the audit change."""
    before = [ROLE, ROLE_BINDING, CLUSTER_ADMIN, CLUSTER_ADMIN_BINDING, AUDIT]
    role = copy.deepcopy(ROLE)
    role["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]})
    oncall = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "oncall-admin"},
        "subjects": [{"kind": "User", "name": "oncall@example.com"}],
        "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
    }
    after = [role, ROLE_BINDING, CLUSTER_ADMIN, CLUSTER_ADMIN_BINDING, oncall, AUDIT]
    audit = copy.deepcopy(AUDIT)
    audit["data"]["audit-policy.yaml"] += "- level: None\n"
    later = [role, ROLE_BINDING, CLUSTER_ADMIN, CLUSTER_ADMIN_BINDING, oncall, audit]
    return [
        {
            "provenance": {"source": "manifests"},
            "resources": [{"object": o} for o in objs],
            "gaps": [],
        }
        for objs in (before, after, later)
    ]


def _result(policy: str, status: str, controls: list[str], **extra: Any) -> dict[str, Any]:
    out = {
        "policy": policy,
        "title": policy.replace("-", " "),
        "status": status,
        "severity": extra.pop("severity", "high"),
        "enforcement": extra.pop("enforcement", "deny"),
        "controls": controls,
        "resource": extra.pop("resource", None),
        "message": extra.pop("message", f"{policy} {status}"),
    }
    out.update(extra)
    return out


def _day_results(day: int) -> list[dict[str, Any]]:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "regulensai",
        "name": "regulensai-api",
    }
    results = [
        _result(
            "workload-no-privileged",
            "fail" if day in PRIVILEGED_FAIL_DAYS else "pass",
            ["SOC2:CC6.8", "ISO27001:A.8.9"],
            resource=dep,
            severity="critical",
        ),
        _result(
            "workload-no-latest-tag",
            "pass",
            ["ISO27001:A.8.9"],
            resource=dep,
            severity="medium",
            exception="EXC-latest-tag",
        ),
    ]
    if day >= RBAC_CHANGE_DAY:
        results.append(
            _result(
                "rbac-user-role-read-only",
                "warn",
                ["SOC2:CC6.3", "ISO27001:A.5.15"],
                enforcement="warn",
                details={
                    "subject": {
                        "kind": "Group",
                        "name": "regulensai-developers",
                        "namespace": None,
                    },
                    "via": [
                        {
                            "binding": "RoleBinding regulensai/regulensai-users",
                            "role": "Role regulensai/regulensai-user",
                        }
                    ],
                },
                message="regulensai-user grants get on secrets",
            )
        )
    else:
        results.append(
            _result("rbac-user-role-read-only", "pass", ["SOC2:CC6.3", "ISO27001:A.5.15"])
        )
    age = 2000 if day == BACKUP_BREACH_DAY else 300 + day * 10
    results.append(
        _result(
            "rpo-database",
            "fail" if age > 900 else "pass",
            ["SOC2:A1.2"],
            severity="critical",
            details={
                "target": "database",
                "age_seconds": age,
                "max_age_seconds": 900,
                "completed_at": iso(START + timedelta(days=day - 1) - timedelta(seconds=age)),
            },
        )
    )
    drill_started = START + timedelta(days=DRILL_DAY - 1, hours=-10)
    if day >= DRILL_DAY:
        results.append(
            _result(
                "rto-critical",
                "pass",
                ["SOC2:A1.3"],
                details={
                    "tier": "critical",
                    "system": "database",
                    "recovery_seconds": 1800,
                    "max_recovery_seconds": 3600,
                    "drill_age_seconds": (day - DRILL_DAY) * 86400,
                    "started_at": iso(drill_started),
                },
            )
        )
    value = 2.5 if day == KPI_BREACH_DAY else 1.0 + day / 100
    results.append(
        _result(
            "kpi-api-p95-latency",
            "fail" if value >= 2 else "pass",
            ["SOC2:A1.1"],
            enforcement="deny",
            details={
                "value": value,
                "threshold": 2,
                "comparator": "<",
                "unit": "s",
                "query": "p95",
            },
        )
    )
    # Two critical findings until day 18, then one (a patch landed); a HIGH throughout.
    vulns = [
        ("regulensai/api:v1.2.0", "CVE-2026-0001", "CRITICAL"),
        ("regulensai/api:v1.2.0", "CVE-2026-0002", "HIGH"),
    ]
    if day < 18:
        vulns.append(("regulensai/worker:v1.2.0", "CVE-2026-0003", "CRITICAL"))
    for image, vid, sev in vulns:
        results.append(
            _result(
                "scan-no-fixable-critical",
                "warn",
                ["SOC2:CC7.1"],
                enforcement="dryrun",
                details={"image": image, "vulnerability_id": vid, "severity": sev},
            )
        )
    return results


def predicate(day: int, kube_digest: str) -> dict[str, Any]:
    """The predicate of the gate run on `day` (1-based)."""
    now = START + timedelta(days=day - 1)
    results = _day_results(day)
    summary = dict.fromkeys(("pass", "fail", "warn", "error", "skip"), 0)
    for r in results:
        summary[r["status"]] += 1
    category = "standard"
    if day == DENIED_CHANGE_DAY:
        category = "normal"
        results.append(
            _result("change-approval", "fail", ["SOC2:CC8.1"], message="no cab approval")
        )
        summary["fail"] += 1
    if day == EMERGENCY_DAY:
        category = "emergency"
    blocking = any(r["status"] in ("fail", "error") and r["enforcement"] == "deny" for r in results)
    gaps = (
        [{"kind": "Secret", "namespace": "regulensai", "reason": "forbidden"}]
        if day == GAP_DAY
        else []
    )
    return {
        "run": {
            "id": f"run-{day:02d}",
            "command": "gate",
            "stream": STREAM,
            "now": iso(now),
            "recorded_at": iso(now + timedelta(seconds=5)),
            "tool": {"name": "regulens", "version": "0.1.0"},
            "ci": None,
        },
        "policies": {
            "digest": "sha256:" + "ab" * 32,
            "sources": ["builtin:ops-baseline"],
            "ids": sorted({r["policy"] for r in results}),
        },
        "inputs": {"kubernetes": {"digest": kube_digest, "source": "manifests"}},
        "change": {
            "id": f"CHG-{day:02d}",
            "category": category,
            "environment": "production",
            "requester": "alice@example.com",
            "title": f"daily change {day}",
            "scheduled": {"start": iso(now), "end": iso(now + timedelta(hours=1))},
            "incident": "INC-7" if category == "emergency" else None,
        },
        "decision": {
            "decision": "deny" if blocking else "allow",
            "exit_code": 1 if blocking else 0,
            "summary": summary,
        },
        "results": results,
        "coverage": {"complete": not gaps, "gaps": gaps},
        "exceptions": {
            "applied": [
                {
                    "id": "EXC-latest-tag",
                    "policy": "workload-no-latest-tag",
                    "expires": "2026-12-10T00:00:00Z",
                    "created": "2026-10-20T00:00:00Z",
                    "approver": "carol@example.com",
                    "ticket": "SEC-1",
                }
            ],
            "expired": [
                {
                    "id": "EXC-old",
                    "policy": "workload-no-privileged",
                    "expires": "2026-10-31T00:00:00Z",
                }
            ],
            "unused": [
                {
                    "id": "EXC-unused",
                    "policy": "scan-no-secrets",
                    "expires": "2027-01-20T00:00:00Z",
                    "created": "2026-11-03T00:00:00Z",
                }
            ],
        },
    }


def simulated_month() -> tuple[list[RunRecord], dict[str, dict[str, Any]]]:
    """Daily gate runs of November 2026 and the stored Kubernetes sections by digest."""
    sections = kubernetes_sections()
    digests = [_digest(s) for s in sections]
    records = []
    for day in range(1, DAYS + 1):
        index = 0 if day < RBAC_CHANGE_DAY else (1 if day < AUDIT_CHANGE_DAY else 2)
        pred = predicate(day, digests[index])
        records.append(
            RunRecord(
                run_id=pred["run"]["id"],
                stream=STREAM,
                seq=day,
                recorded_at=pred["run"]["recorded_at"],
                digest=_digest(pred),
                predicate=pred,
            )
        )
    return records, dict(zip(digests, sections, strict=True))


def signoff_record(seq: int, month: str = "2026-11") -> RunRecord:
    """A review-signoff record for `month`."""
    pred = {
        "run": {
            "id": f"signoff-{month}",
            "command": "review-signoff",
            "stream": STREAM,
            "now": "2026-12-02T09:00:00Z",
            "recorded_at": "2026-12-02T09:00:00Z",
            "tool": {"name": "regulens", "version": "0.1.0"},
            "ci": None,
        },
        "signoff": {
            "month": month,
            "reviewer": "dana@example.com",
            "date": "2026-12-02",
            "notes": "ok",
        },
    }
    return RunRecord(pred["run"]["id"], STREAM, seq, "2026-12-02T09:00:00Z", _digest(pred), pred)


VERIFIED = {
    "store": "sqlite:///fixture.db",
    "state": "verified",
    "banner": {
        "state": "verified",
        "title": "Evidence verified and signed",
        "text": "31 records in 1 stream(s): every record signed by a trusted key: k1.",
    },
    "verified": True,
    "signatures_checked": True,
    "allow_unverified": False,
    "verification": {
        "status": "OK",
        "message": "31 records in 1 stream verified",
        "records": 31,
        "streams": [STREAM],
        "signing_keys": [{"key_id": "k1", "fingerprint": "SHA256:abc"}],
        "problems": [],
        "external_checkpoints": 1,
        "legacy_v1_records": 0,
        "checkpointed_records": 0,
    },
}
TOOL = {"name": "regulens", "version": "0.1.0"}
