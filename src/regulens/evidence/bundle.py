"""Bundles for auditors: export a signed, self-describing tar; verify it offline by streaming.

Layout (uncompressed tar, in this order):
  manifest.json      canonical JSON: streams (first/last seq, prev and head hash), files
                     (name, size, sha256), filters, creation time, key id
  manifest.sig       base64 Ed25519 signature over the manifest bytes
  keys/<id>.pem      public keys that signed records (for information; trust comes from
                     the key the auditor passes with --public-key)
  checkpoints.jsonl  stored signed checkpoints that fall inside the exported ranges
  records.jsonl      one JSON object per record, payload bytes base64-encoded

Verification never extracts anything: it reads the tar as a stream, rejects
unsafe members (absolute or `..` paths, links, devices, duplicates, oversize
members, too many members), checks the manifest signature, hashes every file
and re-verifies the chains with the same fold as `evidence verify`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from regulens.errors import ConfigError, InputDataError
from regulens.evidence.canonical import canonical_json
from regulens.evidence.checkpoint import checkpoint_from_json, checkpoint_to_json
from regulens.evidence.keys import MANIFEST_SIG_TAG, Signer, TrustedKeys, public_pem
from regulens.evidence.store import EvidenceStore, StoredCheckpoint, StoredRecord
from regulens.evidence.verify import Status, StreamReport, StreamVerifier, verify_store

BUNDLE_FORMAT = "regulens-evidence-bundle/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RECORDS = "records.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
_KEY_NAME = re.compile(r"^keys/[0-9a-f]{64}\.pem$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a bundle may contain before it is rejected unread."""

    max_members: int = 1000
    max_manifest: int = 1 << 20
    max_signature: int = 4096
    max_key: int = 16 << 10
    max_checkpoints: int = 64 << 20
    max_records: int = 8 << 30
    max_line: int = 256 << 20

    def size_limit(self, name: str) -> int:
        """The largest size a member of this name may have."""
        if name == MANIFEST:
            return self.max_manifest
        if name == SIGNATURE:
            return self.max_signature
        if name == CHECKPOINTS:
            return self.max_checkpoints
        if name == RECORDS:
            return self.max_records
        return self.max_key


# -- export -------------------------------------------------------------------


def _record_json(rec: StoredRecord) -> bytes:
    return orjson.dumps(
        {
            "stream": rec.stream,
            "seq": rec.seq,
            "run_id": rec.run_id,
            "command": rec.command,
            "recorded_at": rec.recorded_at,
            "payload": base64.b64encode(rec.payload).decode(),
            "prev_hash": rec.prev_hash.hex(),
            "record_hash": rec.record_hash.hex(),
            "key_id": rec.key_id,
            "signature": base64.b64encode(rec.signature).decode() if rec.signature else None,
        }
    )


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    info.mtime = mtime
    data.seek(0)
    tar.addfile(info, data)


