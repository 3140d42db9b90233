"""Handing CEL only the fields an expression reads gives the same answers as the whole object."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine.cel_runtime import compile_program
from regulens.engine.checks.resource_condition import _needed_fields, _variables

EXPRESSIONS = [
    "!has(container.securityContext) || !has(container.securityContext.privileged)"
    " || container.securityContext.privileged == false",
    "has(container.resources) && has(container.resources.limits)"
    " && 'cpu' in container.resources.limits",
    "has(container.image) && container.image.matches(':[^/:@]+$')"
    " && !container.image.endsWith(':latest')",
    "object.spec.replicas >= 2",
    "has(object.spec.minReplicas) && object.spec.metrics.exists(m, m.type == 'Resource')",
    "object.metadata.labels['app'] == 'api'",
    "size(object.metadata) > 1",
    "object == object",
    "object.spec.template.spec.containers.all(c, has(c.resources))",
    "has(object.spec) && object . spec . replicas > 0",
    "object.?metadata.?labels.app.orValue('') == 'api'",
    "object.?spec.replicas.orValue(0) > 1 && container.?securityContext.privileged.hasValue()",
    "object.metadata[?'labels'].hasValue() && quantity(container.?resources.limits.cpu"
    ".orValue('0')).isInteger()",
]

OBJECTS: list[dict[str, Any]] = [
    {"metadata": {"name": "a", "labels": {"app": "api"}}, "spec": {"replicas": 3}},
    {"metadata": {"name": "b"}, "spec": {"replicas": 1, "minReplicas": 3, "metrics": []}},
    {"metadata": {"name": "c"}, "spec": None},
    {
        "metadata": {"name": "d"},
        "spec": {
            "replicas": "x",
            "template": {"spec": {"containers": [{"name": "x", "resources": {}}]}},
        },
    },
    {"metadata": {"name": "e"}},
]
CONTAINERS: list[dict[str, Any]] = [
    {"name": "a", "image": "r/a:v1", "securityContext": {"privileged": True}},
    {"name": "b", "image": "r/b:latest", "resources": {"limits": {"cpu": "1"}}},
    {"name": "c", "securityContext": None, "resources": {"limits": None}},
    {"name": "d", "image": 5, "securityContext": {"privileged": "yes"}},
]


def _run(program: Any, variables: dict[str, Any]) -> Any:
    try:
        return ("value", program.execute(variables))
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_pruned_variables_give_the_same_result(expression: str) -> None:
    program = compile_program(expression)
    needs = _needed_fields(program, expression)
    for obj in OBJECTS:
        for container in CONTAINERS:
            full = {"object": obj, "container": container}
            assert _run(program, _variables(needs, obj, container)) == _run(program, full)


def test_only_named_fields_are_handed_over() -> None:
    expression = "has(container.securityContext.privileged) && container.image.matches('x')"
    needs = _needed_fields(compile_program(expression), expression)
    assert needs == {"container": {"securityContext": {"privileged": None}, "image": None}}
    container = {"image": "x", "env": [{"name": "A"}], "securityContext": {"privileged": True}}
    assert _variables(needs, {"spec": {}}, container) == {
        "container": {"image": "x", "securityContext": {"privileged": True}}
    }


def test_whole_variable_use_hands_over_everything() -> None:
    for expression in ("object == object", "object['spec'].x == 1", "size(object) > 0"):
        assert _needed_fields(compile_program(expression), expression) == {"object": None}


def test_repeated_inputs_give_each_resource_its_own_finding() -> None:
    from datetime import UTC, datetime

    from regulens.engine.checks.resource_condition import ResourceCondition
    from regulens.engine.context import EvalContext
    from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot

    def deploy(name: str, image: Any) -> Resource:
        spec = {"template": {"spec": {"containers": [{"name": "c", "image": image}]}}}
        return Resource.from_object(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name},
                "spec": spec,
            }
        )

    check = ResourceCondition(
        type="resource-condition", each="container", expression="container.image.endsWith(':v1')"
    )
    resources = (deploy("a", "x:v1"), deploy("b", "x:v1"), deploy("c", 5), deploy("d", 5))
    state = KubernetesState.model_construct(
        provenance=Provenance(source="t"), resources=resources, gaps=()
    )
    findings = list(check.evaluate(Snapshot(kubernetes=state), EvalContext(now=datetime.now(UTC))))
    assert [f.resource.name for f in findings if f.resource] == ["a", "b", "c", "d"]
    assert [f.status.value for f in findings] == ["pass", "pass", "error", "error"]
    assert findings[2].message == findings[3].message
    assert "CEL evaluation error" in findings[2].message
