"""The `audit-policy-present` check: an audit policy exists, parses and is switched on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field

from regulens.engine.audit.policy import Level
from regulens.engine.audit.source import (
    DEFAULT_CONFIGMAP,
    ConfigMapRef,
    find_apiserver,
    load_audit_policy,
)
from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.types import Status
from regulens.snapshot import Snapshot


class AuditPolicyPresent(Check):
    """An audit policy exists, parses strictly and logs something; the API server uses one."""

    type: Literal["audit-policy-present"]
    configmap: ConfigMapRef = Field(
        default=DEFAULT_CONFIGMAP, description="Where the policy is when no --audit-policy FILE"
    )
    require_apiserver: bool = Field(
        default=False,
        description="Error when no kube-apiserver static Pod is in the snapshot to confirm flags",
    )
    inputs: ClassVar[frozenset[Input]] = frozenset()

    def kinds(self) -> frozenset[str] | None:
        """The ConfigMap holding the policy and the kube-apiserver Pod."""
        return frozenset({"ConfigMap", "Pod"})

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Load the policy (missing or malformed: error) and check the API server's flags."""
        loaded = load_audit_policy(snap, self.configmap)
        rules = loaded.policy.rules
        if not any(Level.of(r.level) > Level.NONE for r in rules):
            yield Finding(
                Status.FAIL,
                f"the audit policy in {loaded.where} logs nothing (no rule above level None)",
                loaded.resource,
                loaded.location,
                details={"policy": loaded.where, "rules": len(rules)},
            )
            return
        yield Finding(
            Status.PASS,
            f"audit policy present in {loaded.where} ({len(rules)} rules)",
            loaded.resource,
            loaded.location,
            details={"policy": loaded.where, "rules": len(rules)},
        )
        apiserver = find_apiserver(snap)
        if apiserver is None:
            if self.require_apiserver:
                yield Finding(
                    Status.ERROR,
                    "not evaluated: no kube-apiserver static Pod in kube-system in the snapshot, "
                    "so the audit flags cannot be confirmed",
                )
            return
        missing = [f for f in ("audit-policy-file",) if not apiserver.flags.get(f)]
        if not apiserver.flags.get("audit-log-path") and not apiserver.flags.get(
            "audit-webhook-config-file"
        ):
            missing.append("audit-log-path")
        ref, where = apiserver.resource.ref, apiserver.resource.source
        if missing:
            yield Finding(
                Status.FAIL,
                f"{ref} does not audit: {', '.join('--' + m for m in missing)} not set",
                ref,
                where,
                details={"missing_flags": missing},
            )
        else:
            yield Finding(Status.PASS, f"{ref} has auditing switched on", ref, where)
