"""`regulens baseline create`: accept today's findings as known, so only new ones deny."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
import orjson

from regulens.cli.common import (
    Timestamp,
    exception_options,
    input_options,
    policy_options,
)
from regulens.cli.evidence import evidence_option
from regulens.cli.output import emit
from regulens.cli.run import judge, load, namespace_selection_options
from regulens.engine.baseline import FindingsBaseline, baselinable, entry_of
from regulens.engine.outcome import Outcome
from regulens.engine.types import Status
from regulens.errors import ConfigError
from regulens.evidence.statement import rfc3339


@click.group("baseline")
def baseline_group() -> None:
    """Findings baselines (`--findings-baseline FILE` of evaluate and gate)."""


@baseline_group.command("create")
@policy_options
@input_options
@exception_options
@namespace_selection_options
@click.option("--now", type=Timestamp(), help="Evaluate as of this time (reproducible).")
@click.option("--run", "run_id", metavar="RUN_ID", help="Take the findings of a recorded run.")
@evidence_option
@click.option(
    "--public-key", "public_keys", multiple=True, metavar="FILE", help="--run: trusted key."
)
@click.option(
    "--output", "-o", "output", required=True, metavar="FILE", help="The baseline file to write."
)
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def create_cmd(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    exceptions: tuple[str, ...],
    select_namespace: tuple[str, ...],
    exclude_namespace: tuple[str, ...],
    now: datetime | None,
    run_id: str | None,
    evidence: str | None,
    public_keys: tuple[str, ...],
    output: str,
    force: bool,
    **inputs: Any,
) -> int:
    """Write the failures (and warnings) of a run as a FindingsBaseline; errors are never kept.

    Give the same inputs as `evaluate`, or --run RUN_ID for a recorded run (its
    record is verified first; one that does not verify exits 2).
    """
    if run_id is not None:
        if policies or select_namespace or exclude_namespace:
            raise ConfigError(
                "--run takes the recorded run's findings: drop --policies and the selection"
            )
        outcome, source = _recorded(run_id, evidence, public_keys)
    else:
        if not policies:
            raise ConfigError("give --policies (and the run's inputs), or --run RUN_ID")

        run = load(
            policies,
            select,
            skip,
            exceptions,
            inputs,
            now,
            select_namespace=select_namespace,
            exclude_namespace=exclude_namespace,
        )
        outcome, source = judge(run), "inputs: " + " ".join(run.loaded.sources)
    errors = sum(1 for r in outcome.results if r.status is Status.ERROR)
    entries = {e.fingerprint: e for e in (entry_of(r) for r in outcome.results if baselinable(r))}
    doc = FindingsBaseline.model_validate(
        {
            "apiVersion": "regulens/v1",
            "kind": "FindingsBaseline",
            "metadata": {"created": rfc3339(outcome.now), "source": source},
            "findings": [entries[k].model_dump() for k in sorted(entries)],
        }
    )
    data = orjson.dumps(
        doc.model_dump(mode="json", by_alias=True, exclude_none=True), option=orjson.OPT_INDENT_2
    )
    emit(data + b"\n", output, force=force)
    click.echo(f"baseline: {len(entries)} known finding(s) written to {output}", err=True)
    if errors:
        click.echo(f"note: {errors} error result(s) are not baselined: they still deny", err=True)
    return 0


def _recorded(
    run_id: str, evidence: str | None, public_keys: tuple[str, ...]
) -> tuple[Outcome, str]:
    from regulens.cli.evidence import recorded_outcome

    return recorded_outcome(run_id, evidence, public_keys), f"run {run_id}"


for _param in create_cmd.params:  # --policies is needed only without --run
    if _param.name == "policies":
        _param.required = False
