"""A simulated fleet on one central PostgreSQL store, end to end through the real CLI.

Eleven fake API servers (tests/support/fake_apiserver.py, each its own platform):
compliant and non-compliant example platforms, one with a privileged pod, one with
a `latest` image, one binding a user to cluster-admin, one answering 403 for Roles
(a coverage gap), one that is unreachable by the time of the scheduled run (its
server is stopped after an earlier run two days ago: the scheduled run records a
deny on a gap of every kind), and an eleventh whose scheduled run never happened
after that earlier run (its row is stale). The scheduled
`regulens evaluate --cluster --record` runs start at once, each in its own process
and signing with the fleet's key, into ONE throwaway PostgreSQL database, a
stream per cluster. Then every stream is verified, and the fleet report is
rendered as JSON (asserted row by row), Markdown and HTML.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from regulens.engine.inputs import Input
from regulens.evidence import Signer
from regulens.evidence.keys import public_pem
from regulens.policies import load_policies
from tests.support.fake_apiserver import (
    EXAMPLE_PLATFORM,
    FakeApiServer,
    FakeCluster,
    example_objects,
)
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
NONCOMPLIANT = ROOT / "examples" / "platform-noncompliant"


def _kubernetes_only() -> list[str]:
    """`--select` for every ops-baseline policy judged from cluster state alone."""
    loaded = load_policies(("builtin:ops-baseline",))
    return [
        arg
        for p in loaded.policies
        if set(p.check.inputs) <= {Input.KUBERNETES}
        for arg in ("--select", p.id)
    ]


def _with(extra: dict[str, Any]) -> FakeCluster:
    return FakeCluster(objects=[*example_objects(EXAMPLE_PLATFORM), extra])


def _privileged_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "regulensai"},
        "spec": {
            "containers": [
                {
                    "name": "debug",
                    "image": "busybox:1.36",
                    "securityContext": {"privileged": True},
                    "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                }
            ]
        },
    }


def _latest_image() -> dict[str, Any]:
    deployment = next(o for o in example_objects(EXAMPLE_PLATFORM) if o.get("kind") == "Deployment")
    changed = copy.deepcopy(deployment)
    changed["metadata"]["name"] = "canary"
    for container in changed["spec"]["template"]["spec"]["containers"]:
        container["image"] = container["image"].rsplit(":", 1)[0] + ":latest"
    return changed


def _cluster_admin_binding() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "oncall-admin"},
        "subjects": [{"kind": "User", "name": "oncall@example.com"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "cluster-admin"},
    }  # fmt: skip


def _forbidden_roles() -> FakeCluster:
    fake = FakeCluster()
    fake.forbidden.add(("Role", None))
    return fake


@dataclass(frozen=True)
class Cluster:
    """One simulated cluster and what its scheduled run must record."""

    name: str
    fake: FakeCluster
    exit_code: int  # of the scheduled run
    decision: str  # the fleet row's decision
    fresh: bool = True  # the row's newest run is the scheduled one
    earlier: bool = False  # also ran two days ago, when its server was reachable
    scheduled: bool = True  # its scheduled run happened


def _clusters() -> list[Cluster]:
    return [
        Cluster("eu-prod-1", FakeCluster(), 0, "allow"),
        Cluster("eu-prod-2", FakeCluster(objects=example_objects(NONCOMPLIANT)), 1, "deny"),
        Cluster("us-prod-1", _with(_privileged_pod()), 1, "deny"),
        Cluster("us-prod-2", _forbidden_roles(), 2, "deny"),
        Cluster("us-stage-1", FakeCluster(), 0, "allow"),
        Cluster("ap-prod-1", _with(_latest_image()), 1, "deny"),
        Cluster("ap-stage-1", FakeCluster(objects=example_objects(NONCOMPLIANT)), 1, "deny"),
        Cluster("eu-stage-1", FakeCluster(), 0, "allow"),
        Cluster("eu-edge-1", _with(_cluster_admin_binding()), 1, "deny"),
        # reachable two days ago (allow), unreachable at the scheduled run: it records a deny
        Cluster("ap-edge-1", FakeCluster(), 2, "deny", earlier=True),
        # reachable two days ago (allow); its scheduled job never ran since: stale
        Cluster("ap-edge-2", FakeCluster(), 0, "allow", fresh=False, earlier=True, scheduled=False),
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGULENS_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def _regulens(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regulens", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=_env(),
        timeout=timeout,
        check=False,
    )


def test_a_fleet_of_eleven_clusters_on_one_postgres_store(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.url(postgres_server.create_database())
    signer = Signer.generate()
    key = tmp_path / "fleet.pem"
    key.write_bytes(signer.private_pem())
    pub = tmp_path / "fleet.pem.pub"
    pub.write_bytes(public_pem(signer.public))
    select = _kubernetes_only()
    clusters = _clusters()

    def evaluate(kubeconfig: Path, stream: str, *now: str) -> subprocess.CompletedProcess[str]:
        return _regulens(
            "evaluate", "--policies", "builtin:ops-baseline", *select, "--cluster",
            "--kubeconfig", str(kubeconfig), "--timeout", "5", *now, "--record",
            "--evidence", url, "--stream", stream, "--signing-key", str(key),
            "--format", "json",
        )  # fmt: skip

    with ExitStack() as stack:
        configs: dict[str, Path] = {}
        for c in clusters:
            server = stack.enter_context(FakeApiServer(c.fake))
            configs[c.name] = server.kubeconfig(tmp_path / f"{c.name}.kubeconfig")
        # the edge clusters' last good runs, two days before their servers went away
        earlier = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for c in clusters:
            if c.earlier:
                first = evaluate(configs[c.name], c.name, "--now", earlier)
                assert first.returncode == 0, first.stderr
    # every server is stopped; the others start again on fresh ports for the scheduled runs
    scheduled = [c for c in clusters if c.scheduled]
    with ExitStack() as stack:
        for c in scheduled:
            if c.name != "ap-edge-1":
                server = stack.enter_context(FakeApiServer(c.fake))
                configs[c.name] = server.kubeconfig(tmp_path / f"{c.name}.kubeconfig")
        with ThreadPoolExecutor(max_workers=len(scheduled)) as pool:
            runs = dict(
                zip(
                    [c.name for c in scheduled],
                    pool.map(lambda c: evaluate(configs[c.name], c.name), scheduled),
                    strict=True,
                )
            )
    for c in scheduled:
        got = runs[c.name]
        assert got.returncode == c.exit_code, (c.name, got.returncode, got.stderr[-800:])
    assert "cannot reach the Kubernetes API server" in runs["ap-edge-1"].stderr
    edge = orjson.loads(runs["ap-edge-1"].stdout)
    assert edge["decision"] == "deny" and edge["summary"]["error"] > 0
    assert [g["kind"] for g in edge["coverage"]["gaps"]] == ["*"]
    assert {r["status"] for r in edge["results"]} == {"error"}
    gap = orjson.loads(runs["us-prod-2"].stdout)["coverage"]
    assert (
        gap["complete"] is False
        and {"kind": "Role", "namespace": None, "reason": "403"} in (gap["gaps"])
    )

    # every stream verifies on its own, signed by the fleet's key
    for c in clusters:
        verified = _regulens("evidence", "verify", "--evidence", url, "--stream", c.name,
                             "--public-key", str(pub))  # fmt: skip
        assert verified.returncode == 0, (c.name, verified.stdout, verified.stderr)
        assert f"stream {c.name}: OK" in verified.stdout
    everything = _regulens("evidence", "verify", "--evidence", url, "--stream", "*",
                           "--public-key", str(pub), "--format", "json")  # fmt: skip
    assert everything.returncode == 0
    assert len(orjson.loads(everything.stdout)["streams"]) == len(clusters)

    out = tmp_path / "fleet.json"
    report = _regulens("report", "--fleet", "--evidence", url, "--public-key", str(pub),
                       "--format", "json", "-o", str(out))  # fmt: skip
    assert report.returncode == 0, report.stderr
    doc = orjson.loads(out.read_bytes())
    rows = {r["stream"]: r for r in doc["rows"]}
    assert list(rows) == sorted(c.name for c in clusters)
    for c in clusters:
        row = rows[c.name]
        assert row["decision"] == c.decision, (c.name, row)
        assert row["verification"]["state"] == "verified", c.name
        assert row["stale"] is not c.fresh, c.name
        assert row["runs"] == 1 + (c.earlier and c.scheduled)
        assert row["last_command"] == "evaluate"
        assert bool(row["failing_policies"]) is (c.decision != "allow"), c.name
    assert "workload-no-privileged" in rows["us-prod-1"]["failing_policies"]
    assert "workload-no-latest-tag" in rows["ap-prod-1"]["failing_policies"]
    assert rows["us-prod-2"]["exit_code"] == 2 and rows["us-prod-2"]["incomplete"] is True
    assert rows["us-prod-2"]["coverage_gaps"] == ["Role (403)"]
    assert [n for n, r in rows.items() if r["incomplete"]] == ["ap-edge-1", "us-prod-2"]
    assert rows["ap-edge-1"]["exit_code"] == 2
    (gap,) = rows["ap-edge-1"]["coverage_gaps"]
    assert gap.startswith("any kind: cannot reach the Kubernetes API server (")
    assert rows["ap-edge-2"]["age_seconds"] > 2 * 86400 - 600
    totals = doc["totals"]
    assert (totals["streams"], totals["allow"], totals["deny"], totals["incomplete"]) == (
        11,
        4,
        7,
        2,
    )
    assert (totals["stale"], totals["failed_verification"]) == (1, 0)

    # the same rows in Markdown and HTML, and a glob selects a region
    for fmt in ("markdown", "html"):
        target = tmp_path / f"fleet.{fmt}"
        shown = _regulens("report", "--fleet", "--evidence", url, "--public-key", str(pub),
                          "--format", fmt, "-o", str(target))  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        text = target.read_text()
        for c in clusters:
            assert c.name in text
        assert "Role (403)" in text
    region = _regulens("report", "--fleet", "--evidence", url, "--stream", "eu-*",
                       "--format", "json")  # fmt: skip
    assert region.returncode == 0, region.stderr
    names = [r["stream"] for r in orjson.loads(region.stdout)["rows"]]
    assert names == ["eu-edge-1", "eu-prod-1", "eu-prod-2", "eu-stage-1"]
