"""Results for people: a table on a terminal, one line per result elsewhere (CI logs, pipes).

Rules (docs/gate.md, "Terminal output and flags"): fails first, then errors,
warnings, passes (on request) and skips; policy ids, severities, resources and
locations are never wrapped, only messages wrap, at spaces. A terminal too
narrow for those columns gets one block per result instead (heading, then
resource, location and message indented). When standard output is not a
terminal there is no width to respect, so every result is one line
(`STATUS policy [severity] resource (file:line): message`), easy to grep and
never folded at 80 columns. Colour is decided by the caller (`--color`,
`NO_COLOR`, `FORCE_COLOR`), never read from the environment here.
"""

from __future__ import annotations

import io

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from regulens.display import printable
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result
from regulens.engine.types import Status
from regulens.reports.screen import Screen

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.ERROR: "bold magenta",
    Status.SKIP: "dim",
}
ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIP)
_RANK = {status: i for i, status in enumerate(ORDER)}
_MESSAGE_MIN = 30


def render_table(outcome: Outcome, screen: Screen, *, show_passed: bool = False) -> str:
    """Return the results (passes on request), coverage gaps, notes and the decision."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=screen.color,
        no_color=not screen.color,
        color_system="standard" if screen.color else None,
        width=max(screen.width, 40),
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    rows = sorted(
        (r for r in outcome.results if show_passed or r.status is not Status.PASS),
        key=lambda r: _RANK[r.status],
    )
    if rows and screen.terminal:
        table = _table(rows, screen.width)
        if table is not None:
            console.print(table)
        else:  # too narrow for the columns: one block per result, the message indented
            for r in rows:
                _, _, resource, where, message = _cells(r)
                console.print(_heading(r))
                for part in (resource, where, message):
                    console.print(Padding(_plain(part), (0, 0, 0, 4), expand=False))
    else:
        for r in rows:
            console.print(_line(r), soft_wrap=True)
    if outcome.gaps:
        console.print(Text("coverage gaps:", style="bold magenta"))
        for gap in outcome.gaps:
            console.print(_plain(f"  {gap.describe()}"), soft_wrap=not screen.terminal)
    for note in outcome.notes:
        console.print(_plain(f"note: {note.message}"), soft_wrap=not screen.terminal)
    s = outcome.decision.summary
    counts = " · ".join(f"{k} {v}" for k, v in s.to_json().items())
    style = "bold green" if outcome.decision.allowed else "bold red"
    console.print(
        Text(f"decision: {outcome.decision.decision.upper()}", style=style),
        Text(f"(exit {int(outcome.decision.exit_code)}) — {counts}"),
    )
    return "".join(f"{line.rstrip()}\n" for line in buffer.getvalue().splitlines())


def location(result: Result) -> str:
    """`file:line` of the result's object (`file` alone without a line), or `-`."""
    where = result.location
    if where is None:
        return "-"
    return where.file if where.line is None else f"{where.file}:{where.line}"


def _cells(r: Result) -> tuple[str, str, str, str, str]:
    resource = str(r.resource) if r.resource is not None else "-"
    message = r.message + (f" [exception {r.exception}]" if r.exception else "")
    return r.policy, r.severity.value, resource, location(r), message


def _table(rows: list[Result], width: int) -> Table | None:
    """The table, or None when its unwrapped columns leave the message under 30 columns."""
    cells = [(r.status.value, *_cells(r)) for r in rows]
    names = ("status", "policy", "severity", "resource", "location")
    widths = [max(len(n), *(len(printable(c[i])) for c in cells)) for i, n in enumerate(names)]
    if sum(widths) + 3 * (len(names) + 1) + 1 + _MESSAGE_MIN > width:
        return None
    table = Table(show_lines=False, expand=False)
    for name, fixed in zip(names, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=fixed)
    table.add_column("message", min_width=_MESSAGE_MIN)
    for r, row in zip(rows, cells, strict=True):
        table.add_row(Text(row[0], style=_STYLE[r.status]), *map(_plain, row[1:]))
    return table


def _heading(r: Result) -> Text:
    line = Text(r.status.value.upper(), style=_STYLE[r.status])
    line.append(printable(f" {r.policy} [{r.severity.value}]"))
    return line


def _line(r: Result) -> Text:
    policy, severity, resource, where, message = _cells(r)
    line = Text(r.status.value.upper(), style=_STYLE[r.status])
    line.append(printable(f" {policy} [{severity}] {resource} ({where}): {message}"))
    return line


def _plain(text: str) -> Text:
    """Text from inputs: never rich markup, never a raw control character."""
    return Text(printable(text))
