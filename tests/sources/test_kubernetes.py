"""The live source against the fake API server, through the official kubernetes client."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot import KubernetesState, content_digest
from regulens.sources.kubernetes import (
    KNOWN_KINDS,
    MAX_ATTEMPTS,
    ClusterOptions,
    plan_lists,
    read_cluster,
    replay_gaps,
)
from tests.cli.test_cli import run_main
from tests.support.fake_apiserver import (
    KUBE_SYSTEM_UID,
    MALFORMED,
    FakeApiServer,
    FakeCluster,
    example_objects,
    pods,
)

NOW = datetime(2026, 11, 30, 2, 10, tzinfo=UTC)


def collect(
    kubeconfig: Path,
    needed: frozenset[str] | None = None,
    *,
    timeout: float = 5.0,
    deadline: float = 30.0,
    context: str | None = None,
) -> KubernetesState:
    options = ClusterOptions(
        kubeconfig=str(kubeconfig), context=context, timeout=timeout, deadline=deadline
    )
    return read_cluster(options, needed, NOW)


def gaps(state: KubernetesState) -> set[tuple[str, str | None, str]]:
    return {(g.kind, g.namespace, g.reason) for g in state.gaps}


def test_collects_every_known_kind_with_provenance(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    state = collect(kubeconfig)
    assert state.gaps == ()
    prov = state.provenance
    assert prov.source == "kubernetes" and prov.collected_at == NOW
    assert prov.cluster is not None and prov.cluster.server == apiserver.url
    assert prov.cluster.context == "fake" and prov.cluster.kube_system_uid == KUBE_SYSTEM_UID
    assert set(prov.collected) == set(KNOWN_KINDS) and all(
        ns is None for ns in prov.collected.values()
    )
    assert prov.resource_versions["Deployment"] == str(fake.resource_version)
    assert prov.digest == content_digest(state.resources, state.gaps)
    # list items carry no apiVersion/kind on the wire; the source restores them
    api = state.get("Deployment", "regulensai", "regulensai-api")
    assert api is not None and api.obj["apiVersion"] == "apps/v1"
    expected = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in fake.objects
    }
    assert {(r.kind, r.namespace, r.name) for r in state.resources} == expected


def test_lists_only_needed_kinds_plus_the_fixed_set(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    state = collect(kubeconfig, frozenset({"Deployment"}))
    kinds = set(state.provenance.collected)
    assert "Deployment" in kinds and "ClusterRole" in kinds and "Backup" in kinds
    assert "Service" not in kinds and state.of_kind("Service") == []
    # audit inputs are read in kube-system only
    assert state.provenance.collected["ConfigMap"] == "kube-system"
    assert {r.namespace for r in state.of_kind("ConfigMap")} == {"kube-system"}
    assert fake.count("/api/v1/namespaces/kube-system/pods") == 1
    # a replay with policies needing Services must not read "no Services"
    replayed = replay_gaps(state, frozenset({"Service", "ConfigMap", "Deployment"}))
    assert gaps(replayed) == {
        ("Service", None, "not-collected"),
        ("ConfigMap", None, "not-collected"),
    }


def test_unknown_needed_kind_is_a_gap(apiserver: FakeApiServer, kubeconfig: Path) -> None:
    state = collect(kubeconfig, frozenset({"Certificate"}))
    assert ("Certificate", None, "404") in gaps(state)


def test_pagination_finds_every_object(tmp_path: Path) -> None:
    fake = FakeCluster(objects=[*example_objects(), *pods(2000)])
    with FakeApiServer(fake) as server:
        state = collect(server.kubeconfig(tmp_path / "kc"), frozenset({"Pod"}))
    names = [r.name for r in state.of_kind("Pod")]
    assert len(names) == 2001 and len(set(names)) == 2001  # + the kube-apiserver Pod
    page_requests = [p for p in fake.requests if p[1].startswith("/api/v1/pods?")]
    assert len(page_requests) == 5 and all("limit=500" in p[1] for p in page_requests)
    assert sum("continue=" in p[1] for p in page_requests) == 4


def test_410_gone_restarts_the_list_and_never_splices(tmp_path: Path) -> None:
    fake = FakeCluster(objects=[*example_objects(), *pods(1200)], expire_once={"Pod"})
    with FakeApiServer(fake) as server:
        state = collect(server.kubeconfig(tmp_path / "kc"), frozenset({"Pod"}))
    assert [s for _, p, s in fake.requests if p.startswith("/api/v1/pods?")].count(410) == 1
    names = [r.name for r in state.of_kind("Pod")]
    # the restarted list is the new version: the object written mid-list, no duplicates
    assert "zz-added-mid-list" in names and len(names) == len(set(names)) == 1202
    assert state.provenance.resource_versions["Pod"] == str(fake.resource_version)
    assert state.gaps == ()


def test_403_404_503_become_gaps(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.forbidden |= {("ClusterRole", None), ("ConfigMap", "kube-system")}
    fake.unavailable_groups.add("velero.io")
    state = collect(kubeconfig, frozenset({"Deployment"}))
    assert gaps(state) == {
        ("ClusterRole", None, "403"),
        ("ConfigMap", "kube-system", "403"),
        ("Backup", None, "503"),
        ("Schedule", None, "503"),
    }
    assert state.of_kind("ClusterRole") == [] and state.of_kind("Deployment")
    # 503 is retried (bounded, honouring Retry-After), then reported
    assert fake.count("/apis/velero.io/v1") == MAX_ATTEMPTS


def test_missing_api_group_is_a_404_gap(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.missing_groups.add("velero.io")
    state = collect(kubeconfig, frozenset())
    assert {g for g in gaps(state) if g[2] != "403"} == {
        ("Backup", None, "404"),
        ("Schedule", None, "404"),
    }


def test_429_honours_retry_after(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.throttle["Deployment"] = 2
    fake.retry_after = "0.2"
    started = time.monotonic()
    state = collect(kubeconfig, frozenset({"Deployment"}))
    assert time.monotonic() - started >= 0.4
    assert state.gaps == () and len(state.of_kind("Deployment")) == 2
    assert fake.count("/apis/apps/v1/deployments") == 3


def test_slow_server_times_out_within_bound_without_hidden_retries(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.delays["Deployment"] = 5.0
    started = time.monotonic()
    state = collect(kubeconfig, frozenset({"Deployment"}), timeout=0.4)
    elapsed = time.monotonic() - started
    assert ("Deployment", None, "timeout") in gaps(state)
    assert elapsed < 3.0  # one 0.4 s timeout plus the other lists, not 5 s nor retries
    assert fake.count("/apis/apps/v1/deployments") == 1


def test_deadline_bounds_the_whole_collection(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    for kind in ("ClusterRole", "ClusterRoleBinding", "CronJob", "Job", "Namespace"):
        fake.delays[kind] = 0.4
    started = time.monotonic()
    state = collect(kubeconfig, frozenset(), timeout=5, deadline=1.0)
    assert time.monotonic() - started < 2.0
    reasons = {g.reason for g in state.gaps}
    assert reasons <= {"deadline"} and reasons  # the lists past the deadline are gaps


def test_bad_token_and_unreachable_server_are_input_errors(
    apiserver: FakeApiServer, tmp_path: Path
) -> None:
    bad = apiserver.kubeconfig(tmp_path / "bad", token="wrong")
    with pytest.raises(InputDataError, match="401"):
        collect(bad)
    server = FakeApiServer()
    closed = server.kubeconfig(tmp_path / "closed")
    server._server.server_close()  # never started: the port refuses connections
    with pytest.raises(InputDataError, match="cannot reach"):
        collect(closed, timeout=1)


def test_an_unreachable_server_can_be_one_gap_of_every_kind(
    apiserver: FakeApiServer, tmp_path: Path
) -> None:
    """For a run that judges: no objects, a `*` gap saying why, the kubeconfig's identity."""
    bad = apiserver.kubeconfig(tmp_path / "bad", token="wrong")
    options = ClusterOptions(kubeconfig=str(bad), timeout=5.0, unreachable_is_gap=True)
    state = read_cluster(options, frozenset({"Deployment"}), NOW)
    assert state.resources == ()
    assert gaps(state) == {
        ("*", None, "unreachable: the API server rejected the credentials (HTTP 401)")
    }
    described = state.gaps[0].describe()
    assert described == "any kind: the API server rejected the credentials (HTTP 401)"
    prov = state.provenance
    assert prov.cluster is not None and prov.cluster.server == apiserver.url
    assert prov.collected == {} and prov.collected_at == NOW
    assert prov.digest == content_digest((), state.gaps)
    # every kind a policy reads is hidden by it, whatever the namespace
    assert state.gaps_for(frozenset({"Secret"}), ["prod"]) == list(state.gaps)


