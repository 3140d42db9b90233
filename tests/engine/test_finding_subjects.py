"""Checks tell their findings apart: two findings of one policy on one resource never share
a fingerprint (the baseline's and SARIF's identity), for the cases the examples lack."""

from __future__ import annotations

from datetime import timedelta

from regulens.engine import EvalContext, Status, evaluate
from regulens.engine.fingerprint import finding_fingerprint
from regulens.engine.results import Result
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.snapshot.scans import ScanSet
from regulens.sources.trivy import parse_report
from tests.engine.checks.helpers import NOW, run
from tests.engine.checks.test_backup_recency import RPO_DB, record, schedule
from tests.engine.checks.test_backup_recency import snap as backups
from tests.engine.checks.test_incident_checks import DETECTED, RESPONSE, incident
from tests.engine.checks.test_incident_checks import snap as incidents
from tests.engine.test_trivy_checks import change, pack
from tests.sources.trivy_data import dumps, misconfig, os_result, report, vuln


def distinct(results: list[Result], status: Status = Status.FAIL) -> list[str]:
    found = [r for r in results if r.status is status]
    prints = [finding_fingerprint(r) for r in found]
    assert len(found) >= 2, [r.message for r in results]
    assert len(set(prints)) == len(prints), [(r.subject, r.message) for r in found]
    return [r.subject for r in found]


def scans(*docs: dict[str, object]) -> Snapshot:
    reports = tuple(parse_report(dumps(d), f"r{i}.json") for i, d in enumerate(docs))
    return Snapshot(scans=ScanSet(reports=reports))


def test_one_cve_in_a_package_at_two_versions_of_one_image_is_two_findings() -> None:
    old, new = vuln("CVE-2026-1", "CRITICAL"), {**vuln("CVE-2026-1", "CRITICAL")}
    new["InstalledVersion"] = "1.0.2"
    doc = report(results=[os_result(old), {**os_result(new), "Target": "app/go.mod"}])
    results = evaluate([pack()["scan-no-fixable-critical"]], scans(doc), EvalContext(now=NOW))
    assert sorted(distinct(results)) == [
        "cve:CVE-2026-1 libx 1.0.0@regulensai/api:v1.2.0",
        "cve:CVE-2026-1 libx 1.0.2@regulensai/api:v1.2.0",
    ]


def test_one_misconfiguration_at_two_places_of_one_file_is_two_findings() -> None:
    entries = [misconfig("KSV017"), misconfig("KSV017", CauseMetadata={"StartLine": 30})]
    doc = report(results=[{"Target": "m/app.yaml", "Misconfigurations": entries}])
    results = evaluate([pack()["scan-no-high-misconfig"]], scans(doc), EvalContext(now=NOW))
    assert distinct(results) == ["check:KSV-0017 m/app.yaml:12", "check:KSV-0017 m/app.yaml:30"]


def test_two_incidents_are_two_findings_and_keep_their_identity_later() -> None:
    later = DETECTED + timedelta(days=1)
    state = incidents(incident(1, id="INC-1"), incident(1, id="INC-2"))
    first = distinct(run(RESPONSE, state, later))
    assert first == ["incident:INC-1", "incident:INC-2"]
    assert distinct(run(RESPONSE, state, later + timedelta(hours=3))) == first


def test_a_stale_backup_and_a_suspended_schedule_of_one_cronjob_are_two_findings() -> None:
    cron = schedule(900.0, suspended=True)
    # the newest backup came from the same CronJob the schedule is read from
    stale = record("2026-11-30T01:00:00Z").model_copy(update={"object": cron.object})
    results = run(RPO_DB, backups(stale, schedules=(cron,)))
    assert {str(r.resource.key) for r in results if r.resource} == {"CronJob/ns/backup-db"}
    assert distinct(results) == ["target:database", "schedule:database */15 * * * *"]


def test_two_containers_without_an_image_are_two_findings() -> None:
    fresh = pack()["scan-report-fresh"]
    blank = [{"name": "a", "image": ""}, {"name": "b", "image": ""}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
           "spec": {"containers": blank}}  # fmt: skip
    state = KubernetesState.model_construct(
        provenance=Provenance(source="test"), resources=(Resource.from_object(pod),), gaps=()
    )
    snap = Snapshot(kubernetes=state, scans=ScanSet(reports=()), change=change())
    assert distinct(evaluate([fresh], snap, EvalContext(now=NOW))) == [
        "no image: Pod ns/p container a",
        "no image: Pod ns/p container b",
    ]


def test_findings_of_two_change_requests_are_not_one_known_finding() -> None:
    one, two = (
        change(),
        change().model_copy(
            update={"metadata": change().metadata.model_copy(update={"id": "CHG-2"})}
        ),
    )
    rollback = {"type": "change-rollback-plan"}
    first = run(rollback, Snapshot(change=one))
    second = run(rollback, Snapshot(change=two))
    assert [r.status for r in (*first, *second)] == [Status.FAIL, Status.FAIL]
    assert finding_fingerprint(first[0]) != finding_fingerprint(second[0])
