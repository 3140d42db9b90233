"""How RBAC findings name a subject and its binding → role path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regulens.engine.rbac.index import BindingEntry
from regulens.engine.rbac.model import Subject, Via


def subject_details(subject: Subject, via: Sequence[Via], **extra: Any) -> dict[str, Any]:
    """Return `{"subject": {...}, "via": [{"binding", "role"}], **extra}`."""
    return {"subject": subject.to_json(), "via": [v.to_json() for v in via], **extra}


def subject_key(subject: Subject) -> str:
    """The finding subject of an RBAC finding about `subject`: `subject:KIND namespace/name`."""
    return f"subject:{subject.kind} {subject.namespace or ''}/{subject.name}"


def path_text(via: Sequence[Via]) -> str:
    """`RoleBinding/ns/b → Role/ns/r; ClusterRoleBinding/c → ClusterRole/c`."""
    return "; ".join(str(v) for v in via)


def missing_role_details(bindings: Sequence[BindingEntry]) -> list[dict[str, str]]:
    """Describe bindings whose role does not exist (they grant nothing)."""
    return [{"binding": str(b.key), "role": str(b.role_key)} for b in bindings]
