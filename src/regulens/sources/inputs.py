"""Assemble one snapshot from every input a run was given: the sources layer's entry point.

The CLI resolves flags, files and environment into an `InputRequest`; this
module reads each system once and refuses contradictory inputs (two sources
for one section). Sections whose input was not given stay None, so the
engine can say which flag supplies them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from regulens.engine.checks.audit_events import AuditEvents, window_of
from regulens.engine.checks.kpi import Kpi
from regulens.engine.evaluate import required_kinds
from regulens.engine.inputs import Input
from regulens.engine.policy import Policy
from regulens.errors import ConfigError
from regulens.snapshot import KubernetesState, Provenance, Snapshot
from regulens.snapshot.codec import load_snapshot
from regulens.snapshot.metrics import MetricSample, MetricsState
from regulens.sources.audit import read_audit_policy
from regulens.sources.backups import build_backups
from regulens.sources.change import read_change
from regulens.sources.drills import read_drills
from regulens.sources.incidents import read_incidents
from regulens.sources.kubernetes import ClusterOptions, ListProgress, replay_gaps
from regulens.sources.kustomize import KustomizeRunner
from regulens.sources.manifests import STDIN, read_manifests
from regulens.sources.metrics_file import read_metrics_file
from regulens.sources.namespaces import DEFAULT_NAMESPACE, check_namespace
from regulens.sources.trivy import TrivyRunner, collect_scans


@dataclass(frozen=True)
class PrometheusRequest:
    """Where to query KPIs, with which bearer token (never printed) and timeout."""

    url: str
    token: str | None = field(default=None, repr=False)
    timeout: float = 10.0


@dataclass(frozen=True)
class TrivyRequest:
    """Reports to ingest and scans to run (`runner` is None when nothing is run)."""

    reports: tuple[str, ...] = ()
    scan_manifests: bool = False
    archives: tuple[str, ...] = ()
    runner: TrivyRunner | None = None


@dataclass(frozen=True)
class KustomizeRequest:
    """Kustomization directories whose rendered objects join the --manifests objects."""

    directories: tuple[str, ...]
    runner: KustomizeRunner


@dataclass(frozen=True)
class InputRequest:
    """Every input of one run, as given; None or empty means "not given"."""

    manifests: tuple[str, ...] = ()
    cluster: ClusterOptions | None = None
    snapshot: str | None = None
    change: str | None = None
    baseline_manifests: tuple[str, ...] = ()
    audit_policy: str | None = None
    backups: str | None = None
    drills: str | None = None
    metrics: str | None = None
    prometheus: PrometheusRequest | None = None
    trivy: TrivyRequest | None = None
    incidents: str | None = None
    alertmanager_silences: str | None = None
    namespace: str | None = None  # for manifest objects without one (None: "default")
    audit_logs: tuple[str, ...] = ()  # --audit-log files (rotated files: give them all)
    kustomize: KustomizeRequest | None = None  # --kustomize DIR: rendered like --manifests

    @property
    def manifest_namespace(self) -> str:
        """The namespace namespaced manifest objects without one are placed in."""
        return self.namespace if self.namespace is not None else DEFAULT_NAMESPACE

    def check(self) -> None:
        """Refuse contradictory or impossible combinations before anything is read."""
        if self.namespace is not None:
            check_namespace(self.namespace)
            if not (self.manifests or self.baseline_manifests or self.kustomize):
                raise ConfigError(
                    "--namespace places manifest objects without a namespace: give --manifests"
                )
        if self.alertmanager_silences is not None and self.incidents is None:
            raise ConfigError(
                "--alertmanager-silences gives acknowledgement times of incident records: "
                "give --incidents too"
            )
        if list(self.manifests).count(STDIN) > 1:
            raise ConfigError("--manifests - (stdin) can be given only once")
        if STDIN in self.baseline_manifests:
            raise ConfigError("--current-manifests cannot read stdin; give a file or directory")
        trivy = self.trivy
        if trivy is not None and trivy.scan_manifests:
            if not self.manifests:
                raise ConfigError("--trivy-scan scans the --manifests paths: give --manifests too")
            if STDIN in self.manifests:
                raise ConfigError(
                    "--trivy-scan cannot scan manifests read from stdin",
                    hint="write the rendered manifests to a file or directory and pass that",
                )
        if self.prometheus is not None:
            from regulens.sources.prometheus import public_url  # imports httpx: only when used

            url = self.prometheus.url
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"--prometheus {public_url(url)!r} is not an http(s) URL")
            if "@" in urlsplit(url).netloc:
                raise ConfigError(
                    "--prometheus URL must not contain credentials",
                    hint="pass a bearer token with --prometheus-token-file or "
                    "--prometheus-token-env",
                )


ProgressFactory = Callable[[], AbstractContextManager[ListProgress]]


def collect(
    request: InputRequest,
    policies: Sequence[Policy] | None,
    now: datetime,
    *,
    clock: Callable[[], datetime],
    progress: ProgressFactory | None = None,
) -> Snapshot:
    """Collect every section whose input was given; others stay None (not given).

    `policies` tell live sources what to collect (kinds, queries; None: everything
    known); `now` is the evaluation time (Prometheus queries are evaluated at it);
    `clock` stamps when live data was collected. A saved snapshot supplies its
    sections; another input may not supply a section the file already has.
    """
    request.check()
    sections = _saved_sections(_saved_snapshot(request.snapshot))
    saved_state = sections.get("kubernetes")
    live = request.cluster is not None or saved_state is not None
    given = bool(request.manifests or request.kustomize)  # the objects judged (the change)
    if given and live and not request.baseline_manifests:
        # the rendered change (--manifests) against the current state (--cluster/--snapshot):
        # the live or saved state becomes the baseline the change is classified against
        sections["baseline"] = _current_state(request, policies, saved_state, clock, progress)
        sections["kubernetes"] = _read_given(request)
    else:
        if given and live:
            other = "--cluster" if request.cluster is not None else "--snapshot"
            raise ConfigError(
                f"--manifests and {other} both supply the Kubernetes state",
                hint="without --current-manifests, --manifests is the change and "
                f"{other} its baseline; with it, give only one of them",
            )
        sections["kubernetes"] = (
            _read_given(request)
            if given
            else _current_state(request, policies, saved_state, clock, progress)
        )
        baseline = (
            read_manifests(request.baseline_manifests, request.manifest_namespace)
            if request.baseline_manifests
            else None
        )
        _put(sections, "baseline", "--current-manifests", baseline)
    _put(sections, "change", "--change", read_change(request.change) if request.change else None)
    audit = read_audit_policy(request.audit_policy) if request.audit_policy else None
    _put(sections, "audit_policy", "--audit-policy", audit)
    if request.audit_logs:
        from regulens.sources.audit_log import read_audit_logs

        events = read_audit_logs(request.audit_logs, audit_windows(policies, now), clock())
        _put(sections, "audit_events", "--audit-log", events)
    _backups(sections, request.backups)
    _put(sections, "drills", "--drills", read_drills(request.drills) if request.drills else None)
    _put(sections, "metrics", "--metrics/--prometheus", _metrics(request, policies, now))
    incidents = (
        read_incidents(request.incidents, request.alertmanager_silences)
        if request.incidents
        else None
    )
    _put(sections, "incidents", "--incidents", incidents)
    trivy = request.trivy
    if trivy is not None:
        targets = request.manifests if trivy.scan_manifests else ()
        scans = collect_scans(trivy.reports, trivy.runner, targets, trivy.archives)
        _put(sections, "scans", "--trivy-report/--trivy-scan", scans)
    return Snapshot(**{k: v for k, v in sections.items() if v is not None})


def _read_given(request: InputRequest) -> KubernetesState:
    """Read --manifests and render every --kustomize directory into one section."""
    rendered = []
    if request.kustomize is not None:
        from regulens.sources.kustomize import render_objects

        runner = request.kustomize.runner
        rendered = [render_objects(runner, d) for d in request.kustomize.directories]
    return read_manifests(request.manifests, request.manifest_namespace, rendered)


def _current_state(
    request: InputRequest,
    policies: Sequence[Policy] | None,
    saved: KubernetesState | None,
    clock: Callable[[], datetime],
    progress: ProgressFactory | None,
) -> KubernetesState | None:
    """The live or saved cluster state (never both)."""
    if saved is not None and request.cluster is not None:
        raise ConfigError(
            "--cluster and --snapshot both supply the Kubernetes state; give only one"
        )
    if saved is not None:
        return replay_gaps(saved, needed_kinds(policies))
    if request.cluster is None:
        return None
    from regulens.sources.kubernetes import read_cluster  # the client is heavy: only when live

    if progress is None:
        return read_cluster(request.cluster, needed_kinds(policies), clock())
    with progress() as sink:
        return read_cluster(request.cluster, needed_kinds(policies), clock(), sink)


def needed_kinds(policies: Sequence[Policy] | None) -> frozenset[str] | None:
    """The kinds the policies read (None: every known kind)."""
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


def audit_windows(
    policies: Sequence[Policy] | None, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The [start, end) windows the audit-events policies judge at `now` (none: the last 24 h)."""
    checks = [p.check for p in policies or () if isinstance(p.check, AuditEvents)]
    if not checks:
        return [(now - timedelta(hours=24), now)]
    return sorted({window_of(c, now) for c in checks})


