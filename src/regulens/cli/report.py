"""`regulens report`: a compliance report for a period, built only from verified evidence."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from regulens import __version__, clock
from regulens.cli.common import STREAM_PATTERN, Timestamp, match_streams
from regulens.cli.evidence import evidence_option, extra_checkpoints, open_evidence, trusted_keys
from regulens.cli.output import emit
from regulens.display import printable
from regulens.engine.types import parse_duration
from regulens.errors import ConfigError, ExitCode, InputDataError
from regulens.reports.formats import COMPLIANCE_FORMATS
from regulens.reports.wording import count

if TYPE_CHECKING:  # renderers (jinja2) and the evidence store (SQLAlchemy) load when used
    from regulens.evidence.store import EvidenceStore
    from regulens.reports.context import ScopeFields
    from regulens.reports.loading import Verification
    from regulens.reports.runs import Period

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
        "streams",
        type=STREAM_PATTERN,
        multiple=True,
        help="Read this stream, or the streams this shell glob matches (repeatable; "
        "default: every stream).",
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
    patterns: tuple[str, ...],
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    *,
    allow_unverified: bool,
    keep: Callable[[Any], bool] | None = None,
) -> Iterator[tuple[EvidenceStore, Verification, list[Any]]]:
    """Open the store, verify it (refusing a broken one) and yield it with its decoded runs.

    `patterns` are the --stream names and globs (none: every stream). `keep` selects the
    runs the document can use (the others are never held in memory).
    """
    from regulens.reports.loading import verify_and_load

    trusted = trusted_keys(public_keys)
    extra = extra_checkpoints(checkpoint_files)
    with open_evidence(evidence) as store:
        streams = match_streams(patterns, store.streams()) if patterns else None
        verification, runs = verify_and_load(
            store, streams=streams, trusted=trusted, checkpoints=extra, keep=keep
        )
        check_verification(verification, allow_unverified=allow_unverified)
        yield store, verification, runs


class StaleAfter(click.ParamType):  # type: ignore[type-arg]
    """A duration like 26h, 90m or 2d."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse the duration; zero, negative or malformed is a usage error (exit 3)."""
        if isinstance(value, timedelta):
            return value
        try:
            parsed = parse_duration(str(value))
        except ValueError:
            self.fail(f"{printable(repr(value))} is not a duration like 26h, 90m or 2d", param, ctx)
        if parsed <= timedelta(0):
            self.fail("must be longer than zero", param, ctx)
        return parsed


def fleet_options(func: F) -> F:
    """Add --fleet and --stale-after (`report` and `review`)."""
    func = click.option(
        "--stale-after",
        "stale_after",
        type=StaleAfter(),
        default=None,
        help="With --fleet: a stream whose newest run is older than this is stale (default 26h).",
    )(func)
    return click.option(
        "--fleet",
        is_flag=True,
        help="The fleet overview instead: one row per stream (cluster), each verified separately.",
    )(func)


FLEET_FORMATS = ("html", "markdown", "json")


def refuse_with_fleet(*, fmt: str, allow_unverified: bool, others: dict[str, str | None]) -> None:
    """Options that have no meaning for the fleet overview are usage errors (exit 3)."""
    if fmt not in FLEET_FORMATS:
        raise ConfigError(
            f"--format {fmt}: the fleet overview is written as html, markdown or json",
            hint="OSCAL documents are per assessment: drop --fleet, or use --format json",
        )
    if allow_unverified:
        raise ConfigError(
            "--allow-unverified does not apply to --fleet: the overview always shows every "
            "stream, a stream that does not verify marked failed (and the command exits 2)"
        )
    given = [flag for flag, value in others.items() if value is not None]
    if given:
        raise ConfigError(f"{given[0]} does not apply to --fleet")


