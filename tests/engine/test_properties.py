"""Properties of evaluate/decide: monotone in violations, deterministic, summaries add up."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine import EvalContext, Status, decide, evaluate
from tests.engine.helpers import NOW, deployment, policy, snapshot

POLICIES = [
    policy(
        {"type": "resource-condition", "each": "container",
         "expression": "!has(container.securityContext) || "
                       "!has(container.securityContext.privileged) || "
                       "!container.securityContext.privileged"},
        id="no-privileged",
    ),
    policy(
        {"type": "resource-condition", "expression": "object.spec.replicas >= 2"},
        id="replicas", match={"kinds": ["Deployment"]},
    ),
    policy(
        {"type": "resource-condition", "expression": "object.spec.replicas >= 3"},
        id="replicas-warn", enforcement="warn", match={"kinds": ["Deployment"]},
    ),
]  # fmt: skip

deployments = st.builds(
    lambda i, replicas, privileged: {
        **deployment(f"d{i}", securityContext={"privileged": privileged}),
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [{"name": "c", "securityContext": {"privileged": privileged}}]
                }
            },
        },
    },
    st.integers(0, 1000),
    st.integers(0, 5),
    st.booleans(),
)


def _unique(objs: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    seen: dict[str, dict] = {}  # type: ignore[type-arg]
    for o in objs:
        seen.setdefault(o["metadata"]["name"], o)
    return list(seen.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(deployments, max_size=8), deployments)
def test_adding_a_violation_never_turns_deny_into_allow(objs: list[dict], extra: dict) -> None:  # type: ignore[type-arg]
    objs = _unique(objs)
    before = decide(evaluate(POLICIES, snapshot(objs), EvalContext(now=NOW)))
    extra = {**extra, "metadata": {**extra["metadata"], "name": "violator"}}
    extra["spec"]["replicas"] = 0
    after = decide(evaluate(POLICIES, snapshot([*objs, extra]), EvalContext(now=NOW)))
    assert not after.allowed
    if not before.allowed:
        assert not after.allowed


@settings(max_examples=40, deadline=None)
@given(st.lists(deployments, max_size=8))
def test_results_are_deterministic_and_summary_adds_up(objs: list[dict]) -> None:  # type: ignore[type-arg]
    objs = _unique(objs)
    first = evaluate(POLICIES, snapshot(objs), EvalContext(now=NOW))
    second = evaluate(POLICIES, snapshot(objs), EvalContext(now=NOW))
    assert [r.to_json() for r in first] == [r.to_json() for r in second]
    summary = decide(first).summary
    assert summary.total == len(first)
    assert summary.failed == sum(r.status is Status.FAIL for r in first)
    assert summary.warned == sum(r.status is Status.WARN for r in first)
