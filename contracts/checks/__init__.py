"""Checks: one or more per rule of `contracts.RULES`, each judging one `Exchange`.

A check says `pass`, `violation` (with what was expected and seen, and the payload) or
`not applicable`, and names the side of the rule it judged ("inside" / "outside")::

    from contracts import checks
    ex = checks.Exchange("/api/v6/images/text2img", body, checks.Reply.of(answer))
    for outcome in checks.run_checks(ex):
        ...

Request rules compare the answer with `contracts.parse`; response rules read the answer
(bodies are validated against spec/modelslab.yaml with openapi-core).
"""

from contracts.checks import _requests, _responses
from contracts.checks._model import (
    NOT_APPLICABLE,
    PASS,
    VIOLATION,
    Exchange,
    Fetch,
    Image,
    Outcome,
    Reply,
    not_applicable,
    passed,
    violated,
)
from contracts.checks._registry import Check, check, check_exchange, checks, run_checks, sides
from contracts.checks._schema import iter_errors as iter_schema_errors
from contracts.checks._schema import validate as validate_schema
from contracts.reply import ACCEPTED, FAULT, REJECTED, UNCLEAR, classify, error_kind

del _requests, _responses  # imported for their registrations

__all__ = [
    "ACCEPTED",
    "FAULT",
    "NOT_APPLICABLE",
    "PASS",
    "REJECTED",
    "UNCLEAR",
    "VIOLATION",
    "Check",
    "Exchange",
    "Fetch",
    "Image",
    "Outcome",
    "Reply",
    "check",
    "check_exchange",
    "checks",
    "classify",
    "error_kind",
    "iter_schema_errors",
    "not_applicable",
    "passed",
    "run_checks",
    "sides",
    "validate_schema",
    "violated",
]
