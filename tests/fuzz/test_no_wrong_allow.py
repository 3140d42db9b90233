"""Mutations of a denying input never produce an allow: deny, or a typed error.

Each base input denies for one known reason (a privileged container, a fixable
CRITICAL CVE, an error rate above 1 %). The mutations keep that reason in the
input and change everything around it: hostile additions, other documents,
wrapping, a byte no YAML or JSON text may contain, a duplicate key. The run goes
through the real sources (`collect`) and the real `evaluate` + `decide`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulens.documents import load_text
from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.decide import Decision
from regulens.errors import RegulensError
from regulens.policies import load_policies, select_policies
from regulens.snapshot.codec import dump_snapshot
from regulens.sources.inputs import InputRequest, TrivyRequest, collect
from tests.fuzz.support import (
    EXAMPLES,
    Pairs,
    as_tree,
    bounded,
    fuzz_settings,
    hostile_text,
    to_json,
    to_yaml,
    trees,
    with_entry,
    write,
)

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
LOADED = load_policies(["builtin:ops-baseline"])

PRIVILEGED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: prod}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: registry.example/api:1.0
          resources: {limits: {cpu: "1", memory: 1Gi}}
          securityContext: {privileged: true}
"""
PRIVILEGED_TREE = as_tree(load_text(PRIVILEGED, "m.yaml")[0].data)
TRIVY = (EXAMPLES / "scans" / "api-v1.2.0-fixable-critical.trivy.json").read_bytes()
TRIVY_TREE = as_tree(orjson.loads(TRIVY))
METRICS = {"timestamp": "2026-11-30T01:29:30Z", "metrics": {"api_error_rate": 0.05}}
# control characters, DEL, C1 controls, invalid UTF-8: never allowed in YAML or JSON text
UNPRINTABLE = [bytes([b]) for b in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] + [
    b"\xc2\x80", b"\xc2\x9f", b"\xff", b"\xc3", b"\xed\xa0\x80",
]  # fmt: skip


def decision(request: InputRequest, select: str) -> Decision | RegulensError:
    """Collect the inputs and judge them with one built-in policy (a typed error is returned)."""
    policies = select_policies(LOADED, [select], [])
    try:
        with bounded():
            snap = collect(request, policies, NOW, clock=lambda: NOW)
            return decide(evaluate(policies, snap, EvalContext(now=NOW)))
    except RegulensError as exc:
        return exc


def assert_not_allowed(result: Decision | RegulensError) -> None:
    if isinstance(result, Decision):
        assert not result.allowed, f"a mutated denying input was allowed: {result.summary}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-allow")


def manifests(path: str) -> InputRequest:
    return InputRequest(manifests=(path,))


def test_the_base_inputs_deny(scratch: Path) -> None:
    """Without this, every property below would hold vacuously."""
    base = decision(manifests(write(scratch / "m.yaml", PRIVILEGED.encode())), "workload-no-*")
    assert isinstance(base, Decision) and base.exit_code == 1
    report = write(scratch / "r.json", TRIVY)
    base = decision(InputRequest(trivy=TrivyRequest(reports=(report,))), "scan-no-fixable-*")
    assert isinstance(base, Decision) and not base.allowed
    metrics = write(scratch / "metrics.json", orjson.dumps(METRICS))
    base = decision(InputRequest(metrics=metrics), "kpi-error-rate")
    assert isinstance(base, Decision) and base.exit_code == 1


# -- manifests: a privileged container ----------------------------------------------


@st.composite
def around_the_violation(draw: st.DrawFn) -> Any:
    """The privileged Deployment with hostile additions that leave the violation in place."""
    tree = PRIVILEGED_TREE
    for _ in range(draw(st.integers(1, 3))):
        key = draw(hostile_text.filter(lambda k: k not in ("securityContext", "privileged")))
        tree = draw(with_entry(tree, key, draw(trees(6, representable=True))))
    return tree


@fuzz_settings(80)
@given(around_the_violation(), st.sampled_from(["yaml", "json", "list", "docs"]))
def test_hostile_additions_around_a_privileged_container_never_allow(
    scratch: Path, tree: Any, form: str
) -> None:
    if form == "json":
        raw = to_json(tree)
    elif form == "list":
        raw = to_yaml(Pairs((("apiVersion", "v1"), ("kind", "List"), ("items", [tree]))))
    elif form == "docs":
        raw = to_yaml(tree) + "\n---\n" + to_yaml(Pairs((("kind", "x"),)))
    else:
        raw = to_yaml(tree)
    path = write(scratch / f"m.{'json' if form == 'json' else 'yaml'}", raw.encode())
    assert_not_allowed(decision(manifests(path), "workload-no-privileged"))


@fuzz_settings(60)
@given(st.integers(0, len(PRIVILEGED)), st.sampled_from(UNPRINTABLE))
def test_an_unprintable_byte_anywhere_in_a_denying_manifest_never_allows(
    scratch: Path, at: int, byte: bytes
) -> None:
    raw = PRIVILEGED.encode()
    path = write(scratch / "m.yaml", raw[:at] + byte + raw[at:])
    assert_not_allowed(decision(manifests(path), "workload-no-privileged"))


@fuzz_settings(30)
@given(st.sampled_from([False, None, "false", 0]))
def test_a_duplicate_key_in_a_denying_json_manifest_never_allows(scratch: Path, value: Any) -> None:
    raw = to_json(PRIVILEGED_TREE).replace(
        '"privileged": true', f'"privileged": true, "privileged": {orjson.dumps(value).decode()}'
    )
    path = write(scratch / "m.json", raw.encode())
    assert_not_allowed(decision(manifests(path), "workload-no-privileged"))


