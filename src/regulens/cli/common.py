"""Options shared by `evaluate` and `gate`: inputs, policy selection, time and output."""

from __future__ import annotations

import os
import sysconfig
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click
import httpx
import platformdirs

from regulens import clock
from regulens.engine.checks.kpi import Kpi
from regulens.engine.evaluate import required_kinds
from regulens.engine.exceptions import PolicyException
from regulens.engine.inputs import Input
from regulens.engine.policy import Policy
from regulens.engine.types import parse_duration
from regulens.errors import ConfigError
from regulens.policies import LoadedPolicies, load_policies, select_policies
from regulens.snapshot import KubernetesState, Provenance, Snapshot
from regulens.snapshot.codec import load_snapshot
from regulens.snapshot.metrics import MetricSample, MetricsState
from regulens.snapshot.scans import ScanSet
from regulens.sources.audit import read_audit_policy
from regulens.sources.backups import build_backups
from regulens.sources.change import read_change
from regulens.sources.drills import read_drills
from regulens.sources.exceptions import read_exceptions
from regulens.sources.kubernetes import DEFAULT_DEADLINE, DEFAULT_TIMEOUT, replay_gaps
from regulens.sources.manifests import STDIN, read_manifests
from regulens.sources.metrics_file import read_metrics_file
from regulens.sources.prometheus import public_url, query_prometheus
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
    func = _recovery_options(func)
    for option in reversed(_INPUT_OPTIONS):
        func = option(func)
    return func


_INPUT_OPTIONS: list[Callable[[F], F]] = [
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
        help="--cluster: timeout of each API request.",
    ),
    click.option(
        "--deadline",
        "deadline",
        type=click.FloatRange(min=0, min_open=True),
        default=DEFAULT_DEADLINE,
        show_default=True,
        metavar="SECONDS",
        help="--cluster: deadline of the whole collection (unread kinds become gaps).",
    ),
    click.option(
        "--snapshot",
        "snapshot",
        metavar="FILE",
        help="Replay a snapshot saved by `regulens snapshot`.",
    ),
    click.option(
        "--change",
        "change",
        metavar="FILE",
        help="The ChangeRequest document under review.",
    ),
    click.option(
        "--baseline-manifests",
        "baseline_manifests",
        multiple=True,
        metavar="PATH",
        help="The current state as manifests, compared with --manifests (repeatable).",
    ),
    click.option(
        "--audit-policy",
        "audit_policy",
        metavar="FILE",
        help="An audit.k8s.io/v1 Policy file (else the kube-system/audit-policy ConfigMap).",
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


def load_exceptions(paths: tuple[str, ...], loaded: LoadedPolicies) -> list[PolicyException]:
    """Load the exception files; every exception must name a loaded policy."""
    return read_exceptions(paths, {p.id for p in loaded.policies}) if paths else []


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
            help="Timeout of each Prometheus query.",
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


def build_snapshot(
    options: dict[str, Any], policies: list[Policy] | None, now: datetime
) -> Snapshot:
    """Collect every section whose input flag was given; others stay None (not given).

    `policies` tell live sources what to collect (kinds, queries; None: everything
    known); `now` is the evaluation time (e.g. Prometheus queries are evaluated
    at it). A `--snapshot` file supplies its saved sections; a flag may not supply
    a section the file already has.
    """
    # Trivy flag mistakes are usage errors before anything is read or run
    scans = _trivy_plan(options, tuple(options.get("manifests") or ()))
    saved = _saved_snapshot(options.get("snapshot"))
    sections = _saved_sections(saved)
    manifests = options.get("manifests") or ()
    baseline_specs = options.get("baseline_manifests") or ()
    if STDIN in baseline_specs:
        raise ConfigError("--baseline-manifests cannot read stdin; give a file or directory")
    live = bool(options.get("cluster")) or sections.get("kubernetes") is not None
    if manifests and live and not baseline_specs:
        # the rendered change (--manifests) against the current state (--cluster/--snapshot):
        # the live or saved state becomes the baseline the change is classified against
        current = _kubernetes_section(
            {**options, "manifests": ()}, policies, sections.get("kubernetes")
        )
        sections["kubernetes"] = read_manifests(manifests)
        sections["baseline"] = current
    else:
        # the Kubernetes section may come from the file (replayed with coverage of these policies)
        sections["kubernetes"] = _kubernetes_section(options, policies, sections.get("kubernetes"))
        baseline = read_manifests(baseline_specs) if baseline_specs else None
        put_section(sections, "baseline", "--baseline-manifests", baseline)
    # further sections: put_section(sections, "<field>", "--<flag>", _<field>_section(options))
    change_file = options.get("change")
    put_section(sections, "change", "--change", read_change(change_file) if change_file else None)
    audit_file = options.get("audit_policy")
    audit_policy = read_audit_policy(audit_file) if audit_file else None
    put_section(sections, "audit_policy", "--audit-policy", audit_policy)
    _backups_section(sections, options)
    drills_file = options.get("drills")
    put_section(sections, "drills", "--drills", read_drills(drills_file) if drills_file else None)
    put_section(
        sections, "metrics", "--metrics/--prometheus", _build_metrics(options, policies, now)
    )
    put_section(
        sections, "scans", "--trivy-report/--trivy-scan", scans() if scans is not None else None
    )
    return Snapshot(**{k: v for k, v in sections.items() if v is not None})


def _backups_section(sections: dict[str, Any], options: dict[str, Any]) -> None:
    """Backups derive from the Kubernetes state (CronJobs, Velero) plus a --backups catalog."""
    catalog = options.get("backups")
    if sections.get("backups") is not None:
        # a saved section was derived from the saved Kubernetes state: replay it as saved
        if catalog:
            raise ConfigError("--backups and --snapshot both supply the backups section")
        return
    sections["backups"] = build_backups(sections.get("kubernetes"), catalog)


def put_section(sections: dict[str, Any], name: str, flag: str, value: Any) -> None:
    """Add a section built from a flag; refuse when a --snapshot file already supplied it."""
    if value is None:
        return
    if sections.get(name) is not None:
        raise ConfigError(f"{flag} and --snapshot both supply the {name} section; give only one")
    sections[name] = value


def _saved_sections(saved: Snapshot | None) -> dict[str, Any]:
    if saved is None:
        return {}
    names = (name for name in Snapshot.model_fields if name != "version")
    return {name: getattr(saved, name) for name in names}


def _saved_snapshot(path: str | None) -> Snapshot | None:
    if path is None:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"--snapshot {path}: cannot read: {exc.strerror}") from None
    return load_snapshot(data, path)


