"""Fixtures for the portal tests: a simulated month in a real SQLite store, and tokens."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn

from regulens.cli.serve import read_only_url
from regulens.evidence.keys import load_trusted
from regulens.evidence.store import open_store
from regulens.serve.app import Portal, create_app
from regulens.serve.portal import Settings
from regulens.serve.tokens import add_token, load_tokens
from tests.reports.month import Month, fill_month

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def month(tmp_path_factory: pytest.TempPathFactory) -> Month:
    """November 2026 recorded through the real CLI (signed)."""
    from tests.conftest import EXAMPLES

    return fill_month(EXAMPLES, tmp_path_factory.mktemp("serve-month"))


@dataclass(frozen=True)
class Signed:
    """A token file with one token for `auditor`."""

    path: Path
    token: str


@pytest.fixture(scope="session")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    return Signed(path, add_token(path, "auditor"))


def make_portal(month: Month, signed: Signed | None, *, keys: bool = True, **kw: object) -> Portal:
    """A portal over the month's store (read-only), trusting its key unless `keys=False`."""
    store = open_store(read_only_url(month.url), create=False)
    trusted = load_trusted([str(month.public_key)]) if keys else None
    settings = Settings(trusted=trusted, label=month.url)
    tokens = load_tokens(signed.path) if signed else ()
    return Portal(store=store, tokens=tokens, settings=settings, now=lambda: NOW, **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(portal: Portal) -> Iterator[str]:
    """Run the portal under a real uvicorn on loopback (in a thread); yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(portal), host="127.0.0.1", port=port, log_level="warning",
        access_log=False, lifespan="off", h11_max_incomplete_event_size=16 * 1024,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        portal.store.close()


@pytest.fixture
def base_url(month: Month, signed: Signed) -> Iterator[str]:
    """A running portal that requires sign-in."""
    with serving(make_portal(month, signed)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of the running portal (not signed in)."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as c:
        yield c


@pytest.fixture
def auth(signed: Signed) -> dict[str, str]:
    return {"authorization": f"Bearer {signed.token}"}
