"""`regulens examples`: copy the example platform shipped in the package to a directory."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import click

from regulens.display import printable
from regulens.errors import ConfigError

_PACKAGED = "_examples"  # the wheel carries examples/ as regulens/_examples (see setup.py)


def examples_root() -> Traversable:
    """The example tree: package data in a wheel, the checkout's `examples/` from source."""
    packaged = files("regulens") / _PACKAGED
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "examples"
    if (checkout / "platform").is_dir():
        return checkout
    raise ConfigError("the example files are not installed with this copy of regulens")


def _copy(source: Traversable, target: Path) -> int:
    count = 0
    for entry in sorted(source.iterdir(), key=lambda item: item.name):
        if entry.name.startswith((".", "__")):
            continue
        destination = target / entry.name
        if entry.is_dir():
            destination.mkdir()
            count += _copy(entry, destination)
        else:
            destination.write_bytes(entry.read_bytes())
            count += 1
    return count


@click.command()
@click.option(
    "--extract",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to create (or an empty one) for the example platform, changes and scans.",
)
def examples(directory: Path) -> None:
    """Copy the example platform, change requests, scans and ops data into DIRECTORY."""
    shown = printable(str(directory))
    try:
        if directory.exists() and any(directory.iterdir()):
            raise ConfigError(f"{shown}: not empty; give a new or empty directory")
        directory.mkdir(parents=True, exist_ok=True)
        count = _copy(examples_root(), directory)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot write the examples: {exc.strerror}") from None
    click.echo(f"ok: {count} example files in {shown}")
