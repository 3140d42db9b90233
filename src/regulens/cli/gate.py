"""`regulens gate`: may this change be deployed now? Allow or deny with reasons, fail-closed."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import click

from regulens.cli.evidence import check_recording, in_ci
from regulens.cli.render import plan_outputs
from regulens.cli.run import judge_and_publish, load, run_options
from regulens.errors import ConfigError


@click.command("gate")
@run_options
@click.option("--soft-fail", "soft_fail", is_flag=True, hidden=True)
def gate_cmd(
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
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    allow_unsigned: bool,
    soft_fail: bool,
    **inputs: Any,
) -> int:
    """Gate a change (--change): exit 0 allow, 1 deny, 2 incomplete, 3 bad input, 4 no record.

    The output is rendered and staged, then the decision is recorded, then the output
    is published: when the store cannot be written the gate exits 4 and never says
    allow, and an output that cannot be written (exit 3) leaves no record behind.
    """
    if soft_fail:
        raise ConfigError(
            "regulens gate has no --soft-fail: a gate that never fails is not a gate",
            hint="use `enforcement: warn` on a policy, --fail-on SEVERITY, or --findings-baseline "
            "FILE; `regulens evaluate --soft-fail` reports without failing",
        )
    if not inputs.get("change"):
        raise ConfigError("regulens gate needs --change FILE (a ChangeRequest document)")
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
        soft_fail=False,
        findings_baseline=findings_baseline,
        select_namespace=select_namespace,
        exclude_namespace=exclude_namespace,
    )
    return judge_and_publish(
        "gate",
        run,
        specs,
        change_file=inputs["change"],
        source_root=source_root,
        force=force,
        show_passed=show_passed,
        color=color,
        recording=True,
        evidence=evidence,
        stream=stream,
        signing_key=signing_key,
    )
