"""Fuzz the evidence bundle reader: any bytes end in a verdict, never an exception or a hang.

A changed member (manifest, signature, key, checkpoints, records) never verifies OK.
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from regulens.evidence import Signer, TrustedKeys, open_store
from regulens.evidence.bundle import BundleReport, export_bundle, verify_bundle
from regulens.evidence.canonical import canonical_json
from regulens.evidence.checkpoint import make_checkpoint
from tests.evidence.helpers import fill
from tests.fuzz.support import as_tree, bounded, fuzz_settings, mutated_bytes, mutated_tree, to_json

SIGNER = Signer.generate()
TRUSTED = TrustedKeys({SIGNER.key_id: SIGNER.public})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    with open_store(f"sqlite:///{tmp_path_factory.mktemp('bundle') / 'e.db'}") as store:
        records = fill(store, 5, "prod", SIGNER)
        fill(store, 2, "staging", SIGNER)
        store.add_checkpoint(
            make_checkpoint("prod", 5, records[-1].record_hash, "t", SIGNER), SIGNER
        )
        out = io.BytesIO()
        export_bundle(store, out, SIGNER, created_at="2026-12-01T00:00:00Z", mtime=0)
    data = out.getvalue()
    assert verify(data).ok
    return data


def verify(data: bytes) -> BundleReport:
    with bounded():
        report = verify_bundle(io.BytesIO(data), TRUSTED)
    assert isinstance(report, BundleReport) and report.status
    assert report.ok or report.message, "a failed verdict without a reason"
    return report


def members(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        out = []
        for m in tar:
            f = tar.extractfile(m)
            assert f is not None
            out.append((m.name, f.read()))
        return out


def pack(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


@fuzz_settings(150)
@given(st.data())
def test_bundle_reader_on_byte_mutations(bundle: bytes, data: st.DataObject) -> None:
    verify(data.draw(mutated_bytes(bundle)))


@fuzz_settings(40)
@given(st.binary(max_size=2048))
def test_bundle_reader_on_raw_bytes(raw: bytes) -> None:
    assert not verify(raw).ok


@fuzz_settings(150)
@given(st.data())
def test_a_changed_member_never_verifies(bundle: bytes, data: st.DataObject) -> None:
    entries = members(bundle)
    i = data.draw(st.integers(0, len(entries) - 1))
    name, content = entries[i]
    if name.endswith(".json") and data.draw(st.booleans()):
        # canonical JSON again, or the reader stops at "not canonical" before anything else
        tree = data.draw(mutated_tree(as_tree(orjson.loads(content)), representable=True))
        try:
            changed = canonical_json(orjson.loads(to_json(tree)))
        except (orjson.JSONDecodeError, ValueError, TypeError):
            assume(False)  # NaN, huge numbers: not canonical JSON, the byte mutations cover it
    elif name.endswith(".jsonl") and content and data.draw(st.booleans()):
        lines = content.splitlines()
        j = data.draw(st.integers(0, len(lines) - 1))
        lines[j] = to_json(data.draw(mutated_tree(as_tree(orjson.loads(lines[j]))))).encode()
        changed = b"\n".join(lines) + b"\n"
    else:
        changed = data.draw(mutated_bytes(content))
    assume(changed != content)
    entries[i] = (name, changed)
    assert not verify(pack(entries)).ok


@fuzz_settings(150)
@given(st.data())
def test_a_changed_manifest_never_verifies(bundle: bytes, data: st.DataObject) -> None:
    # the reader goes on after a bad signature (to report the chains): every field it reads
    # from an unsigned manifest must be checked first
    entries = members(bundle)
    tree = data.draw(mutated_tree(as_tree(orjson.loads(entries[0][1])), representable=True))
    try:
        changed = canonical_json(orjson.loads(to_json(tree)))
    except (orjson.JSONDecodeError, ValueError, TypeError):
        assume(False)
    assume(changed != entries[0][1])
    assert not verify(pack([(entries[0][0], changed), *entries[1:]])).ok


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(
        node, list) else ()  # fmt: skip
    return [p for k, v in children for p in [(*path, k), *_paths(v, (*path, k))]]


def test_every_manifest_field_removed_or_retyped_is_rejected(bundle: bytes) -> None:
    """Exhaustive over the manifest's fields (random mutations rarely hit one given field)."""
    entries = members(bundle)
    original = orjson.loads(entries[0][1])
    for path in _paths(original):
        for value in ("<removed>", None, True, -1, "x", [1], {"a": 1}):
            manifest = orjson.loads(entries[0][1])
            parent = manifest
            for key in path[:-1]:
                parent = parent[key]
            if value == "<removed>":
                if not isinstance(parent, dict):
                    continue
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            changed = canonical_json(manifest)
            if changed != entries[0][1]:
                assert not verify(pack([(entries[0][0], changed), *entries[1:]])).ok, (path, value)


@fuzz_settings(80)
@given(st.data())
def test_reordered_dropped_or_extra_members_never_verify(
    bundle: bytes, data: st.DataObject
) -> None:
    entries = members(bundle)
    edited = data.draw(st.permutations(entries))
    if data.draw(st.booleans()) and edited:
        del edited[data.draw(st.integers(0, len(edited) - 1))]
    if data.draw(st.booleans()):
        name = data.draw(
            st.sampled_from(["../x", "/abs", "keys/../m", "a\\b", "C:x", "x" * 300, "ok"])
        )
        edited.insert(
            data.draw(st.integers(0, len(edited))), (name, data.draw(st.binary(max_size=64)))
        )
    assume(edited != entries)
    assert not verify(pack(edited)).ok
