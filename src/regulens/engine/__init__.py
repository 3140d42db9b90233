"""The pure engine: policy models, check types, evaluate and decide."""

from regulens.engine.context import EvalContext
from regulens.engine.decide import Decision, decide
from regulens.engine.evaluate import evaluate
from regulens.engine.policy import Policy, PolicySet
from regulens.engine.results import Finding, Result, Summary
from regulens.engine.types import Enforcement, Severity, Status

__all__ = [
    "Decision",
    "Enforcement",
    "EvalContext",
    "Finding",
    "Policy",
    "PolicySet",
    "Result",
    "Severity",
    "Status",
    "Summary",
    "decide",
    "evaluate",
]
