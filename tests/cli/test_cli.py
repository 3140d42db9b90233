"""CLI exit codes, output files and messages, through CliRunner and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from regulens.cli import cli, main
from tests.conftest import EXAMPLES, ROOT

BASELINE = "builtin:ops-baseline"
NOW = ["--now", "2026-11-30T01:30:00Z"]


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_evaluate_compliant_example_allows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(
        ["evaluate", "--policies", BASELINE, "--select", "workload-*", "--select", "hpa-*",
         "--manifests", str(EXAMPLES / "platform"), "--format", "json", *NOW],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 0 and doc["decision"] == "allow"
    assert doc["summary"]["fail"] == 0 and doc["summary"]["pass"] > 0
    assert doc["coverage"] == {"complete": True, "gaps": []}


def test_evaluate_noncompliant_example_denies_naming_resources(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_main(
        ["evaluate", "--policies", BASELINE, "--select", "workload-*", "--select", "hpa-*",
         "--manifests", str(EXAMPLES / "platform-noncompliant"), "--format", "json", *NOW],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 1 and doc["decision"] == "deny" and doc["exit_code"] == 1
    failed = {(r["policy"], r["resource"]["name"]) for r in doc["results"] if r["status"] == "fail"}
    assert ("workload-no-privileged", "regulensai-api") in failed
    assert ("workload-no-latest-tag", "regulensai-api") in failed
    assert ("workload-resource-limits", "regulensai-worker") in failed
    assert ("hpa-api-bounds", "regulensai-api") in failed
    located = next(r for r in doc["results"] if r["status"] == "fail")
    assert located["location"]["file"].endswith(".yaml") and located["location"]["line"] >= 1


def test_validate_bad_policy_exits_3_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: x}\npolicies:\n"
        "  - id: a\n    title: t\n    severity: high\n    enforcement: no\n"
        "    check: {type: resource-condition, expression: 'true'}\n"
    )
    code, _, err = run_main(["validate", str(bad)], capsys)
    assert code == 3
    assert f"{bad}:8:18: policies[0].enforcement: ambiguous value 'no'" in err
    assert "Traceback" not in err


def test_validate_builtin_ok(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["validate", BASELINE], capsys)
    assert code == 0 and out.startswith("ok: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "--policies", "nope.yaml", "--manifests", "x"], "nope.yaml: no such file"),
        (["evaluate", "--policies", "builtin:nope"], "unknown built-in pack 'nope'"),
        (["evaluate", "--policies", BASELINE, "--select", "zzz-*"], "matches no loaded policy"),
        (["evaluate", "--policies", BASELINE, "--skip", "*"], "no policy selected"),
        (["evaluate", "--policies", BASELINE, "--now", "2026-11-30T02:00:00"], "no time zone"),
        (["evaluate", "--bogus"], "No such option"),
    ],
)
def test_usage_errors_exit_3(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(args, capsys)
    assert code == 3
    assert message in err
    assert "Traceback" not in err


def test_missing_input_is_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(
        ["evaluate", "--policies", BASELINE, "--select", "workload-no-privileged",
         "--format", "json", *NOW],
        capsys,
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 2 and doc["summary"]["error"] == 1
    assert "--manifests" in doc["results"][0]["message"]


def test_output_file_is_atomic_and_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.json"
    args = ["evaluate", "--policies", BASELINE, "--select", "workload-*", "--manifests",
            str(EXAMPLES / "platform"), "--format", "json", "-o", str(target), *NOW]  # fmt: skip
    assert run_main(args, capsys)[0] == 0
    first = target.read_bytes()
    assert json.loads(first)["decision"] == "allow"
    code, _, err = run_main(args, capsys)
    assert code == 3 and "already exists" in err and target.read_bytes() == first
    assert run_main([*args, "--force"], capsys)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_checks_list_names_every_type() -> None:
    result = CliRunner().invoke(cli, ["checks", "list", "--format", "json"])
    assert result.exit_code == 0
    types = {row["type"] for row in json.loads(result.output)}
    assert "resource-condition" in types


def test_real_subprocess_exit_codes_and_stdin(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "regulens"]
    manifests = (EXAMPLES / "platform-noncompliant" / "10-api.yaml").read_text()
    proc = subprocess.run(
        [*exe, "evaluate", "--policies", BASELINE, "--select", "workload-no-privileged",
         "--manifests", "-", "--format", "json", *NOW],
        input=manifests, capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["location"]["file"] == "-"
    proc = subprocess.run(
        [*exe, "validate", str(tmp_path / "missing.yaml")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 3 and "Traceback" not in proc.stderr


def test_output_to_a_fifo_writes_in_place_and_never_replaces_it(tmp_path: Path) -> None:
    import os
    import stat
    import threading

    from regulens.cli.output import write_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(str(fifo), b"payload", force=True)
    reader.join(timeout=10)
    assert received == [b"payload"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_output_file_mode_follows_the_umask(tmp_path: Path) -> None:
    import os

    from regulens.cli.output import write_atomic

    old = os.umask(0o022)
    try:
        write_atomic(str(tmp_path / "report.json"), b"{}", force=False)
    finally:
        os.umask(old)
    assert (tmp_path / "report.json").stat().st_mode & 0o777 == 0o644
