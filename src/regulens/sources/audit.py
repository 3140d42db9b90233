"""Read an audit policy file (`--audit-policy FILE`) into the audit-policy snapshot section."""

from __future__ import annotations

import hashlib
from pathlib import Path

from regulens.errors import ConfigError
from regulens.snapshot.audit import AuditPolicyFile

MAX_BYTES = 4 * 1024 * 1024


def read_audit_policy(path: str) -> AuditPolicyFile:
    """Read the file as UTF-8 text; it is parsed strictly by the audit checks."""
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"--audit-policy {path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"--audit-policy {path}: larger than {MAX_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"--audit-policy {path}: not UTF-8 text (byte {exc.start})") from None
    return AuditPolicyFile(source=path, text=text, digest=hashlib.sha256(raw).hexdigest())
