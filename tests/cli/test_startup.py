"""Start-up: a command imports only what it uses (issue 17).

The console script (`regulens.entry`) answers `--version` and `--help` from
the standard library and a generated text; every other command loads the
click group and, lazily, its own module. These tests run the installed
console script in a subprocess with `-X importtime` (which names every module
the process imported) and assert that the heavy libraries a command does not
need stay unimported, so start-up cannot regress silently. Speed itself is
measured by bench/startup.py, never asserted here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import regulens
import regulens.cli
from regulens import entry
from regulens.cli import COMMANDS, cli, fast_help

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCRIPT = Path(sys.executable).parent / "regulens"

#: Libraries no command that only parses and validates policies may import.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "kubernetes",
    "jinja2",
    "rich",
    "httpx",
    "cryptography",
    "matplotlib",
    "starlette",
    "uvicorn",
    "prometheus_client",
    "jsonschema",
    "croniter",
)
#: ... and what `--version` and `--help` must not import either.
CLI_AND_MODELS = ("click", "pydantic", "pydantic_core", "yaml", "yaml_rs", "cel", "re2")
#: Runs the console script's entry (`regulens.entry:main`, what the installed script calls)
#: and writes the names in sys.modules, as the process ends, to the file named by argv[1].
_DUMP = (
    "import atexit, sys\n"
    "def _dump(path=sys.argv.pop(1)):\n"
    "    with open(path, 'w') as fh:\n"
    "        fh.write('\\n'.join(sorted(sys.modules)))\n"
    "atexit.register(_dump)\n"
    "sys.argv[0] = 'regulens'\n"
    "from regulens.entry import main\n"
    "main()\n"
)


def imported(*args: str, expect: int = 0, env: dict[str, str] | None = None, tmp: Path) -> set[str]:
    """Run the console script's entry; the names of the modules imported when it exits."""
    dump = tmp / "modules.txt"
    proc = subprocess.run(
        [sys.executable, "-c", _DUMP, str(dump), *args],
        capture_output=True, text=True, cwd=ROOT, check=False,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert proc.returncode == expect, proc.stderr[-2000:]
    modules = set(dump.read_text().split())
    assert "regulens.entry" in modules  # the dump was written
    return modules


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The members of `packages` (or their submodules) among `modules`."""
    return sorted(p for p in packages if any(m == p or m.startswith(f"{p}.") for m in modules))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["-h"]])
def test_version_and_help_import_neither_click_nor_any_library(
    args: list[str], tmp_path: Path
) -> None:
    for columns in ("80", "120"):  # the two widths the help is kept for
        modules = imported(*args, env={"COLUMNS": columns}, tmp=tmp_path)
        assert loaded(modules, (*HEAVY, *CLI_AND_MODELS)) == []
        assert not any(m.startswith("regulens.cli") for m in modules), sorted(modules)
        assert "importlib.metadata" not in modules


def test_validate_imports_no_store_report_or_cluster_library(tmp_path: Path) -> None:
    modules = imported("validate", str(EXAMPLES / "policies"), tmp=tmp_path)
    assert loaded(modules, HEAVY) == []
    assert "regulens.cli.validate" in modules
    others = {m for m in modules if m.startswith("regulens.cli.")} - {
        "regulens.cli.validate",
        "regulens.cli.common",
    }
    # the other commands' modules stay unloaded (lazy subcommands)
    assert not {m for m in others if m.rpartition(".")[2] in _command_modules()}, others
    assert loaded(modules, ("regulens.evidence", "regulens.serve")) == []
    reports = {m for m in modules if m.startswith("regulens.reports.")}
    assert reports <= {"regulens.reports.screen"}, reports  # the --color option's names only


def test_validate_of_policies_without_cel_does_not_import_cel(tmp_path: Path) -> None:
    modules = imported("validate", str(EXAMPLES / "policies"), tmp=tmp_path)
    assert loaded(modules, ("cel", "regulens.engine.cel_runtime")) == []


def test_validate_of_a_cel_policy_still_compiles_cel(tmp_path: Path) -> None:
    policy = tmp_path / "cel.yaml"
    policy.write_text(
        "apiVersion: regulens/v1\nkind: PolicySet\nmetadata: {name: p, version: '1'}\n"
        "policies:\n  - id: bad-cel\n    severity: low\n    check:\n"
        "      type: resource-condition\n      kinds: [Deployment]\n"
        "      condition: 'object.spec.replicas >'\n"
    )
    proc = subprocess.run(
        [str(SCRIPT), "validate", str(policy)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 3, proc.stderr
    assert "bad-cel" in proc.stderr or "cel.yaml" in proc.stderr


# --- the fast --version and --help are the real ones ------------------------------------


def _click_help(columns: str) -> subprocess.CompletedProcess[str]:
    """`regulens --help` through click itself (regulens.cli.main), at `columns`."""
    return subprocess.run(
        [sys.executable, "-c", "from regulens.cli import main; main(['--help'])"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": columns},
    )  # fmt: skip


@pytest.mark.parametrize("columns", ["80", "100", "120", "60", "0"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_the_fast_help_equals_clicks_help(columns: str, flag: str) -> None:
    fast = subprocess.run(
        [str(SCRIPT), flag], capture_output=True, text=True, check=False,
        env={**os.environ, "COLUMNS": columns},
    )  # fmt: skip
    real = _click_help(columns)
    assert (fast.returncode, fast.stdout, fast.stderr) == (0, real.stdout, "")
    assert real.returncode == 0 and real.stdout.startswith("Usage: regulens [OPTIONS]")


def test_the_kept_help_texts_are_click_rendering_at_their_widths() -> None:
    from regulens.entry_help import HELP

    assert sorted(HELP) == sorted(fast_help.WIDTHS)
    for width, text in HELP.items():
        assert text == fast_help.render(width)
    assert fast_help.TARGET.read_text(encoding="utf-8") == fast_help.module_text()


def test_the_help_width_is_computed_as_click_computes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns, width in (("80", 78), ("200", 98), ("100", 98), ("30", 50), ("79", 77)):
        monkeypatch.setenv("COLUMNS", columns)
        assert entry.help_width() == width
        formatter = click.HelpFormatter(max_width=entry.MAX_CONTENT_WIDTH)
        assert formatter.width == width
    assert cli.context_settings["max_content_width"] == entry.MAX_CONTENT_WIDTH


def test_the_fast_version_equals_clicks_version() -> None:
    fast = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, check=False)
    real = subprocess.run(
        [sys.executable, "-c", "from regulens.cli import main; main(['--version'])"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (fast.returncode, fast.stdout, fast.stderr) == (0, real.stdout, "")
    assert fast.stdout == f"regulens, version {regulens.__version__}\n"


def test_the_version_constant_is_the_installed_version() -> None:
    # pyproject.toml reads regulens.__version__; a stale editable install would differ
    assert regulens.__version__ == importlib.metadata.version("regulens")


def test_the_console_script_and_python_dash_m_call_the_entry() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT}: the console script is not installed (make install)"
    assert "from regulens.entry import main" in SCRIPT.read_text()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "regulens", "--version"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == f"regulens, version {regulens.__version__}\n"
    assert "regulens.entry" in proc.stderr and "click" not in proc.stderr


def test_a_closed_stdout_on_the_fast_path_is_exit_3_not_a_traceback() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [str(SCRIPT), "--help"], stdout=write, stderr=subprocess.PIPE, text=True, check=False
        )
    finally:
        os.close(write)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr == "error: standard output: cannot write: Broken pipe\n"


# --- lazy subcommands --------------------------------------------------------------------


def _command_modules() -> set[str]:
    return {target.partition(":")[0].rpartition(".")[2] for target in COMMANDS.values()}


def test_every_lazy_command_loads_under_its_name() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert cli.get_command(ctx, "no-such-command") is None


def test_every_command_defined_in_the_cli_package_is_registered() -> None:
    """A command module added without a line in COMMANDS would be unreachable."""
    top: set[str] = set()
    nested: set[int] = set()
    for info in pkgutil.iter_modules(regulens.cli.__path__):
        module = importlib.import_module(f"regulens.cli.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Group) and value is not cli:  # cli holds loaded ones
                nested.update(id(c) for c in value.commands.values())
        for attribute, value in vars(module).items():
            callback = getattr(value, "callback", None)
            if isinstance(value, click.Command) and callback.__module__ == module.__name__:
                top.add(f"{module.__name__}:{attribute}")
    defined = {
        target
        for target in top
        if id(getattr(importlib.import_module(target.partition(":")[0]), target.partition(":")[2]))
        not in nested
    }
    assert defined - {"regulens.cli:cli"} == set(COMMANDS.values())


def test_an_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run([str(SCRIPT), "valdate"], capture_output=True, text=True, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "No such command 'valdate'" in proc.stderr
