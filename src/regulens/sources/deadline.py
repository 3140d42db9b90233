"""Bound a whole network exchange in time and size, not only each socket read.

A per-read timeout does not bound a server that trickles one byte a second:
every read returns in time. So an exchange (connect, headers, body) runs in a
worker thread that streams the body in small reads, counting bytes and
checking the deadline between reads; the caller waits at most until the
deadline and then gives up (`DeadlineExceeded`), whatever the worker is
blocked in. The worker stops at its next read (the deadline is shared) or when
the server hangs up; it is a daemon thread, so it never keeps the process
alive. An answer larger than the limit stops being read (`TooLarge`): an
oversized answer is an error, never an out-of-memory crash.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

MiB = 1024 * 1024


class DeadlineExceeded(Exception):
    """The exchange did not finish before its deadline."""


class TooLarge(Exception):
    """The answer was larger than allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit // MiB} MiB")
        self.limit = limit


@dataclass
class Deadline:
    """A point in monotonic time shared by the caller and the worker."""

    ends: float
    monotonic: Callable[[], float] = time.monotonic
    cancelled: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def after(cls, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> Deadline:
        """Return a deadline `seconds` from now."""
        return cls(monotonic() + seconds, monotonic)

    def remaining(self) -> float:
        """Seconds left (0 when passed or cancelled)."""
        if self.cancelled.is_set():
            return 0.0
        return max(0.0, self.ends - self.monotonic())

    def check(self) -> None:
        """Raise DeadlineExceeded when the deadline has passed."""
        if self.remaining() <= 0:
            raise DeadlineExceeded


def read_bounded(chunks: Iterable[bytes], deadline: Deadline, max_bytes: int) -> bytes:
    """Join a body's chunks, checking the deadline and the size after each one."""
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > max_bytes:
            raise TooLarge(max_bytes)
        deadline.check()
    return bytes(out)


@dataclass
class _Outcome(Generic[T]):
    value: T | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


def run_within(exchange: Callable[[Deadline], T], deadline: Deadline) -> T:
    """Run `exchange(deadline)` in a daemon thread; return its value or raise by the deadline.

    Exceptions of the exchange are re-raised here; when the deadline passes first,
    the deadline is cancelled (the worker stops at its next check) and
    DeadlineExceeded is raised.
    """
    outcome: _Outcome[T] = _Outcome()

    def work() -> None:
        try:
            outcome.value = exchange(deadline)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller, never swallowed)
            outcome.error = exc
        finally:
            outcome.done.set()

    worker = threading.Thread(target=work, name="regulens-exchange", daemon=True)
    worker.start()
    if not outcome.done.wait(deadline.remaining()):
        deadline.cancelled.set()
        raise DeadlineExceeded
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]


__all__ = ["Deadline", "DeadlineExceeded", "MiB", "TooLarge", "read_bounded", "run_within"]
