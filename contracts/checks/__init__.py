"""Checks: one or more per rule of `contracts.RULES`, each judging one `Exchange`.

A check says `pass`, `violation` (with what was expected and seen, and the payload) or
`not applicable`, and names the side of the rule it judged ("inside" / "outside")::

    from contracts import checks
    ex = checks.Exchange("/api/v6/images/text2img", body, checks.Reply.of(answer))
    for outcome in checks.run_checks(ex):
        ...

Checks register on their rule (`@STEPS_CAP.check(...)`, see `contracts.rules`) and receive
it: `function(rule, exchange) -> Outcome`. Guard decorators (`only_generation`,
`only_accepted`, ...) say when a check applies. Request rules compare the answer with
`contracts.parse`; response rules read the answer (bodies are validated against
spec/modelslab.yaml with openapi-core).
"""

from contracts.checks import _echoes, _requests, _responses, _robustness
from contracts.checks._guards import (
    guard,
    key_is_ours,
    only_accepted,
    only_answered,
    only_generation,
    only_our_key,
    only_with_images,
)
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
from contracts.checks._registry import check, check_exchange, run_checks
from contracts.checks._schema import iter_errors as iter_schema_errors
from contracts.checks._schema import validate as validate_schema

del _echoes, _requests, _responses, _robustness  # imported for their registrations

__all__ = [
    "NOT_APPLICABLE",
    "PASS",
    "VIOLATION",
    "Exchange",
    "Fetch",
    "Image",
    "Outcome",
    "Reply",
    "check",
    "check_exchange",
    "guard",
    "iter_schema_errors",
    "key_is_ours",
    "not_applicable",
    "only_accepted",
    "only_answered",
    "only_generation",
    "only_our_key",
    "only_with_images",
    "passed",
    "run_checks",
    "validate_schema",
    "violated",
]
