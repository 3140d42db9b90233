"""Snapshot JSON: round trip, stable bytes, version and digest checks."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from regulens.errors import InputDataError
from regulens.snapshot import ClusterIdentity, CoverageGap, KubernetesState, Provenance, Snapshot
from regulens.snapshot.codec import dump_snapshot, load_snapshot
from regulens.sources.manifests import read_manifests
from tests.conftest import EXAMPLES


def test_round_trip_is_identical_and_stable() -> None:
    state = read_manifests([str(EXAMPLES / "platform")])
    snap = Snapshot(kubernetes=state)
    data = dump_snapshot(snap)
    back = load_snapshot(data, "s.json")
    assert back.kubernetes is not None
    assert [r.ref for r in back.kubernetes.resources] == [r.ref for r in state.resources]
    assert [r.obj for r in back.kubernetes.resources] == [r.obj for r in state.resources]
    assert [r.source for r in back.kubernetes.resources] == [r.source for r in state.resources]
    assert back.kubernetes.provenance == state.provenance
    assert dump_snapshot(back) == data


def test_live_provenance_and_gaps_round_trip() -> None:
    gaps = (CoverageGap(kind="ClusterRole", reason="403"),)
    prov = Provenance(
        source="kubernetes",
        collected_at=datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        cluster=ClusterIdentity(server="https://k8s", context="prod", kube_system_uid="u-1"),
        resource_versions={"Pod": "42"},
        collected={"Pod": None, "ConfigMap": "kube-system"},
        digest="",
    )
    state = KubernetesState.model_construct(provenance=prov, resources=(), gaps=gaps)
    back = load_snapshot(dump_snapshot(Snapshot(kubernetes=state)), "s.json").kubernetes
    assert back is not None and back.provenance == prov and back.gaps == gaps


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "invalid JSON"),
        (b"[]", "no version"),
        (b'{"version": 99}', "version 99 is not supported"),
        (b'{"version": 1, "kubernetes": {"resources": []}}', "not a valid regulens snapshot"),
    ],
)
def test_bad_files_are_input_errors(data: bytes, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        load_snapshot(data, "s.json")


def test_edited_objects_fail_the_digest() -> None:
    snap = Snapshot(kubernetes=read_manifests([str(EXAMPLES / "platform")]))
    doc = orjson.loads(dump_snapshot(snap))
    doc["kubernetes"]["resources"][0]["object"]["metadata"]["labels"] = {"edited": "yes"}
    with pytest.raises(InputDataError, match="does not match its digest"):
        load_snapshot(orjson.dumps(doc), "s.json")


def _platform_bytes() -> bytes:
    return dump_snapshot(Snapshot(kubernetes=read_manifests([str(EXAMPLES / "platform")])))


def test_canonical_bytes_parse_as_the_strict_reader_reads_them() -> None:
    from regulens.documents.strict_json import loads_json
    from regulens.snapshot.codec import _canonical_document

    data = _platform_bytes()
    fast = _canonical_document(data)
    assert fast is not None  # as regulens writes it: the fast path
    assert fast == loads_json(data.decode(), "s.json")
    # anything else goes to the strict reader: re-indented, edited, no final newline
    assert _canonical_document(orjson.dumps(orjson.loads(data))) is None
    assert _canonical_document(data.rstrip(b"\n")) is None
    assert _canonical_document(data + b"\n") is None
    assert _canonical_document(b"\xef\xbb\xbf" + data) is None


def _inject(data: bytes, before: bytes, line: bytes) -> bytes:
    """Insert `line`, indented alike, before the first line holding `before`."""
    at = data.index(before)
    start = data.rindex(b"\n", 0, at) + 1
    return data[:start] + b" " * (at - start) + line + b"\n" + data[start:]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # the last value wins, so the parsed document (and its digest) is the saved one; but
        # a reader taking the first value would judge another object: refused, at its line
        (b'"name": "evil-twin",', r"s\.json:\d+:\d+: duplicate key 'name'"),
        (b'"replicas": NaN,', "NaN is not JSON"),
        (b'"big": 184467440737095516160,', "out of range"),
    ],
)
def test_canonical_looking_files_with_what_json_forbids_are_refused(
    line: bytes, message: str
) -> None:
    data = _inject(_platform_bytes(), b'"name": ', line)
    with pytest.raises(InputDataError, match=message):
        load_snapshot(data, "s.json")


def test_the_digest_is_the_sha256_of_the_canonical_content() -> None:
    import hashlib

    from regulens.snapshot.kubernetes import canonical_content, content_digest

    state = read_manifests([str(EXAMPLES / "platform")])
    gaps = (CoverageGap(kind="Secret", namespace="a", reason="403"),)
    for resources, gap in ((state.resources, gaps), (state.resources, ()), ((), gaps), ((), ())):
        whole = hashlib.sha256(canonical_content(resources, gap)).hexdigest()
        assert content_digest(resources, gap) == f"sha256:{whole}"
