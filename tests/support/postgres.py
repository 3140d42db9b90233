"""A throwaway PostgreSQL cluster for the test session (Debian's `postgresql` package).

`initdb` and `pg_ctl` run as the `postgres` OS user when the tests run as root.
The server listens only on a unix socket in a temp directory, with fsync off;
the cluster is stopped and deleted when the session ends.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.support.components import component_missing


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway server reachable through its socket directory."""

    socket_dir: str
    port: int

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit connection to the maintenance database."""
        return psycopg.connect(
            host=self.socket_dir,
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        )

    def create_database(self, template: str | None = None) -> str:
        """Create a fresh database (optionally copying `template`) and return its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin() as conn:
            suffix = f" TEMPLATE {template}" if template else ""
            conn.execute(f"CREATE DATABASE {name}{suffix}")  # type: ignore[arg-type]
        return name


def _bin_dir() -> Path | None:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def _missing(reason: str) -> None:
    component_missing(f"PostgreSQL not available: {reason}")


def start_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    """Create, start, yield, then stop and delete a cluster.

    Tests run with fsync and synchronous commit off (faster; a crash of the throwaway
    server loses nothing anyone keeps); `durable=True` keeps PostgreSQL's defaults
    (fsync, synchronous_commit=on), as a production store runs, for benchmarks.
    """
    bin_dir = _bin_dir()
    if bin_dir is None:
        _missing("no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)")
        return
    as_root = os.geteuid() == 0
    user = "postgres" if as_root else None
    root = Path(tempfile.mkdtemp(prefix="regulens-pg-"))
    if as_root:
        shutil.chown(root, "postgres", "postgres")
    data = root / "data"
    log = root / "server.log"
    port = 5432
    started = False
    try:
        init = subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync", "--no-instructions"],
            user=user, check=False, capture_output=True, cwd=root,
        )  # fmt: skip
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stderr.decode(errors='replace')[-2000:]}")
        fast = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{root}' -c port={port} "
            f"{fast}-c max_connections=60 -c shared_buffers=32MB"
        )
        result = subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w",
             "-t", "60", "start"],
            user=user, capture_output=True, cwd=root, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"pg_ctl start failed: {result.stderr.decode()}\n{tail}")
        started = True
        yield PostgresServer(str(root), port)
    finally:
        if started:
            subprocess.run(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                user=user, capture_output=True, cwd=root, check=False,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's throwaway PostgreSQL server."""
    yield from start_server()
