"""Every command of the README's portal section runs here with its documented exit code."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.components import component_missing

SECTION = "## The portal (`regulens serve`)"


def _commands() -> list[tuple[str, int]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", 1)]
    block = section[section.index("```console\n") + 11 :]
    block = block[: block.index("```")]
    out = []
    for line in block.splitlines():
        match = re.fullmatch(r"(.+?)\s+# exit (\d+)", line)
        assert match, f"README line without `# exit N`: {line}"
        out.append((match.group(1), int(match.group(2))))
    return out


def test_readme_portal_commands() -> None:
    for name in ("regulens-readme-tokens.json", "regulens-readme-no-tokens.json"):
        Path("/tmp", name).unlink(missing_ok=True)
    commands = _commands()
    assert len(commands) >= 6
    for command, expected in commands:
        argv = shlex.split(command)
        if argv[0] == "regulens":
            argv = [sys.executable, "-m", "regulens", *argv[1:]]
        else:
            found = shutil.which(argv[0])
            if found is None:
                component_missing(f"{argv[0]} is not installed (Debian package prometheus)")
            argv[0] = found
        proc = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        assert proc.returncode == expected, (command, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
    Path("/tmp/regulens-readme-tokens.json").unlink(missing_ok=True)


@pytest.mark.parametrize("needle", ["--bundle-key", "--allow-unverified", "--ssl-certfile"])
def test_readme_names_only_real_options(needle: str) -> None:
    from click.testing import CliRunner

    from regulens.cli import cli

    assert needle in CliRunner().invoke(cli, ["serve", "--help"]).output
