"""`regulens gate`: may this change be deployed now? Allow or deny with reasons, fail-closed."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import click

from regulens.cli.evidence import check_recording, in_ci
from regulens.cli.render import render_context, stage_outcome
from regulens.cli.run import finish, judge, load, record, run_options
from regulens.errors import ConfigError


@click.command("gate")
@run_options
def gate_cmd(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    fmt: str,
    output: str | None,
    force: bool,
    now: datetime | None,
    show_passed: bool,
    source_root: str | None,
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    allow_unsigned: bool,
    **inputs: Any,
) -> int:
    """Gate a change (--change): exit 0 allow, 1 deny, 2 incomplete, 3 bad input, 4 no record.

    The output is rendered and staged, then the decision is recorded, then the output
    is published: when the store cannot be written the gate exits 4 and never says
    allow, and an output that cannot be written (exit 3) leaves no record behind.
    """
    if not inputs.get("change"):
        raise ConfigError("regulens gate needs --change FILE (a ChangeRequest document)")
    check_recording(
        evidence=evidence,
        signing_key=signing_key,
        allow_unsigned=allow_unsigned,
        ci=in_ci(os.environ),
    )
    run = load(policies, select, skip, exceptions, inputs, now)
    outcome = judge(run)
    context = render_context(
        source_root=source_root,
        change_file=inputs["change"],
        policy_sources=run.loaded.sources,
        policies=run.policies,
    )
    staged = stage_outcome(
        outcome, fmt, output, force=force, show_passed=show_passed, context=context
    )
    finish(
        staged,
        lambda: record(
            "gate", run, outcome, evidence=evidence, stream=stream, signing_key=signing_key
        ),
    )
    return int(outcome.decision.exit_code)


def register(group: click.Group) -> None:
    """Add the command to the CLI."""
    group.add_command(gate_cmd)
