"""Progress of long collections: a rich bar per kind on a terminal, nothing in CI or pipes."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from regulens.sources.kubernetes import ListProgress, NoProgress

if TYPE_CHECKING:  # rich is imported only when bars are drawn (a terminal, not CI)
    from rich.progress import Progress, TaskID


def interactive() -> bool:
    """Whether to draw progress: stderr is a terminal and this is not CI (`CI=true`)."""
    return sys.stderr.isatty() and os.environ.get("CI", "").lower() != "true"


class RichListProgress:
    """One progress bar per listed kind."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def started(self, label: str) -> None:
        """Add a bar for the list."""
        self._tasks[label] = self._progress.add_task(label, total=None)

    def page(self, label: str, items: int, remaining: int | None) -> None:
        """Advance the bar; the server's remainingItemCount gives the total."""
        total = None if remaining is None else items + remaining
        self._progress.update(self._tasks[label], completed=items, total=total)

    def finished(self, label: str, items: int, gap: str | None) -> None:
        """Complete the bar, naming a gap."""
        text = label if gap is None else f"{label} [magenta](not read: {gap})[/]"
        self._progress.update(self._tasks[label], completed=items, total=items, description=text)


@contextmanager
def list_progress() -> Iterator[ListProgress]:
    """Yield a progress sink: rich bars on a terminal, silence otherwise."""
    if not interactive():
        yield NoProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield RichListProgress(progress)
