"""Writing results: atomically, never over an existing file without --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from regulens.errors import ConfigError


def write_atomic(path: str, data: bytes, *, force: bool) -> None:
    """Write `data` to `path` via a temp file and rename; refuse to overwrite unless forced."""
    target = Path(path)
    if target.exists() and not force:
        raise ConfigError(f"{path}: already exists", hint="pass --force to overwrite it")
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise ConfigError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if not force and target.exists():
            raise ConfigError(f"{path}: already exists", hint="pass --force to overwrite it")
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def emit(data: bytes, output: str | None, *, force: bool) -> None:
    """Write to `--output FILE` when given, else to standard output."""
    if output is None or output == "-":
        click.echo(data, nl=False)  # bytes go straight to the binary stream: no copy
    else:
        write_atomic(output, data, force=force)
