"""The base of every check type: typed parameters plus a pure `evaluate()`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from regulens.engine.context import EvalContext
from regulens.engine.inputs import Input
from regulens.engine.results import Finding
from regulens.snapshot import Snapshot


class CheckError(Exception):
    """The check could not be evaluated (bad or missing data); the policy's result is error."""


class Check(BaseModel):
    """A check type: parameters (the model's fields) and a pure `evaluate()`.

    Subclasses set `type: Literal["name"]`, `inputs` (the snapshot sections
    they read) and, when they read Kubernetes objects, `kinds()`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str
    inputs: ClassVar[frozenset[Input]] = frozenset({Input.KUBERNETES})
    uses_match: ClassVar[bool] = False

    def kinds(self) -> frozenset[str] | None:
        """Return the Kubernetes kinds this check reads (None: every kind)."""
        return frozenset()

    def skip_reason(self, snap: Snapshot) -> str | None:
        """Return why the check does not apply to this run (checked before inputs), else None."""
        return None

    def evaluate(self, snap: Snapshot, ctx: EvalContext) -> Iterator[Finding]:
        """Judge the snapshot; yield one finding per resource (or one for the whole input)."""
        raise NotImplementedError
