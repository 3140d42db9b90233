"""The cost budget: an expression whose cost grows without limit ends with an error, fast."""

from __future__ import annotations

import time

import pytest

from regulens.engine import EvalContext, Status, decide, evaluate
from regulens.engine.cel_runtime import COST_LIMIT, CostLimitExceeded, compile_program
from regulens.errors import ExitCode
from tests.engine.helpers import NOW, policy, snapshot

TRIPLE = "object.items.all(a, object.items.all(b, object.items.all(c, a + b + c >= 0)))"


def items(n: int) -> dict[str, object]:
    return {"items": list(range(n))}


def test_cubic_expression_over_2000_items_ends_with_an_error_quickly() -> None:
    program = compile_program(TRIPLE)
    started = time.perf_counter()
    with pytest.raises(CostLimitExceeded, match="cost budget of 1,000,000 units exceeded"):
        program.execute({"object": items(2000)})
    # 8e9 iterations unbounded (minutes); the budget stops it after 1e6 (about 1 s here)
    assert time.perf_counter() - started < 20


def test_budget_boundary_is_exact_and_deterministic() -> None:
    square = compile_program("object.items.all(a, object.items.all(b, true))")
    assert COST_LIMIT == 1_000_000
    assert square.execute({"object": items(999)}) is True  # 999 + 999*999 = 999,000 units
    with pytest.raises(CostLimitExceeded):
        square.execute({"object": items(1000)})  # 1000 + 1000*1000 = 1,001,000 units
    # the budget is per evaluation: the next one starts full again
    assert square.execute({"object": items(999)}) is True


def test_an_absorbing_or_cannot_turn_a_spent_budget_into_a_value() -> None:
    program = compile_program(TRIPLE + " || true")
    with pytest.raises(CostLimitExceeded):
        program.execute({"object": items(2000)})
    exists = compile_program(
        "object.items.exists(a, object.items.exists(b, object.items.exists(c, false)))"
    )
    with pytest.raises(CostLimitExceeded):
        exists.execute({"object": items(2000)})


def test_library_calls_are_charged_by_argument_size() -> None:
    # each find() over 100,000 characters costs 10,001 units: 200 of them exceed the budget
    program = compile_program("object.items.all(i, object.s.find('y') == '')")
    obj = {"items": list(range(200)), "s": "x" * 100_000}
    with pytest.raises(CostLimitExceeded):
        program.execute({"object": obj})
    assert program.execute({"object": {"items": list(range(50)), "s": obj["s"]}}) is True


def test_resource_condition_reports_the_budget_as_error_and_denies() -> None:
    check = {"type": "resource-condition", "expression": TRIPLE}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "d"}}
    obj["items"] = list(range(2000))
    results = evaluate([policy(check)], snapshot([obj]), EvalContext(now=NOW))
    assert [r.status for r in results] == [Status.ERROR]
    assert "cost budget of 1,000,000 units exceeded" in results[0].message
    assert decide(results).exit_code is ExitCode.INCOMPLETE
