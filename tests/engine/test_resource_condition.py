"""`resource-condition`: CEL over objects and containers, with pass, fail and error cases."""

from __future__ import annotations

from regulens.engine import EvalContext, Status, decide, evaluate
from regulens.errors import ExitCode
from tests.engine.helpers import NOW, deployment, policy, snapshot

PRIVILEGED = {
    "type": "resource-condition",
    "each": "container",
    "expression": "!has(container.securityContext) || !has(container.securityContext.privileged)"
    " || container.securityContext.privileged == false",
}


def run(p, objects):  # type: ignore[no-untyped-def]
    return evaluate([p], snapshot(objects), EvalContext(now=NOW))


def test_each_container_pass_and_fail() -> None:
    objs = [deployment("a"), deployment("b", securityContext={"privileged": True})]
    results = run(policy(PRIVILEGED), objs)
    by_name = {r.resource.name: r.status for r in results if r.resource}
    assert by_name == {"a": Status.PASS, "b": Status.FAIL}
    assert decide(results).exit_code is ExitCode.DENY


def test_init_and_ephemeral_containers_are_visited() -> None:
    obj = deployment("a")
    spec = obj["spec"]["template"]["spec"]
    spec["initContainers"] = [{"name": "i", "securityContext": {"privileged": True}}]
    spec["ephemeralContainers"] = [{"name": "e", "securityContext": {"privileged": True}}]
    results = run(policy(PRIVILEGED), [obj])
    failed = sorted(r.message.split(":")[0] for r in results if r.status is Status.FAIL)
    assert failed == ["ephemeralContainer 'e'", "initContainer 'i'"]


def test_match_scopes_kinds_namespaces_and_labels() -> None:
    check = {"type": "resource-condition", "expression": "object.spec.replicas >= 5"}
    objs = [deployment("a", ns="app"), deployment("b", ns="other")]
    results = run(policy(check, match={"kinds": ["Deployment"], "namespaces": ["app"]}), objs)
    assert [(r.resource.name, r.status) for r in results if r.resource] == [("a", Status.FAIL)]
    sel = {"kinds": ["Deployment"], "selector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["b"]}]}}  # fmt: skip
    results = run(policy(check, match=sel), objs)
    assert [r.resource.name for r in results if r.resource] == ["b"]


def test_cel_runtime_error_is_error_and_denies_with_exit_2() -> None:
    check = {"type": "resource-condition", "expression": "object.spec.missing.field == 1"}
    results = run(policy(check, match={"kinds": ["Deployment"]}), [deployment("a")])
    assert [r.status for r in results] == [Status.ERROR]
    assert decide(results).exit_code is ExitCode.INCOMPLETE


def test_non_boolean_result_is_error() -> None:
    check = {"type": "resource-condition", "expression": "object.spec.replicas"}
    results = run(policy(check, match={"kinds": ["Deployment"]}), [deployment("a")])
    assert results[0].status is Status.ERROR
    assert "not a boolean" in results[0].message


def test_warn_enforcement_turns_fail_into_warn_and_allows() -> None:
    check = {"type": "resource-condition", "expression": "object.spec.replicas >= 5"}
    results = run(policy(check, enforcement="warn"), [deployment("a")])
    assert [r.status for r in results] == [Status.WARN]
    assert decide(results).allowed


def test_min_matches_and_filter() -> None:
    check = {
        "type": "resource-condition",
        "expression": "object.spec.replicas >= 3",
        "filter": "object.metadata.name == 'api'",
        "min_matches": 1,
    }
    results = run(policy(check, match={"kinds": ["Deployment"]}), [deployment("other")])
    assert [r.status for r in results] == [Status.FAIL]
    assert "expected at least 1" in results[0].message
    results = run(policy(check, match={"kinds": ["Deployment"]}), [deployment("api")])
    assert [r.status for r in results] == [Status.PASS]


def test_nothing_in_scope_is_skip() -> None:
    check = {"type": "resource-condition", "expression": "true"}
    results = run(policy(check, match={"kinds": ["Ingress"]}), [deployment("a")])
    assert [r.status for r in results] == [Status.SKIP]


def test_missing_input_is_error_naming_the_flag() -> None:
    from regulens.snapshot import Snapshot

    p = policy({"type": "resource-condition", "expression": "true"})
    results = evaluate([p], Snapshot(), EvalContext(now=NOW))
    assert results[0].status is Status.ERROR
    assert "--manifests" in results[0].message
    assert decide(results).exit_code is ExitCode.INCOMPLETE


def test_zero_results_never_allow() -> None:
    assert decide([]).exit_code is ExitCode.INCOMPLETE


MEMORY_LIMIT = {
    "type": "resource-condition",
    "each": "container",
    "expression": "quantity(container.resources.limits.memory).isLessThan(quantity('1Gi'))"
    " && quantity(container.resources.limits.cpu).compareTo(quantity('500m')) <= 0",
}


def test_quantity_library_judges_container_limits() -> None:
    objs = [
        deployment("small", resources={"limits": {"memory": "512Mi", "cpu": "0.5"}}),
        deployment("big", resources={"limits": {"memory": "1.5Gi", "cpu": "250m"}}),
        deployment("bad", resources={"limits": {"memory": "lots", "cpu": "100m"}}),
    ]
    results = run(policy(MEMORY_LIMIT), objs)
    by_name = {r.resource.name: r.status for r in results if r.resource}
    assert by_name == {"small": Status.PASS, "big": Status.FAIL, "bad": Status.ERROR}
    bad = next(r for r in results if r.resource and r.resource.name == "bad")
    assert "CEL evaluation error" in bad.message and "quantities must match" in bad.message
    assert "lots" not in bad.message  # the failing value may be a secret: never echoed
    assert decide([bad]).exit_code is ExitCode.INCOMPLETE


def test_optional_selection_reads_absent_fields_without_error() -> None:
    check = {
        "type": "resource-condition",
        "expression": "object.?metadata.?annotations['owner'].orValue('') != ''",
    }
    owned = deployment("owned")
    owned["metadata"]["annotations"] = {"owner": "team-a"}
    results = run(policy(check, match={"kinds": ["Deployment"]}), [owned, deployment("orphan")])
    assert [(r.resource.name, r.status) for r in results if r.resource] == [
        ("owned", Status.PASS),
        ("orphan", Status.FAIL),
    ]


def test_unknown_function_is_a_load_error_at_the_policy_field() -> None:
    import pytest

    from regulens.documents import load_text, validate_document
    from regulens.engine.policy import PolicySet
    from regulens.errors import DocumentError

    text = (
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t}\npolicies:\n"
        "  - id: p\n    title: t\n    severity: high\n    check:\n"
        "      type: resource-condition\n"
        "      expression: object.metadata.name.lowerAscci() == 'a'\n"
    )
    with pytest.raises(DocumentError) as info:
        validate_document(load_text(text, "p.yaml")[0], PolicySet)
    problems = [str(p) for p in info.value.problems]
    assert any(
        p.startswith("p.yaml:9:7: policies[0].check:")
        and "unknown method 'lowerAscci' at 1:22; did you mean 'lowerAscii'?" in p
        for p in problems
    ), problems
