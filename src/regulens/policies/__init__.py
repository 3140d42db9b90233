"""Built-in policy packs and the policy loader."""

from regulens.policies.loader import (
    LoadedPolicies,
    builtin_packs,
    load_policies,
    select_policies,
)

__all__ = ["LoadedPolicies", "builtin_packs", "load_policies", "select_policies"]
