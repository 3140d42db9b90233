"""The policy language: PolicySet documents, policies and their match scope."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from regulens.engine.checks import AnyCheck
from regulens.engine.match import Match
from regulens.engine.types import Enforcement, Severity

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CONTROL = r"^[A-Za-z0-9]+:[A-Za-z0-9][A-Za-z0-9.()_-]*$"


Control = Annotated[str, Field(pattern=CONTROL, max_length=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Policy(_Strict):
    """One rule: what to check, how bad a violation is and what it does to the decision."""

    id: str = Field(pattern=SLUG, max_length=100)
    title: str = Field(min_length=1, max_length=200)
    description: str | None = None
    severity: Severity
    enforcement: Enforcement = Enforcement.DENY
    controls: tuple[Control, ...] = Field(
        default=(), description="Framework controls, e.g. SOC2:CC6.1 or ISO27001:A.5.15"
    )
    remediation: str | None = None
    match: Match | None = None
    check: AnyCheck

    @model_validator(mode="after")
    def _check_accepts_match(self) -> Policy:
        if self.match is not None and not self.check.uses_match:
            raise ValueError(f"check type {self.check.type!r} does not take a 'match' scope")
        return self


class PolicySetMetadata(_Strict):
    """Name and version of a policy set."""

    name: str = Field(pattern=SLUG)
    version: str | None = None
    description: str | None = None


class PolicySet(_Strict):
    """A `kind: PolicySet` document."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicySet"]
    metadata: PolicySetMetadata
    policies: tuple[Policy, ...] = Field(min_length=1)
