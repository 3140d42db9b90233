"""The audit check types: policy source, first-match coverage, API server flags."""

from __future__ import annotations

from typing import Any

import pytest

from regulens.engine import EvalContext, Policy, evaluate
from regulens.snapshot import CoverageGap, KubernetesState, Provenance, Resource, Snapshot
from tests.engine.checks.rbac_helpers import NOW, run, statuses

GOOD = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, configmaps]
  - level: None
    users: ["system:kube-proxy"]
    verbs: [watch]
  - level: Request
"""
LEVEL = {
    "type": "audit-level-at-least",
    "level": "Metadata",
    "resources": [{"group": "", "resources": ["secrets", "configmaps"]}],
}


def configmap(text: str, name: str = "audit-policy") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "kube-system"},
        "data": {"audit-policy.yaml": text},
    }


def apiserver(*flags: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "kube-apiserver-cp1",
            "namespace": "kube-system",
            "labels": {"component": "kube-apiserver"},
        },
        "spec": {"containers": [{"name": "kube-apiserver", "command": ["kube-apiserver", *flags]}]},
    }


def test_level_from_configmap_passes() -> None:
    res = run(LEVEL, [configmap(GOOD)])
    assert statuses(res) == ["pass", "pass"]
    assert str(res[0].resource) == "ConfigMap kube-system/audit-policy"


def test_audit_policy_file_wins_over_configmap() -> None:
    dropped = GOOD.replace("level: Metadata", "level: None")
    res = run(LEVEL, [configmap(GOOD)], audit_text=dropped)
    assert statuses(res) == ["fail", "fail"]
    assert "audit.yaml" in res[0].message
    assert statuses(run(LEVEL, None, audit_text=GOOD)) == ["pass", "pass"]


def test_conditional_lower_rule_before_fails_for_those_users() -> None:
    text = GOOD.replace(
        "  - level: Metadata",
        "  - level: None\n    users: [system:kube-proxy]\n    verbs: [watch]\n  - level: Metadata",
        1,
    )
    res = run(LEVEL, [configmap(text)])
    assert statuses(res) == ["fail", "fail"]
    gap = res[0].details["gaps"][0]
    assert gap == {
        "verb": "watch",
        "namespace": None,
        "rule": 0,
        "level": "None",
        "omitted_stage": None,
        "when": ["users system:kube-proxy"],
    }


def test_omitted_response_complete_fails() -> None:
    text = GOOD.replace(
        "omitStages: [RequestReceived]", "omitStages: [RequestReceived, ResponseComplete]"
    )
    res = run(LEVEL, [configmap(text)])
    assert statuses(res) == ["fail", "fail"]
    assert "stage ResponseComplete omitted" in res[0].message


def test_uncovered_resource_falls_to_none() -> None:
    res = run(
        {**LEVEL, "resources": [{"group": "", "resources": ["pods/exec"]}]},
        [configmap(GOOD.replace("  - level: Request\n", ""))],
    )
    assert statuses(res) == ["fail"]
    assert "no rule matches" in res[0].message


@pytest.mark.parametrize(
    ("objects", "text", "message"),
    [
        pytest.param(None, None, "--audit-policy FILE", id="no-input"),
        pytest.param([], None, "not in the snapshot", id="no-configmap"),
        pytest.param(
            [configmap(GOOD, name="other")], None, "not in the snapshot", id="other-configmap"
        ),
        pytest.param([configmap("rules: [\n")], None, "malformed audit policy", id="bad-yaml"),
        pytest.param(
            [configmap(GOOD.replace("level: Request", "level: Everything"))],
            None,
            "malformed audit policy",
            id="bad-level",
        ),
        pytest.param(
            [configmap(GOOD.replace("verbs:", "verb:"))], None, "verb", id="unknown-field"
        ),
        pytest.param(None, "kind: Policy\n", "apiVersion", id="bad-file"),
    ],
)
def test_missing_or_malformed_policy_is_an_error(
    objects: list[dict[str, Any]] | None, text: str | None, message: str
) -> None:
    for check in (LEVEL, {"type": "audit-policy-present"}):
        res = run(check, objects, audit_text=text)
        assert statuses(res) == ["error"]
        assert message in res[0].message


def test_configmap_gap_is_an_error() -> None:
    state = KubernetesState(
        provenance=Provenance(source="test"),
        resources=(Resource.from_object(configmap(GOOD)),),
        gaps=(CoverageGap(kind="ConfigMap", namespace="kube-system", reason="403 Forbidden"),),
    )
    policy = Policy.model_validate({"id": "p", "title": "t", "severity": "high", "check": LEVEL})
    [result] = evaluate([policy], Snapshot(kubernetes=state), EvalContext(now=NOW))
    assert result.status.value == "error"
    assert "403 Forbidden" in result.message


def test_policy_present() -> None:
    assert statuses(run({"type": "audit-policy-present"}, [configmap(GOOD)])) == ["pass"]
    silent = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n"
    assert statuses(run({"type": "audit-policy-present"}, [configmap(silent)])) == ["fail"]
    required = {"type": "audit-policy-present", "require_apiserver": True}
    assert statuses(run(required, [configmap(GOOD)])) == ["pass", "error"]
    on = apiserver(
        "--audit-policy-file=/etc/audit/policy.yaml", "--audit-log-path=/var/log/audit.log"
    )
    assert statuses(run(required, [configmap(GOOD), on])) == ["pass", "pass"]
    off = apiserver("--audit-log-path=/var/log/audit.log")
    res = run(required, [configmap(GOOD), off])
    assert statuses(res) == ["pass", "fail"]
    assert "--audit-policy-file" in res[1].message


RETENTION = {
    "type": "audit-log-retention",
    "min_maxage_days": 30,
    "min_maxbackup": 10,
    "min_maxsize_mb": 100,
}


def test_log_retention() -> None:
    good = apiserver(
        "--audit-log-path",
        "/var/log/audit.log",
        "--audit-log-maxage=30",
        "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100",
    )
    res = run(RETENTION, [good])
    assert statuses(res) == ["pass"]
    assert res[0].details["audit-log-maxage"] == 30
    short = apiserver(
        "--audit-log-path=/var/log/audit.log", "--audit-log-maxage=7", "--audit-log-maxsize=100"
    )
    res = run(RETENTION, [short])
    assert statuses(res) == ["fail"]
    assert "--audit-log-maxage=7 is below the minimum 30" in res[0].message
    assert "--audit-log-maxbackup is not set" in res[0].message
    stdout = apiserver(
        "--audit-log-path=-",
        "--audit-log-maxage=30",
        "--audit-log-maxbackup=10",
        "--audit-log-maxsize=100",
    )
    assert statuses(run(RETENTION, [stdout])) == ["fail"]


def test_log_retention_without_apiserver_is_an_error() -> None:
    res = run(RETENTION, [configmap(GOOD)])
    assert statuses(res) == ["error"]
    assert "kube-apiserver" in res[0].message


def test_probing_named_users_makes_user_rules_concrete() -> None:
    # GOOD's kube-proxy rule comes after the secrets rule; put it first
    text = GOOD.replace(
        "  - level: Metadata",
        "  - level: None\n    users: [system:kube-proxy]\n  - level: Metadata",
        1,
    )
    alice = {**LEVEL, "users": [{"name": "alice"}]}
    assert statuses(run(alice, [configmap(text)])) == ["pass", "pass"]
    proxy = {**LEVEL, "users": [{"name": "system:kube-proxy"}]}
    res = run(proxy, [configmap(text)])
    assert statuses(res) == ["fail", "fail"]
    assert res[0].details["gaps"][0]["user"] == "system:kube-proxy"
    assert res[0].details["gaps"][0]["when"] == []
