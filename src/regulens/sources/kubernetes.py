"""Read live cluster state through the official `kubernetes` client into the Kubernetes section.

Lists are raw JSON (`_preload_content=False` style: the client's model
deserialisation is far slower than orjson), paginated with `limit`/`continue`,
with a timeout on every request and an overall deadline, both bounding the
whole exchange (connect, headers and body, read in small pieces: a server
that trickles bytes cannot stretch them), and a size limit per answer. The
client's own
urllib3 retries are disabled: a hidden retry would multiply the timeout, so
retries are ours, bounded, jittered, and honour `Retry-After` on 429/5xx.
A 410 Gone on a continue token restarts that list from scratch, so a list is
never spliced from two resourceVersions. 403, 404 (missing API group), 503
(aggregated API down), timeouts and an exhausted deadline become coverage
gaps: missing data is visible and fails closed in the engine, never silently
empty. The `kubernetes` package is imported only when a cluster is read
(it costs a large part of a second at startup).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlencode

import orjson
import yaml

from regulens.errors import ConfigError, InputDataError
from regulens.snapshot import (
    ClusterIdentity,
    CoverageGap,
    KubernetesState,
    ObjectKey,
    Provenance,
    Resource,
    content_digest,
)
from regulens.snapshot.kubernetes import ANY_KIND, UNREACHABLE
from regulens.sources.deadline import Deadline, DeadlineExceeded, MiB, TooLarge, run_within
from regulens.sources.kube_exec import quiet_exec_plugins
from regulens.sources.redact import redact
from regulens.sources.status_fields import slim_status

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
DEFAULT_DEADLINE = 120.0
PAGE_SIZE = 500
MAX_RESPONSE_BYTES = 64 * MiB  # one answer (a page of 500 objects is far smaller)
READ_CHUNK = 64 * 1024
MAX_ATTEMPTS = 4  # first try + 3 retries on 429/5xx
MAX_RESTARTS = 3  # 410 Gone restarts of one list
RETRYABLE = frozenset({429, 500, 502, 503, 504})
IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 (a path)
IN_CLUSTER_CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"


@dataclass(frozen=True, slots=True)
class KindInfo:
    """Where one kind is served: group, version, plural resource name and scope."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """The `apiVersion` of its objects."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def list_path(self, namespace: str | None) -> str:
        """The list URL path, across namespaces or in one."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


def _k(kind: str, api: str, plural: str, namespaced: bool = True) -> KindInfo:
    group, _, version = api.rpartition("/")
    return KindInfo(kind, group, version, plural, namespaced)


KNOWN_KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in (
        _k("Namespace", "v1", "namespaces", namespaced=False),
        _k("Node", "v1", "nodes", namespaced=False),
        _k("Event", "v1", "events"),
        _k("Pod", "v1", "pods"),
        _k("Service", "v1", "services"),
        _k("ConfigMap", "v1", "configmaps"),
        _k("Secret", "v1", "secrets"),
        _k("ServiceAccount", "v1", "serviceaccounts"),
        _k("PersistentVolumeClaim", "v1", "persistentvolumeclaims"),
        _k("ReplicationController", "v1", "replicationcontrollers"),
        _k("PodTemplate", "v1", "podtemplates"),
        _k("LimitRange", "v1", "limitranges"),
        _k("ResourceQuota", "v1", "resourcequotas"),
        _k("Deployment", "apps/v1", "deployments"),
        _k("StatefulSet", "apps/v1", "statefulsets"),
        _k("DaemonSet", "apps/v1", "daemonsets"),
        _k("ReplicaSet", "apps/v1", "replicasets"),
        _k("Job", "batch/v1", "jobs"),
        _k("CronJob", "batch/v1", "cronjobs"),
        _k("HorizontalPodAutoscaler", "autoscaling/v2", "horizontalpodautoscalers"),
        _k("Ingress", "networking.k8s.io/v1", "ingresses"),
        _k("NetworkPolicy", "networking.k8s.io/v1", "networkpolicies"),
        _k("PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"),
        _k("Role", "rbac.authorization.k8s.io/v1", "roles"),
        _k("ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", namespaced=False),
        _k("RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings"),
        _k(
            "ClusterRoleBinding",
            "rbac.authorization.k8s.io/v1",
            "clusterrolebindings",
            namespaced=False,
        ),
        _k("Backup", "velero.io/v1", "backups"),
        _k("Schedule", "velero.io/v1", "schedules"),
    )
}
# Always read, whatever the policies: RBAC, namespaces and backups across the cluster, and
# the audit configuration (ConfigMaps, kube-apiserver static Pods) in kube-system.
ALWAYS_CLUSTER_WIDE = (
    "Namespace",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "CronJob",
    "Job",
    "Backup",
    "Schedule",
)
ALWAYS_IN_KUBE_SYSTEM = ("ConfigMap", "Pod")
KUBE_SYSTEM = "kube-system"


@dataclass(frozen=True, slots=True)
class ListPlan:
    """One list to run: a kind, across namespaces (None) or in one namespace."""

    kind: str
    namespace: str | None = None

    @property
    def label(self) -> str:
        """A short name for progress and logs."""
        return self.kind if self.namespace is None else f"{self.kind} in {self.namespace}"


def plan_lists(needed: frozenset[str] | None) -> list[ListPlan]:
    """Return the lists to run for the kinds the policies need (None: every known kind)."""
    wide = set(KNOWN_KINDS) if needed is None else {k for k in needed if k in KNOWN_KINDS}
    wide.update(ALWAYS_CLUSTER_WIDE)
    plans = [ListPlan(k) for k in sorted(wide)]
    plans.extend(ListPlan(k, KUBE_SYSTEM) for k in ALWAYS_IN_KUBE_SYSTEM if k not in wide)
    return plans


def unknown_kinds(needed: frozenset[str] | None) -> list[str]:
    """Return the needed kinds this source cannot list (they become coverage gaps)."""
    return [] if needed is None else sorted(k for k in needed if k not in KNOWN_KINDS)


class ListProgress(Protocol):
    """Receives progress per list (the CLI draws it; library code never prints)."""

    def started(self, label: str) -> None:
        """A list started."""

    def page(self, label: str, items: int, remaining: int | None) -> None:
        """A page arrived: items so far, and the server's estimate of what is left."""

    def finished(self, label: str, items: int, gap: str | None) -> None:
        """A list finished (gap: the reason it could not be read)."""


