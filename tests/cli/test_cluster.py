"""`--cluster`, `--snapshot` and `regulens snapshot` end to end against the fake API server."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

import pytest

from regulens.cli import main
from tests.conftest import EXAMPLES, ROOT
from tests.support.fake_apiserver import FakeApiServer, FakeCluster, with_objects

BASELINE = "builtin:ops-baseline"
# the Kubernetes-state policies of the pack (others need --change and friends)
SELECT = ["--select", "workload-*", "--select", "hpa-*"]
NOW = ["--now", "2026-11-30T02:10:00Z", *SELECT]
CLUSTER_ROLE_POLICY = """\
apiVersion: regulens/v1
kind: PolicySet
metadata: {name: rbac-test}
policies:
  - id: security-admin-exists
    title: The security-admin ClusterRole exists
    severity: high
    match: {kinds: [ClusterRole]}
    check:
      type: resource-condition
      min_matches: 1
      filter: "object.metadata.name == 'security-admin'"
      expression: "has(object.rules)"
"""


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_live_and_replayed_snapshot_give_identical_json(
    kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = ["--cluster", "--kubeconfig", str(kubeconfig)]
    # every built-in policy judging cluster state: workloads, RBAC, audit, RPO from backups
    kube = [*SELECT, "--select", "rbac-*", "--select", "audit-*", "--select", "rpo-*"]
    at = ["--now", "2026-11-30T01:30:00Z", *kube]
    code, out_live, _ = run_main(
        ["evaluate", "--policies", BASELINE, *live, "--format", "json", *at], capsys
    )
    summary = json.loads(out_live)["summary"]
    assert code == 0 and summary["pass"] > 20 and summary["error"] == 0
    snap = tmp_path / "snap.json"
    code, _, _ = run_main(
        ["snapshot", *live, "--policies", BASELINE, *kube, "-o", str(snap)], capsys
    )
    assert code == 0 and json.loads(snap.read_text())["kubernetes"]["provenance"]["cluster"]
    code, out_replay, _ = run_main(
        ["evaluate", "--policies", BASELINE, "--snapshot", str(snap), "--format", "json", *at],
        capsys,
    )
    assert code == 0 and out_replay == out_live
    # refusing to overwrite, and both sources of the same section at once
    code, _, err = run_main(["snapshot", *live, "-o", str(snap)], capsys)
    assert code == 3 and "already exists" in err
    code, _, err = run_main(
        ["evaluate", "--policies", BASELINE, *live, "--snapshot", str(snap), *NOW], capsys
    )
    assert code == 3 and "give only one" in err


def test_manifest_snapshot_replays_identically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    platform = str(EXAMPLES / "platform-noncompliant")
    args = ["evaluate", "--policies", BASELINE, "--format", "json", *NOW]
    code, direct, _ = run_main([*args, "--manifests", platform], capsys)
    snap = tmp_path / "m.json"
    assert run_main(["snapshot", "--manifests", platform, "-o", str(snap)], capsys)[0] == 0
    code2, replay, _ = run_main([*args, "--snapshot", str(snap)], capsys)
    assert code == code2 == 1 and replay == direct
    assert '"location"' in replay  # manifest locations survive the round trip


def test_tampered_snapshot_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "m.json"
    run_main(["snapshot", "--manifests", str(EXAMPLES / "platform"), "-o", str(snap)], capsys)
    doc = json.loads(snap.read_text())
    doc["kubernetes"]["resources"][0]["object"]["metadata"]["name"] = "renamed"
    snap.write_text(json.dumps(doc))
    code, _, err = run_main(["evaluate", "--policies", BASELINE, "--snapshot", str(snap)], capsys)
    assert code == 2 and "does not match its digest" in err


def test_forbidden_cluster_roles_error_the_policies_needing_them(
    fake: FakeCluster, kubeconfig: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "rbac.yaml"
    policy.write_text(CLUSTER_ROLE_POLICY)
    args = ["evaluate", "--policies", str(policy), "--policies", BASELINE]
    args += ["--cluster", "--kubeconfig", str(kubeconfig), *NOW, "--select", "security-admin-*"]
    code, out, _ = run_main([*args, "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["coverage"]["complete"] is True
    fake.forbidden.add(("ClusterRole", None))
    code, out, _ = run_main([*args, "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 2 and doc["decision"] == "deny"
    assert doc["coverage"] == {
        "complete": False,
        "gaps": [{"kind": "ClusterRole", "namespace": None, "reason": "403"}],
    }
    errored = [r for r in doc["results"] if r["status"] == "error"]
    assert [r["policy"] for r in errored] == ["security-admin-exists"]
    assert "ClusterRole (403)" in errored[0]["message"]
    code, out, _ = run_main(args, capsys)
    assert code == 2 and "coverage gaps" in out and "  ClusterRole (403)\n" in out
    # the built-in RBAC policies read ClusterRoles too
    builtin = ["evaluate", "--policies", BASELINE, "--select", "rbac-*", "--format", "json"]
    live = ["--cluster", "--kubeconfig", str(kubeconfig), *NOW[:2]]
    code, out, _ = run_main([*builtin, *live], capsys)
    doc = json.loads(out)
    assert code == 2 and doc["summary"]["error"] > 0
    assert all(
        "ClusterRole (403)" in r["message"] for r in doc["results"] if r["status"] == "error"
    )


SECRET = "PLANTED-s3cr3t-value-7f3a9c"
TOKEN = "PLANTED-bearer-token-c41d2e"


def _planted_objects() -> list[dict[str, object]]:
    encoded = base64.b64encode(SECRET.encode()).decode()
    applied = json.dumps({"kind": "Secret", "stringData": {"password": SECRET}})
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "planted",
                "namespace": "regulensai",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied},
            },
            "data": {"password": encoded},
            "stringData": {"again": SECRET},
        }
    ]


def _assert_clean(*texts: str) -> None:
    encoded = base64.b64encode(SECRET.encode()).decode()
    for text in texts:
        for planted in (SECRET, encoded, TOKEN):
            assert planted not in text


def _regulens(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "regulens", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_secrets_and_token_never_leak(tmp_path: Path) -> None:
    fake = with_objects(_planted_objects())
    fake.token = TOKEN
    snap = tmp_path / "snap.json"
    with FakeApiServer(fake) as server:
        kc = str(server.kubeconfig(tmp_path / "kubeconfig"))
        live = _regulens(
            "-v", "evaluate", "--policies", BASELINE, "--cluster", "--kubeconfig", kc,
            "--format", "json", *NOW,
        )  # fmt: skip
        saved = _regulens("-v", "snapshot", "--cluster", "--kubeconfig", kc, "-o", str(snap))
    replay = _regulens(
        "-v", "evaluate", "--policies", BASELINE, "--snapshot", str(snap), "--show-passed", *NOW
    )
    assert live.returncode == 0 and saved.returncode == 0 and replay.returncode == 0
    assert "GET /api/v1/secrets?limit=500 -> 200" in saved.stderr  # --verbose logs requests
    snapshot_text = snap.read_text()
    secret = next(
        r["object"]
        for r in json.loads(snapshot_text)["kubernetes"]["resources"]
        if r["object"]["metadata"]["name"] == "planted"
    )
    assert secret["data"]["password"] == secret["stringData"]["again"]  # same value, same digest
    assert secret["data"]["password"].startswith("sha256:")
    _assert_clean(live.stdout, live.stderr, saved.stdout, saved.stderr, snapshot_text)
    _assert_clean(replay.stdout, replay.stderr)


def test_manifests_from_stdin_are_redacted(tmp_path: Path) -> None:
    docs = [json.dumps(o) for o in _planted_objects()]
    platform = sorted((EXAMPLES / "platform").glob("*.yaml"))
    text = "\n---\n".join([*(p.read_text() for p in platform), *docs]).encode()
    out = tmp_path / "stdin.json"
    saved = _regulens("-v", "snapshot", "--manifests", "-", "-o", str(out), stdin=text)
    assert saved.returncode == 0
    doc = json.loads(out.read_text())["kubernetes"]
    assert doc["provenance"]["inputs"] == ["-"] and doc["resources"][-1]["source"]["file"] == "-"
    assert doc["resources"][-1]["object"]["data"]["password"].startswith("sha256:")
    _assert_clean(saved.stdout, saved.stderr, out.read_text())


def test_every_section_round_trips_through_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = [
        "--manifests", str(EXAMPLES / "changes" / "manifests" / "debug-rolebinding.yaml"),
        "--current-manifests", str(EXAMPLES / "platform"),
        "--change", str(EXAMPLES / "changes" / "denied-category.yaml"),
    ]  # fmt: skip
    evaluate = ["evaluate", "--policies", BASELINE, "--now", "2026-11-30T01:30:00Z"]
    code, direct, _ = run_main([*evaluate, *inputs, "--format", "json"], capsys)
    snap = tmp_path / "all.json"
    assert run_main(["snapshot", *inputs, "-o", str(snap)], capsys)[0] == 0
    saved = json.loads(snap.read_text())
    assert saved["change"]["apiVersion"] == "regulens/v1" and saved["baseline"]["resources"]
    code2, replay, _ = run_main([*evaluate, "--snapshot", str(snap), "--format", "json"], capsys)
    assert code == code2 == 1 and replay == direct
    code, _, err = run_main([*evaluate, "--snapshot", str(snap), *inputs[4:]], capsys)
    assert code == 3 and "--change and --snapshot both supply" in err


def _unreachable(tmp_path: Path, token: str | None = None) -> tuple[Path, FakeApiServer | None]:
    """A kubeconfig whose server refuses connections, or (`token`) rejects the credentials."""
    server = FakeApiServer()
    if token is not None:
        return server.kubeconfig(tmp_path / "kc", token=token), server
    kubeconfig = server.kubeconfig(tmp_path / "kc")
    server._server.server_close()  # never started: the port refuses connections
    return kubeconfig, None


@pytest.mark.parametrize("rejected", [False, True], ids=["refused", "bad-token"])
def test_an_unreachable_cluster_is_judged_and_recorded_as_a_deny(
    rejected: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A scheduled run that cannot reach its cluster leaves evidence of a deny, not nothing."""
    kubeconfig, server = _unreachable(tmp_path, "wrong" if rejected else None)
    url = f"sqlite:///{tmp_path / 'e.db'}"
    live = ["--cluster", "--kubeconfig", str(kubeconfig), "--timeout", "2"]
    args = ["evaluate", "--policies", BASELINE, *live, *NOW, "--record", "--evidence", url]
    with server if server is not None else nullcontext():
        code, out, err = run_main([*args, "--format", "json"], capsys)
        table = run_main([*args[:-3], "--format", "table"], capsys)  # not recorded
    doc = json.loads(out)
    why = "the API server rejected the credentials" if rejected else "cannot reach the Kubernetes"
    assert code == 2 and doc["decision"] == "deny", err
    assert "recorded run " in err
    assert [g["kind"] for g in doc["coverage"]["gaps"]] == ["*"]
    assert table[0] == 2 and f"coverage gaps:\n  any kind: {why}" in table[1]
    assert doc["results"] and {r["status"] for r in doc["results"]} == {"error"}
    assert all(f"could not read any kind: {why}" in r["message"] for r in doc["results"])
    run_id = err.split("recorded run ")[1].split(maxsplit=1)[0]
    code, shown, _ = run_main(["evidence", "show", "--evidence", url, run_id], capsys)
    predicate = json.loads(shown)["statement"]["predicate"]
    assert code == 0 and predicate["decision"]["decision"] == "deny"
    assert predicate["coverage"]["complete"] is False
    code, verified, _ = run_main(["evidence", "verify", "--evidence", url], capsys)
    assert code == 0 and "OK" in verified


def test_an_unreachable_cluster_is_still_an_error_where_nothing_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`snapshot` saves no file and `rbac` answers nothing for an unreachable server."""
    kubeconfig, _ = _unreachable(tmp_path)
    live = ["--cluster", "--kubeconfig", str(kubeconfig), "--timeout", "2"]
    saved = tmp_path / "snap.json"
    code, _, err = run_main(["snapshot", *live, "-o", str(saved)], capsys)
    assert code == 2 and "cannot reach the Kubernetes API server" in err and not saved.exists()
    code, out, err = run_main(["rbac", "can-i", "user:alice", "get", "pods", *live], capsys)
    assert code == 2 and out == "" and "cannot reach the Kubernetes API server" in err
