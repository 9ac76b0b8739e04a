"""Our checks as schemathesis checks: one per rule, named `modelslab_<rule>`.

Load them into the schemathesis CLI through its hooks variable::

    SCHEMATHESIS_HOOKS=contracts.schemathesis_checks \\
        schemathesis run spec/modelslab.yaml --url http://127.0.0.1:4010 \\
        --checks all --max-examples 20

or, from Python, pass `CHECKS` to `case.validate_response(response, checks=CHECKS)`.
Only answers to the spec's POST endpoints are judged; other responses pass through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis

from contracts import checks
from contracts.checks import Exchange, Outcome
from contracts.redaction import Scrubber, secrets_in
from contracts.reply import Reply
from contracts.rules import FETCH, GENERATION, RULES

SchemathesisCheck = Callable[[Any, Any, Any], bool | None]
_cache: dict[str, Any] = {"key": None, "outcomes": ()}


def _body(case: Any) -> Any:
    body = getattr(case, "body", None)
    if body is None or type(body).__name__ == "NotSet":
        return None
    return body


def exchange_of(response: Any, case: Any) -> Exchange | None:
    """The exchange for a schemathesis (response, case), or None if it is not ours to judge."""
    endpoint = case.operation.path
    if case.method.upper() != "POST" or endpoint not in GENERATION + FETCH:
        return None
    path_id = (case.path_parameters or {}).get("id")
    return Exchange(endpoint, _body(case), Reply.of(response),
                    None if path_id is None else str(path_id))


def outcomes(response: Any, case: Any) -> tuple[Outcome, ...]:
    """Every check on one response (computed once per response, shared by the rule checks)."""
    # Keyed by content, not id(): schemathesis may wrap responses in short-lived objects.
    key = (case.operation.path, case.method, repr(_body(case)),
           repr(getattr(case, "path_parameters", None)), response.status_code,
           bytes(response.content))
    if _cache["key"] != key:
        ex = exchange_of(response, case)
        _cache["key"], _cache["outcomes"] = key, tuple(checks.run_checks(ex)) if ex else ()
    found: tuple[Outcome, ...] = _cache["outcomes"]
    return found


def _make(rule_id: str) -> SchemathesisCheck:
    def rule_check(ctx: Any, response: Any, case: Any) -> bool | None:
        broken = [o for o in outcomes(response, case) if o.rule.id == rule_id and not o.ok]
        if broken:  # judged raw; the message scrubbed of the request's key (issue 10)
            hide = Scrubber(secrets_in(_body(case)))
            raise AssertionError(hide(f"ModelsLab contract [{rule_id}] "
                                      f"{RULES[rule_id].title}: expected {broken[0].expected}; "
                                      f"saw {broken[0].seen}"))
        return None
    rule_check.__name__ = "modelslab_" + rule_id.replace(".", "_")
    rule_check.__doc__ = RULES[rule_id].title
    return rule_check


#: The registered checks, in rule order.
CHECKS: tuple[SchemathesisCheck, ...] = tuple(schemathesis.check(_make(r)) for r in RULES)

__all__ = ["CHECKS", "exchange_of", "outcomes"]
