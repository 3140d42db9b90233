"""Manifests: multi-document YAML, JSON, List, directories; errors name file and document."""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.sources.manifests import ManifestError, read_manifests

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: ns}}\n"


def test_multi_document_list_json_and_directories(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.yaml").write_text(CM.format(name="a") + "---\n" + CM.format(name="b") + "...\n")
    (tmp_path / "sub" / "list.yml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- " + CM.format(name="c").replace("\n", "\n  ")
    )
    (tmp_path / "sub" / "d.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}'
    )
    (tmp_path / "ignored.txt").write_text("not read")
    state = read_manifests([str(tmp_path)])
    assert [r.name for r in state.resources] == ["a", "b", "d", "c"]  # sorted paths
    assert state.resources[1].source is not None and state.resources[1].source.line == 5
    assert state.get("ConfigMap", "ns", "b") is state.resources[1]
    assert state.provenance.digest.startswith("sha256:") and len(state.provenance.digest) == 71


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", ":2:1: a: duplicate key 'a'"),
        (CM.format(name="a") + "---\nfoo: bar\n", "document 1 (line 5): not a Kubernetes object"),
        ("- 1\n- 2\n", "not a Kubernetes object (a list)"),
        ("a: [1\n", ":1:4: flow sequence opened here is never closed"),
    ],
)
def test_bad_manifests_name_file_and_document(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(ManifestError) as info:
        read_manifests([str(path)])
    assert str(path) in info.value.message and message in info.value.message


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="no such file"):
        read_manifests([str(tmp_path / "nope")])
    with pytest.raises(ManifestError, match=r"no \.yaml"):
        read_manifests([str(tmp_path)])
