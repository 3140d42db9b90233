"""RBAC vocabulary: subjects, rules, requests and the path (binding → role) of a grant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from regulens.snapshot.resources import ObjectKey, namespace_order

_EMPTY: frozenset[str] = frozenset()
SubjectKind = Literal["User", "Group", "ServiceAccount"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("User", "Group", "ServiceAccount")
ALL = "*"
RBAC_GROUP = "rbac.authorization.k8s.io"
BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping"
BOOTSTRAP_VALUE = "rbac-defaults"

AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
SA_USER_PREFIX = "system:serviceaccount:"


def is_broad_group(name: str) -> bool:
    """Return True for the groups that contain every user or every service account."""
    return name in (AUTHENTICATED, UNAUTHENTICATED, ALL_SERVICE_ACCOUNTS) or name.startswith(
        ALL_SERVICE_ACCOUNTS + ":"
    )


@dataclass(frozen=True, slots=True)
class Subject:
    """A User, Group or ServiceAccount as written in a binding (namespace only for SAs)."""

    kind: SubjectKind
    name: str
    namespace: str | None = None

    @property
    def order(self) -> tuple[str, str, bool, str]:
        """The sort key (total: a subject without a namespace never compares None with str)."""
        return (self.kind, self.name, *namespace_order(self.namespace))

    def __lt__(self, other: Subject) -> bool:
        return self.order < other.order

    def __le__(self, other: Subject) -> bool:
        return self.order <= other.order

    def __gt__(self, other: Subject) -> bool:
        return self.order > other.order

    def __ge__(self, other: Subject) -> bool:
        return self.order >= other.order

    def to_json(self) -> dict[str, Any]:
        """Return `{"kind", "name", "namespace"}`."""
        return {"kind": self.kind, "name": self.name, "namespace": self.namespace}

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    @property
    def broad(self) -> bool:
        """True for a group that contains every (service-account) user."""
        return self.kind == "Group" and is_broad_group(self.name)

    @classmethod
    def parse(cls, text: str) -> Subject:
        """Parse `user:NAME`, `group:NAME`, `serviceaccount:NS:NAME` or the SA user name."""
        if text.startswith(SA_USER_PREFIX):
            rest = text[len(SA_USER_PREFIX) :]
            ns, sep, name = rest.partition(":")
            if not sep or not ns or not name:
                raise ValueError(f"{text!r}: expected system:serviceaccount:NAMESPACE:NAME")
            return cls("ServiceAccount", name, ns)
        kind, sep, rest = text.partition(":")
        low = kind.lower()
        if sep and rest and low in ("user", "group"):
            return cls("User" if low == "user" else "Group", rest)
        if sep and low in ("serviceaccount", "sa"):
            ns, sep2, name = rest.partition(":")
            if sep2 and ns and name:
                return cls("ServiceAccount", name, ns)
        raise ValueError(
            f"{text!r}: expected user:NAME, group:NAME, serviceaccount:NAMESPACE:NAME "
            "or system:serviceaccount:NAMESPACE:NAME"
        )


@dataclass(frozen=True, slots=True)
class Identity:
    """Who makes a request: a user name and the groups the authenticator adds."""

    user: str | None
    groups: frozenset[str]

    @classmethod
    def of(cls, subject: Subject, extra_groups: Iterable[str] = ()) -> Identity:
        """The identity a request by `subject` carries (implicit groups included).

        A User is in `system:authenticated` (`system:anonymous` only in
        `system:unauthenticated`); a ServiceAccount is user
        `system:serviceaccount:NS:NAME` in `system:serviceaccounts`,
        `system:serviceaccounts:NS` and `system:authenticated`. A Group stands for
        a member known only by that group (and `system:authenticated`, unless the
        group is `system:unauthenticated`).
        """
        groups = set(extra_groups)
        if subject.kind == "User":
            # the anonymous user is unauthenticated, never authenticated (as the API server sets)
            groups.add(UNAUTHENTICATED if subject.name == ANONYMOUS else AUTHENTICATED)
            return cls(subject.name, frozenset(groups))
        if subject.kind == "ServiceAccount":
            groups |= {
                AUTHENTICATED,
                ALL_SERVICE_ACCOUNTS,
                f"{ALL_SERVICE_ACCOUNTS}:{subject.namespace}",
            }
            return cls(f"{SA_USER_PREFIX}{subject.namespace}:{subject.name}", frozenset(groups))
        groups.add(subject.name)
        if subject.name != UNAUTHENTICATED:
            groups.add(AUTHENTICATED)
        return cls(None, frozenset(groups))

    def matches(self, subject: Subject) -> bool:
        """Return True when a binding subject applies to this identity."""
        if subject.kind == "Group":
            return subject.name in self.groups
        if subject.kind == "User":
            return self.user is not None and self.user == subject.name
        return self.user == f"{SA_USER_PREFIX}{subject.namespace}:{subject.name}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One PolicyRule of a Role or ClusterRole."""

    verbs: frozenset[str]
    api_groups: frozenset[str] = frozenset()
    resources: frozenset[str] = frozenset()
    resource_names: frozenset[str] = frozenset()
    non_resource_urls: frozenset[str] = frozenset()

    @classmethod
    def from_object(cls, raw: Mapping[str, Any]) -> Rule:
        """Read a rule from its Kubernetes form (malformed fields read as empty)."""

        def strings(key: str) -> frozenset[str]:
            value = raw.get(key)
            if not value or not isinstance(value, list):
                return _EMPTY
            return frozenset(v for v in value if type(v) is str)

        return cls(
            verbs=strings("verbs"),
            api_groups=strings("apiGroups"),
            resources=strings("resources"),
            resource_names=strings("resourceNames"),
            non_resource_urls=strings("nonResourceURLs"),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the rule in its Kubernetes form (sorted lists; empty fields left out)."""
        out: dict[str, Any] = {}
        for key, value in (
            ("apiGroups", self.api_groups),
            ("resources", self.resources),
            ("resourceNames", self.resource_names),
            ("nonResourceURLs", self.non_resource_urls),
            ("verbs", self.verbs),
        ):
            if value or key == "verbs":
                out[key] = sorted(value)
        return out

    @property
    def wildcards(self) -> list[str]:
        """The fields that use `*`: verbs, resources, apiGroups."""
        return [
            field
            for field, values in (
                ("verbs", self.verbs),
                ("resources", self.resources),
                ("apiGroups", self.api_groups),
            )
            if ALL in values
        ]


@dataclass(frozen=True, slots=True)
class Request:
    """A resource request as the authorizer sees it (namespace None: cluster-wide)."""

    verb: str
    group: str
    resource: str
    subresource: str = ""
    name: str = ""
    namespace: str | None = None

    @classmethod
    def parse(cls, verb: str, resource: str, namespace: str | None, name: str = "") -> Request:
        """Parse `RESOURCE[.GROUP][/SUBRESOURCE]` (`pods/exec`, `deployments.apps`)."""
        base, _, sub = resource.partition("/")
        res, _, group = base.partition(".")
        return cls(verb, group, res, sub, name, namespace)

    @property
    def combined(self) -> str:
        """`resource` or `resource/subresource`."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def __str__(self) -> str:
        group = f".{self.group}" if self.group else ""
        where = f" in namespace {self.namespace}" if self.namespace else " cluster-wide"
        named = f" named {self.name}" if self.name else ""
        sub = f"/{self.subresource}" if self.subresource else ""
        return f"{self.verb} {self.resource}{group}{sub}{named}{where}"


@dataclass(frozen=True, slots=True)
class NonResourceRequest:
    """A request for a non-resource URL such as /metrics or /healthz."""

    verb: str
    path: str


def verb_matches(rule: Rule, verb: str) -> bool:
    """The rule lists the verb or `*`."""
    return ALL in rule.verbs or verb in rule.verbs


def group_matches(rule: Rule, group: str) -> bool:
    """The rule lists the API group or `*`."""
    return ALL in rule.api_groups or group in rule.api_groups


def resource_matches(rule: Rule, resource: str, subresource: str) -> bool:
    """The authorizer's match: `*`, the exact `resource[/sub]`, or `*/sub` for a subresource."""
    if ALL in rule.resources:
        return True
    combined = f"{resource}/{subresource}" if subresource else resource
    if combined in rule.resources:
        return True
    return bool(subresource) and f"*/{subresource}" in rule.resources


def rule_allows(rule: Rule, req: Request) -> bool:
    """Return True when the rule grants exactly this request (resourceNames honoured)."""
    if not (
        verb_matches(rule, req.verb)
        and group_matches(rule, req.group)
        and resource_matches(rule, req.resource, req.subresource)
    ):
        return False
    if rule.resource_names:
        return bool(req.name) and req.name in rule.resource_names
    return True


def rule_touches(rule: Rule, req: Request) -> bool:
    """Like `rule_allows` but a rule limited by resourceNames counts (access to some objects)."""
    return (
        verb_matches(rule, req.verb)
        and group_matches(rule, req.group)
        and resource_matches(rule, req.resource, req.subresource)
    )


def rule_allows_path(rule: Rule, req: NonResourceRequest) -> bool:
    """Return True when the rule grants the non-resource URL (`*` and `prefix*` honoured)."""
    if not verb_matches(rule, req.verb):
        return False
    for url in rule.non_resource_urls:
        if url in (ALL, req.path):
            return True
        if url.endswith("*") and req.path.startswith(url.rstrip("*")):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Via:
    """How a subject gets a permission: this binding, to this role."""

    binding: ObjectKey
    role: ObjectKey

    def to_json(self) -> dict[str, str]:
        """Return `{"binding": "RoleBinding/ns/name", "role": "ClusterRole/name"}`."""
        return {"binding": str(self.binding), "role": str(self.role)}

    def __str__(self) -> str:
        return f"{self.binding} → {self.role}"
