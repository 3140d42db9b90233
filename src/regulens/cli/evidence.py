"""`regulens evidence ...` and `regulens keys generate`; the --record options of evaluate/gate."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson
import platformdirs

from regulens import clock
from regulens.cli.common import STREAM_NAME, STREAM_PATTERN, Timestamp, format_option, match_streams
from regulens.display import printable
from regulens.engine.exceptions import PolicyException
from regulens.engine.outcome import Outcome
from regulens.errors import ConfigError, ExitCode
from regulens.evidence.chain import DEFAULT_STREAM
from regulens.policies import LoadedPolicies
from regulens.reports.wording import count
from regulens.snapshot import Snapshot

if TYPE_CHECKING:  # the store (SQLAlchemy) and keys (cryptography) load only when used
    from regulens.evidence.keys import TrustedKeys
    from regulens.evidence.statement import Command
    from regulens.evidence.store import EvidenceStore, StoredCheckpoint, StoredRecord
    from regulens.evidence.verify import StreamReport

F = TypeVar("F", bound=Callable[..., Any])

EVIDENCE_ENV = "REGULENS_EVIDENCE"
SIGNING_KEY_ENV = "REGULENS_SIGNING_KEY"
ALLOW_UNSIGNED_ENV = "REGULENS_ALLOW_UNSIGNED"


def default_evidence_url() -> str:
    """The default store: a SQLite file in the user's data directory."""
    return f"sqlite:///{Path(platformdirs.user_data_dir('regulens')) / 'evidence.db'}"


def evidence_option(func: F) -> F:
    """Add --evidence URL (default: REGULENS_EVIDENCE, else the user data directory)."""
    return click.option(
        "--evidence",
        "evidence",
        metavar="URL",
        envvar=EVIDENCE_ENV,
        help=f"Evidence store (SQLAlchemy URL; env {EVIDENCE_ENV}; default a SQLite file "
        "in the user data directory).",
    )(func)


def signing_key_option(func: F) -> F:
    """Add --signing-key FILE (env REGULENS_SIGNING_KEY)."""
    return click.option(
        "--signing-key",
        "signing_key",
        metavar="FILE",
        envvar=SIGNING_KEY_ENV,
        help=f"Ed25519 private key (PEM) that signs records (env {SIGNING_KEY_ENV}).",
    )(func)


def stream_option(func: F) -> F:
    """Add --stream NAME."""
    return click.option(
        "--stream",
        "stream",
        type=STREAM_NAME,
        default=DEFAULT_STREAM,
        show_default=True,
        metavar="NAME",
        help="The evidence stream recorded to (e.g. one per environment or cluster).",
    )(func)


def record_options(func: F) -> F:
    """Add --evidence, --stream, --signing-key and --allow-unsigned (`gate`, `evaluate`)."""
    func = click.option(
        "--allow-unsigned",
        "allow_unsigned",
        is_flag=True,
        envvar=ALLOW_UNSIGNED_ENV,
        help=f"Under CI=true, record without --signing-key anyway (env {ALLOW_UNSIGNED_ENV}).",
    )(func)
    return evidence_option(stream_option(signing_key_option(func)))


def in_ci(environ: Mapping[str, str]) -> bool:
    """True when the environment says this is a CI job (`CI=true`, as CI services set it)."""
    return environ.get("CI", "").strip().lower() in {"true", "1"}


def check_recording(
    *, evidence: str | None, signing_key: str | None, allow_unsigned: bool, ci: bool
) -> None:
    """Under CI, refuse (exit 3) to record into the implicit store or unsigned by default.

    A CI runner's home directory is thrown away with the job: a record in the
    default per-user store would be lost, and an unsigned record proves less than
    the user may think. Both are fine when asked for explicitly.
    """
    if not ci:
        return
    if not evidence:  # unset, or set to "" (an empty CI secret): the default store
        raise ConfigError(
            "CI=true: refusing to record into the default per-user evidence store "
            f"({default_evidence_url()}), which is lost with the runner",
            hint=f"pass --evidence URL (or set {EVIDENCE_ENV}) naming a store that outlives "
            "the job",
        )
    if signing_key is None and not allow_unsigned:
        raise ConfigError(
            "CI=true: refusing to record an unsigned decision",
            hint=f"pass --signing-key FILE (or set {SIGNING_KEY_ENV}), or --allow-unsigned "
            f"(or set {ALLOW_UNSIGNED_ENV}=1) to record unsigned on purpose",
        )


