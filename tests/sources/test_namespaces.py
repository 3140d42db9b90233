"""Namespace placement of manifest objects without one (`kubectl apply -n`), after parsing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from regulens.errors import ConfigError
from regulens.snapshot import Resource
from regulens.sources.inputs import InputRequest
from regulens.sources.manifests import read_manifests
from regulens.sources.namespaces import (
    CLUSTER_SCOPED_KINDS,
    GroupKind,
    check_namespace,
    place_in_namespace,
)


def obj(api: str, kind: str, name: str, ns: str | None = None, **extra: Any) -> Resource:
    meta: dict[str, Any] = {"name": name}
    if ns is not None:
        meta["namespace"] = ns
    return Resource.from_object({"apiVersion": api, "kind": kind, "metadata": meta, **extra})


def crd(group: str, kind: str, scope: str) -> Resource:
    spec = {"group": group, "names": {"kind": kind, "plural": kind.lower() + "s"}, "scope": scope}
    return obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"x.{group}", spec=spec)


def test_namespaced_kinds_are_placed_and_cluster_scoped_never() -> None:
    resources = [
        obj("rbac.authorization.k8s.io/v1", "Role", "r"),
        obj("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
        obj("v1", "ServiceAccount", "sa"),
        obj("apps/v1", "Deployment", "d", ns="elsewhere"),
        obj("v1", "ConfigMap", "empty-ns", ns=""),  # "" is unset, as kubectl treats it
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", "cr"),
        obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "crb"),
        obj("v1", "Namespace", "argocd"),
        obj("storage.k8s.io/v1", "StorageClass", "fast"),
        obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "things.example.com"),
    ]
    placed = place_in_namespace(resources, "argocd")
    assert [(r.kind, r.namespace) for r in placed.resources] == [
        ("Role", "argocd"),
        ("RoleBinding", "argocd"),
        ("ServiceAccount", "argocd"),
        ("Deployment", "elsewhere"),
        ("ConfigMap", "argocd"),
        ("ClusterRole", None),
        ("ClusterRoleBinding", None),
        ("Namespace", None),
        ("StorageClass", None),
        ("CustomResourceDefinition", None),
    ]
    assert placed.resources[0].obj["metadata"] == {"name": "r", "namespace": "argocd"}
    assert resources[0].obj["metadata"] == {"name": "r"}  # the parsed object is not mutated
    assert placed.resources[3] is resources[3]
    note = placed.note
    assert note is not None and (note.count, note.unknown_scope) == (4, 0)
    assert note.message == (
        "4 namespaced object(s) without metadata.namespace placed in namespace argocd (--namespace)"
    )


def test_the_kind_alone_does_not_decide_its_group_does() -> None:
    # a custom resource named like a cluster-scoped built-in kind is namespaced
    placed = place_in_namespace([obj("example.com/v1", "ClusterRole", "x")], "a")
    assert placed.resources[0].namespace == "a"
    assert GroupKind("rbac.authorization.k8s.io", "ClusterRole") in CLUSTER_SCOPED_KINDS


def test_custom_resources_follow_a_crd_among_the_inputs_else_are_assumed_namespaced() -> None:
    resources = [
        crd("cert-manager.io", "ClusterIssuer", "Cluster"),
        crd("cert-manager.io", "Issuer", "Namespaced"),
        obj("cert-manager.io/v1", "ClusterIssuer", "letsencrypt"),
        obj("cert-manager.io/v1", "Issuer", "local"),
        obj("velero.io/v1", "Schedule", "daily"),  # no CRD in the inputs: scope unknown
    ]
    placed = place_in_namespace(resources, "ops")
    assert [r.namespace for r in placed.resources[2:]] == [None, "ops", "ops"]
    assert placed.note is not None and (placed.note.count, placed.note.unknown_scope) == (2, 1)
    assert "1 of kinds of unknown scope, assumed namespaced" in placed.note.message


def test_nothing_to_place_gives_no_note() -> None:
    placed = place_in_namespace([obj("v1", "ConfigMap", "c", ns="a"), obj("v1", "Node", "n")], "x")
    assert placed.note is None


def test_read_manifests_records_the_namespace_and_one_note(tmp_path: Path) -> None:
    text = "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(50)
    )
    (tmp_path / "m.yaml").write_text(
        text + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n"
    )
    state = read_manifests([str(tmp_path)], "team")
    assert state.provenance.namespace == "team"
    assert len(state.notes) == 1 and state.notes[0].count == 50
    assert state.get("ConfigMap", "team", "c7") is not None
    assert state.get("Namespace", None, "team") is not None
    other = read_manifests([str(tmp_path)])
    assert other.provenance.namespace == "default"
    assert other.get("ConfigMap", "default", "c7") is not None
    assert other.provenance.digest != state.provenance.digest  # the digest covers the placement


@pytest.mark.parametrize(
    "name",
    ["", "Argocd", "a_b", "a/b", "-a", "a-", "a" * 64, "a\x1b[31m", "a\nb", "kube system"],
)
def test_hostile_namespace_names_are_usage_errors(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        check_namespace(name)
    assert info.value.exit_code == 3
    assert "\x1b" not in info.value.message and "\n" not in info.value.message


def test_valid_namespace_names() -> None:
    for name in ("argocd", "a", "kube-system", "a" * 63, "0team"):
        assert check_namespace(name) == name


def test_namespace_needs_manifests() -> None:
    with pytest.raises(ConfigError, match="give --manifests"):
        InputRequest(snapshot="s.json", namespace="argocd").check()
    InputRequest(manifests=("m.yaml",), namespace="argocd").check()