def test_context_selection(apiserver: FakeApiServer, kubeconfig: Path) -> None:
    state = collect(kubeconfig, frozenset(), context="other")
    assert state.provenance.cluster is not None and state.provenance.cluster.context == "other"
    with pytest.raises(ConfigError, match="nope"):
        collect(kubeconfig, frozenset(), context="nope")


def test_plan_lists_cluster_wide_wins_over_kube_system() -> None:
    plans = plan_lists(frozenset({"ConfigMap"}))
    assert next(p for p in plans if p.kind == "ConfigMap").namespace is None
    assert next(p for p in plans if p.kind == "Pod").namespace == "kube-system"


def test_kubeconfig_problems_are_config_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("users: [\n")
    with pytest.raises(ConfigError, match=r"not valid YAML \(line 2\)"):
        collect(bad)
    with pytest.raises(ConfigError, match="cannot load"):
        collect(tmp_path / "missing")
    in_cluster = ClusterOptions(in_cluster_env={"KUBERNETES_SERVICE_HOST": "10.0.0.1"})
    with pytest.raises(ConfigError, match="cannot load"):  # no service account token here
        read_cluster(in_cluster, frozenset(), NOW)
    with pytest.raises(ConfigError, match="no kubeconfig"):
        read_cluster(ClusterOptions(), frozenset(), NOW)


