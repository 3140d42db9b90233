"""Policy parameters shared by the RBAC check types: subject patterns, role refs, rules."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from regulens.engine.rbac.model import (
    ALL,
    ALL_SERVICE_ACCOUNTS,
    AUTHENTICATED,
    UNAUTHENTICATED,
    Request,
    Subject,
)
from regulens.snapshot import ObjectKey


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SubjectPattern(_Strict):
    """A subject, or several by glob: `{kind: User, name: "system:node:*"}`."""

    kind: Literal["User", "Group", "ServiceAccount"]
    name: str = Field(min_length=1, description="Name or glob (`*` for any)")
    namespace: str | None = Field(default=None, description="ServiceAccounts only; glob allowed")

    @model_validator(mode="after")
    def _namespace_for_service_accounts(self) -> SubjectPattern:
        if self.namespace is not None and self.kind != "ServiceAccount":
            raise ValueError("namespace is only for kind ServiceAccount")
        return self

    def __str__(self) -> str:
        """`User alice`, `ServiceAccount kube-system/*`: the pattern as a message names it."""
        ns = f"{self.namespace}/" if self.namespace is not None else ""
        return f"{self.kind} {ns}{self.name}"

    def matches(self, subject: Subject) -> bool:
        """Return True when the subject is one this pattern names."""
        if subject.kind != self.kind or not fnmatch.fnmatchcase(subject.name, self.name):
            return False
        if self.namespace is None:
            return True
        return subject.namespace is not None and fnmatch.fnmatchcase(
            subject.namespace, self.namespace
        )


_BROAD_SAMPLES = (
    AUTHENTICATED,
    UNAUTHENTICATED,
    ALL_SERVICE_ACCOUNTS,
    f"{ALL_SERVICE_ACCOUNTS}:default",
    f"{ALL_SERVICE_ACCOUNTS}:kube-system",
)

# Kubernetes' own components, and the break-glass group that `rbac-role-bindings`
# (rbac-cluster-admin-restricted) governs on its own.
SYSTEM_SUBJECTS: tuple[SubjectPattern, ...] = (
    SubjectPattern(kind="User", name="system:kube-controller-manager"),
    SubjectPattern(kind="User", name="system:kube-scheduler"),
    SubjectPattern(kind="User", name="system:kube-proxy"),
    SubjectPattern(kind="User", name="system:node:*"),
    SubjectPattern(kind="Group", name="system:nodes"),
    SubjectPattern(kind="ServiceAccount", name="*", namespace="kube-system"),
    SubjectPattern(kind="Group", name="system:masters"),
)


def no_broad_groups(patterns: Iterable[SubjectPattern]) -> None:
    """Refuse exclusions that would hide the groups of every user or service account."""
    for p in patterns:
        if p.kind != "Group":
            continue
        hit = [g for g in _BROAD_SAMPLES if fnmatch.fnmatchcase(g, p.name)]
        if hit or p.name.startswith(ALL_SERVICE_ACCOUNTS + ":"):
            raise ValueError(
                f"exclude may not name group {p.name!r}: system:authenticated, "
                "system:unauthenticated and system:serviceaccounts[:NS] are the broadest grants "
                "and are always judged"
            )


def listed(names: Sequence[str], *, none: str, limit: int = 5) -> str:
    """`a, b and c`; past `limit` names, `a, b, ... and 4 more`; `none` when there are none."""
    if not names:
        return none
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


class RoleRef(_Strict):
    """A Role (with its namespace) or a ClusterRole."""

    kind: Literal["Role", "ClusterRole"]
    name: str = Field(min_length=1)
    namespace: str | None = None

    @model_validator(mode="after")
    def _namespace_fits_kind(self) -> RoleRef:
        if self.kind == "Role" and not self.namespace:
            raise ValueError("a Role needs its namespace")
        if self.kind == "ClusterRole" and self.namespace is not None:
            raise ValueError("a ClusterRole has no namespace")
        return self

    @property
    def key(self) -> ObjectKey:
        """The index key of the role."""
        return ObjectKey(self.kind, self.namespace, self.name)


class PermissionRule(_Strict):
    """Permissions in Role-rule form: every verb on every resource of every group listed."""

    apiGroups: tuple[str, ...] = Field(default=("",), description='API groups ("" is core)')
    resources: tuple[str, ...] = Field(min_length=1, description="e.g. secrets, pods/exec")
    verbs: tuple[str, ...] = Field(min_length=1)

    def requests(self, namespace: str | None) -> Iterator[Request]:
        """Expand into single requests (`pods/exec` becomes resource pods, subresource exec)."""
        for group in self.apiGroups:
            for res in self.resources:
                base, _, sub = res.partition("/")
                for verb in self.verbs:
                    yield Request(verb, group, base, sub, "", namespace)


class AllowRule(_Strict):
    """An allowed slice of permissions, judged like Kubernetes' rule-coverage check.

    `*` covers anything (a `*` in the role only by `*`), `*/SUB` any resource's
    subresource SUB, a non-resource URL ending in `*` every path it prefixes, and
    `resourceNames` only the objects named (a role rule without names is not covered).
    """

    apiGroups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resourceNames: tuple[str, ...] = Field(
        default=(), description="Only these objects (empty: any object)"
    )
    verbs: tuple[str, ...] = Field(min_length=1)
    nonResourceURLs: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _names_need_resources(self) -> AllowRule:
        if self.resourceNames and not self.resources:
            raise ValueError("resourceNames limits resources: give resources too")
        return self

    def covers(self, group: str, resource: str, verb: str, name: str | None = None) -> bool:
        """The entry covers one (group, resource, verb[, resource name]) of a role rule."""
        if name is None:
            names_ok = not self.resourceNames
        else:
            names_ok = not self.resourceNames or name in self.resourceNames
        return (
            names_ok
            and _listed(self.apiGroups, group)
            and _resource_covered(self.resources, resource)
            and _listed(self.verbs, verb)
        )

    def covers_url(self, url: str, verb: str) -> bool:
        """The entry covers this non-resource URL (exact, `*`, or a `prefix*`) and verb."""
        return _listed(self.verbs, verb) and any(
            allowed in (ALL, url) or (allowed.endswith(ALL) and url.startswith(allowed.rstrip(ALL)))
            for allowed in self.nonResourceURLs
        )


def _listed(values: tuple[str, ...], value: str) -> bool:
    return value in values or ALL in values


def _resource_covered(allowed: tuple[str, ...], resource: str) -> bool:
    """`*`, the exact `resource[/sub]`, or `*/sub` for any resource's subresource `sub`."""
    if _listed(allowed, resource):
        return True
    _, sep, sub = resource.partition("/")
    return bool(sep) and f"{ALL}/{sub}" in allowed


