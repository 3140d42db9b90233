"""`regulens gate`: may this change be deployed now? Allow or deny with reasons, fail-closed.

The flow is load -> snapshot -> evaluate -> exceptions -> decide -> render;
each step is a function here so a record step can sit between decide and render.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from regulens.cli.common import (
    build_snapshot,
    exception_options,
    input_options,
    load_exceptions,
    load_selected,
    output_options,
    policy_options,
    resolve_now,
)
from regulens.cli.evidence import record_options, record_outcome
from regulens.cli.render import FORMATS, render_outcome
from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.exceptions import PolicyException, apply_exceptions
from regulens.engine.outcome import Outcome
from regulens.engine.policy import Policy
from regulens.errors import ConfigError
from regulens.policies import LoadedPolicies
from regulens.snapshot import Snapshot


@dataclass(frozen=True)
class GateRun:
    """The loaded inputs of one gate run: policies, exceptions, snapshot and time."""

    loaded: LoadedPolicies
    policies: list[Policy]
    exceptions: list[PolicyException]
    snapshot: Snapshot
    now: datetime


def load(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    inputs: dict[str, Any],
    now: datetime | None,
) -> GateRun:
    """Load policies and exceptions, then collect the snapshot (every I/O happens here)."""
    if not inputs.get("change"):
        raise ConfigError("regulens gate needs --change FILE (a ChangeRequest document)")
    loaded, chosen = load_selected(policies, select, skip)
    waivers = load_exceptions(exceptions, loaded)
    at = resolve_now(now)
    snapshot = build_snapshot(inputs, chosen, at)
    return GateRun(loaded, chosen, waivers, snapshot, at)


def judge(run: GateRun) -> Outcome:
    """Evaluate, apply exceptions and decide: pure, no I/O."""
    results = evaluate(run.policies, run.snapshot, EvalContext(now=run.now))
    results, report = apply_exceptions(results, run.exceptions, run.now)
    return Outcome.of(decide(results), results, run.snapshot, run.now, report)


@click.command("gate")
@policy_options
@input_options
@exception_options
@output_options(FORMATS)
@click.option("--show-passed", is_flag=True, help="Table format: list passing results too.")
@record_options
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
    run = load(policies, select, skip, exceptions, inputs, now)
    outcome = judge(run)
    stored = record_outcome(
        command="gate",
        outcome=outcome,
        snapshot=run.snapshot,
        loaded=run.loaded,
        selected=[p.id for p in run.policies],
        waivers=run.exceptions,
        evidence=evidence,
        stream=stream,
        signing_key=signing_key,
    )
    click.echo(f"recorded run {stored.run_id} as {stored.stream}#{stored.seq}", err=True)
    render_outcome(
        outcome, fmt, output, force=force, show_passed=show_passed, source_file=inputs["change"]
    )
    return int(outcome.decision.exit_code)


def register(group: click.Group) -> None:
    """Add the command to the CLI."""
    group.add_command(gate_cmd)
