"""`regulens review`: the monthly security review pack, and `review sign` to record sign-off."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import date as date_type
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from regulens import __version__, clock
from regulens.cli.common import STREAM_NAME
from regulens.cli.evidence import (
    evidence_option,
    open_evidence,
    signing_key_option,
)
from regulens.cli.output import emit
from regulens.cli.report import (
    TOOL,
    fleet_options,
    fleet_report,
    read_scope,
    refuse_with_fleet,
    scope_options,
    verification_options,
    verified_runs,
)
from regulens.display import printable
from regulens.errors import ConfigError
from regulens.evidence.chain import DEFAULT_STREAM
from regulens.reports.formats import REVIEW_FORMATS

if TYPE_CHECKING:  # renderers (jinja2) and the evidence store (SQLAlchemy) load when used
    pass

F = TypeVar("F", bound=Callable[..., Any])


def period_options(help_text: str) -> Callable[[F], F]:
    """Add --period YYYY-MM (as `report` names it) and the hidden, deprecated --month."""

    def decorate(func: F) -> F:
        func = click.option("--month", "deprecated_month", metavar="YYYY-MM", hidden=True)(func)
        return click.option("--period", "period", metavar="YYYY-MM", help=help_text)(func)

    return decorate


def chosen_month(period: str | None, deprecated_month: str | None) -> str:
    """The month of --period (or of --month, with a warning); missing is a usage error."""
    if deprecated_month is not None:
        click.echo(
            "warning: --month is deprecated and will be removed in the next release; "
            "use --period (the name `regulens report` uses)",
            err=True,
        )
        if period is not None and period != deprecated_month:
            raise ConfigError(f"--period {period} and --month {deprecated_month} disagree")
    month = period or deprecated_month
    if month is None:
        raise ConfigError(
            "missing --period", hint="e.g. regulens review --period 2026-11 -o r.html"
        )
    return month


@click.group("review", invoke_without_command=True)
@evidence_option
@period_options("The month under review (2026-11).")
@verification_options
@click.option(
    "--format", "fmt", type=click.Choice(REVIEW_FORMATS), default="html", show_default=True
)
@scope_options
@fleet_options
@click.option("--output", "-o", "output", metavar="FILE", help="Write here (atomically).")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
@click.pass_context
def review_group(
    ctx: click.Context,
    evidence: str | None,
    period: str | None,
    deprecated_month: str | None,
    streams: tuple[str, ...],
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    allow_unverified: bool,
    fmt: str,
    scope_file: str | None,
    system: str | None,
    owner: str | None,
    environment: str | None,
    fleet: bool,
    stale_after: timedelta | None,
    output: str | None,
    force: bool,
) -> int:
    """Monthly security review pack: RBAC drift, privileged subjects, exceptions, vulnerabilities,
    changes, audit policy, recovery and KPI breaches, sign-off.

    With --fleet: the month's fleet overview, one row per stream (as `report --fleet`).
    """
    from regulens.reports.loading import load_section
    from regulens.reports.render import render_review
    from regulens.reports.review import review_facts
    from regulens.reports.runs import iso, month_period

    if ctx.invoked_subcommand is not None:
        return 0
    month = chosen_month(period, deprecated_month)
    window = month_period(month)
    if fleet:
        refuse_with_fleet(
            fmt=fmt,
            allow_unverified=allow_unverified,
            others={"--scope": scope_file, "--system": system, "--owner": owner,
                    "--environment": environment},
        )  # fmt: skip
        return fleet_report(
            evidence, streams, public_keys, checkpoint_files,
            period=window, stale_after=stale_after, fmt=fmt, output=output, force=force,
        )  # fmt: skip
    if stale_after is not None:
        raise ConfigError("--stale-after applies to the fleet overview only (add --fleet)")
    scope = read_scope(scope_file, system, owner, environment)
    from regulens.reports.signoff import SIGNOFF_COMMAND

    def needed(run: Any) -> bool:
        # review_facts reads the month's runs, and sign-offs of the month whenever recorded.
        return window.contains(run.now) or run.command == SIGNOFF_COMMAND

    with verified_runs(
        evidence,
        streams,
        public_keys,
        checkpoint_files,
        allow_unverified=allow_unverified,
        keep=needed,
    ) as (store, verification, runs):
        facts = review_facts(
            runs,
            window,
            lambda digest: load_section(store, digest),
            evidence=verification.evidence_json(store.label, allow_unverified=allow_unverified),
            generated_at=iso(clock.now()),
            tool=TOOL,
            all_records=runs,
            scope=scope,
        )
    emit(render_review(facts, fmt), output, force=force)
    if output is not None:
        click.echo(f"wrote {fmt} review pack for {month} to {output}", err=True)
    return 0


@review_group.command("sign")
@evidence_option
@period_options("The month that was reviewed (2026-11; required).")
@click.option("--reviewer", required=True, metavar="NAME", help="Who reviewed and signs off.")
@click.option("--notes", metavar="TEXT", help="Findings, follow-ups or remarks.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="Sign-off date (default: today, UTC).")
@click.option(
    "--stream",
    "stream",
    type=STREAM_NAME,
    default=DEFAULT_STREAM,
    show_default=True,
    metavar="NAME",
    help="The reviewed evidence stream; the sign-off is recorded in it.",
)
@click.option(
    "--supersedes",
    metavar="RUN_ID",
    help="Replace this earlier sign-off of the same month by the same reviewer.",
)
@signing_key_option
def sign_cmd(
    evidence: str | None,
    period: str | None,
    deprecated_month: str | None,
    reviewer: str,
    notes: str | None,
    date: str | None,
    stream: str,
    supersedes: str | None,
    signing_key: str | None,
) -> int:
    """Record the review's sign-off (reviewer, date, notes) in the reviewed stream.

    One sign-off per stream, month and reviewer: a second one must name the first
    with --supersedes. A stream whose records are signed takes only a sign-off
    signed by the same key.
    """
    from regulens.evidence.canonical import canonical_json
    from regulens.evidence.keys import load_signer
    from regulens.evidence.record import ci_metadata, new_run_id
    from regulens.evidence.store import AppendGuard, StoredRecord
    from regulens.reports.runs import decode_statement, iso, month_period
    from regulens.reports.signoff import (
        SIGNOFF_COMMAND,
        check_new_signoff,
        signoff_of,
        signoff_statement,
    )

    month = chosen_month(period, deprecated_month)
    month_period(month)
    from regulens.snapshot.identity import identity_problem

    problem = identity_problem(reviewer)
    if problem is not None:  # the same identity rules as approvers: no look-alike reviewers
        raise ConfigError(f"--reviewer {problem}")
    now = clock.now()
    day = date or now.date().isoformat()
    try:
        date_type.fromisoformat(day)
    except ValueError as exc:
        raise ConfigError(f"--date {day!r} is not a date like 2026-12-02") from exc
    signer = load_signer(signing_key) if signing_key else None
    run_id = new_run_id()
    statement = signoff_statement(
        run_id=run_id,
        stream=stream,
        month=month,
        reviewer=reviewer.strip(),
        date=day,
        notes=notes,
        recorded_at=now,
        tool_version=__version__,
        ci=ci_metadata(os.environ),
        supersedes=supersedes,
    )

    def check(existing: Sequence[StoredRecord], head: StoredRecord | None) -> None:
        # Runs inside the append's transaction, under the stream lock.
        signed_by = head.key_id if head is not None else None
        if signed_by is not None and signer is not None and signer.key_id != signed_by:
            raise ConfigError(
                f"stream {stream!r} is signed by key {signed_by[:16]}...; the sign-off "
                f"would be signed by {signer.key_id[:16]}...",
                hint="sign with the key that signs the stream's records",
            )
        found = [
            signoff_of(r.run_id, r.stream, r.seq, decode_statement(r.payload)) for r in existing
        ]
        check_new_signoff(
            [s for s in found if s is not None],
            month=month,
            reviewer=reviewer.strip(),
            supersedes=supersedes,
        )

    with open_evidence(evidence) as store:
        # The review may cover every stream: an unsigned (or foreign-key) sign-off in a store
        # whose records are signed would fail the store's key-checked verification.
        keys = store.signing_key_ids()
        if keys and (signer is None or signer.key_id not in keys):
            raise ConfigError(
                "the store's records are signed; the sign-off must be signed by one of its "
                f"keys ({', '.join(sorted(k[:16] + '...' for k in keys))})",
                hint="pass --signing-key (or REGULENS_SIGNING_KEY) with the store's key",
            )
        stored = store.append(
            stream,
            run_id,
            SIGNOFF_COMMAND,
            iso(now),
            canonical_json(statement),
            signer=signer,
            guard=AppendGuard(SIGNOFF_COMMAND, check),
        )
    click.echo(
        printable(
            f"recorded sign-off of {month} by {reviewer.strip()} as run {stored.run_id} "
            f"({stored.stream}#{stored.seq})"
        )
    )
    return 0
