"""The atheris harnesses of `make fuzz` start and run their seeds (atheris is in the dev extra)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.support import ROOT
from tests.support.components import component_missing


@pytest.mark.parametrize("target", ["policies", "manifests", "trivy", "datafiles", "bundle"])
def test_harness_runs_its_seeds(target: str, tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        component_missing("atheris (the dev extra) is not installed")
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env = {**os.environ, "PYTHONPATH": path, "FUZZ_WORK": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "harness.py"), target, "5", "-runs=20"],
        capture_output=True, text=True, timeout=120, env=env, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 20 runs" in proc.stderr
