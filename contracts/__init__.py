"""The contract: the request model, the rule registry and (later) strategies, checks, the gate."""

from contracts.model import (
    ContractViolation,
    FetchRequest,
    GenerationRequest,
    Lora,
    Parsed,
    Violation,
)
from contracts.parse import iter_violations, parse, validate
from contracts.rules import FETCH, GENERATION, RULES, V4, V6, Rule, iter_rules, rule

__all__ = [
    "FETCH",
    "GENERATION",
    "RULES",
    "V4",
    "V6",
    "ContractViolation",
    "FetchRequest",
    "GenerationRequest",
    "Lora",
    "Parsed",
    "Rule",
    "Violation",
    "iter_rules",
    "iter_violations",
    "parse",
    "rule",
    "validate",
]
