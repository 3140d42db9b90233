"""Headless Chromium for the HTML report tests: render a file, collect console messages."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.support.components import component_missing

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
_CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\]?\s*(.*)")


def chromium_binary() -> str:
    """The Chromium binary, or skip (fail under CI=true) when it is missing."""
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if found is None:
        component_missing("chromium is not installed: run scripts/components.sh")
    return found


@dataclass
class Rendered:
    """What Chromium made of a page."""

    dom: str
    console: list[str]


def run_chromium(binary: str, page: Path, *extra: str, timeout: float = 90) -> Rendered:
    """Load `page` in a fresh profile; return the DOM (with --dump-dom) and console messages."""
    with tempfile.TemporaryDirectory(prefix="regulens-chromium-") as profile:
        proc = subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 0, stderr[-2000:]
    console = [m.group(1) for line in stderr.splitlines() if (m := _CONSOLE.search(line))]
    return Rendered(proc.stdout.decode("utf-8", "replace"), console)
