"""Generate a realistic, deterministic Kubernetes cluster for the benchmark.

    python bench/generate.py --sizes 1k,10k,50k [--seed 7] [--out bench/out]

For each size N it writes exactly N objects, three ways, under `OUT/<size>/`:

- `files/<namespace|_cluster>/<kind>-<name>.yaml`: one object per file;
- `multi/<namespace|_cluster>.yaml`: one multi-document file per namespace
  (the way `helm template` output arrives);
- `snapshot.json`: the JSON that `regulens snapshot` writes (the `Snapshot`
  model's own serialiser, so it stays compatible as the model evolves).

`--snapshot-only` writes `snapshot.json` alone (the scale bench's 200k).

The cluster is the example platform (`examples/platform`: the regulensai
namespace, its HPA, RBAC, audit policy and backup CronJobs) plus generated
team namespaces: Deployments, StatefulSets and CronJobs with and without
securityContext and limits, some with `latest` tags or privileged
containers; Services, ConfigMaps, Secrets (metadata only), ServiceAccounts,
HPAs, per-namespace backup CronJobs, Roles (read-only, secrets access,
wildcards) and RoleBindings; ClusterRoles (aggregated, wildcard, secrets
readers) and ClusterRoleBindings. The same seed always gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "platform"
GENERATOR_VERSION = 7  # bump when the output changes, so cached outputs are regenerated
SIZES = {"1k": 1_000, "10k": 10_000, "50k": 50_000, "200k": 200_000}
EPOCH = 1_780_000_000  # creation timestamps are spread before this (fixed: reproducible)

TEAMS = ["payments", "billing", "search", "ledger", "identity", "catalog", "orders", "risk"]
APPS = ["api", "worker", "gateway", "indexer", "scheduler", "web", "cache", "sync", "report"]
REGISTRIES = ["registry.example.com", "ghcr.io/example", "docker.io/library"]
VERBS_READ = ["get", "list", "watch"]
VERBS_ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
Obj = dict[str, Any]


def parse_size(text: str) -> int:
    """Turn `1k`, `10k`, `50k`, `200k` or a plain number into an object count."""
    text = text.strip().lower()
    if text in SIZES:
        return SIZES[text]
    if text.endswith("k"):
        return int(float(text[:-1]) * 1000)
    return int(text)


class Cluster:
    """Builds objects with a seeded RNG; nothing depends on the clock or the machine."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0

    def meta(self, name: str, namespace: str | None, labels: dict[str, str] | None = None) -> Obj:
        self.serial += 1
        uid = hashlib.sha256(f"{namespace}/{name}/{self.serial}".encode()).hexdigest()
        meta: Obj = {"name": name}
        if namespace is not None:
            meta["namespace"] = namespace
        meta["uid"] = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
        meta["resourceVersion"] = str(100_000 + self.serial)
        stamp = EPOCH - self.rng.randrange(86_400 * 400)
        meta["creationTimestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
        if labels:
            meta["labels"] = labels
        return meta

    def image(self, app: str) -> str:
        registry = self.rng.choice(REGISTRIES)
        roll = self.rng.random()
        if roll < 0.08:
            return f"{registry}/{app}:latest"
        if roll < 0.12:
            return f"{registry}/{app}"  # no tag at all: implicitly latest
        if roll < 0.30:
            digest = hashlib.sha256(f"{app}{self.rng.random()}".encode()).hexdigest()
            return f"{registry}/{app}@sha256:{digest}"
        major, minor, patch = (
            self.rng.randrange(1, 5),
            self.rng.randrange(20),
            self.rng.randrange(10),
        )
        return f"{registry}/{app}:v{major}.{minor}.{patch}"

    def container(self, name: str, app: str, *, hardened: bool) -> Obj:
        c: Obj = {
            "name": name,
            "image": self.image(app),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": [
                {"name": "LOG_LEVEL", "value": self.rng.choice(["info", "debug", "warn"])},
                {"name": "APP_NAME", "value": app},
                {
                    "name": "DATABASE_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}},
                },
            ],
            "envFrom": [{"configMapRef": {"name": f"{app}-config"}}],
        }
        roll = self.rng.random()
        cpu = self.rng.choice(["50m", "100m", "250m", "500m", "1", "2", "4"])
        memory = self.rng.choice(["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi", "4Gi"])
        if roll < 0.6:
            c["resources"] = {
                "requests": {"cpu": cpu, "memory": memory},
                "limits": {"cpu": self.rng.choice(["500m", "1", "2", "4"]), "memory": memory},
            }
        elif roll < 0.8:
            c["resources"] = {"requests": {"cpu": cpu, "memory": memory}}
        if hardened:
            c["securityContext"] = {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
            }
        elif self.rng.random() < 0.15:
            c["securityContext"] = {"privileged": True}
        if self.rng.random() < 0.7:
            probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
            c["readinessProbe"] = probe
            c["livenessProbe"] = dict(probe, initialDelaySeconds=15)
        return c

    def pod_spec(self, app: str, sa: str) -> Obj:
        hardened = self.rng.random() < 0.55
        spec: Obj = {"serviceAccountName": sa}
        if hardened:
            spec["securityContext"] = {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "fsGroup": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            }
        spec["containers"] = [self.container(app, app, hardened=hardened)]
        if self.rng.random() < 0.25:
            spec["containers"].append(self.container("sidecar", "envoy", hardened=hardened))
        if self.rng.random() < 0.2:
            init = self.container("migrate", app, hardened=hardened)
            init.pop("readinessProbe", None)
            init.pop("livenessProbe", None)
            init.pop("ports", None)
            spec["initContainers"] = [init]
        return spec

    def workload(self, kind: str, ns: str, app: str) -> Obj:
        labels = {
            "app": app,
            "app.kubernetes.io/part-of": ns,
            "tier": self.rng.choice(["web", "backend"]),
        }
        template = {"metadata": {"labels": {"app": app}}, "spec": self.pod_spec(app, app)}
        if kind == "CronJob":
            template["spec"]["restartPolicy"] = "OnFailure"
            spec: Obj = {
                "schedule": f"{self.rng.randrange(60)} {self.rng.randrange(24)} * * *",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {"spec": {"template": template}},
            }
            return {
                "apiVersion": "batch/v1",
                "kind": kind,
                "metadata": self.meta(app, ns, labels),
                "spec": spec,
            }
        spec = {
            "replicas": self.rng.choice([1, 2, 3, 5]),
            "selector": {"matchLabels": {"app": app}},
            "template": template,
        }
        if kind == "StatefulSet":
            spec["serviceName"] = app
            spec["volumeClaimTemplates"] = [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "10Gi"}},
                    },
                }
            ]
        else:
            spec["strategy"] = {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            }
        return {
            "apiVersion": "apps/v1",
            "kind": kind,
            "metadata": self.meta(app, ns, labels),
            "spec": spec,
        }

    def service(self, ns: str, app: str) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self.meta(app, ns, {"app": app}),
            "spec": {
                "selector": {"app": app},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
                "type": "ClusterIP",
            },
        }

    def configmap(self, ns: str, app: str) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": self.meta(f"{app}-config", ns, {"app": app}),
            "data": {
                "LOG_FORMAT": "json",
                "FEATURE_FLAGS": ",".join(self.rng.sample(["a", "b", "c", "d", "e"], 3)),
                "config.yaml": f"server:\n  port: 8080\n  workers: {self.rng.randrange(2, 16)}\n",
            },
        }

    def secret(self, ns: str, app: str) -> Obj:
        # metadata only: a cluster dump never carries secret values
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": self.meta(f"{app}-db", ns, {"app": app}),
            "type": "Opaque",
        }

    def service_account(self, ns: str, app: str) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": self.meta(app, ns, {"app": app}),
        }

    def hpa(self, ns: str, app: str) -> Obj:
        low = self.rng.choice([1, 2, 3])
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": self.meta(app, ns, {"app": app}),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                "minReplicas": low,
                "maxReplicas": low + self.rng.choice([2, 5, 9]),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": self.rng.choice([60, 70, 80, 90]),
                            },
                        },
                    }
                ],
            },
        }

    def backup(self, ns: str) -> Obj:
        obj = self.workload("CronJob", ns, "backup")
        obj["metadata"]["name"] = "backup-database"
        obj["metadata"]["labels"] = {
            "regulens.io/backup-target": f"{ns}-database",
            "regulens.io/backup-kind": "database",
        }
        minute = self.rng.randrange(60)
        obj["status"] = {
            "lastScheduleTime": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH - 60 * minute)
            ),
            "lastSuccessfulTime": time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(EPOCH - 60 * minute + 40)
            ),
        }
        return obj

    def role(self, ns: str, name: str, flavour: str) -> Obj:
        rules: list[Obj]
        if flavour == "wildcard":
            rules = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
        elif flavour == "secrets":
            rules = [
                {"apiGroups": [""], "resources": ["secrets"], "verbs": VERBS_READ},
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": VERBS_ALL},
            ]
        elif flavour == "deployer":
            rules = [
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments", "statefulsets"],
                    "verbs": VERBS_ALL,
                },
                {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": VERBS_READ},
                {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
            ]
        elif flavour == "edit":
            rules = [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "services", "configmaps"],
                    "verbs": VERBS_ALL,
                },
                {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": VERBS_ALL},
            ]
        else:
            rules = [
                {
                    "apiGroups": [""],
                    "resources": ["pods", "services", "configmaps"],
                    "verbs": VERBS_READ,
                },
                {
                    "apiGroups": ["apps"],
                    "resources": ["deployments", "replicasets"],
                    "verbs": VERBS_READ,
                },
            ]
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": self.meta(name, ns),
            "rules": rules,
        }

    def binding(
        self, kind: str, ns: str | None, name: str, role_kind: str, role: str, subjects: list[Obj]
    ) -> Obj:
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": self.meta(name, ns),
            "subjects": subjects,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        }

    def cluster_role(self, name: str, flavour: str) -> Obj:
        obj: Obj = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": self.meta(name, None),
        }
        if flavour == "aggregated":
            obj["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "bench"}
            obj["aggregationRule"] = {
                "clusterRoleSelectors": [{"matchLabels": {"bench.example.com/aggregate-to": name}}]
            }
            obj["rules"] = []
        elif flavour == "wildcard":
            obj["rules"] = [
                {"apiGroups": [self.rng.choice(["*", "apps"])], "resources": ["*"], "verbs": ["*"]}
            ]
        elif flavour == "secrets":
            obj["rules"] = [{"apiGroups": [""], "resources": ["secrets"], "verbs": VERBS_READ}]
        else:
            target = self.rng.randrange(max(1, self.serial // 50 + 1))
            obj["metadata"]["labels"] = {"bench.example.com/aggregate-to": f"aggregate-{target}"}
            obj["rules"] = [
                {
                    "apiGroups": [self.rng.choice(["", "apps", "batch"])],
                    "resources": self.rng.sample(
                        ["pods", "jobs", "deployments", "events", "services"], 2
                    ),
                    "verbs": VERBS_READ,
                }
            ]
        return obj

    def subject(self, ns: str) -> Obj:
        roll = self.rng.random()
        if roll < 0.4:
            return {"kind": "ServiceAccount", "name": self.rng.choice(APPS), "namespace": ns}
        if roll < 0.7:
            return {
                "kind": "Group",
                "name": f"{ns}-developers",
                "apiGroup": "rbac.authorization.k8s.io",
            }
        return {
            "kind": "User",
            "name": f"user{self.rng.randrange(500)}@example.com",
            "apiGroup": "rbac.authorization.k8s.io",
        }

    def namespace(self, ns: str) -> Iterator[Obj]:
        yield {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": self.meta(ns, None, {"team": ns.split("-", maxsplit=1)[0]}),
        }
        yield self.backup(ns)
        for flavour in ("read", self.rng.choice(["secrets", "deployer", "wildcard", "edit"])):
            role = f"{ns}-{flavour}"
            yield self.role(ns, role, flavour)
            subjects = [self.subject(ns) for _ in range(self.rng.randrange(1, 4))]
            yield self.binding("RoleBinding", ns, role, "Role", role, subjects)
        for app in self.rng.sample(APPS, self.rng.randrange(4, len(APPS) + 1)):
            roll = self.rng.random()
            kind = "Deployment" if roll < 0.7 else "StatefulSet" if roll < 0.9 else "CronJob"
            yield self.workload(kind, ns, app)
            yield self.service_account(ns, app)
            yield self.configmap(ns, app)
            yield self.secret(ns, app)
            if kind != "CronJob":
                yield self.service(ns, app)
            if kind == "Deployment" and self.rng.random() < 0.5:
                yield self.hpa(ns, app)

    def cluster_scoped(self, count: int) -> Iterator[Obj]:
        for i in range(count):
            flavour = self.rng.choices(
                ["aggregated", "wildcard", "secrets", "plain"], weights=[1, 1, 2, 6]
            )[0]
            name = f"aggregate-{i}" if flavour == "aggregated" else f"bench-{flavour}-{i}"
            yield self.cluster_role(name, flavour)
            subjects = [self.subject(f"team-{self.rng.randrange(100)}")]
            yield self.binding("ClusterRoleBinding", None, name, "ClusterRole", name, subjects)


def example_objects() -> list[Obj]:
    """The example platform's objects (the compliant baseline the pack is written for)."""
    out: list[Obj] = []
    for path in sorted(EXAMPLE.glob("*.yaml")):
        out.extend(d for d in yaml.load_all(path.read_text("utf-8"), Loader=yaml.CSafeLoader) if d)
    return out


def build(size: int, seed: int) -> list[Obj]:
    """Return exactly `size` objects: the example platform, cluster RBAC, then team namespaces."""
    cluster = Cluster(seed)
    objects = example_objects()
    objects.extend(cluster.cluster_scoped(max(1, size // 100)))
    i = 0
    while len(objects) < size:
        ns = f"{TEAMS[i % len(TEAMS)]}-{i // len(TEAMS)}"
        objects.extend(cluster.namespace(ns))
        i += 1
    return objects[:size]


def _dump(obj: Obj) -> str:
    return yaml.dump(
        obj, Dumper=yaml.CSafeDumper, sort_keys=False, default_flow_style=False, width=1000
    )


def _group(obj: Obj) -> str:
    return obj["metadata"].get("namespace") or "_cluster"


def write(objects: list[Obj], out: Path, seed: int, *, yaml_forms: bool = True) -> dict[str, Any]:
    """Write the three forms of one cluster into `out` (replacing what was there).

    Without `yaml_forms` only the snapshot is written (the scale bench at 200k reads
    nothing else; 200k one-object files would only fill the disk).
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "snapshot.json").write_bytes(snapshot_json(objects, seed))
    kinds: dict[str, int] = {}
    for obj in objects:
        kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1
    info = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "objects": len(objects),
        "namespaces": kinds.get("Namespace", 0),
        "kinds": dict(sorted(kinds.items())),
        "forms": ["files", "multi", "snapshot"] if yaml_forms else ["snapshot"],
        "json_bytes": (out / "snapshot.json").stat().st_size,
    }
    if yaml_forms:
        info["yaml_bytes"] = _write_yaml(objects, out)
    (out / "info.json").write_text(json.dumps(info, indent=2) + "\n", "utf-8")
    return info


def _write_yaml(objects: list[Obj], out: Path) -> int:
    """Write `files/` and `multi/`; return the bytes of the multi-document form."""
    files = out / "files"
    multi = out / "multi"
    multi.mkdir(parents=True)
    by_group: dict[str, list[str]] = {}
    for obj in objects:
        text = _dump(obj)
        group = _group(obj)
        by_group.setdefault(group, []).append(text)
        directory = files / group
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
        (directory / name).write_text(text, "utf-8")
    for group, texts in by_group.items():
        (multi / f"{group}.yaml").write_text("---\n".join(texts), "utf-8")
    return sum(p.stat().st_size for p in multi.iterdir())


def snapshot_json(objects: list[Obj], seed: int) -> bytes:
    """Serialise the objects as `regulens snapshot --cluster` saves them (the same codec)."""
    from datetime import UTC, datetime

    from regulens.snapshot import ClusterIdentity, KubernetesState, Provenance, Resource, Snapshot
    from regulens.snapshot.codec import dump_snapshot
    from regulens.snapshot.kubernetes import content_digest
    from regulens.sources.kubernetes import KNOWN_KINDS

    resources = tuple(Resource.from_object(o) for o in objects)
    # a live collection lists every kind it knows, also those with no objects
    kinds = sorted(KNOWN_KINDS)
    provenance = Provenance(
        source="kubernetes",
        collected_at=datetime.fromtimestamp(EPOCH, UTC),
        cluster=ClusterIdentity(server="https://bench.example.com:6443", context=f"bench-{seed}"),
        resource_versions={kind: str(200_000 + i) for i, kind in enumerate(kinds)},
        collected=dict.fromkeys(kinds),
        digest=content_digest(resources, ()),
    )
    state = KubernetesState.model_construct(provenance=provenance, resources=resources, gaps=())
    return dump_snapshot(Snapshot.model_construct(kubernetes=state))


def ensure(size_name: str, seed: int, root: Path, *, yaml_forms: bool = True) -> Path:
    """Generate one size unless an up-to-date copy (same seed and version) exists.

    `yaml_forms=False` asks for the snapshot only; a copy with the YAML forms serves too.
    """
    out = root / size_name
    info_path = out / "info.json"
    if info_path.exists():
        info = json.loads(info_path.read_text("utf-8"))
        forms = info.get("forms", ["files", "multi", "snapshot"])  # older copies: all three
        if (
            info.get("seed") == seed
            and info.get("generator_version") == GENERATOR_VERSION
            and (not yaml_forms or "files" in forms)
        ):
            return out
    size = parse_size(size_name)
    started = time.perf_counter()
    info = write(build(size, seed), out, seed, yaml_forms=yaml_forms)
    what = (
        f"{info['yaml_bytes'] / 1e6:.1f} MB YAML" if yaml_forms else "the snapshot only"
    ) + f", {info['json_bytes'] / 1e6:.1f} MB JSON"
    print(
        f"generated {size_name}: {info['objects']} objects, {info['namespaces']} namespaces, "
        f"{what} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1k,10k,50k", help="comma-separated: 1k,10k,50k,200k or numbers"
    )
    parser.add_argument(
        "--snapshot-only", action="store_true", help="write snapshot.json only (no YAML forms)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    for name in args.sizes.split(","):
        print(ensure(name.strip(), args.seed, args.out, yaml_forms=not args.snapshot_only))


if __name__ == "__main__":
    main()
