"""The one composition root: click commands, configuration, exit codes."""

from __future__ import annotations

import errno
import gc
import importlib
import io
import logging
import sys
from dataclasses import dataclass
from typing import Any

import click

from regulens import __version__
from regulens.display import printable
from regulens.errors import ConfigError, ExitCode, RegulensError


@dataclass
class Invocation:
    """What the top-level error handler needs to know about this one run."""

    verbose: bool = False


class _PrintableFormatter(logging.Formatter):
    """Log lines never carry raw control characters from inputs."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), keep_newlines=True)


#: Every top-level command: its name, and the module and attribute that define it. A
#: command's module is imported only when that command runs (or is listed by the help), so
#: `regulens validate` does not import the evidence store, the reports or the cluster client.
COMMANDS: dict[str, str] = {
    "baseline": "regulens.cli.baseline:baseline_group",
    "checks": "regulens.cli.checks:checks",
    "evaluate": "regulens.cli.evaluate:evaluate_cmd",
    "evidence": "regulens.cli.evidence:evidence_group",
    "examples": "regulens.cli.examples:examples",
    "gate": "regulens.cli.gate:gate_cmd",
    "keys": "regulens.cli.evidence:keys_group",
    "rbac": "regulens.cli.rbac:rbac",
    "report": "regulens.cli.report:report_cmd",
    "review": "regulens.cli.review:review_group",
    "serve": "regulens.cli.serve:serve_group",
    "snapshot": "regulens.cli.snapshot:snapshot_cmd",
    "test": "regulens.cli.test:test_cmd",
    "validate": "regulens.cli.validate:validate",
}


class _Root(click.Group):
    """The command group: commands load on first use; a closed stdout is never click's exit 1."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None and cmd_name in COMMANDS:
            module_name, _, attribute = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise TypeError(f"{COMMANDS[cmd_name]} is not the command {cmd_name!r}")
            self.add_command(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            from regulens.cli.output import silence_stdout

            silence_stdout()
            raise ConfigError("standard output: cannot write: Broken pipe") from None


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="regulens")
@click.option("-v", "--verbose", is_flag=True, help="Log each step (never secret values).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Policy-driven compliance and change engine for Kubernetes platforms."""
    ctx.ensure_object(Invocation).verbose = verbose
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])


def main(argv: list[str] | None = None) -> None:
    """Run the CLI, mapping every error to its documented exit code (no tracebacks).

    User errors exit with their own code; any other exception is a bug and exits 5
    (`ExitCode.INTERNAL`), never 0 or 1, with the traceback in a private file.
    """
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
    invocation = Invocation()
    try:
        code = cli.main(args=argv, prog_name="regulens", standalone_mode=False, obj=invocation)
    except RegulensError as exc:
        click.echo(f"error: {exc.render()}", err=True)
        sys.exit(int(exc.exit_code))
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(int(ExitCode.USAGE))
    except click.ClickException as exc:  # click's usage errors (its own code 2) exit 3
        shown = io.StringIO()
        exc.show(file=shown)
        click.echo(printable(shown.getvalue(), keep_newlines=True), err=True, nl=False)
        sys.exit(int(ExitCode.USAGE))
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected exception ends
        from regulens.cli.crash import crash_report

        click.echo(crash_report(exc, verbose=invocation.verbose), err=True)
        sys.exit(int(ExitCode.INTERNAL))
    sys.exit(int(code) if isinstance(code, int) else 0)
