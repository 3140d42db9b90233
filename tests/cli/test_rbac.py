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


# argo-cd's install.yaml is applied with `kubectl apply -n argocd`: its Roles, RoleBindings
# and ServiceAccounts carry no namespace, nor do the RoleBinding's ServiceAccount subjects.
ARGO_INSTALL = """\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: argocd-dex-server
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: argocd-dex-server
rules:
- apiGroups: [""]
  resources: [secrets, configmaps]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: argocd-dex-server
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: argocd-dex-server
subjects:
- kind: ServiceAccount
  name: argocd-dex-server
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: argocd-server
rules:
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [argocd-secret]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: argocd-server
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: argocd-server}
subjects:
- kind: ServiceAccount
  name: argocd-server
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: argocd-application-controller
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
"""
DEX = "serviceaccount:argocd:argocd-dex-server"


@pytest.fixture
def argo(tmp_path: Path) -> str:
    path = tmp_path / "install.yaml"
    path.write_text(ARGO_INSTALL)
    return str(path)


@pytest.mark.parametrize("flag", ["-n", "--namespace"])
def test_can_i_on_namespaceless_manifests_applied_to_a_namespace(
    capsys: pytest.CaptureFixture[str], argo: str, flag: str
) -> None:
    code, out, err = cli(
        capsys, "rbac", "can-i", DEX, "get", "secrets", flag, "argocd", "--manifests", argo
    )
    assert code == 0
    assert out.splitlines() == [
        "yes",
        "  via RoleBinding/argocd/argocd-dex-server → Role/argocd/argocd-dex-server",
    ]
    assert err.splitlines() == [
        "note: 5 namespaced object(s) without metadata.namespace placed in namespace argocd "
        "(--namespace)"
    ]


def test_a_rolebinding_never_grants_outside_its_namespace(
    capsys: pytest.CaptureFixture[str], argo: str
) -> None:
    # placed in default (kubectl's default namespace), nothing is granted in argocd
    code, out, _ = cli(
        capsys, "rbac", "can-i", "serviceaccount:default:argocd-dex-server", "get", "secrets",
        "-n", "argocd", "--manifests", argo,
    )  # fmt: skip
    assert (code, out) == (1, "no\n")
    # nor cluster-wide
    code, out, _ = cli(capsys, "rbac", "can-i", DEX, "get", "secrets", "--manifests", argo)
    assert (code, out) == (1, "no\n")


