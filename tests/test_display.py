"""`printable` and `markdown_text`: input text made inert for people, whatever it holds."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from regulens.display import markdown_text, printable

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _unsafe(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" or ch in BIDI or ch in "\u2028\u2029"


@given(st.text())
def test_printable_leaves_no_unsafe_character(text: str) -> None:
    shown = printable(text)
    assert not any(_unsafe(ch) for ch in shown)


@given(st.text().filter(lambda t: not any(_unsafe(ch) for ch in t)))
def test_printable_keeps_safe_text_as_is(text: str) -> None:
    assert printable(text) == text


def test_printable_forms() -> None:
    assert printable("a\x1b[2Jb\r\n\t\x00\x7f\x9b") == "a\\x1b[2Jb\\x0d\\x0a\\x09\\x00\\x7f\\x9b"
    assert printable("x\u202ey\u2066z\u2028") == "x\\u202ey\\u2066z\\u2028"
    assert printable("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"
    assert printable("Grüße, 東京 ✅") == "Grüße, 東京 ✅"


@given(st.text())
def test_markdown_text_is_one_inert_line(text: str) -> None:
    shown = markdown_text(text)
    assert "<" not in shown and ">" not in shown and "\n" not in shown
    assert not any(_unsafe(ch) for ch in shown)
    # every `|` is escaped: an odd run of backslashes precedes it
    for i, ch in enumerate(shown):
        if ch == "|":
            run = len(shown[:i]) - len(shown[:i].rstrip("\\"))
            assert run % 2 == 1, shown


def test_markdown_text_escapes_html_and_tables() -> None:
    assert markdown_text("<script>a|b</script> & c\\") == (
        "&lt;script&gt;a\\|b&lt;/script&gt; &amp; c\\\\"
    )