class NoProgress:
    """Progress that shows nothing (CI, pipes, library use)."""

    def started(self, label: str) -> None:
        """Ignore."""

    def page(self, label: str, items: int, remaining: int | None) -> None:
        """Ignore."""

    def finished(self, label: str, items: int, gap: str | None) -> None:
        """Ignore."""


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How to reach the cluster; the CLI resolves flags and environment into this."""

    kubeconfig: str | None = None  # a path (or os.pathsep-separated paths)
    context: str | None = None
    in_cluster_env: Mapping[str, str] = field(default_factory=dict)  # KUBERNETES_SERVICE_*
    timeout: float = DEFAULT_TIMEOUT
    deadline: float = DEFAULT_DEADLINE
    max_response_bytes: int = MAX_RESPONSE_BYTES
    # a server that cannot be reached (or refuses the credentials) is one gap of every kind,
    # so a run that judges and records says so (deny), instead of an input error
    unreachable_is_gap: bool = False


class ClusterUnreachable(InputDataError):
    """Discovery got no usable answer from the API server: nothing could be listed."""

    def __init__(self, why: str, hint: str | None = None) -> None:
        super().__init__(f"--cluster: {why}", hint=hint)
        self.why = why  # the message without the flag: the reason of the gap of every kind


class _Gap(Exception):
    """A list could not be read; the reason becomes a coverage gap."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


