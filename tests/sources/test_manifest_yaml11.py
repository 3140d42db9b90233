"""Manifests are read as kubectl reads them (go-yaml v2, YAML 1.1), not as YAML 1.2.

kubectl converts YAML to JSON with sigs.k8s.io/yaml over go-yaml v2, so the API
server receives `privileged: yes` as `true`, `defaultMode: 0644` as 420 and the
keys a merge key (`<<: *defaults`) brings in. A reader that took YAML 1.2's
view would judge another object than the one deployed: `yes` would be the
string "yes" and a CEL rule `privileged == true` would pass a privileged Pod.
The expected values below are go-yaml v2's documented resolution, written out
by hand.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.documents import load_text
from regulens.documents.strict_yaml import KUBERNETES
from regulens.errors import DocumentError
from regulens.sources.manifests import ManifestError, parse_documents, read_manifests
from tests.cli.helpers import run_cli

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: ns\n"


def value_of(tmp_path: Path, text: str) -> Any:
    (tmp_path / "m.yaml").write_text(f"{CM}data:\n  v: {text}\n")
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    return cm.obj["data"]["v"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        *[(t, True) for t in ("yes", "Yes", "YES", "y", "Y", "on", "On", "ON", "true", "True")],
        *[(t, False) for t in ("no", "No", "NO", "n", "N", "off", "Off", "OFF", "false")],
        ("'yes'", "yes"),
        ('"off"', "off"),
        ("0644", 420),  # octal, as in a Secret volume's defaultMode
        ("-017", -15),
        ("0o17", 15),
        ("0x1F", 31),
        ("+0x1F", 31),
        ("0b101", 5),
        ("-0b101", -5),
        ("1_000", 1000),
        ("0", 0),
        ("-0", 0),
        ("10", 10),
        ("09", 9),  # not octal: a float to go-yaml, 9 in the JSON kubectl sends
        ("1.5", 1.5),
        ("1_0.5", 10.5),
        ("~", None),
        ("null", None),
        ("100m", "100m"),
        ("nginx:1.0", "nginx:1.0"),
        ("2024-01-02", "2024-01-02"),
        ("yesterday", "yesterday"),
        ("node", "node"),
        ("0:0", "0:0"),  # go-yaml has no base-60 numbers
    ],
)
def test_plain_scalars_resolve_as_kubectl_reads_them(
    tmp_path: Path, text: str, value: object
) -> None:
    got = value_of(tmp_path, text)
    assert got == value
    assert type(got) is type(value)


def test_special_floats(tmp_path: Path) -> None:
    assert math.isnan(value_of(tmp_path, ".NaN"))
    assert value_of(tmp_path, "+.inf") == math.inf
    assert value_of(tmp_path, "-.INF") == -math.inf


def test_yaml11_words_as_keys_are_the_text_of_their_value(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(CM + "data:\n  yes: a\n  n: b\n  0x10: c\n")
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    assert cm.obj["data"] == {"true": "a", "false": "b", "16": "c"}


def test_a_block_or_quoted_string_is_never_resolved(tmp_path: Path) -> None:
    assert value_of(tmp_path, "|\n    yes\n    0644") == "yes\n0644\n"
    assert value_of(tmp_path, "'0644'") == "0644"


MERGED = """\
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ns
spec:
  containers:
  - &base
    name: a
    image: nginx:1
    securityContext:
      privileged: true
  - <<: *base
    name: b
