"""`regulens checks list`: the check types and their parameters."""

from __future__ import annotations

from typing import Any

import click
import orjson

from regulens.cli.common import format_option, stdout_console
from regulens.engine.checks import CHECK_TYPES, Check


def describe(check: type[Check]) -> dict[str, Any]:
    """Return the type name, one-line description and parameters of a check type."""
    schema = check.model_json_schema()
    params = {
        name: prop.get("description", prop.get("type", ""))
        for name, prop in schema.get("properties", {}).items()
        if name != "type"
    }
    name = check.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    doc = (check.__doc__ or "").strip().splitlines()[0]
    return {
        "type": name,
        "description": doc,
        "inputs": sorted(i.value for i in check.inputs),
        "parameters": params,
        "required": sorted(p for p in schema.get("required", []) if p != "type"),
    }


@click.group()
def checks() -> None:
    """Inspect the registered check types."""


@checks.command("list")
@format_option()
def list_checks(fmt: str) -> None:
    """List every check type with its description and parameters."""
    rows = [describe(c) for c in CHECK_TYPES]
    if fmt == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.table import Table

    table = Table()
    table.add_column("type", no_wrap=True)  # an id: never broken mid-word
    for col in ("description", "inputs", "parameters"):
        table.add_column(col)
    for row in rows:
        params = ", ".join(f"{p}{'*' if p in row['required'] else ''}" for p in row["parameters"])
        table.add_row(row["type"], row["description"], ", ".join(row["inputs"]), params)
    stdout_console().print(table)
    click.echo("(* required)")
