"""One evaluation run, shared by `evaluate` and `gate`: load, judge, render, record, publish.

Every input is read in `load`; `judge` is pure. `finish` orders the rest so that
no failure leaves a recorded decision behind a failed output and no store
failure (exit 4) follows a printed allow: the output is rendered in memory and
staged (an `--output` file fully written to a temp file beside it, a device
written in place), then the decision is recorded, then the output is published
(the temp file linked into place, or standard output written).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

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
from regulens.cli.output import Staged
from regulens.cli.render import FORMATS
from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.exceptions import PolicyException, apply_exceptions
from regulens.engine.outcome import Outcome
from regulens.engine.policy import Policy
from regulens.errors import RegulensError
from regulens.evidence.statement import Command
from regulens.policies import LoadedPolicies
from regulens.snapshot import Snapshot

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Run:
    """The loaded inputs of one run: policies, exceptions, snapshot and time."""

    loaded: LoadedPolicies
    policies: list[Policy]
    exceptions: list[PolicyException]
    snapshot: Snapshot
    now: datetime


def run_options(func: F) -> F:
    """Add the options `evaluate` and `gate` share (policies, inputs, output, evidence)."""
    func = record_options(func)
    func = click.option(
        "--show-passed", is_flag=True, help="Table format: list passing results too."
    )(func)
    func = click.option(
        "--source-root",
        "source_root",
        metavar="DIR",
        help="SARIF URIs are relative to this [default: the git top-level of the cwd, else cwd].",
    )(func)
    for add in (output_options(FORMATS), exception_options, input_options, policy_options):
        func = add(func)
    return func


def load(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    inputs: dict[str, Any],
    now: datetime | None,
) -> Run:
    """Load policies and exceptions, then collect the snapshot (every input is read here)."""
    loaded, chosen = load_selected(policies, select, skip)
    at = resolve_now(now)
    waivers = load_exceptions(exceptions, loaded, at)
    return Run(loaded, chosen, waivers, build_snapshot(inputs, chosen, at), at)


def judge(run: Run) -> Outcome:
    """Evaluate, apply exceptions and decide: pure, no I/O."""
    results = evaluate(run.policies, run.snapshot, EvalContext(now=run.now))
    results, report = apply_exceptions(results, run.exceptions, run.now)
    return Outcome.of(decide(results), results, run.snapshot, run.now, report)


def record(
    command: Command,
    run: Run,
    outcome: Outcome,
    *,
    evidence: str | None,
    stream: str,
    signing_key: str | None,
) -> str:
    """Record the decision in the evidence store (EvidenceError: exit 4, nothing printed)."""
    stored = record_outcome(
        command=command,
        outcome=outcome,
        snapshot=run.snapshot,
        loaded=run.loaded,
        selected=[p.id for p in run.policies],
        waivers=run.exceptions,
        evidence=evidence,
        stream=stream,
        signing_key=signing_key,
    )
    where = f"run {stored.run_id} as {stored.stream}#{stored.seq}"
    click.echo(f"recorded {where}", err=True)
    return where


def finish(staged: Staged, recording: Callable[[], str | None]) -> None:
    """Record (when `recording` does), then publish the staged output; discard it on failure.

    Only publishing can fail after a record is committed (standard output closed or
    full, or a file created at --output meanwhile): the error then names the run.
    """
    try:
        recorded = recording()
        try:
            staged.publish()
        except RegulensError as exc:
            if recorded is not None:
                exc.hint = (
                    f"the decision was recorded as {recorded}, but its output was not written"
                )
            raise
    finally:
        staged.discard()
