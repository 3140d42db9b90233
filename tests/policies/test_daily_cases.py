"""The ops-daily pack on its `cases/<policy-id>/{pass,fail}/*.yaml` live-state cases.

A case holds objects with their status, as a cluster answers them. The test
trims them as the live source does (`slim_status`), saves them as a snapshot
of a cluster collected at NOW and replays it through the CLI, so each case
runs the way a saved `regulens snapshot --cluster` would. A fail case must
fail its policy; its `# expect: TEXT` line is text one failure must contain.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regulens.policies import load_policies
from regulens.snapshot import KubernetesState, Provenance, Resource, Snapshot, content_digest
from regulens.snapshot.codec import dump_snapshot
from regulens.sources.manifests import read_manifests
from regulens.sources.status_fields import slim_status
from tests.cli.helpers import run_json

CASES = Path(__file__).resolve().parent / "cases"
NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
NOW_FLAG = "2026-11-30T06:00:00Z"
PACK = "builtin:ops-daily"
POLICIES = sorted(p.id for p in load_policies([PACK]).policies)
KINDS = ("Node", "Deployment", "StatefulSet", "Pod", "PersistentVolumeClaim", "Event")
KINDS += ("HorizontalPodAutoscaler",)


def live_snapshot(case: Path, tmp_path: Path) -> Path:
    resources = []
    for r in read_manifests([str(case)]).resources:
        slim = slim_status(copy.deepcopy(dict(r.obj)), NOW)
        if slim is not None:
            resources.append(Resource.from_object(slim))
    # listed cluster-wide, as a live run lists the kinds its policies need
    collected: dict[str, str | None] = dict.fromkeys(KINDS, None)
    provenance = Provenance(
        source="kubernetes",
        collected_at=NOW,
        collected=collected,
        digest=content_digest(resources, ()),
    )
    state = KubernetesState(provenance=provenance, resources=tuple(resources))
    path = tmp_path / "snapshot.json"
    path.write_bytes(dump_snapshot(Snapshot(kubernetes=state)))
    return path


def _cases(status: str) -> list[Path]:
    return sorted(p for i in POLICIES for p in (CASES / i / status).glob("*.yaml"))


def _run(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[dict[str, object]]]:
    policy = case.parents[1].name
    args = ["evaluate", "--policies", PACK, "--select", policy, "--now", NOW_FLAG]
    code, report = run_json([*args, "--snapshot", str(live_snapshot(case, tmp_path))], capsys)
    return code, report["results"]


def test_every_policy_has_pass_and_fail_cases() -> None:
    assert len(POLICIES) == 8
    for policy in POLICIES:
        assert list((CASES / policy / "pass").glob("*.yaml")), policy
        assert list((CASES / policy / "fail").glob("*.yaml")), policy


@pytest.mark.parametrize("case", _cases("pass"), ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_pass_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, tmp_path, capsys)
    assert code == 0, results
    assert {r["status"] for r in results} == {"pass"}


@pytest.mark.parametrize("case", _cases("fail"), ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_fail_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, tmp_path, capsys)
    assert code == 1, results
    failed = [r for r in results if r["status"] == "fail"]
    expect = case.read_text("utf-8").splitlines()[0].removeprefix("# expect: ")
    assert any(expect in str(r["message"]) for r in failed), [r["message"] for r in failed]


@pytest.mark.parametrize("policy", POLICIES)
def test_manifests_have_no_status_and_deny(
    policy: str, examples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["evaluate", "--policies", PACK, "--select", policy, "--now", NOW_FLAG]
    code, report = run_json([*args, "--manifests", str(examples / "platform")], capsys)
    assert code == 2
    (result,) = report["results"]
    assert result["status"] == "error"
    assert "pass --cluster, or a --snapshot saved from a cluster" in result["message"]


def test_a_stale_snapshot_cannot_judge_a_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES / "daily-warning-events" / "pass" / "twenty-recent.yaml"
    snapshot = live_snapshot(case, tmp_path)
    args = ["evaluate", "--policies", PACK, "--select", "daily-warning-events"]
    code, report = run_json([*args, "--snapshot", str(snapshot)], capsys)  # now: the wall clock
    assert code == 2
    assert f"replay with --now {NOW_FLAG}" in report["results"][0]["message"]
