"""Real manifests read as the API server would: keys, NUL, BOM, nested Lists, JSON duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regulens.errors import ExitCode, InputDataError
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot
from regulens.snapshot.codec import dump_snapshot, load_snapshot
from regulens.sources.manifests import MAX_LIST_DEPTH, ManifestError, read_manifests

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\n"
SECRET_VALUE = "hunter2-planted-secret"


def manifest_error(tmp_path: Path, text: str | bytes, name: str = "m.yaml") -> str:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    with pytest.raises(ManifestError) as info:
        read_manifests([str(path)])
    assert info.value.exit_code is ExitCode.USAGE
    return info.value.message.replace(str(path), name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an unrendered Helm/Jinja template: the value is a mapping whose key is a mapping
        (CM + "data:\n  cell: {{cell}}\n", "m.yaml:7:10: data.cell: mapping keys must be strings"),
        (CM + "data:\n  ? [a, b]\n  : x\n", "m.yaml:7:5: data: mapping keys must be strings"),
        # the same in a later document: the line is the file's, not the document's
        (CM + "---\n" + CM + "data: {{{x}}: 1}\n", "m.yaml:12:8: data: mapping keys must"),
    ],
)
def test_non_string_keys_are_located_usage_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert manifest_error(tmp_path, text).startswith(expected)


def test_scalar_keys_1_and_true_are_distinct_keys(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(CM + "data:\n  1: one\n  true: yes-value\n  x: 'y'\n")
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    assert cm.obj["data"] == {"1": "one", "true": "yes-value", "x": "y"}


def test_keys_with_the_same_text_are_a_duplicate_at_the_key_line(tmp_path: Path) -> None:
    text = CM + "data:\n  1: one\n  '1': also-one\n"
    assert manifest_error(tmp_path, text) == "m.yaml:8:3: data.1: duplicate key '1'"


def test_duplicate_key_points_at_the_key_not_the_document(tmp_path: Path) -> None:
    text = CM + "---\n" + CM + "data:\n  a: 1\n  b: 2\n  a: 3\n"
    assert manifest_error(tmp_path, text) == "m.yaml:15:3: data.a: duplicate key 'a'"


def test_unclosed_flow_sequence_is_named_where_it_opened(tmp_path: Path) -> None:
    text = CM + "---\n" + CM + "data:\n  x: [a,\n    b\n"
    found = manifest_error(tmp_path, text)
    assert found.startswith("m.yaml:13:6: flow sequence opened here is never closed"), found


def test_nul_byte_is_an_error_not_a_truncated_deployment(tmp_path: Path) -> None:
    # yaml-rs ends the document at the NUL: the Deployment lost its privileged container
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: ns}\n\x00"
        "spec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x\n"
        "        securityContext: {privileged: true}\n"
    )
    assert manifest_error(tmp_path, text) == (
        "m.yaml:4:1: a NUL byte at byte offset 74: not allowed in YAML or JSON text"
    )


def test_nul_byte_in_a_json_manifest(tmp_path: Path) -> None:
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a\x00"}}'
    assert "m.json:1:66: a NUL byte at byte offset 65" in manifest_error(tmp_path, text, "m.json")


@pytest.mark.parametrize("name", ["m.yaml", "m.json"])
def test_bom_at_file_start_is_accepted(tmp_path: Path, name: str) -> None:
    body = CM if name == "m.yaml" else json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                                   "metadata": {"name": "cm"}})  # fmt: skip
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + body.encode())
    (cm,) = read_manifests([str(tmp_path / name)]).resources
    assert cm.kind == "ConfigMap" and cm.name == "cm"
    assert "\ufeffapiVersion" not in cm.obj


def test_list_with_null_items_is_empty(tmp_path: Path) -> None:
    (tmp_path / "l.yaml").write_text("apiVersion: v1\nkind: List\nitems: null\n---\n" + CM)
    assert [r.name for r in read_manifests([str(tmp_path / "l.yaml")]).resources] == ["cm"]


def test_list_items_of_another_type_are_an_error(tmp_path: Path) -> None:
    found = manifest_error(tmp_path, "apiVersion: v1\nkind: List\nitems: {a: 1}\n")
    assert "items: a List needs a list, got dict" in found


def _nested_list(depth: int, leaf: dict[str, object]) -> dict[str, object]:
    obj: dict[str, object] = leaf
    for _ in range(depth):
        obj = {"apiVersion": "v1", "kind": "List", "items": [obj]}
    return obj


def test_nested_list_is_unwrapped_and_its_secret_redacted(tmp_path: Path) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "ns"},
        "stringData": {"password": SECRET_VALUE},
    }
    outer = _nested_list(1, {"apiVersion": "v1", "kind": "SecretList", "items": [secret]})
    outer["items"].append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})  # type: ignore[union-attr]
    (tmp_path / "l.json").write_text(json.dumps(outer))
    state = read_manifests([str(tmp_path / "l.json")])
    assert [(r.kind, r.name) for r in state.resources] == [("Secret", "db"), ("ConfigMap", "c")]
    assert state.resources[0].obj["stringData"]["password"].startswith("sha256:")
    saved = dump_snapshot(Snapshot(kubernetes=state))
    assert SECRET_VALUE.encode() not in saved and b'"kind": "List"' not in saved


def test_list_nesting_is_bounded(tmp_path: Path) -> None:
    leaf = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    (tmp_path / "ok.json").write_text(json.dumps(_nested_list(MAX_LIST_DEPTH, leaf)))
    assert len(read_manifests([str(tmp_path / "ok.json")]).resources) == 1
    found = manifest_error(tmp_path, json.dumps(_nested_list(MAX_LIST_DEPTH + 1, leaf)), "d.json")
    assert f"Lists nested deeper than {MAX_LIST_DEPTH} levels" in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a"},\n'
            ' "data": {"k": "v", "k": "w"}}',
            "m.json:3:21: duplicate key 'k': the JSON is ambiguous",
        ),
        ('{"apiVersion": "v1", "kind": "ConfigMap", "kind": "Secret"}', "m.json:1:43: duplicate"),
        ('{"apiVersion": "v1", "kind": "List", "items": [1,]}', "m.json:1:50: invalid JSON"),
    ],
)
def test_json_manifest_duplicates_are_located_errors(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert manifest_error(tmp_path, text, "m.json").startswith(expected)


def test_huge_integer_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    found = manifest_error(tmp_path, CM + "data:\n  big: 123456789012345678901234567890\n")
    assert found.startswith("m.yaml:7:8: data.big: integer") and "out of range" in found


@pytest.mark.parametrize(
    "obj",
    [
        {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
             "stringData": {"password": SECRET_VALUE}}]},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
         "data": {"password": "aHVudGVyMg=="}},
    ],
)  # fmt: skip
def test_a_saved_snapshot_holding_a_secret_value_is_refused(
    tmp_path: Path, obj: dict[str, object]
) -> None:
    # what a snapshot written before nested Lists were unwrapped (or by hand) may hold
    state = KubernetesState(
        provenance=Provenance(source="manifests"), resources=(Resource.from_object(obj),)
    )
    with pytest.raises(InputDataError, match=r"holds an unexpanded List|holds a Secret value"):
        load_snapshot(dump_snapshot(Snapshot(kubernetes=state)), "snap.json")


def test_alias_bomb_stays_refused_when_the_located_reader_would_accept_it(tmp_path: Path) -> None:
    # yaml-rs stops alias expansion at 100,000 events; the re-read must not undo that refusal
    lines = [CM.rstrip("\n"), "x0: &x0 [" + ",".join(["1"] * 10) + "]"]
    lines += [f"x{i}: &x{i} [" + ",".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, 6)]
    found = manifest_error(tmp_path, CM + "---\n" + "\n".join(lines) + "\n")
    assert found.startswith("m.yaml: document 1 (line 7): alias replay limit exceeded"), found
