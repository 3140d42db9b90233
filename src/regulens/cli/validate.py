"""`regulens validate`: strictly load policy files and packs."""

from __future__ import annotations

import click
import orjson

from regulens.cli.common import format_option
from regulens.display import printable
from regulens.errors import ConfigError, DocumentError, ExitCode, Problem
from regulens.policies import load_policies


@click.command()
@click.argument("paths", nargs=-1, required=True)
@format_option(("table", "json"))
def validate(paths: tuple[str, ...], fmt: str) -> int:
    """Validate policy files, directories or builtin:NAME packs (exit 3 on any problem).

    `--format json` prints {"valid", "policies", "sets", "files", "problems"}, each
    problem with file, line, column, path and message (for editors and CI
    annotations), and still exits 3 when there is one.
    """
    try:
        loaded = load_policies(paths)
    except ConfigError as exc:
        if fmt != "json":
            raise
        problems = exc.problems if isinstance(exc, DocumentError) else [_unlocated(exc)]
        _print_json(valid=False, counts=(0, 0, 0), problems=problems)
        return int(ExitCode.USAGE)
    counts = (len(loaded.policies), len(loaded.sets), len(loaded.sources))
    if fmt == "json":
        _print_json(valid=True, counts=counts, problems=[])
    else:
        policies, sets, files = counts
        click.echo(f"ok: {policies} policies in {sets} policy set(s) from {files} file(s)")
    return int(ExitCode.ALLOW)


def _unlocated(exc: ConfigError) -> Problem:
    """A problem the loader could not place in a document (a missing file, an unknown pack)."""
    message = exc.message + (f" ({exc.hint})" if exc.hint else "")
    return Problem(file="", line=None, column=None, path="", message=message)


def _print_json(*, valid: bool, counts: tuple[int, int, int], problems: list[Problem]) -> None:
    doc = {
        "valid": valid,
        "policies": counts[0],
        "sets": counts[1],
        "files": counts[2],
        "problems": [
            {
                "file": printable(p.file) or None,
                "line": p.line,
                "column": p.column,
                "path": printable(p.path),
                "message": printable(p.message),
            }
            for p in problems
        ],
    }
    click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