def open_evidence(url: str | None, *, create: bool = False) -> EvidenceStore:
    """Open the store named by --evidence (or the default); only recording creates one."""
    from regulens.evidence.store import open_store

    return open_store(url or default_evidence_url(), create=create)


def record_outcome(
    *,
    command: Command,
    outcome: Outcome,
    snapshot: Snapshot,
    loaded: LoadedPolicies,
    selected: list[str],
    waivers: Sequence[PolicyException] = (),
    evidence: str | None,
    stream: str,
    signing_key: str | None,
    run_id: str | None = None,
) -> StoredRecord:
    """Record one run (CLI side: reads CI variables and the clock); EvidenceError → exit 4."""
    from regulens.evidence.keys import load_signer
    from regulens.evidence.record import ci_metadata, new_run_id, record_run
    from regulens.evidence.statement import RunMeta

    signer = load_signer(signing_key) if signing_key else None
    meta = RunMeta(
        run_id=run_id or new_run_id(),
        command=command,
        stream=stream,
        recorded_at=clock.now(),
        ci=ci_metadata(os.environ),
        selected=selected,
        waivers=waivers,
    )
    with open_evidence(evidence, create=True) as store:
        return record_run(
            store, outcome=outcome, snapshot=snapshot, loaded=loaded, meta=meta, signer=signer
        )


def trusted_keys(public_keys: tuple[str, ...]) -> TrustedKeys | None:
    """Load the --public-key files (None when none were given)."""
    from regulens.evidence.keys import load_trusted

    return load_trusted(public_keys) if public_keys else None


def extra_checkpoints(files: tuple[str, ...]) -> list[StoredCheckpoint]:
    """Load the --checkpoint files kept outside the store."""
    from regulens.evidence.checkpoint import parse_checkpoint_file

    out: list[StoredCheckpoint] = []
    for path in files:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read checkpoint: {exc.strerror}") from exc
        out.extend(parse_checkpoint_file(data, path))
    return out


def _checked_records(r: StreamReport) -> str:
    """`N records`, and how many of them a signed checkpoint authenticated."""
    if not r.checkpointed:
        return count(r.records, "record")
    return (
        f"{count(r.records, 'record')}, {r.checkpointed} of them authenticated by a signed "
        "checkpoint (--every-signature checks their own signatures)"
    )


def _print_reports(reports: list[StreamReport], fmt: str, extra: dict[str, Any]) -> int:
    from regulens.evidence.verify import overall

    status = overall(reports)
    if fmt == "json":
        doc = {"status": status.value, "streams": [r.to_json() for r in reports], **extra}
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:  # stream names and messages come from the store: shown inert
        for r in reports:
            if r.status.value == "OK" and r.head is not None:
                head = r.head.hex()[:16]
                notes = f"{_checked_records(r)}, head {head}"
                if r.signed_by:
                    notes += f", signed by {', '.join(k[:16] for k in r.signed_by)}"
                if r.legacy:
                    notes += f", {r.legacy} in legacy statement format v1 (v1 rules)"
                click.echo(printable(f"stream {r.stream}: OK ({notes})"))
            elif r.seq is not None:
                click.echo(
                    printable(f"stream {r.stream}: {r.status.value} at seq {r.seq}: {r.message}")
                )
            else:
                click.echo(printable(f"stream {r.stream}: {r.status.value}: {r.message}"))
        click.echo(status.value)
    return int(ExitCode.ALLOW) if status.value == "OK" else int(ExitCode.INCOMPLETE)


@click.group("evidence")
def evidence_group() -> None:
    """Inspect, verify, export and replay the tamper-evident evidence store."""


def every_signature_option(f: Any) -> Any:
    """Add --every-signature (check each record's signature, checkpointed ones too)."""
    return click.option(
        "--every-signature",
        is_flag=True,
        help="Check every record's own signature, also those a trusted checkpoint covers.",
    )(f)


