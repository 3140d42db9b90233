"""The ops-security-events pack on its `cases/<policy-id>/{pass,fail}/*.jsonl` audit logs.

Each case is a small audit log (JSON lines) judged at NOW over the pack's 24 h
window; a fail case must fail its own policy, and its `.expect` file holds text
one failure message must contain (the user, and for samples the audit ID).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regulens.policies import load_policies
from tests.cli.helpers import run_json

CASES = Path(__file__).resolve().parent / "cases"
NOW = "2026-11-30T02:10:00Z"
PACK = "builtin:ops-security-events"
POLICIES = sorted(p.id for p in load_policies([PACK]).policies)


def _cases(status: str) -> list[Path]:
    return sorted(p for i in POLICIES for p in (CASES / i / status).glob("*.jsonl"))


def _run(case: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]]]:
    policy = case.parents[1].name
    args = ["evaluate", "--policies", PACK, "--select", policy, "--audit-log", str(case)]
    code, report = run_json([*args, "--now", NOW], capsys)
    return code, report["results"]


def test_every_policy_has_pass_and_fail_cases() -> None:
    for policy in POLICIES:
        assert list((CASES / policy / "pass").glob("*.jsonl")), policy
        assert list((CASES / policy / "fail").glob("*.jsonl")), policy


@pytest.mark.parametrize("case", _cases("pass"), ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_pass_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, capsys)
    assert code == 0, results
    assert [r["status"] for r in results] == ["pass"]


@pytest.mark.parametrize("case", _cases("fail"), ids=lambda p: f"{p.parents[1].name}/{p.stem}")
def test_fail_case(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, capsys)
    assert code == 1, results
    failed = [r for r in results if r["status"] == "fail"]
    assert failed, results
    expect = case.with_suffix(".expect").read_text("utf-8").strip()
    assert any(expect in str(r["message"]) for r in failed), [r["message"] for r in failed]
    for r in failed:
        events = r["details"]["events"]  # type: ignore[index]
        assert events and all(e["audit_id"] and e["time"] and e["verb"] for e in events)
