"""The README's "Use it in CI" walk-through runs as written, each command with its exit code."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT

BLOCK = re.compile(r"<!-- ci-walkthrough -->\n```console\n(.*?)```\n<!-- /ci-walkthrough -->", re.S)
EXIT = re.compile(r"\s+# exit (\d+)$")


def steps() -> list[tuple[str, int]]:
    """Return (command, expected exit code) of each `$ ` command of the README block."""
    match = BLOCK.search((ROOT / "README.md").read_text("utf-8"))
    assert match is not None, "the README lost its ci-walkthrough block"
    out: list[tuple[str, int]] = []
    current: list[str] = []
    for raw in match.group(1).splitlines():
        if not current:
            assert raw.startswith("$ "), raw
        line = raw if current else raw[2:]
        code = EXIT.search(line)
        if code is None:
            assert line.endswith("\\"), f"a command without '# exit N': {line}"
            current.append(line)
            continue
        current.append(line[: code.start()])
        out.append(("\n".join(current), int(code.group(1))))
        current = []
    assert not current
    return out


def test_the_readme_ci_walkthrough_runs_with_the_exit_codes_it_shows(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "regulens"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m regulens "$@"\n')
    shim.chmod(0o755)
    (tmp_path / "examples").symlink_to(EXAMPLES)
    script = ["set -u"]
    commands = steps()
    assert len(commands) >= 8
    for i, (command, code) in enumerate(commands):
        script.append(command)
        script.append(
            f'rc=$?; if [ "$rc" != {code} ]; then '
            f'echo "step {i} exited $rc, expected {code}" >&2; exit 100; fi'
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGULENS_", "CI"))}
    env |= {"PATH": f"{bin_dir}:{env.get('PATH', '')}", "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=False, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads((tmp_path / "gate.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert (tmp_path / "gate.xml").read_text().startswith("<?xml")
    assert "allow" in (tmp_path / "summary.md").read_text().lower()  # the second run's
    first = json.loads((tmp_path / "first-run.sarif").read_text())
    assert first["runs"][0]["results"]  # the first (denied) run, re-rendered
    baseline = json.loads((tmp_path / ".regulens-baseline.json").read_text())
    subjects = [e["subject"] for e in baseline["findings"]]
    assert any(s.startswith("cve:CVE-2023-38545 libcurl4") for s in subjects), subjects
    assert "decision: deny (exit 1)" in proc.stderr and "decision: allow (exit 0)" in proc.stderr
    assert "gate has no --soft-fail" in proc.stderr
