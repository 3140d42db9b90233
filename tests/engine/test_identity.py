"""Identities: NFKC + case folding for comparison; invisible and mixed-script names rejected."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from regulens.engine import Status
from regulens.snapshot.identity import identity_key, identity_problem
from tests.engine.test_change_checks import APPROVAL, approval, change, run

CYRILLIC_A = "\u0430"  # CYRILLIC SMALL LETTER A, looks like Latin "a"
HIDDEN = ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2067", "\x00", "\x1b", "\x7f"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("bob\u200b@example.com", "U+200B ZERO WIDTH SPACE"),
        ("bob@example.com\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066bob\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("bob\u00ad@example.com", "U+00AD SOFT HYPHEN"),
        ("bob\x1b[2J", "U+001B"),
        ("bob\u00a0smith", "U+00A0 NO-BREAK SPACE"),
        ("bob\tsmith", "U+0009"),
        (f"{CYRILLIC_A}lice@example.com", "Cyrillic (U+0430 CYRILLIC SMALL LETTER A)"),
        ("\u03bfscar@example.com", "Greek (U+03BF GREEK SMALL LETTER OMICRON)"),
        ("   ", "blank"),
        ("", "blank"),
    ],
)
def test_bad_identities_are_named_with_their_code_points(name: str, shown: str) -> None:
    problem = identity_problem(name)
    assert problem is not None and shown in problem, problem


@pytest.mark.parametrize(
    "name",
    ["alice@example.com", "Zoë Müller", "Ωμέγα", "Дмитрий", "田中 tanaka@example.jp", "o'neil"],
)
def test_ordinary_names_are_identities(name: str) -> None:
    assert identity_problem(name) is None


@pytest.mark.parametrize(
    "variant",
    [
        "ALICE@EXAMPLE.COM",
        " alice@example.com ",
        "\uff41\uff4c\uff49\uff43\uff45@example.com",  # full-width "alice"
        "\U0001d41a\U0001d425\U0001d422\U0001d41c\U0001d41e@example.com",  # math bold "alice"
    ],
)
def test_compatibility_and_case_variants_are_one_person(variant: str) -> None:
    assert identity_problem(variant) is None
    assert identity_key(variant) == identity_key("alice@example.com")


def test_sharp_s_and_ss_compare_equal() -> None:
    assert identity_key("Straße") == identity_key("STRASSE")


@pytest.mark.parametrize(
    "approvals",
    [
        # the requester in full-width letters is still the requester
        [approval("bob@example.com", "eca"), approval("\uff41lice@example.com", "eca")],
        # one person twice, once in math-bold letters, counts once
        [approval("bob@example.com", "eca"), approval("\U0001d41bob@example.com", "eca")],
    ],
)
def test_variants_of_one_person_never_make_a_second_approval(approvals: list[Any]) -> None:
    (result,) = run(APPROVAL, change(category="emergency", approvals=approvals))
    assert result.status is Status.FAIL, result.message
    assert len(result.details["counted"]) == 1


@pytest.mark.parametrize(
    "field",
    ["requester", "approver"],
)
@pytest.mark.parametrize(
    ("name", "shown"),
    [
        (f"{CYRILLIC_A}lice@example.com", "U+0430"),
        ("alice\u200b@example.com", "U+200B"),
        ("  ", "blank"),
    ],
)
def test_look_alike_or_invisible_names_in_a_change_request_are_rejected(
    field: str, name: str, shown: str
) -> None:
    approvals = [approval("bob@example.com", "eca"), approval("alice@example.com", "eca")]
    spec: dict[str, Any] = {"category": "emergency", "requester": "carol@example.com"}
    if field == "requester":
        spec["requester"] = name
    else:
        approvals[1] = approval(name, "eca")
    with pytest.raises(ValidationError, match=re.escape(shown)):
        change(approvals=approvals, **spec)


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=30), hidden=st.sampled_from(HIDDEN), at=st.integers(0, 30))
def test_a_hidden_character_anywhere_is_always_rejected(name: str, hidden: str, at: int) -> None:
    spliced = name[:at] + hidden + name[at:]
    problem = identity_problem(spliced)
    assert problem is not None and f"U+{ord(hidden):04X}" in problem


@settings(max_examples=200, deadline=None)
@given(name=st.text(min_size=1, max_size=30))
def test_the_comparison_key_is_stable_and_case_blind(name: str) -> None:
    if identity_problem(name) is not None:
        return
    key = identity_key(name)
    assert identity_key(key) == key
    assert identity_key(name.upper()) == identity_key(name.lower()) or not name.isascii()
