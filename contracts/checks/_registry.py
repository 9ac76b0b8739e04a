"""Running the checks registered on the rules (`@RULE.check(...)`), one `Exchange` at a time.

The registry itself is the rules' (`contracts.rules`); this module turns a rule's check hooks
into callables of an exchange and applies them together (with `defers_to`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import spec
from contracts.checks._model import (
    VIOLATION,
    Exchange,
    Fetch,
    Outcome,
    Reply,
    not_applicable,
)
from contracts.rules import CHECK, RULES, Hook, Rule, hooks, rule
from contracts.vocabulary import SIDES, Side

#: What a check is: a function of its rule and one exchange.
CheckFunction = Callable[[Rule, Exchange], Outcome]


@dataclass(frozen=True)
class Check:
    """One check of one rule, callable on an exchange."""

    hook: Hook

    @property
    def rule(self) -> Rule:
        return self.hook.rule

    @property
    def sides(self) -> tuple[Side, ...]:
        return self.hook.sides

    @property
    def defers_to(self) -> tuple[Rule, ...]:
        return self.hook.defers_to

    @property
    def name(self) -> str:
        return self.hook.name

    @property
    def doc(self) -> str:
        return self.hook.doc

    def __call__(self, exchange: Exchange) -> Outcome:
        r = self.hook.rule
        if not r.applies_to(exchange.endpoint):
            return not_applicable(r)
        outcome: Outcome = self.hook.function(r, exchange)
        if outcome.verdict == VIOLATION and outcome.payload is None:
            outcome = Outcome(outcome.rule, outcome.verdict, outcome.side, outcome.expected,
                              outcome.seen, exchange.body, exchange.endpoint)
        return outcome


def check(ref: Rule | str, *, sides: tuple[Side, ...] = SIDES,
          defers_to: tuple[Rule, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """`rule(ref).check(...)`: register `function(rule, exchange) -> Outcome` on a rule."""
    return rule(ref).check(sides=sides, defers_to=defers_to)


def checks() -> Mapping[str, tuple[Check, ...]]:
    """Rule id -> its registered checks (rules without a check are left out)."""
    out: dict[str, list[Check]] = {}
    for h in _in_rule_order(hooks(CHECK)):
        out.setdefault(h.rule.id, []).append(Check(h))
    return MappingProxyType({k: tuple(v) for k, v in out.items()})


def _in_rule_order(found: tuple[Hook, ...]) -> tuple[Hook, ...]:
    """Checks run in the registry's rule order, whichever module registered them first."""
    order = {r: i for i, r in enumerate(RULES.values())}
    return tuple(sorted(found, key=lambda h: order.get(h.rule, len(order))))


def run_checks(exchange: Exchange, rules: Iterable[Rule | str] | None = None) -> list[Outcome]:
    """Apply every check (or those of `rules`) to one exchange, in rule order."""
    chosen = _in_rule_order(hooks(CHECK, None if rules is None else [rule(r) for r in rules]))
    results = [(h, Check(h)(exchange)) for h in chosen]
    violated = {o.rule for _, o in results if o.verdict == VIOLATION}
    out = []
    for h, o in results:
        if o.verdict == VIOLATION and violated.intersection(h.defers_to):
            o = not_applicable(h.rule, f"explained by {', '.join(map(str, h.defers_to))}")
        out.append(o)
    return out


def _fetch_template(generation: str) -> str:
    """The first fetch endpoint of a generation endpoint (the module's one fetch-URL lookup)."""
    return next(iter(spec.contract().fetch_templates(generation)), generation)


def check_exchange(endpoint: str, request_body: Any, status: int, body: Any, *,
                   headers: Mapping[str, str] | None = None, fetched: Any = None,
                   path_id: str | None = None) -> list[Outcome]:
    """Every check on one request and its answer; `fetched` is the final fetched body of a
    queued job, if it was fetched. Outcomes with `.ok` false are violations."""
    fetches: tuple[Fetch, ...] = ()
    if fetched is not None:
        fetches = (Fetch(_fetch_template(endpoint), None, Reply.of(fetched), path_id="0"),)
    ex = Exchange(endpoint, request_body, Reply.of(body, status, headers), path_id, fetches)
    return run_checks(ex)
