"""Options shared by `evaluate` and `gate`: inputs, policy selection, time and output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from regulens import clock
from regulens.engine.exceptions import PolicyException
from regulens.engine.policy import Policy
from regulens.errors import ConfigError
from regulens.policies import LoadedPolicies, load_policies, select_policies
from regulens.snapshot import Snapshot
from regulens.sources.audit import read_audit_policy
from regulens.sources.change import read_change
from regulens.sources.exceptions import read_exceptions
from regulens.sources.manifests import STDIN, read_manifests

F = TypeVar("F", bound=Callable[..., Any])


class Timestamp(click.ParamType):  # type: ignore[type-arg]
    """An ISO 8601 timestamp with a time zone (`2026-11-30T02:00:00Z`)."""

    name = "ISO8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse the value, requiring an explicit offset."""
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 timestamp like 2026-11-30T02:00:00Z", param, ctx
            )
        if parsed.tzinfo is None:
            self.fail(f"{value!r} has no time zone; add Z or +00:00", param, ctx)
        return parsed.astimezone(UTC)


def policy_options(func: F) -> F:
    """Add --policies, --select and --skip."""
    func = click.option(
        "--skip", "skip", multiple=True, metavar="GLOB", help="Skip policies whose id matches."
    )(func)
    func = click.option(
        "--select", "select", multiple=True, metavar="GLOB", help="Only policies whose id matches."
    )(func)
    return click.option(
        "--policies",
        "policies",
        multiple=True,
        required=True,
        metavar="PATH|builtin:NAME",
        help="Policy file, directory or built-in pack (repeatable).",
    )(func)


def input_options(func: F) -> F:
    """Add the input flags (each supplies one snapshot section)."""
    func = click.option(
        "--audit-policy",
        "audit_policy",
        metavar="FILE",
        help="An audit.k8s.io/v1 Policy file (else the kube-system/audit-policy ConfigMap).",
    )(func)
    func = click.option(
        "--baseline-manifests",
        "baseline_manifests",
        multiple=True,
        metavar="PATH",
        help="The current state as manifests, compared with --manifests (repeatable).",
    )(func)
    func = click.option(
        "--change",
        "change",
        metavar="FILE",
        help="The ChangeRequest document under review.",
    )(func)
    return click.option(
        "--manifests",
        "manifests",
        multiple=True,
        metavar="PATH|-",
        help="Manifest file or directory, or - for stdin (repeatable).",
    )(func)


def exception_options(func: F) -> F:
    """Add --exceptions (ExceptionSet files, repeatable)."""
    return click.option(
        "--exceptions",
        "exceptions",
        multiple=True,
        metavar="FILE",
        help="ExceptionSet document(s) waiving results (repeatable).",
    )(func)


def load_exceptions(paths: tuple[str, ...], loaded: LoadedPolicies) -> list[PolicyException]:
    """Load the exception files; every exception must name a loaded policy."""
    return read_exceptions(paths, {p.id for p in loaded.policies}) if paths else []


def output_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """Add --format (first one is the default), --output, --force and --now."""

    def decorate(func: F) -> F:
        return _output_options(func, formats)

    return decorate


def _output_options(func: F, formats: tuple[str, ...]) -> F:
    func = click.option("--now", type=Timestamp(), help="Evaluate as of this time (reproducible).")(
        func
    )
    func = click.option("--force", is_flag=True, help="Overwrite an existing --output file.")(func)
    func = click.option(
        "--output",
        "-o",
        "output",
        metavar="FILE",
        help="Write here (atomically) instead of stdout.",
    )(func)
    return click.option(
        "--format", "fmt", type=click.Choice(formats), default=formats[0], show_default=True
    )(func)


def load_selected(
    specs: tuple[str, ...], select: tuple[str, ...], skip: tuple[str, ...]
) -> tuple[LoadedPolicies, list[Policy]]:
    """Load the policy sets and choose the policies to run."""
    loaded = load_policies(specs)
    return loaded, select_policies(loaded, select, skip)


def build_snapshot(options: dict[str, Any], policies: list[Policy], now: datetime) -> Snapshot:
    """Collect every section whose input flag was given; others stay None (not given).

    `policies` tell live sources what to collect (kinds, queries); `now` is the
    evaluation time (e.g. Prometheus queries are evaluated at it).
    """
    manifests = options.get("manifests") or ()
    if list(manifests).count("-") > 1:
        raise ConfigError("--manifests - (stdin) can be given only once")
    kubernetes = read_manifests(manifests) if manifests else None
    audit_file = options.get("audit_policy")
    audit_policy = read_audit_policy(audit_file) if audit_file else None
    baseline_specs = options.get("baseline_manifests") or ()
    if STDIN in baseline_specs:
        raise ConfigError("--baseline-manifests cannot read stdin; give a file or directory")
    baseline = read_manifests(baseline_specs) if baseline_specs else None
    change_file = options.get("change")
    change = read_change(change_file) if change_file else None
    return Snapshot(
        kubernetes=kubernetes, change=change, baseline=baseline, audit_policy=audit_policy
    )


def resolve_now(now: datetime | None) -> datetime:
    """Use --now when given, else the wall clock."""
    return now if now is not None else clock.now()
