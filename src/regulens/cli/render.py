"""Render one outcome in any CI format, into memory, then stage it for stdout or a file."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from regulens.cli.output import Staged, stage
from regulens.documents import load_documents
from regulens.engine.outcome import Outcome
from regulens.engine.policy import Policy
from regulens.errors import ConfigError, DocumentError
from regulens.reports.sarif import SourceRoot, change_lines

if TYPE_CHECKING:
    from regulens.reports.screen import Screen

FORMATS = ("table", "json", "sarif", "junit", "markdown", "policyreport")


@dataclass(frozen=True)
class RenderContext:
    """What the CI renderers need beyond the outcome; built here, never read by them."""

    source_root: SourceRoot | None = None
    change_file: str | None = None
    policy_file: str | None = None  # the first policy file (where an input error points)
    policies: Mapping[str, Policy] = field(default_factory=dict)
    hostname: str | None = None
    change_lines: Mapping[str, int] = field(default_factory=dict)  # check type -> line


def git_toplevel(cwd: str) -> str | None:
    """The top-level directory of the git work tree holding `cwd`, or None."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run(
            [git, "rev-parse", "--show-toplevel"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    top = done.stdout.strip()
    return top if done.returncode == 0 and top else None


def render_context(
    *,
    source_root: str | None,
    change_file: str | None,
    policy_sources: tuple[str, ...],
    policies: list[Policy],
) -> RenderContext:
    """Resolve --source-root (default: the git top-level of the cwd, else the cwd)."""
    cwd = str(Path.cwd())
    if source_root is not None and not Path(source_root).is_dir():
        raise ConfigError(f"--source-root {source_root}: not a directory")
    root = source_root if source_root is not None else (git_toplevel(cwd) or cwd)
    lines: dict[str, int] = {}
    if change_file is not None:  # read (and validated) by the run already: only its lines here
        try:
            docs = [d for d in load_documents(change_file) if d.data is not None]
        except DocumentError:
            docs = []
        if len(docs) == 1:
            lines = change_lines(docs[0])
    return RenderContext(
        source_root=SourceRoot(str(Path(cwd, root).resolve()), cwd),
        change_file=change_file,
        policy_file=policy_sources[0] if policy_sources else None,
        policies={p.id: p for p in policies},
        hostname=socket.gethostname(),
        change_lines=lines,
    )


@dataclass(frozen=True, slots=True)
class OutputSpec:
    """One rendering of a run: its format, and its file (None: standard output)."""

    fmt: str
    path: str | None


def plan_outputs(fmt: str, outputs: tuple[str, ...]) -> list[OutputSpec]:
    """Resolve `--format` and the repeatable `--output [FORMAT=]FILE` into the outputs of a run.

    `FORMAT=FILE` (FORMAT one of `FORMATS`) writes that format; a plain FILE (or `-`)
    takes `--format`, as before. When every output names its format and none is
    `FORMAT=-`, standard output still shows `--format` (the table by default). Two
    outputs to one file, or two to standard output, are usage errors (exit 3).
    """
    specs: list[OutputSpec] = []
    plain = False
    for value in outputs:
        name, sep, rest = value.partition("=")
        if sep and name in FORMATS:
            if not rest:
                raise ConfigError(f"--output {value}: no file after {name}=")
            specs.append(OutputSpec(name, None if rest == "-" else rest))
        else:
            plain = True
            specs.append(OutputSpec(fmt, None if value == "-" else value))
    if not plain and all(s.path is not None for s in specs):
        specs.append(OutputSpec(fmt, None))
    seen: dict[str, str] = {}
    stdout = [s for s in specs if s.path is None]
    if len(stdout) > 1:
        raise ConfigError(
            "two outputs go to standard output: " + " and ".join(s.fmt for s in stdout),
            hint="give each --output FORMAT=FILE its own file",
        )
    for spec in specs:
        if spec.path is None:
            continue
        key = str(Path(spec.path).resolve())
        if key in seen:
            raise ConfigError(
                f"--output {spec.path}: given twice ({seen[key]} and {spec.fmt})",
                hint="give each output its own file",
            )
        seen[key] = spec.fmt
    return specs


def stage_outputs(
    outcome: Outcome,
    specs: list[OutputSpec],
    *,
    force: bool,
    show_passed: bool = False,
    source_file: str | None = None,
    context: RenderContext | None = None,
    screen: Screen | None = None,
) -> list[Staged]:
    """Render and stage every output; when one fails, the ones staged before are discarded."""
    staged: list[Staged] = []
    try:
        for spec in specs:
            staged.append(
                stage_outcome(
                    outcome,
                    spec.fmt,
                    spec.path,
                    force=force,
                    show_passed=show_passed,
                    source_file=source_file,
                    context=context,
                    screen=screen,
                )
            )
    except BaseException:
        for done in staged:
            done.discard()
        raise
    return staged


def decision_line(outcome: Outcome) -> str:
    """The one-line decision shown on standard error when results go to files."""
    s = outcome.decision.summary
    line = (
        f"decision: {outcome.decision.decision} (exit {int(outcome.decision.exit_code)}): "
        f"{s.failed} fail, {s.errored} error, {s.warned} warn, {s.passed} pass, {s.skipped} skip"
    )
    if outcome.gating.soft_fail and s.failed:
        line += " (--soft-fail: policy failures do not fail the run)"
    return line


def epilogue(outcome: Outcome, specs: list[OutputSpec]) -> list[str]:
    """Lines for standard error once the outputs are published.

    The decision when any output went to a file (CI logs always show it), and the
    baseline entries that no longer match (to prune them, as with unused exceptions).
    """
    lines = []
    resolved = outcome.gating.resolved
    if resolved:
        lines.append(
            f"note: {len(resolved)} findings-baseline entr{'y' if len(resolved) == 1 else 'ies'} "
            "matched no finding (resolved): "
            + ", ".join(str(r.get("policy")) for r in resolved[:5])
            + (", ..." if len(resolved) > 5 else "")
        )
    if any(spec.path is not None for spec in specs):
        lines.append(decision_line(outcome))
    return lines


def stage_outcome(
    outcome: Outcome,
    fmt: str,
    output: str | None,
    *,
    force: bool,
    show_passed: bool = False,
    source_file: str | None = None,
    context: RenderContext | None = None,
    screen: Screen | None = None,
) -> Staged:
    """Render the outcome as `fmt` and stage it (nothing is shown until it is published)."""
    return stage(
        render_outcome_bytes(
            outcome,
            fmt,
            terminal=output is None,
            show_passed=show_passed,
            source_file=source_file,
            context=context,
            screen=screen,
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
    context: RenderContext | None = None,
    screen: Screen | None = None,
) -> bytes:
    """Return the outcome as `fmt`; SARIF results without a manifest line point at `source_file`."""
    ctx = context or RenderContext(change_file=source_file)
    change = ctx.change_file or source_file
    # renderers are imported when used: rich alone is a tenth of the start-up of a JSON run
    if fmt == "table":
        from regulens.reports.screen import Screen
        from regulens.reports.table import render_table

        shown = screen if terminal and screen is not None else Screen()
        return render_table(outcome, shown, show_passed=show_passed).encode()
    if fmt == "json":
        from regulens.reports.json_report import render_json

        return render_json(outcome)
    from regulens.reports.junit import render_junit
    from regulens.reports.markdown import render_markdown
    from regulens.reports.policyreport import render_policyreport
    from regulens.reports.sarif import render_sarif

    renderers = {
        "sarif": lambda: render_sarif(
            outcome,
            fallback_file=change,
            source_root=ctx.source_root,
            policy_file=ctx.policy_file,
            policies=ctx.policies,
            change_lines=ctx.change_lines,
        ),
        "junit": lambda: render_junit(
            outcome, hostname=ctx.hostname, fallback_file=change or ctx.policy_file
        ),
        "markdown": lambda: render_markdown(outcome),
        "policyreport": lambda: render_policyreport(outcome),
    }
    return renderers[fmt]()
