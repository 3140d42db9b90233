"""The RBAC index of one snapshot: roles by key, bindings by role and by subject.

Built once per `KubernetesState` (cached) in time linear in the number of
objects, so that several policies and queries share it; every query walks
bindings once and judges each role's rules at most once per query.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from regulens.engine.rbac.model import (
    BOOTSTRAP_LABEL,
    BOOTSTRAP_VALUE,
    Identity,
    NonResourceRequest,
    Request,
    Rule,
    Subject,
    Via,
    rule_allows,
    rule_allows_path,
    rule_touches,
)
from regulens.snapshot import KubernetesState, ObjectKey, Resource

ROLE_KINDS = ("Role", "ClusterRole")
BINDING_KINDS = ("RoleBinding", "ClusterRoleBinding")
RBAC_KINDS = frozenset(ROLE_KINDS + BINDING_KINDS)


@dataclass(eq=False, slots=True)
class RoleEntry:
    """A Role or ClusterRole with its effective rules (aggregation expanded)."""

    key: ObjectKey
    resource: Resource
    own_rules: tuple[Rule, ...]
    rules: tuple[Rule, ...] = ()
    aggregated_from: tuple[str, ...] = ()

    @property
    def builtin(self) -> bool:
        """True for Kubernetes' own roles (labelled kubernetes.io/bootstrapping: rbac-defaults)."""
        return self.resource.labels.get(BOOTSTRAP_LABEL) == BOOTSTRAP_VALUE


@dataclass(eq=False, slots=True)
class BindingEntry:
    """A RoleBinding or ClusterRoleBinding; `role` is None when the role does not exist."""

    key: ObjectKey
    resource: Resource
    role_key: ObjectKey
    # the namespace a RoleBinding grants in (None: a RoleBinding without one, which
    # grants nowhere); a ClusterRoleBinding has scope None and `cluster` True
    scope: str | None
    subjects: tuple[Subject, ...]
    role: RoleEntry | None
    cluster: bool = False

    @property
    def via(self) -> Via:
        """This binding and its role, as a path element."""
        return Via(self.key, self.role_key)

    def covers(self, namespace: str | None) -> bool:
        """True when the binding's grants apply to a request in `namespace` (None: cluster-wide).

        A RoleBinding never grants outside its own namespace (and one without a
        namespace grants nowhere); a ClusterRoleBinding grants everywhere.
        """
        return self.cluster or (self.scope is not None and self.scope == namespace)