def test_dropped_connections_are_retried_then_reported(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.hang_up["/deployments"] = 2
    state = collect(kubeconfig, frozenset({"Deployment"}))
    assert state.gaps == () and len(state.of_kind("Deployment")) == 2
    assert fake.count("/apis/apps/v1/deployments") == 3
    fake.hang_up["/statefulsets"] = MAX_ATTEMPTS
    state = collect(kubeconfig, frozenset({"StatefulSet"}))
    assert ("StatefulSet", None, "error") in gaps(state)


def test_slow_discovery_is_a_gap_or_unreachable_never_a_crash(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster
) -> None:
    fake.delays["/apis"] = 5.0
    state = collect(kubeconfig, frozenset(), timeout=0.3)
    assert ("ClusterRole", None, "timeout") in gaps(state)
    assert ("Namespace", None, "timeout") not in gaps(state) and state.of_kind("Namespace")
    fake.delays["/api"] = 5.0
    with pytest.raises(InputDataError, match="cannot reach"):
        collect(kubeconfig, frozenset(), timeout=0.3)


@pytest.mark.parametrize("fault", MALFORMED)
def test_an_answer_that_is_not_a_page_of_the_list_is_a_gap_never_zero_objects(
    apiserver: FakeApiServer, kubeconfig: Path, fake: FakeCluster, fault: str
) -> None:
    fake.malformed["Deployment"] = fault
    state = collect(kubeconfig, frozenset({"Deployment"}), deadline=10.0)
    assert ("Deployment", None, "malformed") in gaps(state)
    assert "Deployment" not in state.provenance.collected
    assert state.of_kind("Deployment") == []
    # the other lists are unaffected
    assert state.of_kind("ClusterRole") and ("ClusterRole", None, "malformed") not in gaps(state)


def test_a_malformed_list_denies_the_gate_with_exit_2(
    apiserver: FakeApiServer,
    kubeconfig: Path,
    fake: FakeCluster,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.malformed["ClusterRole"] = "empty-object"
    code, out, err = run_main(
        ["evaluate", "--policies", "builtin:ops-baseline", "--select", "rbac-no-wildcards",
         "--cluster", "--kubeconfig", str(kubeconfig), "--now", "2026-11-30T02:10:00Z",
         "--format", "json"],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 2, err
    assert [r["status"] for r in doc["results"]] == ["error"]
    assert doc["coverage"]["complete"] is False
    assert {"kind": "ClusterRole", "namespace": None, "reason": "malformed"} in doc["coverage"][
        "gaps"
    ]
