"""A fake Kubernetes API server for tests: real HTTP, real List JSON, real failure modes.

No Kubernetes API server can be installed on the test machines, so the
official `kubernetes` client talks to this one exactly as to a cluster:
discovery (/api, /apis, /api/v1, /apis/<group>/<version>), List JSON for
core, apps, rbac, batch, autoscaling, networking, policy and velero.io with
`limit`/`continue` and `remainingItemCount`, 410 Gone (reason Expired) when
the resourceVersion moved between pages, 403 per kind (or kind and
namespace), 404 for a missing API group, 503 for an unavailable aggregated
API, 429 with Retry-After, configurable delays, and bearer-token auth.
Faults for answers that are not lists (`malformed`: `200 {}`, a Status object,
a List of another kind, items not a list or of the wrong kind, a bad or
repeated `metadata.continue`, a body that is not JSON) and for slow bodies
(`trickle`: one byte per interval after the headers, which stops by itself).
Its data is a list of plain objects (by default the `examples/platform`
manifests plus a kube-system namespace and a kube-apiserver Pod).
"""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from regulens.sources.manifests import manifest_files, parse_documents

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PLATFORM = ROOT / "examples" / "platform"
KUBE_SYSTEM_UID = "5f0c8d2e-6c1e-4d0b-9d7e-2f8a1b3c4d5e"

# (kind, group, version, plural, namespaced): the fake's own table, independent of the source
RESOURCES: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Namespace", "", "v1", "namespaces", False),
    ("Node", "", "v1", "nodes", False),
    ("Event", "", "v1", "events", True),
    ("Pod", "", "v1", "pods", True),
    ("Service", "", "v1", "services", True),
    ("ConfigMap", "", "v1", "configmaps", True),
    ("Secret", "", "v1", "secrets", True),
    ("ServiceAccount", "", "v1", "serviceaccounts", True),
    ("PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True),
    ("ReplicationController", "", "v1", "replicationcontrollers", True),
    ("PodTemplate", "", "v1", "podtemplates", True),
    ("LimitRange", "", "v1", "limitranges", True),
    ("ResourceQuota", "", "v1", "resourcequotas", True),
    ("Deployment", "apps", "v1", "deployments", True),
    ("StatefulSet", "apps", "v1", "statefulsets", True),
    ("DaemonSet", "apps", "v1", "daemonsets", True),
    ("ReplicaSet", "apps", "v1", "replicasets", True),
    ("Job", "batch", "v1", "jobs", True),
    ("CronJob", "batch", "v1", "cronjobs", True),
    ("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", True),
    ("Ingress", "networking.k8s.io", "v1", "ingresses", True),
    ("NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True),
    ("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True),
    ("Role", "rbac.authorization.k8s.io", "v1", "roles", True),
    ("ClusterRole", "rbac.authorization.k8s.io", "v1", "clusterroles", False),
    ("RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True),
    ("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False),
    ("Backup", "velero.io", "v1", "backups", True),
    ("Schedule", "velero.io", "v1", "schedules", True),
)
BY_PLURAL = {(g, v, p): (k, ns) for k, g, v, p, ns in RESOURCES}
KIND_GROUP = {k: g for k, g, _, _, _ in RESOURCES}
TRICKLE_LIMIT = 30.0  # a trickling answer ends by itself after this many seconds
# 200 answers to a list that are not a page of that list (FakeCluster.malformed)
MALFORMED = (
    "empty-object",  # 200 {}
    "status",  # a Status object with code 200
    "other-kind",  # a ConfigMapList where another list was asked for
    "other-version",  # the right kind of another apiVersion
    "items-not-list",  # items: {}
    "items-missing",  # no items at all
    "item-wrong-kind",  # an item that says it is a Secret
    "item-not-object",  # an item that is a string
    "continue-not-string",  # metadata.continue: 5
    "continue-repeated",  # the same continue token, page after page
    "not-json",  # a body that is not JSON
)


def example_objects(directory: Path = EXAMPLE_PLATFORM) -> list[dict[str, Any]]:
    """Return the raw (unredacted) objects of a manifest directory plus cluster basics."""
    objects: list[dict[str, Any]] = []
    for name in manifest_files([str(directory)]):
        for _, _, doc in parse_documents(name, Path(name).read_text()):
            if isinstance(doc, dict):
                objects.append(doc)
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "kube-system", "uid": KUBE_SYSTEM_UID},
        }
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "kube-apiserver-control-plane",
                "namespace": "kube-system",
                "labels": {"component": "kube-apiserver", "tier": "control-plane"},
            },
            "spec": {
                "containers": [
                    {
                        "name": "kube-apiserver",
                        "image": "registry.k8s.io/kube-apiserver:v1.31.2",
                        "command": [
                            "kube-apiserver",
                            "--audit-policy-file=/etc/kubernetes/audit-policy.yaml",
                            "--audit-log-path=/var/log/kubernetes/audit.log",
                        ],
                    }
                ]
            },
        }
    )
    return objects


