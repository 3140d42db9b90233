"""`regulens snapshot`: collect the inputs once and save them for replay with --snapshot."""

from __future__ import annotations

from typing import Any

import click

from regulens import clock
from regulens.cli.common import build_snapshot, input_options, load_selected
from regulens.cli.output import emit
from regulens.errors import ConfigError
from regulens.snapshot.codec import dump_snapshot


@click.command("snapshot")
@input_options
@click.option(
    "--policies",
    "policies",
    multiple=True,
    metavar="PATH|builtin:NAME",
    help="Collect only what these policies need (default: every known kind).",
)
@click.option("--select", "select", multiple=True, metavar="GLOB", help="With --policies.")
@click.option("--skip", "skip", multiple=True, metavar="GLOB", help="With --policies.")
@click.option("--output", "-o", "output", metavar="FILE", help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def snapshot_cmd(
    policies: tuple[str, ...],
    select: tuple[str, ...],
    skip: tuple[str, ...],
    output: str | None,
    force: bool,
    **inputs: Any,
) -> None:
    """Save cluster state or manifests (secret values redacted) as a replayable JSON snapshot."""
    chosen = load_selected(policies, select, skip)[1] if policies else None
    if (select or skip) and not policies:
        raise ConfigError("--select and --skip need --policies")
    snap = build_snapshot(inputs, chosen, clock.now())
    if snap.kubernetes is None and snap.audit_events is None:
        raise ConfigError("nothing to save: pass --cluster, --manifests, --snapshot or --audit-log")
    emit(dump_snapshot(snap), output, force=force)
