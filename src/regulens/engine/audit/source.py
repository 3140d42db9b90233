"""Where the audit policy and the API server's audit flags come from in a snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from regulens.documents import load_text, validate_document
from regulens.engine.audit.policy import AuditPolicy
from regulens.engine.checks.base import CheckError
from regulens.errors import DocumentError
from regulens.snapshot import Resource, ResourceRef, Snapshot, SourceLocation
from regulens.snapshot.workloads import containers


class ConfigMapRef(BaseModel):
    """The ConfigMap key that holds the audit policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: str = "kube-system"
    name: str = "audit-policy"
    key: str = Field(default="audit-policy.yaml")

    def __str__(self) -> str:
        return f"ConfigMap {self.namespace}/{self.name} key {self.key}"


DEFAULT_CONFIGMAP = ConfigMapRef()
APISERVER_NAMESPACE = "kube-system"


@dataclass(frozen=True, slots=True)
class LoadedAuditPolicy:
    """A parsed audit policy and where it came from."""

    policy: AuditPolicy
    where: str
    resource: ResourceRef | None
    location: SourceLocation | None


def load_audit_policy(snap: Snapshot, ref: ConfigMapRef) -> LoadedAuditPolicy:
    """Return the --audit-policy file if given, else the policy in the ConfigMap.

    Raises `CheckError` (an error result, never a pass) when there is no
    policy or it is malformed.
    """
    if snap.audit_policy is not None:
        return LoadedAuditPolicy(
            _parse(snap.audit_policy.text, snap.audit_policy.source),
            snap.audit_policy.source,
            None,
            SourceLocation(snap.audit_policy.source),
        )
    if snap.kubernetes is None:
        raise CheckError(
            f"no audit policy was given: pass --audit-policy FILE, or --manifests, --snapshot "
            f"or --cluster with the {ref}"
        )
    gaps = snap.kubernetes.gaps_for(frozenset({"ConfigMap"}), [ref.namespace])
    if gaps:
        raise CheckError(
            f"the snapshot could not read ConfigMaps in {ref.namespace}: {gaps[0].reason}"
        )
    cm = snap.kubernetes.get("ConfigMap", ref.namespace, ref.name)
    if cm is None:
        raise CheckError(f"no audit policy: {ref} is not in the snapshot (nor --audit-policy FILE)")
    data = cm.obj.get("data")
    text = data.get(ref.key) if isinstance(data, Mapping) else None
    if not isinstance(text, str):
        raise CheckError(f"no audit policy: {ref} has no such key")
    return LoadedAuditPolicy(_parse(text, str(ref)), str(ref), cm.ref, cm.source)


def _parse(text: str, where: str) -> AuditPolicy:
    try:
        docs = [d for d in load_text(text, where) if d.data is not None]
        if len(docs) != 1:
            raise CheckError(
                f"malformed audit policy in {where}: expected one document, found {len(docs)}"
            )
        return validate_document(docs[0], AuditPolicy)
    except DocumentError as exc:
        problems = "; ".join(str(p) for p in exc.problems)
        raise CheckError(f"malformed audit policy: {problems}") from None


@dataclass(frozen=True, slots=True)
class ApiServer:
    """The kube-apiserver static Pod and its command-line flags."""

    resource: Resource
    flags: dict[str, str]


def find_apiserver(snap: Snapshot) -> ApiServer | None:
    """Return the kube-apiserver static Pod of the snapshot (component=kube-apiserver)."""
    if snap.kubernetes is None:
        return None
    for pod in snap.kubernetes.of_kind("Pod"):
        if pod.namespace != APISERVER_NAMESPACE:
            continue
        if pod.labels.get("component") != "kube-apiserver" and not pod.name.startswith(
            "kube-apiserver"
        ):
            continue
        for c in containers(pod):
            words = [str(w) for key in ("command", "args") for w in c.spec.get(key) or ()]
            if any("kube-apiserver" in w for w in words[:1]) or c.name == "kube-apiserver":
                return ApiServer(pod, parse_flags(words))
    return None


def parse_flags(words: list[str]) -> dict[str, str]:
    """Parse `--flag=value` and `--flag value` words into a dict (last one wins)."""
    flags: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("--"):
            continue
        name, eq, value = word[2:].partition("=")
        if not eq and i < len(words) and not words[i].startswith("--"):
            value = words[i]
            i += 1
        flags[name] = value
    return flags
