"""Options shared by `evaluate` and `gate`: inputs, policy selection, time and output."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs

from regulens import clock
from regulens.engine.policy import Policy
from regulens.engine.types import parse_duration
from regulens.errors import ConfigError
from regulens.policies import LoadedPolicies, load_policies, select_policies
from regulens.snapshot import Snapshot
from regulens.snapshot.scans import ScanSet
from regulens.sources.manifests import STDIN, read_manifests
from regulens.sources.trivy import TrivyRunner, collect_scans, locate_trivy

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
    func = trivy_options(func)
    return click.option(
        "--manifests",
        "manifests",
        multiple=True,
        metavar="PATH|-",
        help="Manifest file or directory, or - for stdin (repeatable).",
    )(func)


def trivy_options(func: F) -> F:
    """Add --trivy-report, --trivy-scan, --image-archive and --trivy-timeout."""
    func = click.option(
        "--trivy-timeout",
        "trivy_timeout",
        default="5m",
        show_default=True,
        metavar="DURATION",
        help="Longest a single trivy run may take; a timeout is an error, never a pass.",
    )(func)
    func = click.option(
        "--image-archive",
        "image_archives",
        multiple=True,
        metavar="TAR",
        help="Scan an image tarball with `trivy image --input` (offline; repeatable).",
    )(func)
    func = click.option(
        "--trivy-scan",
        "trivy_scan",
        is_flag=True,
        help="Scan the --manifests paths with `trivy config` (offline, embedded checks).",
    )(func)
    return click.option(
        "--trivy-report",
        "trivy_reports",
        multiple=True,
        metavar="FILE",
        help="A Trivy JSON report (SchemaVersion 2) to ingest (repeatable).",
    )(func)


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
    scans = _trivy_plan(options, tuple(manifests))  # flag mistakes before any reading
    kubernetes = read_manifests(manifests) if manifests else None
    return Snapshot(kubernetes=kubernetes, scans=scans() if scans is not None else None)


def _trivy_plan(
    options: dict[str, Any], manifests: tuple[str, ...]
) -> Callable[[], ScanSet] | None:
    """Check the Trivy flags; return what collects the scans section (None: not asked)."""
    reports = tuple(options.get("trivy_reports") or ())
    archives = tuple(options.get("image_archives") or ())
    scan = bool(options.get("trivy_scan"))
    if not (reports or archives or scan):
        return None
    if scan and not manifests:
        raise ConfigError("--trivy-scan scans the --manifests paths: give --manifests too")
    if scan and STDIN in manifests:
        raise ConfigError(
            "--trivy-scan cannot scan manifests read from stdin",
            hint="write the rendered manifests to a file or directory and pass that",
        )
    runner = None
    if scan or archives:
        try:
            timeout = parse_duration(options.get("trivy_timeout") or "5m")
        except ValueError as exc:
            raise ConfigError(f"--trivy-timeout: {exc}") from None
        runner = TrivyRunner(
            binary=locate_trivy(sysconfig.get_path("scripts"), os.environ.get("PATH")),
            cache_dir=str(Path(platformdirs.user_cache_dir("regulens")) / "trivy"),
            timeout=timeout,
        )
    return lambda: collect_scans(reports, runner, manifests if scan else (), archives)


def resolve_now(now: datetime | None) -> datetime:
    """Use --now when given, else the wall clock."""
    return now if now is not None else clock.now()
