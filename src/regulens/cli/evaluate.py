"""`regulens evaluate`: judge a snapshot against policies and decide."""

from __future__ import annotations

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
from regulens.engine.exceptions import apply_exceptions
from regulens.engine.outcome import Outcome


@click.command("evaluate")
@policy_options
@input_options
@exception_options
@output_options(FORMATS)
@click.option("--show-passed", is_flag=True, help="Table format: list passing results too.")
@click.option("--record", is_flag=True, help="Record the decision in the evidence store.")
@record_options
def evaluate_cmd(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    fmt: str,
    output: str | None,
    force: bool,
    now: datetime | None,
    show_passed: bool,
    record: bool,
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    **inputs: Any,
) -> int:
    """Evaluate policies against manifests or cluster state; exit 0 allow, 1 deny, 2 incomplete."""
    loaded, chosen = load_selected(policies, select, skip)
    waivers = load_exceptions(exceptions, loaded)
    at = resolve_now(now)
    snapshot = build_snapshot(inputs, chosen, at)
    results = evaluate(chosen, snapshot, EvalContext(now=at))
    results, report = apply_exceptions(results, waivers, at)
    outcome = Outcome.of(decide(results), results, snapshot, at, report)
    if record:
        # Before any output: a run that cannot be recorded exits 4 and prints no decision.
        stored = record_outcome(
            command="evaluate",
            outcome=outcome,
            snapshot=snapshot,
            loaded=loaded,
            selected=[p.id for p in chosen],
            waivers=waivers,
            evidence=evidence,
            stream=stream,
            signing_key=signing_key,
        )
        click.echo(f"recorded run {stored.run_id} as {stored.stream}#{stored.seq}", err=True)
    render_outcome(outcome, fmt, output, force=force, show_passed=show_passed)
    return int(outcome.decision.exit_code)


def register(group: click.Group) -> None:
    """Add the command to the CLI."""
    group.add_command(evaluate_cmd)
