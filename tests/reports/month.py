"""Fill an evidence store with a simulated month of change decisions over the example platform.

Through the real CLI and a real SQLite store, signed with a fresh key: the gate
(or `evaluate --change --record` while the gate does not record) runs once a day
of November 2026 at 02:10Z (`--now`), with a change request, the previous day's
manifests as baseline, the day's backup catalog and KPI values, the example
restore drills and an exception set. One run on 2026-10-31 gives the store a history.

- Mondays (2, 9, 16, 23, 30) carry standard changes, day 25 an emergency change
  (with an incident), every other day a normal change approved by the CAB;
  day 12's normal change has no approval (denied);
- days 10 and 11 deploy the deliberately broken platform (failures; the `latest`
  tag of the API is waived by exception EXC-2026-021, recorded from day 5);
- day 15's newest database backup is 40 minutes old (RPO 15 minutes);
- day 22's API p95 latency is 2.5 s (threshold 2 s);
- from day 20 the regular-user Role also reads secrets and an on-call user is bound
  to cluster-admin (an RBAC change); from day 25 the audit policy changes;
- each day records a fresh Trivy report of the API image: one CRITICAL, one HIGH and
  one LOW vulnerability until day 17, none from day 18.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import orjson
import pytest

from regulens.cli import cli, main

DAYS = 30
MONDAYS = (2, 9, 16, 23, 30)
EMERGENCY_DAY = 25
UNAPPROVED_DAY = 12
BROKEN_DAYS = (10, 11)
BACKUP_BREACH_DAY = 15
KPI_BREACH_DAY = 22
RBAC_CHANGE_DAY = 20
AUDIT_CHANGE_DAY = 25
EXCEPTION_FROM_DAY = 5
PATCHED_DAY = 18  # the API image's Trivy report is clean from here on
STREAM = "production"
# Fixed policy ids (a contract) keep the counts independent of packs added later.
POLICIES = (
    "workload-no-privileged",
    "workload-resource-limits",
    "workload-no-latest-tag",
    "hpa-api-bounds",
    "change-approval",
    "change-window",
    "change-emergency-incident",
    "change-rollback-plan",
    "change-tests-passed",
    "change-category-matches-diff",
    "rpo-database",
    "rpo-configuration",
    "rto-critical",
    "rto-non-critical",
    "kpi-api-latency-p95",
    "kpi-throughput",
    "kpi-error-rate",
    "kpi-availability",
    "kpi-resource-utilization",
)

RBAC_CHANGE = """
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: oncall-admin
subjects:
  - {kind: User, name: oncall@example.com, apiGroup: rbac.authorization.k8s.io}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
"""

EXCEPTIONS = """apiVersion: regulens/v1
kind: ExceptionSet
metadata: {name: november-waivers}
exceptions:
  - id: EXC-2026-021
    policy: workload-no-latest-tag
    resource: {kind: Deployment, namespace: regulensai, name: regulensai-api}
    reason: Hotfix images are rebuilt under latest until the release pipeline is fixed.
    ticket: PLAT-912
    approver: carol@example.com
    created: 2026-11-05T01:00:00Z
    expires: 2026-12-20T00:00:00Z
"""


@dataclass(frozen=True)
class Month:
    """A filled store: its URL, signing key, and the run id of each day (0 = 2026-10-31)."""

    url: str
    key: Path
    public_key: Path
    runs: dict[int, str]
    command: str


def run_cli(*argv: str) -> int:
    """Run the real CLI in-process; return its exit code."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    return int(exc.value.code or 0)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def recording_command() -> list[str]:
    """`gate` when it records evidence, else `evaluate ... --record`."""
    gate = cli.get_command(click.Context(cli), "gate")  # commands load lazily
    names = {p.name for p in gate.params} if gate is not None else set()
    if "evidence" in names:
        return ["gate", "--record"] if "record" in names else ["gate"]
    return ["evaluate", "--record"]


def _platforms(examples: Path, work: Path) -> dict[str, Path]:
    rbac = work / "platform-rbac"
    shutil.copytree(examples / "platform", rbac)
    role = (rbac / "40-rbac.yaml").read_text()
    changed = role.replace(
        "    resources: [pods, services, configmaps]\n    verbs: [get, list, watch]\n",
        "    resources: [pods, services, configmaps]\n    verbs: [get, list, watch]\n"
        '  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [get]\n',
        1,
    )
    assert changed != role
    (rbac / "40-rbac.yaml").write_text(changed + RBAC_CHANGE)
    audit = work / "platform-audit"
    shutil.copytree(rbac, audit)
    text = (audit / "50-audit.yaml").read_text()
    changed = text.replace("verbs: [watch]", "verbs: [watch, list]", 1)
    assert changed != text
    (audit / "50-audit.yaml").write_text(changed)
    return {
        "ok": examples / "platform",
        "broken": examples / "platform-noncompliant",
        "rbac": rbac,
        "audit": audit,
    }


def _manifests(day: int, platforms: dict[str, Path]) -> Path:
    if day in BROKEN_DAYS:
        return platforms["broken"]
    if day >= AUDIT_CHANGE_DAY:
        return platforms["audit"]
    if day >= RBAC_CHANGE_DAY:
        return platforms["rbac"]
    return platforms["ok"]


