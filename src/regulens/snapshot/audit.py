"""The audit-policy section: an audit.k8s.io/v1 Policy file given with --audit-policy."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AuditPolicyFile(BaseModel):
    """The raw text of an audit policy file (parsed strictly by the audit checks)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str  # the file it was read from
    text: str
    digest: str = ""  # sha256 of the bytes read


__all__ = ["AuditPolicyFile"]
