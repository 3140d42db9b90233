"""The `audit-log-retention` check: the API server keeps audit logs long enough."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from regulens.engine.audit.source import find_apiserver
from regulens.engine.checks.base import Check, CheckError
from regulens.engine.context import EvalContext
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot


class AuditLogRetention(Check):
    """The kube-apiserver audit-log flags meet minimums (maxage days, maxbackup, maxsize MB)."""

    type: Literal["audit-log-retention"]
    min_maxage_days: int | None = Field(default=30, ge=1, description="--audit-log-maxage")
    min_maxbackup: int | None = Field(default=10, ge=1, description="--audit-log-maxbackup")
    min_maxsize_mb: int | None = Field(default=100, ge=1, description="--audit-log-maxsize")

    def kinds(self) -> frozenset[str] | None:
        """The kube-apiserver static Pod."""
        return frozenset({"Pod"})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Read the flags of the kube-apiserver static Pod and compare them with the minimums."""
        apiserver = find_apiserver(snap)
        if apiserver is None:
            raise CheckError(
                "no kube-apiserver static Pod (kube-system, component=kube-apiserver) in the "
                "snapshot: the audit log flags cannot be read"
            )
        flags = apiserver.flags
        ref, where = apiserver.resource.ref, apiserver.resource.source
        problems: list[str] = []
        measured: dict[str, Any] = {"audit-log-path": flags.get("audit-log-path")}
        path = flags.get("audit-log-path")
        if not path or path == "-":
            problems.append("--audit-log-path is not a file (unset or stdout)")
        for flag, minimum in (
            ("audit-log-maxage", self.min_maxage_days),
            ("audit-log-maxbackup", self.min_maxbackup),
            ("audit-log-maxsize", self.min_maxsize_mb),
        ):
            if minimum is None:
                continue
            raw = flags.get(flag)
            value = int(raw) if raw is not None and raw.isdigit() else None
            measured[flag] = value
            if value is None:
                problems.append(f"--{flag} is not set (minimum {minimum})")
            elif value < minimum:
                problems.append(f"--{flag}={value} is below the minimum {minimum}")
        if problems:
            yield Finding(
                Status.FAIL, f"{ref}: {'; '.join(problems)}", ref, where, details=measured
            )
        else:
            yield Finding(
                Status.PASS, f"{ref} keeps audit logs as required", ref, where, details=measured
            )