def _needed_kinds(policies: list[Policy] | None) -> frozenset[str] | None:
    if policies is None:
        return None
    needed: set[str] = set()
    for policy in policies:
        if Input.KUBERNETES not in policy.check.inputs:
            continue  # reads Kubernetes objects only when present: the fixed set covers it
        kinds = required_kinds(policy)
        if kinds is None:
            return None
        needed.update(kinds)
    return frozenset(needed)


def _kubernetes_section(
    options: dict[str, Any], policies: list[Policy] | None, saved: KubernetesState | None
) -> KubernetesState | None:
    manifests = options.get("manifests") or ()
    cluster = bool(options.get("cluster"))
    given = [flag for flag, on in (("--manifests", manifests), ("--cluster", cluster)) if on]
    if saved is not None:
        given.append("--snapshot")
    if len(given) > 1:
        raise ConfigError(
            f"{' and '.join(given)} both supply the Kubernetes state; give only one of them"
        )
    if options.get("context") and not cluster:
        raise ConfigError("--context is used only with --cluster")
    if list(manifests).count("-") > 1:
        raise ConfigError("--manifests - (stdin) can be given only once")
    if manifests:
        return read_manifests(manifests)
    if saved is not None:
        return replay_gaps(saved, _needed_kinds(policies))
    if not cluster:
        return None
    from regulens.cli.progress import list_progress
    from regulens.sources.kubernetes import ClusterOptions, read_cluster

    cluster_options = ClusterOptions(
        kubeconfig=_kubeconfig(options.get("kubeconfig")),
        context=options.get("context"),
        in_cluster_env={k: v for k, v in os.environ.items() if k.startswith("KUBERNETES_")},
        timeout=float(options.get("timeout") or DEFAULT_TIMEOUT),
        deadline=float(options.get("deadline") or DEFAULT_DEADLINE),
    )
    with list_progress() as progress:
        return read_cluster(cluster_options, _needed_kinds(policies), clock.now(), progress)


def _kubeconfig(flag: str | None) -> str | None:
    """--kubeconfig / KUBECONFIG, else ~/.kube/config when it exists, else None (in-cluster)."""
    if flag:
        return str(flag)
    default = Path("~/.kube/config").expanduser()
    return str(default) if default.is_file() else None


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


def _build_metrics(
    options: dict[str, Any], policies: list[Policy] | None, now: datetime
) -> MetricsState | None:
    """Query Prometheus for exactly the KPI queries of the selected policies; read --metrics."""
    url = options.get("prometheus")
    path = options.get("metrics")
    token = _prometheus_token(options)
    if not url and not path:
        return None
    sources: list[str] = []
    inputs: list[str] = []
    queries: list[MetricSample] = []
    metrics: list[MetricSample] = []
    digest = ""
    if url:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"--prometheus {public_url(url)!r} is not an http(s) URL")
        if "@" in urlsplit(url).netloc:
            raise ConfigError(
                "--prometheus URL must not contain credentials",
                hint="pass a bearer token with --prometheus-token-file or --prometheus-token-env",
            )
        needed = [
            p.check.query for p in policies or () if isinstance(p.check, Kpi) and p.check.query
        ]
        timeout = float(options.get("prometheus_timeout") or 10.0)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=url, headers=headers, timeout=timeout) as client:
            queries = query_prometheus(client, needed, now, timeout)
        sources.append("prometheus")
        inputs.append(public_url(url))
    if path:
        metrics, digest = read_metrics_file(path)
        sources.append("metrics")
        inputs.append(path)
    provenance = Provenance(
        source="+".join(sources), collected_at=now, digest=digest, inputs=tuple(inputs)
    )
    return MetricsState(provenance=provenance, queries=tuple(queries), metrics=tuple(metrics))


def resolve_now(now: datetime | None) -> datetime:
    """Use --now when given, else the wall clock."""
    return now if now is not None else clock.now()
