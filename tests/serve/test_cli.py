"""`regulens serve` on the command line: tokens, the loopback rule, lazy imports, start and stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.reports.month import Month, run_cli
from tests.serve.conftest import free_port


def test_tokens_add_prints_the_token_once_and_stores_its_hash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = tmp_path / "tokens.json"
    assert run_cli("serve", "tokens", "add", "--tokens", str(tokens), "alice") == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert re.fullmatch(r"rgl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    assert "shown only this once" in err and token not in err
    assert token.split("_", 2)[2] not in tokens.read_text()
    assert run_cli("serve", "tokens", "add", "--tokens", str(tokens), "alice") == 3
    assert "exists already" in capsys.readouterr().err
    assert run_cli("serve", "tokens", "list", "--tokens", str(tokens)) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("alice\t") and token not in listed


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "\u202eevil", "a\x1b[2J"])
def test_tokens_add_rejects_bad_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    assert run_cli("serve", "tokens", "add", "--tokens", str(tmp_path / "t.json"), name) == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err


@pytest.mark.parametrize(
    "content", [b"{", b"[]", b'{"tokens": [{"name": "a"}]}', b'{"tokens": "x"}', b"\xff"]
)
def test_malformed_token_file_is_a_config_error(
    tmp_path: Path, month: Month, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_bytes(content)
    code = run_cli("serve", "--evidence", month.url, "--tokens", str(tokens), "--port", "0")
    assert code == 3
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.1", "example.com"])
def test_refuses_to_listen_beyond_loopback_without_tokens(
    tmp_path: Path, month: Month, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    code = run_cli(
        "serve", "--evidence", month.url, "--tokens", str(tmp_path / "none.json"), "--host", host
    )
    assert code == 3
    assert "refusing to listen" in capsys.readouterr().err


def test_missing_store_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        "serve", "--evidence", f"sqlite:///{tmp_path / 'nope.db'}",
        "--tokens", str(tmp_path / "none.json"),
    )  # fmt: skip
    assert code == 4
    assert not (tmp_path / "nope.db").exists()


def test_version_does_not_import_the_server() -> None:
    code = (
        "import sys; from regulens.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('starlette', 'uvicorn', 'prometheus_client', 'argon2') "
        "if m in sys.modules]\nprint('loaded:', bad)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "loaded: []" in proc.stdout, proc.stdout


def test_serve_starts_answers_and_stops_on_sigterm(month: Month, tmp_path: Path) -> None:
    """The long-running `regulens serve` line of docs/reports.md: started, used, stopped."""
    tokens = tmp_path / "tokens.json"
    env = {**os.environ, "REGULENS_SERVE_TOKENS": str(tokens)}
    added = subprocess.run(
        [sys.executable, "-m", "regulens", "serve", "tokens", "add", "auditor"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    token = added.stdout.strip()
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "regulens", "serve", "--evidence", month.url,
         "--public-key", str(month.public_key), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.05)
        startup = time.monotonic() - started
        headers = {"authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/streams", headers=headers, timeout=30).status_code == 200
        latencies = []
        for _ in range(5):
            t = time.perf_counter()
            assert (
                httpx.get(f"{url}/reports/2026-11", headers=headers, timeout=60).status_code == 200
            )
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        print(f"serve start-up {startup:.2f} s; month report median {latencies[2] * 1000:.0f} ms")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"at http://127.0.0.1:{port}/ (1 sign-in token(s))" in err
    assert token not in err