def _backups(sections: dict[str, Any], catalog: str | None) -> None:
    """Backups derive from the Kubernetes state (CronJobs, Velero) plus a --backups catalog."""
    if sections.get("backups") is not None:
        # a saved section was derived from the saved Kubernetes state: replay it as saved
        if catalog:
            raise ConfigError("--backups and --snapshot both supply the backups section")
        return
    sections["backups"] = build_backups(sections.get("kubernetes"), catalog)


def _put(sections: dict[str, Any], name: str, flag: str, value: Any) -> None:
    """Add a section built from an input; refuse when a saved snapshot already supplied it."""
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


def _metrics(
    request: InputRequest, policies: Sequence[Policy] | None, now: datetime
) -> MetricsState | None:
    """Query Prometheus for exactly the KPI queries of the selected policies; read --metrics."""
    prom, path = request.prometheus, request.metrics
    if prom is None and not path:
        return None
    sources: list[str] = []
    inputs: list[str] = []
    queries: list[MetricSample] = []
    metrics: list[MetricSample] = []
    digest = ""
    if prom is not None:
        import httpx  # only runs that query Prometheus pay for the import

        from regulens.sources.prometheus import public_url, query_prometheus

        needed = [
            p.check.query for p in policies or () if isinstance(p.check, Kpi) and p.check.query
        ]
        headers = {"Authorization": f"Bearer {prom.token}"} if prom.token else {}
        with httpx.Client(base_url=prom.url, headers=headers, timeout=prom.timeout) as client:
            queries = query_prometheus(client, needed, now, prom.timeout)
        sources.append("prometheus")
        inputs.append(public_url(prom.url))
    if path:
        metrics, digest = read_metrics_file(path)
        sources.append("metrics")
        inputs.append(path)
    provenance = Provenance(
        source="+".join(sources), collected_at=now, digest=digest, inputs=tuple(inputs)
    )
    return MetricsState(provenance=provenance, queries=tuple(queries), metrics=tuple(metrics))
