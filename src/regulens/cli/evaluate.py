"""`regulens evaluate`: judge a snapshot against policies and decide."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import click

from regulens.cli.evidence import check_recording, in_ci
from regulens.cli.render import plan_outputs
from regulens.cli.run import judge_and_publish, load, run_options


@click.command("evaluate")
@run_options
@click.option("--record", "record_run", is_flag=True, help="Record the decision as evidence.")
@click.option(
    "--soft-fail",
    "soft_fail",
    is_flag=True,
    help="Report everything, but policy failures exit 0; missing, stale or unreadable data "
    "and rules that could not be evaluated still exit 2.",
)
def evaluate_cmd(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    fmt: str,
    output: tuple[str, ...],
    color: str,
    force: bool,
    now: datetime | None,
    show_passed: bool,
    source_root: str | None,
    fail_on: str | None,
    findings_baseline: str | None,
    select_namespace: tuple[str, ...],
    exclude_namespace: tuple[str, ...],
    record_run: bool,
    soft_fail: bool,
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    allow_unsigned: bool,
    **inputs: Any,
) -> int:
    """Evaluate policies against manifests or cluster state; exit 0 allow, 1 deny, 2 incomplete."""
    if record_run:
        check_recording(
            evidence=evidence,
            signing_key=signing_key,
            allow_unsigned=allow_unsigned,
            ci=in_ci(os.environ),
        )
    specs = plan_outputs(fmt, output)
    run = load(
        policies,
        select,
        skip,
        exceptions,
        inputs,
        now,
        fail_on=fail_on,
        soft_fail=soft_fail,
        findings_baseline=findings_baseline,
        select_namespace=select_namespace,
        exclude_namespace=exclude_namespace,
    )
    return judge_and_publish(
        "evaluate",
        run,
        specs,
        change_file=inputs.get("change"),
        source_root=source_root,
        force=force,
        show_passed=show_passed,
        color=color,
        recording=record_run,
        evidence=evidence,
        stream=stream,
        signing_key=signing_key,
    )