def _cause(exc: Exception) -> str:
    """Name a connection failure without its message (which can be long, never secret)."""
    reason = getattr(exc, "reason", None)
    return type(reason if isinstance(reason, Exception) else exc).__name__


def connect(options: ClusterOptions, ends: float | None = None) -> tuple[Any, ClusterIdentity]:
    """Build a `kubernetes` ApiClient from a kubeconfig (with --context) or in-cluster config.

    Exec credential plugins run quietly (stderr only with -v) and until `ends`
    (monotonic time; default: `options.deadline` from now).
    """
    import kubernetes.client
    import kubernetes.config
    from kubernetes.config.config_exception import ConfigException

    client: Any = kubernetes.client
    config: Any = kubernetes.config

    cfg = client.Configuration()
    context = options.context
    until = time.monotonic() + options.deadline if ends is None else ends
    try:
        if options.kubeconfig is not None and context is None:
            _, active = config.list_kube_config_contexts(config_file=options.kubeconfig)
            context = active.get("name") if isinstance(active, dict) else None
        with quiet_exec_plugins(lambda: until - time.monotonic()):
            _load_config(config, cfg, options, context)
    except ConfigException as exc:
        # first line only: later lines of exec-plugin failures echo its command and stderr
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"--cluster: cannot load the Kubernetes configuration: {first}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"--cluster: the kubeconfig is not valid YAML{where}") from None
    except OSError as exc:
        raise ConfigError(f"--cluster: cannot read the kubeconfig: {exc.strerror}") from None
    # our retries are bounded by --timeout and --deadline; urllib3 must not retry behind them
    cfg.retries = False
    cfg.client_go_retries = False
    cfg.debug = False  # the client's debug logging would print request headers (the token)
    api = client.ApiClient(cfg)
    return api, ClusterIdentity(server=str(cfg.host), context=context)


def _load_config(config: Any, cfg: Any, options: ClusterOptions, context: str | None) -> None:
    """Fill `cfg` from the kubeconfig (this may run an exec plugin) or the in-cluster files."""
    if options.kubeconfig is not None:
        config.load_kube_config(
            config_file=options.kubeconfig, context=context, client_configuration=cfg
        )
    elif options.in_cluster_env.get("KUBERNETES_SERVICE_HOST"):
        loader = config.incluster_config.InClusterConfigLoader(
            token_filename=IN_CLUSTER_TOKEN,
            cert_filename=IN_CLUSTER_CA,
            environ=dict(options.in_cluster_env),
        )
        loader.load_and_set(cfg)
    else:
        raise ConfigError(
            "--cluster: no kubeconfig found and not running inside a cluster",
            hint="pass --kubeconfig FILE (or set KUBECONFIG), optionally with --context",
        )


