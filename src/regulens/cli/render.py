"""Render one outcome in any CI format, to stdout or an output file (shared by evaluate, gate)."""

from __future__ import annotations

import io

from rich.console import Console

from regulens.cli.output import emit
from regulens.engine.outcome import Outcome
from regulens.reports.json_report import render_json
from regulens.reports.junit import render_junit
from regulens.reports.markdown import render_markdown
from regulens.reports.policyreport import render_policyreport
from regulens.reports.sarif import render_sarif
from regulens.reports.table import render_table

FORMATS = ("table", "json", "sarif", "junit", "markdown", "policyreport")


def render_outcome(
    outcome: Outcome,
    fmt: str,
    output: str | None,
    *,
    force: bool,
    show_passed: bool = False,
    source_file: str | None = None,
) -> None:
    """Write the outcome as `fmt`; SARIF results without a manifest line point at `source_file`."""
    if fmt == "table":
        if output is None:
            render_table(outcome, Console(), show_passed=show_passed)
            return
        console = Console(record=True, width=140, file=io.StringIO())
        render_table(outcome, console, show_passed=show_passed)
        emit(console.export_text().encode(), output, force=force)
        return
    renderers = {
        "json": lambda: render_json(outcome),
        "sarif": lambda: render_sarif(outcome, fallback_file=source_file),
        "junit": lambda: render_junit(outcome),
        "markdown": lambda: render_markdown(outcome),
        "policyreport": lambda: render_policyreport(outcome),
    }
    emit(renderers[fmt](), output, force=force)
