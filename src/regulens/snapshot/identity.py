"""People named in change requests and exceptions: validated once, compared one way.

A name is an identity only if a reader sees what a comparison sees. So a name
with invisible characters (format and control characters such as U+200B ZERO
WIDTH SPACE or the bidi controls U+202A..U+202E, U+2066..U+2069) or with
letters from more than one look-alike script (Latin with a Cyrillic U+0430 that looks like `a`) is
rejected, naming the code points. Valid names are compared by `identity_key`:
Unicode NFKC normalisation, case folding and collapsed whitespace, so
`Carol@Example.com`, the same in full-width letters and `carol@example.com`
are the same person, and a look-alike of the requester can never count as a second approver.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# A name uses the letters of one script (taken from the Unicode character name), so a
# Cyrillic or Greek look-alike cannot hide in a Latin name (Unicode TR 39, single-script).
# Japanese, Chinese and Korean names legitimately mix these, which count as one script,
# and may also be written beside Latin (an e-mail address).
_CJK = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"})
# Unicode general categories that render as nothing (or move text) but change a comparison.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def code_point(char: str) -> str:
    """Return `U+200B ZERO WIDTH SPACE` for a character (its name when it has one)."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _script(char: str) -> str | None:
    """Return the script of a letter from its Unicode name (None for non-letters)."""
    if not unicodedata.category(char).startswith("L"):
        return None
    first = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return "CJK" if first in _CJK else first


def identity_problem(value: str) -> str | None:
    """Return why `value` is not a usable identity (None when it is)."""
    if not value.strip():
        return "is blank"
    hidden = [
        c for c in value if unicodedata.category(c) in _INVISIBLE or (c.isspace() and c != " ")
    ]
    if hidden:
        shown = ", ".join(code_point(c) for c in dict.fromkeys(hidden))
        return f"contains invisible or control characters ({shown})"
    scripts: dict[str, str] = {}
    for char in unicodedata.normalize("NFKC", value):
        script = _script(char)
        if script is not None:
            scripts.setdefault(script, char)
    if len(scripts) > 1 and set(scripts) != {"LATIN", "CJK"}:
        shown = ", ".join(f"{s.title()} ({code_point(scripts[s])})" for s in sorted(scripts))
        return f"mixes letters of several scripts: {shown}"
    return None


def identity_key(value: str) -> str:
    """Return the comparison key of a valid identity: NFKC, case folded, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return " ".join(folded.split())


def _validate(value: str) -> str:
    problem = identity_problem(value)
    if problem is not None:
        raise ValueError(f"{problem}; names are compared after NFKC normalisation and case folding")
    return value.strip()


def _visible(value: str, allowed: str) -> str:
    if not value.strip():
        raise ValueError("is blank")
    hidden = [c for c in value if unicodedata.category(c) in _INVISIBLE and c not in allowed]
    if hidden:
        shown = ", ".join(code_point(c) for c in dict.fromkeys(hidden))
        raise ValueError(f"contains invisible or control characters ({shown})")
    return value.strip()


def _label(value: str) -> str:
    return _visible(value, "")


def _text(value: str) -> str:
    return _visible(value, "\t\n")


Identity = Annotated[str, AfterValidator(_validate)]
"""A person (requester, approver): no invisible characters, one script, compared by key."""

Label = Annotated[str, AfterValidator(_label)]
"""A one-line reference (a ticket): non-blank after trimming, no invisible characters."""

Text = Annotated[str, AfterValidator(_text)]
"""Free text that must say something (a reason): non-blank, no control characters but tab/LF."""

__all__ = ["Identity", "Label", "Text", "code_point", "identity_key", "identity_problem"]