def export_bundle(
    store: EvidenceStore,
    out: IO[bytes],
    signer: Signer,
    *,
    created_at: str,
    mtime: int,
    stream: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> dict[str, Any]:
    """Write a bundle of the selected records to `out`; return its manifest.

    `since`/`until` select records by `recorded_at`; each stream's export is the
    contiguous seq range that spans them, so the chain can be checked end to end.
    """
    # The selection reads the recorded_at column: only a store whose columns agree with
    # their hashed statements (and whose chains hold) may be exported.
    for report in verify_store(store, stream=stream):
        if report.status is not Status.OK and report.status is not Status.EMPTY:
            where = f" at seq {report.seq}" if report.seq is not None else ""
            raise InputDataError(
                f"stream {report.stream}: {report.status.value}{where}: {report.message}",
                hint="the store does not verify; investigate with `regulens evidence verify`",
            )
    ranges: dict[str, tuple[int, int]] = {}
    for rec in store.records(stream, since=since, until=until):
        low, _ = ranges.get(rec.stream, (rec.seq, rec.seq))
        ranges[rec.stream] = (low, rec.seq)
    if not ranges:
        raise ConfigError("nothing to export: no records match the selection")
    streams = []
    with tempfile.SpooledTemporaryFile(max_size=16 << 20) as records:
        digest = hashlib.sha256()
        size = 0
        for name, (first, last) in sorted(ranges.items()):
            count = 0
            prev = head = b""
            for rec in store.records(name, first=first, last_seq=last):
                if count == 0:
                    prev = rec.prev_hash
                line = _record_json(rec) + b"\n"
                records.write(line)
                digest.update(line)
                size += len(line)
                head = rec.record_hash
                count += 1
            streams.append(
                {
                    "stream": name,
                    "first_seq": first,
                    "last_seq": last,
                    "count": count,
                    "prev_hash": prev.hex(),
                    "head_hash": head.hex(),
                }
            )
        cps = [
            cp
            for cp in store.checkpoints()
            if cp.stream in ranges and ranges[cp.stream][0] <= cp.size <= ranges[cp.stream][1]
        ]
        checkpoints = b"".join(orjson.dumps(checkpoint_to_json(cp)) + b"\n" for cp in cps)
        keys = dict(store.public_keys())
        keys[signer.key_id] = public_pem(signer.public)
        files: list[tuple[str, bytes | None]] = [
            *((f"keys/{kid}.pem", pem) for kid, pem in sorted(keys.items())),
            (CHECKPOINTS, checkpoints),
            (RECORDS, None),
        ]
        listing = []
        for name, data in files:
            if data is None:
                listing.append({"name": name, "size": size, "sha256": digest.hexdigest()})
            else:
                listing.append(
                    {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                )
        manifest: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "created_at": created_at,
            "key_id": signer.key_id,
            "filters": {"stream": stream, "since": since, "until": until},
            "streams": streams,
            "files": listing,
        }
        manifest_bytes = canonical_json(manifest)
        signature = base64.b64encode(signer.sign(MANIFEST_SIG_TAG, manifest_bytes)) + b"\n"
        with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _add(tar, MANIFEST, io.BytesIO(manifest_bytes), len(manifest_bytes), mtime)
            _add(tar, SIGNATURE, io.BytesIO(signature), len(signature), mtime)
            for name, data in files:
                if data is None:
                    _add(tar, name, records, size, mtime)
                else:
                    _add(tar, name, io.BytesIO(data), len(data), mtime)
    return manifest


# -- verify -------------------------------------------------------------------


class Rejected(Exception):
    """The bundle is unsafe or malformed; verification stops."""


class _Untrusted(Exception):
    """The manifest is not signed by a trusted key; verification stops before the members."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class BundleReport:
    """The verdict on a bundle: REJECTED/BAD_SIGNATURE/... with a reason, or per-stream reports."""

    status: str
    message: str
    streams: list[StreamReport] = field(default_factory=list)
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the bundle and every stream in it verified."""
        return self.status == Status.OK.value


_HEADER_LIMIT = 64 << 10  # pax / GNU long-name headers are read whole by tarfile: bound them
_EXTENDED = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE,
             tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)  # fmt: skip


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses extended headers larger than `_HEADER_LIMIT` before reading them."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED and self.size > _HEADER_LIMIT:
            raise tarfile.HeaderError(f"extended header of {self.size} bytes")
        member: tarfile.TarInfo = super()._proc_member(tarfile_)  # type: ignore[misc]
        return member


def _safe_name(member: tarfile.TarInfo) -> str:
    name = member.name
    if not name or name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        raise Rejected(f"member {name!r}: absolute path")
    if any(part in ("..", ".", "") for part in name.split("/")):
        raise Rejected(f"member {name!r}: path traversal or non-normal path")
    if member.issym() or member.islnk():
        raise Rejected(f"member {name!r}: links are not allowed")
    if member.isdev() or member.ischr() or member.isblk() or member.isfifo():
        raise Rejected(f"member {name!r}: device files are not allowed")
    if not member.isreg() or member.issparse():
        raise Rejected(f"member {name!r}: only regular files are allowed")
    return name


def _chunks(stream: IO[bytes], size: int) -> Iterator[bytes]:
    remaining = size
    while remaining > 0:
        chunk = stream.read(min(_CHUNK, remaining))
        if not chunk:
            raise Rejected("bundle ends inside a member")
        remaining -= len(chunk)
        yield chunk


def _lines(chunks: Iterator[bytes], digest: Any, max_line: int) -> Iterator[bytes]:
    """Split a member into lines as it streams; a line longer than `max_line` is rejected
    as soon as that many bytes without a newline were read (never buffered further)."""
    pending = bytearray()
    for chunk in chunks:
        digest.update(chunk)
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            pending += chunk[start:end]
            if len(pending) > max_line:
                raise Rejected(f"{RECORDS}: line longer than {max_line} bytes")
            yield bytes(pending)
            pending.clear()
            start = end + 1
        pending += chunk[start:]
        if len(pending) > max_line:
            raise Rejected(f"{RECORDS}: line longer than {max_line} bytes")
    if pending:
        yield bytes(pending)


