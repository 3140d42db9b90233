"""`change-category-matches-diff`: the least category a manifest diff needs, per object."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from regulens.engine import EvalContext, Status, evaluate
from regulens.engine.checks.change_category_matches_diff import patch_bump
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.snapshot.change import Category
from tests.engine.helpers import NOW, deployment, policy
from tests.engine.test_change_checks import change

CHECK = {"type": "change-category-matches-diff"}
CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "namespace": "app"},
    "data": {"LOG_LEVEL": "info"},
}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "rb", "namespace": "app"},
    "roleRef": {"kind": "Role", "name": "r", "apiGroup": "rbac.authorization.k8s.io"},
}


def state(objects: list[dict[str, Any]], source: str = "manifests") -> KubernetesState:
    return KubernetesState.model_construct(
        provenance=Provenance(source=source),
        resources=tuple(Resource.from_object(o) for o in objects),
        gaps=(),
    )


def base() -> list[dict[str, Any]]:
    api = deployment("api", image="reg/api:v1.2.3")
    api["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}
    return [api, copy.deepcopy(CONFIG), copy.deepcopy(BINDING)]


def edit(objects: list[dict[str, Any]], path: str, value: Any) -> list[dict[str, Any]]:
    """Set a dotted path (ints index lists) on the object named by its first element."""
    out = copy.deepcopy(objects)
    name, *keys = path.split(".")
    node: Any = next(o for o in out if o["metadata"]["name"] == name)
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    node[keys[-1]] = value
    return out


CONTAINER = "api.spec.template.spec.containers.0"


@pytest.mark.parametrize(
    ("new", "needed", "reason"),
    [
        (edit(base(), "cfg.data.LOG_LEVEL", "debug"), "standard", "ConfigMap data.LOG_LEVEL"),
        (edit(base(), f"{CONTAINER}.image", "reg/api:v1.2.4"), "standard", "image patch bump"),
        (edit(base(), f"{CONTAINER}.resources", {"limits": {"cpu": "2"}}), "standard",
         "resource tweak"),
        (edit(base(), f"{CONTAINER}.image", "reg/api:v1.3.0"), "normal", "beyond a patch bump"),
        (edit(base(), f"{CONTAINER}.image", "reg/api:v1.2.2"), "normal", "beyond a patch bump"),
        (edit(base(), "api.spec.replicas", 5), "normal", "spec.replicas changed"),
        (edit(base(), "cfg.metadata.labels", {"a": "b"}), "normal", "metadata.labels"),
        (edit(base(), "rb.roleRef.name", "admin"), "normal", "RBAC object: roleRef.name"),
        ([*base(), {**BINDING, "metadata": {"name": "rb2", "namespace": "app"}}], "normal",
         "new RBAC RoleBinding"),
        ([*base(), deployment("new")], "normal", "new workload Deployment"),
        ([*base(), {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}],
         "normal", "new namespace Namespace"),
        ([*base(), {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                    "metadata": {"name": "i", "namespace": "app"}}], "normal", "new Ingress"),
        ([*base(), {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "metadata": {"name": "x.example.com"}}], "normal", "new CRD"),
        (base()[:2], "normal", "deleted RBAC RoleBinding"),
    ],
)  # fmt: skip
def test_classification_table(new: list[dict[str, Any]], needed: str, reason: str) -> None:
    snap = Snapshot(
        kubernetes=state(new), baseline=state(base()), change=change(category="standard").change
    )
    changed = evaluate([policy(CHECK)], snap, EvalContext(now=NOW))
    assert len(changed) == 1, [r.message for r in changed]
    (result,) = changed
    assert result.details["needed"] == needed
    assert any(reason in r for r in result.details["reasons"]), result.details["reasons"]
    assert result.status is (Status.PASS if needed == "standard" else Status.FAIL)
    assert result.resource is not None


@pytest.mark.parametrize("declared", list(Category))
def test_declared_category_at_least_needed(declared: Category) -> None:
    new = [*base(), deployment("new")]
    snap = Snapshot(
        kubernetes=state(new), baseline=state(base()), change=change(category=declared).change
    )
    (result,) = evaluate([policy(CHECK)], snap, EvalContext(now=NOW))
    assert (result.status is Status.PASS) == (declared is not Category.STANDARD)


def test_no_difference_passes_once() -> None:
    snap = Snapshot(
        kubernetes=state(base()), baseline=state(base()), change=change(category="standard").change
    )
    (result,) = evaluate([policy(CHECK)], snap, EvalContext(now=NOW))
    assert result.status is Status.PASS and "no differences" in result.message


def test_live_baseline_ignores_server_fields_defaults_and_controller_objects() -> None:
    live = copy.deepcopy(base())
    for obj in live:
        obj["metadata"].update(uid="u", resourceVersion="7", managedFields=[{"x": 1}])
        obj["status"] = {"observedGeneration": 3}
    live[0]["spec"]["progressDeadlineSeconds"] = 600  # a server default, absent in the manifest
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "api-x", "namespace": "app"}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "system:x"}}  # fmt: skip
    snap = Snapshot(
        kubernetes=state(base()),
        baseline=state([*live, pod, role], source="kubernetes"),
        change=change(category="standard").change,
    )
    (result,) = evaluate([policy(CHECK)], snap, EvalContext(now=NOW))
    assert result.status is Status.PASS and "no differences" in result.message


def test_missing_baseline_is_an_error_naming_the_flag() -> None:
    snap = Snapshot(kubernetes=state(base()), change=change().change)
    (result,) = evaluate([policy(CHECK)], snap, EvalContext(now=NOW))
    assert result.status is Status.ERROR and "--current-manifests" in result.message


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("a:1.2.3", "a:1.2.4", True),
        ("reg:5000/a:v1.2.3", "reg:5000/a:v1.2.10", True),
        ("a:1.2.3-alpine", "a:1.2.4-alpine", True),
        ("a:1.2.3-alpine", "a:1.2.4", False),
        ("a:1.2.3", "b:1.2.4", False),
        ("a:1.2.3", "a:1.3.0", False),
        ("a:1.2.3", "a:v1.2.4", False),
        ("a:latest", "a:1.2.4", False),
        ("a:1.2.3", "a@sha256:abc", False),
        ("a:1.2.4", "a:1.2.3", False),
    ],
)
def test_patch_bump(old: str, new: str, bump: bool) -> None:
    assert patch_bump(old, new) is bump
