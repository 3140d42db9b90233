"""The `audit-level-at-least` check: given requests are audited at a minimum level."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from regulens.engine.audit.policy import Level, LevelName, Reach, Stage, reach
from regulens.engine.audit.source import DEFAULT_CONFIGMAP, ConfigMapRef, load_audit_policy
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot

STANDARD_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")


class AuditedResources(BaseModel):
    """Resources of one API group ("" is core), as in an audit policy rule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str = ""
    resources: tuple[str, ...] = Field(min_length=1, description="e.g. secrets, pods/exec")


class AuditedUser(BaseModel):
    """A user to probe as, with every group the authenticator gives it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    groups: tuple[str, ...] = ("system:authenticated",)


class AuditLevelAtLeast(Check):
    """For every user, the given resources and verbs are audited at least at a level."""

    type: Literal["audit-level-at-least"]
    level: LevelName = Field(description="Minimum level: Metadata, Request or RequestResponse")
    resources: tuple[AuditedResources, ...] = Field(min_length=1)
    verbs: tuple[str, ...] = Field(default=STANDARD_VERBS, min_length=1)
    namespaces: tuple[str, ...] = Field(
        default=(), description="Probe these namespaces (empty: any namespace)"
    )
    users: tuple[AuditedUser, ...] = Field(
        default=(), description="Probe as these users (empty: every user)"
    )
    stage: Stage = Field(default="ResponseComplete", description="This stage must not be omitted")
    configmap: ConfigMapRef = Field(
        default=DEFAULT_CONFIGMAP, description="Where the policy is when no --audit-policy FILE"
    )
    # Either --audit-policy FILE or the ConfigMap in the Kubernetes input supplies
    # the policy, so no single input is required; the check says which is missing.
    inputs: ClassVar[frozenset[Input]] = frozenset()

    def kinds(self) -> frozenset[str] | None:
        """The ConfigMap holding the policy."""
        return frozenset({"ConfigMap"})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Walk the rules for each (resource, verb) over every user, name and namespace."""
        loaded = load_audit_policy(snap, self.configmap)
        minimum = Level.of(self.level)
        spaces: tuple[str | None, ...] = self.namespaces or (None,)
        users: tuple[tuple[str, frozenset[str]] | None, ...] = tuple(
            (u.name, frozenset(u.groups)) for u in self.users
        ) or (None,)
        for spec in self.resources:
            for res in spec.resources:
                base, _, sub = res.partition("/")
                gaps: list[dict[str, Any]] = []
                for verb in self.verbs:
                    for ns in spaces:
                        for user in users:
                            hits = reach(loaded.policy, verb, spec.group, base, sub, ns, user)
                            gaps.extend(self._gaps(hits, minimum, verb, ns, user))
                name = f"{res}{'.' + spec.group if spec.group else ''}"
                yield self._finding(loaded, name, gaps, minimum)

    def _gaps(
        self,
        hits: list[Reach],
        minimum: Level,
        verb: str,
        namespace: str | None,
        user: tuple[str, frozenset[str]] | None,
    ) -> Iterator[dict[str, Any]]:
        for hit in hits:
            low = hit.level < minimum
            omitted = hit.level > Level.NONE and self.stage in hit.omit_stages
            if low or omitted:
                gap: dict[str, Any] = {
                    "verb": verb,
                    "namespace": namespace,
                    "rule": hit.rule,
                    "level": hit.level.label,
                    "omitted_stage": self.stage if omitted else None,
                    "when": list(hit.conditions),
                }
                if user is not None:
                    gap["user"] = user[0]
                yield gap

    def _finding(
        self, loaded: Any, name: str, gaps: list[dict[str, Any]], minimum: Level
    ) -> Finding:
        details = {"policy": loaded.where, "resource": name, "minimum": minimum.label}
        if not gaps:
            return Finding(
                Status.PASS,
                f"{name} is audited at >= {minimum.label} for every verb and user ({loaded.where})",
                loaded.resource,
                loaded.location,
                details=details,
                subject=f"audited:{name}",
            )
        first = gaps[0]
        rule = "no rule matches" if first["rule"] is None else f"rule {first['rule']}"
        why = (
            f"stage {first['omitted_stage']} omitted"
            if first["omitted_stage"]
            else f"level {first['level']}"
        )
        when = f" when {'; '.join(first['when'])}" if first["when"] else ""
        verbs = ", ".join(sorted({g["verb"] for g in gaps}))
        return Finding(
            Status.FAIL,
            f"{name} is not audited at >= {minimum.label} for {verbs}: {rule} gives {why}{when} "
            f"({loaded.where})",
            loaded.resource,
            loaded.location,
            details={**details, "gaps": gaps},
            subject=f"audited:{name}",  # one finding per audited resource, on one policy object
        )
