"""The check registry: one module per type, one discriminated union, one tuple of types.

Adding a check type is one module plus one line in `AnyCheck`; the schema,
`regulens checks list` and dispatch follow from it.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from regulens.engine.checks.base import Check, CheckError
from regulens.engine.checks.resource_condition import ResourceCondition
from regulens.engine.checks.trivy_misconfigurations import TrivyMisconfigurations
from regulens.engine.checks.trivy_report_fresh import TrivyReportFresh
from regulens.engine.checks.trivy_secrets import TrivySecrets
from regulens.engine.checks.trivy_vulnerabilities import TrivyVulnerabilities

AnyCheck = Annotated[
    ResourceCondition
    | TrivyVulnerabilities
    | TrivyReportFresh
    | TrivySecrets
    | TrivyMisconfigurations,
    Field(discriminator="type"),
]


def _members() -> tuple[type[Check], ...]:
    inner = get_args(AnyCheck)[0]
    members = get_args(inner) or (inner,)
    return tuple(m for m in members if isinstance(m, type) and issubclass(m, Check))


CHECK_TYPES: tuple[type[Check], ...] = _members()

__all__ = ["CHECK_TYPES", "AnyCheck", "Check", "CheckError"]
