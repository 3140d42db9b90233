"""Options shared by `evaluate` and `gate`: inputs, policy selection, time and output."""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import platformdirs

from regulens import clock
from regulens.display import printable
from regulens.engine.exceptions import PolicyException
from regulens.engine.policy import Policy
from regulens.engine.types import parse_duration
from regulens.errors import ConfigError
from regulens.policies import LoadedPolicies, load_policies, select_policies
from regulens.policies.loader import unmatched_globs
from regulens.reports.screen import COLOR_MODES, Screen, wants_color
from regulens.snapshot import Snapshot
from regulens.sources.exceptions import read_exceptions
from regulens.sources.inputs import (
    InputRequest,
    KustomizeRequest,
    PrometheusRequest,
    TrivyRequest,
    collect,
)
from regulens.sources.kubernetes import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, ClusterOptions
from regulens.sources.kustomize import DEFAULT_TIMEOUT as KUSTOMIZE_TIMEOUT
from regulens.sources.kustomize import KustomizeRunner, locate_kubectl
from regulens.sources.trivy import TrivyRunner, locate_trivy

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


STREAM_GRAMMAR = "1 to 128 ASCII letters, digits and . _ - / :, starting with a letter or digit"
_STREAM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:-]{0,127}", re.ASCII)


def is_stream_name(text: str) -> bool:
    """True when `text` follows `STREAM_GRAMMAR` (the portal checks its parameters with this)."""
    return _STREAM_NAME.fullmatch(text) is not None


class StreamName(click.ParamType):  # type: ignore[type-arg]
    """An evidence stream name (`STREAM_GRAMMAR`): checked before anything is read."""

    name = "NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Accept the name or fail with a usage error (exit 3)."""
        text = str(value)
        if _STREAM_NAME.fullmatch(text) is None:
            self.fail(f"{text!r} is not a stream name: {STREAM_GRAMMAR}", param, ctx)
        return text


STREAM_NAME = StreamName()
_STREAM_PATTERN = re.compile(r"[A-Za-z0-9*?\[][A-Za-z0-9._/:*?\[\]!-]{0,127}", re.ASCII)
GLOB_CHARS = frozenset("*?[")


class StreamPattern(click.ParamType):  # type: ignore[type-arg]
    """A stream name or a shell glob over stream names (`prod-*`, `eu-?`, `cluster-[0-3]`)."""

    name = "NAME|GLOB"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Accept a name or glob of the stream grammar (plus `* ? [ ] !`), else exit 3."""
        text = str(value)
        if _STREAM_PATTERN.fullmatch(text) is None:
            self.fail(
                f"{printable(repr(text))} is not a stream name or glob: {STREAM_GRAMMAR}, "
                "or a shell glob of those with * ? [...]",
                param,
                ctx,
            )
        return text


STREAM_PATTERN = StreamPattern()


def match_streams(patterns: tuple[str, ...], known: list[str]) -> list[str]:
    """The known streams each name or glob selects, sorted; a pattern selecting none is exit 2."""
    from fnmatch import fnmatchcase

    from regulens.errors import InputDataError

    chosen: set[str] = set()
    for pattern in patterns:
        if GLOB_CHARS & set(pattern):
            found = {s for s in known if fnmatchcase(s, pattern)}
        else:
            found = {pattern} & set(known)
        if not found:
            raise InputDataError(
                printable(f"--stream {pattern}: no stream in the evidence store matches"),
                hint="list the streams with `regulens evidence verify`"
                if known
                else "the evidence store has no records",
            )
        chosen |= found
    return sorted(chosen)


RESULT_FORMATS = ("table", "json")  # every command that prints results for people or programs


class FormatChoice(click.Choice):  # type: ignore[type-arg]
    """`--format`: one of `choices`; a renamed value (`text` → `table`) still works, warned."""

    def __init__(self, choices: tuple[str, ...], renamed: dict[str, str] | None = None) -> None:
        super().__init__(choices)
        self.renamed = renamed or {}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Map a renamed value to its new name (with a warning on standard error)."""
        new = self.renamed.get(str(value))
        if new is not None:
            click.echo(
                f"warning: --format {value} is deprecated and will be removed in the next "
                f"release; use --format {new}",
                err=True,
            )
            return new
        return super().convert(value, param, ctx)


