"""Writing results: atomically, never over an existing file without --force.

An output is written in two steps so that a run which records a decision can
order them around the record: `stage` does everything that can fail (checks,
temp file beside the target, every byte written and fsynced; a device or FIFO
is written in place), `publish` only links or renames the temp file into place
or writes to standard output.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from regulens.errors import ConfigError


@dataclass
class Staged:
    """One output ready to publish: a temp file beside `target`, or bytes for stdout."""

    output: str | None  # None: standard output
    data: bytes
    tmp: Path | None = None
    force: bool = False
    done: bool = False

    def publish(self) -> None:
        """Put the output in place (link/rename the temp file, or write standard output)."""
        if self.done:
            return
        self.done = True
        if self.output is None:
            write_stdout(self.data)
            return
        if self.tmp is None:  # a device or FIFO: written in place when staged
            return
        target = Path(self.output)
        try:
            if self.force:
                self.tmp.replace(target)
            else:
                try:  # link(2) fails if the target appeared meanwhile: no silent overwrite
                    os.link(self.tmp, target)
                except FileExistsError:
                    raise ConfigError(
                        f"{self.output}: already exists", hint="pass --force to overwrite it"
                    ) from None
        except OSError as exc:
            raise _write_error(self.output, exc) from None
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temp file (after publishing, or when the run failed before it)."""
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None


def stage(data: bytes, output: str | None, *, force: bool) -> Staged:
    """Prepare `data` for `--output FILE` (or stdout when None or `-`); errors exit 3.

    Devices, FIFOs and sockets (`/dev/stdout`, `/dev/null`) are written to in
    place here: replacing them with a regular file would break the machine.
    """
    if output is None or output == "-":
        return Staged(None, data)
    target = Path(output)
    if target.is_dir():
        raise ConfigError(f"{output}: is a directory")
    if target.exists() and not target.is_file():
        try:
            with target.open("wb") as fh:
                fh.write(data)
        except OSError as exc:
            raise _write_error(output, exc) from None
        return Staged(output, data, done=True)
    if target.exists() and not force:
        raise ConfigError(f"{output}: already exists", hint="pass --force to overwrite it")
    directory = target.parent if str(target.parent) else Path()
    if not directory.is_dir():
        raise ConfigError(f"{output}: directory {directory} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as exc:
        raise _write_error(output, exc) from None
    staged = Staged(output, data, Path(tmp), force)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 is for the temp file, not the output
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        staged.discard()
        raise _write_error(output, exc) from None
    except BaseException:
        staged.discard()
        raise
    return staged


def write_atomic(path: str, data: bytes, *, force: bool) -> None:
    """Write `data` to `path` via a temp file and a link or rename; never overwrite unforced."""
    stage(data, path, force=force).publish()


def emit(data: bytes, output: str | None, *, force: bool) -> None:
    """Write to `--output FILE` when given, else to standard output."""
    stage(data, output, force=force).publish()


def write_stdout(data: bytes) -> None:
    """Write bytes to standard output and flush; a closed pipe or full disk exits 3."""
    try:
        click.echo(data, nl=False)  # bytes go straight to the binary stream: no copy
        sys.stdout.flush()
    except OSError as exc:
        silence_stdout()
        raise _write_error("standard output", exc) from None


def silence_stdout() -> None:
    """Point standard output at /dev/null: Python flushes it again at exit (a dead pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout has no descriptor (captured): nothing to silence
        pass


def _write_error(where: str, exc: OSError) -> ConfigError:
    reason = exc.strerror or type(exc).__name__
    return ConfigError(f"{where}: cannot write: {reason}")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
