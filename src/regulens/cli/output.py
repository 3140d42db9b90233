"""Writing results: atomically, never over an existing file without --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from regulens.errors import ConfigError


def write_atomic(path: str, data: bytes, *, force: bool) -> None:
    """Write `data` to `path` via a temp file and a link or rename; never overwrite unforced.

    Devices, FIFOs and sockets (`/dev/stdout`, `/dev/null`) are written to in
    place: replacing them with a regular file would break the machine.
    """
    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"{path}: is a directory")
    if target.exists() and not target.is_file():
        with target.open("wb") as fh:
            fh.write(data)
        return
    if target.exists() and not force:
        raise ConfigError(f"{path}: already exists", hint="pass --force to overwrite it")
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise ConfigError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 is for the temp file, not the output
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            Path(tmp).replace(target)
        else:
            try:  # link(2) fails if the target appeared meanwhile: no silent overwrite
                os.link(tmp, target)
            except FileExistsError:
                raise ConfigError(
                    f"{path}: already exists", hint="pass --force to overwrite it"
                ) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def emit(data: bytes, output: str | None, *, force: bool) -> None:
    """Write to `--output FILE` when given, else to standard output."""
    if output is None or output == "-":
        click.echo(data, nl=False)  # bytes go straight to the binary stream: no copy
    else:
        write_atomic(output, data, force=force)