def format_option(formats: tuple[str, ...] = RESULT_FORMATS) -> Callable[[F], F]:
    """Add --format with the shared names (the first is the default; `text` means `table`)."""
    renamed = {"text": "table"} if "table" in formats else {}
    return click.option(
        "--format",
        "fmt",
        type=FormatChoice(formats, renamed),
        default=formats[0],
        show_default=True,
        help="How to print the results.",
    )


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
    """Add the input flags (each supplies one snapshot section) and -n/--namespace."""
    return _NAMESPACE_OPTION(input_options_without_namespace(func))


def input_options_without_namespace(func: F) -> F:
    """Add the input flags for a command whose own -n/--namespace also places manifests."""
    func = trivy_options(func)
    func = _recovery_options(func)
    for option in reversed(_INPUT_OPTIONS):
        func = option(func)
    return kubernetes_input_options(func)


def kubernetes_input_options(func: F) -> F:
    """Add only the flags that supply Kubernetes objects (`rbac`: no change, scans or KPIs)."""
    for option in reversed(_KUBERNETES_OPTIONS):
        func = option(func)
    return func


_NAMESPACE_OPTION = click.option(
    "-n",
    "--namespace",
    "manifest_namespace",
    metavar="NS",
    help="Namespace for namespaced --manifests objects without one, like kubectl apply -n "
    "[default: default].",
)


_KUBERNETES_OPTIONS: list[Callable[[F], F]] = [
    click.option(
        "--manifests",
        "manifests",
        multiple=True,
        metavar="PATH|-",
        help="Manifest file or directory, or - for stdin (repeatable).",
    ),
    click.option(
        "--cluster",
        "cluster",
        is_flag=True,
        help="Read live cluster state (kubeconfig, --context, or in-cluster config).",
    ),
    click.option("--context", "context", metavar="NAME", help="--cluster: kubeconfig context."),
    click.option(
        "--kubeconfig",
        "kubeconfig",
        metavar="FILE",
        envvar="KUBECONFIG",
        help="--cluster: kubeconfig file [env KUBECONFIG; default ~/.kube/config].",
    ),
    click.option(
        "--timeout",
        "timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="--cluster: bound on each API request, its whole answer included.",
    ),
    click.option(
        "--deadline",
        "deadline",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_DEADLINE,
        show_default=True,
        metavar="SECONDS",
        help="--cluster: deadline of the whole collection, exec credential plugins included "
        "(unread kinds become gaps).",
    ),
    click.option(
        "--snapshot",
        "snapshot",
        metavar="FILE",
        help="Replay a snapshot saved by `regulens snapshot`.",
    ),
    click.option(
        "--kustomize",
        "kustomize",
        multiple=True,
        metavar="DIR",
        help="Render a kustomization directory with `kubectl kustomize` and judge its objects "
        "with the --manifests ones (repeatable; needs the kustomize extra).",
    ),
    click.option(
        "--kustomize-timeout",
        "kustomize_timeout",
        type=click.FloatRange(min=0, min_open=True, max=3600),
        default=KUSTOMIZE_TIMEOUT,
        show_default=True,
        metavar="SECONDS",
        help="--kustomize: longest one render may take (a timeout is an error, exit 3).",
    ),
]

_INPUT_OPTIONS: list[Callable[[F], F]] = [
    click.option(
        "--change",
        "change",
        metavar="FILE",
        help="The ChangeRequest document under review.",
    ),
    click.option(
        "--current-manifests",
        "current_manifests",
        multiple=True,
        metavar="PATH",
        help="The current state as manifests, compared with --manifests (repeatable).",
    ),
    click.option(  # the name until 0.x: kept one release, hidden, with a warning
        "--baseline-manifests",
        "deprecated_baseline_manifests",
        multiple=True,
        metavar="PATH",
        hidden=True,
    ),
    click.option(
        "--audit-policy",
        "audit_policy",
        metavar="FILE",
        help="An audit.k8s.io/v1 Policy file (else the kube-system/audit-policy ConfigMap).",
    ),
    click.option(
        "--audit-log",
        "audit_logs",
        multiple=True,
        metavar="FILE",
        help="A Kubernetes audit log (JSON lines, optionally gzip; repeatable for rotated files).",
    ),
]


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


def exception_options(func: F) -> F:
    """Add --exceptions (ExceptionSet files, repeatable)."""
    return click.option(
        "--exceptions",
        "exceptions",
        multiple=True,
        metavar="FILE",
        help="ExceptionSet document(s) waiving results (repeatable).",
    )(func)


