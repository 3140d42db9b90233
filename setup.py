"""Build hook: the wheel carries the checkout's examples/ as package data (regulens/_examples).

Everything else is declared in pyproject.toml. The examples stay at the repository root
(the README and the tests use them there); `regulens examples --extract DIR` copies them out
of an installed wheel.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES = Path(__file__).resolve().parent / "examples"


class BuildWithExamples(build_py):
    """Copy examples/ into the built package; an editable install reads the checkout."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        if not (EXAMPLES / "platform").is_dir():
            raise SystemExit("setup.py: examples/ is missing; build from a checkout or the sdist")
        target = Path(self.build_lib) / "regulens" / "_examples"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))


setup(cmdclass={"build_py": BuildWithExamples})
