"""Deadlines bound whole exchanges: servers on 127.0.0.1 that trickle one byte a second.

Every read such a server answers returns within any per-read timeout, so only
a deadline on the whole exchange ends it. Before, both sources hung (for the
length of the body in seconds); now each ends within its documented bound with
exit 2 (a query error, a coverage gap, or an unreachable API server).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from regulens.errors import InputDataError
from regulens.sources.deadline import Deadline, DeadlineExceeded, TooLarge, run_within
from regulens.sources.kubernetes import ClusterOptions, read_cluster
from regulens.sources.prometheus import MAX_RESPONSE_BYTES, query_prometheus
from tests.cli.helpers import run_cli, run_json
from tests.support.fake_apiserver import FakeApiServer, FakeCluster
from tests.support.trickle import TrickleServer

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)
SLACK = 1.5  # seconds past a bound that a loaded 2-core CI machine may need


def _kubeconfig(path: Path, url: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": url}}],
        "users": [{"name": "u", "user": {"token": "fake-token"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path.write_bytes(orjson.dumps(config))
    return path


# --- the mechanism ------------------------------------------------------------------------


def test_run_within_returns_raises_and_gives_up_at_the_deadline() -> None:
    assert run_within(lambda d: d.remaining() > 0, Deadline.after(5)) is True
    with pytest.raises(TooLarge):
        run_within(lambda d: (_ for _ in ()).throw(TooLarge(1)), Deadline.after(5))
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        run_within(lambda d: time.sleep(3), Deadline.after(0.3))
    assert time.monotonic() - started < 1.0


# --- Prometheus ---------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers-and-body"])
def test_a_trickling_prometheus_ends_within_the_timeout(headers: bool) -> None:
    with TrickleServer(headers=headers) as server, httpx.Client(base_url=server.url) as client:
        started = time.monotonic()
        samples = query_prometheus(client, ["up", "sum(up)"], NOW, 2.0)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0 + SLACK, elapsed
    assert [s.value for s in samples] == [None, None]
    assert all(s.error == "Prometheus did not answer within 2s" for s in samples)
    assert server.requests == 1  # the timeout covers all queries: the second is not sent


def test_an_oversized_prometheus_answer_is_a_query_error() -> None:
    body = b'{"status":"success","data":{"resultType":"vector","result":[' + b" " * (
        MAX_RESPONSE_BYTES
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    with httpx.Client(base_url="http://prom", transport=httpx.MockTransport(handler)) as client:
        [sample] = query_prometheus(client, ["up"], NOW, 5.0)
    assert sample.value is None and sample.error == "Prometheus: the answer is larger than 8 MiB"


def test_gate_against_a_trickling_prometheus_exits_2_within_the_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["evaluate", "--policies", "builtin:ops-baseline", "--select", "kpi-*"]
    with TrickleServer() as server:
        started = time.monotonic()
        code, report = run_json(
            [*args, "--prometheus", server.url, "--prometheus-timeout", "2",
             "--now", "2026-11-30T02:10:00Z"],
            capsys,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert code == 2 and elapsed < 2.0 + SLACK + 1.0, elapsed
    assert {r["status"] for r in report["results"]} == {"error"}


# --- Kubernetes API server ----------------------------------------------------------------


def test_a_trickling_list_is_cut_off_at_the_deadline(tmp_path: Path) -> None:
    fake = FakeCluster(trickle={"/apis/apps/v1/deployments": 1.0})
    with FakeApiServer(fake) as server:
        options = ClusterOptions(
            kubeconfig=str(server.kubeconfig(tmp_path / "kc")), timeout=10.0, deadline=3.0
        )
        started = time.monotonic()
        state = read_cluster(options, frozenset({"Deployment"}), NOW)
        elapsed = time.monotonic() - started
    assert elapsed < 3.0 + SLACK, elapsed
    reasons = {(g.kind, g.reason) for g in state.gaps}
    assert ("Deployment", "deadline") in reasons
    assert state.of_kind("Deployment") == []


def test_a_trickling_list_is_a_timeout_gap_and_the_rest_is_read(tmp_path: Path) -> None:
    fake = FakeCluster(trickle={"/apis/apps/v1/deployments": 1.0})
    with FakeApiServer(fake) as server:
        options = ClusterOptions(
            kubeconfig=str(server.kubeconfig(tmp_path / "kc")), timeout=1.5, deadline=30.0
        )
        started = time.monotonic()
        state = read_cluster(options, frozenset({"Deployment"}), NOW)
        elapsed = time.monotonic() - started
    assert elapsed < 1.5 + SLACK, elapsed
    assert [(g.kind, g.reason) for g in state.gaps] == [("Deployment", "timeout")]
    assert state.of_kind("ClusterRole")


def test_an_api_server_trickling_its_headers_is_unreachable_within_the_deadline(
    tmp_path: Path,
) -> None:
    with TrickleServer(headers=True) as server:
        options = ClusterOptions(
            kubeconfig=str(_kubeconfig(tmp_path / "kc", server.url)), timeout=2.0, deadline=2.0
        )
        started = time.monotonic()
        with pytest.raises(InputDataError, match="cannot reach the Kubernetes API server"):
            read_cluster(options, frozenset({"Deployment"}), NOW)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0 + SLACK, elapsed


def test_an_oversized_page_is_a_gap_not_an_out_of_memory(tmp_path: Path) -> None:
    fake = FakeCluster(padding={"Deployment": 2 * 1024 * 1024})
    with FakeApiServer(fake) as server:
        options = ClusterOptions(
            kubeconfig=str(server.kubeconfig(tmp_path / "kc")), max_response_bytes=1024 * 1024
        )
        state = read_cluster(options, frozenset({"Deployment"}), NOW)
    assert [(g.kind, g.reason) for g in state.gaps] == [("Deployment", "oversized")]


def test_evaluate_against_a_trickling_cluster_exits_2_within_the_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeCluster(trickle={"/clusterroles": 1.0})
    with FakeApiServer(fake) as server:
        started = time.monotonic()
        code, out, err = run_cli(
            ["evaluate", "--policies", "builtin:ops-baseline", "--select", "rbac-no-wildcards",
             "--cluster", "--kubeconfig", str(server.kubeconfig(tmp_path / "kc")),
             "--deadline", "3", "--now", "2026-11-30T02:10:00Z"],
            capsys,
        )  # fmt: skip
        elapsed = time.monotonic() - started
    assert code == 2, err
    assert elapsed < 3.0 + SLACK + 1.0, elapsed
    assert "ClusterRole" in out and "deadline" in out, out
