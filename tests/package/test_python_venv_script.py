"""scripts/python-venv.sh (run by `make install`): a python3 without ensurepip gets Debian's
python3-venv from apt; one that has it is left alone; without apt it stops with a message."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.package.conftest import ROOT

SCRIPT = ROOT / "scripts" / "python-venv.sh"


def _fake_tools(tmp_path: Path, *, with_apt: bool, has_venv: bool) -> tuple[Path, Path, Path]:
    bindir, log, mark = tmp_path / "bin", tmp_path / "apt.log", tmp_path / "installed"
    bindir.mkdir()
    if has_venv:
        mark.touch()
    python = bindir / "python3"
    python.write_text(
        "#!/bin/bash\n"
        f'[ -f "{mark}" ] && exit 0\n'
        'case "$2" in *version_info*) echo 3.11; exit 0;; esac\n'
        "echo \"No module named 'ensurepip'\" >&2; exit 1\n"
    )
    if with_apt:
        apt = bindir / "apt-get"
        apt.write_text(
            f'#!/bin/bash\necho "$@" >> "{log}"\ncase "$*" in *install*) : > "{mark}";; esac\n'
        )
        apt.chmod(0o755)
    python.chmod(0o755)
    (bindir / "id").symlink_to("/usr/bin/id")
    return bindir, log, python


def _run(bindir: Path, python: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(bindir), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["/bin/bash", str(SCRIPT), str(python)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_python_without_ensurepip_gets_python3_venv_from_apt(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        import pytest

        pytest.skip("the script calls sudo when not root")
    bindir, log, python = _fake_tools(tmp_path, with_apt=True, has_venv=False)
    done = _run(bindir, python)
    assert done.returncode == 0, done.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].split()[-2:] == ["python3-venv", "python3.11-venv"]
    assert "installing python3-venv" in done.stdout


def test_a_python_with_venv_is_left_alone(tmp_path: Path) -> None:
    bindir, log, python = _fake_tools(tmp_path, with_apt=True, has_venv=True)
    done = _run(bindir, python)
    assert done.returncode == 0, done.stderr
    assert not log.exists()


def test_without_apt_it_stops_and_says_what_is_missing(tmp_path: Path) -> None:
    bindir, _, python = _fake_tools(tmp_path, with_apt=False, has_venv=False)
    done = _run(bindir, python)
    assert done.returncode == 1
    assert "no ensurepip/venv and apt-get is not available" in done.stderr
