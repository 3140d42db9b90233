"""The console script: answers `--version` and `--help` without importing the CLI.

`regulens --version` and `regulens --help` are what people and scripts run most
often just to see that the tool is there; importing click and every command
for them cost most of a second. This module imports only the standard
library's `os` and `sys` (already loaded at interpreter start) and the
generated help text (`regulens.entry_help`, drift-tested against click's own
rendering in tests/cli/test_startup.py); anything else is handed to
`regulens.cli.main`, which imports the click group and, lazily, only the
command that runs.
"""

from __future__ import annotations

import os
import sys

from regulens import __version__

_VERSION_ARGS = (["--version"],)
_HELP_ARGS = (["--help"], ["-h"])
#: The group's `max_content_width` (regulens.cli): help wraps at most this wide.
MAX_CONTENT_WIDTH = 100


def help_width() -> int:
    """The width click formats the top-level help at, computed as click does.

    click: `max(min(shutil.get_terminal_size().columns, max_content_width) - 2, 50)`;
    `shutil.get_terminal_size` reads COLUMNS, then the terminal of standard output,
    then falls back to 80 columns.
    """
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return max(min(columns or 80, MAX_CONTENT_WIDTH) - 2, 50)


def fast_answer(args: list[str]) -> str | None:
    """The text for `--version` or `--help` when it needs no click; None otherwise."""
    if args in _VERSION_ARGS:
        return f"regulens, version {__version__}\n"
    if args in _HELP_ARGS:
        from regulens.entry_help import HELP

        text = HELP.get(help_width())
        return None if text is None else text + "\n"
    return None


def _write(text: str) -> int:
    """Write `text` to standard output; a closed or full one is exit 3, as in the CLI."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        try:  # Python flushes stdout again at exit: point it at /dev/null first
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):
            pass
        reason = exc.strerror or type(exc).__name__
        sys.stderr.write(f"error: standard output: cannot write: {reason}\n")
        return 3
    return 0


def main() -> None:
    """The `regulens` console script (and `python -m regulens`)."""
    text = fast_answer(sys.argv[1:])
    if text is not None:
        sys.exit(_write(text))
    from regulens.cli import main as cli_main

    cli_main()