def test_who_can_marks_subjects_limited_to_named_secrets(
    capsys: pytest.CaptureFixture[str], argo: str
) -> None:
    args = ["rbac", "who-can", "get", "secrets", "-n", "argocd", "--manifests", argo]
    code, out, _ = cli(capsys, *args, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [(s["name"], s["namespace"], s.get("resourceNames")) for s in doc["subjects"]] == [
        ("argocd-dex-server", "argocd", None),
        ("argocd-server", "argocd", ["argocd-secret"]),
    ]
    assert doc["notes"] == [
        "5 namespaced object(s) without metadata.namespace placed in namespace argocd (--namespace)"
    ]
    code, out, _ = cli(capsys, *args)
    assert code == 0 and "only named" in out and "argocd-secret" in out
    # can-i without --name keeps Kubernetes' answer; with the name it is yes
    server = ["rbac", "can-i", "serviceaccount:argocd:argocd-server", "get", "secrets"]
    assert cli(capsys, *server, "-n", "argocd", "--manifests", argo)[0] == 1
    named = [*server, "-n", "argocd", "--name", "argocd-secret", "--manifests", argo]
    assert cli(capsys, *named)[0] == 0


def test_evaluate_and_snapshot_record_the_namespace(
    capsys: pytest.CaptureFixture[str], argo: str, tmp_path: Path
) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t, version: '1'}\n"
        "policies:\n- id: secrets-restricted\n  title: t\n  severity: high\n  check:\n"
        "    type: rbac-permission-restricted\n    namespaces: [argocd]\n"
        "    permissions: [{resources: [secrets], verbs: [get]}]\n"
    )
    base = ["evaluate", "--policies", str(policy), "--now", "2026-11-30T02:10:00Z"]
    code, out, _ = cli(capsys, *base, "--manifests", argo, "-n", "argocd", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["coverage"]["complete"] is True
    assert [(n["namespace"], n["count"]) for n in doc["coverage"]["notes"]] == [("argocd", 5)]
    assert "argocd-dex-server" in doc["results"][0]["message"]
    code, out, _ = cli(capsys, *base, "--manifests", argo, "-n", "argocd")
    assert code == 1 and "note: 5 namespaced object(s)" in out
    code, out, _ = cli(capsys, *base, "--manifests", argo, "-n", "argocd", "--format", "markdown")
    assert "### Coverage notes" in out
    saved = tmp_path / "snap.json"
    code, _, _ = cli(capsys, "snapshot", "--manifests", argo, "-n", "argocd", "-o", str(saved))
    assert code == 0
    section = json.loads(saved.read_text())["kubernetes"]
    assert section["provenance"]["namespace"] == "argocd"
    assert [n["count"] for n in section["notes"]] == [5]
    code, out, err = cli(capsys, "rbac", "can-i", DEX, "get", "secrets", "-n", "argocd",
                         "--snapshot", str(saved))  # fmt: skip
    assert code == 0 and out.startswith("yes") and "placed in namespace argocd" in err


@pytest.mark.parametrize(
    "extra",
    [
        ["--namespace", "Not_A_Namespace", "--manifests", "{argo}"],
        ["--namespace", "argocd", "--snapshot", "{argo}"],
    ],
)
def test_bad_namespace_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], argo: str, extra: list[str]
) -> None:
    args = [a.replace("{argo}", argo) for a in extra]
    code, _, err = cli(
        capsys, "evaluate", "--policies", "builtin:ops-baseline", "--select", "rbac-*", *args
    )
    assert code == 3 and err.startswith("error:")
    assert "Traceback" not in err


def test_no_wildcards_on_mixed_roles_reports_instead_of_crashing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "roles.yaml"
    path.write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: a}\n"
        "rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n---\n"
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: a, namespace: x}\n"
        "rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]\n"
    )
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: t, version: '1'}\n"
        "policies:\n- id: no-wildcards\n  title: t\n  severity: high\n"
        "  check: {type: rbac-no-wildcards}\n"
    )
    code, out, err = cli(
        capsys, "evaluate", "--policies", str(policy), "--manifests", str(path), "-n", "w",
        "--format", "json", "--now", "2026-11-30T02:10:00Z",
    )  # fmt: skip
    assert code == 1, err
    assert [r["details"]["role"] for r in json.loads(out)["results"]] == ["Role/w/a", "Role/x/a"]


def test_who_can_and_can_i_show_hostile_names_inert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "evil\x1b[2J[bold]x[/bold]"
    (tmp_path / "rbac.json").write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    {
                        "apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "ClusterRole",
                        "metadata": {"name": "reader"},
                        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],
                    },
                    {
                        "apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "ClusterRoleBinding",
                        "metadata": {"name": hostile.replace("[", "")},
                        "roleRef": {
                            "apiGroup": "rbac.authorization.k8s.io",
                            "kind": "ClusterRole",
                            "name": "reader",
                        },
                        "subjects": [
                            {
                                "apiGroup": "rbac.authorization.k8s.io",
                                "kind": "User",
                                "name": hostile,
                            }
                        ],
                    },
                ],
            }
        )
    )
    manifests = str(tmp_path / "rbac.json")
    code, out, _ = cli(capsys, "rbac", "who-can", "get", "secrets", "--manifests", manifests)
    assert code == 0
    assert "\x1b" not in out and "\\x1b[2J[bold]x[/bold]" in out
    code, out, _ = cli(
        capsys, "rbac", "can-i", f"user:{hostile}", "get", "secrets", "--manifests", manifests
    )
    assert code == 0 and "\x1b" not in out and "via" in out
