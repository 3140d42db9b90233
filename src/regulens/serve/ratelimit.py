"""Failed sign-ins per client, in bounded memory."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Window:
    start: float
    failures: int


class FailedSignIns:
    """At most `limit` failures per client in `window` seconds; at most `clients` tracked."""

    def __init__(self, limit: int = 5, window: float = 300.0, clients: int = 4096) -> None:
        self.limit, self.window, self.clients = limit, window, clients
        self._seen: OrderedDict[str, _Window] = OrderedDict()

    def _current(self, client: str, now: float) -> _Window | None:
        item = self._seen.get(client)
        if item is not None and now - item.start >= self.window:
            del self._seen[client]
            return None
        return item

    def blocked(self, client: str, now: float) -> bool:
        """True while the client has used up its failures."""
        item = self._current(client, now)
        return item is not None and item.failures >= self.limit

    def failed(self, client: str, now: float) -> None:
        """Count a failure (the oldest client is forgotten when the table is full)."""
        item = self._current(client, now)
        if item is None:
            item = self._seen[client] = _Window(now, 0)
            while len(self._seen) > self.clients:
                self._seen.popitem(last=False)
        self._seen.move_to_end(client)
        item.failures += 1

    def __len__(self) -> int:
        return len(self._seen)
