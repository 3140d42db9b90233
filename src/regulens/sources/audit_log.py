"""Read Kubernetes audit logs (`--audit-log FILE`) into the bounded audit-events section.

Each file is JSON lines of `audit.k8s.io/v1` Events, plain or gzip (detected by
its magic bytes). It is streamed once: memory is bounded by the line limit, the
tallies (at most MAX_TALLIES per window, MAX_SAMPLES events each) and a fixed
de-duplication memory, never by the size of the log. Lines that are not audit
events, have a field of the wrong type, or are longer than the line limit are
counted per file with the first line number and reason (problems deny in the
checks); a file that cannot be read to its end (a truncated gzip stream) is a
problem too. Only completed requests (stage ResponseComplete or Panic) are
tallied, by requestReceivedTimestamp.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson

from regulens.errors import ConfigError
from regulens.snapshot import Provenance
from regulens.snapshot.audit_events import (
    MAX_SAMPLES,
    MAX_SILENCES,
    MAX_TALLIES,
    MIN_SILENCE,
    AuditCategory,
    AuditEventsState,
    AuditFile,
    AuditObject,
    AuditProblem,
    AuditProblemKind,
    AuditSample,
    AuditSilence,
    AuditTally,
    AuditWindow,
)

MAX_LINE = 1024 * 1024  # bytes; the API server's own request bodies are bounded near 3 MiB
MAX_TEXT = 256  # characters kept of a user, verb or object name (hostile names are bounded)
DEDUP_MEMORY = 65_536  # (auditID, stage) pairs remembered to drop repeated lines
COMPLETED = frozenset({"ResponseComplete", "Panic"})
BINDINGS = frozenset({"rolebindings", "clusterrolebindings"})
WRITES = frozenset({"create", "update", "patch"})
ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate"})
READS = frozenset({"get", "list", "watch"})
UNKNOWN_ROLE = "(unknown: no requestObject in the audit event)"
_GZIP_MAGIC = b"\x1f\x8b"


class _Malformed(Exception):
    """A line that is not a well-formed audit event; the message names the field."""


@dataclass(frozen=True, slots=True)
class _Ref:
    """objectRef as read (a pydantic AuditObject is built only for kept samples)."""

    api_group: str
    resource: str
    subresource: str
    namespace: str
    name: str

    def frozen(self) -> AuditObject:
        return AuditObject(
            api_group=self.api_group,
            resource=self.resource,
            subresource=self.subresource,
            namespace=self.namespace,
            name=self.name,
        )


@dataclass(slots=True)
class _Event:
    audit_id: str
    stage: str
    time: datetime
    user: str
    verb: str
    obj: _Ref
    code: int | None
    role: str | None  # roleRef.name of a (Cluster)RoleBinding in requestObject


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise _Malformed(f"{where} is {type(value).__name__}, not a non-empty string")
    return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…[truncated]"


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Malformed(f"{where} is {type(value).__name__}, not an object")
    return value


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise _Malformed(f"{where} is {type(value).__name__}, not a timestamp")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _Malformed(f"{where} is not an RFC 3339 timestamp") from None
    if at.tzinfo is None:
        raise _Malformed(f"{where} has no time zone")
    return at


def parse_event(line: bytes) -> _Event:
    """Parse one line into the fields the checks use; raise _Malformed naming the bad field."""
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _Malformed(f"not JSON ({str(exc).split(':', 1)[0]})") from None
    if not isinstance(doc, dict):
        raise _Malformed(f"a JSON {type(doc).__name__}, not an object")
    if doc.get("kind") != "Event" or doc.get("apiVersion") != "audit.k8s.io/v1":
        raise _Malformed("not an audit.k8s.io/v1 Event (kind/apiVersion)")
    user = _mapping(doc.get("user"), "user")
    name = _text(user.get("username"), "user.username")
    if not name:
        ips = doc.get("sourceIPs")
        first_ip = ips[0] if isinstance(ips, list) and ips else None
        name = f"(no username) from {_text(first_ip, 'sourceIPs[0]')}" if first_ip else "(none)"
    ref = _mapping(doc.get("objectRef"), "objectRef")
    obj = _Ref(
        api_group=_text(ref.get("apiGroup"), "objectRef.apiGroup"),
        resource=_text(ref.get("resource"), "objectRef.resource"),
        subresource=_text(ref.get("subresource"), "objectRef.subresource"),
        namespace=_text(ref.get("namespace"), "objectRef.namespace"),
        name=_text(ref.get("name"), "objectRef.name"),
    )
    status = _mapping(doc.get("responseStatus"), "responseStatus")
    code = status.get("code")
    if code is not None and (type(code) is not int or not 0 <= code <= 999):
        raise _Malformed("responseStatus.code is not an HTTP status code")
    role = None
    if obj.resource in BINDINGS:
        body = doc.get("requestObject")
        role_ref = body.get("roleRef") if isinstance(body, dict) else None
        if isinstance(role_ref, dict) and isinstance(role_ref.get("name"), str):
            role = _text(role_ref["name"], "requestObject.roleRef.name")
    return _Event(
        audit_id=_text(doc.get("auditID"), "auditID", required=True),
        stage=_text(doc.get("stage"), "stage", required=True),
        time=_time(doc.get("requestReceivedTimestamp"), "requestReceivedTimestamp"),
        user=name,
        verb=_text(doc.get("verb"), "verb", required=True),
        obj=obj,
        code=code,
        role=role,
    )


def classify(event: _Event) -> Iterator[tuple[AuditCategory, str]]:
    """Yield (category, detail) for every security category the event falls in."""
    obj, verb = event.obj, event.verb
    if event.code == 401:
        yield AuditCategory.FAILED_AUTHENTICATION, ""
    elif event.code == 403:
        yield AuditCategory.AUTHORIZATION_DENIED, verb
    rbac = obj.api_group in ("rbac.authorization.k8s.io", "")
    if obj.resource in BINDINGS and rbac and verb in WRITES and not obj.subresource:
        yield AuditCategory.ROLE_BINDING_WRITE, event.role or UNKNOWN_ROLE
    if verb in ESCALATING_VERBS:
        yield AuditCategory.ESCALATING_VERB, verb
    if (
        obj.resource == "pods"
        and obj.subresource in ("exec", "attach")
        and obj.namespace == "kube-system"
    ):
        yield AuditCategory.KUBE_SYSTEM_EXEC, obj.subresource
    if obj.resource == "serviceaccounts" and obj.subresource == "token" and verb == "create":
        yield AuditCategory.TOKEN_REQUEST, ""
    if (
        obj.resource == "secrets"
        and not obj.api_group
        and not obj.subresource
        and verb in READS
        and (event.code is None or event.code < 400)
    ):
        yield AuditCategory.SECRET_READ, verb


@dataclass(slots=True)
class _Tally:
    count: int
    first: datetime
    last: datetime
    samples: list[AuditSample]


@dataclass(slots=True)
class _WindowAcc:
    start: datetime
    end: datetime
    events: int = 0
    overflow: int = 0
    other_stages: int = 0
    tallies: dict[tuple[AuditCategory, str, str], _Tally] = field(default_factory=dict)
    minutes: bytearray = field(default_factory=bytearray)  # 1: some event in that minute

    def __post_init__(self) -> None:
        span = (self.end - self.start).total_seconds()
        self.minutes = bytearray(max(1, -(-int(span) // 60)))

    def seen(self, event: _Event) -> bool:
        """Mark the event's minute (any stage); return whether it falls in the window."""
        if not self.start <= event.time < self.end:
            return False
        self.minutes[int((event.time - self.start).total_seconds()) // 60] = 1
        return True

    def silences(self) -> tuple[list[AuditSilence], bool]:
        out: list[AuditSilence] = []
        step = timedelta(minutes=1)
        run_start: int | None = None
        for i, flag in enumerate([*self.minutes, 1]):
            if not flag and run_start is None:
                run_start = i
            elif flag and run_start is not None:
                if (i - run_start) * step >= MIN_SILENCE:
                    end = min(self.start + i * step, self.end)
                    out.append(AuditSilence(start=self.start + run_start * step, end=end))
                run_start = None
        return out[:MAX_SILENCES], len(out) > MAX_SILENCES

    def add(
        self, event: _Event, matches: list[tuple[AuditCategory, str]], where: tuple[str, int]
    ) -> None:
        if not self.start <= event.time < self.end:
            return
        self.events += 1
        for category, detail in matches:
            key = (category, event.user, detail)
            tally = self.tallies.get(key)
            if tally is None:
                if len(self.tallies) >= MAX_TALLIES:
                    self.overflow += 1
                    continue
                tally = self.tallies[key] = _Tally(0, event.time, event.time, [])
            tally.count += 1
            tally.first = min(tally.first, event.time)
            tally.last = max(tally.last, event.time)
            if len(tally.samples) < MAX_SAMPLES:
                tally.samples.append(
                    AuditSample(
                        audit_id=event.audit_id,
                        time=event.time,
                        user=event.user,
                        verb=event.verb,
                        object=event.obj.frozen(),
                        code=event.code,
                        file=where[0],
                        line=where[1],
                    )
                )

    def freeze(self) -> AuditWindow:
        tallies = tuple(
            AuditTally(
                category=c,
                user=u,
                detail=d,
                count=t.count,
                first=t.first,
                last=t.last,
                samples=tuple(t.samples),
            )
            for (c, u, d), t in sorted(self.tallies.items(), key=lambda kv: kv[0])
        )
        silences, truncated = self.silences()
        return AuditWindow(
            start=self.start,
            end=self.end,
            events=self.events,
            tallies=tallies,
            overflow=self.overflow,
            other_stages=self.other_stages,
            silences=tuple(silences),
            silences_truncated=truncated,
        )


class _Problems:
    """Problems of one file, counted by kind, keeping the first line and reason of each."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: dict[AuditProblemKind, list[Any]] = {}

    def add(self, kind: AuditProblemKind, line: int | None, reason: str) -> None:
        entry = self.seen.get(kind)
        if entry is None:
            self.seen[kind] = [1, line, reason]
        else:
            entry[0] += 1

    def frozen(self) -> list[AuditProblem]:
        return [
            AuditProblem(file=self.path, kind=k, count=v[0], first_line=v[1], reason=v[2])
            for k, v in sorted(self.seen.items())
        ]


class _HashingReader:
    """Read a binary file while hashing the bytes as stored."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.raw.readline(size)
        self.digest.update(data)
        return data


def _lines(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """Yield (line without newline, oversized) with at most MAX_LINE + 1 bytes held at once."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            # skip the rest of the oversized line in bounded pieces
            while True:
                rest = stream.readline(MAX_LINE)
                if not rest or rest.endswith(b"\n"):
                    break
            yield b"", True
            continue
        yield line.rstrip(b"\r\n"), False


@dataclass(slots=True)
class _Dedup:
    """Remember the last DEDUP_MEMORY (auditID, stage) pairs (bounded memory)."""

    seen: OrderedDict[tuple[str, str], None] = field(default_factory=OrderedDict)
    dropped: int = 0

    def first_time(self, key: tuple[str, str]) -> bool:
        if key in self.seen:
            self.seen.move_to_end(key)
            self.dropped += 1
            return False
        self.seen[key] = None
        if len(self.seen) > DEDUP_MEMORY:
            self.seen.popitem(last=False)
        return True


def _read_file(
    path: str, windows: Sequence[_WindowAcc], dedup: _Dedup, problems: list[AuditProblem]
) -> AuditFile:
    issues = _Problems(path)
    lines = events = 0
    first: datetime | None = None
    last: datetime | None = None
    try:
        raw = Path(path).open("rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ConfigError(f"--audit-log {path}: cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(raw.fileno()).st_mode):
        raw.close()  # a device or FIFO could stream without end
        raise ConfigError(f"--audit-log {path}: not a regular file")
    hashing = _HashingReader(raw)
    is_gzip = False
    try:
        is_gzip = raw.peek(2)[:2] == _GZIP_MAGIC
        stream: Any = gzip.GzipFile(fileobj=hashing, mode="rb") if is_gzip else hashing  # type: ignore[call-overload]
        for text, oversized in _lines(stream):
            lines += 1
            if oversized:
                issues.add(AuditProblemKind.OVERSIZED, lines, f"longer than {MAX_LINE} bytes")
                continue
            if not text.strip():
                continue  # a blank line holds no event
            try:
                event = parse_event(text)
            except _Malformed as exc:
                issues.add(AuditProblemKind.MALFORMED, lines, str(exc))
                continue
            events += 1
            first = event.time if first is None or event.time < first else first
            last = event.time if last is None or event.time > last else last
            inside = [w for w in windows if w.seen(event)]
            if event.stage not in COMPLETED:
                for window in inside:
                    window.other_stages += 1
                continue
            if not dedup.first_time((event.audit_id, event.stage)):
                continue
            matches = list(classify(event))
            for window in inside:
                window.add(event, matches, (path, lines))
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        what = "truncated gzip stream" if isinstance(exc, EOFError) else "corrupt gzip stream"
        issues.add(
            AuditProblemKind.UNREADABLE, lines + 1, f"{what}: read stopped after line {lines}"
        )
    except OSError as exc:
        issues.add(AuditProblemKind.UNREADABLE, lines + 1, f"read failed: {exc.strerror or exc}")
    finally:
        raw.close()
    problems.extend(issues.frozen())
    return AuditFile(
        path=path,
        digest="sha256:" + hashing.digest.hexdigest(),
        gzip=is_gzip,
        lines=lines,
        events=events,
        first=first,
        last=last,
    )


def read_audit_logs(
    paths: Sequence[str], windows: Iterable[tuple[datetime, datetime]], collected_at: datetime
) -> AuditEventsState:
    """Stream every file once and reduce it into one tally set per [start, end) window."""
    accs = [_WindowAcc(start, end) for start, end in sorted(set(windows))]
    dedup = _Dedup()
    problems: list[AuditProblem] = []
    files = [_read_file(p, accs, dedup, problems) for p in paths]
    provenance = Provenance(
        source="audit-log",
        collected_at=collected_at,
        inputs=tuple(paths),
        digest="sha256:"
        + hashlib.sha256("".join(f.digest for f in files).encode("ascii")).hexdigest(),
    )
    return AuditEventsState(
        provenance=provenance,
        files=tuple(files),
        windows=tuple(a.freeze() for a in accs),
        problems=tuple(problems),
        duplicates=dedup.dropped,
    )


__all__ = ["MAX_LINE", "classify", "parse_event", "read_audit_logs"]
