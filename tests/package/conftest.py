"""The built distributions, once per session: sdist and wheel from `python -m build`."""

from __future__ import annotations

import os
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


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess that must not see this checkout's src/ (PYTHONPATH:
    pip would take the checkout and its egg-info as already installed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed into a fresh venv outside the repository, by the GitHub Action's
    own install step (ci/install.sh, as the action runs it); returns the venv's bin/."""
    runner_temp = tmp_path_factory.mktemp("runner-temp")
    github_path = runner_temp / "github_path"
    done = subprocess.run(
        ["bash", str(ROOT / "ci" / "install.sh")],
        cwd=runner_temp,
        env=clean_env(
            RUNNER_TEMP=str(runner_temp),
            GITHUB_PATH=str(github_path),
            REGULENS_REQUIREMENT=str(dists.wheel),
        ),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    bindir = runner_temp / "regulens-venv" / "bin"
    assert github_path.read_text() == f"{bindir}\n"
    assert done.stdout.strip().endswith("regulens, version 0.1.0")
    return bindir