@fuzz_settings(20)
@given(st.integers(2, 6), st.booleans())
def test_a_denying_object_in_nested_lists_is_judged_like_the_object(
    scratch: Path, depth: int, named: bool
) -> None:
    meta = Pairs((("name", "s"),))
    data = Pairs((("password", "aHVudGVyMg=="),))
    secret = Pairs((("apiVersion", "v1"), ("kind", "Secret"), ("metadata", meta), ("data", data)))
    node: Any = [PRIVILEGED_TREE, secret]
    for level in range(depth):
        meta = (("metadata", Pairs((("name", f"l{level}"),))),) if named else ()
        node = [Pairs((("apiVersion", "v1"), ("kind", "List"), *meta, ("items", node)))]
    path = write(scratch / "m.yaml", to_yaml(node[0]).encode())
    result = decision(manifests(path), "workload-no-privileged")
    assert isinstance(result, Decision) and result.exit_code == 1
    # and the Secret's value is redacted wherever the List nesting put it
    snap = collect(manifests(path), None, NOW, clock=lambda: NOW)
    assert b"aHVudGVyMg==" not in dump_snapshot(snap)


def test_a_bom_before_a_denying_manifest_is_judged_like_the_manifest(scratch: Path) -> None:
    path = write(scratch / "m.yaml", b"\xef\xbb\xbf" + PRIVILEGED.encode())
    result = decision(manifests(path), "workload-no-privileged")
    assert isinstance(result, Decision) and result.exit_code == 1


# -- Trivy: a fixable CRITICAL CVE ----------------------------------------------------


def _vulnerabilities(tree: Any) -> list[Any]:
    results = dict(tree.items)["Results"]
    return [v for r in results for v in dict(r.items).get("Vulnerabilities") or []]


CRITICAL = next(v for v in _vulnerabilities(TRIVY_TREE) if dict(v.items)["Severity"] == "CRITICAL")


def _report(request_path: str) -> InputRequest:
    return InputRequest(trivy=TrivyRequest(reports=(request_path,)))


@st.composite
def around_the_cve(draw: st.DrawFn) -> Any:
    """The report with hostile fields added anywhere (Trivy ignores unknown fields)."""
    tree = TRIVY_TREE
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.text(st.characters(codec="ascii", categories=("Ll",)), min_size=12))
        tree = draw(with_entry(tree, key, draw(trees(6, representable=True))))
    return tree


@fuzz_settings(80)
@given(around_the_cve())
def test_hostile_fields_around_a_fixable_critical_cve_never_allow(scratch: Path, tree: Any) -> None:
    path = write(scratch / "r.json", to_json(tree).encode("utf-8", "surrogatepass"))
    assert_not_allowed(decision(_report(path), "scan-no-fixable-critical"))


@fuzz_settings(60)
@given(st.integers(0, len(TRIVY)), st.sampled_from(UNPRINTABLE))
def test_an_unprintable_byte_anywhere_in_a_denying_report_never_allows(
    scratch: Path, at: int, byte: bytes
) -> None:
    path = write(scratch / "r.json", TRIVY[:at] + byte + TRIVY[at:])
    assert_not_allowed(decision(_report(path), "scan-no-fixable-critical"))


def test_an_unfixed_copy_of_the_cve_in_another_target_never_allows(scratch: Path) -> None:
    fields = dict(CRITICAL.items)
    copy = Pairs(tuple((k, v) for k, v in CRITICAL.items if k != "FixedVersion"))
    assert "FixedVersion" in fields
    first = Pairs((("Target", "another-layer"), ("Class", "os-pkgs"), ("Vulnerabilities", [copy])))
    items = [(k, [first, *v] if k == "Results" else v) for k, v in TRIVY_TREE.items]
    path = write(scratch / "r.json", to_json(Pairs(tuple(items))).encode())
    assert_not_allowed(decision(_report(path), "scan-no-fixable-critical"))


# -- metrics: an error rate above the threshold ------------------------------------


@fuzz_settings(60)
@given(
    st.dictionaries(
        hostile_text.filter(lambda k: k != "api_error_rate"),
        st.one_of(st.none(), st.floats(), st.integers(), hostile_text),
        max_size=4,
    ),
    st.sampled_from([".json", ".yaml"]),
)
def test_hostile_metrics_beside_a_failing_kpi_never_allow(
    scratch: Path, extra: dict[str, Any], suffix: str
) -> None:
    tree = Pairs((("timestamp", METRICS["timestamp"]),
                  ("metrics", Pairs((("api_error_rate", 0.05), *extra.items())))))  # fmt: skip
    text = to_json(tree) if suffix == ".json" else to_yaml(tree)
    path = write(scratch / f"metrics{suffix}", text.encode("utf-8", "surrogatepass"))
    assert_not_allowed(decision(InputRequest(metrics=path), "kpi-error-rate"))


@fuzz_settings(20)
@given(st.floats(0, 0.009))
def test_a_duplicate_metric_with_a_passing_value_never_allows(scratch: Path, good: float) -> None:
    text = f'{{"timestamp": "{METRICS["timestamp"]}", "metrics": '
    text += f'{{"api_error_rate": 0.05, "api_error_rate": {good!r}}}}}'
    path = write(scratch / "metrics.json", text.encode())
    assert_not_allowed(decision(InputRequest(metrics=path), "kpi-error-rate"))
