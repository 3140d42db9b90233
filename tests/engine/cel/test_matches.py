"""`.matches()` answered with cached RE2 programs: always the runtime's own answer and error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.engine.cel_lib.matches import fast_matches, in_shared_subset
from regulens.engine.cel_runtime import cel, compile_program

NATIVE = cel.compile("s.matches(p)")  # the runtime's own matches, uncached


def native(text: object, pattern: object) -> object:
    try:
        return NATIVE.execute({"s": text, "p": pattern})
    except Exception as exc:
        return f"error: {exc}"


PATTERNS = [
    "@sha256:[0-9a-f]{64}$", ":[^/:@]+$", "", "a", "^a", "a$", "^$", "a|b", "(a|b)*c", "(?:ab)+",
    "a{2}", "a{2,}", "a{2,3}", "a*?", "a??", "()", "(|a)", "a||b", "[a-]", "[-a]", "[^a]",
    "[a-z-]", r"[\--z]", r"a\.b", "é+", "[é-ü]", ".", "^.$", r"\#", r"\&", r"\~", r"\-",
    "x{1000}", "(a)(b)", r"[\]]", r"[\[]", "[a^]", "[$.|(){}]", " #", r"\^\$",
]  # fmt: skip
OUTSIDE = [
    "a{,3}", "a{", "a{x}", "{", "}", "]", "[]a]", "[a-z-0]", r"a\/b", r"\d", r"\w", r"\b",
    r"\pL", "(?i)a", "(?P<x>a)", "a**", "a{2}{3}", "[[:alpha:]]", "[a&&b]", "[a--b]",
    "[a~~b]", "x{1001}", "a)", "(a", "[a", "a\\", "^*", "*a", "a" * 300, "\x00", "[^\n]",
]  # fmt: skip
TEXTS = [
    "", "a", "b", "ab", "aab", "abc", "\n", "a\n", "\na", "é", "üé", "-", "]", "#", "a.b", "a/b",
    "x" * 1000, "AB", "registry.example.com/api:v1.2.3", "registry/api@sha256:" + "a" * 64,
    "{", "a{2}", " #", "\\", "^$", "&", "~", "\u0661\u0662", "word boundary",
]  # fmt: skip


@pytest.mark.parametrize("pattern", PATTERNS)
def test_patterns_of_the_shared_subset_are_answered_as_the_runtime_does(pattern: str) -> None:
    assert in_shared_subset(pattern)
    for text in TEXTS:
        assert fast_matches(text, pattern) == native(text, pattern), (pattern, text)


@pytest.mark.parametrize("pattern", OUTSIDE)
def test_other_patterns_are_left_to_the_runtime(pattern: str) -> None:
    assert not in_shared_subset(pattern)
    assert fast_matches("a", pattern) is None


def test_non_strings_are_left_to_the_runtime() -> None:
    assert fast_matches(1, "a") is None
    assert fast_matches("a", 1) is None
    assert fast_matches(b"a", "a") is None


PIECES = [*"ab.^$|()[]{}*+?-\\,:0129&~é\n ", "(?:", "{2}", "{1,3}", "{2,}", "[a-z]", "[^a]"]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=10).map("".join),
    st.lists(st.lists(st.sampled_from([*"ab-.é\n0:]{}\\^$ "]), max_size=8).map("".join)),
)
def test_any_pattern_the_fast_path_answers_gets_the_runtimes_answer(
    pattern: str, texts: list[str]
) -> None:
    for text in texts:
        answer = fast_matches(text, pattern)
        assert answer is None or answer == native(text, pattern), (pattern, text)


@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("container.image.matches(':[^/:@]+$')", "a/b:v1", True),
        ("container.image.matches(':[^/:@]+$')", "a/b", False),
        # `\d` is not in the shared subset: the runtime answers (Unicode digits match)
        (r"container.image.matches('\\d')", "\u0661", True),
        ("container.image.matches('[0-9]') || container.image.matches('(?i)X')", "x", True),
        # the other side of `||` is true: the runtime's own error is absorbed as it would be
        ("container.image.matches('(') || true", "x", True),
    ],
)
def test_expressions_with_matches_give_the_runtimes_value(
    expression: str, value: str, expected: bool
) -> None:
    program = compile_program(expression)
    assert program.execute({"container": {"image": value}}) is expected


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("container.image.matches('(')", "x"),  # invalid pattern: the runtime's message
        ("container.image.matches('a')", 3),  # not a string: no such overload
        ("container.image.matches(container.image)", 3),
    ],
)
def test_errors_are_the_runtimes_own(expression: str, value: object) -> None:
    variables = {"container": {"image": value}}
    with pytest.raises(Exception) as ours:
        compile_program(expression).execute(variables)
    with pytest.raises(Exception) as runtime:
        cel.compile(expression).execute(variables)  # native matches, not renamed
    assert (type(ours.value), str(ours.value)) == (type(runtime.value), str(runtime.value))
