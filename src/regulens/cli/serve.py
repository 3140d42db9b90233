"""`regulens serve`: the read-only portal, and `serve tokens add NAME` for sign-in tokens."""

from __future__ import annotations

import ipaddress
import signal
import sys
from pathlib import Path

import click
import platformdirs

from regulens.cli.evidence import (
    default_evidence_url,
    evidence_option,
    extra_checkpoints,
    trusted_keys,
)
from regulens.errors import ConfigError, EvidenceError

TOKENS_ENV = "REGULENS_SERVE_TOKENS"


def default_tokens_path() -> Path:
    """The token file in the user's configuration directory."""
    return Path(platformdirs.user_config_dir("regulens")) / "serve-tokens.json"


def tokens_option(func: click.decorators.FC) -> click.decorators.FC:
    """Add --tokens FILE (env REGULENS_SERVE_TOKENS)."""
    return click.option(
        "--tokens",
        "tokens_file",
        metavar="FILE",
        envvar=TOKENS_ENV,
        help=f"File of hashed sign-in tokens (env {TOKENS_ENV}; default in the user config dir).",
    )(func)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_only_url(url: str) -> str:
    """The store URL, opened read-only: SQLite `mode=ro`, PostgreSQL read-only transactions."""
    from regulens.evidence.store import normalise_url

    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ConfigError("serve needs an evidence store file (sqlite:///PATH)")
        path = Path(database).expanduser().resolve()
        if not path.is_file():
            raise EvidenceError(
                f"evidence store {path}: no such file",
                hint="check --evidence (or REGULENS_EVIDENCE)",
            )
        return parsed.set(
            database=f"file:{path}", query={"mode": "ro", "uri": "true"}
        ).render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.update_query_dict(
            {"options": "-c default_transaction_read_only=on"}
        ).render_as_string(hide_password=False)
    return url


@click.group("serve", invoke_without_command=True)
@evidence_option
@tokens_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    metavar="FILE",
    help="Trusted public key: records must be signed by it (repeatable).",
)
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    metavar="FILE",
    help="Exported checkpoint to verify against (repeatable).",
)
@click.option(
    "--allow-unverified",
    is_flag=True,
    help="Show reports even when the evidence does not verify (red banner).",
)
@click.option(
    "--bundle-key", metavar="FILE", help="Signing key for evidence bundles offered for download."
)
@click.option("--ssl-certfile", metavar="FILE", help="TLS certificate (PEM).")
@click.option("--ssl-keyfile", metavar="FILE", help="TLS private key (PEM).")
@click.pass_context
def serve_group(
    ctx: click.Context,
    evidence: str | None,
    tokens_file: str | None,
    host: str,
    port: int,
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    allow_unverified: bool,
    bundle_key: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> int:
    """Serve a read-only portal over the evidence store (runs, reports, review, API, /metrics).

    Without a token file it listens on loopback only; beyond 127.0.0.1 it needs tokens.
    """
    if ctx.invoked_subcommand is not None:
        return 0
    from regulens.evidence.store import open_store
    from regulens.serve.tokens import load_tokens

    tokens = load_tokens(Path(tokens_file) if tokens_file else default_tokens_path())
    if not tokens and not is_loopback(host):
        raise ConfigError(
            f"refusing to listen on {host} without sign-in tokens",
            hint="create one with `regulens serve tokens add NAME`, or listen on 127.0.0.1",
        )
    if (ssl_certfile is None) != (ssl_keyfile is None):
        raise ConfigError("give both --ssl-certfile and --ssl-keyfile, or neither")
    if bundle_key is not None:
        from regulens.evidence.keys import load_signer

        load_signer(bundle_key)  # a bad key fails now (exit 3), not at the first download
    import uvicorn

    from regulens.evidence.store import normalise_url
    from regulens.serve.app import Portal, create_app
    from regulens.serve.portal import Settings

    url = evidence or default_evidence_url()
    settings = Settings(
        label=normalise_url(url).render_as_string(hide_password=True),
        trusted=trusted_keys(public_keys),
        checkpoints=tuple(extra_checkpoints(checkpoint_files)),
        allow_unverified=allow_unverified,
    )
    store = open_store(read_only_url(url), create=False)
    portal = Portal(
        store=store, tokens=tokens, settings=settings,
        secure_cookies=ssl_certfile is not None, bundle_key=bundle_key,
    )  # fmt: skip
    config = uvicorn.Config(
        create_app(portal), host=host, port=port, log_level="warning", access_log=False,
        server_header=False, proxy_headers=False, limit_concurrency=64, backlog=128,
        timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024,
        ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    scheme = "https" if ssl_certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    mode = f"{len(tokens)} sign-in token(s)" if tokens else "no sign-in (loopback only)"
    click.echo(f"serving {settings.label} at {scheme}://{shown}:{port}/ ({mode})", err=True)
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler
    # it found: a no-op one makes a requested stop exit 0 instead of dying of the signal.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped)
    try:
        server.run()
    finally:
        store.close()
    if not server.started:
        raise ConfigError(f"cannot listen on {host}:{port}")
    return 0


def _stopped(signum: int, frame: object) -> None:
    """Nothing more to do: the server has already shut down gracefully."""


@serve_group.group("tokens")
def tokens_group() -> None:
    """Manage the portal's sign-in tokens (only their hashes are stored)."""


@tokens_group.command("add")
@tokens_option
@click.argument("name")
def tokens_add(tokens_file: str | None, name: str) -> int:
    """Create a token for NAME: printed once on standard output, only its hash is kept."""
    from regulens.serve.tokens import add_token

    path = Path(tokens_file) if tokens_file else default_tokens_path()
    token = add_token(path, name)
    click.echo(token)
    click.echo(f"token for {name} added to {path}; it is shown only this once", err=True)
    sys.stdout.flush()
    return 0


@tokens_group.command("list")
@tokens_option
def tokens_list(tokens_file: str | None) -> int:
    """List the token names and ids (never a token)."""
    from regulens.serve.tokens import load_tokens

    for entry in load_tokens(Path(tokens_file) if tokens_file else default_tokens_path()):
        click.echo(f"{entry.name}\t{entry.token_id}")
    return 0
