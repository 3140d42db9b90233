"""The audit policy (audit.k8s.io/v1 Policy) and the API server's first-match semantics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"]
LevelName = Literal["None", "Metadata", "Request", "RequestResponse"]


class Level(IntEnum):
    """Audit levels, ordered: None < Metadata < Request < RequestResponse."""

    NONE = 0
    METADATA = 1
    REQUEST = 2
    REQUEST_RESPONSE = 3

    @classmethod
    def of(cls, name: str) -> Level:
        """Parse a level name (`None`, `Metadata`, `Request`, `RequestResponse`)."""
        return _LEVELS[name]

    @property
    def label(self) -> str:
        """The name as written in a policy."""
        return _NAMES[self]


_NAMES = {
    Level.NONE: "None",
    Level.METADATA: "Metadata",
    Level.REQUEST: "Request",
    Level.REQUEST_RESPONSE: "RequestResponse",
}
_LEVELS = {v: k for k, v in _NAMES.items()}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GroupResources(_Strict):
    """Resources of one API group ("" is core); empty resources: every resource of the group."""

    group: str = ""
    resources: tuple[str, ...] = ()
    resourceNames: tuple[str, ...] = ()


class AuditRule(_Strict):
    """One rule; empty lists match everything."""

    level: LevelName
    users: tuple[str, ...] = ()
    userGroups: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    resources: tuple[GroupResources, ...] = ()
    namespaces: tuple[str, ...] = ()
    nonResourceURLs: tuple[str, ...] = ()
    omitStages: tuple[Stage, ...] = ()
    omitManagedFields: bool | None = None


class AuditPolicy(_Strict):
    """An `audit.k8s.io/v1` `Policy` document."""

    apiVersion: Literal["audit.k8s.io/v1"]
    kind: Literal["Policy"]
    metadata: dict[str, Any] | None = None
    rules: tuple[AuditRule, ...] = Field(default=())
    omitStages: tuple[Stage, ...] = ()
    omitManagedFields: bool | None = None


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """A concrete request: who, which verb, and a resource or a non-resource path."""

    user: str
    groups: frozenset[str]
    verb: str
    group: str = ""
    resource: str = ""  # empty: a non-resource request for `path`
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The effective level and omitted stages of a request, and the rule that decided it."""

    level: Level
    omit_stages: frozenset[str]
    rule: int | None  # index of the first matching rule; None: no rule matched


def decide(policy: AuditPolicy, req: AuditRequest) -> Decision:
    """Apply the API server's semantics: the first matching rule decides; none matches: None."""
    for i, rule in enumerate(policy.rules):
        if _rule_matches(rule, req):
            stages = frozenset(policy.omitStages) | frozenset(rule.omitStages)
            return Decision(Level.of(rule.level), stages, i)
    return Decision(Level.NONE, frozenset(policy.omitStages), None)


def _rule_matches(rule: AuditRule, req: AuditRequest) -> bool:
    if rule.users and req.user not in rule.users:
        return False
    if rule.userGroups and not req.groups.intersection(rule.userGroups):
        return False
    if rule.verbs and req.verb not in rule.verbs:
        return False
    if rule.namespaces or rule.resources:
        return _matches_resource(rule, req)
    if rule.nonResourceURLs:
        return not req.resource and any(path_matches(req.path, u) for u in rule.nonResourceURLs)
    return True


def path_matches(path: str, spec: str) -> bool:
    """`*`, the exact path, or a `prefix*`."""
    return spec in ("*", path) or (spec.endswith("*") and path.startswith(spec.rstrip("*")))


def resource_matches(res: str, resource: str, subresource: str) -> bool:
    """`*`, `resource[/sub]`, `*/sub` for a subresource, or `resource/*`."""
    combined = f"{resource}/{subresource}" if subresource else resource
    if res in ("*", combined):
        return True
    if subresource and res.startswith("*/") and res[2:] == subresource:
        return True
    return res.endswith("/*") and res[:-2] == resource


def _matches_resource(rule: AuditRule, req: AuditRequest) -> bool:
    if not req.resource:
        return False
    if rule.namespaces and req.namespace not in rule.namespaces:
        return False
    if not rule.resources:
        return True
    for gr in rule.resources:
        if gr.group != req.group:
            continue
        if not gr.resources:
            return True
        if gr.resourceNames and req.name not in gr.resourceNames:
            continue
        if any(resource_matches(r, req.resource, req.subresource) for r in gr.resources):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Reach:
    """A rule that decides some (conditional) or all remaining requests of a probe."""

    rule: int | None
    level: Level
    omit_stages: frozenset[str]
    conditions: tuple[str, ...]  # empty: decides every remaining request


def reach(
    policy: AuditPolicy,
    verb: str,
    group: str,
    resource: str,
    subresource: str = "",
    namespace: str | None = None,
    user: tuple[str, frozenset[str]] | None = None,
) -> list[Reach]:
    """The rules that decide a (verb, resource) request for *any* user, name and namespace.

    `namespace` and `user` (a name and its complete set of groups) make the
    probe concrete in that respect.

    Walks the rules in order: a rule limited to some users, groups, namespaces
    or names decides only some of the requests (conditional) and the walk goes
    on; the first rule that matches every remaining request ends it. When none
    does, the rest fall through to level None.
    """
    out: list[Reach] = []
    for i, rule in enumerate(policy.rules):
        conditions = _conditions(rule, verb, (group, resource, subresource), namespace, user)
        if conditions is None:
            continue
        stages = frozenset(policy.omitStages) | frozenset(rule.omitStages)
        out.append(Reach(i, Level.of(rule.level), stages, conditions))
        if not conditions:
            return out
    out.append(Reach(None, Level.NONE, frozenset(policy.omitStages), ()))
    return out


def _conditions(
    rule: AuditRule,
    verb: str,
    target: tuple[str, str, str],
    namespace: str | None,
    user: tuple[str, frozenset[str]] | None,
) -> tuple[str, ...] | None:
    """None: never matches; (): matches every such request; else what limits the match."""
    group, resource, subresource = target
    if rule.verbs and verb not in rule.verbs:
        return None
    limits: list[str] = []
    if user is not None:
        name, groups = user
        if (rule.users and name not in rule.users) or (
            rule.userGroups and not groups.intersection(rule.userGroups)
        ):
            return None
    else:
        if rule.users:
            limits.append(f"users {', '.join(rule.users)}")
        if rule.userGroups:
            limits.append(f"userGroups {', '.join(rule.userGroups)}")
    if not rule.namespaces and not rule.resources:
        return None if rule.nonResourceURLs else tuple(limits)
    if rule.namespaces:
        if namespace is None:
            limits.append(f"namespaces {', '.join(rule.namespaces)}")
        elif namespace not in rule.namespaces:
            return None
    if not rule.resources:
        return tuple(limits)
    named: list[str] = []
    for gr in rule.resources:
        if gr.group != group:
            continue
        hit = not gr.resources or any(
            resource_matches(r, resource, subresource) for r in gr.resources
        )
        if not hit:
            continue
        if not gr.resourceNames or not gr.resources:
            return tuple(limits)
        named.extend(gr.resourceNames)
    if named:
        return (*limits, f"resourceNames {', '.join(named)}")
    return None
