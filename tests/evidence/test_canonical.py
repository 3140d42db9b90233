"""The canonical-JSON check's fast path never disagrees with the RFC 8785 serialiser."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from regulens.evidence.canonical import _NUMBER_RISK, NUMBER_RISK, canonical_json, is_canonical

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.sampled_from(["sha256:66e5", "a:1.5", "\x7f", "\b\f\n\r\t", "\x01", "é", "\ue000", "😀"])
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


def _slow(value: object, data: bytes) -> bool | str:
    try:
        return canonical_json(value) == data
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__


def _fast(value: object, data: bytes) -> bool | str:
    try:
        return is_canonical(value, data)
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__


@settings(max_examples=400)
@given(_json)
def test_fast_path_agrees_on_orjson_output(value: object) -> None:
    # orjson's own sorted output is the document the fast path could wrongly accept.
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    parsed = orjson.loads(data)
    assert _fast(parsed, data) == _slow(parsed, data)


@settings(max_examples=200)
@given(_json)
def test_fast_path_agrees_on_canonical_output(value: object) -> None:
    try:
        data = canonical_json(value)
    except (TypeError, ValueError, OverflowError):
        return
    parsed = orjson.loads(data)  # a float like 2.0**53 comes back as an out-of-range int
    assert _fast(parsed, data) == _slow(parsed, data)


def test_known_differences_go_the_slow_way() -> None:
    for text in (b'{"a":100.0}', b'{"a":[1e5]}', b'{"b":1,"a":2}', b"100.0", b'{"a":"\\u001F"}'):
        assert is_canonical(orjson.loads(text), text) is False
    assert _fast({"a": 2**53}, b'{"a":9007199254740992}') == "IntegerDomainError"


def _no_slow_path(value: object) -> bytes:
    raise AssertionError("the RFC 8785 serialiser was called")


def test_text_of_the_basic_multilingual_plane_takes_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Evidence of non-ASCII messages (dashes, accents) is checked without the slow serialiser."""
    value = {"message": "ok — café \u00d7 2", "é": [1, "\ue000"], "z": "\u2028"}
    data = canonical_json(value)
    monkeypatch.setattr("regulens.evidence.canonical.canonical_json", _no_slow_path)
    assert is_canonical(orjson.loads(data), data) is True


def test_keys_beyond_the_basic_multilingual_plane_go_the_slow_way() -> None:
    """UTF-16 order (RFC 8785) puts U+1F600 before U+E000; code point order does not."""
    value = {"\ue000": 1, "😀": 2}
    by_code_point = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    canonical = canonical_json(value)
    assert by_code_point != canonical
    assert is_canonical(value, by_code_point) is False
    assert is_canonical(value, canonical) is True


@settings(max_examples=300)
@given(st.dictionaries(st.text(min_size=1, max_size=3), st.text(max_size=3), max_size=6))
def test_fast_path_agrees_on_any_unicode_keys(value: dict[str, str]) -> None:
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    assert _fast(orjson.loads(data), data) == _slow(orjson.loads(data), data)


def _reference(value: object) -> bytes | str:
    """RFC 8785 by its serialiser alone: what canonical_json wrote before its fast path."""
    try:
        return bytes(rfc8785.dumps(orjson.loads(orjson.dumps(value))))
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__


def _ours(value: object) -> bytes | str:
    try:
        return canonical_json(value)
    except (TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__


@settings(max_examples=500)
@given(st.dictionaries(st.text(max_size=4), _json, max_size=5) | _json)
def test_canonical_json_writes_what_the_rfc_8785_serialiser_writes(value: object) -> None:
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"a": 2**53}, {"a": 2**63}, {"a": 2**70}, {"a": 1.0}, {"a": [1e21, -0.0]},
        {"\ue000": 1, "😀": 2}, {"a": "\x01"}, {"a": "\u2028"}, {1: "non-string key"},
        {"a": float("nan")}, [1, {"b": 2, "a": 1}], "text", {"t": (1, 2)},
        {"at": datetime(2026, 12, 3, 13, 0, tzinfo=UTC)},
    ],
)  # fmt: skip
def test_canonical_json_on_the_edges(value: object) -> None:
    assert _ours(value) == _reference(value)


@settings(max_examples=300)
@given(st.lists(st.sampled_from([b":", b"[", b",", b"]", b"}", b"-", b".", b"e", b"E", b"+",
                                 b"0", b"7", b"9", b'"', b"a", b"1234567890123456"]),
                max_size=40).map(b"".join))  # fmt: skip
def test_re2_finds_the_number_tokens_python_re_finds(data: bytes) -> None:
    assert (_NUMBER_RISK.search(data) is None) is (re.search(NUMBER_RISK, data) is None)
