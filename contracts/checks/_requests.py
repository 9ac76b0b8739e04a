"""Request rules: the backend must reject what `contracts.parse` rejects, accept the rest.

An answer caused by something else (rate limit, server error, a refused key) is no verdict.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

import spec
from contracts import _wire
from contracts.checks._model import Exchange, Outcome, not_applicable, passed, violated
from contracts.checks._registry import check
from contracts.model import GenerationRequest, Parsed
from contracts.parse import parse
from contracts.reply import ACCEPTED, REJECTED, classify
from contracts.rules import RULES, iter_rules
from contracts.vocabulary import INSIDE, INVALID_KEY, OUTSIDE

#: Rules judged on every parsed request, whatever fields it has.
_ALWAYS = ("body.json", "field.required", "field.type")


@lru_cache(maxsize=512)
def _parse_cached(endpoint: str, text: str, path_id: str | None) -> Parsed:
    return parse(endpoint, text, path_id=path_id)


def parsed(ex: Exchange) -> Parsed:
    """`contracts.parse` of the exchange's request (cached)."""
    if isinstance(ex.body, str | bytes):
        return parse(ex.endpoint, ex.body, path_id=ex.path_id)
    try:
        text = json.dumps(ex.body, sort_keys=True)
    except (TypeError, ValueError):
        return parse(ex.endpoint, ex.body, path_id=ex.path_id)
    return _parse_cached(ex.endpoint, text, ex.path_id)


def key_is_ours(body: Any) -> bool:
    return isinstance(body, Mapping) and isinstance(body.get("key"), str) \
        and body["key"] not in ("", INVALID_KEY)


def kind(ex: Exchange, reply: Any = None) -> str:
    r = reply or ex.reply
    return classify(r, key_is_ours=key_is_ours(ex.body))


@cache
def rule_fields(rule_id: str) -> frozenset[str]:
    """The body fields a rule guards (from the spec's fields and the registry)."""
    names = {f.name for fs in spec.contract().generation.values() for f in fs
             if rule_id in f.rules}
    r = RULES[rule_id]
    if r.field:
        names.add(r.field)
    if "lora_strength" in names:
        names.add("lora_model") if rule_id == "lora.count" else None
    return frozenset(names)


def _blamed(ex: Exchange) -> set[str]:
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
    return {r.id for r in iter_rules("request") if r.id not in _ALWAYS
            and rule_fields(r.id) & named}


def _involved(rule_id: str, ex: Exchange) -> bool:
    if rule_id in _ALWAYS:
        return True
    body = ex.body
    return isinstance(body, Mapping) and any(body.get(n) is not None
                                             for n in rule_fields(rule_id))


def _refused_inside(rule_id: str, ex: Exchange) -> Outcome:
    blamed = _blamed(ex)
    if rule_id in blamed or (not blamed and ex.target == rule_id):
        return violated(rule_id, INSIDE, "a valid request to be accepted",
                        f"it was rejected: {ex.reply.short()}")
    return not_applicable(rule_id, "rejected for another reason")


def judge(rule_id: str, ex: Exchange) -> Outcome:
    """The generic verdict: rejected iff `parse` reports exactly this rule."""
    if ex.endpoint not in RULES[rule_id].endpoints:
        return not_applicable(rule_id)
    p = parsed(ex)
    k = kind(ex)
    if k not in (ACCEPTED, REJECTED):
        return not_applicable(rule_id, k)
    if p.violations:
        if set(p.rule_ids) != {rule_id}:
            return not_applicable(rule_id, "other rules broken too")
        if k == ACCEPTED:
            reason = "; ".join(str(v) for v in p.violations)
            return violated(rule_id, OUTSIDE, f"an error body ({reason})",
                            f"it was accepted: {ex.reply.short()}")
        return passed(rule_id, OUTSIDE)
    if not key_is_ours(ex.body) or not _involved(rule_id, ex):
        return not_applicable(rule_id)
    if k == REJECTED:
        return _refused_inside(rule_id, ex)
    return passed(rule_id, INSIDE)


def _register_generic(rule_id: str) -> None:
    def generic(ex: Exchange) -> Outcome:
        return judge(rule_id, ex)
    generic.__name__ = f"judge_{rule_id.replace('.', '_')}"
    generic.__doc__ = (f"{RULES[rule_id].title}: rejected when `parse` says so, "
                       "accepted otherwise.")
    check(rule_id)(generic)


for _rule in iter_rules("request"):
    if _rule.id != "steps.cap":
        _register_generic(_rule.id)


def _meta_steps(reply_body: Any) -> Any:
    meta = reply_body.get("meta") if isinstance(reply_body, Mapping) else None
    return meta.get("steps") if isinstance(meta, Mapping) else None


@check("steps.cap")
def _steps_cap(ex: Exchange) -> Outcome:
    """Steps above the cap are accepted, and meta.steps is the effective (capped) value."""
    rule_id = "steps.cap"
    p = parsed(ex)
    request = p.request
    if not isinstance(request, GenerationRequest) or not _involved(rule_id, ex) \
            or not key_is_ours(ex.body):
        return not_applicable(rule_id)
    side = OUTSIDE if request.steps_requested > request.steps else INSIDE
    k = kind(ex)
    if k == REJECTED:
        return _refused_inside(rule_id, ex) if side == INSIDE else violated(
            rule_id, side, f"accepted with meta.steps={request.steps}",
            f"it was rejected: {ex.reply.short()}")
    if k != ACCEPTED:
        return not_applicable(rule_id, k)
    for reply in (ex.reply, ex.final):
        if reply is None or reply.status_field not in ("success", "processing"):
            continue
        seen = _meta_steps(reply.body)
        try:
            ok = seen is not None and _wire.to_int(seen) == request.steps
        except _wire.WireError:
            ok = False
        if not ok:
            return violated(rule_id, side, f"meta.steps={request.steps} "
                            f"(sent {request.steps_requested})", f"meta.steps={seen!r}")
    return passed(rule_id, side)
