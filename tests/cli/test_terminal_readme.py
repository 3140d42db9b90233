"""The README's terminal-output and kustomize commands run with the exit codes they show."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT
from tests.sources.test_kustomize import kubectl  # noqa: F401 - the fixture

EXIT = re.compile(r"\s+# exit (\d+)$")


def block(marker: str) -> list[tuple[str, int]]:
    """The (command, exit code) lines of the README console block between the markers."""
    pattern = rf"<!-- {marker} -->\n```console\n(.*?)```\n<!-- /{marker} -->"
    match = re.search(pattern, (ROOT / "README.md").read_text("utf-8"), re.S)
    assert match is not None, f"the README lost its {marker} block"
    out = []
    for line in match.group(1).splitlines():
        code = EXIT.search(line)
        assert code is not None, f"a command without '# exit N': {line}"
        out.append((line[: code.start()], int(code.group(1))))
    return out


def run_block(marker: str, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "regulens"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m regulens "$@"\n')
    shim.chmod(0o755)
    (tmp_path / "examples").symlink_to(EXAMPLES)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGULENS_", "CI"))}
    env |= {"PATH": f"{bin_dir}:{env.get('PATH', '')}", "PYTHONPATH": str(ROOT / "src")}
    commands = block(marker)
    assert commands
    for command, code in commands:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == code, (command, proc.stdout, proc.stderr)
        assert "\x1b" not in proc.stdout  # not a terminal (and NO_COLOR where given)


def test_the_terminal_output_commands(tmp_path: Path) -> None:
    run_block("terminal-readme", tmp_path)


@pytest.mark.usefixtures("kubectl")
def test_the_kustomize_commands(tmp_path: Path) -> None:
    run_block("kustomize-readme", tmp_path)
