"""The one composition root: click commands, configuration, exit codes."""

from __future__ import annotations

import gc
import logging
import sys

import click

from regulens import __version__
from regulens.errors import ExitCode, RegulensError


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="regulens")
@click.option("-v", "--verbose", is_flag=True, help="Log each step (never secret values).")
def cli(verbose: bool) -> None:
    """Policy-driven compliance and change engine for Kubernetes platforms."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _register() -> None:
    from regulens.cli import (
        checks,
        evaluate,
        evidence,
        gate,
        rbac,
        report,
        review,
        snapshot,
        validate,
    )

    for module in (checks, evaluate, evidence, gate, rbac, report, review, snapshot, validate):
        module.register(cli)


_register()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI, mapping every user error to its documented exit code (no tracebacks)."""
    # One run builds objects that all live until it ends (parsed manifests, results);
    # the cyclic collector would re-scan them again and again, a third of a big run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _main(argv)
    finally:
        if collecting:
            gc.enable()


def _main(argv: list[str] | None) -> None:
    try:
        code = cli.main(args=argv, prog_name="regulens", standalone_mode=False)
    except RegulensError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(int(ExitCode.USAGE))
    except click.ClickException as exc:
        exc.show()
        sys.exit(int(ExitCode.USAGE))
    sys.exit(int(code) if isinstance(code, int) else 0)
