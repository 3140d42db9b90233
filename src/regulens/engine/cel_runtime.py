"""The CEL runtime: compile with the Kubernetes libraries, evaluate within a cost budget.

`cel/__init__.py` imports `cel.cli` (typer, prompt_toolkit, pygments, rich),
which is a quarter of a second of every regulens start-up. A placeholder
module stands in for it during the import and is removed afterwards, so an
explicit `import cel.cli` elsewhere still gets the real one. Import CEL from
here, never `import cel` directly.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

if "cel" not in sys.modules and "cel.cli" not in sys.modules:
    sys.modules["cel.cli"] = types.ModuleType("cel.cli")
    try:
        import cel
    finally:
        del sys.modules["cel.cli"]
else:  # pragma: no cover - someone imported cel first; nothing left to save
    import cel

# The package logs a warning for every failing Python function; the failure is
# already the evaluation's error result, so the log line would only duplicate it.
logging.getLogger("cel").setLevel(logging.ERROR)

from regulens.engine.cel_lib import kubernetes as k8s  # noqa: E402 - after the import trick
from regulens.engine.cel_lib.matches import MATCHES, fast_matches  # noqa: E402
from regulens.engine.cel_lib.syntax import (  # noqa: E402
    OPT_GET,
    TICK,
    TICK_KEEP,
    TICK_VALUE,
    CelSyntaxError,
    Site,
    calls,
    instrument_macros,
    rename_matches,
    rewrite_optionals,
    tokenize,
)

#: Cost units one evaluation may spend. The apiserver's per-expression limit
#: has the same number (1,000,000); what one unit buys is described in `_Meter`.
COST_LIMIT = 1_000_000


class CostLimitExceeded(RuntimeError):
    """The evaluation spent its cost budget."""


class _Meter:
    """The budget of one evaluation.

    A comprehension iteration costs `1 + w * unit`: `w` is the number of
    size-dependent native operations in its body (see `instrument_macros`)
    and `unit` is what one of them costs on the largest operand it can reach:
    the iteration's element, the elements of the comprehensions it is nested
    in, and the `object` / `container` fields the body names (see `_unit`).
    `filter` and `map` iterations also pay for copying the result so far
    (iterations so far x the kept element's size / 20). A library call costs 1
    plus a tenth of the length of its string, list and map arguments. One
    unit is about 2 microseconds of work or less, so a spent budget is a few
    seconds at most.
    """

    __slots__ = ("elements", "exhausted", "kept", "left", "site_units", "sites")

    def __init__(self, sites: list[Site]) -> None:
        self.sites = sites
        self.left = COST_LIMIT
        self.exhausted = False
        self.kept = [0] * len(sites)  # per filter/map site: iterations so far
        self.elements = [0] * len(sites)  # per site: `_unit` of its current element
        self.site_units = [0] * len(sites)

    def reset(self, site_units: list[int]) -> None:
        self.left, self.exhausted, self.site_units = COST_LIMIT, False, site_units
        for i in range(len(self.sites)):
            self.kept[i] = self.elements[i] = 0

    def _iteration(self, site: int, element: Any) -> bool:
        if self.exhausted:
            raise CostLimitExceeded("cost budget exceeded")
        cost = 1
        if element is not None:
            kind = type(element)
            size = 0 if kind is int or kind is float or kind is bool else _unit(element)
            self.elements[site] = size
            info = self.sites[site]
            if info.weight:
                unit = self.site_units[site]
                for s in info.enclosing:
                    unit = max(unit, self.elements[s])
                cost += info.weight * unit
        self.left -= cost
        if self.left < 0:
            # raise rather than answer false: a `map` or `filter` keeps iterating (and
            # copying its result) after a false, but stops at the first error
            self.exhausted = True
            raise CostLimitExceeded("cost budget exceeded")
        return True

    def tick(self, site: int, element: Any) -> bool:
        return self._iteration(site, element)

    def _keep(self, site: int, kept: Any) -> None:
        # the result list so far is copied again on this iteration
        self.kept[site] += 1
        self.left -= self.kept[site] * _elements(kept) // 20

    def tick_keep(self, site: int, element: Any) -> bool:
        self._keep(site, element)
        return self._iteration(site, element)

    def tick_value(self, site: int, element: Any, value: Any) -> Any:
        self._keep(site, value)
        self._iteration(site, element)
        return value

    def charge(self, args: tuple[Any, ...]) -> None:
        cost = 1
        for a in args:
            if isinstance(a, (str, bytes, list, dict)):
                cost += len(a) // 10
        self.left -= cost
        if self.left < 0:
            self.exhausted = True
            raise CostLimitExceeded("cost budget exceeded")


def _resolve(variables: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = variables
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _unit(value: Any) -> int:
    """Return the charge of one size-dependent operation on the largest value in `value`.

    Measured natively: comparing or joining strings takes about 1 ns per
    character, lists and maps about 200 ns per element, so one unit (about
    2 microseconds) is 1,000 characters or 10 elements.
    """
    chars = items = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (str, bytes)):
            chars = max(chars, len(v))
        elif isinstance(v, dict):
            items = max(items, len(v))
            stack.extend(v.values())
        elif isinstance(v, list):
            items = max(items, len(v))
            stack.extend(v)
    return max(chars // 1000, items // 10)


def _elements(value: Any) -> int:
    """Return the number of values in `value`, counting 1,000 characters as one."""
    count = 0
    stack = [value]
    while stack:
        v = stack.pop()
        count += 1
        if isinstance(v, (str, bytes)):
            count += len(v) // 1000
        elif isinstance(v, dict):
            stack.extend(v.values())
            count += len(v)
        elif isinstance(v, list):
            stack.extend(v)
    return count


def _metered(meter: _Meter, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        meter.charge(args)
        return fn(*args)

    return call


class CelProgram:
    """One compiled expression; `execute` raises on errors, including a spent budget.

    With `native` (the same expression, `.matches(` not renamed), `matches` calls
    are answered by `fast_matches`; when it cannot answer one, the evaluation is
    run again with `native`, so results and errors are the runtime's own.
    """

    __slots__ = (
        "_functions",
        "_meter",
        "_namespaces",
        "_native",
        "_program",
        "_sites",
        "_sized",
        "_unsure",
        "bound",
        "source",
    )

    def __init__(
        self,
        source: str,
        program: Any,
        function_names: set[str],
        bound: set[str],
        sites: list[Site] | None = None,
        native: Any = None,
    ) -> None:
        self.source = source
        self._program = program
        self._native = native
        self._unsure = False
        self.bound = frozenset(bound)  # comprehension variables (`c` in `all(c, ...)`)
        # `optional` in `optional.of(1)` is reported as a variable; it is not one
        self._namespaces = frozenset(n.partition(".")[0] for n in function_names if "." in n)
        self._sites = sites or []
        self._sized = any(site.weight for site in self._sites)
        self._meter = _Meter(self._sites)
        functions: dict[str, Callable[..., Any]] = {}
        for name in function_names:
            if name in k8s.FUNCTIONS:
                functions[name] = _metered(self._meter, k8s.FUNCTIONS[name])
        if not function_names & k8s.NETWORK:
            # `string()` is replaced only where an IP or CIDR can reach it; elsewhere
            # the runtime's own conversion (timestamps, uints, doubles) stays exact
            functions.pop("string", None)
        if OPT_GET in function_names:
            functions[OPT_GET] = _metered(self._meter, k8s.opt_get)
        if TICK in function_names:
            functions[TICK] = self._meter.tick
        if TICK_KEEP in function_names:
            functions[TICK_KEEP] = self._meter.tick_keep
        if TICK_VALUE in function_names:
            functions[TICK_VALUE] = self._meter.tick_value
        if native is not None:
            functions[MATCHES] = self._matches
        self._functions = functions

    def variables(self) -> list[str]:
        """Return the variable names the expression reads (namespaces excluded)."""
        program = self._program if self._native is None else self._native
        return [v for v in program.variables() if v not in self._namespaces]

    def execute(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate; raise CostLimitExceeded when the budget ran out, whatever the value."""
        if not self._functions:
            return self._program.execute(dict(variables))
        if self._native is None:
            return self._run(self._program, variables)
        self._unsure = False
        try:
            value = self._run(self._program, variables)
        except Exception:
            if not self._unsure:
                raise
            return self._run(self._native, variables)
        # CEL is pure: running it again natively gives exactly the runtime's answer
        return self._run(self._native, variables) if self._unsure else value

    def _matches(self, text: Any, pattern: Any) -> bool:
        answer = fast_matches(text, pattern)
        if answer is None:
            self._unsure = True  # any answer will do: the evaluation is run again natively
            return False
        return answer

    def _run(self, program: Any, variables: Mapping[str, Any]) -> Any:
        meter = self._meter
        units = [0] * len(self._sites)
        if self._sized:
            for i, site in enumerate(self._sites):
                for path in site.paths:
                    units[i] = max(units[i], _unit(_resolve(variables, path)))
        meter.reset(units)
        try:
            value = program.execute(cel.Context(dict(variables), self._functions))
        except Exception:
            if meter.exhausted:
                raise CostLimitExceeded(_spent()) from None
            raise
        if meter.exhausted:
            raise CostLimitExceeded(_spent())
        return value


def _spent() -> str:
    return f"cost budget of {COST_LIMIT:,} units exceeded (docs/policies.md: resource-condition)"


#: Longest expression accepted; the rewrites below are linear or close to it up to here.
MAX_SOURCE = 65_536
#: Optional selections (`.?`, `[?`) per expression; each is a nested call after rewriting.
MAX_OPTIONALS = 100


def compile_program(source: str) -> CelProgram:
    """Compile CEL (raises ValueError: syntax errors, unsupported syntax, unknown functions)."""
    if len(source) > MAX_SOURCE:
        raise ValueError(f"expression is {len(source):,} characters; at most {MAX_SOURCE:,}")
    try:
        cel.compile(source)
        optional_syntax = False
    except ValueError as exc:
        if "unsupported syntax" not in str(exc):
            raise
        optional_syntax = True
    tokens = tokenize(source)
    for call in calls(tokens, k8s.NAMESPACED):
        if call.name not in k8s.KNOWN:
            near = difflib.get_close_matches(call.name, sorted(k8s.KNOWN), n=1)
            if call.qualified:  # `ns.f(...)`: maybe a misspelt namespaced function
                near = difflib.get_close_matches(call.qualified, sorted(k8s.KNOWN), n=1) or near
            hint = f"; did you mean {near[0]!r}?" if near else ""
            what = f"method {call.name!r}" if call.method else f"function {call.name!r}"
            if call.qualified:
                what += f" (or function {call.qualified!r})"
            raise ValueError(f"unknown {what} at {call.line}:{call.col}{hint}")
    texts = [t.text for t in tokens]
    optionals = sum(a in (".", "[") and b == "?" for a, b in itertools.pairwise(texts))
    if optionals > MAX_OPTIONALS:
        raise ValueError(f"{optionals} optional selections; at most {MAX_OPTIONALS}")
    try:
        if optional_syntax:
            texts = rewrite_optionals(texts)
        instrumented, bound, sites = instrument_macros(texts)
        if not any(site.weight for site in sites):
            instrumented, bound, sites = instrument_macros(texts, sized_elements=False)
        texts = instrumented
    except CelSyntaxError as exc:
        raise ValueError(str(exc)) from None
    names = {c.name for c in calls(tokenize(" ".join(texts)), k8s.NAMESPACED)}
    try:
        program = cel.compile(" ".join(texts))
    except ValueError:
        # the source parsed (or only lacked `.?`): the rewrites made it nest too deeply
        raise ValueError(
            "expression nests too deeply once optional selections and cost checks are "
            "rewritten into calls; split it or nest less"
        ) from None
    if "matches" not in names:
        return CelProgram(source, program, names, bound, sites)
    # the same program with `matches` answered by fast_matches (the native one is the fallback)
    fast = cel.compile(" ".join(rename_matches(texts, MATCHES)))
    return CelProgram(source, fast, names, bound, sites, native=program)


__all__ = ["COST_LIMIT", "CelProgram", "CostLimitExceeded", "compile_program"]