def _record_from_json(line: bytes) -> StoredRecord:
    try:
        d = orjson.loads(line)
        sig = d["signature"]
        return StoredRecord(
            stream=str(d["stream"]),
            seq=int(d["seq"]),
            run_id=str(d["run_id"]),
            command=str(d["command"]),
            recorded_at=str(d["recorded_at"]),
            payload=base64.b64decode(d["payload"], validate=True),
            prev_hash=bytes.fromhex(d["prev_hash"]),
            record_hash=bytes.fromhex(d["record_hash"]),
            key_id=d["key_id"] if d["key_id"] is None else str(d["key_id"]),
            signature=None if sig is None else base64.b64decode(sig, validate=True),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise Rejected(f"{RECORDS}: malformed record line ({exc})") from exc


class _Verification:
    def __init__(
        self,
        trusted: TrustedKeys,
        extra: list[StoredCheckpoint],
        limits: Limits,
        every_signature: bool,
    ) -> None:
        self.trusted = trusted
        self.every_signature = every_signature
        self.extra = extra
        self.limits = limits
        self.manifest: dict[str, Any] | None = None
        self.manifest_bytes = b""
        self.expected: list[dict[str, Any]] = []
        self.checkpoints: list[StoredCheckpoint] = []
        self.verifiers: dict[str, StreamVerifier] = {}
        self.signed = False

    def member(self, index: int, name: str, stream: IO[bytes], size: int) -> None:
        if index == 0:
            if name != MANIFEST:
                raise Rejected(f"first member must be {MANIFEST}, not {name!r}")
            self._manifest(b"".join(_chunks(stream, size)))
            return
        if index == 1:
            if name != SIGNATURE:
                raise Rejected(f"second member must be {SIGNATURE}, not {name!r}")
            self._signature(b"".join(_chunks(stream, size)))
            return
        position = index - 2
        if position >= len(self.expected) or self.expected[position]["name"] != name:
            raise Rejected(f"unexpected member {name!r} (not next in the manifest)")
        entry = self.expected[position]
        if entry["size"] != size:
            raise Rejected(f"member {name!r}: size {size} differs from the manifest")
        digest = hashlib.sha256()
        if name == RECORDS:
            for line in _lines(_chunks(stream, size), digest, self.limits.max_line):
                self._record(line)
        else:
            data = b"".join(_chunks(stream, size))
            digest.update(data)
            if name == CHECKPOINTS:
                self._checkpoints(data)
        if digest.hexdigest() != entry["sha256"]:
            raise Rejected(f"member {name!r}: sha256 differs from the manifest")

    def _manifest(self, data: bytes) -> None:
        try:
            manifest = orjson.loads(data)
            if canonical_json(manifest) != data:
                raise Rejected(f"{MANIFEST} is not canonical JSON")
            if manifest.get("format") != BUNDLE_FORMAT:
                raise Rejected(f"{MANIFEST}: format is not {BUNDLE_FORMAT}")
            self.expected = list(manifest["files"])
            for f in self.expected:
                if not (
                    isinstance(f["name"], str)
                    and type(f["size"]) is int
                    and isinstance(f["sha256"], str)
                ):
                    raise Rejected(f"{MANIFEST}: malformed file entry")
            names = [f["name"] for f in self.expected]
            if len(set(names)) != len(names) or names[-2:] != [CHECKPOINTS, RECORDS]:
                raise Rejected(f"{MANIFEST}: unexpected file list")
            if any(not (_KEY_NAME.match(n)) for n in names[:-2]):
                raise Rejected(f"{MANIFEST}: unexpected file names")
            for s in manifest["streams"]:
                if not isinstance(s["stream"], str):
                    raise Rejected(f"{MANIFEST}: a stream name is not a string")
                int(s["first_seq"]), int(s["last_seq"]), int(s["count"])
                bytes.fromhex(s["prev_hash"]), bytes.fromhex(s["head_hash"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise Rejected(f"{MANIFEST} is malformed ({exc})") from exc
        self.manifest = manifest
        self.manifest_bytes = data

    def _signature(self, data: bytes) -> None:
        assert self.manifest is not None
        kid = str(self.manifest.get("key_id"))
        try:
            signature = base64.b64decode(data.strip(), validate=True)
        except binascii.Error as exc:
            raise Rejected(f"{SIGNATURE} is not base64") from exc
        # Nothing after the signature is read unless the manifest is signed by a trusted key.
        if kid not in self.trusted.keys:
            raise _Untrusted(Status.UNKNOWN_KEY, f"manifest signed by unknown key {kid}")
        if not self.trusted.verify(kid, MANIFEST_SIG_TAG, self.manifest_bytes, signature):
            raise _Untrusted(Status.BAD_SIGNATURE, "manifest signature does not verify")
        self.signed = True

    def _checkpoints(self, data: bytes) -> None:
        for i, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                parsed = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise Rejected(f"{CHECKPOINTS}:{i}: not JSON") from exc
            try:
                self.checkpoints.append(checkpoint_from_json(parsed, f"{CHECKPOINTS}:{i}"))
            except ConfigError as exc:
                raise Rejected(exc.message) from exc
        assert self.manifest is not None
        cps = [*self.checkpoints, *self.extra]
        for s in self.manifest["streams"]:
            name = str(s["stream"])
            inside = [cp for cp in cps if cp.stream == name and cp.size >= int(s["first_seq"])]
            self.verifiers[name] = StreamVerifier(
                name,
                self.trusted,
                inside,
                self.every_signature,
                next_seq=int(s["first_seq"]),
                prev=bytes.fromhex(s["prev_hash"]),
            )

    def _record(self, line: bytes) -> None:
        rec = _record_from_json(line)
        verifier = self.verifiers.get(rec.stream)
        if verifier is None:
            raise Rejected(f"{RECORDS}: record of stream {rec.stream!r} not in the manifest")
        verifier.feed(rec)

    def finish(self) -> BundleReport:
        if self.manifest is None:
            raise Rejected("empty bundle")
        if not self.signed:
            raise Rejected(f"bundle has no {SIGNATURE}")
        reports = []
        for s in self.manifest["streams"]:
            name = str(s["stream"])
            report = self.verifiers[name].finish()
            if report.status is Status.OK and (
                report.records != int(s["count"])
                or report.head != bytes.fromhex(s["head_hash"])
                or self.verifiers[name].next_seq - 1 != int(s["last_seq"])
            ):
                report = StreamReport(
                    name, Status.TRUNCATED, self.verifiers[name].next_seq,
                    "records end before the manifest's head", report.records, report.head,
                )  # fmt: skip
            reports.append(report)
        for report in reports:
            if report.status is not Status.OK:
                return BundleReport(report.status.value, report.message, reports, self.manifest)
        return BundleReport(Status.OK.value, "", reports, self.manifest)


def verify_bundle(
    source: IO[bytes],
    trusted: TrustedKeys,
    *,
    checkpoints: list[StoredCheckpoint] | None = None,
    limits: Limits | None = None,
    every_signature: bool = False,
) -> BundleReport:
    """Verify a bundle read as a stream; nothing is ever written to disk.

    As in a store, records a trusted checkpoint covers are authenticated by it
    (`StreamVerifier`); `every_signature` checks each record's own signature too.
    """
    limits = limits or Limits()
    state = _Verification(trusted, list(checkpoints or []), limits, every_signature)
    seen: set[str] = set()
    try:
        try:
            with tarfile.open(fileobj=source, mode="r|", tarinfo=_BoundedTarInfo) as tar:
                for index, member in enumerate(tar):
                    if index >= limits.max_members:
                        raise Rejected(f"too many members (limit {limits.max_members})")
                    name = _safe_name(member)
                    if name in seen:
                        raise Rejected(f"duplicate member {name!r}")
                    seen.add(name)
                    limit = limits.size_limit(name)
                    if member.size > limit:
                        raise Rejected(f"member {name!r} is {member.size} bytes (limit {limit})")
                    data = tar.extractfile(member)
                    if data is None:
                        raise Rejected(f"member {name!r} has no data")
                    state.member(index, name, data, member.size)
        except tarfile.TarError as exc:
            raise Rejected(f"not a valid tar archive ({exc})") from exc
        if len(seen) < 2 + len(state.expected):
            raise Rejected("bundle is missing members listed in the manifest")
        return state.finish()
    except _Untrusted as exc:
        return BundleReport(exc.status.value, str(exc), manifest=state.manifest)
    except Rejected as exc:
        return BundleReport("REJECTED", str(exc), manifest=state.manifest)
