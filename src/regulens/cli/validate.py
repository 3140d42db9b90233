"""`regulens validate`: strictly load policy files and packs."""

from __future__ import annotations

import click

from regulens.policies import load_policies


@click.command()
@click.argument("paths", nargs=-1, required=True)
def validate(paths: tuple[str, ...]) -> None:
    """Validate policy files, directories or builtin:NAME packs (exit 3 on any problem)."""
    loaded = load_policies(paths)
    count = len(loaded.policies)
    files = len(loaded.sources)
    click.echo(f"ok: {count} policies in {len(loaded.sets)} policy set(s) from {files} file(s)")


def register(group: click.Group) -> None:
    """Add the command to the CLI."""
    group.add_command(validate)
