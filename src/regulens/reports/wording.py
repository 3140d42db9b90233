"""Counts and units in report text: "1 breach", "2 breaches", "99.9 %" (never split)."""

from __future__ import annotations

from typing import Any

NBSP = "\u00a0"  # between a number and its unit, so a line never breaks inside "99.9 %"
DASH = "\u2013"  # an en dash: "nothing measured"

_IRREGULAR = {
    "policy": "policies",
    "breach": "breaches",
    "vulnerability": "vulnerabilities",
    "evidence": "evidence",
}


def plural(noun: str) -> str:
    """The plural of an English noun used in reports (the nouns here; regular -s otherwise)."""
    head, _, last = noun.rpartition(" ")
    word = _IRREGULAR.get(last)
    if word is None:
        if last.endswith(("s", "x", "ch", "sh")):
            word = last + "es"
        elif last.endswith("y") and last[-2:-1] not in set("aeiou"):
            word = last[:-1] + "ies"
        else:
            word = last + "s"
    return f"{head} {word}" if head else word


def count(n: int, noun: str, nouns: str | None = None) -> str:
    """`n` and the noun in the right number: count(1, "breach") == "1 breach"."""
    return f"{n} {noun if n == 1 else (nouns or plural(noun))}"


def word(n: int, noun: str) -> str:
    """The noun alone in the number `n` asks for (for a count shown apart from its noun)."""
    return noun if n == 1 else plural(noun)


def unit(value: str, symbol: str) -> str:
    """A value and its unit, joined so they are never split over two lines."""
    return f"{value}{NBSP}{symbol}" if symbol else value


def duration(value: Any) -> str:
    """Seconds as `1d 2h`, `14m 10s` or `42s`."""
    if value is None:
        return DASH
    total = round(float(value))
    sign = "-" if total < 0 else ""
    total = abs(total)
    parts: list[str] = []
    for symbol, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size or (symbol == "s" and not parts):
            parts.append(f"{total // size}{symbol}")
            total %= size
        if len(parts) == 2:
            break
    return sign + " ".join(parts)


__all__ = ["DASH", "NBSP", "count", "duration", "plural", "unit", "word"]