def fleet_report(
    evidence: str | None,
    patterns: tuple[str, ...],
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    *,
    period: Period | None,
    stale_after: timedelta | None,
    fmt: str,
    output: str | None,
    force: bool,
) -> int:
    """Verify each selected stream, fold its runs into a row, render; exit 2 if one failed."""
    from regulens.reports.facts import Tool
    from regulens.reports.fleet import (
        DEFAULT_STALE_AFTER,
        FleetFold,
        verdicts,
        verification_failed,
    )
    from regulens.reports.loading import verify_and_read
    from regulens.reports.render import render_fleet

    trusted = trusted_keys(public_keys)
    extra = extra_checkpoints(checkpoint_files)
    with open_evidence(evidence) as store:
        known = store.streams()
        chosen = match_streams(patterns, known) if patterns else known
        if not chosen:
            raise InputDataError(
                "the evidence store has no streams: nothing to show",
                hint="record runs with `regulens evaluate --record --stream NAME`",
            )
        fold = FleetFold(chosen, now=clock.now(), period=period)
        verification = verify_and_read(
            store, streams=chosen if patterns else None, trusted=trusted, checkpoints=extra,
            sink=fold.add,
        )  # fmt: skip
        overview = fold.overview(
            verdicts(verification.problems, chosen, signatures_checked=trusted is not None),
            stale_after=stale_after or DEFAULT_STALE_AFTER,
            tool=Tool.model_validate(TOOL),
            store=store.label,
        )
    if trusted is None:
        click.echo(
            "note: signatures not checked (pass --public-key to prove who wrote the records)",
            err=True,
        )
    emit(render_fleet(overview, fmt), output, force=force)
    failed = verification_failed(overview)
    for row in failed:
        click.echo(
            printable(f"stream {row.stream}: does not verify: {row.verification.message}"),
            err=True,
        )
    t = overview.totals
    click.echo(
        f"fleet: {t.streams} streams, {t.allow} allow, {t.deny} deny, "
        f"{t.incomplete} on incomplete data, {t.undecided} undecided, {t.stale} stale, "
        f"{t.failed_verification} failing verification"
        + (f"; wrote {fmt} to {printable(output)}" if output is not None else ""),
        err=True,
    )
    return int(ExitCode.INCOMPLETE) if failed else 0


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
@fleet_options
@click.option("--output", "-o", "output", metavar="FILE", help="Write here (atomically).")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def report_cmd(
    evidence: str | None,
    period: str | None,
    since: datetime | None,
    until: datetime | None,
    streams: tuple[str, ...],
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    allow_unverified: bool,
    fmt: str,
    scope_file: str | None,
    system: str | None,
    owner: str | None,
    environment: str | None,
    controls_file: str | None,
    fleet: bool,
    stale_after: timedelta | None,
    output: str | None,
    force: bool,
) -> int:
    """Compliance report for auditors (per control and policy, gates, exceptions, RPO/RTO, KPIs).

    The evidence is verified first; a broken chain exits 2 unless --allow-unverified.
    With --fleet: the fleet overview, one row per stream (exit 2 when a stream's chain
    does not verify; the document is still written, that stream marked failed).
    """
    if fleet:
        from regulens.reports.runs import parse_period

        refuse_with_fleet(
            fmt=fmt,
            allow_unverified=allow_unverified,
            others={"--scope": scope_file, "--system": system, "--owner": owner,
                    "--environment": environment, "--controls": controls_file},
        )  # fmt: skip
        chosen_period = None if period is None and since is None and until is None else (
            parse_period(period, since, until)
        )  # fmt: skip
        return fleet_report(
            evidence, streams, public_keys, checkpoint_files,
            period=chosen_period, stale_after=stale_after, fmt=fmt, output=output, force=force,
        )  # fmt: skip
    if stale_after is not None:
        raise ConfigError("--stale-after applies to the fleet overview only (add --fleet)")
    from regulens.reports.compliance import compliance_facts
    from regulens.reports.context import load_catalog
    from regulens.reports.loading import load_section
    from regulens.reports.render import render_compliance
    from regulens.reports.runs import iso, parse_period

    chosen = parse_period(period, since, until)
    scope = read_scope(scope_file, system, owner, environment)
    titles = load_catalog(controls_file) if controls_file else {}
    with verified_runs(
        evidence, streams, public_keys, checkpoint_files, allow_unverified=allow_unverified
    ) as (store, verification, runs):
        facts = compliance_facts(
            runs,
            chosen,
            evidence=verification.evidence_json(store.label, allow_unverified=allow_unverified),
            generated_at=iso(clock.now()),
            tool=TOOL,
            streams=list(verification.streams) if streams else None,
            sections=lambda digest: load_section(store, digest),
            scope=scope,
            titles=titles,
        )
    if not facts.summary.runs:
        click.echo(f"note: no recorded run evaluated during {chosen.label}", err=True)
    emit(render_compliance(facts, fmt), output, force=force)
    if output is not None:
        evaluated = count(facts.summary.runs, "run")
        click.echo(f"wrote {fmt} report for {chosen.label} ({evaluated}) to {output}", err=True)
    return 0
