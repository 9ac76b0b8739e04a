"""The check registry: `@check(rule, ...)` registers a function of an `Exchange`."""

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
from contracts.rules import RULES

CheckFunction = Callable[[Exchange], Outcome]


@dataclass(frozen=True)
class Check:
    rule: str
    function: CheckFunction
    #: The sides of the rule this check can judge ("inside", "outside").
    sides: tuple[str, ...]
    #: Rules that, when violated on the same exchange, explain this one's failure: this check
    #: then reports not applicable instead (response.schema defers to error.shape).
    defers_to: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.function.__name__.lstrip("_")

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip()

    def __call__(self, exchange: Exchange) -> Outcome:
        outcome = self.function(exchange)
        if outcome.verdict == VIOLATION and outcome.payload is None:
            outcome = Outcome(outcome.rule, outcome.verdict, outcome.side, outcome.expected,
                              outcome.seen, exchange.body, exchange.endpoint)
        return outcome


_CHECKS: dict[str, list[Check]] = {}


def check(rule_id: str, *, sides: tuple[str, ...] = ("inside", "outside"),
          defers_to: tuple[str, ...] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register `function(exchange) -> Outcome` as a check of `rule_id`."""
    if rule_id not in RULES:
        raise KeyError(f"unknown rule {rule_id}")

    def register(function: CheckFunction) -> CheckFunction:
        _CHECKS.setdefault(rule_id, []).append(Check(rule_id, function, sides, defers_to))
        return function
    return register


def checks() -> Mapping[str, tuple[Check, ...]]:
    """Rule id -> its registered checks."""
    return MappingProxyType({k: tuple(v) for k, v in _CHECKS.items()})


def sides(rule_id: str) -> tuple[str, ...]:
    """Every side some check of `rule_id` can judge."""
    out: dict[str, None] = {}
    for c in _CHECKS.get(rule_id, ()):
        out.update(dict.fromkeys(c.sides))
    return tuple(out)


def run_checks(exchange: Exchange, rules: Iterable[str] | None = None) -> list[Outcome]:
    """Apply every check (or those of `rules`) to one exchange."""
    wanted = set(rules) if rules is not None else None
    chosen = [c for cs in _CHECKS.values() for c in cs if wanted is None or c.rule in wanted]
    results = [(c, c(exchange)) for c in chosen]
    violated = {o.rule for _, o in results if o.verdict == VIOLATION}
    out = []
    for c, o in results:
        if o.verdict == VIOLATION and violated.intersection(c.defers_to):
            o = not_applicable(c.rule, f"explained by {', '.join(c.defers_to)}")
        out.append(o)
    return out


def check_exchange(endpoint: str, request_body: Any, status: int, body: Any, *,
                   headers: Mapping[str, str] | None = None, fetched: Any = None,
                   path_id: str | None = None) -> list[Outcome]:
    """Every check on one request and its answer; `fetched` is the final fetched body of a
    queued job, if it was fetched. Outcomes with `.ok` false are violations."""
    fetches: tuple[Fetch, ...] = ()
    if fetched is not None:
        path = next((p for p, (gen, _) in spec.contract().fetch.items() if gen == endpoint),
                    endpoint)
        fetches = (Fetch(path, None, Reply.of(fetched), path_id="0"),)
    ex = Exchange(endpoint, request_body, Reply.of(body, status, headers), path_id, fetches)
    return run_checks(ex)
