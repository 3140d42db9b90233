"""The findings baseline and --fail-on as pure steps: fingerprints, demotion, errors untouched."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from regulens.engine.baseline import (
    BaselineResource,
    FindingsBaseline,
    apply_baseline,
    apply_fail_on,
    entry_of,
    finding_subject,
    fingerprint,
)
from regulens.engine.decide import decide
from regulens.engine.results import Result
from regulens.engine.types import Enforcement, Severity, Status
from regulens.snapshot.resources import ResourceRef

API = ResourceRef("apps/v1", "Deployment", "shop", "api")


def result(
    status: Status = Status.FAIL,
    severity: Severity = Severity.HIGH,
    message: str = "container 'api' runs privileged",
    details: dict[str, Any] | None = None,
    policy: str = "workload-no-privileged",
    resource: ResourceRef | None = API,
    subject: str = "",
) -> Result:
    return Result(
        policy=policy,
        title="t",
        status=status,
        severity=severity,
        enforcement=Enforcement.DENY,
        controls=(),
        resource=resource,
        message=message,
        details=details or {},
        subject=subject,
    )


def baseline_of(*results: Result) -> FindingsBaseline:
    return FindingsBaseline.model_validate(
        {
            "apiVersion": "regulens/v1",
            "kind": "FindingsBaseline",
            "metadata": {"created": datetime(2026, 11, 30, tzinfo=UTC), "source": "test"},
            "findings": list(
                {entry_of(r).fingerprint: entry_of(r).model_dump() for r in results}.values()
            ),
        }
    )


def test_the_fingerprint_ignores_the_message_and_the_api_version() -> None:
    a = result(message="old wording")
    b = dataclasses.replace(
        result(message="new wording"),
        resource=ResourceRef("apps/v1beta2", "Deployment", "shop", "api"),
    )
    assert entry_of(a).fingerprint == entry_of(b).fingerprint


def test_the_subject_is_the_one_the_check_set_never_a_guess_from_details() -> None:
    cve = {"cve": "CVE-2026-1", "package": "openssl", "image": "api:1"}
    assert finding_subject(result(details=cve)) == ""
    assert finding_subject(result(subject="container:container api")) == "container:container api"
    # details (ages, counts, evidence) never move the fingerprint; the subject does
    plain = entry_of(result(subject="s"))
    assert entry_of(result(subject="s", details={"age_seconds": 5, **cve})) == plain
    assert entry_of(result(subject="t")).fingerprint != plain.fingerprint


def test_the_fingerprint_of_an_unchanged_subject_is_the_one_earlier_versions_wrote() -> None:
    """Baseline files made before subjects moved into the checks keep verifying and matching."""
    resource = BaselineResource(kind="Deployment", namespace="shop", name="api")
    data = orjson.dumps(["rpo-database", ["Deployment", "shop", "api"], "target:database"])
    assert fingerprint("rpo-database", resource, "target:database") == (
        f"sha256:{hashlib.sha256(data).hexdigest()}"
    )
    made = entry_of(result(policy="rpo-database", subject="target:database"))
    assert made.fingerprint == fingerprint("rpo-database", resource, "target:database")


def test_two_cves_on_one_resource_are_two_findings() -> None:
    one = result(subject="cve:CVE-2026-1 openssl 3.0.1@api:1")
    two = result(subject="cve:CVE-2026-2 openssl 3.0.1@api:1")
    out, matched, resolved = apply_baseline([one, two], baseline_of(one))
    assert [r.status for r in out] == [Status.WARN, Status.FAIL]
    assert out[0].message.startswith("in baseline: ")
    assert out[0].details["demoted"] == {"status": "fail", "reason": "in baseline"}
    assert matched == 1 and resolved == ()
    assert decide(out).exit_code == 1  # the new finding denies


def test_errors_are_never_baselined_and_resolved_entries_are_reported() -> None:
    gone = result(resource=ResourceRef("apps/v1", "Deployment", "shop", "old"))
    err = result(status=Status.ERROR, message="no scans input was given", resource=None)
    out, matched, resolved = apply_baseline(
        [err], baseline_of(gone, dataclasses.replace(err, status=Status.FAIL))
    )
    assert out == [err] and matched == 0
    assert [r["resource"]["name"] for r in resolved if "resource" in r] == ["old"]
    assert len(resolved) == 2
    assert decide(out).exit_code == 2


def test_fail_on_demotes_only_enforced_failures_below_the_threshold() -> None:
    low = result(severity=Severity.LOW)
    crit = result(severity=Severity.CRITICAL)
    err = result(status=Status.ERROR, severity=Severity.INFO)
    out = apply_fail_on([low, crit, err], Severity.HIGH)
    assert [r.status for r in out] == [Status.WARN, Status.FAIL, Status.ERROR]
    assert apply_fail_on([low], None) == [low]
    assert apply_fail_on([result(severity=Severity.HIGH)], Severity.HIGH)[0].status is Status.FAIL


def test_soft_fail_lets_failures_through_but_never_errors() -> None:
    soft = decide([result()], soft_fail=True)
    assert soft.exit_code == 0 and soft.decision == "deny" and soft.blocking
    assert decide([result(), result(status=Status.ERROR)], soft_fail=True).exit_code == 2
    assert decide([], soft_fail=True).exit_code == 2


STATUSES = st.sampled_from(list(Status))
SEVERITIES = st.sampled_from(list(Severity))


@given(st.lists(st.tuples(STATUSES, SEVERITIES, st.integers(0, 3)), max_size=12), SEVERITIES)
def test_gating_never_turns_an_error_into_an_allow(
    rows: list[tuple[Status, Severity, int]], threshold: Severity
) -> None:
    results = [
        result(status=s, severity=v, resource=ResourceRef("v1", "Pod", "ns", f"p{i}"))
        for s, v, i in rows
    ]
    baselined, _, _ = apply_baseline(
        results, baseline_of(*[dataclasses.replace(r, status=Status.FAIL) for r in results])
    )
    for gated in (apply_fail_on(results, threshold), apply_fail_on(baselined, threshold)):
        assert [r.status is Status.ERROR for r in gated] == [
            r.status is Status.ERROR for r in results
        ]
        if any(r.status is Status.ERROR for r in results) or not results:
            assert decide(gated).exit_code != 0
            assert decide(gated, soft_fail=True).exit_code == 2
