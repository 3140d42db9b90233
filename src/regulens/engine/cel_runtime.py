"""The CEL runtime: compile with the Kubernetes libraries, evaluate within a cost budget.

`cel/__init__.py` imports `cel.cli` (typer, prompt_toolkit, pygments, rich),
which is a quarter of a second of every regulens start-up. A placeholder
module stands in for it during the import and is removed afterwards, so an
explicit `import cel.cli` elsewhere still gets the real one. Import CEL from
here, never `import cel` directly.
"""

from __future__ import annotations

import difflib
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
from regulens.engine.cel_lib.syntax import (  # noqa: E402
    OPT_GET,
    TICK,
    CelSyntaxError,
    calls,
    instrument_macros,
    rewrite_optionals,
    tokenize,
)

#: Cost units one evaluation may spend: one per comprehension iteration, and
#: 1 + (length of string and list arguments) / 10 per library function call.
#: The apiserver's per-expression limit has the same number (1,000,000).
COST_LIMIT = 1_000_000


class CostLimitExceeded(RuntimeError):
    """The evaluation spent its cost budget."""


class _Meter:
    __slots__ = ("exhausted", "left")

    def __init__(self) -> None:
        self.left = COST_LIMIT
        self.exhausted = False

    def tick(self) -> bool:
        if self.left > 0:
            self.left -= 1
            return True
        self.exhausted = True
        return False

    def charge(self, args: tuple[Any, ...]) -> None:
        cost = 1
        for a in args:
            if isinstance(a, (str, bytes, list, dict)):
                cost += len(a) // 10
        self.left -= cost
        if self.left < 0:
            self.exhausted = True
            raise CostLimitExceeded("cost budget exceeded")


def _metered(meter: _Meter, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        meter.charge(args)
        return fn(*args)

    return call


class CelProgram:
    """One compiled expression; `execute` raises on errors, including a spent budget."""

    __slots__ = ("_functions", "_meter", "_namespaces", "_program", "bound", "source")

    def __init__(
        self, source: str, program: Any, function_names: set[str], bound: set[str]
    ) -> None:
        self.source = source
        self.bound = frozenset(bound)  # comprehension variables (`c` in `all(c, ...)`)
        # `optional` in `optional.of(1)` is reported as a variable; it is not one
        self._namespaces = frozenset(n.partition(".")[0] for n in function_names if "." in n)
        self._program = program
        self._meter = _Meter()
        functions: dict[str, Callable[..., Any]] = {}
        for name in function_names:
            if name in k8s.FUNCTIONS:
                functions[name] = _metered(self._meter, k8s.FUNCTIONS[name])
        if OPT_GET in function_names:
            functions[OPT_GET] = _metered(self._meter, k8s.opt_get)
        if TICK in function_names:
            functions[TICK] = self._meter.tick
        self._functions = functions

    def variables(self) -> list[str]:
        """Return the variable names the expression reads (namespaces excluded)."""
        return [v for v in self._program.variables() if v not in self._namespaces]

    def execute(self, variables: Mapping[str, Any]) -> Any:
        """Evaluate; raise CostLimitExceeded when the budget ran out, whatever the value."""
        if not self._functions:
            return self._program.execute(dict(variables))
        meter = self._meter
        meter.left, meter.exhausted = COST_LIMIT, False
        try:
            value = self._program.execute(cel.Context(dict(variables), self._functions))
        except Exception:
            if meter.exhausted:
                raise CostLimitExceeded(_spent()) from None
            raise
        if meter.exhausted:
            raise CostLimitExceeded(_spent())
        return value


def _spent() -> str:
    return f"cost budget of {COST_LIMIT:,} units exceeded (see README: resource-condition)"


def compile_program(source: str) -> CelProgram:
    """Compile CEL (raises ValueError: syntax errors, unsupported syntax, unknown functions)."""
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
    try:
        if optional_syntax:
            texts = rewrite_optionals(texts)
        texts, bound = instrument_macros(texts)
    except CelSyntaxError as exc:
        raise ValueError(str(exc)) from None
    names = {c.name for c in calls(tokenize(" ".join(texts)), k8s.NAMESPACED)}
    program = cel.compile(" ".join(texts))
    return CelProgram(source, program, names, bound)


__all__ = ["COST_LIMIT", "CelProgram", "CostLimitExceeded", "compile_program"]
