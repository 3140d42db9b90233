"""`regulens report`: a compliance report for a period, built only from verified evidence."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from regulens import __version__, clock
from regulens.cli.common import STREAM_NAME, Timestamp
from regulens.cli.evidence import evidence_option, extra_checkpoints, open_evidence, trusted_keys
from regulens.cli.output import emit
from regulens.display import printable
from regulens.errors import ConfigError, InputDataError
from regulens.reports.formats import COMPLIANCE_FORMATS

if TYPE_CHECKING:  # renderers (jinja2) and the evidence store (SQLAlchemy) load when used
    from regulens.evidence.store import EvidenceStore
    from regulens.reports.context import ScopeFields
    from regulens.reports.loading import Verification

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
TOOL = {"name": "regulens", "version": __version__}


def verification_options(func: F) -> F:
    """Add --stream, --public-key, --checkpoint and --allow-unverified."""
    func = click.option(
        "--allow-unverified",
        is_flag=True,
        help="Write the document even when the evidence does not verify (stated prominently).",
    )(func)
    func = click.option(
        "--checkpoint",
        "checkpoint_files",
        multiple=True,
        metavar="FILE",
        help="Exported checkpoint to verify against (repeatable).",
    )(func)
    func = click.option(
        "--public-key",
        "public_keys",
        multiple=True,
        metavar="FILE",
        help="Trusted public key: records must be signed by it (repeatable).",
    )(func)
    return click.option(
        "--stream",
        "stream",
        type=STREAM_NAME,
        help="Read one evidence stream (default: every stream).",
    )(func)


def check_verification(verification: Verification, *, allow_unverified: bool) -> None:
    """Refuse (exit 2) on evidence that does not verify, unless the user accepts it loudly."""
    if verification.ok:
        click.echo(printable(f"evidence: {verification.state}: {verification.message}"), err=True)
        if not verification.signatures_checked:
            click.echo(
                "note: signatures not checked: the document says so in an amber banner "
                "(pass --public-key to prove who wrote the records)",
                err=True,
            )
        return
    text = f"evidence does not verify: {verification.status}: {verification.message}"
    if not allow_unverified:
        raise InputDataError(
            text,
            hint="investigate with `regulens evidence verify`; --allow-unverified writes the "
            "document anyway, marked UNVERIFIED",
        )
    bar = "!" * 72
    click.echo(
        f"{bar}\nWARNING: {printable(text)}\nWARNING: --allow-unverified: the document is marked "
        f"UNVERIFIED EVIDENCE\n{bar}",
        err=True,
    )


def scope_options(func: F) -> F:
    """Add --scope FILE and the --system/--owner/--environment flags (flags win over the file)."""
    for name, what in (
        ("--environment", "Environment or cluster (default: the evidence streams)."),
        ("--owner", "Accountable owner of the system."),
        ("--system", "The system the document covers."),
    ):
        func = click.option(name, metavar="TEXT", help=what)(func)
    return click.option(
        "--scope",
        "scope_file",
        metavar="FILE",
        help="ReportScope document (system, owner, environment), printed at the top.",
    )(func)


def read_scope(
    scope_file: str | None, system: str | None, owner: str | None, environment: str | None
) -> ScopeFields:
    """The scope from the file (strictly read) and flags; a bad flag value is a usage error."""
    from regulens.reports.context import ScopeFields, load_scope

    for flag, value in (("--system", system), ("--owner", owner), ("--environment", environment)):
        if value is not None and (not value.strip() or not value.isprintable() or len(value) > 200):
            raise ConfigError(f"{flag}: expected one printable line of at most 200 characters")
    scope = load_scope(scope_file) if scope_file else None
    return ScopeFields.of(scope, system=system, owner=owner, environment=environment)


@contextmanager
def verified_runs(
    evidence: str | None,
    stream: str | None,
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    *,
    allow_unverified: bool,
    keep: Callable[[Any], bool] | None = None,
) -> Iterator[tuple[EvidenceStore, Verification, list[Any]]]:
    """Open the store, verify it (refusing a broken one) and yield it with its decoded runs.

    `keep` selects the runs the document can use (the others are never held in memory).
    """
    from regulens.reports.loading import load_runs, verify_evidence

    trusted = trusted_keys(public_keys)
    extra = extra_checkpoints(checkpoint_files)
    with open_evidence(evidence) as store:
        verification = verify_evidence(store, stream=stream, trusted=trusted, checkpoints=extra)
        check_verification(verification, allow_unverified=allow_unverified)
        yield store, verification, list(load_runs(store, stream, keep))


@click.command("report")
@evidence_option
@click.option(
    "--period",
    metavar="YYYY-MM|YYYY-Qn|YYYY",
    help="A month (2026-11), quarter (2026-Q4) or year (2026).",
)
@click.option("--since", type=Timestamp(), help="Start of the period (inclusive).")
@click.option("--until", type=Timestamp(), help="End of the period (exclusive).")
@verification_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(COMPLIANCE_FORMATS),
    default="html",
    show_default=True,
)
@scope_options
@click.option(
    "--controls",
    "controls_file",
    metavar="FILE",
    help="ControlsCatalog document: a title shown beside each control id.",
)
@click.option("--output", "-o", "output", metavar="FILE", help="Write here (atomically).")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def report_cmd(
    evidence: str | None,
    period: str | None,
    since: datetime | None,
    until: datetime | None,
    stream: str | None,
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    allow_unverified: bool,
    fmt: str,
    scope_file: str | None,
    system: str | None,
    owner: str | None,
    environment: str | None,
    controls_file: str | None,
    output: str | None,
    force: bool,
) -> int:
    """Compliance report for auditors (per control and policy, gates, exceptions, RPO/RTO, KPIs).

    The evidence is verified first; a broken chain exits 2 unless --allow-unverified.
    """
    from regulens.reports.compliance import compliance_facts
    from regulens.reports.context import load_catalog
    from regulens.reports.loading import load_section
    from regulens.reports.render import render_compliance
    from regulens.reports.runs import iso, parse_period

    chosen = parse_period(period, since, until)
    scope = read_scope(scope_file, system, owner, environment)
    titles = load_catalog(controls_file) if controls_file else {}
    with verified_runs(
        evidence, stream, public_keys, checkpoint_files, allow_unverified=allow_unverified
    ) as (store, verification, runs):
        facts = compliance_facts(
            runs,
            chosen,
            evidence=verification.evidence_json(store.label, allow_unverified=allow_unverified),
            generated_at=iso(clock.now()),
            tool=TOOL,
            streams=[stream] if stream else None,
            sections=lambda digest: load_section(store, digest),
            scope=scope,
            titles=titles,
        )
    if not facts.summary.runs:
        click.echo(f"note: no recorded run evaluated during {chosen.label}", err=True)
    emit(render_compliance(facts, fmt), output, force=force)
    if output is not None:
        click.echo(
            f"wrote {fmt} report for {chosen.label} ({facts.summary.runs} runs) to {output}",
            err=True,
        )
    return 0
