"""Effective RBAC permissions: who can do what, through which binding and role."""

from regulens.engine.rbac.index import (
    RBAC_KINDS,
    BindingEntry,
    Grant,
    RbacIndex,
    RoleEntry,
    build_index,
    rbac_index,
)
from regulens.engine.rbac.model import (
    Identity,
    NonResourceRequest,
    Request,
    Rule,
    Subject,
    Via,
    rule_allows,
    rule_allows_path,
)
from regulens.snapshot import ObjectKey

__all__ = [
    "RBAC_KINDS",
    "BindingEntry",
    "Grant",
    "Identity",
    "NonResourceRequest",
    "ObjectKey",
    "RbacIndex",
    "Request",
    "RoleEntry",
    "Rule",
    "Subject",
    "Via",
    "build_index",
    "rbac_index",
    "rule_allows",
    "rule_allows_path",
]
