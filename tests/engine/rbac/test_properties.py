"""Properties of effective permissions: monotone in bindings and in rules."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine.rbac import Identity, Request, Subject, build_index
from tests.engine.rbac.world import binding, role, state

NAMESPACES = ["a", "b"]
SUBJECTS = [
    "User:alice",
    "User:bob",
    "Group:devs",
    "Group:system:authenticated",
    "Group:system:serviceaccounts",
    "Group:system:serviceaccounts:a",
    "ServiceAccount:a:bot",
    "ServiceAccount::bot",
]
IDENTITIES = [
    Identity.of(Subject.parse(s))
    for s in (
        "user:alice",
        "user:bob",
        "group:devs",
        "serviceaccount:a:bot",
        "serviceaccount:b:bot",
    )
]
REQUESTS = [
    Request.parse(v, r, ns, name)
    for v in ("get", "list", "create")
    for r in ("pods", "secrets", "pods/exec", "deployments.apps")
    for ns in (None, "a", "b")
    for name in ("", "x")
]

rules = st.fixed_dictionaries(
    {
        "verbs": st.lists(st.sampled_from(["get", "list", "create", "*"]), min_size=1, max_size=2),
        "apiGroups": st.lists(st.sampled_from(["", "apps", "*"]), min_size=1, max_size=2),
        "resources": st.lists(
            st.sampled_from(["pods", "secrets", "pods/exec", "deployments", "*", "*/exec"]),
            min_size=1,
            max_size=2,
        ),
    },
    optional={"resourceNames": st.lists(st.sampled_from(["x", "y"]), min_size=1, max_size=1)},
)


@st.composite
def worlds(draw: Any) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 3))):
        objects.append(role(f"c{i}", *draw(st.lists(rules, max_size=3))))
    for ns in NAMESPACES:
        if draw(st.booleans()):
            objects.append(role("r", *draw(st.lists(rules, max_size=3)), ns=ns))
    objects.extend(draw(st.lists(bindings(), max_size=4)))
    return objects


@st.composite
def bindings(draw: Any) -> dict[str, Any]:
    ns = draw(st.sampled_from([None, *NAMESPACES]))
    kind = "ClusterRole" if ns is None else draw(st.sampled_from(["ClusterRole", "Role"]))
    name = "r" if kind == "Role" else draw(st.sampled_from(["c0", "c1", "c2", "ghost"]))
    subjects = draw(st.lists(st.sampled_from(SUBJECTS), min_size=1, max_size=3))
    if ns is None:
        subjects = [s for s in subjects if s != "ServiceAccount::bot"] or ["User:alice"]
    return binding(f"b{draw(st.integers(0, 10**6))}", f"{kind}/{name}", *subjects, ns=ns)


def permissions(objects: list[dict[str, Any]]) -> set[tuple[int, Request]]:
    index = build_index(state(objects))
    return {
        (i, req) for i, ident in enumerate(IDENTITIES) for req in REQUESTS if index.can(ident, req)
    }


@settings(max_examples=60, deadline=None)
@given(worlds(), bindings())
def test_adding_a_binding_never_removes_a_permission(
    objects: list[dict[str, Any]], extra: dict[str, Any]
) -> None:
    before = permissions(objects)
    after = permissions([*objects, extra])
    assert before <= after


@settings(max_examples=60, deadline=None)
@given(worlds(), st.data())
def test_removing_a_rule_never_adds_a_permission(objects: list[dict[str, Any]], data: Any) -> None:
    roles = [
        i for i, o in enumerate(objects) if o["kind"] in ("Role", "ClusterRole") and o["rules"]
    ]
    if not roles:
        return
    pick = data.draw(st.sampled_from(roles))
    drop = data.draw(st.integers(0, len(objects[pick]["rules"]) - 1))
    reduced = [dict(o) for o in objects]
    reduced[pick] = {
        **objects[pick],
        "rules": [r for j, r in enumerate(objects[pick]["rules"]) if j != drop],
    }
    assert permissions(reduced) <= permissions(objects)


@settings(max_examples=40, deadline=None)
@given(worlds())
def test_who_can_agrees_with_can(objects: list[dict[str, Any]]) -> None:
    index = build_index(state(objects))
    for req in REQUESTS:
        holders = index.who_can(req)
        for ident in IDENTITIES:
            listed = any(ident.matches(g.subject) for g in holders if not g.names)
            assert listed == bool(index.can(ident, req))