def _change(day: int, now: datetime) -> str:
    start, end = now + timedelta(minutes=20), now + timedelta(minutes=80)
    category, incident = "normal", None
    approvals = [("bob@example.com", "cab", now - timedelta(hours=11))]
    if day in MONDAYS:
        category, approvals = "standard", []
    elif day == EMERGENCY_DAY:
        category, incident = "emergency", "INC-2041"
        approvals = [("erin@example.com", "eca", now)]
    elif day == UNAPPROVED_DAY:
        approvals = []
    lines = [
        "apiVersion: regulens/v1",
        "kind: ChangeRequest",
        f"metadata: {{id: CHG-2026-11{day:02d}}}",
        "spec:",
        f"  title: Daily platform change {day}",
        f"  category: {category}",
        "  requester: alice@example.com",
        "  environment: production",
        "  namespace: regulensai",
        f"  scheduled: {{start: {_iso(start)}, end: {_iso(end)}}}",
        "  rollback: helm rollback regulensai -n regulensai",
        "  tests: {smoke: passed, integration: passed}",
    ]
    if approvals:
        lines.append("  approvals:")
        lines += [f"    - {{approver: {a}, role: {r}, at: {_iso(at)}}}" for a, r, at in approvals]
    if incident:
        lines.append(f"  incident: {incident}")
    return "\n".join(lines) + "\n"


def _backups(day: int, now: datetime) -> str:
    age = timedelta(minutes=40 if day == BACKUP_BREACH_DAY else 5)
    rows = [
        ("database", now - age, "succeeded"),
        ("database", now - timedelta(minutes=2), "failed")
        if day == BACKUP_BREACH_DAY
        else ("database", now - age - timedelta(minutes=15), "succeeded"),
        ("configuration", now - timedelta(minutes=20), "succeeded"),
    ]
    return "".join(
        f'- {{target: {t}, kind: {t}, completed_at: "{_iso(at)}", status: {status}, '
        f'location: "s3://regulensai-backups/{t}/{_iso(at)}"}}\n'
        for t, at, status in rows
    )


def _metrics(day: int, now: datetime) -> bytes:
    p95 = 2.5 if day == KPI_BREACH_DAY else round(0.8 + day / 100, 2)
    return orjson.dumps(
        {
            "timestamp": _iso(now - timedelta(seconds=30)),
            "metrics": {
                "api_latency_p95_seconds": p95,
                "api_throughput_rpm": 1500 + day * 10,
                "api_error_rate": 0.002,
                "api_availability_30d": 0.9996,
                "system_cpu_usage_percent_max": 55.0,
            },
        }
    )


def _trivy(day: int, now: datetime, examples: Path) -> bytes:
    name = "api-v1.2.0-fixable-critical" if day < PATCHED_DAY else "api-v1.1.0"
    report = orjson.loads((examples / "scans" / f"{name}.trivy.json").read_bytes())
    report["CreatedAt"] = _iso(now - timedelta(hours=1))
    return orjson.dumps(report)


def fill_month(examples: Path, work: Path, url: str | None = None, days: int = DAYS) -> Month:
    """Record 2026-10-31 and `days` daily decisions of November 2026 into a fresh store."""
    work.mkdir(parents=True, exist_ok=True)
    url = url or f"sqlite:///{work / 'evidence.db'}"
    key = work / "signing.pem"
    assert run_cli("keys", "generate", "-o", str(key)) == 0
    platforms = _platforms(examples, work)
    exceptions = work / "exceptions.yaml"
    exceptions.write_text(EXCEPTIONS)
    command = recording_command()
    select = [arg for pid in POLICIES for arg in ("--select", pid)]
    previous = platforms["ok"]
    for day in range(days + 1):
        now = datetime(2026, 11, 1, 2, 10, tzinfo=UTC) + timedelta(days=day - 1)
        manifests = _manifests(day, platforms)
        inputs = work / f"day-{day:02d}"
        inputs.mkdir()
        (inputs / "change.yaml").write_text(_change(day, now))
        (inputs / "backups.yaml").write_text(_backups(day, now))
        (inputs / "metrics.json").write_bytes(_metrics(day, now))
        (inputs / "trivy.json").write_bytes(_trivy(day, now, examples))
        extra = ["--exceptions", str(exceptions)] if day >= EXCEPTION_FROM_DAY else []
        code = run_cli(
            *command, "--policies", "builtin:ops-baseline", *select,
            "--manifests", str(manifests), "--current-manifests", str(previous),
            "--change", str(inputs / "change.yaml"), "--backups", str(inputs / "backups.yaml"),
            "--drills", str(examples / "ops" / "drills.yaml"),
            "--metrics", str(inputs / "metrics.json"), "--trivy-report", str(inputs / "trivy.json"),
            *extra, "--now", _iso(now),
            "--evidence", url, "--stream", STREAM, "--signing-key", str(key),
            "--format", "json", "-o", str(inputs / "decision.json"),
        )  # fmt: skip
        assert code in (0, 1), f"day {day}: exit {code}"
        previous = manifests
    from regulens.evidence import open_store

    with open_store(url) as store:
        runs = {rec.seq - 1: rec.run_id for rec in store.records(STREAM)}
    assert sorted(runs) == list(range(days + 1))
    return Month(url, key, Path(f"{key}.pub"), runs, command[0])
