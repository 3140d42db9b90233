"""Evidence store fixtures: the same tests on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from regulens.evidence import EvidenceStore, open_store
from tests.support.postgres import PostgresServer

Backend = Callable[[], str]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Return a factory of URLs of fresh, empty stores on the parametrised engine."""
    if request.param == "sqlite":
        counter = iter(range(1000))
        return lambda: f"sqlite:///{tmp_path / f'evidence-{next(counter)}.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return lambda: server.url(server.create_database())


@pytest.fixture
def store(backend: Backend) -> Iterator[EvidenceStore]:
    """A fresh, migrated store on the parametrised engine."""
    with open_store(backend()) as opened:
        yield opened
