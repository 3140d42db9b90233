"""The `kind: PolicyTest` document: policies, inputs, `now` and the expected results.

A test names the policies it runs (files relative to the test, or `builtin:NAME`),
the Kubernetes objects they judge (manifest files, then inline `objects`, a later
object replacing an earlier one of the same kind, namespace and name, then
`delete`), other inputs, and what each policy must say about each resource.
A test without expectations is invalid: zero expectations would pass anything.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from regulens.engine.policy import SLUG
from regulens.engine.types import Status

# Kind/name (cluster-scoped) or Kind/namespace/name, as results name their resource
RESOURCE = r"^[A-Za-z][A-Za-z0-9]*/([^/\s]+/)?[^/\s]+$"
ResourceId = Annotated[str, Field(pattern=RESOURCE, max_length=400)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PolicyTestMetadata(_Strict):
    """Name and description of a policy test."""

    name: str = Field(pattern=SLUG, max_length=200)
    description: str | None = None


class PolicyTestInputs(_Strict):
    """Inputs other than Kubernetes objects; paths are relative to the test file."""

    change: str | None = Field(default=None, min_length=1, description="ChangeRequest file")
    current_manifests: tuple[str, ...] = Field(
        default=(), description="The current state the change is compared with"
    )
    audit_policy: str | None = Field(default=None, min_length=1)
    backups: str | None = Field(default=None, min_length=1, description="Backup catalog")
    drills: str | None = Field(default=None, min_length=1, description="Restore drill records")
    metrics: str | None = Field(default=None, min_length=1, description="KPI values file")
    trivy_reports: tuple[str, ...] = Field(default=(), description="Trivy JSON reports")
    exceptions: tuple[str, ...] = Field(default=(), description="ExceptionSet files")


class Expectation(_Strict):
    """What one policy must say about one resource (every result of it, without `resource`)."""

    policy: str = Field(pattern=SLUG, max_length=100)
    resource: ResourceId | None = Field(
        default=None,
        description="Kind/namespace/name or Kind/name; absent: every result of the policy",
    )
    status: Status
    message: str | None = Field(
        default=None, min_length=1, description="A text one of the matched messages contains"
    )


class PolicyTest(_Strict):
    """A `kind: PolicyTest` document."""

    api_version: Literal["regulens/v1"] = Field(alias="apiVersion")
    kind: Literal["PolicyTest"]
    metadata: PolicyTestMetadata
    policies: tuple[str, ...] = Field(
        min_length=1,
        description="Policy files or directories (relative to the test) or builtin:NAME",
    )
    select: tuple[str, ...] = Field(default=(), description="Only policies whose id matches")
    now: AwareDatetime = Field(description="The evaluation time")
    resources: tuple[str, ...] = Field(
        default=(), description="Manifest files or directories, relative to the test file"
    )
    objects: tuple[dict[str, JsonValue], ...] = Field(
        default=(), description="Inline Kubernetes objects, layered over `resources`"
    )
    delete: tuple[ResourceId, ...] = Field(
        default=(),
        description="Objects (Kind/namespace/name) removed from `resources` before judging",
    )
    inputs: PolicyTestInputs = PolicyTestInputs()
    others: Status | None = Field(
        default=None, description="The status every result no expectation names must have"
    )
    expect: tuple[Expectation, ...] = Field(min_length=1)