def subject_allowed(
    subject: Subject,
    allow_subjects: Iterable[SubjectPattern],
    exclude: Iterable[SubjectPattern],
) -> bool:
    """Listed explicitly, or (never for broad groups) one of the excluded system subjects."""
    if any(p.matches(subject) for p in allow_subjects):
        return True
    return not subject.broad and any(p.matches(subject) for p in exclude)


class GrantAllowList(_Strict):
    """The allow-list shared by checks that judge who holds a grant."""

    allow_subjects: tuple[SubjectPattern, ...] = ()
    allow_roles: tuple[RoleRef, ...] = Field(
        default=(), description="Subjects bound to these roles are allowed (never broad groups)"
    )
    exclude: tuple[SubjectPattern, ...] = Field(
        default=SYSTEM_SUBJECTS,
        description="Kubernetes' own components and system:masters (never the broad groups)",
    )

    @field_validator("exclude")
    @classmethod
    def _no_broad_groups(cls, value: tuple[SubjectPattern, ...]) -> tuple[SubjectPattern, ...]:
        no_broad_groups(value)
        return value

    def allowed_text(self) -> str:
        """Who may hold the grant, as a message says it (a few by name, then a count)."""
        named = [str(p) for p in self.allow_subjects]
        named += [f"subjects bound to {r.key}" for r in self.allow_roles]
        text = listed(named, none="no subject")
        return f"{text} (and the excluded system subjects)" if self.exclude else text

    def allowed(self, subject: Subject) -> bool:
        """Return True when the subject is listed or excluded by default."""
        return subject_allowed(subject, self.allow_subjects, self.exclude)
