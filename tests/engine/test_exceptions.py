"""Exceptions: matching scope, expiry, unused, the 90-day cap and no wildcards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from regulens.engine import Enforcement, Result, Severity, Status, decide
from regulens.engine.exceptions import (
    WAIVABLE,
    ExceptionSet,
    PolicyException,
    apply_exceptions,
)
from regulens.snapshot import ResourceRef

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
API = ResourceRef("apps/v1", "Deployment", "app", "api")
WORKER = ResourceRef("apps/v1", "Deployment", "app", "worker")


def result(policy: str = "p", status: Status = Status.FAIL, **kw: Any) -> Result:
    fields: dict[str, Any] = {
        "title": "t",
        "severity": Severity.HIGH,
        "enforcement": Enforcement.DENY,
        "controls": (),
        "resource": API,
        "message": "bad",
        **kw,
    }
    return Result(policy=policy, status=status, **fields)


def exception(**kw: Any) -> PolicyException:
    doc = {
        "id": "EXC-1",
        "policy": "p",
        "reason": "r",
        "ticket": "T-1",
        "approver": "carol@example.com",
        "created": "2026-11-01T00:00:00Z",
        "expires": "2027-01-01T00:00:00Z",
        **kw,
    }
    return PolicyException.model_validate_json(orjson.dumps(doc), strict=True)


def test_applied_exception_turns_fail_into_documented_skip() -> None:
    results, report = apply_exceptions([result()], [exception()], NOW)
    (waived,) = results
    assert waived.status is Status.SKIP and waived.exception == "EXC-1"
    assert waived.details["waived"] == {"status": "fail", "message": "bad"}
    assert "EXC-1" in waived.message and "T-1" in waived.message
    assert [a["id"] for a in report.applied] == ["EXC-1"] and not report.unused
    assert decide(results).allowed
    assert waived.to_json()["exception"] == "EXC-1"


def test_expired_exception_is_not_applied_and_reported() -> None:
    old = exception(created="2026-09-01T00:00:00Z", expires="2026-11-15T00:00:00Z")
    results, report = apply_exceptions([result()], [old], NOW)
    assert results[0].status is Status.FAIL and results[0].exception is None
    assert report.expired[0]["id"] == "EXC-1" and report.expired[0]["would_match"] == 1
    assert not report.applied and not report.unused
    assert not decide(results).allowed


def test_expiry_boundary_is_exclusive() -> None:
    at_expiry = exception(expires="2026-11-30T01:30:00Z")
    results, report = apply_exceptions([result()], [at_expiry], NOW)
    assert results[0].status is Status.FAIL and len(report.expired) == 1


@pytest.mark.parametrize(
    ("scope", "applies"),
    [
        ({}, True),
        ({"policy": "other"}, False),
        ({"resource": {"kind": "Deployment", "name": "api"}}, True),
        ({"resource": {"namespace": "app"}}, True),
        ({"resource": {"name": "worker"}}, False),
        ({"cve": "CVE-2026-1234"}, True),
        ({"cve": "CVE-2026-9999"}, False),
        ({"image": "reg/api:v1"}, True),
        ({"image": "reg/api:v2"}, False),
    ],
)
def test_scope(scope: dict[str, Any], applies: bool) -> None:
    target = result(details={"cve": "CVE-2026-1234", "image": "reg/api:v1"})
    results, report = apply_exceptions([target], [exception(**scope)], NOW)
    assert (results[0].status is Status.SKIP) is applies
    assert bool(report.unused) is not applies


def test_passes_are_never_waived_and_unused_is_reported() -> None:
    results, report = apply_exceptions([result(status=Status.PASS)], [exception()], NOW)
    assert results[0].status is Status.PASS and results[0].exception is None
    assert [u["id"] for u in report.unused] == ["EXC-1"]


def test_errors_and_warnings_are_waivable_per_resource() -> None:
    rs = [result(status=Status.ERROR), result(status=Status.WARN, resource=WORKER)]
    scoped = exception(resource={"name": "api"})
    results, _ = apply_exceptions(rs, [scoped], NOW)
    assert [r.status for r in results] == [Status.SKIP, Status.WARN]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires": "2027-03-01T00:00:00Z"}, "at most 90 days"),
        ({"expires": "2026-10-01T00:00:00Z"}, "after created"),
        ({"policy": "workload-*"}, "pattern"),
        ({"resource": {}}, "at least one of kind, namespace, name"),
        ({"expires": None}, "expires"),
    ],
)
def test_invalid_exceptions_are_rejected(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        exception(**fields)


def test_exception_set_requires_ticket_and_approver() -> None:
    doc = {
        "apiVersion": "regulens/v1",
        "kind": "ExceptionSet",
        "metadata": {"name": "s"},
        "exceptions": [{"id": "E", "policy": "p", "reason": "r", "created": "2026-11-01T00:00:00Z",
                        "expires": "2026-12-01T00:00:00Z"}],
    }  # fmt: skip
    with pytest.raises(ValidationError) as info:
        ExceptionSet.model_validate_json(orjson.dumps(doc), strict=True)
    missing = {e["loc"][-1] for e in info.value.errors() if e["type"] == "missing"}
    assert missing == {"ticket", "approver"}


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(st.sampled_from(list(Status)), min_size=1, max_size=8),
    expiry_days=st.integers(min_value=-29, max_value=60),
    policy=st.sampled_from(["p", "q"]),
)
def test_exceptions_only_ever_waive_with_an_active_matching_exception(
    statuses: list[Status], expiry_days: int, policy: str
) -> None:
    rs = [result(status=s) for s in statuses]
    created = NOW - timedelta(days=30)
    exc = exception(
        policy=policy,
        created=created.isoformat(),
        expires=(NOW + timedelta(days=expiry_days)).isoformat() if expiry_days else NOW.isoformat(),
    )
    out, report = apply_exceptions(rs, [exc], NOW)
    active = expiry_days > 0
    for before, after in zip(rs, out, strict=True):
        waived = active and policy == "p" and before.status in WAIVABLE
        assert (after.exception == "EXC-1") is waived
        assert after.status is (Status.SKIP if waived else before.status)
    assert len(report.applied) == sum(1 for r in out if r.exception)
    assert bool(report.expired) is not active
    assert bool(report.unused) is (active and not report.applied)
    # waiving never turns an allow into a deny
    if decide(rs).allowed:
        assert decide(out).allowed


def test_an_exception_is_not_in_force_before_it_was_created() -> None:
    # created 2 minutes after now (within the loader's clock skew): not applied, reported unused
    early = exception(created="2026-11-30T01:32:00Z", expires="2026-12-30T00:00:00Z")
    results, report = apply_exceptions([result()], [early], NOW)
    assert results[0].status is Status.FAIL and results[0].exception is None
    assert not report.applied and not report.expired
    (unused,) = report.unused
    assert (unused["id"], unused["not_before"]) == ("EXC-1", "2026-11-30T01:32:00Z")
    assert not decide(results).allowed


def test_creation_boundary_is_inclusive() -> None:
    at_creation = exception(created="2026-11-30T01:30:00Z")
    results, _ = apply_exceptions([result()], [at_creation], NOW)
    assert results[0].status is Status.SKIP


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"approver": "   "}, "approver\n  Value error, is blank"),
        ({"ticket": " \t "}, "ticket\n  Value error, is blank"),
        ({"reason": "\n"}, "reason\n  Value error, is blank"),
        ({"approver": "car\u043el@example.com"}, "U+043E CYRILLIC SMALL LETTER O"),
        ({"approver": "carol\u200b@example.com"}, "U+200B ZERO WIDTH SPACE"),
        ({"ticket": "SEC-1\u202e"}, "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ({"ticket": "SEC-1\nfake line"}, "U+000A"),
    ],
)
def test_blank_invisible_or_look_alike_fields_are_rejected(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as info:
        exception(**fields)
    assert message in str(info.value)


def test_approver_and_ticket_are_trimmed() -> None:
    exc = exception(approver="  carol@example.com ", ticket=" T-1 ")
    assert (exc.approver, exc.ticket) == ("carol@example.com", "T-1")
