"""Kubeconfig exec credential plugins: their stderr is shown only with -v, never leaked.

A real plugin (a script) writes a fake secret to stderr. Before, the client
handed a terminal's stderr to the plugin, and logged a failing plugin's stderr
at ERROR (printed without -v); now stderr is captured and logged only at INFO.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import ROOT
from tests.support.fake_apiserver import FakeApiServer

SECRET = "FAKE-SECRET-c0ffee-do-not-print"
SELECT = ["--select", "rbac-no-wildcards", "--now", "2026-11-30T02:10:00Z"]


def _plugin(tmp_path: Path, *, exit_code: int = 0, sleep: float = 0, token: str) -> Path:
    script = tmp_path / "credential-plugin.py"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token},
    }
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, time\n"
        f"sys.stderr.write('debug: minted token {SECRET}\\x1b[2J\\n')\n"
        "sys.stderr.flush()\n"
        f"time.sleep({sleep})\n"
        f"print({orjson.dumps(credential).decode()!r})\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(0o755)
    return script


def _kubeconfig(tmp_path: Path, server: FakeApiServer, plugin: Path) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server.url}}],
        "users": [
            {
                "name": "exec-user",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1",
                        "command": str(plugin),
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "exec-user"}}],
        "current-context": "fake",
    }
    path = tmp_path / "kubeconfig"
    path.write_bytes(orjson.dumps(config))
    return path


def _args(kubeconfig: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "regulens", *extra, "evaluate", "--policies",
        "builtin:ops-baseline", "--cluster", "--kubeconfig", str(kubeconfig), *SELECT,
    ]  # fmt: skip


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)


@pytest.mark.parametrize("verbose", [False, True])
def test_a_working_plugin_s_stderr_only_shows_with_verbose(tmp_path: Path, verbose: bool) -> None:
    with FakeApiServer() as server:
        kubeconfig = _kubeconfig(tmp_path, server, _plugin(tmp_path, token=server.fake.token))
        done = _run(_args(kubeconfig, *(["-v"] if verbose else [])))
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout
    assert (SECRET in done.stderr) is verbose, done.stderr
    assert "\x1b" not in done.stderr  # shown with -v, control characters escaped


@pytest.mark.parametrize("verbose", [False, True])
def test_a_failing_plugin_is_exit_2_and_its_stderr_only_shows_with_verbose(
    tmp_path: Path, verbose: bool
) -> None:
    with FakeApiServer() as server:
        plugin = _plugin(tmp_path, exit_code=1, token="unused")
        done = _run(_args(_kubeconfig(tmp_path, server, plugin), *(["-v"] if verbose else [])))
    assert done.returncode == 2, done.stderr
    assert "exec plugin failed: credential-plugin.py exited with status 1" in done.stderr
    assert SECRET not in done.stdout
    assert (SECRET in done.stderr) is verbose, done.stderr


def test_a_plugin_never_gets_the_terminal_s_stderr(tmp_path: Path) -> None:
    # on a terminal the client passed its own stderr to the plugin: the secret reached the screen
    with FakeApiServer() as server:
        kubeconfig = _kubeconfig(tmp_path, server, _plugin(tmp_path, token=server.fake.token))
        primary, secondary = pty.openpty()
        try:
            process = subprocess.Popen(
                _args(kubeconfig), stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT
            )
            os.close(secondary)
            screen = b""
            ends = time.monotonic() + 60
            while time.monotonic() < ends:
                ready, _, _ = select.select([primary], [], [], 0.5)
                if ready:
                    try:
                        chunk = os.read(primary, 65536)
                    except OSError:  # the terminal closed: the program ended
                        break
                    if not chunk:
                        break
                    screen += chunk
                elif process.poll() is not None:
                    break
            code = process.wait(timeout=10)
        finally:
            os.close(primary)
    assert code == 0, screen
    assert b"ALLOW" in screen
    assert SECRET.encode() not in screen


def test_a_hanging_plugin_ends_within_the_deadline(tmp_path: Path) -> None:
    with FakeApiServer() as server:
        plugin = _plugin(tmp_path, sleep=30, token=server.fake.token)
        started = time.monotonic()
        done = _run([*_args(_kubeconfig(tmp_path, server, plugin)), "--deadline", "2"])
        elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert "did not finish within the deadline" in done.stderr
    assert elapsed < 2 + 5  # the interpreter and the client's import take a few seconds
    assert SECRET not in done.stderr
