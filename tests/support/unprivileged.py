"""Run a check where file permissions really apply, also when the tests run as root.

Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE), so `chmod 000` alone
tests nothing there. The child process imports what it needs while still
root (also what regulens imports only on first use: CEL, croniter; the
interpreter lives under /root, which nobody cannot enter), then
drops to the `nobody` user and group for good (setgroups, setgid, setuid) and
first proves the drop worked: opening the denied path must fail with
PermissionError, or the child exits with an error instead of a result.
Not root: the child runs as the current user, whose permissions apply anyway.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534

_CHILD = """
import json, os, sys
{imports}
# what regulens imports on first use (start-up): nobody cannot read the interpreter's stdlib
import croniter, regulens.engine.cel_runtime
denied = {denied!r}
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid({nobody})
    os.setuid({nobody})
try:
    if os.path.isdir(denied):
        os.listdir(denied)
    else:
        open(denied, "rb").close()
except PermissionError:
    pass
else:
    sys.exit("the privilege drop did not take: " + denied + " is still readable")
def main():
{body}
print(json.dumps(main()))
"""


@contextmanager
def shared_tmp() -> Iterator[Path]:
    """A temporary directory that the unprivileged child can enter (pytest's is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="regulens-unprivileged-", dir="/tmp"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        for dirpath, dirnames, _ in os.walk(path):
            for name in dirnames:
                Path(dirpath, name).chmod(0o755)
        subprocess.run(["rm", "-rf", str(path)], check=True)


def run_unprivileged(imports: str, body: str, denied: Path) -> Any:
    """Run `body` (a function body returning JSON data) as nobody; return what it returned."""
    script = _CHILD.format(
        imports=imports,
        denied=str(denied),
        nobody=NOBODY,
        body="\n".join("    " + line for line in body.strip().splitlines()),
    )
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
