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
    # each iteration: 1, plus 100 for `==` (the input's largest value is 100,000
    # characters), plus 10,001 for find() over them: 90 iterations are within budget
    program = compile_program("object.items.all(i, object.s.find('y') == '')")
    obj = {"items": list(range(90)), "s": "x" * 100_000}
    assert program.execute({"object": obj}) is True
    with pytest.raises(CostLimitExceeded):  # 90 * (1 + 110 + 11,001) > 1,000,000
        program.execute({"object": {"items": list(range(90)), "s": obj["s"] + "x" * 10_000}})


@pytest.mark.parametrize(
    "body",
    [
        "(object.s + object.s).size() > 0",  # 200 KB concatenated per iteration
        "object.s == object.t",
        "!object.s.matches('[a-w]+y')",
        "!(object.s in object.l)",
    ],
)
def test_size_dependent_work_per_iteration_is_charged(body: str) -> None:
    program = compile_program(f"object.items.all(a, object.items.all(b, {body}))")
    obj = {"items": list(range(999)), "s": "x" * 100_000, "t": "x" * 100_000, "l": ["y"] * 5000}
    started = time.perf_counter()
    with pytest.raises(CostLimitExceeded):  # 998,001 iterations uncharged: minutes
        program.execute({"object": obj})
    assert time.perf_counter() - started < 20


def test_resource_condition_reports_the_budget_as_error_and_denies() -> None:
    check = {"type": "resource-condition", "expression": TRIPLE}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "d"}}
    obj["items"] = list(range(2000))
    results = evaluate([policy(check)], snapshot([obj]), EvalContext(now=NOW))
    assert [r.status for r in results] == [Status.ERROR]
    assert "cost budget of 1,000,000 units exceeded" in results[0].message
    assert decide(results).exit_code is ExitCode.INCOMPLETE


@pytest.mark.parametrize(
    "expression",
    [
        "object.items.map(a, object.items).size() > 0",  # 2000 x 2000 copied 2000 times
        "object.rows.filter(r, true).size() > 0",
        "object.items.map(a, true, object.items).size() > 0",
    ],
)
def test_growing_map_and_filter_results_are_charged(expression: str) -> None:
    rows = [list(range(2000)) for _ in range(2000)]
    program = compile_program(expression)
    started = time.perf_counter()
    with pytest.raises(CostLimitExceeded):
        program.execute({"object": {"items": list(range(2000)), "rows": rows}})
    assert time.perf_counter() - started < 20


def test_ordinary_maps_and_filters_over_thousands_of_items_fit() -> None:
    program = compile_program(
        "object.items.map(a, a * 2).filter(b, b % 4 == 0).size() == 1000"
        " && object.items.all(i, i >= 0) && object.names.exists_one(n, n == 'n-7')"
    )
    names = [f"n-{i}" for i in range(2000)]
    assert program.execute({"object": {"items": list(range(2000)), "names": names}}) is True
    linear = compile_program("object.items.all(i, i >= 0 && i in object.small)")
    many = {"items": [1] * 200_000, "small": [1, 2, 3]}
    assert linear.execute({"object": many}) is True  # 200,000 iterations of 1 unit
