"""Progress: bars per kind on a terminal, quiet in CI and pipes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.progress import Progress

from regulens.cli import progress as progress_module
from regulens.cli.progress import RichListProgress, interactive, list_progress
from regulens.sources.kubernetes import NoProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_quiet_in_ci_and_pipes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module.sys, "stderr", _Tty())
    monkeypatch.setenv("CI", "true")
    assert not interactive()
    with list_progress() as sink:
        assert isinstance(sink, NoProgress)
    monkeypatch.delenv("CI")
    assert interactive()
    monkeypatch.setattr(progress_module.sys, "stderr", io.StringIO())
    assert not interactive()


def test_bars_show_totals_and_gaps() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100)
    with Progress(console=console, auto_refresh=False) as bars:
        sink = RichListProgress(bars)
        sink.started("Pod")
        sink.page("Pod", 500, 1500)
        task = bars.tasks[0]
        assert task.completed == 500 and task.total == 2000
        sink.started("ClusterRole")
        sink.finished("ClusterRole", 0, "403")
        assert "not read: 403" in bars.tasks[1].description
