"""OSCAL validation through compliance-trestle, in its own virtual environment."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import ROOT
from tests.support.components import component_missing

OSCAL_PYTHON = ROOT / ".venv-oscal" / "bin" / "python"
SCRIPT = Path(__file__).with_name("oscal_validate.py")


def validate_oscal(path: Path) -> None:
    """Assert that `path` is valid OSCAL assessment-results (skip when trestle is absent)."""
    if not OSCAL_PYTHON.exists():
        component_missing("compliance-trestle is not installed: run `make oscal-venv`")
    proc = subprocess.run(
        [str(OSCAL_PYTHON), str(SCRIPT), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"OSCAL {proc.stdout.strip()[:3000]} {proc.stderr[-1000:]}"