def _at(now: datetime, **ago: float) -> str:
    return (now - timedelta(**ago)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def daily_objects(now: datetime) -> list[dict[str, Any]]:
    """Objects with realistic status as a cluster reports it at `now` (the daily health check).

    One healthy and one NotReady node (with the image list nodes really carry),
    a Deployment short of a replica, a crash-looping Pod with restarts, a Pending
    PVC, a pinned HPA, a Pod that finished 9 days ago, and Warning events both
    recent and older than the live source keeps.
    """
    image = {"names": ["registry.k8s.io/pause@sha256:" + "0" * 64], "sizeBytes": 311_000}
    node_info = {"kubeletVersion": "v1.31.2", "osImage": "Debian GNU/Linux 12 (bookworm)"}

    def node(name: str, ready: str, reason: str, since: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "spec": {"podCIDR": "10.244.1.0/24"},
            "status": {
                "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                "conditions": [
                    {
                        "type": "MemoryPressure",
                        "status": "False",
                        "reason": "KubeletHasSufficientMemory",
                        "message": "kubelet has sufficient memory available",
                        "lastHeartbeatTime": _at(now, seconds=30),
                        "lastTransitionTime": _at(now, days=20),
                    },
                    {
                        "type": "Ready",
                        "status": ready,
                        "reason": reason,
                        "message": "kubelet status",
                        "lastHeartbeatTime": _at(now, seconds=30),
                        "lastTransitionTime": since,
                    },
                ],
                "addresses": [{"type": "InternalIP", "address": "10.0.0.11"}],
                "nodeInfo": node_info,
                "images": [image] * 200,
            },
        }

    def event(name: str, reason: str, minutes: float) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": name,
                "namespace": "regulensai",
                "creationTimestamp": _at(now, minutes=minutes + 30),
            },
            "type": "Warning",
            "reason": reason,
            "message": "Back-off restarting failed container api in pod api-7d9c" + "x" * 500,
            "involvedObject": {"kind": "Pod", "namespace": "regulensai", "name": "api-7d9c"},
            "source": {"component": "kubelet", "host": "worker-1"},
            "firstTimestamp": _at(now, minutes=minutes + 30),
            "lastTimestamp": _at(now, minutes=minutes),
            "count": 12,
            "reportingComponent": "kubelet",
        }

    crash = {
        "name": "api",
        "ready": False,
        "restartCount": 6,
        "image": "registry.example/api:1.0.0",
        "imageID": "registry.example/api@sha256:" + "1" * 64,
        "containerID": "containerd://" + "2" * 64,
        "started": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        "lastState": {
            "terminated": {
                "exitCode": 137,
                "reason": "OOMKilled",
                "startedAt": _at(now, minutes=12),
                "finishedAt": _at(now, minutes=10),
                "containerID": "containerd://" + "3" * 64,
            }
        },
    }
    return [
        node("worker-1", "True", "KubeletReady", _at(now, days=20)),
        node("worker-2", "False", "KubeletNotReady", _at(now, minutes=40)),
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "regulensai", "generation": 3},
            "spec": {"replicas": 3},
            "status": {
                "observedGeneration": 3,
                "replicas": 3,
                "readyReplicas": 2,
                "availableReplicas": 2,
                "unavailableReplicas": 1,
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "api-7d9c", "namespace": "regulensai"},
            "spec": {"containers": [{"name": "api", "image": "registry.example/api:1.0.0"}]},
            "status": {
                "phase": "Running",
                "podIP": "10.244.1.7",
                "hostIP": "10.0.0.11",
                "qosClass": "Burstable",
                "startTime": _at(now, hours=3),
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [crash],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "report-28889", "namespace": "regulensai"},
            "spec": {"containers": [{"name": "report", "image": "registry.example/rep:1.0.0"}]},
            "status": {
                "phase": "Succeeded",
                "startTime": _at(now, days=9, minutes=5),
                "containerStatuses": [
                    {
                        "name": "report",
                        "restartCount": 0,
                        "state": {
                            "terminated": {
                                "exitCode": 0,
                                "reason": "Completed",
                                "finishedAt": _at(now, days=9),
                            }
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-db-1", "namespace": "regulensai"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
            "status": {"phase": "Pending"},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "worker", "namespace": "regulensai"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "w"},
                "minReplicas": 3,
                "maxReplicas": 10,
            },
            "status": {
                "currentReplicas": 10,
                "desiredReplicas": 10,
                "lastScaleTime": _at(now, hours=2),
                "conditions": [
                    {
                        "type": "ScalingLimited",
                        "status": "True",
                        "reason": "TooManyReplicas",
                        "lastTransitionTime": _at(now, hours=2),
                    }
                ],
            },
        },
        *(event(f"api-7d9c.{i:04x}", "BackOff", 5 + i) for i in range(25)),
        *(event(f"api-7d9c.old{i:04x}", "BackOff", 300 + i) for i in range(40)),
    ]


