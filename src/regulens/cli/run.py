"""One evaluation run, shared by `evaluate` and `gate`: load, judge, render, record, publish.

Every input is read in `load`; `judge` is pure. `finish` orders the rest so that
no failure leaves a recorded decision behind a failed output and no store
failure (exit 4) follows a printed allow: the output is rendered in memory and
staged (an `--output` file fully written to a temp file beside it, a device
written in place), then the decision is recorded, then the output is published
(the temp file linked into place, or standard output written).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    screen_of,
)
from regulens.cli.evidence import record_options, record_outcome
from regulens.cli.output import Staged
from regulens.cli.render import FORMATS, OutputSpec, epilogue, render_context, stage_outputs
from regulens.display import printable
from regulens.engine import EvalContext, decide, evaluate
from regulens.engine.baseline import FindingsBaseline, Gating, apply_baseline, apply_fail_on
from regulens.engine.exceptions import PolicyException, apply_exceptions
from regulens.engine.outcome import Outcome
from regulens.engine.policy import Policy
from regulens.engine.types import Severity
from regulens.errors import ConfigError, RegulensError
from regulens.evidence.statement import Command
from regulens.policies import LoadedPolicies
from regulens.snapshot import Snapshot
from regulens.snapshot.selection import select_namespaces

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Run:
    """The loaded inputs of one run: policies, exceptions, snapshot and time."""

    loaded: LoadedPolicies
    policies: list[Policy]
    exceptions: list[PolicyException]
    snapshot: Snapshot
    now: datetime
    fail_on: Severity | None = None
    soft_fail: bool = False
    baseline: tuple[FindingsBaseline, str] | None = None  # the document and its file's digest


def namespace_selection_options(func: F) -> F:
    """Add --select-namespace and --exclude-namespace (not -n/--namespace: that places objects)."""
    func = click.option(
        "--exclude-namespace",
        "exclude_namespace",
        multiple=True,
        metavar="GLOB",
        help="Do not judge objects in namespaces matching this glob (repeatable; recorded).",
    )(func)
    return click.option(
        "--select-namespace",
        "select_namespace",
        multiple=True,
        metavar="GLOB",
        help="Judge only objects in namespaces matching this glob (repeatable; cluster-scoped "
        "objects are always judged; recorded in the snapshot provenance).",
    )(func)


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
    func = namespace_selection_options(func)
    func = click.option(
        "--findings-baseline",
        "findings_baseline",
        metavar="FILE",
        help="Known findings (from `regulens baseline create`) are reported as warn "
        '("in baseline"); new ones deny; errors are never baselined.',
    )(func)
    func = click.option(
        "--fail-on",
        "fail_on",
        type=click.Choice([s.value for s in Severity]),
        help="Failures of enforced policies below this severity are reported as warn; errors "
        "(missing or stale data, rules that could not be evaluated) still deny.",
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
    *,
    fail_on: str | None = None,
    soft_fail: bool = False,
    findings_baseline: str | None = None,
    select_namespace: tuple[str, ...] = (),
    exclude_namespace: tuple[str, ...] = (),
) -> Run:
    """Load policies, exceptions and the baseline, then collect the snapshot (all I/O is here)."""
    loaded, chosen = load_selected(policies, select, skip)
    at = resolve_now(now)
    waivers = load_exceptions(exceptions, loaded, at)
    baseline = None
    if findings_baseline is not None:
        from regulens.sources.baseline import read_baseline

        baseline = read_baseline(findings_baseline)
    for glob in (*select_namespace, *exclude_namespace):
        if not glob.strip():
            raise ConfigError(
                "--select-namespace/--exclude-namespace: an empty glob selects nothing"
            )
    # a cluster that cannot be reached is judged (every policy reading it errors: deny) and
    # recorded, so a scheduled run leaves evidence that it found nothing to read
    snapshot = build_snapshot(inputs, chosen, at, unreachable_is_gap=True)
    if select_namespace or exclude_namespace:
        if snapshot.kubernetes is None:
            raise ConfigError(
                "--select-namespace/--exclude-namespace select Kubernetes objects, "
                "but no Kubernetes input was given",
                hint="pass --manifests, --snapshot or --cluster",
            )
        snapshot = select_namespaces(snapshot, select_namespace, exclude_namespace)
    threshold = Severity(fail_on) if fail_on is not None else None
    return Run(loaded, chosen, waivers, snapshot, at, threshold, soft_fail, baseline)


def judge(run: Run) -> Outcome:
    """Evaluate, apply exceptions, the baseline and --fail-on, then decide: pure, no I/O."""
    results = evaluate(run.policies, run.snapshot, EvalContext(now=run.now))
    results, report = apply_exceptions(results, run.exceptions, run.now)
    gating = Gating(fail_on=run.fail_on, soft_fail=run.soft_fail)
    if run.baseline is not None:
        document, digest = run.baseline
        results, matched, resolved = apply_baseline(results, document)
        gating = Gating(run.fail_on, run.soft_fail, digest, matched, resolved)
    results = apply_fail_on(results, run.fail_on)
    decision = decide(results, soft_fail=run.soft_fail)
    return Outcome.of(decision, results, run.snapshot, run.now, report, gating)


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


def finish(
    staged: list[Staged], recording: Callable[[], str | None], epilogue: Sequence[str] = ()
) -> None:
    """Record (when `recording` does), then publish every staged output; discard them on failure.

    Every output was staged before this is called, so a failed staging left no record.
    Only publishing can fail after a record is committed (standard output closed or
    full, or a file created at --output meanwhile): the error then names the run and
    the outputs that were not written. The `epilogue` lines go to standard error once
    everything is published (the decision, when results went to files).
    """
    try:
        recorded = recording()
        pending = list(staged)
        try:
            while pending:
                pending[0].publish()
                pending.pop(0)
        except RegulensError as exc:
            if recorded is not None:
                missing = ", ".join(s.output or "standard output" for s in pending)
                exc.hint = f"the decision was recorded as {recorded}, but {missing} was not written"
            raise
    finally:
        for each in staged:
            each.discard()
    for line in epilogue:
        click.echo(printable(line), err=True)


def judge_and_publish(
    command: Command,
    run: Run,
    specs: list[OutputSpec],
    *,
    change_file: str | None,
    source_root: str | None,
    force: bool,
    show_passed: bool,
    color: str,
    recording: bool,
    evidence: str | None,
    stream: str,
    signing_key: str | None,
) -> int:
    """Judge, stage every output, record (when `recording`), publish; return the exit code."""
    outcome = judge(run)
    context = render_context(
        source_root=source_root,
        change_file=change_file,
        policy_sources=run.loaded.sources,
        policies=run.policies,
    )
    staged = stage_outputs(
        outcome,
        specs,
        force=force,
        show_passed=show_passed,
        context=context,
        screen=screen_of(color),
    )
    finish(
        staged,
        lambda: (
            record(command, run, outcome, evidence=evidence, stream=stream, signing_key=signing_key)
            if recording
            else None
        ),
        epilogue(outcome, specs),
    )
    return int(outcome.decision.exit_code)
