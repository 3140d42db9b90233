"""What a check gets besides the snapshot: the time and the policy's scope."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from regulens.engine.match import Match
from regulens.snapshot import Resource
from regulens.snapshot.kubernetes import KubernetesState

_NO_LABELS: Mapping[str, str] = {}


@dataclass(frozen=True, slots=True)
class EvalContext:
    """The evaluation time (an input: checks never read the clock) and the policy's scope."""

    now: datetime
    match: Match | None = None

    def select(self, state: KubernetesState, kinds: frozenset[str] | None) -> Iterator[Resource]:
        """Yield the objects of `kinds` (None: every kind) that the policy's match admits."""
        source = iter(state.resources) if kinds is None else state.of_kinds(sorted(kinds))
        match = self.match
        if match is None:
            yield from source
            return
        by_labels = match.selector is not None  # labels are read only for a selector
        for resource in source:
            if match.admits(resource.namespace, resource.labels if by_labels else _NO_LABELS):
                yield resource
