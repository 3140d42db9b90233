"""The levels a Namespace's pod-security.kubernetes.io labels declare, read as PSA reads them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from regulens.engine.pod_security.standards import POLICY_VERSION, Level

LABEL_PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "warn", "audit")
_VERSION = re.compile(r"^(latest|v1\.(0|[1-9][0-9]{0,2}))$")


@dataclass(frozen=True, slots=True)
class ModeLevel:
    """The level of one mode (enforce, warn or audit) and how it was read."""

    level: Level
    label: str | None  # the label's value as written (None: unset, the default applies)
    version: str  # latest, or the pinned version as written
    note: str = ""  # why the value was not taken as written


@dataclass(frozen=True, slots=True)
class NamespaceLevels:
    """What a Namespace's labels declare for each mode."""

    enforce: ModeLevel
    warn: ModeLevel
    audit: ModeLevel

    def to_json(self) -> dict[str, str]:
        """The declared levels (mode -> level[:version]), for result details."""
        out = {}
        for mode in MODES:
            m: ModeLevel = getattr(self, mode)
            out[mode] = f"{m.level.value}:{m.version}"
        return out


def _mode(labels: Mapping[str, str], mode: str) -> ModeLevel:
    raw = labels.get(LABEL_PREFIX + mode)
    version = labels.get(f"{LABEL_PREFIX}{mode}-version")
    notes = []
    if version is None:
        version = "latest"
    elif not isinstance(version, str) or not _VERSION.match(version):
        notes.append(f"invalid {mode}-version {_short(version)}, judged at latest")
        version = "latest"
    elif version != "latest":
        notes.append(f"pinned {version}, judged with the {POLICY_VERSION} checks")
    if raw is None:
        return ModeLevel(Level.PRIVILEGED, None, version, "; ".join(notes))
    try:
        level = Level(raw) if isinstance(raw, str) else None
    except ValueError:
        level = None
    if level is None:
        # the admission controller evaluates an unreadable level at the strictest one
        notes.append(f"invalid {mode} level {_short(raw)}, judged at restricted")
        level = Level.RESTRICTED
    return ModeLevel(level, str(raw)[:80], version, "; ".join(notes))


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def namespace_levels(labels: Mapping[str, str]) -> NamespaceLevels:
    """Read the enforce, warn and audit levels (unset: privileged, the admission default)."""
    return NamespaceLevels(*(_mode(labels, m) for m in MODES))
