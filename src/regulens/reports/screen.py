"""Where people read results: a terminal of some width, or a log; with colour or not."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

COLOR_MODES = ("auto", "always", "never")


@dataclass(frozen=True, slots=True)
class Screen:
    """A terminal of `width` columns (else a log: one line per result), in colour or not."""

    terminal: bool = False
    color: bool = False
    width: int = 80


def wants_color(mode: str, environ: Mapping[str, str], *, terminal: bool) -> bool:
    """Resolve `--color`: always/never win; auto honours NO_COLOR, then FORCE_COLOR, then a tty.

    As https://no-color.org says, a set, non-empty NO_COLOR turns colour off; a
    non-empty FORCE_COLOR turns it on in logs that render ANSI (CI web logs).
    """
    if mode == "always":
        return True
    if mode == "never":
        return False
    if environ.get("NO_COLOR", ""):
        return False
    if environ.get("FORCE_COLOR", ""):
        return True
    return terminal
