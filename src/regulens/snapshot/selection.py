"""Keep only the objects of selected namespaces (`--select-namespace`, `--exclude-namespace`).

Cluster-scoped objects (ClusterRoles, Namespaces, ...) are always kept: they are
not in a namespace, and RBAC and audit checks need them. A coverage gap limited
to a namespace that is left out hides nothing that is judged and is dropped;
every other gap stays (it still denies). The selection and the number of
objects it left out are recorded in the section's provenance, and the section
digest is recomputed over what is judged.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from regulens.snapshot.kubernetes import KubernetesState, NamespaceSelection, content_digest
from regulens.snapshot.model import Snapshot


def namespace_selected(
    namespace: str | None, select: Sequence[str], exclude: Sequence[str]
) -> bool:
    """True when an object in `namespace` (None: cluster-scoped) is judged."""
    if namespace is None:
        return True
    if select and not any(fnmatch.fnmatchcase(namespace, g) for g in select):
        return False
    return not any(fnmatch.fnmatchcase(namespace, g) for g in exclude)


def select_state(
    state: KubernetesState, select: Sequence[str], exclude: Sequence[str]
) -> KubernetesState:
    """Return `state` with only the objects (and gaps) of the selected namespaces."""
    kept = tuple(r for r in state.resources if namespace_selected(r.namespace, select, exclude))
    gaps = tuple(g for g in state.gaps if namespace_selected(g.namespace, select, exclude))
    selection = NamespaceSelection(
        select=tuple(select),
        exclude=tuple(exclude),
        excluded_objects=len(state.resources) - len(kept),
    )
    provenance = state.provenance.model_copy(
        update={"selection": selection, "digest": content_digest(kept, gaps)}
    )
    return KubernetesState(provenance=provenance, resources=kept, gaps=gaps, notes=state.notes)


def select_namespaces(snap: Snapshot, select: Sequence[str], exclude: Sequence[str]) -> Snapshot:
    """Apply the selection to the judged state and to the current state it is compared with."""
    if not select and not exclude:
        return snap
    update = {}
    if snap.kubernetes is not None:
        update["kubernetes"] = select_state(snap.kubernetes, select, exclude)
    if snap.baseline is not None:
        update["baseline"] = select_state(snap.baseline, select, exclude)
    return snap.model_copy(update=update)
