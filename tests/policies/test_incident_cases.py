"""The incident policies run on their `cases/<policy-id>/{pass,fail}/*.yaml` incident files.

A case is an `--incidents` file. Header comments set the evaluation time
(`# now: ...`), an Alertmanager silences export beside it (`# silences: FILE`)
and, for fail cases, text one failure message must contain (`# expect: TEXT`).
A pass case passes its policy (every result `pass`, exit 0); a fail case fails
it (exit 1) and every failure names an incident of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from regulens.policies import load_policies
from tests.cli.helpers import run_json

CASES = Path(__file__).resolve().parent / "cases"
PACK = "builtin:ops-incidents"
POLICIES = ["incident-response-time", "incident-review"]


def _header(case: Path, key: str) -> list[str]:
    return re.findall(rf"^# {key}: (.+)$", case.read_text(), flags=re.MULTILINE)


def _run(case: Path, policy: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    (now,) = _header(case, "now")
    args = ["evaluate", "--policies", PACK, "--select", policy, "--incidents", str(case)]
    args += ["--now", now]
    for silences in _header(case, "silences"):
        args += ["--alertmanager-silences", str(case.parent / silences)]
    code, report = run_json(args, capsys)
    return code, report["results"]


def _cases(kind: str) -> list[tuple[str, Path]]:
    return [(p, f) for p in POLICIES for f in sorted((CASES / p / kind).glob("*.yaml"))]


def test_the_pack_is_exactly_the_policies_with_cases() -> None:
    assert [p.id for p in load_policies([PACK]).policies] == POLICIES
    for policy in POLICIES:
        assert list((CASES / policy / "pass").glob("*.yaml")), policy
        assert list((CASES / policy / "fail").glob("*.yaml")), policy


@pytest.mark.parametrize(("policy", "case"), _cases("pass"), ids=lambda v: getattr(v, "stem", v))
def test_pass_case_passes(policy: str, case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, policy, capsys)
    assert code == 0, results
    assert results
    assert {r["status"] for r in results} == {"pass"}
    assert {r["policy"] for r in results} == {policy}


@pytest.mark.parametrize(("policy", "case"), _cases("fail"), ids=lambda v: getattr(v, "stem", v))
def test_fail_case_fails(policy: str, case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, results = _run(case, policy, capsys)
    assert code == 1, results
    failed = [r for r in results if r["status"] == "fail"]
    assert failed
    ids = {entry["id"] for entry in yaml.safe_load(case.read_text())}
    for r in failed:
        assert r["details"]["incident"] in ids
        assert r["details"]["incident"] in r["message"]
    for text in _header(case, "expect"):
        assert any(text in r["message"] for r in failed), [r["message"] for r in failed]
