"""Audit logging: the audit.k8s.io/v1 Policy, its first-match semantics and its sources."""