"""


def test_merge_key_brings_in_the_anchored_keys(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MERGED)
    (pod,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    a, b = pod.obj["spec"]["containers"]
    assert b == {**a, "name": "b"}


def test_merge_key_lists_earlier_mappings_win_and_later_keys_override(tmp_path: Path) -> None:
    text = CM + "x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\ndata:\n  <<: [*x, *y]\n  c: '3'\n"
    (tmp_path / "m.yaml").write_text(text)
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    assert cm.obj["data"] == {"a": 1, "b": 1, "c": "3"}


def test_merge_key_with_an_inline_mapping(tmp_path: Path) -> None:
    text = CM + "data:\n  <<: {a: x}\n  b: y2\n"
    (tmp_path / "m.yaml").write_text(text)
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    assert cm.obj["data"] == {"a": "x", "b": "y2"}


def test_a_quoted_merge_key_is_an_ordinary_key(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(CM + "data:\n  '<<': {a: x}\n")
    (cm,) = read_manifests([str(tmp_path / "m.yaml")]).resources
    assert cm.obj["data"] == {"<<": {"a": "x"}}


def manifest_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(ManifestError) as info:
        read_manifests([str(tmp_path / "m.yaml")])
    return info.value.message.replace(str(tmp_path / "m.yaml"), "m.yaml")


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        # kubectl (go-yaml v2) lets the merge win, kustomize (go-yaml v3) the explicit key
        ("data:\n  a: mine\n  <<: {a: merged}\n", "m.yaml:8:3: data.a: key 'a' is set both"),
        ("data:\n  <<: plain\n", "m.yaml:7:7: data.<<: a merge key (<<) needs a mapping"),
        ("data:\n  <<: [{a: 1}, 2]\n", "m.yaml:7:7: data.<<: a merge key (<<) needs a mapping"),
        ("data:\n  <<: {a: 1}\n  <<: {b: 1}\n", "m.yaml:8:3: data.<<: duplicate merge key"),
        ("data:\n  <<: *nothing\n", "m.yaml:7:7: data.<<: alias *nothing names no anchor"),
    ],
)
def test_merge_keys_kubectl_and_kustomize_would_read_differently_are_errors(
    tmp_path: Path, tail: str, expected: str
) -> None:
    assert manifest_error(tmp_path, CM + tail).startswith(expected)


def test_policies_refuse_merge_keys() -> None:
    with pytest.raises(DocumentError) as info:
        load_text("a:\n  <<: {b: 1}\n", "p.yaml")
    assert "merge keys (<<) are not allowed" in str(info.value.problems[0])


TOKENS = st.sampled_from(
    [
        "yes", "no", "on", "OFF", "y", "N", "true", "null", "~", "0644", "0o17", "0x1F",
        "+0x1F", "0b11", "1_000", "09", "1.5", "0.5", "10", "0", "-3", "100m", "abc",
        "node", "'yes'", '"0644"', "2024-01-02", ".inf", "1e3", "+1", "-0b1", "0_1",
    ]
)  # fmt: skip


PAIRS = st.lists(
    st.tuples(st.sampled_from("abcdefgh"), TOKENS), min_size=1, max_size=6, unique_by=lambda p: p[0]
)


@settings(max_examples=200, deadline=None)
@given(PAIRS, st.booleans())
def test_the_fast_reader_agrees_with_the_exact_reader(
    pairs: list[tuple[str, str]], flow: bool
) -> None:
    """yaml-rs (YAML 1.2) is the fast path; whatever it reads must equal the exact reader's."""
    if flow:
        body = "data: {" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}\n"
    else:
        body = "data:\n" + "".join(f"  {k}: {v}\n" for k, v in pairs)
    text = CM + body
    ((_, _, fast),) = list(parse_documents("m.yaml", text))
    (exact,) = load_text(text, "m.yaml", KUBERNETES)
    assert _same(fast, exact.data)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    "manifest",
    [
        MERGED,
        MERGED.replace("privileged: true", "privileged: yes"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n"
        "  hostNetwork: on\n  containers: [{name: a, image: 'nginx:1'}]\n",
    ],
    ids=["merge-key", "yes", "host-network-on"],
)
def test_what_kubectl_deploys_privileged_is_denied(
    tmp_path: Path, manifest: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pod.yaml").write_text(manifest)
    code, out, _ = run_cli(
        ["evaluate", "--policies", "builtin:pod-security-baseline", "--manifests",
         str(tmp_path / "pod.yaml"), "--format", "json"],
        capsys,
    )  # fmt: skip
    assert code == 1, out
    assert '"status": "fail"' in out.replace('":"', '": "')


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        # the namespace 'no' (Norway) is false to kubectl: the API server refuses the object,
        # so it must not be judged as placed in --namespace
        ("  name: c\n  namespace: no\n", "metadata.namespace: expected a string, got false"),
        ("  name: c\n  namespace: 7\n", "metadata.namespace: expected a string, got 7"),
        ("  name: yes\n", "not a Kubernetes object: missing metadata.name"),
    ],
)
def test_a_name_or_namespace_kubectl_reads_as_a_boolean_is_a_usage_error(
    tmp_path: Path, meta: str, expected: str
) -> None:
    (tmp_path / "m.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n" + meta)
    with pytest.raises(ManifestError) as info:
        read_manifests([str(tmp_path / "m.yaml")])
    assert expected in info.value.message
    if "7" not in meta:
        assert "quote the value" in (info.value.hint or "")
