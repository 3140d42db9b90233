"""Which Kubernetes objects a policy looks at: kinds, namespaces, a label selector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LabelRequirement(_Strict):
    """One `matchExpressions` entry of a Kubernetes label selector."""

    key: str = Field(min_length=1)
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _values_fit_operator(self) -> LabelRequirement:
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"operator {self.operator} needs at least one value")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"operator {self.operator} takes no values")
        return self

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Apply the requirement to a label set."""
        if self.operator == "Exists":
            return self.key in labels
        if self.operator == "DoesNotExist":
            return self.key not in labels
        if self.operator == "In":
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values


class LabelSelector(_Strict):
    """A Kubernetes label selector; empty selects everything."""

    matchLabels: dict[str, str] = {}
    matchExpressions: tuple[LabelRequirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Return True when every label and expression matches."""
        if any(labels.get(k) != v for k, v in self.matchLabels.items()):
            return False
        return all(req.matches(labels) for req in self.matchExpressions)


class Match(_Strict):
    """Which Kubernetes objects a policy looks at."""

    kinds: tuple[str, ...] = Field(default=(), description="Object kinds, e.g. Deployment")
    namespaces: tuple[str, ...] = Field(default=(), description="Only these namespaces")
    exclude_namespaces: tuple[str, ...] = ()
    selector: LabelSelector | None = None

    def admits(self, namespace: str | None, labels: Mapping[str, str]) -> bool:
        """Return True when an object in `namespace` with `labels` is in scope."""
        if self.namespaces and namespace not in self.namespaces:
            return False
        if namespace is not None and namespace in self.exclude_namespaces:
            return False
        return self.selector is None or self.selector.matches(labels)
