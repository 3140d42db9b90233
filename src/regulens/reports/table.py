"""A human table for terminals: failures first, then the decision."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from regulens.display import printable
from regulens.engine.outcome import Outcome
from regulens.engine.types import Status

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.ERROR: "bold magenta",
    Status.SKIP: "dim",
}
_ORDER = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.SKIP: 3, Status.PASS: 4}


def render_table(outcome: Outcome, console: Console, *, show_passed: bool = False) -> None:
    """Print results (failures, errors and warnings; passes on request) and the decision."""
    rows = [r for r in outcome.results if show_passed or r.status is not Status.PASS]
    rows.sort(key=lambda r: _ORDER[r.status])
    if rows:
        table = Table(show_lines=False, expand=False)
        for col in ("status", "policy", "severity", "resource", "message"):
            table.add_column(col, overflow="fold")
        for r in rows:
            table.add_row(
                Text(r.status.value, style=_STYLE[r.status]),
                _plain(r.policy),
                r.severity.value,
                _plain(str(r.resource) if r.resource is not None else "-"),
                _plain(r.message + (f" [exception {r.exception}]" if r.exception else "")),
            )
        console.print(table)
    if outcome.gaps:
        console.print("[bold magenta]coverage gaps:[/]")
        for gap in outcome.gaps:
            ns = f" in {gap.namespace}" if gap.namespace else ""
            console.print(_plain(f"  {gap.kind}{ns}: {gap.reason}"))
    for note in outcome.notes:
        console.print(_plain(f"note: {note.message}"))
    s = outcome.decision.summary
    counts = " · ".join(f"{k} {v}" for k, v in s.to_json().items())
    style = "bold green" if outcome.decision.allowed else "bold red"
    console.print(
        Text(f"decision: {outcome.decision.decision.upper()}", style=style),
        Text(f"(exit {int(outcome.decision.exit_code)}) — {counts}"),
    )


def _plain(text: str) -> Text:
    """Text from inputs: never rich markup, never a raw control character."""
    return Text(printable(text))
