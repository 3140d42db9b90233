"""Built-in policy packs and the policy loader."""

from regulens.policies.loader import (
    LoadedPolicies,
    builtin_files,
    builtin_packs,
    load_policies,
    select_policies,
    sub_packs,
)

__all__ = [
    "LoadedPolicies",
    "builtin_files",
    "builtin_packs",
    "load_policies",
    "select_policies",
    "sub_packs",
]