@evidence_group.command("verify")
@evidence_option
@click.option(
    "--stream",
    "streams",
    type=STREAM_PATTERN,
    multiple=True,
    help="Verify this stream, or those this shell glob matches (repeatable; default: every "
    "stream).",
)
@click.option(
    "--public-key", "public_keys", multiple=True, metavar="FILE", help="Trusted key (repeatable)."
)
@click.option(
    "--checkpoint", "checkpoint_files", multiple=True, metavar="FILE", help="Exported checkpoint."
)
@every_signature_option
@format_option()
def verify_cmd(
    evidence: str | None,
    streams: tuple[str, ...],
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    every_signature: bool,
    fmt: str,
) -> int:
    """Recompute every hash and link, check signatures and checkpoints; 0 if OK, else 2."""
    from regulens.evidence.verify import verify_store

    trusted = trusted_keys(public_keys)
    extra = extra_checkpoints(checkpoint_files)
    if trusted is None:
        click.echo("note: signatures not checked (no --public-key)", err=True)
    with open_evidence(evidence) as store:
        if streams:  # each selected stream verified on its own
            reports = [
                report
                for name in match_streams(streams, store.streams())
                for report in verify_store(
                    store,
                    stream=name,
                    trusted=trusted,
                    checkpoints=extra,
                    every_signature=every_signature,
                )
            ]
        else:
            reports = verify_store(
                store, trusted=trusted, checkpoints=extra, every_signature=every_signature
            )
    return _print_reports(reports, fmt, {})


def _refuse_unverified(store: EvidenceStore, stream: str | None, what: str) -> None:
    """A checkpoint must never vouch for a head that does not verify (exit 2)."""
    from regulens.errors import InputDataError
    from regulens.evidence.verify import Status, verify_store

    for report in verify_store(store, stream=stream):
        if report.status not in (Status.OK, Status.EMPTY):
            where = f" at seq {report.seq}" if report.seq is not None else ""
            raise InputDataError(
                f"refusing to {what}: stream {report.stream}: {report.status.value}{where}: "
                f"{report.message}",
                hint="investigate with `regulens evidence verify`",
            )


@evidence_group.command("checkpoint")
@evidence_option
@click.option(
    "--stream",
    "stream",
    type=STREAM_NAME,
    help="Checkpoint one stream (default: every stream).",
)
@signing_key_option
@click.option("--output", "-o", "output", metavar="FILE", help="Also write the checkpoints here.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def checkpoint_cmd(
    evidence: str | None,
    stream: str | None,
    signing_key: str | None,
    output: str | None,
    force: bool,
) -> int:
    """Sign (stream, size, head hash, time) of each stream head; keep the file elsewhere."""
    from regulens.evidence.checkpoint import checkpoint_to_json, make_checkpoint
    from regulens.evidence.keys import load_signer
    from regulens.evidence.statement import rfc3339

    if not signing_key:
        raise ConfigError("a checkpoint must be signed", hint="pass --signing-key FILE")
    signer = load_signer(signing_key)
    created = rfc3339(clock.now())
    lines = []
    with open_evidence(evidence) as store:
        _refuse_unverified(store, stream, "checkpoint")
        heads: dict[str, StoredRecord] = {}
        for rec in store.records(stream):
            heads[rec.stream] = rec
        if not heads:
            raise ConfigError("nothing to checkpoint: the store has no records")
        for name, head in sorted(heads.items()):
            cp = make_checkpoint(name, head.seq, head.record_hash, created, signer)
            store.add_checkpoint(cp, signer)
            lines.append(orjson.dumps(checkpoint_to_json(cp)))
    data = b"\n".join(lines) + b"\n"
    from regulens.cli.output import emit

    emit(data, output, force=force)
    return 0


