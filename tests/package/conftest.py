"""The built distributions, once per session: sdist and wheel from `python -m build`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.components import component_missing

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dists:
    """The files `python -m build` wrote."""

    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """Build the sdist, then the wheel from it, the way a release is built (isolated)."""
    try:
        import build  # noqa: F401 - the PyPI `build` package (dev extra)
    except ImportError:
        component_missing("the PyPI `build` package (dev extra) is not installed")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    wheels = sorted(out.glob("regulens-*.whl"))
    sdists = sorted(out.glob("regulens-*.tar.gz"))
    assert len(wheels) == 1, wheels
    assert len(sdists) == 1, sdists
    return Dists(wheel=wheels[0], sdist=sdists[0])
