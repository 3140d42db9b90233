"""The identity of a finding: one definition, used by the findings baseline and SARIF.

A finding is identified by its policy id, its resource's identity (kind,
namespace, name: not the apiVersion, which changes when an API graduates) and
its subject: what, inside that resource, the finding is about. Each check sets
the subject of its findings (`Finding.subject`), from stable data only (ids,
names, file places), never from ages, timestamps, counts or message text, so a
finding keeps its identity across runs, `--now` and rewording, and two
findings a check tells apart never share one. The subjects per check type are
listed in docs/gate.md ("Findings baseline").
"""

from __future__ import annotations

import hashlib

import orjson

from regulens.engine.results import Result

# (kind, namespace, name) of the resource a finding is about
ResourceIdentity = tuple[str, str | None, str]


def fingerprint(policy: str, resource: ResourceIdentity | None, subject: str) -> str:
    """Return `sha256:HEX` over policy, resource identity and subject (canonical JSON)."""
    ident = None if resource is None else list(resource)
    data = orjson.dumps([policy, ident, subject])
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def resource_identity(result: Result) -> ResourceIdentity | None:
    """The (kind, namespace, name) of the result's resource, None for a whole-input finding."""
    ref = result.resource
    return None if ref is None else (ref.kind, ref.namespace, ref.name)


def finding_fingerprint(result: Result) -> str:
    """Return the fingerprint of the finding `result` reports (status and message play no part)."""
    return fingerprint(result.policy, resource_identity(result), result.subject)
