"""Fixtures: the fake API server and a kubeconfig pointing at it (imported by conftests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_apiserver import FakeApiServer, FakeCluster


@pytest.fixture
def fake() -> FakeCluster:
    """The fake cluster's data and behaviour (edit before the first request)."""
    return FakeCluster()


@pytest.fixture
def apiserver(fake: FakeCluster) -> Iterator[FakeApiServer]:
    """A running fake API server, stopped after the test."""
    with FakeApiServer(fake) as server:
        yield server


@pytest.fixture
def kubeconfig(apiserver: FakeApiServer, tmp_path: Path) -> Path:
    """A kubeconfig with a bearer token for the fake API server."""
    return apiserver.kubeconfig(tmp_path / "kubeconfig")
