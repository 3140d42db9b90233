"""Markdown for a CI job summary or a merge-request comment."""

from __future__ import annotations

from collections.abc import Mapping

from regulens.display import markdown_text as _cell
from regulens.engine.outcome import Outcome
from regulens.engine.results import Result
from regulens.engine.types import Status

_ICON = {
    Status.FAIL: "❌ fail",
    Status.ERROR: "⚠️ error",
    Status.WARN: "🟡 warn",
    Status.PASS: "✅ pass",
    Status.SKIP: "⏭️ skip",
}
_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.WARN: 2, Status.SKIP: 3, Status.PASS: 4}


def _field(entry: Mapping[str, object], key: str) -> str:
    return _cell(str(entry[key]))


def _where(r: Result) -> str:
    if r.location is not None and r.location.line is not None:
        return f"{r.location.file}:{r.location.line}"
    return r.location.file if r.location is not None else ""


def _row(r: Result) -> str:
    resource = str(r.resource) if r.resource is not None else "-"
    return (
        f"| {_ICON[r.status]} | `{_cell(r.policy)}` | {r.severity.value} | {_cell(resource)} "
        f"| {_cell(r.message)} | {_cell(_where(r))} |"
    )


def render_markdown(outcome: Outcome) -> bytes:
    """Render the decision, the summary, the findings and the exception report."""
    d = outcome.decision
    subject = f" for change `{_cell(outcome.change_id)}`" if outcome.change_id else ""
    verdict = "✅ **ALLOW**" if d.allowed else "❌ **DENY**"
    lines = [
        f"## regulens{subject}: {verdict} (exit {int(d.exit_code)})",
        "",
        f"Evaluated at {outcome.now.isoformat().replace('+00:00', 'Z')}.",
        "",
        "| pass | fail | warn | error | skip |",
        "|---:|---:|---:|---:|---:|",
        "| " + " | ".join(str(v) for v in d.summary.to_json().values()) + " |",
        "",
    ]
    header = [
        "| status | policy | severity | resource | message | location |",
        "|---|---|---|---|---|---|",
    ]
    notable = sorted(
        (r for r in outcome.results if r.status is not Status.PASS),
        key=lambda r: _ORDER[r.status],
    )
    if notable:
        lines += ["### Findings", "", *header, *(_row(r) for r in notable), ""]
    else:
        lines += ["No failures, errors or warnings.", ""]
    if outcome.gaps:
        lines += ["### Coverage gaps", ""]
        lines += ["- " + _cell(g.describe()) for g in outcome.gaps]
        lines.append("")
    if outcome.notes:
        lines += ["### Coverage notes", "", *(f"- {_cell(n.message)}" for n in outcome.notes), ""]
    ex = outcome.exceptions
    if ex.applied or ex.expired or ex.unused:
        lines += ["### Exceptions", ""]
        lines += [
            f"- applied `{_field(a, 'id')}` ({_field(a, 'ticket')}, approved by "
            f"{_field(a, 'approver')}, expires {_field(a, 'expires')}) to `{_field(a, 'policy')}`"
            for a in ex.applied
        ]
        lines += [
            f"- **expired** `{_field(e, 'id')}` ({_field(e, 'ticket')}) on {_field(e, 'expires')}"
            f": not applied ({_field(e, 'would_match')} result(s) it would cover)"
            for e in ex.expired
        ]
        lines += [
            f"- unused `{_field(u, 'id')}` ({_field(u, 'ticket')}): matched no result"
            for u in ex.unused
        ]
        lines.append("")
    passed = [r for r in outcome.results if r.status is Status.PASS]
    if passed:
        lines += [
            f"<details><summary>{len(passed)} passed</summary>",
            "",
            *header,
            *(_row(r) for r in passed),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines).encode("utf-8")
