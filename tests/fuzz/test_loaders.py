"""Fuzz every input loader: any input loads, or ends in a typed error with a message.

Never another exception type, never a hang (see `support.typed`). Inputs are hostile
structured documents, structural mutations of the real examples, and byte-level
mutations of the real examples.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulens.documents import load_text
from regulens.engine import EvalContext, evaluate
from regulens.errors import RegulensError
from regulens.policies import load_policies, select_policies
from regulens.snapshot import Snapshot
from regulens.snapshot.codec import dump_snapshot, load_snapshot
from regulens.sources.backups import read_catalog
from regulens.sources.change import read_change
from regulens.sources.drills import read_drills
from regulens.sources.exceptions import read_exceptions
from regulens.sources.manifests import read_manifests
from regulens.sources.metrics_file import read_metrics_file
from regulens.sources.trivy import parse_report
from tests.fuzz.support import (
    EXAMPLES,
    ROOT,
    Pairs,
    as_tree,
    deep,
    fuzz_settings,
    hostile_text,
    mutated_bytes,
    mutated_tree,
    rendered,
    to_json,
    to_yaml,
    trees,
    typed,
    with_entry,
    write,
)

NOW = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
BUILTIN = ROOT / "src" / "regulens" / "policies" / "ops-baseline" / "security"
POLICY_TEXT = (BUILTIN / "workloads.yaml").read_bytes()
MANIFEST_TEXT = (EXAMPLES / "platform-noncompliant" / "10-api.yaml").read_bytes()
RBAC_TEXT = (EXAMPLES / "platform-noncompliant" / "40-rbac.yaml").read_bytes()
TRIVY_TEXT = (EXAMPLES / "scans" / "api-v1.2.0-fixable-critical.trivy.json").read_bytes()
POLICY_TREE = as_tree(load_text(POLICY_TEXT.decode(), "p.yaml")[0].data)
MANIFEST_TREE = as_tree(load_text(MANIFEST_TEXT.decode(), "m.yaml")[0].data)
TRIVY_TREE = as_tree(json.loads(TRIVY_TEXT))
JUDGES = select_policies(load_policies(["builtin:ops-baseline"]), ["workload-*", "rbac-*"], [])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# -- the strict policy loader (policies/loader.py, documents/strict_yaml.py, validate.py) --


def _policies(path: str) -> None:
    loaded = typed(lambda: load_policies([path]))
    if isinstance(loaded, RegulensError):
        return
    chosen = typed(lambda: select_policies(loaded, [], []))
    if isinstance(chosen, RegulensError):
        return
    # a policy set that loads can always be judged: errors are results, never exceptions
    typed(lambda: evaluate(chosen, Snapshot(), EvalContext(now=NOW)))


@fuzz_settings(150)
@given(st.data())
def test_policy_loader_on_mutated_policy_sets(scratch: Path, data: st.DataObject) -> None:
    tree = data.draw(mutated_tree(POLICY_TREE))
    _policies(write(scratch / "p.yaml", data.draw(rendered(tree))))


@fuzz_settings(150)
@given(mutated_bytes(POLICY_TEXT))
def test_policy_loader_on_byte_mutations(scratch: Path, raw: bytes) -> None:
    _policies(write(scratch / "p.yaml", raw))


@fuzz_settings(100)
@given(st.one_of(trees(20), st.sampled_from([deep(70, "list"), deep(70, "map")])), st.booleans())
def test_policy_loader_on_hostile_documents(scratch: Path, tree: Any, plain: bool) -> None:
    _policies(write(scratch / "p.yaml", to_yaml(tree, plain=plain).encode("utf-8", "replace")))


@fuzz_settings(60)
@given(st.binary(max_size=200))
def test_policy_loader_on_raw_bytes(scratch: Path, raw: bytes) -> None:
    _policies(write(scratch / "p.yaml", raw))


# -- the manifest loader (sources/manifests.py), YAML and JSON ------------------------


def _manifests(path: str) -> None:
    state = typed(lambda: read_manifests([path]))
    if isinstance(state, RegulensError):
        return
    snap = Snapshot(kubernetes=state)
    # what loads can be saved and replayed to the same bytes, and judged without an exception
    saved = dump_snapshot(snap)
    assert dump_snapshot(load_snapshot(saved, "saved")) == saved
    typed(lambda: evaluate(JUDGES, snap, EvalContext(now=NOW)))


@fuzz_settings(150)
@given(st.data())
def test_manifest_loader_on_mutated_manifests(scratch: Path, data: st.DataObject) -> None:
    tree = data.draw(mutated_tree(MANIFEST_TREE))
    suffix = data.draw(st.sampled_from([".yaml", ".json"]))
    raw = data.draw(rendered(tree, json_only=suffix == ".json"))
    _manifests(write(scratch / f"m{suffix}", raw))


@fuzz_settings(150)
@given(st.sampled_from([MANIFEST_TEXT, RBAC_TEXT]).flatmap(mutated_bytes))
def test_manifest_loader_on_byte_mutations(scratch: Path, raw: bytes) -> None:
    _manifests(write(scratch / "m.yaml", raw))


@fuzz_settings(80)
@given(st.binary(max_size=200), st.sampled_from([".yaml", ".json"]))
def test_manifest_loader_on_raw_bytes(scratch: Path, raw: bytes, suffix: str) -> None:
    _manifests(write(scratch / f"m{suffix}", raw))


RBAC_TREES = [as_tree(d.data) for d in load_text(RBAC_TEXT.decode(), "r.yaml")]


@fuzz_settings(50)
@given(st.data())
def test_manifest_loader_on_mutated_multi_document_files(
    scratch: Path, data: st.DataObject
) -> None:
    docs = list(RBAC_TREES)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(docs) - 1))
        docs[i] = data.draw(mutated_tree(docs[i]))
    text = "\n---\n".join(to_yaml(d) for d in docs)
    _manifests(write(scratch / "m.yaml", text.encode("utf-8", "surrogatepass")))


PLATFORM_DOCS = [
    d.data
    for f in sorted((EXAMPLES / "platform-noncompliant").glob("*.yaml"))
    for d in load_text(f.read_text("utf-8"), f.name)
]


def _without_namespace(obj: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in obj["metadata"].items() if k != "namespace"}
    return {**obj, "metadata": {**meta, "name": meta["name"] + "-nons"}}


@fuzz_settings(30)
@given(st.lists(st.integers(0, len(PLATFORM_DOCS) - 1), min_size=1, max_size=4, unique=True))
def test_objects_without_a_namespace_beside_namespaced_ones(
    scratch: Path, picks: list[int]
) -> None:
    # argo-cd's install.yaml is applied with -n: namespaced objects carry no namespace
    extra = [_without_namespace(PLATFORM_DOCS[i]) for i in picks]
    text = "\n---\n".join(to_yaml(as_tree(d)) for d in [*PLATFORM_DOCS, *extra])
    _manifests(write(scratch / "m.yaml", text.encode()))


@fuzz_settings(100)
@given(st.data())
def test_manifest_loader_on_non_string_keys(scratch: Path, data: st.DataObject) -> None:
    # `{{cell}}: x` from an unrendered template, `? [a, b]`, `1: x`, `true: x`, `null: x`
    key = data.draw(
        st.one_of(st.integers(), st.booleans(), st.none(), st.lists(st.text(max_size=3)))
    )
    tree = data.draw(with_entry(MANIFEST_TREE, key, data.draw(trees(3, representable=True))))
    text = to_yaml(tree, block=data.draw(st.booleans()))
    _manifests(write(scratch / "m.yaml", text.encode("utf-8", "surrogatepass")))


@fuzz_settings(20)
@given(st.data())
def test_manifest_loader_on_integers_beyond_64_bits(scratch: Path, data: st.DataObject) -> None:
    big = data.draw(st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1)))
    tree = data.draw(with_entry(MANIFEST_TREE, data.draw(hostile_text), big))
    suffix = data.draw(st.sampled_from([".yaml", ".json"]))
    raw = to_json(tree) if suffix == ".json" else to_yaml(tree)
    _manifests(write(scratch / f"m{suffix}", raw.encode("utf-8", "surrogatepass")))


# -- Trivy ingest (sources/trivy.py) --------------------------------------------------


def _trivy(raw: bytes) -> None:
    typed(lambda: parse_report(raw, "r.json"))


@fuzz_settings(200)
@given(mutated_tree(TRIVY_TREE))
def test_trivy_ingest_on_mutated_reports(tree: Any) -> None:
    _trivy(to_json(tree).encode("utf-8", "surrogatepass"))


@fuzz_settings(200)
@given(mutated_bytes(TRIVY_TEXT))
def test_trivy_ingest_on_byte_mutations(raw: bytes) -> None:
    _trivy(raw)


@fuzz_settings(100)
@given(st.one_of(trees(20), st.just(deep(5000, "list")), st.just(deep(5000, "map"))))
def test_trivy_ingest_on_hostile_documents(tree: Any) -> None:
    _trivy(to_json(tree).encode("utf-8", "surrogatepass"))


# -- metrics, catalogs, drills, change requests, exceptions (sources/datafile.py & co) ----

DATA_FILES = {
    "metrics.json": (EXAMPLES / "ops" / "metrics.json", read_metrics_file),
    "backups.yaml": (EXAMPLES / "ops" / "backups.yaml", read_catalog),
    "drills.yaml": (EXAMPLES / "ops" / "drills.yaml", read_drills),
    "change.yaml": (EXAMPLES / "changes" / "allowed.yaml", read_change),
    "waivers.yaml": (
        EXAMPLES / "exceptions" / "change-waivers.yaml",
        lambda p: read_exceptions(
            [p], {"change-window", "change-approval"}, datetime(2026, 11, 1, tzinfo=UTC)
        ),
    ),
}
DATA_TREES = {
    name: as_tree(load_text(path.read_text("utf-8"), name)[0].data)
    for name, (path, _) in DATA_FILES.items()
}


@pytest.mark.parametrize("name", sorted(DATA_FILES))
@fuzz_settings(80)
@given(data=st.data())
def test_data_files_on_mutated_documents(scratch: Path, name: str, data: st.DataObject) -> None:
    _, read = DATA_FILES[name]
    tree = data.draw(mutated_tree(DATA_TREES[name]))
    raw = data.draw(rendered(tree, json_only=name.endswith(".json")))
    path = write(scratch / name, raw)
    typed(lambda: read(path))


@pytest.mark.parametrize("name", sorted(DATA_FILES))
@fuzz_settings(60)
@given(data=st.data())
def test_data_files_on_byte_mutations(scratch: Path, name: str, data: st.DataObject) -> None:
    source, read = DATA_FILES[name]
    path = write(scratch / name, data.draw(mutated_bytes(source.read_bytes())))
    typed(lambda: read(path))


@fuzz_settings(60)
@given(st.one_of(trees(16), st.just(deep(3000, "map"))), st.sampled_from([".json", ".yaml"]))
def test_metrics_file_on_hostile_documents(scratch: Path, tree: Any, suffix: str) -> None:
    wrapped = Pairs((("timestamp", "2026-11-30T01:29:30Z"), ("metrics", tree)))
    text = to_json(wrapped) if suffix == ".json" else to_yaml(wrapped)
    path = write(scratch / f"metrics{suffix}", text.encode("utf-8", "surrogatepass"))
    typed(lambda: read_metrics_file(path))


# -- saved snapshots (--snapshot FILE) -----------------------------------------------

SAVED = dump_snapshot(
    Snapshot(kubernetes=read_manifests([str(EXAMPLES / "platform-noncompliant")]))
)
SAVED_TREE = as_tree(orjson.loads(SAVED))


@fuzz_settings(80)
@given(st.one_of(mutated_bytes(SAVED), mutated_tree(SAVED_TREE, representable=True).map(
    lambda t: to_json(t).encode("utf-8", "surrogatepass"))))  # fmt: skip
def test_snapshot_loader_on_mutations(raw: bytes) -> None:
    snap = typed(lambda: load_snapshot(raw, "saved.json"))
    if not isinstance(snap, RegulensError):
        typed(lambda: evaluate(JUDGES, snap, EvalContext(now=NOW)))
