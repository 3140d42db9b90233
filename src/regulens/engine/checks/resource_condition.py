"""The `resource-condition` check: a CEL expression must hold for every matched object."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import orjson
from pydantic import Field, PrivateAttr, model_validator

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Resource, Snapshot
from regulens.snapshot.workloads import WORKLOAD_KINDS


class ResourceCondition(Check):
    """Every matched object (or each of its containers) satisfies a CEL expression."""

    type: Literal["resource-condition"]
    expression: str = Field(
        min_length=1,
        description="CEL that must be true; variables: object, and container with each=container",
    )
    message: str | None = Field(default=None, description="Shown when the expression is false")
    each: Literal["object", "container"] = Field(
        default="object",
        description="Evaluate once per object, or once per container of a workload",
    )
    filter: str | None = Field(
        default=None,
        description="CEL over object: only objects where it is true are judged",
    )
    min_matches: int = Field(
        default=0,
        ge=0,
        description="Fail when fewer objects than this are in scope (the object must exist)",
    )
    uses_match = True
    _program: Any = PrivateAttr(default=None)
    _filter: Any = PrivateAttr(default=None)
    _needs: dict[str, Any] = PrivateAttr(default_factory=dict)
    _filter_needs: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _compile(self) -> ResourceCondition:
        allowed = {"object"} | ({"container"} if self.each == "container" else set())
        self._program = _compile_cel(self.expression, allowed, "expression")
        self._needs = _needed_fields(self._program, self.expression)
        if self.filter is not None:
            self._filter = _compile_cel(self.filter, {"object"}, "filter")
            self._filter_needs = _needed_fields(self._filter, self.filter)
        return self

    def kinds(self) -> frozenset[str] | None:
        """Return None (any kind) unless the policy's match or `each` narrows it."""
        return WORKLOAD_KINDS if self.each == "container" else None

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Run the expression on each selected object (or container)."""
        assert snap.kubernetes is not None
        kinds = self.kinds()
        if ctx.match is not None and ctx.match.kinds:
            kinds = frozenset(ctx.match.kinds) if kinds is None else kinds & set(ctx.match.kinds)
        matched = 0
        judge = _Judge(self._program, self._needs, self.message or self._default_message())
        has_filter = self._filter is not None
        per_object = self.each == "object"
        state = snap.kubernetes
        for resource in ctx.select(state, kinds):
            if has_filter:
                selected = self._selected(resource)
                if isinstance(selected, Finding):
                    yield selected
                    continue
                if not selected:
                    continue
            matched += 1
            if per_object:
                yield judge.finding(resource, resource.obj, None, "")
            else:
                for c in state.containers_of(resource):  # found once for every policy
                    where, subject = f"{c.role} {c.name!r}: ", f"container:{c.role} {c.name}"
                    yield judge.finding(resource, resource.obj, c.spec, where, subject)
        if matched < self.min_matches:
            scope = ", ".join(sorted(kinds)) if kinds else "object"
            yield Finding(
                Status.FAIL,
                f"expected at least {self.min_matches} matching {scope}, found {matched}",
                details={"matched": matched, "min_matches": self.min_matches},
            )

    def _default_message(self) -> str:
        return f"condition does not hold: {self.expression}"

    def _selected(self, resource: Resource) -> bool | Finding:
        try:
            value = self._filter.execute(_variables(self._filter_needs, resource.obj, None))
        except Exception as exc:  # noqa: BLE001 - the CEL runtime raises plain Python errors
            return Finding(
                Status.ERROR,
                f"CEL filter error: {type(exc).__name__}: {_first_line(str(exc))}",
                resource.ref,
                resource.source,
            )
        return value is True


_MEMO_MAX_KEY = 4096  # bytes of canonical JSON; bigger inputs are rarely repeated


class _Judge:
    """Run one compiled expression per object or container, once per distinct input.

    CEL is pure, so two inputs with the same canonical JSON (after pruning to
    the fields the expression reads) have the same outcome; workloads repeat
    the same securityContext, resources and images many times over.
    """

    __slots__ = ("memo", "message", "needs", "program")

    def __init__(self, program: Any, needs: dict[str, Any], message: str) -> None:
        self.program = program
        self.needs = needs
        self.message = message
        self.memo: dict[bytes, tuple[Status, str]] = {}

    def finding(
        self,
        resource: Resource,
        obj: Mapping[str, Any],
        container: Mapping[str, Any] | None,
        where: str,
        subject: str = "",
    ) -> Finding:
        variables = _variables(self.needs, obj, container)
        try:
            key: bytes | None = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # not JSON (e.g. integers beyond 64 bits): evaluate every time
            key = None
        if key is not None and len(key) <= _MEMO_MAX_KEY:
            outcome = self.memo.get(key)
            if outcome is None:
                outcome = self.memo[key] = self._outcome(variables)
        else:
            outcome = self._outcome(variables)
        return Finding(
            outcome[0], where + outcome[1], resource.ref, resource.source, subject=subject
        )

    def _outcome(self, variables: dict[str, Any]) -> tuple[Status, str]:
        try:
            value = self.program.execute(variables)
        except Exception as exc:  # noqa: BLE001 - the CEL runtime raises plain Python errors
            return (
                Status.ERROR,
                f"CEL evaluation error: {type(exc).__name__}: {_first_line(str(exc))}",
            )
        if value is True:
            return Status.PASS, "condition holds"
        if value is False:
            return Status.FAIL, self.message
        return Status.ERROR, f"CEL expression returned {type(value).__name__}, not a boolean"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


# `object.spec.replicas`, `container.image.matches(` ...: a variable and the fields read from it
_FIELD_PATH = re.compile(
    r"(?<![\w.])(object|container)((?:\s*\.\??\s*[A-Za-z_][A-Za-z0-9_]*)*)(\s*\()?"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _needed_fields(program: Any, source: str) -> dict[str, Any]:
    """Return, per variable the program reads, a trie of the field paths it reads (None: all).

    Converting a Python value into CEL costs time proportional to its size, and
    that conversion dominates evaluation (a whole Deployment for a check that
    reads one container field). So only the fields an expression names are
    handed to CEL. Every textual occurrence of a variable contributes its path;
    any use that is not a plain field path (indexing, macros over the variable
    itself, `object` passed whole) keeps the whole value, so results are the same.
    """
    used = set(program.variables())
    needs: dict[str, Any] = {}
    for name in ("object", "container"):
        if name not in used:
            continue
        trie: dict[str, Any] = {}
        for m in _FIELD_PATH.finditer(source):
            if m.group(1) != name:
                continue
            parts = _IDENT.findall(m.group(2))
            if m.group(3) and parts:
                parts.pop()  # a method call (`.matches(`, `.exists(`) reads the value before it
            if not parts:
                trie = {}  # the variable itself is used: hand over all of it
                break
            _add_path(trie, parts)
        needs[name] = trie or None
    return needs


def _add_path(trie: dict[str, Any], parts: list[str]) -> None:
    node = trie
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if child is None:
            return  # a prefix is already read whole
        node = child
    node[parts[-1]] = None


def _pruned(value: Any, trie: dict[str, Any] | None) -> Any:
    # `type(...) is dict` first: parsed objects are dicts, and the ABC check is slow
    if trie is None or (type(value) is not dict and not isinstance(value, Mapping)):
        return value
    out = {}
    for key, sub in trie.items():
        if key in value:
            out[key] = value[key] if sub is None else _pruned(value[key], sub)
    return out


def _variables(
    needs: dict[str, Any], obj: Mapping[str, Any], container: Mapping[str, Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "object" in needs:
        out["object"] = _pruned(obj, needs["object"])
    if "container" in needs and container is not None:
        out["container"] = _pruned(container, needs["container"])
    return out


def _compile_cel(source: str, allowed: set[str], what: str) -> Any:
    """Compile CEL at load time so syntax errors and unknown variables are load errors."""
    from regulens.engine.cel_runtime import compile_program  # CEL loads with its first rule

    try:
        program = compile_program(source)
    except ValueError as exc:
        message = _first_line(str(exc))
        if message.startswith("unknown "):
            raise ValueError(f"CEL {what} uses an {message}") from None
        raise ValueError(f"CEL syntax error in {what}: {message}") from None
    # comprehension variables (`c` in `all(c, ...)`) are reported as variables too
    unknown = [v for v in program.variables() if v not in allowed and v not in program.bound]
    if unknown:
        raise ValueError(
            f"CEL {what} uses unknown variable(s) {', '.join(sorted(unknown))}; "
            f"available: {', '.join(sorted(allowed))}"
        )
    return program
