"""The CLI for people: colour, log layout, complete messages, per-command flags, one name each."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from regulens.cli import cli
from tests.cli.helpers import run_cli
from tests.conftest import EXAMPLES

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NONCOMPLIANT = [
    "evaluate", "--policies", "builtin:ops-baseline", "--select", "rbac-*",
    "--manifests", str(EXAMPLES / "platform-noncompliant"), "--now", "2026-11-30T00:00:00Z",
]  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "env", "coloured"),
    [
        ([], {}, False),  # captured output is no terminal
        (["--color", "always"], {"NO_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "1"}, True),
        (["--color", "auto"], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
    ],
)
def test_color_flag_and_environment(
    flags: list[str],
    env: dict[str, str],
    coloured: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run_cli([*NONCOMPLIANT, *flags], capsys)
    assert code == 1, err
    assert bool(ANSI.search(out)) is coloured


def test_a_pipe_gets_one_unwrapped_line_per_result_fails_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli([*NONCOMPLIANT, "--show-passed"], capsys)
    assert code == 1, err
    lines = out.splitlines()
    results = [line for line in lines if re.match(r"(FAIL|ERROR|WARN|PASS|SKIP) ", line)]
    statuses = [line.split()[0] for line in results]
    order = ["FAIL", "ERROR", "WARN", "PASS", "SKIP"]
    assert statuses == sorted(statuses, key=order.index) and "PASS" in statuses
    assert any(len(line) > 200 for line in results)  # no 80-column wrap
    privileged = next(line for line in results if "rbac-cluster-admin-restricted" in line)
    assert "(" + str(EXAMPLES / "platform-noncompliant" / "40-rbac.yaml") + ":90)" in privileged


def test_rbac_messages_are_complete_sentences_naming_who_is_allowed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli([*NONCOMPLIANT, "--format", "json"], capsys)
    assert code == 1, err
    failed = [r for r in json.loads(out)["results"] if r["status"] == "fail"]
    messages = {r["policy"]: r["message"] for r in failed}
    assert messages["rbac-cluster-admin-restricted"].endswith(
        "; only Group system:masters may be bound to it"
    )
    assert messages["rbac-secrets-admin-only"].endswith(
        "; only subjects bound to ClusterRole/security-admin (and the excluded system subjects) "
        "may hold these permissions"
    )
    for r in failed:  # no message of any check stops mid-sentence
        assert not re.search(r"\b(may|may be|only|the|to|of|and)$", r["message"]), r


RBAC_ONLY = {"--manifests", "--kustomize", "--cluster", "--snapshot", "-n", "--format"}
NOT_RBAC = {"--backups", "--metrics", "--trivy-report", "--change", "--prometheus", "--drills"}


@pytest.mark.parametrize("command", [["rbac", "who-can"], ["rbac", "can-i"]])
def test_rbac_commands_show_only_their_own_flags(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli([*command, "--help"], capsys)
    assert code == 0
    flags = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", out))
    assert flags >= RBAC_ONLY and not (NOT_RBAC & flags)
    assert len([line for line in out.splitlines() if line.startswith("  -")]) <= 14


def test_evaluate_still_has_every_input_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["evaluate", "--help"], capsys)
    assert code == 0 and set(re.findall(r"--[a-z-]+", out)) >= NOT_RBAC


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    out = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the root group loads its commands lazily
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        out.append((" ".join(path), command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
    return out


# Documents (reports, reviews, rendered evidence) have their own formats; results use these.
DOCUMENT_COMMANDS = {"report", "review", "evidence render"}


def test_every_command_that_prints_results_says_table_or_json() -> None:
    seen = []
    for name, command in _commands(cli):
        for param in command.params:
            if "--format" not in getattr(param, "opts", ()) or name in DOCUMENT_COMMANDS:
                continue
            assert isinstance(param.type, click.Choice), name
            choices = list(param.type.choices)
            assert choices[:2] == ["table", "json"] and param.default == "table", name
            seen.append(name)
    assert {
        "evaluate",
        "gate",
        "validate",
        "checks list",
        "rbac who-can",
        "evidence verify",
    } <= set(seen)


def test_format_text_is_a_deprecated_alias_of_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["checks", "list", "--format", "text"], capsys)
    assert code == 0 and "backup-recency" in out
    assert "--format text is deprecated" in err and "use --format table" in err


def test_review_takes_period_and_month_is_a_deprecated_alias(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(["review", "--period", "2026-13"], capsys)
    assert code == 3 and "deprecated" not in err and "2026-13" in err
    code, out, err = run_cli(["review", "--month", "2026-13"], capsys)
    assert code == 3 and "--month is deprecated" in err and "2026-13" in err
    code, _, err = run_cli(["review", "--period", "2026-11", "--month", "2026-10"], capsys)
    assert code == 3 and "disagree" in err
    code, _, err = run_cli(["review", "sign", "--reviewer", "dana"], capsys)
    assert code == 3 and "missing --period" in err
    code, out, _ = run_cli(["review", "--help"], capsys)
    assert "--period" in out and "--month" not in out


def test_validate_json_lists_located_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: x, version: '1'}\n"
        "policies:\n  - id: a\n    title: A\n    severity: hgh\n"
        "    check: {type: backup-recency, target: db, max_age: 15m}\n"
    )
    code, out, err = run_cli(["validate", str(bad), "--format", "json"], capsys)
    assert code == 3, err
    doc = json.loads(out)
    assert doc["valid"] is False and doc["policies"] == 0
    where = {(p["file"], p["line"], p["column"], p["path"]) for p in doc["problems"]}
    assert (str(bad), 7, 15, "policies[0].severity") in where
    assert all(set(p) == {"file", "line", "column", "path", "message"} for p in doc["problems"])
    bad.write_text(bad.read_text() + "    check: {type: backup-recency, target: db}\n")
    code, out, _ = run_cli(["validate", str(bad), "--format", "json"], capsys)
    (dup,) = json.loads(out)["problems"]
    assert code == 3 and (dup["line"], dup["path"]) == (9, "policies[0].check"), dup


def test_validate_json_of_a_missing_file_and_of_a_good_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(["validate", str(tmp_path / "nope.yaml"), "--format", "json"], capsys)
    assert code == 3
    (problem,) = json.loads(out)["problems"]
    assert problem["file"] is None and "no such file" in problem["message"]
    code, out, _ = run_cli(["validate", "builtin:ops-baseline", "--format", "json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["valid"] is True and doc["problems"] == [] and doc["policies"] > 0


@pytest.mark.parametrize(
    ("args", "whole"),
    [
        (
            ["rbac", "who-can", "get", "secrets", "-n", "regulensai", "--manifests",
             str(EXAMPLES / "platform-noncompliant")],
            "system:serviceaccounts:regulensai │           │ ClusterRoleBinding/ops-everything → "
            "ClusterRole/ops-everything",
        ),
        (["checks", "list"],
         "│ rbac-permission-restricted   │ Only listed subjects, or subjects bound to listed"),
    ],
)  # fmt: skip
def test_other_tables_in_a_log_keep_names_and_rows_whole(
    args: list[str], whole: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert whole in out