def load_exceptions(
    paths: tuple[str, ...], loaded: LoadedPolicies, now: datetime
) -> list[PolicyException]:
    """Load the exception files; every exception must name a loaded policy, none lie ahead."""
    return read_exceptions(paths, {p.id for p in loaded.policies}, now) if paths else []


def _recovery_options(func: F) -> F:
    """Add the backup, restore drill and KPI input flags."""
    options = [
        click.option(
            "--backups",
            "backups",
            metavar="FILE",
            help="Backup catalog (YAML/JSON list of {target, kind, completed_at, status, "
            "location}); backup CronJobs and Velero objects in the manifests count too.",
        ),
        click.option(
            "--drills",
            "drills",
            metavar="FILE",
            help="Restore drill records (YAML/JSON list), the evidence for RTO.",
        ),
        click.option(
            "--incidents",
            "incidents",
            metavar="FILE",
            help="Incident records with their post-incident reviews (YAML/JSON list).",
        ),
        click.option(
            "--alertmanager-silences",
            "alertmanager_silences",
            metavar="FILE",
            help="--incidents: acknowledgement times from an Alertmanager silences export "
            "(GET /api/v2/silences JSON).",
        ),
        click.option(
            "--metrics",
            "metrics",
            metavar="FILE",
            help="KPI values {timestamp, metrics: {name: value}} for offline runs.",
        ),
        click.option(
            "--prometheus",
            "prometheus",
            metavar="URL",
            help="Prometheus base URL; KPI queries are evaluated at --now.",
        ),
        click.option(
            "--prometheus-token-file",
            "prometheus_token_file",
            metavar="FILE",
            help="File holding a bearer token for --prometheus (never printed).",
        ),
        click.option(
            "--prometheus-token-env",
            "prometheus_token_env",
            metavar="VAR",
            help="Environment variable holding a bearer token for --prometheus.",
        ),
        click.option(
            "--prometheus-timeout",
            "prometheus_timeout",
            type=click.FloatRange(min=0.1, max=600),
            default=10.0,
            show_default=True,
            metavar="SECONDS",
            help="Bound on all Prometheus queries of the run together, whole answers included.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
    func = color_option(func)
    func = click.option(
        "--output",
        "-o",
        "output",
        multiple=True,
        metavar="[FORMAT=]FILE",
        help="Write here (atomically) instead of stdout; FORMAT=FILE writes that format "
        "(repeatable: one run, one record, several outputs; the table stays on stdout).",
    )(func)
    return format_option(formats)(func)


def color_option(func: F) -> F:
    """Add --color auto|always|never (the table on standard output)."""
    return click.option(
        "--color",
        "color",
        type=click.Choice(COLOR_MODES),
        default="auto",
        show_default=True,
        help="Colour the table: auto colours a terminal unless NO_COLOR is set (FORCE_COLOR "
        "colours logs too).",
    )(func)


def screen_of(color: str) -> Screen:
    """The standard output this run prints to (the one place its environment is read)."""
    terminal = sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else 80
    return Screen(terminal, wants_color(color, os.environ, terminal=terminal), width)


def stdout_console() -> Any:
    """A rich console for a command's own table: a log gets full lines, never 80 columns."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 10_000)


def load_selected(
    specs: tuple[str, ...], select: tuple[str, ...], skip: tuple[str, ...]
) -> tuple[LoadedPolicies, list[Policy]]:
    """Load the policy sets and choose the policies to run."""
    loaded = load_policies(specs)
    chosen = select_policies(loaded, select, skip)
    for glob in unmatched_globs([p.id for p in loaded.policies], skip):
        click.echo(
            printable(f"warning: --skip {glob!r} matches no loaded policy (nothing skipped by it)"),
            err=True,
        )
    return loaded, chosen


def build_snapshot(
    options: dict[str, Any],
    policies: list[Policy] | None,
    now: datetime,
    *,
    unreachable_is_gap: bool = False,
) -> Snapshot:
    """Resolve the input flags and collect the snapshot (see `regulens.sources.inputs`).

    `unreachable_is_gap`: a cluster that cannot be reached is a gap of every kind (a run
    that judges and records denies on it) rather than an input error.
    """
    from regulens.cli.progress import list_progress

    request = input_request(options, unreachable_is_gap=unreachable_is_gap)
    return collect(request, policies, now, clock=clock.now, progress=list_progress)


def input_request(options: dict[str, Any], *, unreachable_is_gap: bool = False) -> InputRequest:
    """Turn click options and the environment into a typed request (usage errors: exit 3)."""
    cluster = None
    if options.get("cluster"):
        cluster = ClusterOptions(
            kubeconfig=_kubeconfig(options.get("kubeconfig")),
            context=options.get("context"),
            in_cluster_env={k: v for k, v in os.environ.items() if k.startswith("KUBERNETES_")},
            timeout=float(options.get("timeout") or DEFAULT_TIMEOUT),
            deadline=float(options.get("deadline") or DEFAULT_DEADLINE),
            unreachable_is_gap=unreachable_is_gap,
        )
    elif options.get("context"):
        raise ConfigError("--context is used only with --cluster")
    token = _prometheus_token(options)
    url = options.get("prometheus")
    prometheus = (
        PrometheusRequest(url, token, float(options.get("prometheus_timeout") or 10.0))
        if url
        else None
    )
    return InputRequest(
        manifests=tuple(options.get("manifests") or ()),
        cluster=cluster,
        snapshot=options.get("snapshot"),
        change=options.get("change"),
        baseline_manifests=_current_manifests(options),
        audit_policy=options.get("audit_policy"),
        backups=options.get("backups"),
        drills=options.get("drills"),
        incidents=options.get("incidents"),
        alertmanager_silences=options.get("alertmanager_silences"),
        metrics=options.get("metrics"),
        prometheus=prometheus,
        trivy=_trivy_request(options),
        namespace=options.get("manifest_namespace"),
        audit_logs=tuple(options.get("audit_logs") or ()),
        kustomize=_kustomize_request(options),
    )


def _kustomize_request(options: dict[str, Any]) -> KustomizeRequest | None:
    """Resolve --kustomize: kubectl is located (exit 3 when missing) only when it is used."""
    directories = tuple(options.get("kustomize") or ())
    if not directories:
        return None
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    binary = locate_kubectl(sysconfig.get_path("scripts"), os.environ.get("PATH"))
    timeout = float(options.get("kustomize_timeout") or KUSTOMIZE_TIMEOUT)
    return KustomizeRequest(directories, KustomizeRunner(binary, timeout, env))


def _current_manifests(options: dict[str, Any]) -> tuple[str, ...]:
    """--current-manifests, plus the deprecated --baseline-manifests (with a warning)."""
    old = tuple(options.get("deprecated_baseline_manifests") or ())
    if old:
        click.echo(
            "warning: --baseline-manifests is deprecated and will be removed in the next "
            "release; use --current-manifests (--findings-baseline is the findings baseline)",
            err=True,
        )
    return (*tuple(options.get("current_manifests") or ()), *old)


def _kubeconfig(flag: str | None) -> str | None:
    """--kubeconfig / KUBECONFIG, else ~/.kube/config when it exists, else None (in-cluster)."""
    if flag:
        return str(flag)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


def _trivy_request(options: dict[str, Any]) -> TrivyRequest | None:
    """Resolve the Trivy flags; the binary is located only when a scan is to run."""
    reports = tuple(options.get("trivy_reports") or ())
    archives = tuple(options.get("image_archives") or ())
    scan = bool(options.get("trivy_scan"))
    if not (reports or archives or scan):
        return None
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
    return TrivyRequest(reports, scan, archives, runner)


def _prometheus_token(options: dict[str, Any]) -> str | None:
    """Read the bearer token from a file or an environment variable; never echo it."""
    token_file = options.get("prometheus_token_file")
    token_env = options.get("prometheus_token_env")
    if token_file and token_env:
        raise ConfigError("give --prometheus-token-file or --prometheus-token-env, not both")
    if (token_file or token_env) and not options.get("prometheus"):
        raise ConfigError("a Prometheus token was given without --prometheus URL")
    token: str | None = None
    if token_file:
        try:
            token = Path(token_file).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"{token_file}: cannot read the Prometheus token: {reason}") from None
        where = token_file
    elif token_env:
        token = (os.environ.get(token_env) or "").strip()
        where = f"environment variable {token_env}"
    else:
        return None
    if not token:
        raise ConfigError(f"the Prometheus token from {where} is empty or unset")
    if any(c.isspace() for c in token):
        raise ConfigError(f"the Prometheus token from {where} contains whitespace")
    return token


def resolve_now(now: datetime | None) -> datetime:
    """Use --now when given, else the wall clock."""
    return now if now is not None else clock.now()