@dataclass(frozen=True, slots=True)
class Grant:
    """A subject that holds a permission, and every binding → role path that gives it.

    `names` is empty when the subject may act on every object; otherwise the
    subject may act only on the objects named (rules limited by resourceNames).
    """

    subject: Subject
    via: tuple[Via, ...]
    names: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return `{"kind", "name", "namespace", "via": [...]}`, plus `resourceNames` if limited."""
        out = {**self.subject.to_json(), "via": [v.to_json() for v in self.via]}
        if self.names:
            out["resourceNames"] = list(self.names)
        return out


@dataclass(frozen=True, slots=True)
class Reach:
    """What a role lets a request touch: every object, or only the objects named."""

    every: bool
    names: frozenset[str] = frozenset()


@dataclass(eq=False, slots=True)
class RbacIndex:
    """Roles and bindings of one snapshot, indexed for linear-time queries."""

    roles: dict[ObjectKey, RoleEntry] = field(default_factory=dict)
    bindings: list[BindingEntry] = field(default_factory=list)
    by_role: dict[ObjectKey, list[BindingEntry]] = field(default_factory=dict)
    by_subject: dict[Subject, list[BindingEntry]] = field(default_factory=dict)

    @property
    def missing_roles(self) -> list[BindingEntry]:
        """Bindings whose role does not exist: they grant nothing."""
        return [b for b in self.bindings if b.role is None]

    def role(self, kind: str, namespace: str | None, name: str) -> RoleEntry | None:
        """Return a Role (with namespace) or ClusterRole (namespace None) by name."""
        return self.roles.get(ObjectKey(kind, namespace if kind == "Role" else None, name))

    def who_can(self, req: Request | NonResourceRequest) -> list[Grant]:
        """Every binding subject that may make the request, like `kubectl auth can-i --as`.

        For a resource request without a name, subjects whose rules are limited by
        resourceNames are listed too, with the names they may act on (`Grant.names`):
        Kubernetes answers no for them, but they can reach those objects.
        """
        if isinstance(req, NonResourceRequest) or req.name:
            return self.holders(_allows(req), _namespace_of(req))
        return self._reach_holders(req)

    def _reach_holders(self, req: Request) -> list[Grant]:
        memo: dict[ObjectKey, Reach | None] = {}
        full: dict[Subject, list[Via]] = {}
        named: dict[Subject, tuple[list[Via], set[str]]] = {}
        for binding in self.bindings:
            if binding.role is None or not binding.covers(req.namespace):
                continue
            key = binding.role.key
            if key not in memo:
                memo[key] = _reach(binding.role.rules, req)
            reach = memo[key]
            if reach is None:
                continue
            for subject in binding.subjects:
                if reach.every:
                    full.setdefault(subject, []).append(binding.via)
                else:
                    paths, names = named.setdefault(subject, ([], set()))
                    paths.append(binding.via)
                    names |= reach.names
        grants = [Grant(s, tuple(v)) for s, v in full.items()]
        grants += [
            Grant(s, tuple(v), tuple(sorted(n))) for s, (v, n) in named.items() if s not in full
        ]
        return sorted(grants, key=lambda g: g.subject.order)

    def holders(
        self, judge: Callable[[Rule], bool], namespace: str | None, *, any_namespace: bool = False
    ) -> list[Grant]:
        """Subjects bound (in scope of `namespace`) to a role with a rule that `judge` accepts.

        With `any_namespace`, every binding counts, whatever namespace it grants in.
        """
        memo: dict[ObjectKey, bool] = {}
        paths: dict[Subject, list[Via]] = {}
        for binding in self.bindings:
            if binding.role is None or not (any_namespace or binding.covers(namespace)):
                continue
            if not _role_matches(binding.role, judge, memo):
                continue
            for subject in binding.subjects:
                paths.setdefault(subject, []).append(binding.via)
        return [Grant(s, tuple(v)) for s, v in sorted(paths.items())]

    def can(self, identity: Identity, req: Request | NonResourceRequest) -> list[Via]:
        """Every binding → role path that lets `identity` make the request (empty: denied)."""
        judge = _allows(req)
        namespace = _namespace_of(req)
        memo: dict[ObjectKey, bool] = {}
        out: list[Via] = []
        for binding in self.bindings_of(identity):
            if binding.role is None or not binding.covers(namespace):
                continue
            if _role_matches(binding.role, judge, memo):
                out.append(binding.via)
        return sorted(set(out), key=str)

    def bindings_of(self, identity: Identity) -> Iterator[BindingEntry]:
        """The bindings that name this identity: as its user, its service account or a group."""
        keys: list[Subject] = [Subject("Group", g) for g in sorted(identity.groups)]
        if identity.user is not None:
            keys.append(Subject("User", identity.user))
            if identity.user.startswith("system:serviceaccount:"):
                ns, _, name = identity.user[len("system:serviceaccount:") :].partition(":")
                keys.append(Subject("ServiceAccount", name, ns))
        seen: set[int] = set()
        for key in keys:
            for binding in self.by_subject.get(key, ()):
                if id(binding) not in seen:
                    seen.add(id(binding))
                    yield binding


def _namespace_of(req: Request | NonResourceRequest) -> str | None:
    return req.namespace if isinstance(req, Request) else None


def _allows(req: Request | NonResourceRequest) -> Callable[[Rule], bool]:
    if isinstance(req, Request):
        return lambda rule: rule_allows(rule, req)
    return lambda rule: rule_allows_path(rule, req)


def _reach(rules: Iterable[Rule], req: Request) -> Reach | None:
    """Whether the rules grant `req` on every object, on named objects only, or not at all."""
    names: set[str] = set()
    for rule in rules:
        if not rule_touches(rule, req):
            continue
        if not rule.resource_names:
            return Reach(every=True)
        names |= rule.resource_names
    return Reach(every=False, names=frozenset(names)) if names else None


def _role_matches(
    role: RoleEntry, judge: Callable[[Rule], bool], memo: dict[ObjectKey, bool]
) -> bool:
    hit = memo.get(role.key)
    if hit is None:
        hit = memo[role.key] = any(judge(rule) for rule in role.rules)
    return hit


def build_index(state: KubernetesState) -> RbacIndex:
    """Index every Role, ClusterRole, RoleBinding and ClusterRoleBinding of the snapshot."""
    # The index allocates a few small objects per RBAC object and frees none:
    # cyclic-GC passes over a big snapshot only cost time (about half of it at 50k).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(state)
    finally:
        if enabled:
            gc.enable()


def _build(state: KubernetesState) -> RbacIndex:
    index = RbacIndex()
    for resource in state.of_kinds(ROLE_KINDS):
        key = ObjectKey(
            resource.kind, resource.namespace if resource.kind == "Role" else None, resource.name
        )
        index.roles[key] = RoleEntry(key, resource, _rules(resource.obj))
    _expand_aggregation(index, state.of_kind("ClusterRole"))
    for resource in state.of_kinds(BINDING_KINDS):
        binding = _binding(resource, index)
        if binding is None:
            continue
        index.bindings.append(binding)
        index.by_role.setdefault(binding.role_key, []).append(binding)
        for subject in binding.subjects:
            index.by_subject.setdefault(subject, []).append(binding)
    return index


def _rules(obj: Mapping[str, Any]) -> tuple[Rule, ...]:
    raw = obj.get("rules")
    if not isinstance(raw, list):
        return ()
    return tuple(Rule.from_object(r) for r in raw if isinstance(r, dict))


def _binding(resource: Resource, index: RbacIndex) -> BindingEntry | None:
    ref = resource.obj.get("roleRef")
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str):
        return None
    cluster = resource.kind == "ClusterRoleBinding"
    scope = None if cluster else resource.namespace  # None for a RoleBinding: grants nowhere
    role_kind = "ClusterRole" if cluster or ref.get("kind") != "Role" else "Role"
    role_key = ObjectKey(role_kind, scope if role_kind == "Role" else None, ref["name"])
    subjects: list[Subject] = []
    raw = resource.obj.get("subjects")
    for item in raw if isinstance(raw, list) else ():
        subject = _subject(item, scope)
        if subject is not None:
            subjects.append(subject)
    key = ObjectKey(resource.kind, scope, resource.name)
    return BindingEntry(
        key,
        resource,
        role_key,
        scope,
        tuple(dict.fromkeys(subjects)),
        index.roles.get(role_key),
        cluster,
    )


def _subject(item: Any, binding_namespace: str | None) -> Subject | None:
    # parsed manifests and API responses are plain dicts (isinstance on Mapping is slow)
    if not isinstance(item, dict):
        return None
    kind, name = item.get("kind"), item.get("name")
    if not isinstance(name, str) or not name:
        return None
    if kind in ("User", "Group"):
        return Subject(kind, name)
    if kind == "ServiceAccount":
        # the authorizer defaults a service account's namespace to the binding's
        ns = item.get("namespace") or binding_namespace
        return Subject("ServiceAccount", name, ns) if isinstance(ns, str) and ns else None
    return None


def _expand_aggregation(index: RbacIndex, cluster_roles: Iterable[Resource]) -> None:
    """Give each aggregated ClusterRole the rules the aggregation controller writes into it.

    The controller *replaces* an aggregated role's rules with the union of the
    rules of the ClusterRoles its selectors pick (never itself), so the role's
    own (stale) rules do not count. Roles that are themselves aggregated
    contribute their aggregated rules: aggregated roles are resolved in
    dependency order (strongly connected components, sinks first). In a cycle of
    aggregated roles the controller's result depends on the order it syncs them
    and stale rules can keep circulating, so every member of the cycle gets the
    union of the cycle's own rules and of everything it selects (never fewer
    permissions than the cluster may end up with). Selected roles are found
    through an index of labels and merged in name order, so the result is
    deterministic and linear in the roles selected.
    """
    by_label: dict[tuple[str, str], list[ObjectKey]] = {}
    every: list[ObjectKey] = []
    selectors: dict[ObjectKey, list[Mapping[str, Any]]] = {}
    for resource in cluster_roles:
        key = ObjectKey("ClusterRole", None, resource.name)
        every.append(key)
        for pair in resource.labels.items():
            by_label.setdefault(pair, []).append(key)
        agg = resource.obj.get("aggregationRule")
        if isinstance(agg, Mapping):
            raw = agg.get("clusterRoleSelectors")
            items = raw if isinstance(raw, list) else []
            selectors[key] = [s for s in items if isinstance(s, Mapping)]
    for entry in index.roles.values():
        entry.rules = entry.own_rules
    edges = {key: _selected(key, sels, index, by_label, every) for key, sels in selectors.items()}
    for component in _components(edges):
        members = set(component)
        rules: dict[Rule, None] = {}
        if len(component) > 1:
            for member in component:
                rules.update(dict.fromkeys(index.roles[member].own_rules))
        sources: set[str] = set()
        for member in component:
            for other in edges[member]:
                sources.add(other.name)
                if other not in members:
                    rules.update(dict.fromkeys(index.roles[other].rules))
        merged = tuple(rules)
        for member in component:
            entry = index.roles[member]
            entry.rules = merged
            entry.aggregated_from = tuple(sorted(sources - {member.name}))


def _selected(
    key: ObjectKey,
    selectors: list[Mapping[str, Any]],
    index: RbacIndex,
    by_label: dict[tuple[str, str], list[ObjectKey]],
    every: list[ObjectKey],
) -> list[ObjectKey]:
    """The ClusterRoles (other than `key`) any of the selectors picks, sorted by name."""
    picked: set[ObjectKey] = set()
    for selector in selectors:
        labels = selector.get("matchLabels")
        pairs = list(labels.items()) if isinstance(labels, Mapping) else []
        candidates = by_label.get(pairs[0], []) if pairs and _hashable(pairs[0]) else every
        for other in candidates:
            if other != key and _selects(selector, index.roles[other].resource.labels):
                picked.add(other)
    return sorted(picked)


def _hashable(pair: tuple[Any, Any]) -> bool:
    return isinstance(pair[0], str) and isinstance(pair[1], str)


def _components(edges: Mapping[ObjectKey, list[ObjectKey]]) -> list[list[ObjectKey]]:
    """Strongly connected components of the aggregated roles, sinks first (Tarjan, iterative).

    Only aggregated roles are nodes: a selected plain ClusterRole has no edges
    and its rules are final. Each component is sorted by key.
    """
    order: dict[ObjectKey, int] = {}
    low: dict[ObjectKey, int] = {}
    stack: list[ObjectKey] = []
    on_stack: set[ObjectKey] = set()
    out: list[list[ObjectKey]] = []
    work: list[tuple[ObjectKey, Iterator[ObjectKey]]] = []

    def visit(node: ObjectKey) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        work.append((node, iter([n for n in edges[node] if n in edges])))

    for root in sorted(edges):
        if root in order:
            continue
        visit(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in order:
                    visit(nxt)
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], order[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == order[node]:
                component: list[ObjectKey] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                out.append(sorted(component))
    return out


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    match_labels = selector.get("matchLabels")
    if isinstance(match_labels, Mapping) and any(
        labels.get(k) != v for k, v in match_labels.items()
    ):
        return False
    expressions = selector.get("matchExpressions")
    for expr in expressions if isinstance(expressions, list) else ():
        if not isinstance(expr, Mapping):
            return False
        key, op = expr.get("key"), expr.get("operator")
        raw_values = expr.get("values")
        values: list[Any] = raw_values if isinstance(raw_values, list) else []
        if op == "In" and labels.get(str(key)) not in values:
            return False
        if op == "NotIn" and labels.get(str(key)) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True  # an empty selector selects every ClusterRole, as in Kubernetes


_CACHE: dict[int, tuple[weakref.ref[KubernetesState], RbacIndex]] = {}


def rbac_index(state: KubernetesState) -> RbacIndex:
    """Return the index of `state`, building it on first use (one build per snapshot)."""
    hit = _CACHE.get(id(state))
    if hit is not None and hit[0]() is state:
        return hit[1]
    index = build_index(state)
    key = id(state)
    _CACHE[key] = (weakref.ref(state, lambda _ref: _CACHE.pop(key, None)), index)
    return index
