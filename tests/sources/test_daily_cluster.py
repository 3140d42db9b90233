"""ops-daily against the fake API server through the official client, live and replayed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.policies import load_policies
from regulens.sources.inputs import needed_kinds
from regulens.sources.kubernetes import plan_lists
from tests.cli.helpers import run_cli
from tests.support.fake_apiserver import FakeApiServer, FakeCluster, daily_objects

PACK = "builtin:ops-daily"


@pytest.fixture
def cluster(tmp_path: Path) -> tuple[FakeApiServer, Path]:
    fake = FakeCluster(objects=daily_objects(datetime.now(UTC)))
    with FakeApiServer(fake) as server:
        yield server, server.kubeconfig(tmp_path / "kubeconfig")


def test_the_pack_makes_the_live_source_list_what_it_needs() -> None:
    needed = needed_kinds(load_policies([PACK]).policies)
    assert needed == {
        "Node",
        "Deployment",
        "StatefulSet",
        "Pod",
        "PersistentVolumeClaim",
        "Event",
        "HorizontalPodAutoscaler",
    }
    wide = {p.kind for p in plan_lists(needed) if p.namespace is None}
    assert needed <= wide


def test_live_health_check_names_every_unhealthy_object(
    cluster: tuple[FakeApiServer, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, kubeconfig = cluster
    args = ["evaluate", "--policies", PACK, "--cluster", "--kubeconfig", str(kubeconfig)]
    code, out, err = run_cli([*args, "--format", "json"], capsys)
    assert code == 1, err
    failed = {
        (r["policy"], (r["resource"] or {}).get("name")): r["message"]
        for r in json.loads(out)["results"]
        if r["status"] == "fail"
    }
    assert set(failed) == {
        ("daily-nodes-ready", "worker-2"),
        ("daily-workloads-available", "api"),
        ("daily-pods-not-waiting", "api-7d9c"),
        ("daily-container-restarts", "api-7d9c"),
        ("daily-pvcs-bound", "data-db-1"),
        ("daily-warning-events", None),
        ("daily-hpa-not-pinned", "worker"),
        ("daily-finished-pods-cleaned", "report-28889"),
    }
    # 25 recent events, not the 40 of five hours ago
    assert failed[("daily-warning-events", None)].startswith("25 Warning event(s)")
    assert "api restarted 6 time(s), last at" in failed[("daily-container-restarts", "api-7d9c")]
    assert "(OOMKilled)" in failed[("daily-container-restarts", "api-7d9c")]


def test_saved_snapshot_keeps_only_judged_status_and_recent_events(
    cluster: tuple[FakeApiServer, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, kubeconfig = cluster
    snap = tmp_path / "snap.json"
    args = ["snapshot", "--cluster", "--kubeconfig", str(kubeconfig), "--policies", PACK]
    code, _, err = run_cli([*args, "-o", str(snap)], capsys)
    assert code == 0, err
    doc = json.loads(snap.read_text())
    objects = [r["object"] for r in doc["kubernetes"]["resources"]]
    nodes = [o for o in objects if o["kind"] == "Node"]
    assert len(nodes) == 2 and all(set(o["status"]) == {"conditions"} for o in nodes)
    assert all(
        set(c) <= {"type", "status", "reason", "lastTransitionTime"}
        for o in nodes
        for c in o["status"]["conditions"]
    )
    pod = next(o for o in objects if o["kind"] == "Pod" and o["metadata"]["name"] == "api-7d9c")
    assert set(pod["status"]) == {"phase", "startTime", "containerStatuses"}
    assert set(pod["status"]["containerStatuses"][0]) == {
        "name",
        "ready",
        "restartCount",
        "state",
        "lastState",
    }
    events = [o for o in objects if o["kind"] == "Event"]
    assert len(events) == 25 and all(len(e["message"]) <= 256 for e in events)
    assert "source" not in events[0] and "images" not in json.dumps(nodes)
    # the replay judges the same as the live run (as of the collection time)
    collected = doc["kubernetes"]["provenance"]["collected_at"]
    replay = ["evaluate", "--policies", PACK, "--snapshot", str(snap), "--now", collected]
    code, out, _ = run_cli([*replay, "--format", "json"], capsys)
    assert code == 1
    results = json.loads(out)["results"]
    assert {r["policy"] for r in results if r["status"] == "fail"} == {
        p.id for p in load_policies([PACK]).policies
    }


def test_an_unreadable_kind_denies_its_probe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeCluster(objects=daily_objects(datetime.now(UTC)))
    fake.forbidden.add(("Node", None))
    with FakeApiServer(fake) as server:
        kubeconfig = server.kubeconfig(tmp_path / "kubeconfig")
        args = ["evaluate", "--policies", PACK, "--select", "daily-nodes-ready", "--cluster"]
        code, out, _ = run_cli([*args, "--kubeconfig", str(kubeconfig), "--format", "json"], capsys)
    assert code == 2
    (result,) = json.loads(out)["results"]
    assert result["status"] == "error" and "Node (403)" in result["message"]