@evidence_group.command("log")
@evidence_option
@click.option(
    "--stream",
    "stream",
    type=STREAM_NAME,
    help="List one stream (default: every stream).",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def log_cmd(evidence: str | None, stream: str | None, limit: int) -> int:
    """List the newest recorded runs (stream, seq, run id, command, decision)."""
    from regulens.evidence.replay import load_statement

    rows: list[StoredRecord] = []
    with open_evidence(evidence) as store:
        for rec in store.records(stream):
            rows.append(rec)
            if len(rows) > limit * 4:
                rows = rows[-limit:]
    rows.sort(key=lambda r: (r.recorded_at, r.stream, r.seq))
    for rec in rows[-limit:]:
        try:
            decision = load_statement(rec)["predicate"]["decision"]["decision"]
        except (KeyError, TypeError, ValueError, ConfigError):
            decision = "?"
        click.echo(
            printable(
                f"{rec.recorded_at}  {rec.stream}#{rec.seq}  {rec.run_id}  {rec.command}  "
                f"{decision}"
            )
        )
    return 0


@evidence_group.command("show")
@evidence_option
@click.argument("run_id")
def show_cmd(evidence: str | None, run_id: str) -> int:
    """Print one run's record: chain fields and its statement (JSON)."""
    from regulens.evidence.replay import load_statement

    with open_evidence(evidence) as store:
        rec = store.get(run_id)
    if rec is None:
        raise ConfigError(f"no run {run_id!r} in the evidence store")
    doc = {
        "stream": rec.stream,
        "seq": rec.seq,
        "run_id": rec.run_id,
        "command": rec.command,
        "recorded_at": rec.recorded_at,
        "prev_hash": rec.prev_hash.hex(),
        "record_hash": rec.record_hash.hex(),
        "key_id": rec.key_id,
        "signed": rec.signature is not None,
        "statement": load_statement(rec),
    }
    click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    return 0


@evidence_group.command("replay")
@evidence_option
@click.argument("run_id")
def replay_cmd(evidence: str | None, run_id: str) -> int:
    """Re-evaluate a run from its stored inputs; exit 0 when the decision is reproduced, else 2."""
    from regulens.evidence.replay import replay_run

    with open_evidence(evidence) as store:
        result = replay_run(store, run_id)
    rec, rep = result.recorded, result.replayed
    click.echo(f"recorded: {rec['decision']} (exit {rec['exit_code']})")
    click.echo(f"replayed: {rep['decision']} (exit {rep['exit_code']})")
    if result.same:
        click.echo("SAME: the recorded decision and results are reproduced")
        return 0
    for diff in result.differences:
        click.echo(f"DIFFERENT: {diff}")
    return int(ExitCode.INCOMPLETE)


@evidence_group.command("export")
@evidence_option
@click.option(
    "--stream",
    "stream",
    type=STREAM_NAME,
    help="Export one stream (default: every stream).",
)
@click.option("--since", type=Timestamp(), help="Records recorded at or after this time.")
@click.option("--until", type=Timestamp(), help="Records recorded before this time.")
@signing_key_option
@click.option("--output", "-o", "output", required=True, metavar="FILE", help="Bundle (.tar).")
@click.option("--force", is_flag=True, help="Overwrite an existing bundle.")
def export_cmd(
    evidence: str | None,
    stream: str | None,
    since: datetime | None,
    until: datetime | None,
    signing_key: str | None,
    output: str,
    force: bool,
) -> int:
    """Write a signed bundle (uncompressed tar) that auditors verify offline."""
    from regulens.evidence.bundle import export_bundle
    from regulens.evidence.keys import load_signer
    from regulens.evidence.statement import rfc3339

    if not signing_key:
        raise ConfigError("a bundle manifest must be signed", hint="pass --signing-key FILE")
    signer = load_signer(signing_key)
    at = clock.now()
    target = Path(output)
    if target.exists() and not force:
        raise ConfigError(f"{output}: already exists", hint="pass --force to overwrite it")
    directory = target.parent
    if not directory.is_dir():
        raise ConfigError(f"{output}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh, open_evidence(evidence) as store:
            manifest = export_bundle(
                store,
                fh,
                signer,
                created_at=rfc3339(at),
                mtime=int(at.timestamp()),
                stream=stream,
                since=rfc3339(since) if since else None,
                until=rfc3339(until) if until else None,
            )
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for s in manifest["streams"]:
        click.echo(f"stream {s['stream']}: seq {s['first_seq']}..{s['last_seq']} ({s['count']})")
    click.echo(f"wrote {output}")
    return 0


@evidence_group.command("verify-bundle")
@click.argument("bundle", metavar="BUNDLE.tar")
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    required=True,
    metavar="FILE",
    help="Trusted public key (repeatable).",
)
@click.option(
    "--checkpoint", "checkpoint_files", multiple=True, metavar="FILE", help="Exported checkpoint."
)
@every_signature_option
@format_option()
def verify_bundle_cmd(
    bundle: str,
    public_keys: tuple[str, ...],
    checkpoint_files: tuple[str, ...],
    every_signature: bool,
    fmt: str,
) -> int:
    """Verify a bundle offline, streaming (never extracted); exit 0 only when OK, 2 otherwise."""
    from regulens.evidence.bundle import verify_bundle
    from regulens.evidence.keys import load_trusted

    trusted = load_trusted(public_keys)
    extra = extra_checkpoints(checkpoint_files)
    try:
        with Path(bundle).open("rb") as fh:
            report = verify_bundle(fh, trusted, checkpoints=extra, every_signature=every_signature)
    except OSError as exc:
        raise ConfigError(f"{bundle}: cannot read: {exc.strerror}") from exc
    if fmt == "json":
        doc = {
            "status": report.status,
            "message": report.message,
            "streams": [r.to_json() for r in report.streams],
        }
        click.echo(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode())
    else:
        for r in report.streams:
            where = f" at seq {r.seq}" if r.seq is not None else ""
            detail = f": {r.message}" if r.message else f" ({_checked_records(r)})"
            click.echo(f"stream {r.stream}: {r.status.value}{where}{detail}")
        if report.message and not report.streams:
            click.echo(f"bundle: {report.message}")
        click.echo(report.status)
    return 0 if report.ok else int(ExitCode.INCOMPLETE)


@click.group("keys")
def keys_group() -> None:
    """Manage Ed25519 signing keys for evidence."""


@keys_group.command("generate")
@click.option("--output", "-o", "output", required=True, metavar="FILE", help="Private key file.")
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def generate_cmd(output: str, force: bool) -> int:
    """Create a private key FILE (mode 0600) and its public key FILE.pub."""
    from regulens.evidence.keys import Signer, public_pem

    signer = Signer.generate()
    target = Path(output)
    public = Path(f"{output}.pub")
    for path in (target, public):
        if path.exists() and not force:
            raise ConfigError(f"{path}: already exists", hint="pass --force to overwrite it")
    if not target.parent.is_dir():
        raise ConfigError(f"{output}: directory {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp creates the file with mode 0600
            fh.write(signer.private_pem())
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    public.write_bytes(public_pem(signer.public))
    click.echo(f"wrote {target} (private) and {public}; key id {signer.key_id}")
    return 0


RENDER_FORMATS = ("sarif", "junit", "markdown", "json", "policyreport")


def recorded_outcome(run_id: str, evidence: str | None, public_keys: tuple[str, ...]) -> Outcome:
    """The outcome a recorded run stored, after its record verifies (else exit 2)."""
    from regulens.evidence.replay import load_statement
    from regulens.reports.recorded import outcome_of, verify_run

    trusted = trusted_keys(public_keys)
    if trusted is None:
        click.echo("note: signatures not checked (no --public-key)", err=True)
    with open_evidence(evidence) as store:
        rec = store.get(run_id)
        if rec is None:
            raise ConfigError(f"no run {run_id!r} in the evidence store")
        verify_run(store, rec, trusted)
        return outcome_of(load_statement(rec)["predicate"], rec.run_id)


@evidence_group.command("render")
@evidence_option
@click.argument("run_id")
@click.option("--format", "fmt", type=click.Choice(RENDER_FORMATS), required=True)
@click.option(
    "--public-key", "public_keys", multiple=True, metavar="FILE", help="Trusted key (repeatable)."
)
@click.option("--output", "-o", "output", metavar="FILE", help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def render_cmd(
    evidence: str | None,
    run_id: str,
    fmt: str,
    public_keys: tuple[str, ...],
    output: str | None,
    force: bool,
) -> int:
    """Render a recorded run from its stored results, after verifying its record (else exit 2).

    The record's hash and chain link (and, with --public-key, its signature) are
    checked first; a record that does not verify is refused with exit 2.
    """
    from regulens.cli.output import emit
    from regulens.cli.render import render_outcome_bytes

    outcome = recorded_outcome(run_id, evidence, public_keys)
    emit(render_outcome_bytes(outcome, fmt), output, force=force)
    return 0