class Collector:
    """Runs the list plans against one API server within a deadline."""

    def __init__(
        self,
        api: Any,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        page_size: int = PAGE_SIZE,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_attempts: int = MAX_ATTEMPTS,
        backoff: float = 0.25,
        progress: ListProgress | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._timeout = timeout
        self._page_size = page_size
        self._max_bytes = max_response_bytes
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._progress = progress or NoProgress()
        self._sleep = sleep
        self._monotonic = monotonic
        self._ends = monotonic() + deadline
        self.requests = 0

    # --- HTTP -----------------------------------------------------------------------------

    def _get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> tuple[int, Any, Any]:
        """GET a path; return (status, parsed JSON body or None, headers). Raises _Gap."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        attempt = 0
        while True:
            attempt += 1
            remaining = self._ends - self._monotonic()
            if remaining <= 0:
                raise _Gap("deadline")
            budget = min(self._timeout, remaining)
            shown = path + ("?" + urlencode(query) if query else "")
            method, url, headers, _, _ = self._api.param_serialize(
                "GET",
                path,
                query_params=list(query),
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            self.requests += 1
            started = self._monotonic()
            try:
                status, response_headers, body = self._attempt(
                    partial(self._exchange, method, url, headers), shown, started, budget
                )
            except urllib3.exceptions.HTTPError as exc:
                elapsed = self._monotonic() - started
                timed_out = isinstance(exc, urllib3.exceptions.TimeoutError) or isinstance(
                    getattr(exc, "reason", None), urllib3.exceptions.TimeoutError
                )
                what = "timeout" if timed_out else type(exc).__name__
                log.info("GET %s -> %s after %.2fs", shown, what, elapsed)
                if timed_out:  # never retried: --timeout is the bound a user relies on
                    raise _Gap("deadline" if budget < self._timeout else "timeout") from None
                # a refused or reset connection (e.g. a pooled keep-alive the server closed)
                if attempt < self._max_attempts:
                    wait = self._retry_wait(None, attempt)
                    if wait < self._ends - self._monotonic():
                        self._sleep(wait)
                        continue
                raise _Gap("error", _cause(exc)) from None
            except ApiException as exc:  # the client wraps TLS failures (status 0)
                what = "TLS error" if exc.status == 0 else f"HTTP {exc.status}"
                log.info("GET %s -> %s", shown, what)
                raise _Gap("error", what) from None
            log.info("GET %s -> %d (%.2fs)", shown, status, self._monotonic() - started)
            if status in RETRYABLE and attempt < self._max_attempts:
                wait = self._retry_wait(response_headers, attempt)
                if wait < self._ends - self._monotonic():
                    log.info("retrying %s in %.2fs (HTTP %d)", shown, wait, status)
                    self._sleep(wait)
                    continue
            parsed = None
            if body:
                try:
                    parsed = orjson.loads(body)
                except orjson.JSONDecodeError:
                    parsed = None
            return status, parsed, response_headers

    def _attempt(
        self,
        exchange: Callable[[Deadline], tuple[int, Any, bytes]],
        shown: str,
        started: float,
        budget: float,
    ) -> tuple[int, Any, bytes]:
        """Run one exchange within `budget` seconds; a late or oversized answer is a _Gap."""
        try:
            return run_within(exchange, Deadline(started + budget, self._monotonic))
        except DeadlineExceeded:
            log.info("GET %s -> no whole answer within %.2fs", shown, budget)
            raise _Gap("deadline" if budget < self._timeout else "timeout") from None
        except TooLarge as exc:
            log.info("GET %s -> %s", shown, exc)
            raise _Gap("oversized", str(exc)) from None

    def _exchange(
        self, method: str, url: str, headers: Any, deadline: Deadline
    ) -> tuple[int, Any, bytes]:
        """One request and its whole body, read in small pieces within `deadline` (a worker)."""
        budget = max(deadline.remaining(), 0.001)
        response = self._api.call_api(
            method, url, header_params=headers, _request_timeout=(budget, budget)
        )
        raw = response.response  # urllib3, not preloaded: we read it ourselves
        try:
            length = raw.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > self._max_bytes:
                raise TooLarge(self._max_bytes)
            body = bytearray()
            while chunk := raw.read1(READ_CHUNK):
                body += chunk
                if len(body) > self._max_bytes:
                    raise TooLarge(self._max_bytes)
                deadline.check()
        except BaseException:
            raw.close()  # a half-read connection is never reused
            raise
        raw.release_conn()
        return int(response.status), response.headers, bytes(body)

    def _retry_wait(self, headers: Any, attempt: int) -> float:
        after = headers.get("Retry-After") if headers is not None else None
        if after is not None:
            try:
                return max(0.0, float(after))
            except ValueError:
                pass  # an HTTP date: fall back to our backoff
        # full jitter: uniform in [0, base * 2^(attempt-1)], capped at 5 s
        return random.uniform(0, min(5.0, self._backoff * 2 ** (attempt - 1)))

    # --- discovery --------------------------------------------------------------------------

    def discover(self, kinds: Iterable[str]) -> dict[str, str]:
        """Check each kind is served; return kind -> gap reason for those that are not."""
        try:
            status, body, _ = self._get("/api")
        except _Gap as gap:
            raise ClusterUnreachable(
                f"cannot reach the Kubernetes API server ({gap.detail})",
                hint="check --kubeconfig/--context, the network, or raise --timeout",
            ) from None
        if status == 401:
            raise ClusterUnreachable("the API server rejected the credentials (HTTP 401)")
        if status != 200:
            raise ClusterUnreachable(f"the API server answered /api with HTTP {status}")
        wanted = [KNOWN_KINDS[k] for k in kinds]
        groups = {k.group for k in wanted if k.group}
        served: dict[str, list[str]] = {}
        unlisted = "404"  # why a group missing from /apis is a gap
        if groups:
            try:
                status, body, _ = self._get("/apis")
            except _Gap as gap:
                status, body, unlisted = 0, None, gap.reason
            if status == 200 and isinstance(body, dict):
                for g in body.get("groups") or []:
                    served[str(g.get("name"))] = [
                        str(v.get("version")) for v in g.get("versions") or []
                    ]
            elif status:
                unlisted = str(status)
        gaps: dict[str, str] = {}
        by_gv: dict[tuple[str, str], list[KindInfo]] = {}
        for info in wanted:
            if info.group and info.version not in served.get(info.group, []):
                gaps[info.kind] = unlisted
            else:
                by_gv.setdefault((info.group, info.version), []).append(info)
        for (group, version), infos in sorted(by_gv.items()):
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                status, body, _ = self._get(path)
            except _Gap as gap:
                gaps.update({i.kind: gap.reason for i in infos})
                continue
            if status != 200 or not isinstance(body, dict):
                gaps.update({i.kind: str(status) for i in infos})
                continue
            names = {str(r.get("name")) for r in body.get("resources") or []}
            gaps.update({i.kind: "404" for i in infos if i.plural not in names})
        return gaps

    def identity(self, base: ClusterIdentity) -> ClusterIdentity:
        """Add the kube-system namespace UID (a stable cluster id) when readable."""
        try:
            status, body, _ = self._get(f"/api/v1/namespaces/{KUBE_SYSTEM}")
        except _Gap:
            return base
        if status == 200 and isinstance(body, dict):
            uid = (body.get("metadata") or {}).get("uid")
            if isinstance(uid, str):
                return base.model_copy(update={"kube_system_uid": uid})
        log.info("kube-system namespace not readable (HTTP %d): no cluster UID", status)
        return base

    # --- lists ------------------------------------------------------------------------------

    def list_all(self, plan: ListPlan) -> tuple[list[dict[str, Any]], str]:
        """Run one paginated list; return its items and resourceVersion. Raises _Gap."""
        info = KNOWN_KINDS[plan.kind]
        path = info.list_path(plan.namespace)
        for _ in range(MAX_RESTARTS + 1):
            items: list[dict[str, Any]] = []
            version = ""
            token: str | None = None
            tokens: set[str] = set()
            expired = False
            while True:
                query = [("limit", str(self._page_size))]
                if token:
                    query.append(("continue", token))
                status, body, _ = self._get(path, query)
                if status == 410 and token:
                    log.info("%s: continue token expired (410 Gone); restarting", plan.label)
                    expired = True
                    break
                if status != 200:
                    raise _Gap(str(status))
                page = list_page(body, info)
                if not version:
                    version = page.resource_version
                items.extend(page.items)
                self._progress.page(plan.label, len(items), page.remaining)
                if page.token is not None and page.token in tokens:
                    raise _Gap("malformed", "the server repeated a continue token")
                token = page.token
                if token is None:
                    break
                tokens.add(token)
            if not expired:
                for item in items:
                    item.setdefault("apiVersion", info.api_version)
                    item.setdefault("kind", info.kind)
                return items, version
        raise _Gap("410")

    def collect(
        self, plans: Sequence[ListPlan], base: ClusterIdentity, collected_at: datetime
    ) -> KubernetesState:
        """Run every plan; unreadable lists become coverage gaps."""
        unserved = self.discover(sorted({p.kind for p in plans}))
        identity = self.identity(base)
        resources: list[Resource] = []
        gaps: list[CoverageGap] = []
        versions: dict[str, str] = {}
        collected: dict[str, str | None] = {}
        for plan in plans:
            self._progress.started(plan.label)
            reason = unserved.get(plan.kind)
            items: list[dict[str, Any]] = []
            if reason is None:
                try:
                    items, version = self.list_all(plan)
                    versions[plan.kind] = version
                    collected[plan.kind] = plan.namespace
                    log.info(
                        "%s: %d objects at resourceVersion %s", plan.label, len(items), version
                    )
                except _Gap as gap:
                    reason = gap.reason
                    if gap.detail != gap.reason:
                        log.info("%s: %s", plan.label, gap.detail)
            if reason is not None:
                log.info("%s: not read (%s)", plan.label, reason)
                gaps.append(CoverageGap(kind=plan.kind, namespace=plan.namespace, reason=reason))
            items.sort(key=_identity)
            kept = 0
            for item in items:
                meta = item.get("metadata")
                if isinstance(meta, dict):
                    meta.pop("managedFields", None)  # field ownership: large, never judged
                slimmed = slim_status(item, collected_at)
                if slimmed is not None:
                    resources.append(Resource.from_object(redact(slimmed)))
                    kept += 1
            if kept != len(items):
                log.info("%s: kept %d of %d (older Events dropped)", plan.label, kept, len(items))
            self._progress.finished(plan.label, len(items), reason)
        provenance = Provenance(
            source="kubernetes",
            collected_at=collected_at,
            cluster=identity,
            resource_versions=versions,
            collected=collected,
            digest=content_digest(resources, gaps),
            inputs=(identity.server,),
        )
        return KubernetesState.model_construct(
            provenance=provenance, resources=tuple(resources), gaps=tuple(gaps)
        )


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a List answer, checked: its items, version, continue token and estimate."""

    items: list[dict[str, Any]]
    resource_version: str
    token: str | None
    remaining: int | None


def list_page(body: Any, info: KindInfo) -> ListPage:
    """Check that a 200 answer is a page of a `<Kind>List`; anything else raises _Gap.

    `200 {}`, a `Status` object, a List of another kind or version, `items` that
    is not a list or holds other objects, and a `metadata.continue` that is not a
    string are not "zero objects": they are coverage gaps (reason `malformed`).
    """
    if not isinstance(body, dict):
        raise _Gap("malformed", "the answer is not a JSON object")
    kind, api_version = body.get("kind"), body.get("apiVersion")
    if kind != f"{info.kind}List" or api_version != info.api_version:
        raise _Gap(
            "malformed",
            f"expected a {info.kind}List of {info.api_version}, got kind {_shown(kind)} "
            f"apiVersion {_shown(api_version)}",
        )
    meta, raw = body.get("metadata"), body.get("items")
    if not isinstance(meta, dict):
        raise _Gap("malformed", "the List has no metadata object")
    if not isinstance(raw, list):
        raise _Gap("malformed", f"the List's items is {type(raw).__name__}, not a list")
    token = meta.get("continue", "")
    version = meta.get("resourceVersion", "")
    remaining = meta.get("remainingItemCount")
    if not isinstance(token, str) or not isinstance(version, str):
        raise _Gap("malformed", "metadata.continue and metadata.resourceVersion must be strings")
    if remaining is not None and (type(remaining) is not int or remaining < 0):
        raise _Gap("malformed", "metadata.remainingItemCount is not a count")
    for item in raw:
        item_meta = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(item_meta, dict) or not isinstance(item_meta.get("name"), str):
            raise _Gap("malformed", "an item is not an object with metadata.name")
        # typed lists leave kind and apiVersion out of their items; CRD lists set them
        item_kind = item.get("kind", info.kind)
        item_version = item.get("apiVersion", info.api_version)
        if item_kind != info.kind or item_version != info.api_version:
            raise _Gap("malformed", f"an item is a {_shown(item_kind)} of {_shown(item_version)}")
    return ListPage(raw, version, token or None, remaining)


def _shown(value: Any) -> str:
    """Name a value from the server briefly and safely (no control characters, bounded)."""
    text = value if isinstance(value, str) else type(value).__name__
    return ascii(text[:60])


def _identity(item: Mapping[str, Any]) -> ObjectKey:
    meta = item.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    ns = meta.get("namespace")
    return ObjectKey(
        str(item.get("kind") or ""),
        ns if isinstance(ns, str) and ns else None,
        str(meta.get("name") or ""),
    )


def read_cluster(
    options: ClusterOptions,
    needed: frozenset[str] | None,
    collected_at: datetime,
    progress: ListProgress | None = None,
) -> KubernetesState:
    """Connect and collect the kinds the policies need (None: all known) plus the fixed set."""
    ends = time.monotonic() + options.deadline  # --deadline covers exec plugins too
    api, base = connect(options, ends)
    try:
        collector = Collector(
            api,
            timeout=options.timeout,
            deadline=max(0.0, ends - time.monotonic()),
            max_response_bytes=options.max_response_bytes,
            progress=progress,
        )
        state = collector.collect(plan_lists(needed), base, collected_at)
    except ClusterUnreachable as exc:
        if not options.unreachable_is_gap:
            raise
        log.warning("%s: every kind is a coverage gap", exc.message)
        return _unreachable_state(base, collected_at, exc.why)
    finally:
        api.close()
    extra = [CoverageGap(kind=k, reason="404") for k in unknown_kinds(needed)]
    if not extra:
        return state
    gaps = state.gaps + tuple(extra)
    provenance = state.provenance.model_copy(
        update={"digest": content_digest(state.resources, gaps)}
    )
    return KubernetesState.model_construct(
        provenance=provenance, resources=state.resources, gaps=gaps
    )


def _unreachable_state(
    identity: ClusterIdentity, collected_at: datetime, why: str
) -> KubernetesState:
    """The state of a cluster that could not be reached: no objects, one gap of every kind."""
    gaps = (CoverageGap(kind=ANY_KIND, reason=f"{UNREACHABLE}{why}"),)
    provenance = Provenance(
        source="kubernetes",
        collected_at=collected_at,
        cluster=identity,
        digest=content_digest((), gaps),
        inputs=(identity.server,),
    )
    return KubernetesState.model_construct(provenance=provenance, resources=(), gaps=gaps)


def replay_gaps(state: KubernetesState, needed: frozenset[str] | None) -> KubernetesState:
    """Add `not-collected` gaps for kinds a replay needs that the live run never listed.

    A live snapshot holds only the kinds its policies needed (and the fixed set);
    replaying it with other policies must not read an absent kind as "none exist".
    Manifest snapshots are what the files said and get no such gaps.
    """
    if state.provenance.source != "kubernetes":
        return state
    wanted = set(KNOWN_KINDS) if needed is None else set(needed)
    have = {gap.kind for gap in state.gaps if gap.namespace is None}
    missing = sorted(
        kind
        for kind in wanted
        if state.provenance.collected.get(kind, KUBE_SYSTEM) is not None and kind not in have
    )
    if not missing:
        return state
    gaps = state.gaps + tuple(CoverageGap(kind=k, reason="not-collected") for k in missing)
    return KubernetesState.model_construct(
        provenance=state.provenance, resources=state.resources, gaps=gaps
    )
