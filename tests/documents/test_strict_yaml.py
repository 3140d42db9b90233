"""Every class of bad policy input is an error with file:line:col, and good input loads."""

from __future__ import annotations

import math
import textwrap

import pytest

from regulens.documents import load_text, validate_document
from regulens.documents.strict_yaml import resolve_plain
from regulens.engine.policy import PolicySet
from regulens.errors import DocumentError

GOOD = textwrap.dedent(
    """\
    apiVersion: regulens/v1
    kind: PolicySet
    metadata: {name: team, version: "1.10"}
    policies:
      - id: replicas
        title: Enough replicas
        severity: high
        controls: ["SOC2:CC7.2"]
        match: {kinds: [Deployment]}
        check:
          type: resource-condition
          expression: object.spec.replicas >= 2
    """
)


def problems(text: str) -> list[str]:
    with pytest.raises(DocumentError) as info:
        docs = load_text(text, "p.yaml")
        validate_document(docs[0], PolicySet)
    return [str(p) for p in info.value.problems]


def test_good_policy_loads() -> None:
    pset = validate_document(load_text(GOOD, "p.yaml")[0], PolicySet)
    assert pset.policies[0].id == "replicas"
    assert pset.metadata.version == "1.10"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "severity: high",
            "severity: no",
            "p.yaml:7:15: policies[0].severity: ambiguous value 'no'",
        ),
        (
            "severity: high",
            "severity: On",
            "p.yaml:7:15: policies[0].severity: ambiguous value 'On'",
        ),
        (
            'version: "1.10"',
            "version: 0755",
            "p.yaml:3:33: metadata.version: ambiguous value '0755'",
        ),
        ('version: "1.10"', "version: 02:00", "p.yaml:3:33: metadata.version: ambiguous value"),
        (
            'version: "1.10"',
            "version: 1.10",
            "p.yaml:3:33: metadata.version: Input should be a valid string",
        ),
        (
            "title: Enough",
            "titel: Enough",
            "p.yaml:6:5: policies[0].titel: unknown field 'titel'; did you mean 'title'?",
        ),
        (
            "type: resource-condition",
            "type: resource-conditon",
            "did you mean 'resource-condition'?",
        ),
        (
            "severity: high",
            "severity: high\n    severity: low",
            "p.yaml:8:5: policies[0].severity: duplicate key 'severity'",
        ),
        ("severity: high", "severity: &s high", "anchors (&s) are not allowed"),
        ("severity: high", "severity: !!str high", "explicit tags"),
        (
            "    title: Enough replicas\n",
            "    title: Enough replicas\n    1: x\n",
            "mapping keys must be strings",
        ),
        (">= 2", ">= ", "policies[0].check: CEL syntax error in expression"),
        ("object.spec.replicas >= 2", "obj.spec.replicas >= 2", "unknown variable(s) obj"),
        (
            "severity: high",
            "severity: urgent",
            "Input should be 'critical', 'high', 'medium', 'low' or 'info'",
        ),
        (
            '["SOC2:CC7.2"]',
            '["SOC2 CC7.2"]',
            "policies[0].controls[0]: String should match pattern",
        ),
        ("id: replicas", "id: Replicas_1", "policies[0].id: String should match pattern"),
    ],
)
def test_bad_input_is_located(old: str, new: str, expected: str) -> None:
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    found = problems(text)
    assert any(expected in p for p in found), found
    assert all(p.startswith("p.yaml:") for p in found)


def test_alias_is_rejected() -> None:
    text = GOOD + "  - &x {id: a}\n  - *x\n"
    assert any("aliases" in p for p in problems(text))


def test_yaml_syntax_error_has_location() -> None:
    found = problems("policies: [a, b\n")
    assert found[0].startswith("p.yaml:2:1:") or found[0].startswith("p.yaml:1:")


def test_depth_limit() -> None:
    deep = "a: " + "[" * 70 + "]" * 70 + "\n"
    assert any("nested deeper than" in p for p in problems(deep))


def test_all_problems_reported_together() -> None:
    text = GOOD.replace("severity: high", "severity: no").replace('"1.10"', "0755")
    assert len(problems(text)) == 2


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("False", False), ("~", None), ("12", 12), ("-3", -3), ("0o17", 15),
     ("0x1F", 31), ("1.5", 1.5), ("1e3", 1000.0), (".inf", math.inf), ("hello", "hello"),
     ("2026-11-30", "2026-11-30"), ("0", 0)],
)  # fmt: skip
def test_yaml12_core_resolution(text: str, value: object) -> None:
    assert resolve_plain(text) == value
