"""`regulens gate`: may this change be deployed now? Allow or deny with reasons, fail-closed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from regulens.cli.render import render_outcome
from regulens.cli.run import judge, load, record, run_options
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
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    **inputs: Any,
) -> int:
    """Gate a change (--change): exit 0 allow, 1 deny, 2 incomplete, 3 bad input, 4 no record.

    Every decision is recorded in the evidence store before anything is printed:
    when the store cannot be written the gate exits 4 and never says allow.
    """
    if not inputs.get("change"):
        raise ConfigError("regulens gate needs --change FILE (a ChangeRequest document)")
    run = load(policies, select, skip, exceptions, inputs, now)
    outcome = judge(run)
    record("gate", run, outcome, evidence=evidence, stream=stream, signing_key=signing_key)
    render_outcome(
        outcome, fmt, output, force=force, show_passed=show_passed, source_file=inputs["change"]
    )
    return int(outcome.decision.exit_code)


def register(group: click.Group) -> None:
    """Add the command to the CLI."""
    group.add_command(gate_cmd)