def pods(count: int, namespace: str = "bulk") -> list[dict[str, Any]]:
    """Return `count` small Pods (for pagination tests)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"pod-{i:05d}", "namespace": namespace},
            "spec": {"containers": [{"name": "c", "image": "registry.example/app:1.0.0"}]},
        }
        for i in range(count)
    ]


@dataclass
class FakeCluster:
    """The server's data and its configured behaviour (mutable between requests)."""

    objects: list[dict[str, Any]] = field(default_factory=example_objects)
    token: str = "fake-token"
    forbidden: set[tuple[str, str | None]] = field(default_factory=set)  # (kind, ns|None)
    missing_groups: set[str] = field(default_factory=set)  # 404: not installed
    unavailable_groups: set[str] = field(default_factory=set)  # 503: aggregated API down
    delays: dict[str, float] = field(default_factory=dict)  # kind, "/api" or "/apis" -> seconds
    expire_once: set[str] = field(default_factory=set)  # kinds whose data moves after page 1
    throttle: dict[str, int] = field(default_factory=dict)  # kind -> number of 429 answers
    retry_after: str = "0"
    hang_up: dict[str, int] = field(default_factory=dict)  # path part -> connections to drop
    malformed: dict[str, str] = field(default_factory=dict)  # kind -> a MALFORMED fault
    trickle: dict[str, float] = field(default_factory=dict)  # path part -> seconds per byte
    padding: dict[str, int] = field(default_factory=dict)  # kind -> bytes of filler per answer
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # answered
    arrivals: list[str] = field(default_factory=list)  # every request path, on arrival
    resource_version: int = 1000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for i, obj in enumerate(self.objects):
            meta = obj.setdefault("metadata", {})
            meta.setdefault("uid", f"00000000-0000-4000-8000-{i:012d}")
            meta.setdefault("resourceVersion", str(self.resource_version))

    def of_kind(self, kind: str, namespace: str | None) -> list[dict[str, Any]]:
        """Return the objects of a kind (in one namespace), sorted like the API server."""
        found = [
            o
            for o in self.objects
            if o.get("kind") == kind
            and (namespace is None or o["metadata"].get("namespace") == namespace)
        ]
        return sorted(
            found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        )

    def add(self, obj: dict[str, Any]) -> None:
        """Add an object and move the resourceVersion (a write happened)."""
        self.resource_version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.resource_version)
        self.objects.append(obj)

    def count(self, kind_path_part: str) -> int:
        """How many requests (answered or not) had this substring in their path."""
        return sum(1 for path in self.arrivals if kind_path_part in path)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean (requests are recorded in FakeCluster.requests)."""

    def do_GET(self) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.arrivals.append(self.path)
            drop = next((p for p, n in fake.hang_up.items() if n > 0 and p in self.path), None)
            if drop is not None:
                fake.hang_up[drop] -= 1
        if drop is not None:  # close without an answer, like a stale keep-alive connection
            self.close_connection = True
            return
        status, body, headers = self._answer(fake)
        with fake.lock:
            fake.requests.append(("GET", self.path, status))
        data = body if isinstance(body, bytes) else orjson.dumps(body)
        interval = next((s for p, s in fake.trickle.items() if p in self.path), None)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            if interval is None:
                self.wfile.write(data)
            else:
                self._trickle(data, interval)
        except OSError:
            pass  # the client gave up (a timeout test)

    def _trickle(self, data: bytes, interval: float) -> None:
        """Send one byte per interval, for at most TRICKLE_LIMIT seconds (then hang up)."""
        ends = threading.Event()
        timer = threading.Timer(TRICKLE_LIMIT, ends.set)
        timer.start()
        try:
            for i in range(len(data)):
                if ends.is_set() or self.server.stopping.wait(interval):
                    break
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
        finally:
            timer.cancel()
            self.close_connection = True

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.server.stopping.wait(seconds)

    def _answer(self, fake: FakeCluster) -> tuple[int, Any, dict[str, str]]:
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        # the scheme is case-insensitive (RFC 7235); the in-cluster loader sends "bearer"
        if scheme.lower() != "bearer" or credentials != fake.token:
            return 401, _status(401, "Unauthorized", "Unauthorized"), {}
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts == ["api"]:
            self._wait(fake.delays.get("/api", 0))
            return 200, {"kind": "APIVersions", "versions": ["v1"]}, {}
        if parts == ["apis"]:
            self._wait(fake.delays.get("/apis", 0))
            return 200, self._groups(fake), {}
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return 404, _status(404, "NotFound", "the server could not find the resource"), {}
        if group in fake.missing_groups:
            return 404, _status(404, "NotFound", "the server could not find the resource"), {}
        if group in fake.unavailable_groups:
            message = f"the server is currently unable to handle the request ({group})"
            return (
                503,
                _status(503, "ServiceUnavailable", message),
                {"Retry-After": fake.retry_after},
            )
        if not rest:
            return 200, self._resource_list(group, version), {}
        namespace = None
        if len(rest) == 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if group == "" and len(rest) == 2 and rest[0] == "namespaces":
            return self._get_namespace(fake, rest[1])
        if len(rest) != 1 or (group, version, rest[0]) not in BY_PLURAL:
            return 404, _status(404, "NotFound", "the server could not find the resource"), {}
        kind, _ = BY_PLURAL[(group, version, rest[0])]
        return self._list(fake, kind, group, version, namespace, query)

    def _groups(self, fake: FakeCluster) -> dict[str, Any]:
        groups: dict[str, list[str]] = {}
        for _, g, v, _, _ in RESOURCES:
            if g and g not in fake.missing_groups and v not in groups.setdefault(g, []):
                groups[g].append(v)
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [
                {
                    "name": g,
                    "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                    "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                }
                for g, vs in groups.items()
            ],
        }

    def _resource_list(self, group: str, version: str) -> dict[str, Any]:
        resources = [
            {
                "name": p,
                "singularName": k.lower(),
                "namespaced": ns,
                "kind": k,
                "verbs": ["get", "list", "watch"],
            }
            for k, g, v, p, ns in RESOURCES
            if g == group and v == version
        ]
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "groupVersion": gv, "resources": resources}

    def _get_namespace(self, fake: FakeCluster, name: str) -> tuple[int, Any, dict[str, str]]:
        if ("Namespace", None) in fake.forbidden:
            return 403, _status(403, "Forbidden", "namespaces is forbidden"), {}
        for obj in fake.of_kind("Namespace", None):
            if obj["metadata"]["name"] == name:
                return 200, obj, {}
        return 404, _status(404, "NotFound", f'namespaces "{name}" not found'), {}

    def _list(
        self,
        fake: FakeCluster,
        kind: str,
        group: str,
        version: str,
        namespace: str | None,
        query: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        self._wait(fake.delays.get(kind, 0))
        if (kind, None) in fake.forbidden or (kind, namespace) in fake.forbidden:
            where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
            message = f"{kind.lower()}s is forbidden: cannot list{where}"
            return 403, _status(403, "Forbidden", message), {}
        if namespace is None:
            scoped = {ns for k, ns in fake.forbidden if k == kind and ns is not None}
            if scoped:
                return (
                    403,
                    _status(403, "Forbidden", f"cannot list {kind} at the cluster scope"),
                    {},
                )
        with fake.lock:
            if fake.throttle.get(kind, 0) > 0:
                fake.throttle[kind] -= 1
                return (
                    429,
                    _status(429, "TooManyRequests", "slow down"),
                    {"Retry-After": fake.retry_after},
                )
            limit = int(query.get("limit", "0") or 0)
            start = 0
            token = query.get("continue")
            if token and fake.malformed.get(kind) == "continue-repeated":
                token = None  # the faulty server ignores the token it handed out
            if token:
                state = orjson.loads(base64.urlsafe_b64decode(token.encode()))
                if state["rv"] != fake.resource_version:
                    message = "The provided continue parameter is too old"
                    return 410, _status(410, "Expired", message), {}
                start = int(state["start"])
            items = fake.of_kind(kind, namespace)
            rv = fake.resource_version
            page = items[start : start + limit] if limit else items[start:]
            end = start + len(page)
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if limit and end < len(items):
                meta["continue"] = base64.urlsafe_b64encode(
                    orjson.dumps({"rv": rv, "start": end})
                ).decode()
                meta["remainingItemCount"] = len(items) - end
                if kind in fake.expire_once:
                    # a write lands between pages: the token we just issued is now stale
                    fake.expire_once.discard(kind)
                    added = dict(items[0])
                    added["metadata"] = {
                        **items[0]["metadata"],
                        "name": "zz-added-mid-list",
                        "uid": "added",
                    }
                    fake.add(added)
        body_items = []
        for obj in page:
            item = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
            body_items.append(item)
        gv = f"{group}/{version}" if group else version
        body = {"kind": f"{kind}List", "apiVersion": gv, "metadata": meta, "items": body_items}
        if kind in fake.padding:
            body["metadata"] = {**meta, "annotations": {"pad": "x" * fake.padding[kind]}}
        fault = fake.malformed.get(kind)
        return (200, _malformed(fault, body), {}) if fault is not None else (200, body, {})


def _malformed(fault: str, body: dict[str, Any]) -> Any:
    """Turn a good List page into the named MALFORMED answer."""
    items = list(body["items"]) or [{"metadata": {"name": "only", "namespace": "default"}}]
    changes: dict[str, Any] = {
        "other-kind": {"kind": "ConfigMapList"},
        "other-version": {"apiVersion": "v0"},
        "items-not-list": {"items": {}},
        "item-wrong-kind": {"items": [{**items[0], "kind": "Secret"}, *items[1:]]},
        "item-not-object": {"items": ["not an object"]},
        "continue-not-string": {"metadata": {**body["metadata"], "continue": 5}},
        "continue-repeated": {"metadata": {**body["metadata"], "continue": "c2FtZQ"}},
    }
    if fault == "empty-object":
        return {}
    if fault == "status":
        return _status(200, "", "")  # some proxies answer 200 with a Status
    if fault == "items-missing":
        return {k: v for k, v in body.items() if k != "items"}
    if fault == "not-json":
        return b"<html>login</html>"
    return {**body, **changes[fault]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeCluster) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer is expected in timeout tests."""


class FakeApiServer:
    """Runs a FakeCluster on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, fake: FakeCluster | None = None) -> None:
        self.fake = fake or FakeCluster()
        self._server = _Server(self.fake)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FakeApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def kubeconfig(self, path: Path, *, context: str = "fake", token: str | None = None) -> Path:
        """Write a kubeconfig (bearer token) for this server and return its path."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "users": [{"name": "fake-user", "user": {"token": token or self.fake.token}}],
            "contexts": [
                {"name": context, "context": {"cluster": "fake", "user": "fake-user"}},
                {"name": "other", "context": {"cluster": "fake", "user": "fake-user"}},
            ],
            "current-context": context,
        }
        path.write_bytes(orjson.dumps(config))
        return path


def with_objects(extra: Sequence[dict[str, Any]]) -> FakeCluster:
    """A FakeCluster with the example platform plus `extra` objects."""
    return FakeCluster(objects=[*example_objects(), *extra])


def iter_gets(fake: FakeCluster) -> Iterator[str]:
    """Yield the request paths the server saw."""
    for _, path, _ in fake.requests:
        yield path
