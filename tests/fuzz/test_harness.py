"""The atheris harnesses of `make fuzz` start and run their seeds (only where atheris is)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.support import ROOT

pytest.importorskip("atheris", reason="the optional fuzz extra (make fuzz) is not installed")


@pytest.mark.parametrize("target", ["policies", "manifests", "trivy", "datafiles", "bundle"])
def test_harness_runs_its_seeds(target: str, tmp_path: Path) -> None:
    path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    env = {**os.environ, "PYTHONPATH": path, "FUZZ_WORK": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "fuzz" / "harness.py"), target, "5", "-runs=20"],
        capture_output=True, text=True, timeout=120, env=env, check=False, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Done 20 runs" in proc.stderr
