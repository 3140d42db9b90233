"""The benchmark generator is deterministic, exact in size, and writes loadable snapshots."""

from __future__ import annotations

from pathlib import Path

from bench.generate import build, snapshot_json, write

from regulens.snapshot.codec import load_snapshot
from regulens.sources.manifests import read_manifests


def test_same_seed_same_cluster_and_exact_size() -> None:
    first = build(400, seed=3)
    assert first == build(400, seed=3)
    assert first != build(400, seed=4)
    assert len(first) == 400
    kinds = {o["kind"] for o in first}
    assert {"Deployment", "StatefulSet", "CronJob", "Role", "ClusterRole", "Secret"} <= kinds
    assert all("data" not in o for o in first if o["kind"] == "Secret")
    ids = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in first]
    assert len(set(ids)) == len(ids)


def test_three_forms_hold_the_same_objects(tmp_path: Path) -> None:
    objects = build(300, seed=1)
    info = write(objects, tmp_path / "c", seed=1)
    assert info["objects"] == 300
    files = read_manifests([str(tmp_path / "c" / "files")])
    multi = read_manifests([str(tmp_path / "c" / "multi")])
    snap = load_snapshot(snapshot_json(objects, seed=1), "bench")
    assert snap.kubernetes is not None
    key = sorted((r.kind, r.namespace, r.name) for r in snap.kubernetes.resources)
    assert sorted((r.kind, r.namespace, r.name) for r in files.resources) == key
    assert sorted((r.kind, r.namespace, r.name) for r in multi.resources) == key
    assert len(key) == 300
