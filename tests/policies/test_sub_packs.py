"""Sub-packs: `builtin:NAME/SUB` is one file or one directory of a built-in pack."""

from __future__ import annotations

import pytest

from regulens.errors import ConfigError
from regulens.policies import builtin_files, builtin_packs, load_policies, sub_packs
from tests.cli.helpers import run_cli

OPS_SUB_PACKS = ["change", "kpi", "recovery", "scans", "security"]


def ids(spec: str) -> list[str]:
    return [p.id for p in load_policies([spec]).policies]


def test_ops_baseline_has_the_documented_sub_packs() -> None:
    assert set(OPS_SUB_PACKS) <= set(sub_packs("ops-baseline"))


def test_the_whole_pack_is_exactly_the_union_of_its_sub_packs() -> None:
    for pack in builtin_packs():
        parts = [i for sub in sub_packs(pack) for i in ids(f"builtin:{pack}/{sub}")]
        assert sorted(parts) == sorted(ids(f"builtin:{pack}")), pack
        assert len(parts) == len(set(parts)), f"{pack}: a policy is in two sub-packs"


def test_security_sub_pack_holds_rbac_audit_and_workload_policies() -> None:
    chosen = set(ids("builtin:ops-baseline/security"))
    assert {"rbac-user-role-read-only", "audit-secrets-configmaps-metadata"} <= chosen
    assert {"workload-no-privileged", "hpa-api-bounds"} <= chosen
    assert not any(i.startswith(("change-", "rpo-", "rto-", "kpi-", "trivy-")) for i in chosen)


@pytest.mark.parametrize("sub", OPS_SUB_PACKS)
def test_validate_each_sub_pack(sub: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["validate", f"builtin:ops-baseline/{sub}"], capsys)
    assert code == 0, err
    assert out.startswith("ok: ")


def test_a_pack_and_its_sub_pack_together_load_each_file_once() -> None:
    both = ids("builtin:ops-baseline")
    loaded = load_policies(["builtin:ops-baseline", "builtin:ops-baseline/security"])
    assert sorted(p.id for p in loaded.policies) == sorted(both)


def test_sub_pack_labels_name_the_file() -> None:
    labels = [label for label, _ in builtin_files("ops-baseline/security")]
    assert labels == [
        "builtin:ops-baseline/security/rbac-audit.yaml",
        "builtin:ops-baseline/security/workloads.yaml",
    ]


@pytest.mark.parametrize(
    ("spec", "hint"),
    [
        ("builtin:ops-baseline/secruity", "did you mean builtin:ops-baseline/security?"),
        ("builtin:ops-basline/security", "did you mean builtin:ops-baseline?"),
        ("builtin:ops-baseline/", "sub-packs: "),
        ("builtin:ops-baseline/security/workloads", "did you mean builtin:ops-baseline/security?"),
        ("builtin:../ops-baseline", "built-in packs: "),
        ("builtin:ops-baseline/../../etc", "sub-packs: "),
        ("builtin:ops-baseline/\x1b[31mred", "sub-packs: "),
    ],
)
def test_unknown_names_are_config_errors_with_a_hint(
    spec: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        load_policies([spec])
    assert hint in (info.value.hint or "")
    code, out, err = run_cli(["validate", spec], capsys)
    assert code == 3
    assert "\x1b" not in out + err and "Traceback" not in out + err
