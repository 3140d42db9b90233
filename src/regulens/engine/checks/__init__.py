"""The check registry: one module per type, one discriminated union, one tuple of types.

Adding a check type is one module plus one line in `AnyCheck`; the schema,
`regulens checks list` and dispatch follow from it.
"""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from regulens.engine.checks.audit_events import AuditEvents
from regulens.engine.checks.audit_level_at_least import AuditLevelAtLeast
from regulens.engine.checks.audit_log_retention import AuditLogRetention
from regulens.engine.checks.audit_policy_present import AuditPolicyPresent
from regulens.engine.checks.backup_recency import BackupRecency
from regulens.engine.checks.base import Check, CheckError
from regulens.engine.checks.change_approval import ChangeApproval
from regulens.engine.checks.change_category_matches_diff import ChangeCategoryMatchesDiff
from regulens.engine.checks.change_emergency_incident import ChangeEmergencyIncident
from regulens.engine.checks.change_rollback_plan import ChangeRollbackPlan
from regulens.engine.checks.change_tests_passed import ChangeTestsPassed
from regulens.engine.checks.change_window import ChangeWindow
from regulens.engine.checks.cluster_health import ClusterHealth
from regulens.engine.checks.incident_response_time import IncidentResponseTime
from regulens.engine.checks.incident_review import IncidentReview
from regulens.engine.checks.kpi import Kpi
from regulens.engine.checks.pod_security import PodSecurity
from regulens.engine.checks.rbac_escalation import RbacEscalation
from regulens.engine.checks.rbac_no_wildcards import RbacNoWildcards
from regulens.engine.checks.rbac_permission_restricted import RbacPermissionRestricted
from regulens.engine.checks.rbac_role_bindings import RbacRoleBindings
from regulens.engine.checks.rbac_role_within import RbacRoleWithin
from regulens.engine.checks.resource_condition import ResourceCondition
from regulens.engine.checks.restore_drill import RestoreDrill
from regulens.engine.checks.trivy_misconfigurations import TrivyMisconfigurations
from regulens.engine.checks.trivy_report_fresh import TrivyReportFresh
from regulens.engine.checks.trivy_secrets import TrivySecrets
from regulens.engine.checks.trivy_vulnerabilities import TrivyVulnerabilities

AnyCheck = Annotated[
    ResourceCondition
    | ChangeApproval
    | ChangeWindow
    | ChangeEmergencyIncident
    | ChangeRollbackPlan
    | ChangeTestsPassed
    | ChangeCategoryMatchesDiff
    | RbacRoleWithin
    | RbacPermissionRestricted
    | RbacNoWildcards
    | RbacEscalation
    | RbacRoleBindings
    | AuditLevelAtLeast
    | AuditLogRetention
    | AuditPolicyPresent
    | BackupRecency
    | RestoreDrill
    | Kpi
    | TrivyVulnerabilities
    | TrivyReportFresh
    | TrivySecrets
    | TrivyMisconfigurations
    | PodSecurity
    | IncidentResponseTime
    | IncidentReview
    | AuditEvents
    | ClusterHealth,
    Field(discriminator="type"),
]


def _members() -> tuple[type[Check], ...]:
    inner = get_args(AnyCheck)[0]
    members = get_args(inner) or (inner,)
    return tuple(m for m in members if isinstance(m, type) and issubclass(m, Check))


CHECK_TYPES: tuple[type[Check], ...] = _members()

__all__ = ["CHECK_TYPES", "AnyCheck", "Check", "CheckError"]
