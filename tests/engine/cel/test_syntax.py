"""Load-time checks and source rewrites: unknown functions, optional selection, macro bodies."""

from __future__ import annotations

import re
from typing import Any

import pytest

from regulens.engine.cel_lib.syntax import (
    OPT_GET,
    TICK,
    TICK_KEEP,
    TICK_VALUE,
    CelSyntaxError,
    instrument_macros,
    rewrite_optionals,
    tokenize,
)
from regulens.engine.cel_runtime import cel, compile_program


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "object.metadata.name.lowerAscci() == 'a'",
            "unknown method 'lowerAscci' at 1:22; did you mean 'lowerAscii'?",
        ),
        ("quantiti('1') == 1", "unknown function 'quantiti' at 1:1; did you mean 'quantity'?"),
        ("object.x.isGreaterThen(1)", "did you mean 'isGreaterThan'?"),
        (
            "ip.isCannonical('::1')",
            "(or function 'ip.isCannonical') at 1:4; did you mean 'ip.isCanonical'?",
        ),
        ("true &&\n  object.a.frobnicate()", "unknown method 'frobnicate' at 2:12"),
        ("object.items.all(i, i.sizee() > 0)", "unknown method 'sizee'"),
        ("__regulens_tick()", "unknown function '__regulens_tick'"),
    ],
)
def test_unknown_function_or_method_is_rejected_at_load(source: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        compile_program(source)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "source",
    [
        "'not a call: foo(' == object.s",  # text in a string is not a call
        'object.s == "x.?y" // comment: bar()',
        "object.ips.all(ip, ip.isLoopback())",  # a variable that shares a namespace's name
        "optional.of(1).hasValue() && ip.isCanonical('::1') && sets.contains([1], [1])",
        "r'raw\\d' != b'bytes' || '''tri'ple''' != \"\"\"x\"\"\"",
    ],
)
def test_known_calls_and_look_alikes_load(source: str) -> None:
    compile_program(source)


def test_tokens_carry_line_and_column() -> None:
    tokens = tokenize("a &&\n  // c\n    b.f(1)")
    assert [(t.text, t.line, t.col) for t in tokens] == [
        ("a", 1, 1), ("&&", 1, 3), ("b", 3, 5), (".", 3, 6), ("f", 3, 7),
        ("(", 3, 8), ("1", 3, 9), (")", 3, 10),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "rewritten"),
    [
        ("a.?b", f'{OPT_GET} ( a , "b" )'),
        ("a.b.?c.d", f'{OPT_GET} ( a . b , "c" ) . d'),
        ("a.?b.?c", f'{OPT_GET} ( {OPT_GET} ( a , "b" ) , "c" )'),
        ("f(x).?y", f'{OPT_GET} ( f ( x ) , "y" )'),
        ("a[0].?y", f'{OPT_GET} ( a [ 0 ] , "y" )'),
        ("a.m[?'k']", f"{OPT_GET} ( a . m , 'k' )"),
        ("1 + (x).?y.orValue(2)", f'1 + {OPT_GET} ( ( x ) , "y" ) . orValue ( 2 )'),
        ("!a.?b.hasValue()", f'! {OPT_GET} ( a , "b" ) . hasValue ( )'),
    ],
)
def test_optional_selection_rewrite(source: str, rewritten: str) -> None:
    assert " ".join(rewrite_optionals([t.text for t in tokenize(source)])) == rewritten


@pytest.mark.parametrize("source", ["[?x]", "f(1, [?x])", "{?'a': x}", "{'a': 1, ?'b': x}", "a.?"])
def test_unsupported_optional_forms(source: str) -> None:
    with pytest.raises(CelSyntaxError):
        rewrite_optionals([t.text for t in tokenize(source)])


def test_every_macro_body_is_charged() -> None:
    source = "a.all(x, b.exists(y, f(y, [1, 2]) ? 1 : 2)) && c.map(z, z > 0, z * 2).size() > 0"
    out, bound, sites = instrument_macros([t.text for t in tokenize(source)])
    text = " ".join(out)
    assert f"a . all ( x , {TICK} ( 0 , x ) ? ( b . exists ( y , {TICK} ( 1 , y ) ?" in text
    assert (
        f"c . map ( z , {TICK} ( 2 , z ) ? ( z > 0 ) : false , {TICK_VALUE} ( 2 , z , ( z * 2 ) ) )"
        in text
    )
    assert bound == {"x", "y", "z"}
    # a conditional or a call is not size-dependent, a comparison is; nesting is recorded
    assert [(site.weight, site.enclosing) for site in sites] == [(0, (0,)), (0, (1, 0)), (1, (2,))]


def test_sites_name_the_fields_their_bodies_read() -> None:
    source = "object.items.all(i, i in object.spec.allowed && container.image.matches(i))"
    out, _, sites = instrument_macros([t.text for t in tokenize(source)])
    assert sites[0].weight == 2
    assert sites[0].paths == {("object", "spec", "allowed"), ("container", "image")}
    source = "l.filter(x, true)"
    out, _, _ = instrument_macros([t.text for t in tokenize(source)], sized_elements=False)
    assert f"{TICK_KEEP} ( 0 , x ) ? ( true ) : false" in " ".join(out)  # filter keeps x
    out, _, _ = instrument_macros([t.text for t in tokenize("l.all(x, true)")], False)
    assert f"{TICK} ( 0 , null ) ? ( true ) : false" in " ".join(out)


EQUIVALENT: list[tuple[str, dict[str, Any]]] = [
    ("[1, 2, 3].map(x, x > 1 ? x * 2 : 0)", {}),
    ("[1, 2, 3].filter(x, x % 2 == 1).map(x, [x, x])", {}),
    ("{'a': 1, 'b': 2}.all(k, k.size() == 1)", {}),
    ("[[1], [2, 3]].exists(l, l.exists_one(x, x == 3))", {}),
    ("[1, 2].map(x, x > 1, x * 10)", {}),
    ("object.items.all(i, object.items.exists(j, i == j))", {"object": {"items": [1, 2, 3]}}),
    ("[].all(x, x)", {}),
]


@pytest.mark.parametrize(("source", "variables"), EQUIVALENT)
def test_instrumented_program_gives_the_same_value(source: str, variables: dict[str, Any]) -> None:
    assert compile_program(source).execute(variables) == cel.compile(source).execute(variables)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("true || " * 9000 + "true", "at most 65,536"),
        ("object" + ".?b" * 101 + ".hasValue()", "101 optional selections; at most 100"),
        ("object" + ".?b" * 100 + ".hasValue()", "nests too deeply"),
        ("object.s == '\x00' && \x00", "token recognition error"),
    ],
)
def test_hostile_expressions_are_load_errors_not_hangs(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        compile_program(source)
