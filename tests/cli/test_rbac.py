"""`regulens rbac who-can / can-i`, and `--audit-policy` on evaluate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regulens.cli import main

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = str(ROOT / "examples" / "platform")
NONCOMPLIANT = str(ROOT / "examples" / "platform-noncompliant")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_who_can_get_secrets_on_example_platform(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "rbac",
        "who-can",
        "get",
        "secrets",
        "-n",
        "regulensai",
        "--manifests",
        PLATFORM,
        "--format",
        "json",
    )
    assert code == 0
    # security-admin (ClusterRoleBinding) and cluster-admin (system:masters); the
    # read-only regulensai-user Role does not grant secrets.
    assert json.loads(out)["subjects"] == [
        {
            "kind": "Group",
            "name": "security-team",
            "namespace": None,
            "via": [
                {
                    "binding": "ClusterRoleBinding/security-admins",
                    "role": "ClusterRole/security-admin",
                }
            ],
        },
        {
            "kind": "Group",
            "name": "system:masters",
            "namespace": None,
            "via": [
                {"binding": "ClusterRoleBinding/cluster-admin", "role": "ClusterRole/cluster-admin"}
            ],
        },
    ]


def test_who_can_on_noncompliant_platform(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = cli(
        capsys,
        "rbac",
        "who-can",
        "get",
        "secrets",
        "-n",
        "regulensai",
        "--manifests",
        NONCOMPLIANT,
        "--format",
        "json",
    )
    names = [f"{s['kind']}:{s['name']}" for s in json.loads(out)["subjects"]]
    assert names == [
        "Group:regulensai-developers",
        "Group:security-team",
        "Group:system:masters",
        "Group:system:serviceaccounts:regulensai",
        "User:ci-deployer",
    ]


def test_who_can_table_and_pods_in_other_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys, "rbac", "who-can", "list", "pods", "-n", "default", "--manifests", PLATFORM
    )
    assert code == 0
    assert "system:masters" in out and "regulensai-developers" not in out
    code, out, _ = cli(
        capsys, "rbac", "who-can", "list", "pods", "-n", "regulensai", "--manifests", PLATFORM
    )
    assert "regulensai-developers" in out


@pytest.mark.parametrize(
    ("subject", "verb", "resource", "ns", "allowed"),
    [
        ("group:regulensai-developers", "get", "deployments.apps", "regulensai", True),
        ("group:regulensai-developers", "get", "secrets", "regulensai", False),
        ("group:security-team", "delete", "secrets", "regulensai", True),
        ("serviceaccount:regulensai:regulensai-api", "get", "secrets", "regulensai", False),
        ("group:system:masters", "get", "/metrics", None, True),
    ],
)
def test_can_i(
    capsys: pytest.CaptureFixture[str],
    subject: str,
    verb: str,
    resource: str,
    ns: str | None,
    allowed: bool,
) -> None:
    args = ["rbac", "can-i", subject, verb, resource, "--manifests", PLATFORM, "--format", "json"]
    if ns:
        args += ["-n", ns]
    code, out, _ = cli(capsys, *args)
    assert code == (0 if allowed else 1)
    assert json.loads(out)["allowed"] is allowed


def test_can_i_service_account_via_namespace_group(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(
        capsys,
        "rbac",
        "can-i",
        "system:serviceaccount:regulensai:regulensai-api",
        "create",
        "pods/exec",
        "-n",
        "regulensai",
        "--manifests",
        NONCOMPLIANT,
    )
    assert code == 0
    assert out.splitlines() == [
        "yes",
        "  via ClusterRoleBinding/ops-everything → ClusterRole/ops-everything",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["rbac", "can-i", "alice", "get", "pods", "--manifests", PLATFORM],
        ["rbac", "who-can", "get", "pods"],
        ["rbac", "who-can", "get", "/metrics", "-n", "x", "--manifests", PLATFORM],
    ],
)
def test_usage_errors_exit_3(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, _, err = cli(capsys, *args)
    assert code == 3
    assert err.startswith("error:")


def test_evaluate_with_audit_policy_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "audit.yaml"
    policy.write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n")
    base = [
        "evaluate",
        "--policies",
        "builtin:ops-baseline",
        "--select",
        "audit-*",
        "--now",
        "2026-11-30T02:10:00Z",
        "--format",
        "json",
    ]
    code, out, _ = cli(capsys, *base, "--audit-policy", str(policy))
    assert code == 1
    assert {r["status"] for r in json.loads(out)["results"]} == {"fail"}
    code, out, _ = cli(capsys, *base)
    assert code == 2
    assert "--audit-policy FILE" in json.loads(out)["results"][0]["message"]
    code, _, err = cli(capsys, *base, "--audit-policy", str(tmp_path / "nope.yaml"))
    assert code == 3 and "cannot read" in err


def test_can_i_as_group(capsys: pytest.CaptureFixture[str]) -> None:
    base = [
        "rbac",
        "can-i",
        "user:carol",
        "delete",
        "secrets",
        "-n",
        "regulensai",
        "--manifests",
        PLATFORM,
    ]
    assert cli(capsys, *base)[0] == 1
    code, out, _ = cli(capsys, *base, "--as-group", "security-team")
    assert code == 0
    assert "ClusterRoleBinding/security-admins" in out
