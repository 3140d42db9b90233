"""Run the real CLI entry point in-process and capture its exit code and output."""

from __future__ import annotations

import json
from typing import Any

import pytest

from regulens.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `regulens ARGS`; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out.out, out.err


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """Run `regulens ARGS --format json`; return (exit code, parsed output)."""
    code, out, err = run_cli([*args, "--format", "json"], capsys)
    assert out, err
    return code, json.loads(out)
