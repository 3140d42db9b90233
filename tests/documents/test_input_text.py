"""Bytes every reader must agree on: BOM, NUL, control characters, and the strict JSON reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.documents import load_documents, load_text
from regulens.documents.strict_json import loads_json
from regulens.documents.strict_yaml import KUBERNETES
from regulens.documents.text import decode_text
from regulens.errors import DocumentError


def problems_of(call: object, *args: object) -> list[str]:
    with pytest.raises(DocumentError) as info:
        call(*args)  # type: ignore[operator]
    return [str(p) for p in info.value.problems]


def test_nul_in_yaml_names_file_offset_and_position() -> None:
    # libyaml used to stop at the NUL (a traceback here; silent truncation in yaml-rs)
    assert problems_of(load_text, "a: 1\nb: x\x00y\n", "p.yaml") == [
        "p.yaml:2:5: a NUL byte at byte offset 9: not allowed in YAML or JSON text"
    ]


def test_nul_offset_counts_bytes_not_characters(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes("\ufeffé: 1\n\x00".encode())
    (found,) = problems_of(load_documents, str(path))
    assert "byte offset 9" in found and found.startswith(f"{path}:2:1:")


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f"])
def test_control_characters_in_yaml_are_errors_not_tracebacks(char: str) -> None:
    (found,) = problems_of(load_text, f"a: 1\nb: x{char}[2J\n", "p.yaml")
    assert found.startswith("p.yaml:2:5: control character U+00") and "byte offset 9" in found


def test_c1_character_is_a_located_error() -> None:
    (found,) = problems_of(load_text, "a: \x80\n", "p.yaml")
    assert found == "p.yaml:1:4: character U+0080 is not allowed"


def test_bom_at_file_start_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_documents(str(path))[0].data == {"a": 1}
    assert decode_text(b"\xef\xbb\xbf{}", "f.json", yaml=False) == "{}"


def test_invalid_utf8_names_byte_offset_and_line() -> None:
    (found,) = problems_of(decode_text, b"a: 1\nb: \xff\n", "p.yaml")
    assert found == "p.yaml:2:4: not UTF-8 text (byte offset 8)"


def test_unclosed_flow_sequence_is_named_where_it_was_opened() -> None:
    text = "a: 1\nb: 2\nc:\n  x: [1, 2,\n  zz: 3\n"
    (found,) = problems_of(load_text, text, "p.yaml")
    assert found.startswith("p.yaml:4:6: flow sequence opened here is never closed")


def test_unclosed_flow_mapping_is_named_where_it_was_opened() -> None:
    (found,) = problems_of(load_text, "a:\n    b: {x: 1,\n  c: 2\n", "p.yaml")
    assert found.startswith("p.yaml:2:8: flow mapping opened here is never closed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1,\n "b": {"c": 1, "c": 2}}', "f.json:2:16: duplicate key 'c'"),
        ('{"a": 1,\n "b": 2,\n   "a": 3}', "f.json:3:4: duplicate key 'a'"),
        ('{"k": [{"k": 1}, {"k": 2}], "k": 3}', "f.json:1:29: duplicate key 'k'"),
        ('{"a": NaN}', "f.json: invalid JSON: NaN is not JSON"),
        ('{"a": -Infinity}', "f.json: invalid JSON: -Infinity is not JSON"),
        ('{"a": 123456789012345678901234567890}', "is out of range"),
        ('{"a": "\\ud800"}', "f.json:1:8: invalid JSON"),
        ('{"a": 1,}', "f.json:1:9: invalid JSON"),
        ('{"a": "x\x00"}', "f.json:1:9: a NUL byte at byte offset 8"),
        ("[" * 300 + "]" * 300, "nested deeper than 254 levels"),
        ("[" * 100_000, "invalid JSON"),
        ("", "f.json:1:1: invalid JSON"),
    ],
)
def test_strict_json_errors_are_located(text: str, expected: str) -> None:
    (found,) = problems_of(loads_json, text, "f.json")
    assert found.startswith(expected) or expected in found, found


def test_strict_json_reads_valid_json() -> None:
    assert loads_json('\ufeff{"a": [1, 2.5, "\\ud83d\\ude00", null, true], "b": {}}', "f") == {
        "a": [1, 2.5, "\U0001f600", None, True],
        "b": {},
    }
    # equal keys in different objects are not duplicates
    assert loads_json('{"a": {"x": 1}, "b": {"x": 2}}', "f") == {"a": {"x": 1}, "b": {"x": 2}}


def test_kubernetes_rules_read_scalar_keys_as_text() -> None:
    doc = load_text("data:\n  1: a\n  true: b\n  null: c\n  0x10: d\n", "m.yaml", KUBERNETES)[0]
    assert doc.data == {"data": {"1": "a", "true": "b", "null": "c", "16": "d"}}


def test_kubernetes_rules_refuse_keys_that_are_the_same_text() -> None:
    assert problems_of(load_text, "data:\n  1: a\n  '1': b\n", "m.yaml", KUBERNETES) == [
        "m.yaml:3:3: data.1: duplicate key '1'"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: {{cell}}\n", "m.yaml:2:5: b: mapping keys must be strings, got a mapping"),
        ("? [a, b]\n: 1\n", "m.yaml:1:3: mapping keys must be strings, got a sequence"),
    ],
)
def test_collection_keys_are_errors_in_both_rule_sets(text: str, expected: str) -> None:
    for rules in (KUBERNETES, None):
        args = (text, "m.yaml") if rules is None else (text, "m.yaml", rules)
        assert any(p.startswith(expected) for p in problems_of(load_text, *args))


def test_kubernetes_rules_expand_aliases_within_a_node_budget() -> None:
    doc = load_text("a: &x {b: [1, 2]}\nc: *x\n", "m.yaml", KUBERNETES)[0]
    assert doc.data == {"a": {"b": [1, 2]}, "c": {"b": [1, 2]}}
    assert doc.data["a"] is not doc.data["c"]  # a copy: redacting one never edits the other
    lines = ["a: &a [" + ",".join(["1"] * 10) + "]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    (found,) = problems_of(load_text, "\n".join(lines) + "\n", "m.yaml", KUBERNETES)
    assert "more than 2000000 nodes" in found


def test_huge_integer_is_a_located_error() -> None:
    (found,) = problems_of(load_text, "a:\n  b: 123456789012345678901234567890\n", "p.yaml")
    assert found.startswith("p.yaml:2:6: a.b: integer 1234") and "out of range" in found


def test_kubernetes_rules_allow_deeper_nesting_but_bound_it() -> None:
    deep = "a: " + "[" * 100 + "]" * 100 + "\n"
    assert any("nested deeper than 64" in p for p in problems_of(load_text, deep, "p.yaml"))
    assert load_text(deep, "m.yaml", KUBERNETES)[0].data is not None
    deeper = "a: " + "[" * 200 + "]" * 200 + "\n"
    (found,) = problems_of(load_text, deeper, "m.yaml", KUBERNETES)
    assert "nested deeper than 128 levels" in found
