"""The `pod-security` check: one Pod Security Standards check on every workload's Pod."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.pod_security.namespaces import NamespaceLevels, namespace_levels
from regulens.engine.pod_security.pod import Malformed, read_pod
from regulens.engine.pod_security.standards import (
    BY_ID,
    POLICY_VERSION,
    Level,
    StandardCheck,
    Violation,
    applies_at,
)
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Resource, Snapshot
from regulens.snapshot.workloads import WORKLOAD_KINDS

CheckId = Literal[
    "hostNamespaces",
    "privileged",
    "capabilities_baseline",
    "hostPathVolumes",
    "hostPorts",
    "appArmorProfile",
    "seLinuxOptions",
    "procMount",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
    "hostProbesAndHostLifecycle",
    "restrictedVolumes",
    "allowPrivilegeEscalation",
    "runAsNonRoot",
    "runAsUser",
    "seccompProfile_restricted",
    "capabilities_restricted",
    "procMount_restricted",
]
_MAX_VALUE = 200


class PodSecurity(Check):
    """One Pod Security Standards check (upstream id) on every Pod and Pod template, as PSA does."""

    type: Literal["pod-security"]
    level: Literal["baseline", "restricted", "namespace-labels"] = Field(
        description=(
            "The level enforced on every namespace, or namespace-labels: each namespace at the "
            "level its pod-security.kubernetes.io/enforce|warn|audit labels declare"
        )
    )
    check: CheckId = Field(description="The upstream check id (pod-security-admission)")
    uses_match = True

    @model_validator(mode="after")
    def _check_in_level(self) -> PodSecurity:
        std = BY_ID[self.check]
        if self.level == "namespace-labels":
            return self
        level = Level(self.level)
        if not applies_at(std, level):
            if std.level.rank > level.rank:
                why = f"{self.check} is a {std.level.value} check"
            else:
                over = next(c.id for c in BY_ID.values() if c.overrides == self.check)
                why = f"at restricted, {over} replaces {self.check}"
            raise ValueError(f"check {self.check!r} is not part of level {self.level}: {why}")
        return self

    def kinds(self) -> frozenset[str] | None:
        """Every workload kind (and Namespace, whose labels set the level)."""
        if self.level == "namespace-labels":
            return WORKLOAD_KINDS | {"Namespace"}
        return WORKLOAD_KINDS

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge each workload's Pod; one finding per forbidden field, else one pass."""
        assert snap.kubernetes is not None
        std = BY_ID[self.check]
        levels: dict[str, NamespaceLevels] = {}  # this run's reading of each Namespace
        for resource in ctx.select(snap.kubernetes, WORKLOAD_KINDS):
            if self.level == "namespace-labels":
                yield from self._by_labels(std, resource, snap, levels)
            else:
                yield from _judge(std, resource, Status.FAIL, self.level, {})

    def _by_labels(
        self,
        std: StandardCheck,
        resource: Resource,
        snap: Snapshot,
        seen: dict[str, NamespaceLevels],
    ) -> Iterator[Finding]:
        assert snap.kubernetes is not None
        ns = resource.namespace
        if ns is None:
            yield Finding(
                Status.ERROR,
                "no namespace: the pod-security level its labels declare is unknown",
                resource.ref,
                resource.source,
                details={"check": std.id},
            )
            return
        levels = seen.get(ns)
        namespace = None if levels is not None else snap.kubernetes.get("Namespace", None, ns)
        if levels is None and namespace is None:
            yield Finding(
                Status.ERROR,
                f"Namespace {ns} is not in the input: its pod-security labels are unknown",
                resource.ref,
                resource.source,
                details={"check": std.id, "namespace": ns},
            )
            return
        if levels is None:
            assert namespace is not None
            levels = seen[ns] = namespace_levels(namespace.labels)
        extra: dict[str, object] = {"namespace_levels": levels.to_json(), **_notes(levels)}
        if applies_at(std, levels.enforce.level):
            yield from _judge(std, resource, Status.FAIL, f"enforce={levels.enforce.level}", extra)
        elif applies_at(std, levels.warn.level) or applies_at(std, levels.audit.level):
            top = max(levels.warn.level, levels.audit.level, key=lambda lv: lv.rank)
            yield from _judge(std, resource, Status.WARN, f"warn/audit={top}", extra)
        else:
            replaced_by = [c.id for c in BY_ID.values() if c.overrides == std.id]
            why = (
                f"namespace {ns} is {levels.enforce.level}, "
                f"where {replaced_by[0]} replaces {std.id}"
                if replaced_by and levels.enforce.level is Level.RESTRICTED
                else f"namespace {ns} does not enforce, warn or audit {std.id} "
                f"(enforce={levels.enforce.level})"
            )
            yield Finding(
                Status.SKIP,
                why,
                resource.ref,
                resource.source,
                details={"check": std.id, **extra},
            )


def _notes(levels: NamespaceLevels) -> dict[str, str]:
    notes = [m.note for m in (levels.enforce, levels.warn, levels.audit) if m.note]
    return {"namespace_label_notes": "; ".join(notes)} if notes else {}


def _judge(
    std: StandardCheck, resource: Resource, status: Status, level: str, extra: dict[str, object]
) -> Iterator[Finding]:
    base = {"check": std.id, "level": level, "policy_version": POLICY_VERSION, **extra}
    try:
        violations = std.judge(read_pod(resource))
    except Malformed as exc:
        yield Finding(
            Status.ERROR,
            f"cannot judge {std.id}: {exc}",
            resource.ref,
            resource.source,
            details={**base, "field": exc.path},
        )
        return
    if not violations:
        yield Finding(Status.PASS, f"meets {std.id}", resource.ref, resource.source, details=base)
        return
    for v in violations:
        yield Finding(
            status,
            _message(std, v),
            resource.ref,
            resource.source,
            _details(base, v),
            subject=_subject(std, v),
        )


def _where(v: Violation) -> str:
    if v.container is None:
        return "pod"
    return f"{v.container.role} {v.container.name!r}"


def _subject(std: StandardCheck, v: Violation) -> str:
    """`pod-security:CHECK CONTAINER FIELD`: one check can fail per container and per field."""
    where = "pod" if v.container is None else f"{v.container.role} {v.container.name}"
    return f"pod-security:{std.id} {where} {v.field}"


def _message(std: StandardCheck, v: Violation) -> str:
    value = v.value if len(v.value) <= _MAX_VALUE else v.value[:_MAX_VALUE] + "..."
    return f"{std.id}: {_where(v)}: {v.field} = {value}: {v.reason}"


def _details(base: dict[str, object], v: Violation) -> dict[str, object]:
    out = {**base, "field": v.field, "value": v.value[:_MAX_VALUE]}
    if v.container is not None:
        out["container"] = v.container.name
        out["container_type"] = v.container.role
    return out
