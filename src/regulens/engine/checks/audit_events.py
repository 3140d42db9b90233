"""The `audit-events` check: security events per user from Kubernetes audit logs in a window."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from regulens.engine.checks.base import Check
from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.engine.timefmt import iso
from regulens.engine.types import Duration, Status, format_duration
from regulens.snapshot import Snapshot
from regulens.snapshot.audit_events import (
    MIN_SILENCE,
    AuditCategory,
    AuditEventsState,
    AuditSample,
    AuditTally,
    AuditWindow,
)

Event = Literal[
    "failed-authentication", "authorization-denied", "privilege-escalation", "secret-read"
]
UNKNOWN_ROLE_PREFIX = "(unknown"
_CATEGORIES: dict[str, frozenset[AuditCategory]] = {
    "failed-authentication": frozenset({AuditCategory.FAILED_AUTHENTICATION}),
    "authorization-denied": frozenset({AuditCategory.AUTHORIZATION_DENIED}),
    "privilege-escalation": frozenset(
        {
            AuditCategory.ROLE_BINDING_WRITE,
            AuditCategory.ESCALATING_VERB,
            AuditCategory.KUBE_SYSTEM_EXEC,
            AuditCategory.TOKEN_REQUEST,
        }
    ),
    "secret-read": frozenset({AuditCategory.SECRET_READ}),
}
_WHAT = {
    "failed-authentication": "failed authentication(s) (401)",
    "authorization-denied": "authorization denial(s) (403)",
    "privilege-escalation": "privilege-escalation attempt(s)",
    "secret-read": "Secret read(s)",
}
_RULE = {
    AuditCategory.ROLE_BINDING_WRITE: "binding write",
    AuditCategory.ESCALATING_VERB: "escalating verb",
    AuditCategory.KUBE_SYSTEM_EXEC: "exec/attach in kube-system",
    AuditCategory.TOKEN_REQUEST: "serviceaccounts/token creation",
}


def window_of(check: AuditEvents, now: Any) -> tuple[Any, Any]:
    """The [start, end) window a check judges at `now` (the source reduces exactly these)."""
    return (now - check.window, now)


class AuditEvents(Check):
    """Per user, audit-log security events of one kind in the window are at most max_count."""

    type: Literal["audit-events"]
    event: Event = Field(
        description="failed-authentication (401), authorization-denied (403), "
        "privilege-escalation (binding writes to escalating roles, escalate/bind/impersonate, "
        "exec/attach in kube-system, serviceaccounts/token creation) or secret-read"
    )
    window: Duration = Field(
        default=timedelta(hours=24), description="The window that ends at now, e.g. 24h"
    )
    max_count: int = Field(default=0, ge=0, description="Events allowed per user in the window")
    allow_users: tuple[str, ...] = Field(
        default=(), description="Users (fnmatch globs, e.g. system:node:*) that are not judged"
    )
    escalating_roles: tuple[str, ...] = Field(
        default=("cluster-admin", "admin", "edit"),
        description="privilege-escalation: roles whose binding is an escalation (a binding "
        "whose role the event does not show counts too)",
    )
    max_lag: Duration = Field(
        default=timedelta(minutes=15),
        description="The longest span without any audit event (also before now), at least 10m",
    )
    inputs = frozenset({Input.AUDIT_EVENTS})

    @model_validator(mode="after")
    def _lag(self) -> AuditEvents:
        if self.max_lag < MIN_SILENCE:
            raise ValueError(f"max_lag must be at least {format_duration(MIN_SILENCE)}")
        if self.window < self.max_lag:
            raise ValueError("window must be at least max_lag")
        return self

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Check the log covers the window and was read whole, then judge each user."""
        state = snap.audit_events
        assert state is not None
        start, end = window_of(self, ctx.now)
        window = state.window(start, end)
        trouble = self._coverage(state, window, start, end)
        if trouble is not None:
            yield Finding(Status.ERROR, f"not evaluated: {trouble}", details=self._base(start, end))
            return
        assert window is not None
        per_user: dict[str, list[AuditTally]] = {}
        for tally in window.tallies:
            if self._counts(tally) and not self._allowed(tally.user):
                per_user.setdefault(tally.user, []).append(tally)
        failing = 0
        for user in sorted(per_user):
            tallies = per_user[user]
            count = sum(t.count for t in tallies)
            if count > self.max_count:
                failing += 1
                yield self._fail(user, tallies, count, start, end)
        if not failing:
            yield Finding(
                Status.PASS,
                f"{len(per_user)} user(s) with {_WHAT[self.event]} in the last "
                f"{format_duration(self.window)}, none above {self.max_count} "
                f"({window.events} completed requests read)",
                details={**self._base(start, end), "users": len(per_user)},
            )

    def _base(self, start: Any, end: Any) -> dict[str, Any]:
        return {
            "event": self.event,
            "window_start": iso(start),
            "window_end": iso(end),
            "max_count": self.max_count,
        }

    def _coverage(
        self, state: AuditEventsState, window: AuditWindow | None, start: Any, end: Any
    ) -> str | None:
        if state.problems:
            listed = "; ".join(
                f"{p.file}: {p.count} {p.kind.value} line(s)"
                + (f", first at line {p.first_line}" if p.first_line else "")
                + f" ({p.reason})"
                for p in state.problems
            )
            return f"the audit log could not be read completely: {listed}"
        if window is None:
            have = ", ".join(f"[{iso(w.start)}, {iso(w.end)})" for w in state.windows) or "none"
            return (
                f"the audit-events section holds no tallies for [{iso(start)}, {iso(end)}) "
                f"(it has {have}); read the log again with this policy and --now"
            )
        if window.overflow:
            return (
                f"{window.overflow} matching event(s) were not tallied: more distinct users "
                "than the section keeps"
            )
        first, last = state.first, state.last
        if first is None or last is None:
            return "the audit log holds no event"
        if first > start:
            return (
                f"the audit log starts at {iso(first)}, after the window starts "
                f"({iso(start)}): give the older (rotated) log files too"
            )
        if last < end - self.max_lag:
            return (
                f"the audit log ends at {iso(last)}, more than {format_duration(self.max_lag)} "
                f"before the window ends ({iso(end)})"
            )
        if window.events == 0 and window.other_stages:
            return (
                f"{window.other_stages} event(s) in the window, none of stage ResponseComplete "
                "or Panic: the audit policy omits the stages that carry response codes"
            )
        silent = [s for s in window.silences if s.end - s.start > self.max_lag]
        if silent or window.silences_truncated:
            spans = ", ".join(f"{iso(s.start)} to {iso(s.end)}" for s in silent[:3])
            more = f" and {len(silent) - 3} more" if len(silent) > 3 else ""
            return (
                f"no audit event from {spans}{more} (longer than "
                f"{format_duration(self.max_lag)}): a log file is missing"
                if silent
                else "the log has more silent spans than the section keeps"
            )
        return None

    def _counts(self, tally: AuditTally) -> bool:
        if tally.category not in _CATEGORIES[self.event]:
            return False
        if tally.category is AuditCategory.ROLE_BINDING_WRITE:
            return tally.detail in self.escalating_roles or tally.detail.startswith(
                UNKNOWN_ROLE_PREFIX
            )
        return True

    def _allowed(self, user: str) -> bool:
        return any(fnmatch.fnmatchcase(user, glob) for glob in self.allow_users)

    def _fail(
        self, user: str, tallies: list[AuditTally], count: int, start: Any, end: Any
    ) -> Finding:
        samples = sorted((s for t in tallies for s in t.samples), key=lambda s: s.time)
        first = samples[0]
        rules = sorted(
            {
                _RULE.get(t.category, "")
                + (f" ({t.detail})" if t.detail and t.category in _RULE else "")
                for t in tallies
            }
            - {""}
        )
        kinds = f" [{', '.join(rules)}]" if rules else ""
        return Finding(
            Status.FAIL,
            f"user {user}: {count} {_WHAT[self.event]} in the last "
            f"{format_duration(self.window)} (max {self.max_count}){kinds}; first: "
            f"{_sample(first)}",
            details={
                **self._base(start, end),
                "user": user,
                "count": count,
                "events": [_sample_json(s) for s in samples],
            },
            subject=f"user:{user}",
        )


def _sample(s: AuditSample) -> str:
    code = f" -> {s.code}" if s.code is not None else ""
    return f"{s.verb} {s.object.describe()}{code} at {iso(s.time)} (auditID {s.audit_id})"


def _sample_json(s: AuditSample) -> dict[str, Any]:
    return {
        "audit_id": s.audit_id,
        "time": iso(s.time),
        "user": s.user,
        "verb": s.verb,
        "object": s.object.describe(),
        "code": s.code,
        "file": s.file,
        "line": s.line,
    }
