"""The portal's sign-in tokens: a file of argon2id hashes; the token itself is shown once.

A token reads `rgl_<id>_<secret>`: the id (public, 12 hex digits) finds the entry,
and only the secret's argon2id hash is stored. Ids are compared in constant time
and an unknown id still costs one hash verification, so timing tells nothing.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from regulens.errors import ConfigError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", re.ASCII)
_TOKEN = re.compile(r"rgl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})", re.ASCII)
MAX_FILE = 1 << 20
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not-a-token")


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """One stored token: who it is for, its public id and the hash of its secret."""

    name: str
    token_id: str
    hash: str


def _entry(item: object, where: str) -> TokenEntry:
    if not isinstance(item, dict) or set(item) != {"name", "id", "hash"}:
        raise ConfigError(f"{where}: each token needs exactly name, id and hash")
    name, token_id, hashed = item["name"], item["id"], item["hash"]
    if not (isinstance(name, str) and _NAME.fullmatch(name)):
        raise ConfigError(f"{where}: bad token name")
    if not (isinstance(token_id, str) and re.fullmatch(r"[0-9a-f]{12}", token_id)):
        raise ConfigError(f"{where}: bad token id")
    if not (isinstance(hashed, str) and hashed.startswith("$argon2id$")):
        raise ConfigError(f"{where}: token {name}: not an argon2id hash")
    return TokenEntry(name, token_id, hashed)


def load_tokens(path: Path) -> tuple[TokenEntry, ...]:
    """Read the token file (missing file: no tokens); a malformed one is an error (exit 3)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE + 1)
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_FILE:
        raise ConfigError(f"{path}: larger than {MAX_FILE} bytes")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON: {exc}") from exc
    items = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ConfigError(f"{path}: expected an object with a `tokens` list")
    entries = tuple(_entry(item, f"{path}: tokens[{i}]") for i, item in enumerate(items))
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: duplicate token name")
    return entries


def add_token(path: Path, name: str) -> str:
    """Create a token for `name`, store its hash (atomically, mode 0600), return the token."""
    if _NAME.fullmatch(name) is None:
        raise ConfigError(f"token name {name!r} must be letters, digits and . _ @ - (at most 64)")
    entries = list(load_tokens(path))
    if any(e.name == name for e in entries):
        raise ConfigError(f"a token named {name!r} exists already in {path}")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    entries.append(TokenEntry(name, token_id, _HASHER.hash(secret)))
    doc = {"tokens": [{"name": e.name, "id": e.token_id, "hash": e.hash} for e in entries]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    tmp.replace(path)
    return f"rgl_{token_id}_{secret}"


class VerifiedTokens:
    """Tokens that verified recently, by keyed digest (argon2 is slow on purpose: once per TTL).

    Only successes are kept, under an HMAC with a per-process key, so the table never
    holds a token; bounded in size and time.
    """

    def __init__(self, ttl: float = 300.0, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._key = secrets.token_bytes(32)
        self._seen: dict[bytes, tuple[str, float]] = {}

    def _digest(self, token: str) -> bytes:
        return hmac.digest(self._key, token.encode("utf-8", "surrogatepass"), "sha256")

    def get(self, token: str, now: float) -> str | None:
        """The name of a token that verified within the TTL, else None."""
        item = self._seen.get(self._digest(token))
        return item[0] if item is not None and item[1] > now else None

    def put(self, token: str, name: str, now: float) -> None:
        """Remember a token that verified."""
        if len(self._seen) >= self.size:
            self._seen = {k: v for k, v in self._seen.items() if v[1] > now}
            if len(self._seen) >= self.size:
                self._seen.clear()
        self._seen[self._digest(token)] = (name, now + self.ttl)


def check_token(entries: tuple[TokenEntry, ...], token: str) -> str | None:
    """The name the token belongs to, or None; constant-time in which entry matched."""
    match = _TOKEN.fullmatch(token) if len(token) < 128 else None
    token_id, secret = match.groups() if match else ("", token[:128])
    found: TokenEntry | None = None
    for entry in entries:
        if hmac.compare_digest(entry.token_id, token_id):
            found = entry
    try:
        _HASHER.verify(found.hash if found else _DUMMY, secret)
    except (VerificationError, InvalidHashError):
        return None
    return found.name if found is not None and match is not None else None
