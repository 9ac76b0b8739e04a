"""Request rules: the backend must reject what `contracts.parse` rejects, accept the rest.

An answer caused by something else (rate limit, server error, a refused key) is no verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import spec
from contracts import _wire
from contracts.checks._guards import (
    guard,
    key_is_ours,
    kind,
    only_answered,
    only_generation,
    only_our_key,
    parsed,
    request_of,
)
from contracts.checks._model import Exchange, Outcome, not_applicable, passed, violated
from contracts.reply import ACCEPTED, REJECTED
from contracts.rules import (
    BODY_JSON,
    FIELD_REQUIRED,
    FIELD_TYPE,
    LORA_COUNT,
    STEPS_CAP,
    Rule,
    iter_rules,
)
from contracts.vocabulary import INSIDE, OUTSIDE

#: Rules judged on every parsed request, whatever fields it has.
_ALWAYS = (BODY_JSON, FIELD_REQUIRED, FIELD_TYPE)


@cache
def rule_fields(r: Rule) -> frozenset[str]:
    """The body fields a rule guards (from the spec's fields and the registry)."""
    names = {f.name for fs in spec.contract().generation.values() for f in fs
             if r.id in f.rules}
    if r.field:
        names.add(r.field)
    if r is LORA_COUNT:
        names.add("lora_model")
    return frozenset(names)


def _blamed(ex: Exchange) -> set[Rule]:
    """Request rules an error names through its fields (legacy {field: [messages]} bodies)."""
    body = ex.reply.body
    message = body.get("message", body.get("messege")) if isinstance(body, Mapping) else None
    if isinstance(message, Mapping):
        named = set(message)
    elif isinstance(message, str):
        named = {f.name for f in spec.contract().generation.get(ex.endpoint, ())
                 if f.name in message}
    else:
        named = set()
    return {r for r in iter_rules("request") if r not in _ALWAYS and rule_fields(r) & named}


def involved(r: Rule, ex: Exchange) -> bool:
    """The request sets a field the rule guards (always, for the whole-body rules)."""
    if r in _ALWAYS:
        return True
    body = ex.body
    return isinstance(body, Mapping) and any(body.get(n) is not None for n in rule_fields(r))


#: Only requests that set a field the rule guards.
only_involved = guard(involved)


def _refused_inside(r: Rule, ex: Exchange) -> Outcome:
    blamed = _blamed(ex)
    if r in blamed or (not blamed and ex.target is r):
        return violated(r, INSIDE, "a valid request to be accepted",
                        f"it was rejected: {ex.reply.short()}")
    return not_applicable(r, "rejected for another reason")


@only_answered
def judge(r: Rule, ex: Exchange) -> Outcome:
    """Rejected when `parse` reports exactly this rule, accepted otherwise."""
    p = parsed(ex)
    if p.violations:
        if {v.rule for v in p.violations} != {r}:
            return not_applicable(r, "other rules broken too")
        if kind(ex) == ACCEPTED:
            reason = "; ".join(str(v) for v in p.violations)
            return violated(r, OUTSIDE, f"an error body ({reason})",
                            f"it was accepted: {ex.reply.short()}")
        return passed(r, OUTSIDE)
    if not key_is_ours(ex.body) or not involved(r, ex):
        return not_applicable(r)
    if kind(ex) == REJECTED:
        return _refused_inside(r, ex)
    return passed(r, INSIDE)


for _rule in iter_rules("request"):
    if _rule is not STEPS_CAP:
        _rule.check()(judge)


def _meta_steps(reply_body: Any) -> Any:
    meta = reply_body.get("meta") if isinstance(reply_body, Mapping) else None
    return meta.get("steps") if isinstance(meta, Mapping) else None


@STEPS_CAP.check()
@only_generation
@only_involved
@only_our_key
def _steps_cap(r: Rule, ex: Exchange) -> Outcome:
    """Steps above the cap are accepted, and meta.steps is the effective (capped) value."""
    request = request_of(ex)
    side = OUTSIDE if request.steps_requested > request.steps else INSIDE
    k = kind(ex)
    if k == REJECTED:
        return _refused_inside(r, ex) if side == INSIDE else violated(
            r, side, f"accepted with meta.steps={request.steps}",
            f"it was rejected: {ex.reply.short()}")
    if k != ACCEPTED:
        return not_applicable(r, k)
    for reply in (ex.reply, ex.final):
        if reply is None or reply.status_field not in ("success", "processing"):
            continue
        seen = _meta_steps(reply.body)
        try:
            ok = seen is not None and _wire.to_int(seen) == request.steps
        except _wire.WireError:
            ok = False
        if not ok:
            return violated(r, side, f"meta.steps={request.steps} "
                            f"(sent {request.steps_requested})", f"meta.steps={seen!r}")
    return passed(r, side)

