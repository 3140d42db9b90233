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
