"""The inputs a check can need, and the flag that supplies each."""

from __future__ import annotations

from enum import StrEnum


class Input(StrEnum):
    """A snapshot section; the value is the `Snapshot` field name."""

    KUBERNETES = "kubernetes"
    CHANGE = "change"
    TRIVY = "scans"


FLAGS: dict[Input, str] = {
    Input.KUBERNETES: "--manifests, --snapshot or --cluster",
    Input.CHANGE: "--change (a ChangeRequest document; used by `regulens gate`)",
    Input.TRIVY: "--trivy-report FILE or --trivy-scan",
}


def missing_input_message(inp: Input) -> str:
    """Say which input is missing and which flag supplies it."""
    return f"no {inp.value} input was given: pass {FLAGS[inp]} (or --skip this policy)"
