"""`regulens rbac who-can` and `regulens rbac can-i`: effective permissions from a snapshot."""

from __future__ import annotations

from typing import Any

import click
import orjson
from rich.console import Console
from rich.table import Table

from regulens.cli.common import build_snapshot, input_options, resolve_now
from regulens.engine.rbac import (
    Identity,
    NonResourceRequest,
    RbacIndex,
    Request,
    Subject,
    rbac_index,
)
from regulens.engine.rbac.findings import missing_role_details
from regulens.errors import ConfigError, ExitCode

FORMATS = ("table", "json")


@click.group("rbac")
def rbac() -> None:
    """Answer who can do what, from manifests or cluster state (like kubectl auth can-i)."""


def _index(inputs: dict[str, Any]) -> RbacIndex:
    snapshot = build_snapshot(inputs, [], resolve_now(None))
    if snapshot.kubernetes is None:
        raise ConfigError(
            "no Kubernetes input was given", hint="pass --manifests, --snapshot or --cluster"
        )
    return rbac_index(snapshot.kubernetes)


def _request(
    verb: str, resource: str, namespace: str | None, name: str
) -> Request | NonResourceRequest:
    if resource.startswith("/"):
        if namespace is not None or name:
            raise ConfigError("a non-resource URL takes neither -n nor --name")
        return NonResourceRequest(verb, resource)
    if not resource or resource.startswith("."):
        raise ConfigError(
            f"{resource!r} is not a resource like secrets, pods/exec or deployments.apps"
        )
    return Request.parse(verb, resource, namespace, name)


def _describe(req: Request | NonResourceRequest) -> str:
    return str(req) if isinstance(req, Request) else f"{req.verb} {req.path}"


def _options(func: Any) -> Any:
    func = click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True
    )(func)
    func = click.option("--name", default="", metavar="NAME", help="One object (resourceNames).")(
        func
    )
    func = click.option(
        "-n", "--namespace", default=None, help="Namespace of the request (default: cluster-wide)."
    )(func)
    return input_options(func)


@rbac.command("who-can")
@click.argument("verb")
@click.argument("resource")
@_options
def who_can(
    verb: str, resource: str, namespace: str | None, name: str, fmt: str, **inputs: Any
) -> None:
    """List every subject that may VERB RESOURCE (get secrets, create pods/exec, get /metrics)."""
    req = _request(verb, resource, namespace, name)
    index = _index(inputs)
    grants = index.who_can(req)
    missing = index.missing_roles
    if fmt == "json":
        out = {
            "request": _describe(req),
            "subjects": [g.to_json() for g in grants],
            "bindings_to_missing_roles": missing_role_details(missing),
        }
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"who can {_describe(req)}")
    for col in ("kind", "name", "namespace", "via"):
        table.add_column(col, overflow="fold")
    for g in grants:
        via = "\n".join(str(v) for v in g.via)
        table.add_row(g.subject.kind, g.subject.name, g.subject.namespace or "", via)
    console = Console()
    console.print(table)
    for b in missing:
        console.print(f"note: {b.key} refers to missing {b.role_key}: it grants nothing")


@rbac.command("can-i")
@click.argument("subject")
@click.argument("verb")
@click.argument("resource")
@click.option(
    "--as-group", "groups", multiple=True, metavar="GROUP", help="An extra group (repeatable)."
)
@_options
def can_i(
    subject: str,
    verb: str,
    resource: str,
    groups: tuple[str, ...],
    namespace: str | None,
    name: str,
    fmt: str,
    **inputs: Any,
) -> int:
    """Say whether SUBJECT (user:NAME, group:NAME, serviceaccount:NS:NAME) may VERB RESOURCE.

    Exit 0 yes, 1 no (like kubectl auth can-i). Implicit groups count:
    system:authenticated, system:serviceaccounts and system:serviceaccounts:NS.
    """
    try:
        who = Subject.parse(subject)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    req = _request(verb, resource, namespace, name)
    via = _index(inputs).can(Identity.of(who, groups), req)
    if fmt == "json":
        out = {
            "allowed": bool(via),
            "subject": who.to_json(),
            "request": _describe(req),
            "via": [v.to_json() for v in via],
        }
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo("yes" if via else "no")
        for v in via:
            click.echo(f"  via {v}")
    return int(ExitCode.ALLOW if via else ExitCode.DENY)


def register(group: click.Group) -> None:
    """Add the command group to the CLI."""
    group.add_command(rbac)
