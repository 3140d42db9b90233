"""Render one outcome in any CI format, into memory, then stage it for stdout or a file."""

from __future__ import annotations

import io

from regulens.cli.output import Staged, stage
from regulens.engine.outcome import Outcome

FORMATS = ("table", "json", "sarif", "junit", "markdown", "policyreport")


def stage_outcome(
    outcome: Outcome,
    fmt: str,
    output: str | None,
    *,
    force: bool,
    show_passed: bool = False,
    source_file: str | None = None,
) -> Staged:
    """Render the outcome as `fmt` and stage it (nothing is shown until it is published)."""
    return stage(
        render_outcome_bytes(
            outcome, fmt, terminal=output is None, show_passed=show_passed, source_file=source_file
        ),
        output,
        force=force,
    )


def render_outcome_bytes(
    outcome: Outcome,
    fmt: str,
    *,
    terminal: bool = False,
    show_passed: bool = False,
    source_file: str | None = None,
) -> bytes:
    """Return the outcome as `fmt`; SARIF results without a manifest line point at `source_file`."""
    # renderers are imported when used: rich alone is a tenth of the start-up of a JSON run
    if fmt == "table":
        from rich.console import Console

        from regulens.reports.table import render_table

        if terminal:  # colours and width of the real terminal, captured in memory
            real = Console()
            buffer = io.StringIO()
            console = Console(
                file=buffer,
                force_terminal=real.is_terminal,
                color_system=real.color_system,  # type: ignore[arg-type]
                width=real.width,
            )
            render_table(outcome, console, show_passed=show_passed)
            return buffer.getvalue().encode()
        console = Console(record=True, width=140, file=io.StringIO())
        render_table(outcome, console, show_passed=show_passed)
        return console.export_text().encode()
    if fmt == "json":
        from regulens.reports.json_report import render_json

        return render_json(outcome)
    from regulens.reports.junit import render_junit
    from regulens.reports.markdown import render_markdown
    from regulens.reports.policyreport import render_policyreport
    from regulens.reports.sarif import render_sarif

    renderers = {
        "sarif": lambda: render_sarif(outcome, fallback_file=source_file),
        "junit": lambda: render_junit(outcome),
        "markdown": lambda: render_markdown(outcome),
        "policyreport": lambda: render_policyreport(outcome),
    }
    return renderers[fmt]()
