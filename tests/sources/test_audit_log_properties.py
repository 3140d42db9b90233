"""Properties of the audit-log reduction: order does not matter, more events never allow."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine import EvalContext, evaluate
from regulens.policies import load_policies
from regulens.snapshot import Snapshot
from regulens.sources.audit_log import read_audit_logs
from regulens.sources.inputs import audit_windows

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
POLICIES = load_policies(["builtin:ops-security-events"]).policies
USERS = ["alice", "bob", "system:node:w1", "system:serviceaccount:kube-system:x", ""]
ACTIONS: list[tuple[str, dict[str, Any], int]] = [
    ("get", {"resource": "secrets", "namespace": "prod", "name": "db"}, 200),
    ("get", {"resource": "pods", "namespace": "prod"}, 401),
    ("list", {"resource": "secrets", "namespace": "prod"}, 403),
    ("impersonate", {"resource": "users", "name": "admin"}, 200),
    ("create", {"resource": "pods", "namespace": "kube-system", "subresource": "exec"}, 101),
    ("create", {"resource": "clusterrolebindings", "apiGroup": "rbac.authorization.k8s.io"}, 201),
    ("list", {"resource": "pods"}, 200),  # neutral: the heartbeat
]
NEUTRAL = len(ACTIONS) - 1
events = st.lists(
    st.tuples(st.sampled_from(USERS), st.integers(0, NEUTRAL - 1), st.integers(0, 1400)),
    max_size=40,
)


def heartbeat() -> list[dict[str, Any]]:
    start = NOW - timedelta(hours=24, minutes=10)
    return [
        line(f"hb-{i}", "system:apiserver", NEUTRAL, start + timedelta(minutes=10 * i))
        for i in range(146)
    ]


def line(audit_id: str, user: str, action: int, at: datetime) -> dict[str, Any]:
    verb, ref, code = ACTIONS[action]
    return {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "auditID": audit_id,
        "stage": "ResponseComplete",
        "verb": verb,
        "user": {"username": user} if user else {},
        "sourceIPs": ["10.0.0.1"],
        "objectRef": ref,
        "responseStatus": {"code": code},
        "requestReceivedTimestamp": at.isoformat(),
    }


def judge(docs: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "audit.log"
        path.write_text("".join(json.dumps(d) + "\n" for d in docs))
        state = read_audit_logs([str(path)], audit_windows(POLICIES, NOW), NOW)
    results = evaluate(POLICIES, Snapshot(audit_events=state), EvalContext(now=NOW))
    return {
        (r.policy, str(r.details.get("user", ""))): (r.status.value, r.details.get("count"))
        for r in results
    }


def as_docs(drawn: list[tuple[str, int, int]]) -> list[dict[str, Any]]:
    start = NOW - timedelta(hours=24)
    return [line(f"e-{i}", u, a, start + timedelta(minutes=m)) for i, (u, a, m) in enumerate(drawn)]


@settings(max_examples=40, deadline=None)
@given(events, st.randoms(use_true_random=False))
def test_line_order_does_not_change_the_results(
    drawn: list[tuple[str, int, int]], rnd: Any
) -> None:
    docs = [*heartbeat(), *as_docs(drawn)]
    shuffled = list(docs)
    rnd.shuffle(shuffled)
    assert judge(docs) == judge(shuffled)


@settings(max_examples=40, deadline=None)
@given(events, events)
def test_more_events_never_turn_a_fail_into_a_pass(
    first: list[tuple[str, int, int]], more: list[tuple[str, int, int]]
) -> None:
    base = as_docs(first)
    extra = [{**d, "auditID": "x" + d["auditID"]} for d in as_docs(more)]
    before = judge([*heartbeat(), *base])
    after = judge([*heartbeat(), *base, *extra])
    for key, (status, count) in before.items():
        if status == "fail":
            assert after[key][0] == "fail" and after[key][1] >= count  # type: ignore[operator]
