"""`regulens rbac who-can` and `regulens rbac can-i`: effective permissions from a snapshot."""

from __future__ import annotations

from typing import Any

import click
import orjson

from regulens.cli.common import (
    RESULT_FORMATS,
    build_snapshot,
    format_option,
    kubernetes_input_options,
    resolve_now,
    stdout_console,
)
from regulens.display import printable
from regulens.engine.rbac import (
    RBAC_KINDS,
    Identity,
    NonResourceRequest,
    RbacIndex,
    Request,
    Subject,
    rbac_index,
)
from regulens.engine.rbac.findings import missing_role_details
from regulens.errors import ConfigError, ExitCode, InputDataError

FORMATS = RESULT_FORMATS


@click.group("rbac")
def rbac() -> None:
    """Answer who can do what, from manifests or cluster state (like kubectl auth can-i)."""


def _index(inputs: dict[str, Any], namespace: str | None) -> tuple[RbacIndex, list[str]]:
    """The RBAC index of the inputs, and their coverage notes.

    As with `kubectl apply -n NS` and `kubectl auth can-i -n NS`, the request's
    namespace is also where namespaced manifest objects without one are placed.
    """
    if inputs.get("manifests") or inputs.get("kustomize"):
        inputs = {**inputs, "manifest_namespace": namespace}
    snapshot = build_snapshot(inputs, [], resolve_now(None))
    if snapshot.kubernetes is None:
        raise ConfigError(
            "no Kubernetes input was given", hint="pass --manifests, --snapshot or --cluster"
        )
    gaps = snapshot.kubernetes.gaps_for(RBAC_KINDS, None)
    if gaps:  # an answer from part of the roles and bindings could be a wrong "no"
        listed = "; ".join(g.describe() for g in gaps)
        raise InputDataError(f"cannot answer: the inputs could not be read completely: {listed}")
    return rbac_index(snapshot.kubernetes), [n.message for n in snapshot.kubernetes.notes]


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
    func = format_option(FORMATS)(func)
    func = click.option("--name", default="", metavar="NAME", help="One object (resourceNames).")(
        func
    )
    func = click.option(
        "-n",
        "--namespace",
        default=None,
        help="Namespace of the request (default: cluster-wide); also where namespaced "
        "--manifests objects without one are placed (default: default), like kubectl -n.",
    )(func)
    return kubernetes_input_options(func)


@rbac.command("who-can")
@click.argument("verb")
@click.argument("resource")
@_options
def who_can(
    verb: str, resource: str, namespace: str | None, name: str, fmt: str, **inputs: Any
) -> None:
    """List every subject that may VERB RESOURCE (get secrets, create pods/exec, get /metrics)."""
    req = _request(verb, resource, namespace, name)
    index, notes = _index(inputs, namespace)
    grants = index.who_can(req)
    missing = index.missing_roles
    if fmt == "json":
        out = {
            "request": _describe(req),
            "subjects": [g.to_json() for g in grants],
            "bindings_to_missing_roles": missing_role_details(missing),
            "notes": notes,
        }
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.table import Table
    from rich.text import Text

    def plain(text: str) -> Text:  # names from inputs: never rich markup, never a control char
        return Text(printable(text))

    named = any(g.names for g in grants)  # the column only when someone is limited to names
    table = Table(title=plain(f"who can {_describe(req)}"))
    for col in ("kind", "name", "namespace", *(["only named"] if named else [])):
        table.add_column(col, no_wrap=True)  # names are never broken mid-word
    table.add_column("via")
    for g in grants:
        via = "\n".join(str(v) for v in g.via)
        only = [", ".join(g.names)] if named else []
        cells = (g.subject.kind, g.subject.name, g.subject.namespace or "", *only, via)
        table.add_row(*(plain(c) for c in cells))
    console = stdout_console()
    console.print(table)
    if named:
        console.print(
            "note: subjects with names under 'only named' may act only on those objects "
            "(resourceNames); kubectl auth can-i without a name answers no for them"
        )
    for b in missing:
        console.print(plain(f"note: {b.key} refers to missing {b.role_key}: it grants nothing"))
    for note in notes:
        console.print(plain(f"note: {note}"))


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
    index, notes = _index(inputs, namespace)
    via = index.can(Identity.of(who, groups), req)
    if fmt == "json":
        out = {
            "allowed": bool(via),
            "subject": who.to_json(),
            "request": _describe(req),
            "via": [v.to_json() for v in via],
            "notes": notes,
        }
        click.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo("yes" if via else "no")
        for v in via:
            click.echo(printable(f"  via {v}"))
        for note in notes:
            click.echo(printable(f"note: {note}"), err=True)
    return int(ExitCode.ALLOW if via else ExitCode.DENY)
